-- Continuous monitoring: enrollments, webhook endpoints, the notices an enrollee receives and the
-- transactional webhook outbox with its delivery attempts. Notices and outbox rows are written in
-- the same transaction as the signed event that caused them, so a notice exists iff the event does.

CREATE TYPE monitor_owner_kind AS ENUM ('AGENCY', 'PARTNER');

-- Who watches which officer: a hiring agency (by its ORI) or a partner (by its partner ID).
CREATE TABLE monitoring_enrollments (
  id          text PRIMARY KEY,
  owner_kind  monitor_owner_kind NOT NULL,
  owner_id    text NOT NULL CHECK (length(owner_id) BETWEEN 1 AND 200),
  officer_id  text NOT NULL REFERENCES officers (id),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (owner_kind, owner_id, officer_id)
);
CREATE INDEX monitoring_enrollments_officer ON monitoring_enrollments (officer_id);

CREATE TABLE webhook_endpoints (
  id               text PRIMARY KEY,
  owner_kind       monitor_owner_kind NOT NULL,
  owner_id         text NOT NULL,
  url              text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
  scheme           text NOT NULL CHECK (scheme IN ('v1a', 'v1')),
  -- HMAC key of a `v1` endpoint (returned once, as whsec_...); NULL for `v1a` (the registry's Ed25519 key)
  secret           bytea CHECK ((scheme = 'v1') = (secret IS NOT NULL)),
  description      text CHECK (length(description) <= 300),
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  disabled_at      timestamptz,
  disabled_reason  text
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner_kind, owner_id) WHERE disabled_at IS NULL;

-- One notice per (enrollee, change). `id` orders them: notice-writing transactions are serialized
-- (an advisory lock, on top of the log append), so ids are assigned in commit order.
CREATE TABLE monitoring_notices (
  id             bigserial PRIMARY KEY,
  public_id      text NOT NULL UNIQUE,          -- msg_...: the webhook-id of every delivery of it
  owner_kind     monitor_owner_kind NOT NULL,
  owner_id       text NOT NULL,
  enrollment_id  text REFERENCES monitoring_enrollments (id) ON DELETE SET NULL,
  officer_id     text NOT NULL REFERENCES officers (id),
  type           text NOT NULL,
  payload        jsonb NOT NULL,                -- exactly what the enrollee may see (auth.policy)
  occurred_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX monitoring_notices_owner ON monitoring_notices (owner_kind, owner_id, id);

CREATE TYPE webhook_delivery_state AS ENUM ('PENDING', 'DELIVERED', 'DEAD', 'CANCELLED');

-- The outbox: one row per (notice, endpoint). A worker claims due rows with FOR UPDATE SKIP LOCKED
-- and leases them by pushing next_attempt_at forward, so a worker that dies mid-request only
-- delays the row until the lease ends; nothing is lost and the webhook-id never changes.
CREATE TABLE webhook_outbox (
  id               bigserial PRIMARY KEY,
  public_id        text NOT NULL UNIQUE,
  webhook_id       text NOT NULL,
  notice_id        bigint REFERENCES monitoring_notices (id) ON DELETE CASCADE,  -- NULL for test pings
  endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  owner_kind       monitor_owner_kind NOT NULL,
  owner_id         text NOT NULL,
  event_type       text NOT NULL,
  body             text NOT NULL,                -- the exact bytes signed and sent on every attempt
  state            webhook_delivery_state NOT NULL DEFAULT 'PENDING',
  attempts         integer NOT NULL DEFAULT 0,     -- every attempt ever (numbers webhook_attempts)
  retry_base       integer NOT NULL DEFAULT 0,     -- attempts before the last replay: the budget restarts
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  claim_token      text,
  claimed_at       timestamptz,
  last_status      integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  dead_at          timestamptz,
  UNIQUE (webhook_id, endpoint_id)
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id) WHERE state = 'PENDING';
CREATE INDEX webhook_outbox_owner ON webhook_outbox (owner_kind, owner_id, state, id);

CREATE TABLE webhook_attempts (
  id           bigserial PRIMARY KEY,
  outbox_id    bigint NOT NULL REFERENCES webhook_outbox (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  worker       text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  status_code  integer,
  error        text,
  retry_at     timestamptz,       -- when the next attempt was scheduled (NULL: delivered or dead)
  UNIQUE (outbox_id, attempt)
);
