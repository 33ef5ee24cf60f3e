-- EO 13929 Sec. 3(d): an agency meets the submission condition of grant eligibility by a signed annual
-- statement, either "we submitted our Sec. 3(b) information for the year" (reporting.submitted) or "we had
-- nothing to report" (reporting.nothing_to_report). The public verdict no longer depends on whether
-- misconduct records exist for the year: a record still in due process must not move a public answer.
ALTER TABLE reporting_attestations
  ADD COLUMN kind text NOT NULL DEFAULT 'NOTHING_TO_REPORT' CHECK (kind IN ('NOTHING_TO_REPORT', 'SUBMITTED'));
