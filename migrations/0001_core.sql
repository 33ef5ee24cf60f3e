-- Core domain: agencies, publishers and their keys, officers, certifications, employment,
-- misconduct records with due-process history. Stock PostgreSQL 15+, no extensions.

CREATE TYPE jurisdiction_level AS ENUM ('FEDERAL', 'STATE', 'LOCAL', 'TRIBAL', 'TERRITORIAL');
CREATE TYPE publisher_kind AS ENUM ('POST_BOARD', 'AGENCY', 'CREDENTIALING_BODY');
CREATE TYPE certification_kind AS ENUM (
  'PEACE_OFFICER', 'CORRECTIONS', 'CRISIS_INTERVENTION_TRAINING', 'DE_ESCALATION_TRAINING');
CREATE TYPE certification_status AS ENUM (
  'ACTIVE', 'INACTIVE', 'SUSPENDED', 'REVOKED', 'EXPIRED', 'SURRENDERED');
CREATE TYPE separation_reason AS ENUM (
  'RESIGNED', 'RETIRED', 'TERMINATED', 'RESIGNED_UNDER_INVESTIGATION', 'RETIRED_UNDER_INVESTIGATION',
  'LAID_OFF', 'TRANSFERRED', 'DECEASED', 'OTHER');
CREATE TYPE record_kind AS ENUM (
  'DECERTIFICATION', 'TERMINATION', 'CRIMINAL_CONVICTION', 'CIVIL_JUDGMENT_USE_OF_FORCE',
  'RESIGNATION_UNDER_INVESTIGATION', 'RETIREMENT_UNDER_INVESTIGATION', 'SUSPENSION');
CREATE TYPE reason_category AS ENUM (
  'DISHONESTY', 'ABUSE_OF_POWER', 'EXCESSIVE_FORCE', 'SEXUAL_ASSAULT', 'BIAS', 'CRIMINAL_CONDUCT',
  'LAW_ENFORCEMENT_GANG', 'FAILURE_TO_COOPERATE', 'FAILURE_TO_INTERVENE', 'DOMESTIC_VIOLENCE',
  'SUBSTANCE_ABUSE', 'TRAINING_STANDARDS', 'OTHER');
CREATE TYPE due_process_status AS ENUM (
  'NOTICE_PENDING', 'NOTICE_SERVED', 'HEARING_PENDING', 'APPEAL_PENDING', 'FINAL',
  'OVERTURNED', 'RESCINDED', 'EXPUNGED');
CREATE TYPE name_kind AS ENUM ('PRIMARY', 'ALIAS', 'FORMER');

CREATE TABLE agencies (
  ori         text PRIMARY KEY CHECK (ori ~ '^[A-Z]{2}[A-Z0-9]{7}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  state       char(2) NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
  level       jurisdiction_level NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agencies_state ON agencies (state, ori);

CREATE TABLE publishers (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  kind        publisher_kind NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  state       char(2) CHECK (state ~ '^[A-Z]{2}$'),
  agency_ori  text REFERENCES agencies (ori),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'POST_BOARD' OR state IS NOT NULL),
  CHECK (kind <> 'AGENCY' OR agency_ori IS NOT NULL)
);

-- A publisher's Ed25519 verification keys; an event is checked against the key valid when signed.
CREATE TABLE publisher_keys (
  publisher_id  text NOT NULL REFERENCES publishers (id),
  kid           text NOT NULL CHECK (length(kid) BETWEEN 1 AND 200),
  public_jwk    jsonb NOT NULL,
  valid_from    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kid)
);
CREATE INDEX publisher_keys_publisher ON publisher_keys (publisher_id);

CREATE TABLE officers (
  id               text PRIMARY KEY,
  date_of_birth    date,
  ssn_blind_index  bytea,
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text REFERENCES publishers (id)
);
CREATE INDEX officers_ssn ON officers (ssn_blind_index) WHERE ssn_blind_index IS NOT NULL;
CREATE INDEX officers_dob ON officers (date_of_birth);

CREATE TABLE officer_names (
  id           bigserial PRIMARY KEY,
  officer_id   text NOT NULL REFERENCES officers (id),
  kind         name_kind NOT NULL,
  given_name   text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
  middle_name  text CHECK (length(middle_name) <= 100),
  family_name  text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
  suffix       text CHECK (length(suffix) <= 20),
  normalized   text NOT NULL,
  UNIQUE (officer_id, kind, normalized)
);
CREATE INDEX officer_names_officer ON officer_names (officer_id);
CREATE INDEX officer_names_normalized ON officer_names (normalized);

