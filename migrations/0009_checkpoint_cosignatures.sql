-- Witness cosignatures (C2SP tlog-cosignature lines) collected for each checkpoint; served after the
-- registry's own signature line, so the stored note plus these lines is the cosigned checkpoint.
ALTER TABLE checkpoints ADD COLUMN cosignatures text NOT NULL DEFAULT ''
  CHECK (cosignatures = '' OR cosignatures LIKE '— %');
