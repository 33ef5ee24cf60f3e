-- The order of an upload's batches (publishing.uploads): `registry publish` sends the next batch before the last
-- one's answer has come back, and the registry applies a batch of an upload only once the batch before it is
-- decided. A batch's decision is written in its own transaction when it commits (so it is seen exactly when its
-- events are), and just after the rollback when it does not. Operational state, not registry data: nothing in it
-- comes from, or goes into, the signed log; at most two rows are kept per upload, and a day's.
CREATE TABLE upload_batches (
    issuer     text        NOT NULL,  -- the uploader: the token's issuer and subject
    subject    text        NOT NULL,
    upload     text        NOT NULL,  -- the uploader's ID for the upload
    position   integer     NOT NULL CHECK (position >= 0),
    decision   text        NOT NULL CHECK (decision IN ('COMMITTED', 'NOT_COMMITTED', 'FAILED')),
    decided_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject, upload, position)
);