-- Phonetic/blocking keys computed at write time (no database extensions needed).
CREATE TABLE officer_blocking_keys (
  key         text NOT NULL,
  officer_id  text NOT NULL REFERENCES officers (id),
  PRIMARY KEY (key, officer_id)
);
CREATE INDEX officer_blocking_keys_officer ON officer_blocking_keys (officer_id);

CREATE TABLE certifications (
  id            text PRIMARY KEY,
  officer_id    text NOT NULL REFERENCES officers (id),
  publisher_id  text NOT NULL REFERENCES publishers (id),
  source_id     text NOT NULL,
  state         char(2) NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
  number        text NOT NULL CHECK (length(number) BETWEEN 1 AND 40),
  kind          certification_kind NOT NULL,
  status        certification_status NOT NULL,
  issued_on     date NOT NULL,
  expires_on    date CHECK (expires_on IS NULL OR expires_on >= issued_on),
  status_reason text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (publisher_id, source_id),
  UNIQUE (state, number, kind)
);
CREATE INDEX certifications_officer ON certifications (officer_id, id);
CREATE INDEX certifications_number ON certifications (state, number);

CREATE TABLE employment (
  id                 text PRIMARY KEY,
  officer_id         text NOT NULL REFERENCES officers (id),
  publisher_id       text NOT NULL REFERENCES publishers (id),
  source_id          text NOT NULL,
  agency_ori         text NOT NULL REFERENCES agencies (ori),
  position           text CHECK (length(position) <= 100),
  start_date         date NOT NULL,
  end_date           date CHECK (end_date IS NULL OR end_date >= start_date),
  separation_reason  separation_reason,
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (publisher_id, source_id),
  CHECK ((end_date IS NULL) = (separation_reason IS NULL))
);
CREATE INDEX employment_officer ON employment (officer_id, id);

CREATE TABLE misconduct_records (
  id                    text PRIMARY KEY,
  officer_id            text NOT NULL REFERENCES officers (id),
  publisher_id          text NOT NULL REFERENCES publishers (id),
  source_id             text NOT NULL,
  kind                  record_kind NOT NULL,
  state                 char(2) NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
  agency_ori            text REFERENCES agencies (ori),
  reason_category       reason_category,
  action_date           date,
  narrative             text CHECK (length(narrative) <= 20000),
  case_reference        text CHECK (length(case_reference) <= 200),
  status                due_process_status NOT NULL,
  fair_process_attested boolean NOT NULL DEFAULT false,
  disputed              boolean NOT NULL DEFAULT false,
  subject_statement     text CHECK (length(subject_statement) <= 4000),
  statement_at          timestamptz,
  expunged_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (publisher_id, source_id),
  -- an expunged record keeps no content, only its identity and the log's hash commitment
  CHECK (status <> 'EXPUNGED' OR (narrative IS NULL AND case_reference IS NULL
         AND subject_statement IS NULL AND reason_category IS NULL AND action_date IS NULL))
);
CREATE INDEX misconduct_records_officer ON misconduct_records (officer_id, id);
CREATE INDEX misconduct_records_publisher ON misconduct_records (publisher_id, id);

CREATE TABLE record_status_history (
  id                    bigserial PRIMARY KEY,
  record_id             text NOT NULL REFERENCES misconduct_records (id),
  from_status           due_process_status,
  to_status             due_process_status NOT NULL,
  fair_process_attested boolean NOT NULL,
  reason                text CHECK (length(reason) <= 2000),
  event_id              bigint,
  changed_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX record_status_history_record ON record_status_history (record_id, id);

CREATE TABLE record_disputes (
  id           bigserial PRIMARY KEY,
  record_id    text NOT NULL REFERENCES misconduct_records (id),
  officer_id   text NOT NULL REFERENCES officers (id),
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 4000),
  opened_at    timestamptz NOT NULL DEFAULT now(),
  resolution   text CHECK (resolution IN ('CORRECTED', 'AFFIRMED')),
  resolution_reason text,
  resolved_at  timestamptz,
  resolved_event_id bigint
);
CREATE UNIQUE INDEX record_disputes_open ON record_disputes (record_id) WHERE resolved_at IS NULL;
