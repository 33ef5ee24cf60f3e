-- Stored monitoring notices are re-rendered when the record they carry is expunged, corrected or changes
-- visibility (what is read or delivered is what the policy allows now): find them by the record's ID.
CREATE INDEX monitoring_notices_record ON monitoring_notices ((payload -> 'record' ->> 'id'))
  WHERE (payload -> 'record' ->> 'id') IS NOT NULL;
