"""The demo data set: a synthetic registry of fictional agencies, publishers, officers and misconduct records,
really signed.

``load`` registers 19 agencies in five states and 18 publishers (five state POST boards, ten agency
publishers, the Attorney General's certifying authority and two credentialing bodies), gives every publisher an
Ed25519 key whose *private* JWK is written to ``<data_dir>/demo-keys/<publisher>.jwk`` (mode 0600) so you can
sign further events as that publisher, and then publishes a deterministic data set (``random.Random(13)``)
through the ordinary publishing path (:class:`publishing.apply.Publisher`): every certification, employment
period, misconduct record, credential and statement is a signed event in the transparency log, exactly as a
real publisher's would be. About 12,000 events, in batches of BATCH_SIZE, each batch its own transaction.

What is in it (``docs/demo.md`` has the tables):

* 3,000 officers (``OFFICERS``) with realistic names (hyphenated and compound Hispanic surnames, diacritics,
  name changes kept as former names), born 1965-2001, certified in CA, TX, WA, FL or NY (peace officer or
  corrections), with one or two employment periods (some in a second state), retirements and resignations.
* Misconduct records, 2016-2025: for each year and state, cases for about CASES_PER_THOUSAND of every 1,000
  officers serving there (terminations, resignations and retirements under investigation, suspensions and civil
  judgments from agencies that publish their own records; decertifications, suspensions, convictions and civil
  judgments from the boards), a board's decertification after many final terminations and convictions, and
  what the outcome does to the certification (revoked, suspended for 180 days) and the job. Due process follows
  the calendar: most records are FINAL with fair process attested, some FINAL without attestation, some
  overturned or rescinded (the officer reinstated), and the recent ones still pending. Matters decided before the
  registry opened (2023) are published as decided, in one event. So the public statistics show numbers: about
  900 counted records, every state-and-year cell mostly above the threshold of 11.
* 25 hand-specified records (``RECORD_SPECS``) covering every record kind and every due-process status, built as
  ``record.published`` followed by ``record.status_changed`` steps (one of them expunged).
* EO 13929 Sec. 2 and 3(d): the Attorney General certifies the two credentialing bodies (one re-certified, one
  suspended in 2024), the bodies publish 15 agency credentials (applied, in process, granted with both Sec. 2(c)
  confirmations, renewed, expired, revoked), and the agencies or their boards sign annual statements for
  2016-2025 (a few years missing on purpose), so that grant eligibility has every kind of answer.
* Training (EO 13929 Sec. 4(b)): crisis-intervention training from 2016 on with a ``refresherMonths`` interval
  (24 or 36), refreshers recorded as ``certification.status_changed`` (``ACTIVE``, ``refreshedOn``), some late
  or let lapse; Florida's certificate has no terms; older and de-escalation training expire after three years.
  Nine crisis-response programs (``agency_program.published``) published by agency publishers; two ended.
* The showcase "wandering officer", Daniel R. Whitfield (born 1979-08-14): terminated by Bayview PD
  (FINAL, attested), decertified by California POST for excessive force (FINAL, attested), a civil
  judgment still HEARING_PENDING, and then certified in Texas as "Danny Whitfield" and hired there.
* Search traps: twins (same surname and date of birth, different given names) and two different
  "Michael Johnson"s with different dates of birth; none of them may be merged (and no two officers of the
  bulk share a name and date of birth, with or without a middle name or half of a hyphenated surname).

Registry IDs are normally assigned by the registry at random. So that ``DEMO_ROLES`` can be a
module constant (a development token for the officer role needs a fixed ``officer_id``), the
showcase officer's row is inserted directly with the fixed ID :data:`DEMO_OFFICER_ID` before anything
is published, and every event about him names him by ``subject.registryId``. Everybody else is
registered by their first certification, which names them by name and date of birth (the registry
assigns the ID); ``load`` reads the assigned IDs back from the batch outcomes and every later event
about them, by any publisher, names them by ``subject.registryId``, as a publisher that had looked
them up would. (Linking by name and date of birth alone is deliberately not "strong" in the
registry's matcher unless a middle initial agrees too, so relying on it would register duplicates.)

Event IDs are ``demo-<n>`` (the last one published: ``demo-complete``) and every source ID is fixed, so
re-submitting the same events would be all DUPLICATE (a duplicate's outcome carries the officer ID already
assigned). ``load`` does nothing when the demo is already there, and resumes an interrupted load where it
stopped (``demo.loader``). Timestamps (``issuedAt``) are backdated to when each thing happened (never earlier
than the keys' ``valid_from``, 2015-01-01), so the log reads like a history.

The modules, in the order the data flows: ``cast`` (agencies, publishers, roles, sizes), ``vocabulary``
(names, narratives, record shapes, rates, credentials), ``plan`` (the seeded people, careers and records),
``events`` (the plan as events to sign), ``keys`` (publisher keys) and ``loader`` (``load``).
"""

from demo.cast import ALREADY_LOADED, DEMO_OFFICER_ID, DEMO_ROLES, OFFICERS
from demo.loader import load

__all__ = ["ALREADY_LOADED", "DEMO_OFFICER_ID", "DEMO_ROLES", "OFFICERS", "load"]
