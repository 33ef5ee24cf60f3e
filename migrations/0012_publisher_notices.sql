-- Publishers receive notices too (a dispute or a statement filed on one of their records), through the same
-- notices, subscription and webhook machinery as monitoring enrollees; they enroll nobody.
ALTER TYPE monitor_owner_kind ADD VALUE IF NOT EXISTS 'PUBLISHER';
