-- EO 13929 Sec. 2 and 3(d): the Attorney General's certification of credentialing bodies, the agency
-- credentials those bodies publish, and agencies' signed "nothing to report" attestations.
-- Every row below is written by a signed event that is also in the Merkle log (events.id); the
-- history tables are append-only, so the state at any past date can be recomputed.

-- The publisher that signs the Attorney General's certification decisions (the AG office's key).
-- Not used in this migration: a new enum label cannot be used in the transaction that adds it.
ALTER TYPE publisher_kind ADD VALUE IF NOT EXISTS 'CERTIFYING_AUTHORITY';

CREATE TYPE credentialing_body_status AS ENUM ('CERTIFIED', 'SUSPENDED', 'WITHDRAWN');
CREATE TYPE agency_credential_status AS ENUM ('APPLIED', 'IN_PROCESS', 'GRANTED', 'EXPIRED', 'REVOKED');

-- One row per certification decision about a credentialing body (Sec. 2(a)); the body's status on a
-- day is the latest decision effective on or before that day.
CREATE TABLE credentialing_body_decisions (
  id                 bigserial PRIMARY KEY,
  body_id            text NOT NULL REFERENCES publishers (id),
  status             credentialing_body_status NOT NULL,
  standards_version  text NOT NULL CHECK (length(standards_version) BETWEEN 1 AND 100),
  effective_on       date NOT NULL,
  valid_until        date CHECK (valid_until IS NULL OR valid_until >= effective_on),
  reason             text CHECK (length(reason) <= 2000),
  authority_id       text NOT NULL REFERENCES publishers (id),  -- the certifying authority whose key signed
  submitted_by       text NOT NULL CHECK (length(submitted_by) BETWEEN 1 AND 300),  -- the auditor's token subject
  event_id           bigint NOT NULL REFERENCES events (id),
  recorded_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (status = 'CERTIFIED' OR valid_until IS NULL)
);
CREATE INDEX credentialing_body_decisions_body ON credentialing_body_decisions (body_id, effective_on, id);

-- An agency's credential from a credentialing body, as the body last published it (Sec. 2(b)-(c)).
CREATE TABLE agency_credentials (
  id                     text PRIMARY KEY,
  body_id                text NOT NULL REFERENCES publishers (id),
  source_id              text NOT NULL,
  agency_ori             text NOT NULL REFERENCES agencies (ori),
  status                 agency_credential_status NOT NULL,
  status_date            date NOT NULL,
  expires_on             date,
  policy_adheres_to_law  boolean NOT NULL,   -- Sec. 2(c)(i)
  chokeholds_prohibited  boolean NOT NULL,   -- Sec. 2(c)(ii): except where deadly force is allowed by law
  topics_reviewed        text[] NOT NULL DEFAULT '{}'
    CHECK (topics_reviewed <@ ARRAY['DE_ESCALATION_TRAINING', 'EARLY_WARNING_SYSTEMS', 'COMMUNITY_ENGAGEMENT']),
  standards_version      text NOT NULL,      -- the body's certified standards when the status was set
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  UNIQUE (body_id, source_id),
  -- a GRANTED credential carries both Sec. 2(c) confirmations, whatever path wrote it
  CHECK (status <> 'GRANTED' OR (policy_adheres_to_law AND chokeholds_prohibited))
);
CREATE INDEX agency_credentials_agency ON agency_credentials (agency_ori, id);

CREATE TABLE agency_credential_history (
  id                     bigserial PRIMARY KEY,
  credential_id          text NOT NULL REFERENCES agency_credentials (id),
  status                 agency_credential_status NOT NULL,
  status_date            date NOT NULL,
  expires_on             date,
  policy_adheres_to_law  boolean NOT NULL,
  chokeholds_prohibited  boolean NOT NULL,
  topics_reviewed        text[] NOT NULL DEFAULT '{}',
  standards_version      text NOT NULL,
  reason                 text CHECK (length(reason) <= 2000),
  event_id               bigint NOT NULL REFERENCES events (id),
  recorded_at            timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'GRANTED' OR (policy_adheres_to_law AND chokeholds_prohibited))
);
CREATE INDEX agency_credential_history_credential ON agency_credential_history (credential_id, status_date, id);

-- Sec. 3(d): an explicit, signed "nothing to report" for an agency and a calendar year, by the agency's
-- own publisher or its state's POST board.
CREATE TABLE reporting_attestations (
  id              bigserial PRIMARY KEY,
  agency_ori      text NOT NULL REFERENCES agencies (ori),
  reporting_year  integer NOT NULL CHECK (reporting_year BETWEEN 1900 AND 9999),
  publisher_id    text NOT NULL REFERENCES publishers (id),
  statement       text CHECK (length(statement) <= 2000),
  event_id        bigint NOT NULL REFERENCES events (id),
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agency_ori, reporting_year, publisher_id)
);

-- Submissions per agency and period (grant eligibility).
CREATE INDEX misconduct_records_agency_date ON misconduct_records (agency_ori, action_date)
  WHERE agency_ori IS NOT NULL;

CREATE TRIGGER credentialing_body_decisions_append_only BEFORE UPDATE OR DELETE ON credentialing_body_decisions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER agency_credential_history_append_only BEFORE UPDATE OR DELETE ON agency_credential_history
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER reporting_attestations_append_only BEFORE UPDATE OR DELETE ON reporting_attestations
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
