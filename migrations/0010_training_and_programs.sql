-- EO 13929 Sec. 4: training currency and agencies' crisis-response (co-responder) programs.

-- A training certification's refresher interval, set by its publisher: the training is current for this many
-- months after it was completed (issuedOn, or the last refresher a status change reported).
ALTER TABLE certifications ADD COLUMN refresher_months smallint
  CHECK (refresher_months BETWEEN 1 AND 120),
  ADD CONSTRAINT certifications_refresher_training_only
  CHECK (refresher_months IS NULL OR kind IN ('CRISIS_INTERVENTION_TRAINING', 'DE_ESCALATION_TRAINING'));

-- Every status a certification has had, from the day it took effect, so that "was this officer's training
-- current on day D" has an answer for past days too. ``current_through`` is the last day the certification
-- counts as current under this step: the earlier of its expiry and the end of its refresher interval after
-- ``completed_on``; NULL: no end.
CREATE TABLE certification_status_history (
  certification_id  text NOT NULL REFERENCES certifications (id),
  step              int NOT NULL CHECK (step >= 1),
  status            certification_status NOT NULL,
  effective_on      date NOT NULL,
  completed_on      date NOT NULL,   -- training: the day it was last completed (issuedOn or a refresher)
  current_through   date,
  PRIMARY KEY (certification_id, step)
);

-- Certifications published before this migration: their history, from the signed events that made them
-- (the same rule publishing applies from now on: a change takes effect on the day it was signed).
-- backfill: begin
WITH raw AS (
  SELECT c.id, e.log_index,
         row_number() OVER (PARTITION BY c.id ORDER BY e.log_index) AS step,
         coalesce(e.payload ->> 'status', 'ACTIVE')::certification_status AS status,
         CASE WHEN e.type = 'certification.issued' THEN (e.payload ->> 'issuedOn')::date
              WHEN e.payload ->> 'issuedAt' ~ '^\d{4}-\d{2}-\d{2}' THEN left(e.payload ->> 'issuedAt', 10)::date
              ELSE (to_timestamp((e.payload ->> 'issuedAt')::numeric) AT TIME ZONE 'UTC')::date END AS effective_on,
         (e.payload ->> 'expiresOn')::date AS expires_on
    FROM events e JOIN certifications c ON c.id = e.entity_id
   WHERE e.type IN ('certification.issued', 'certification.status_changed') AND e.payload IS NOT NULL),
steps AS (  -- a step never takes effect before the one it follows
  SELECT id, step, status, expires_on,
         max(effective_on) OVER (PARTITION BY id ORDER BY log_index ROWS UNBOUNDED PRECEDING) AS effective_on
    FROM raw)
INSERT INTO certification_status_history (certification_id, step, status, effective_on, completed_on,
                                          current_through)
SELECT s.id, s.step, s.status, s.effective_on, (SELECT issued_on FROM certifications WHERE id = s.id),
       (SELECT p.expires_on FROM steps p   -- the expiry as it stood after this step: the latest one given
         WHERE p.id = s.id AND p.step <= s.step AND p.expires_on IS NOT NULL ORDER BY p.step DESC LIMIT 1)
  FROM steps s;
-- backfill: end

-- A crisis-response program an agency runs (Sec. 4(b)): published by the agency or its credentialing body.
CREATE TABLE agency_programs (
  id            text PRIMARY KEY,
  publisher_id  text NOT NULL REFERENCES publishers (id),
  source_id     text NOT NULL CHECK (length(source_id) BETWEEN 1 AND 200),
  agency_ori    text NOT NULL REFERENCES agencies (ori),
  kind          text NOT NULL CHECK (kind IN ('CO_RESPONDER', 'CRISIS_INTERVENTION_TEAM', 'MOBILE_CRISIS_PARTNERSHIP',
                                              'OTHER_CRISIS_RESPONSE')),
  partner_type  text NOT NULL CHECK (partner_type IN ('MENTAL_HEALTH_PROFESSIONAL', 'SOCIAL_WORKER',
                                                      'PEER_SUPPORT_SPECIALIST', 'SUBSTANCE_USE_COUNSELOR',
                                                      'MEDICAL', 'OTHER', 'NONE')),
  start_date    date NOT NULL,
  end_date      date CHECK (end_date IS NULL OR end_date >= start_date),
  end_reason    text CHECK (length(end_reason) <= 2000),
  event_pk      bigint NOT NULL REFERENCES events (id),   -- the signed event that published it
  ended_pk      bigint REFERENCES events (id),            -- the signed event that ended it, if one did
  updated_at    timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (publisher_id, source_id)
);
CREATE INDEX agency_programs_agency ON agency_programs (agency_ori);
CREATE INDEX certification_status_history_current ON certification_status_history (certification_id, effective_on);
