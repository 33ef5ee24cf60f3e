-- Identity matching reads the names and certification numbers of every candidate by officer
-- (store.officers.names_and_numbers: up to 150 officers per search). With the columns it reads in the officer
-- indexes, PostgreSQL answers from the index alone (an index-only scan, once VACUUM has set the visibility map)
-- instead of visiting a table page per name and per certification: at 10^6 officers, about 1.2 ms less database
-- CPU per search, a sixth (docs/performance.md, "Latest (2026-12-06)"). They replace the plain officer indexes,
-- which they serve in every other use (the same key columns), under the same names.
CREATE INDEX officer_names_officer_covering ON officer_names (officer_id)
    INCLUDE (kind, id, given_name, middle_name, family_name, suffix);
DROP INDEX officer_names_officer;
ALTER INDEX officer_names_officer_covering RENAME TO officer_names_officer;

CREATE INDEX certifications_officer_covering ON certifications (officer_id, id) INCLUDE (state, number);
DROP INDEX certifications_officer;
ALTER INDEX certifications_officer_covering RENAME TO certifications_officer;
