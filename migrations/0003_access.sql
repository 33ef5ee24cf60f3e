-- Subject rights and the disclosure (query) log.

CREATE TYPE query_purpose AS ENUM (
  'PRE_EMPLOYMENT_BACKGROUND_CHECK', 'CONTINUOUS_MONITORING', 'OVERSIGHT_AUDIT',
  'CREDENTIAL_VERIFICATION', 'CERTIFICATION_ACTION', 'LITIGATION_HOLD');

-- Append-only by construction: the API has no update or delete path, and triggers refuse both.
CREATE TABLE query_log (
  id            bigserial PRIMARY KEY,
  officer_id    text NOT NULL REFERENCES officers (id),
  actor_role    text NOT NULL,
  actor_subject text NOT NULL,
  actor_org     text,
  purpose       query_purpose NOT NULL,
  returned      jsonb NOT NULL,
  queried_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX query_log_officer ON query_log (officer_id, id);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER query_log_append_only BEFORE UPDATE OR DELETE ON query_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE notifications (
  id          bigserial PRIMARY KEY,
  officer_id  text NOT NULL REFERENCES officers (id),
  record_id   text REFERENCES misconduct_records (id),
  kind        text NOT NULL,
  message     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  read_at     timestamptz
);
CREATE INDEX notifications_officer ON notifications (officer_id, id);
