-- Weak identity matches wait for a person: a publisher confirms (merge) or rejects a proposed link.

CREATE TYPE link_proposal_status AS ENUM ('PENDING', 'CONFIRMED', 'REJECTED');

CREATE TABLE link_proposals (
  id               bigserial PRIMARY KEY,
  officer_id       text NOT NULL REFERENCES officers (id),   -- the officer registered by the new event
  candidate_id     text NOT NULL REFERENCES officers (id),   -- the existing officer it may be
  score            real NOT NULL CHECK (score BETWEEN 0 AND 1),
  reasons          jsonb NOT NULL,
  proposed_by      text NOT NULL REFERENCES publishers (id),
  status           link_proposal_status NOT NULL DEFAULT 'PENDING',
  decided_by       text REFERENCES publishers (id),
  decided_event_id bigint,
  decision_reason  text CHECK (length(decision_reason) <= 2000),
  created_at       timestamptz NOT NULL DEFAULT now(),
  decided_at       timestamptz,
  UNIQUE (officer_id, candidate_id),
  CHECK (officer_id <> candidate_id)
);
CREATE INDEX link_proposals_pending ON link_proposals (status, id);
CREATE INDEX link_proposals_candidate ON link_proposals (candidate_id);

-- A confirmed link merges the newer officer into the existing one; the old ID keeps resolving.
ALTER TABLE officers ADD COLUMN merged_into text REFERENCES officers (id);
CREATE INDEX officers_merged_into ON officers (merged_into) WHERE merged_into IS NOT NULL;
