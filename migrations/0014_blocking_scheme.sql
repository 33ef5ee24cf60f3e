-- Identity blocking scheme 2 (identity/phonetic.py): more keys per officer (given name x partial birth date,
-- the birth date alone), looked up with weights. The keys are Soundex/Metaphone codes computed in Python, so
-- this migration cannot derive them (and needs no extension): it records which scheme each officer's stored
-- keys follow. Officers on file keep their scheme-1 keys, a subset of scheme 2's, so lookups still find them
-- the old way; the registry re-derives an officer's keys from every name on file whenever it publishes about
-- them, and `python -m identity.rekey` re-derives the rest in batches (resumable, idempotent).
ALTER TABLE officers ADD COLUMN blocking_scheme smallint NOT NULL DEFAULT 1;
ALTER TABLE officers ALTER COLUMN blocking_scheme SET DEFAULT 2;  -- new officers: keyed by the current scheme
