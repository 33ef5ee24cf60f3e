"""The demo data set: fictional agencies, publishers, officers and misconduct records, really signed.

``load`` registers eight agencies and eight publishers (four state POST boards, three agency
publishers and one credentialing body), gives every publisher an Ed25519 key whose *private* JWK is
written to ``<data_dir>/demo-keys/<publisher>.jwk`` (mode 0600) so you can sign further events as that
publisher, and then publishes a deterministic data set (``random.Random(13)``) through the ordinary
publishing path (:class:`publishing.apply.Publisher`): every certification, employment period and
misconduct record is a signed event in the transparency log, exactly as a real publisher's would be.

What is in it:

* 150 officers with realistic names (hyphenated and compound Hispanic surnames, diacritics, name
  changes kept as former names), born 1960-2000, each with one or two certifications (peace officer
  or corrections) and one or two employment periods.
* Training (EO 13929 Sec. 4(b)): crisis-intervention training became common from 2016 on (current for
  about half of the officers on a roster in recent years, up from a fifth in 2017). From 2016 it carries a
  ``refresherMonths`` interval (24 or 36) instead of an expiry, with refreshers recorded as
  ``certification.status_changed`` (``ACTIVE``, ``refreshedOn``), some late or let lapse; Florida's
  certificate has no terms. Older crisis-intervention and all de-escalation training expire after
  three years, and some de-escalation training has an annual refresher in addition.
* Six crisis-response programs (``agency_program.published``) published by the three agency
  publishers for their own agencies; two of them ended (``agency_program.ended``).
* 25 misconduct records covering every record kind and every due-process status, built as
  ``record.published`` followed by ``record.status_changed`` steps (FINAL with fair process attested,
  FINAL without attestation, NOTICE_PENDING ... APPEAL_PENDING, OVERTURNED, RESCINDED, EXPUNGED).
* The showcase "wandering officer", Daniel R. Whitfield (born 1979-08-14): terminated by Bayview PD
  (FINAL, attested), decertified by California POST for excessive force (FINAL, attested), a civil
  judgment still HEARING_PENDING, and then certified in Texas as "Danny Whitfield" and hired there.
* Search traps: twins (same surname and date of birth, different given names) and two different
  "Michael Johnson"s with different dates of birth; none of them may be merged.

Registry IDs are normally assigned by the registry at random. So that ``DEMO_ROLES`` can be a
module constant (a development token for the officer role needs a fixed ``officer_id``), the
showcase officer's row is inserted directly with the fixed ID :data:`DEMO_OFFICER_ID` before anything
is published, and every event about him names him by ``subject.registryId``. Everybody else is
registered by their first certification, which names them by name and date of birth (the registry
assigns the ID); ``load`` reads the assigned IDs back from the batch outcomes and every later event
about them, by any publisher, names them by ``subject.registryId``, as a publisher that had looked
them up would. (Linking by name and date of birth alone is deliberately not "strong" in the
registry's matcher unless a middle initial agrees too, so relying on it would register duplicates.)

Event IDs are ``demo-<n>`` and every source ID is fixed, so re-submitting the same events would be
all DUPLICATE (a duplicate's outcome carries the officer ID already assigned, so even the
registry-ID subjects come out the same); ``load`` itself does nothing when the demo is already there
(publisher ``ca-post`` exists). Everything is loaded in one transaction: a failure leaves the
database untouched. Timestamps (``issuedAt``) are backdated to when each thing happened (never
earlier than the keys' ``valid_from``, 2015-01-01), so the log reads like a history.

The modules, in the order the data flows: ``cast`` (agencies, publishers, roles), ``vocabulary``
(names, narratives, record shapes), ``plan`` (the seeded people and careers), ``events`` (the plan as
events to sign), ``keys`` (publisher keys) and ``loader`` (``load``).
"""

from demo.cast import ALREADY_LOADED, DEMO_OFFICER_ID, DEMO_ROLES
from demo.loader import load

__all__ = ["ALREADY_LOADED", "DEMO_OFFICER_ID", "DEMO_ROLES", "load"]
