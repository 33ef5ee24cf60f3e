-- Certification numbers are looked up case-insensitively (verifyCertification, identity linking):
-- without this index those lookups scanned every certification of the state.
CREATE INDEX certifications_number_upper ON certifications (state, upper(number));
