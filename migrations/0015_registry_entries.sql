-- Registrations as signed log entries. Who may publish (agencies, publishers, publisher keys and their
-- revocations) is decided by admin actions; each is now a JWS under the registry's admin key, appended to
-- the same Merkle log as publishers' events in the transaction that changes the tables. The tables
-- agencies, publishers and publisher_keys are a projection of these entries: the audit derives them again
-- and names any row written behind the API, and event signatures are checked against the keys the log
-- registered, not against the publisher_keys table.
CREATE TABLE registry_entries (
  log_index    bigint PRIMARY KEY,
  type         text NOT NULL,
  kid          text NOT NULL,
  jws          text NOT NULL,
  payload      jsonb NOT NULL,
  accepted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registry_entries_type ON registry_entries (type, log_index);

-- Every log entry with the row that holds its content: what the audits walk in log order.
CREATE VIEW log_entries AS
  SELECT id, log_index, jws, payload, expunged_at, kid, 'events'::text AS source FROM events
  UNION ALL
  SELECT log_index, log_index, jws, payload, NULL::timestamptz, kid, 'registry_entries'::text FROM registry_entries;

-- Publishing resolves an event's kid through the registrations that made and revoked it.
CREATE INDEX registry_entries_kid ON registry_entries ((payload ->> 'kid'), log_index)
  WHERE type IN ('registry.key.registered', 'registry.key.revoked');
