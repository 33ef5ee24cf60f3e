-- Signed events and the append-only RFC 9162 Merkle log they are committed to.

CREATE TABLE events (
  id              bigserial PRIMARY KEY,
  publisher_id    text NOT NULL REFERENCES publishers (id),
  event_id        text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
  type            text NOT NULL,
  kid             text NOT NULL,
  jws             text,              -- NULL once expunged: only the log's leaf hash remains
  payload         jsonb,             -- NULL once expunged
  content_digest  bytea NOT NULL,    -- SHA-256 of the canonical payload without its salt (idempotency)
  officer_id      text REFERENCES officers (id),
  entity_id       text,              -- the certification, employment or record the event touched
  log_index       bigint NOT NULL UNIQUE,
  accepted_at     timestamptz NOT NULL DEFAULT now(),
  expunged_at     timestamptz,
  UNIQUE (publisher_id, event_id)
);
CREATE INDEX events_officer ON events (officer_id);
CREATE INDEX events_entity ON events (entity_id);

-- Perfect-subtree hashes: level 0 holds the leaf hashes; (level, idx) covers leaves
-- [idx * 2^level, (idx + 1) * 2^level). A proof reads O(log n) of these rows.
CREATE TABLE log_nodes (
  level  smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
  idx    bigint NOT NULL CHECK (idx >= 0),
  hash   bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);

-- One row: the log's size. Appenders lock it, so concurrent publishers never fork or leave gaps.
CREATE TABLE log_state (
  id    boolean PRIMARY KEY DEFAULT true CHECK (id),
  size  bigint NOT NULL DEFAULT 0
);
INSERT INTO log_state (id, size) VALUES (true, 0);

CREATE TABLE checkpoints (
  size        bigint PRIMARY KEY,
  root_hash   bytea NOT NULL CHECK (length(root_hash) = 32),
  note        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
