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
  or corrections, some crisis-intervention / de-escalation training) and one or two employment periods.
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
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from joserfc.jwk import OKPKey

from auth.principal import Principal, Role
from ledger.events import generate_ed25519_jwk, public_jwk_dict, sign_event
from publishing.apply import BatchResult, Publisher, Submission
from publishing.payloads import PersonName
from publishing.subjects import normalized_name
from registry import database
from registry.config import Settings
from registry.services import ssn_key
from store import agencies, officers, publishers
from store.models import AgencyRow, PublisherRow

__all__ = ["ALREADY_LOADED", "DEMO_OFFICER_ID", "DEMO_ROLES", "load"]

#: The showcase officer's fixed registry ID (12 Crockford base32 characters, like assigned IDs).
DEMO_OFFICER_ID = "OFC-DEM000000001"
ALREADY_LOADED = "demo data already loaded"

# -- agencies and publishers ---------------------------------------------------------------------

BAYVIEW = "CA0194100"
FEDERAL = "CAFFP0900"
CEDAR_CREEK = "TX2274600"
STATE_PATROL = "TXSHP0000"
TRIBAL = "WA031T900"
EVERGREEN = "WA0173500"
PALMETTO = "FL0480600"
RIVERSIDE = "NY0512300"

AGENCIES: tuple[AgencyRow, ...] = (
    AgencyRow(BAYVIEW, "Bayview Police Department", "CA", "LOCAL"),
    AgencyRow(FEDERAL, "Federal Facilities Police, Western Region", "CA", "FEDERAL"),
    AgencyRow(CEDAR_CREEK, "Cedar Creek Police Department", "TX", "LOCAL"),
    AgencyRow(STATE_PATROL, "Lone Star State Highway Patrol", "TX", "STATE"),
    AgencyRow(TRIBAL, "Salish Bay Tribal Police Department", "WA", "TRIBAL"),
    AgencyRow(EVERGREEN, "Evergreen City Police Department", "WA", "LOCAL"),
    AgencyRow(PALMETTO, "Palmetto County Sheriff's Office", "FL", "LOCAL"),
    AgencyRow(RIVERSIDE, "Riverside Heights Police Department", "NY", "LOCAL"),
)
_AGENCY = {a.ori: a for a in AGENCIES}

PUBLISHERS: tuple[PublisherRow, ...] = (
    PublisherRow("ca-post", "POST_BOARD", "California Commission on Peace Officer Standards and Training", "CA",
                 None),
    PublisherRow("tx-tcole", "POST_BOARD", "Texas Commission on Law Enforcement", "TX", None),
    PublisherRow("wa-cjtc", "POST_BOARD", "Washington State Criminal Justice Training Commission", "WA", None),
    PublisherRow("fl-cjstc", "POST_BOARD", "Florida Criminal Justice Standards and Training Commission", "FL",
                 None),
    PublisherRow("bayview-pd", "AGENCY", "Bayview Police Department", None, BAYVIEW),
    PublisherRow("cedar-creek-pd", "AGENCY", "Cedar Creek Police Department", None, CEDAR_CREEK),
    PublisherRow("riverside-heights-pd", "AGENCY", "Riverside Heights Police Department", None, RIVERSIDE),
    PublisherRow("calea-demo", "CREDENTIALING_BODY", "Law Enforcement Accreditation Commission (demo)", None, None),
)
_POST_BY_STATE = {p.state: p.id for p in PUBLISHERS if p.kind == "POST_BOARD" and p.state}
_AGENCY_PUBLISHER = {p.agency_ori: p.id for p in PUBLISHERS if p.kind == "AGENCY" and p.agency_ori}

DEMO_ROLES: dict[str, dict[str, str]] = {
    "officer": {"officer_id": DEMO_OFFICER_ID},
    "hiring_agency": {"agency_ori": EVERGREEN},
    "partner": {"partner_id": "demo-partner"},
    "publisher": {"publisher_id": "ca-post"},
    "credentialing_body": {"publisher_id": "calea-demo"},
    "auditor": {},
    "admin": {},
}

#: Publisher keys are valid from here, so that backdated ``issuedAt`` values verify.
KEY_VALID_FROM = datetime(2015, 1, 1, tzinfo=UTC)
#: The last day the generated history reaches (fixed, so the data set does not depend on the clock).
HORIZON = date(2025, 12, 31)
BATCH_SIZE = 100
SEED = 13

# -- names ---------------------------------------------------------------------------------------

MALE_NAMES = (
    "James", "Michael", "Robert", "John", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
    "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Andrew", "Joshua", "Kevin", "Brian", "Jason",
    "Ryan", "Eric", "Tyler", "Aaron", "Marcus", "Jamal", "Darnell", "Terrence", "José", "Luis",
    "Carlos", "Miguel", "Juan", "Andrés", "Alejandro", "Jesús", "Héctor", "Raúl", "Minh", "Rajesh",
)
FEMALE_NAMES = (
    "Mary", "Jennifer", "Patricia", "Elizabeth", "Jessica", "Sarah", "Karen", "Lisa", "Ashley", "Emily",
    "Michelle", "Amanda", "Stephanie", "Nicole", "María", "Sofía", "Ana", "Guadalupe", "Lucía", "Keisha",
    "Latoya", "Aaliyah", "Mei", "Priya", "Siobhán", "Zoë",
)
MALE_MIDDLE = ("Lee", "James", "Allen", "Ray", "Edward", "Antonio", "Wayne", "J.", "M.", "R.", "T.")
FEMALE_MIDDLE = ("Ann", "Marie", "Lynn", "Elena", "Nicole", "Rose", "J.", "M.", "R.", "T.")
SURNAMES = (
    "Smith", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
    "Lopez", "Gonzalez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez",
    "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Murphy",
    "O'Brien", "McCarthy", "Kowalski", "Yamamoto", "Kim", "Patel", "Singh", "Chen", "Tran", "Washington",
    "Okafor", "Peña", "Núñez", "Muñoz", "Ibáñez", "De la Cruz", "García Márquez", "Hernández López",
    "Smith-Jones", "Nguyen-Tran", "Garcia-Lopez", "St. Pierre",
)
SUFFIXES = ("Jr.", "Jr.", "Sr.", "II", "III")

# -- records -------------------------------------------------------------------------------------

NARRATIVES = {
    "EXCESSIVE_FORCE": "On {day}, during the arrest of a subject who was already handcuffed and compliant, the "
                       "officer struck the subject repeatedly and applied a carotid restraint not permitted by "
                       "{agency} policy. Body-worn camera footage and two civilian witnesses corroborated the "
                       "complaint.",
    "DISHONESTY": "An internal affairs audit found that the officer wrote false statements in arrest reports, "
                  "including a claimed consent search on {day} that body-worn camera footage showed did not "
                  "occur. The officer's statements in the investigation were also found untruthful.",
    "ABUSE_OF_POWER": "The officer used law-enforcement databases to obtain personal information about a "
                      "former partner and, on {day}, threatened a civilian with arrest to settle a private "
                      "dispute.",
    "SEXUAL_ASSAULT": "Sustained finding that on {day} the officer sexually assaulted a person detained during "
                      "a traffic stop. The matter was referred to the district attorney.",
    "BIAS": "Investigation sustained allegations that the officer exchanged messages expressing racial and "
            "religious bias and applied enforcement disproportionately; the last incident was on {day}.",
    "CRIMINAL_CONDUCT": "The officer was convicted of felony theft for taking cash seized as evidence; the "
                        "conviction was entered on {day}.",
    "LAW_ENFORCEMENT_GANG": "The officer was found to be a member of an unsanctioned group within {agency} "
                            "whose members shared tattoos and rewarded uses of force, a law enforcement gang "
                            "as defined by state law. Finding dated {day}.",
    "FAILURE_TO_COOPERATE": "The officer refused to answer questions in an administrative investigation after a "
                            "lawful order compelling an interview on {day}.",
    "FAILURE_TO_INTERVENE": "On {day} the officer watched a fellow officer kick a restrained subject and neither "
                            "intervened nor reported the use of force, as {agency} policy requires.",
    "DOMESTIC_VIOLENCE": "The officer was convicted of misdemeanor domestic battery against a household member "
                         "on {day}, which prohibits possessing a firearm under 18 U.S.C. 922(g)(9).",
    "SUBSTANCE_ABUSE": "On {day} the officer reported for duty under the influence of alcohol (breath test "
                       "0.11) and drove a patrol vehicle.",
    "TRAINING_STANDARDS": "The officer did not complete the required continuing professional training hours "
                          "for two consecutive reporting periods ending {day}.",
    "OTHER": "Misconduct finding dated {day}.",
}
CASE_PREFIX = {
    "ca-post": "CA-POST", "tx-tcole": "TCOLE", "wa-cjtc": "CJTC", "fl-cjstc": "CJSTC",
    "bayview-pd": "BPD-IA", "cedar-creek-pd": "CCPD-IA", "riverside-heights-pd": "RHPD-IAB",
}
STEP_REASONS = {
    "NOTICE_SERVED": "Notice of the proposed action served on the officer.",
    "HEARING_PENDING": "The officer requested an administrative hearing.",
    "APPEAL_PENDING": "The officer appealed the hearing decision.",
    "FINAL": "The findings were sustained and are final. The officer received written notice, was represented "
             "by counsel and was heard before an impartial hearing officer.",
    "FINAL_UNATTESTED": "The decision is final; the publisher has not attested that fair process was afforded.",
    "OVERTURNED": "Appeal granted: the administrative law judge found the evidence insufficient.",
    "RESCINDED": "The notice was withdrawn after review of new evidence.",
    "EXPUNGED": "Expunged by court order.",
}

# (publisher, kind, reason, outcome, passes through APPEAL_PENDING before its outcome)
RECORD_SPECS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("bayview-pd", "TERMINATION", "DISHONESTY", "FINAL", False),
    ("ca-post", "DECERTIFICATION", "DISHONESTY", "FINAL", False),  # follows the one above: same officer
    ("ca-post", "DECERTIFICATION", "SEXUAL_ASSAULT", "FINAL", True),
    ("ca-post", "CRIMINAL_CONVICTION", "DOMESTIC_VIOLENCE", "FINAL", False),
    ("ca-post", "DECERTIFICATION", "BIAS", "APPEAL_PENDING", False),
    ("bayview-pd", "RESIGNATION_UNDER_INVESTIGATION", "ABUSE_OF_POWER", "FINAL", False),
    ("bayview-pd", "RETIREMENT_UNDER_INVESTIGATION", "SUBSTANCE_ABUSE", "NOTICE_PENDING", False),
    ("bayview-pd", "SUSPENSION", "FAILURE_TO_INTERVENE", "FINAL_UNATTESTED", False),
    ("tx-tcole", "DECERTIFICATION", "CRIMINAL_CONDUCT", "FINAL", False),
    ("tx-tcole", "DECERTIFICATION", "EXCESSIVE_FORCE", "OVERTURNED", True),
    ("tx-tcole", "SUSPENSION", "TRAINING_STANDARDS", "FINAL", False),
    ("cedar-creek-pd", "TERMINATION", "FAILURE_TO_COOPERATE", "FINAL", True),
    ("cedar-creek-pd", "RESIGNATION_UNDER_INVESTIGATION", "SEXUAL_ASSAULT", "HEARING_PENDING", False),
    ("cedar-creek-pd", "SUSPENSION", "BIAS", "RESCINDED", False),
    ("wa-cjtc", "DECERTIFICATION", "LAW_ENFORCEMENT_GANG", "FINAL", True),
    ("wa-cjtc", "CIVIL_JUDGMENT_USE_OF_FORCE", "EXCESSIVE_FORCE", "FINAL", False),
    ("wa-cjtc", "DECERTIFICATION", "DISHONESTY", "NOTICE_SERVED", False),
    ("fl-cjstc", "DECERTIFICATION", "ABUSE_OF_POWER", "FINAL", False),
    ("fl-cjstc", "CRIMINAL_CONVICTION", "DOMESTIC_VIOLENCE", "EXPUNGED", False),
    ("fl-cjstc", "SUSPENSION", "SUBSTANCE_ABUSE", "HEARING_PENDING", False),
    ("riverside-heights-pd", "TERMINATION", "DOMESTIC_VIOLENCE", "APPEAL_PENDING", False),
    ("riverside-heights-pd", "RESIGNATION_UNDER_INVESTIGATION", "DISHONESTY", "NOTICE_PENDING", False),
)
_PENDING = frozenset({"NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING"})
_SEPARATION_FOR = {
    "TERMINATION": "TERMINATED",
    "RESIGNATION_UNDER_INVESTIGATION": "RESIGNED_UNDER_INVESTIGATION",
    "RETIREMENT_UNDER_INVESTIGATION": "RETIRED_UNDER_INVESTIGATION",
}
_KIND_CODE = {"PEACE_OFFICER": "PO", "CORRECTIONS": "CO", "CRISIS_INTERVENTION_TRAINING": "CIT",
              "DE_ESCALATION_TRAINING": "DET"}


# -- the plan: people, their careers and records, before they become events ----------------------

def _name(given: str, family: str, middle: str | None = None, suffix: str | None = None) -> dict[str, Any]:
    name: dict[str, Any] = {"givenName": given}
    if middle:
        name["middleName"] = middle
    name["familyName"] = family
    if suffix:
        name["suffix"] = suffix
    return name


@dataclass
class _Cert:
    state: str
    number: str
    kind: str
    issued_on: date
    expires_on: date | None = None
    changes: list[tuple[date, str, str]] = field(default_factory=list)  # (when, status, reason)
    subject: dict[str, Any] | None = None

    @property
    def source_id(self) -> str:
        return f"{self.state}-{self.number}-{_KIND_CODE[self.kind]}"


@dataclass
class _Job:
    ori: str
    start: date
    position: str
    source_id: str
    end: date | None = None
    reason: str | None = None
    subject: dict[str, Any] | None = None


@dataclass
class _Record:
    publisher: str
    kind: str
    state: str
    ori: str | None
    reason: str
    action: date
    narrative: str
    case_reference: str
    source_id: str
    steps: list[tuple[date, str, bool, str]]  # (when, status, fair process attested, reason)
    subject: dict[str, Any] | None = None


@dataclass
class _Person:
    given: str
    family: str
    dob: date
    state: str
    middle: str | None = None
    suffix: str | None = None
    former_family: str | None = None
    registry_id: str | None = None
    certs: list[_Cert] = field(default_factory=list)
    jobs: list[_Job] = field(default_factory=list)
    records: list[_Record] = field(default_factory=list)

    def subject(self) -> dict[str, Any]:
        subject: dict[str, Any] = {}
        if self.registry_id:
            subject["registryId"] = self.registry_id
        subject["name"] = _name(self.given, self.family, self.middle, self.suffix)
        if self.former_family:
            subject["formerNames"] = [_name(self.given, self.former_family, self.middle)]
        subject["dateOfBirth"] = self.dob.isoformat()
        return subject

    def age_on(self, day: date) -> int:
        return day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))


def _fold(given: str, middle: str | None, family: str) -> str:
    """The registry's normalized form of a name (what its blocking keys are made of)."""
    return normalized_name(PersonName(givenName=given, middleName=middle, familyName=family))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Planner:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: list[_Person] = []
        self.numbers: dict[str, set[str]] = {}
        self.identities: set[tuple[str, date]] = set()
        self.jobs = 0
        self.records = 0

    # helpers
    def day_between(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def cert_number(self, state: str) -> str:
        used = self.numbers.setdefault(state, set())
        low, high = {"CA": (100000, 999999), "TX": (1000000, 9999999), "WA": (20000, 99999),
                     "FL": (200000, 999999)}[state]
        while True:
            number = str(self.rng.randint(low, high))
            if number not in used:
                used.add(number)
                return number

    def job_source(self) -> str:
        self.jobs += 1
        return f"emp-{self.jobs:04d}"

    def identity_free(self, given: str, middle: str | None, family: str, dob: date) -> bool:
        return (_fold(given, middle, family), dob) not in self.identities

    def claim_identity(self, person: _Person) -> None:
        """Keep (name, date of birth) unique, so the registry's matching never merges two people."""
        for family in filter(None, (person.family, person.former_family)):
            self.identities.add((_fold(person.given, person.middle, family), person.dob))

    # people
    def add_person(self, person: _Person) -> _Person:
        self.claim_identity(person)
        self.people.append(person)
        return person

    def random_person(self) -> _Person:
        rng = self.rng
        while True:
            male = rng.random() < 0.72
            given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
            family = rng.choice(SURNAMES)
            middle = rng.choice(MALE_MIDDLE if male else FEMALE_MIDDLE) if rng.random() < 0.45 else None
            suffix = rng.choice(SUFFIXES) if male and rng.random() < 0.06 else None
            dob = self.day_between(date(1960, 1, 1), date(2000, 12, 31))
            former = None
            if rng.random() < 0.05:  # a changed surname, sometimes kept in a hyphenated name
                former = rng.choice([s for s in SURNAMES if " " not in s and "-" not in s])
                if rng.random() < 0.5 and "-" not in family and " " not in family:
                    family = f"{former}-{family}"
            if former != family and middle != family and self.identity_free(given, middle, family, dob) and (
                    former is None or self.identity_free(given, middle, former, dob)):
                state = rng.choices(("CA", "TX", "WA", "FL"), weights=(35, 25, 20, 20))[0]
                return self.add_person(_Person(given, family, dob, state, middle, suffix, former))

    # careers
    def career(self, person: _Person) -> None:
        rng = self.rng
        kind = "CORRECTIONS" if rng.random() < 0.18 else "PEACE_OFFICER"
        academy_age = rng.randint(21, 31)
        issued = min(self.day_between(_add_years(person.dob, academy_age), _add_years(person.dob, academy_age + 1)),
                     HORIZON - timedelta(days=400))
        home = _Cert(person.state, self.cert_number(person.state), kind, issued)
        person.certs.append(home)
        first = _Job(self.pick_agency(person.state, avoid=None), issued + timedelta(days=rng.randint(3, 90)),
                     "", self.job_source())
        first.position = self.position(first.ori, kind)
        person.jobs.append(first)
        self.maybe_end(person, first)
        moved = False
        if first.end is not None and first.reason in ("RESIGNED", "TRANSFERRED", "LAID_OFF", "OTHER") \
                and rng.random() < 0.75 and first.end < HORIZON - timedelta(days=120):
            start = first.end + timedelta(days=rng.randint(14, 120))
            if rng.random() < 0.45:  # a move to another state
                moved = True
                state = rng.choice([s for s in ("CA", "TX", "WA", "FL", "NY", "NY") if s != person.state])
                ori = self.pick_agency(state, avoid=None)
                if state in _POST_BY_STATE:
                    person.certs.append(_Cert(state, self.cert_number(state), "PEACE_OFFICER",
                                              start - timedelta(days=rng.randint(7, 60))))
            else:
                ori = self.pick_agency(person.state, avoid=first.ori)
            if ori:
                second = _Job(ori, start, self.position(ori, kind, lateral=True), self.job_source())
                person.jobs.append(second)
                self.maybe_end(person, second)
        last_day = person.jobs[-1].end or HORIZON - timedelta(days=30)
        lo = max(home.issued_on + timedelta(days=365), date(2012, 1, 1))
        if not moved and rng.random() < 0.35 and lo < last_day:
            training = rng.choice(("CRISIS_INTERVENTION_TRAINING", "DE_ESCALATION_TRAINING"))
            on = self.day_between(lo, last_day)
            cert = _Cert(person.state, home.number, training, on, _add_years(on, 3))
            if cert.expires_on is not None and cert.expires_on < HORIZON:
                cert.changes.append((cert.expires_on, "EXPIRED", "Training credential not renewed."))
            person.certs.append(cert)

    def pick_agency(self, state: str, avoid: str | None) -> str:
        weights = {
            "CA": ((BAYVIEW, 75), (FEDERAL, 25)), "TX": ((CEDAR_CREEK, 65), (STATE_PATROL, 35)),
            "WA": ((EVERGREEN, 70), (TRIBAL, 30)), "FL": ((PALMETTO, 100),), "NY": ((RIVERSIDE, 100),),
        }[state]
        choices = [(ori, w) for ori, w in weights if ori != avoid]
        if not choices:
            return ""
        return self.rng.choices([o for o, _ in choices], weights=[w for _, w in choices])[0]

    def position(self, ori: str, kind: str, *, lateral: bool = False) -> str:
        if kind == "CORRECTIONS":
            return "Corrections Deputy" if ori == PALMETTO else "Detention Officer"
        if lateral and self.rng.random() < 0.3:
            return self.rng.choice(("Detective", "Sergeant", "Corporal"))
        return {FEDERAL: "Federal Police Officer", STATE_PATROL: "Trooper", TRIBAL: "Tribal Police Officer",
                PALMETTO: "Deputy Sheriff"}.get(ori, "Police Officer")

    def maybe_end(self, person: _Person, job: _Job) -> None:
        rng = self.rng
        years = rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 20, 24, 28))
        end = job.start + timedelta(days=365 * years + rng.randint(0, 300))
        if end >= HORIZON or rng.random() < 0.35:
            return
        if person.age_on(end) >= 50 and rng.random() < 0.8:
            reason = "RETIRED"
        else:
            reason = rng.choices(("RESIGNED", "TRANSFERRED", "LAID_OFF", "OTHER", "TERMINATED"),
                                 weights=(55, 15, 6, 6, 4))[0]
        job.end, job.reason = end, reason
        if reason == "RETIRED":
            for cert in person.certs:
                if cert.state == _AGENCY[job.ori].state and cert.kind in ("PEACE_OFFICER", "CORRECTIONS"):
                    cert.changes.append((end + timedelta(days=rng.randint(1, 30)), "INACTIVE",
                                         "Retired from active service."))

    # records
    def steps(self, action: date, outcome: str, appeal: bool) -> list[tuple[date, str, bool, str]]:
        chain = {
            "NOTICE_PENDING": [], "NOTICE_SERVED": ["NOTICE_SERVED"],
            "HEARING_PENDING": ["NOTICE_SERVED", "HEARING_PENDING"],
            "APPEAL_PENDING": ["NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING"],
            "FINAL": ["NOTICE_SERVED", "HEARING_PENDING", *(["APPEAL_PENDING"] if appeal else []), "FINAL"],
            "FINAL_UNATTESTED": ["NOTICE_SERVED", "FINAL_UNATTESTED"],
            "OVERTURNED": ["NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING", "OVERTURNED"],
            "RESCINDED": ["NOTICE_SERVED", "RESCINDED"],
            "EXPUNGED": ["NOTICE_SERVED", "HEARING_PENDING", "FINAL", "EXPUNGED"],
        }[outcome]
        gaps = {"NOTICE_SERVED": (7, 30), "HEARING_PENDING": (20, 60), "APPEAL_PENDING": (60, 150),
                "FINAL": (45, 160), "FINAL_UNATTESTED": (30, 90), "OVERTURNED": (90, 200),
                "RESCINDED": (20, 90), "EXPUNGED": (400, 900)}
        out: list[tuple[date, str, bool, str]] = []
        when = action
        for step in chain:
            when = min(when + timedelta(days=self.rng.randint(*gaps[step])), HORIZON)
            status = "FINAL" if step == "FINAL_UNATTESTED" else step
            out.append((when, status, step == "FINAL", STEP_REASONS[step]))
        return out

    def record(self, person: _Person, publisher: str, kind: str, reason: str, state: str, ori: str | None,
               action: date, outcome: str, appeal: bool, *, narrative: str | None = None,
               case_reference: str | None = None, subject: dict[str, Any] | None = None) -> _Record:
        self.records += 1
        agency_name = _AGENCY[ori].name if ori else "the agency"
        text = narrative or NARRATIVES[reason].format(day=f"{action:%B} {action.day}, {action.year}",
                                                      agency=agency_name)
        ref = case_reference or f"{CASE_PREFIX[publisher]}-{action.year}-{self.rng.randint(100, 9999):04d}"
        rec = _Record(publisher, kind, state, ori, reason, action, text, ref, f"rec-{self.records:03d}",
                      self.steps(action, outcome, appeal), subject)
        person.records.append(rec)
        return rec

    def final_date(self, rec: _Record) -> date | None:
        return next((when for when, status, _, _ in rec.steps if status == "FINAL"), None)


def _showcase(planner: _Planner) -> _Person:
    """Daniel R. Whitfield: terminated and decertified in California, then certified in Texas."""
    dan = planner.add_person(_Person("Daniel", "Whitfield", date(1979, 8, 14), "CA", "R.",
                                     registry_id=DEMO_OFFICER_ID))
    planner.identities.add((_fold("Danny", None, "Whitfield"), dan.dob))
    planner.identities.add((_fold("Daniel", None, "Whitfield"), dan.dob))
    planner.numbers.setdefault("CA", set()).add("148623")
    planner.numbers.setdefault("TX", set()).add("4417290")
    ca = _Cert("CA", "148623", "PEACE_OFFICER", date(2003, 7, 18))
    ca.changes.append((date(2021, 10, 4), "REVOKED", "Decertified by the Commission, case CA-POST-2021-0142."))
    tx = _Cert("TX", "4417290", "PEACE_OFFICER", date(2022, 3, 1), subject={
        "registryId": DEMO_OFFICER_ID, "aliases": [_name("Danny", "Whitfield")], "dateOfBirth": dan.dob.isoformat()})
    dan.certs += [ca, tx]
    bayview_subject = {"registryId": DEMO_OFFICER_ID, "name": _name("Daniel", "Whitfield"),
                       "dateOfBirth": dan.dob.isoformat()}
    dan.jobs.append(_Job(BAYVIEW, date(2004, 1, 12), "Police Officer", planner.job_source(), date(2019, 11, 4),
                         "TERMINATED", subject=bayview_subject))
    dan.jobs.append(_Job(CEDAR_CREEK, date(2022, 3, 14), "Police Officer", planner.job_source(),
                         subject={"registryId": DEMO_OFFICER_ID}))
    rec = planner.record(
        dan, "bayview-pd", "TERMINATION", "EXCESSIVE_FORCE", "CA", BAYVIEW, date(2019, 11, 4), "FINAL", False,
        narrative="On August 2, 2019, Officer Whitfield struck a handcuffed, seated arrestee at least six times "
                  "with a closed fist and applied a carotid restraint after the arrestee had stopped resisting. "
                  "Body-worn camera footage contradicted his written report. Internal affairs sustained "
                  "excessive force and report-writing violations; the Chief terminated his employment.",
        case_reference="BPD-IA-2019-0387", subject=bayview_subject)
    rec.steps = [(date(2019, 11, 18), "NOTICE_SERVED", False, STEP_REASONS["NOTICE_SERVED"]),
                 (date(2019, 12, 20), "HEARING_PENDING", False, STEP_REASONS["HEARING_PENDING"]),
                 (date(2020, 6, 30), "FINAL", True, "The Civil Service Board upheld the termination after a "
                  "three-day evidentiary hearing at which the officer was represented by counsel.")]
    rec = planner.record(
        dan, "ca-post", "DECERTIFICATION", "EXCESSIVE_FORCE", "CA", BAYVIEW, date(2021, 2, 9), "FINAL", False,
        narrative="The Commission revoked the peace officer certification of Daniel R. Whitfield for serious "
                  "misconduct (excessive force) arising from the August 2, 2019 arrest investigated by the "
                  "Bayview Police Department, and for a prior sustained finding of dishonesty in the same "
                  "matter. The Peace Officer Standards Accountability Advisory Board reviewed the case before "
                  "the decision.",
        case_reference="CA-POST-2021-0142")
    rec.steps = [(date(2021, 2, 22), "NOTICE_SERVED", False, STEP_REASONS["NOTICE_SERVED"]),
                 (date(2021, 3, 30), "HEARING_PENDING", False, STEP_REASONS["HEARING_PENDING"]),
                 (date(2021, 10, 4), "FINAL", True, "Decision of the Commission after an administrative hearing "
                  "before an administrative law judge; the officer was represented and did not seek review.")]
    rec = planner.record(
        dan, "ca-post", "CIVIL_JUDGMENT_USE_OF_FORCE", "EXCESSIVE_FORCE", "CA", BAYVIEW, date(2025, 5, 12),
        "HEARING_PENDING", False,
        narrative="Judgment for the plaintiff in a federal civil-rights action (42 U.S.C. 1983) arising from the "
                  "August 2, 2019 arrest; the jury found the force used unreasonable.",
        case_reference="CA-POST-2025-0611")
    return dan


def _plan(rng: random.Random) -> _Planner:
    planner = _Planner(rng)
    _showcase(planner)
    specials = [
        _Person("Brandon", "Castillo", date(1990, 5, 17), "CA"),  # twins
        _Person("Bryan", "Castillo", date(1990, 5, 17), "CA"),
        _Person("Michael", "Johnson", date(1975, 2, 3), "TX"),  # two different Michael Johnsons
        _Person("Michael", "Johnson", date(1986, 11, 29), "FL"),
        _Person("José", "Peña", date(1983, 1, 27), "FL", "Luis"),
    ]
    for person in specials:
        planner.add_person(person)
        planner.career(person)
    while len(planner.people) < 150:
        planner.career(planner.random_person())
    _assign_records(planner)
    return planner


def _assign_records(planner: _Planner) -> None:
    rng = planner.rng
    used: set[int] = {0}
    previous: tuple[_Person, _Record] | None = None
    for index, (publisher, kind, reason, outcome, appeal) in enumerate(RECORD_SPECS):
        final_lo, final_hi = date(2016, 1, 1), date(2023, 6, 30)
        lo, hi = (date(2024, 4, 1), date(2025, 3, 31)) if outcome in _PENDING else (final_lo, final_hi)
        pub = next(p for p in PUBLISHERS if p.id == publisher)
        if index == 1 and previous is not None:  # the POST board decertifies the officer the agency fired
            person, fired = previous
            after = planner.final_date(fired) or fired.action
            action = after + timedelta(days=rng.randint(40, 120))
            cert = next(c for c in person.certs if c.state == "CA" and c.kind in ("PEACE_OFFICER", "CORRECTIONS"))
            rec = planner.record(person, publisher, kind, reason, "CA", fired.ori, action, outcome, appeal)
            _apply_outcome(planner, person, rec, cert)
            continue
        if pub.kind == "AGENCY":
            ori = pub.agency_ori
            assert ori is not None
            state = _AGENCY[ori].state
            candidates = []
            for i, person in enumerate(planner.people):
                job = person.jobs[-1] if person.jobs else None
                if i in used or job is None or job.ori != ori or job.end is not None:
                    continue
                earliest = max(lo, job.start + timedelta(days=365))
                if earliest > hi:
                    continue
                if kind == "RETIREMENT_UNDER_INVESTIGATION" and person.age_on(hi) < 48:
                    continue
                candidates.append((i, person, job, earliest))
            if not candidates:
                raise RuntimeError(f"demo plan: no officer for {publisher} {kind}")
            i, person, job, earliest = rng.choice(candidates)
            used.add(i)
            action = planner.day_between(earliest, hi)
            rec = planner.record(person, publisher, kind, reason, state, ori, action, outcome, appeal)
            if kind in _SEPARATION_FOR:
                job.end, job.reason = action, _SEPARATION_FOR[kind]
            previous = (person, rec)
        else:
            state = pub.state or ""
            post_candidates = []
            for i, person in enumerate(planner.people):
                if i in used:
                    continue
                for cert in person.certs:
                    if cert.state == state and cert.kind in ("PEACE_OFFICER", "CORRECTIONS") and not cert.changes:
                        earliest = max(lo, cert.issued_on + timedelta(days=730))
                        if earliest <= hi:
                            post_candidates.append((i, person, cert, earliest))
                        break
            if not post_candidates:
                raise RuntimeError(f"demo plan: no officer for {publisher} {kind}")
            i, person, cert, earliest = rng.choice(post_candidates)
            used.add(i)
            action = planner.day_between(earliest, hi)
            ori = next((j.ori for j in reversed(person.jobs)
                        if _AGENCY[j.ori].state == state and j.start <= action), None)
            rec = planner.record(person, publisher, kind, reason, state, ori, action, outcome, appeal)
            _apply_outcome(planner, person, rec, cert)


def _apply_outcome(planner: _Planner, person: _Person, rec: _Record, cert: _Cert) -> None:
    """What a final POST decision does to the certification (and to a job in that state)."""
    final = planner.final_date(rec)
    if final is None or rec.steps[-1][1] == "EXPUNGED":
        return
    if rec.kind == "DECERTIFICATION":
        cert.changes.append((final, "REVOKED", f"Certification revoked, case {rec.case_reference}."))
        job = person.jobs[-1]
        if job.end is None and _AGENCY[job.ori].state == rec.state and job.start < final:
            job.end, job.reason = final, "TERMINATED"
    elif rec.kind == "SUSPENSION":
        cert.changes.append((final, "SUSPENDED", f"Suspended for 180 days, case {rec.case_reference}."))
        back = final + timedelta(days=180)
        if back < HORIZON:
            cert.changes.append((back, "ACTIVE", "Suspension period completed."))


# -- from plan to signed events ------------------------------------------------------------------

@dataclass(frozen=True)
class _Pending:
    """One event to sign. ``about``: the person whose registry ID becomes the subject at signing time;
    ``registers``: the person this event registers (the first event about them, named by identity)."""

    when: date
    seq: int
    publisher: str
    payload: dict[str, Any]
    about: int | None = None
    registers: int | None = None


def _employment_publisher(ori: str) -> str:
    return _AGENCY_PUBLISHER.get(ori) or _POST_BY_STATE[_AGENCY[ori].state]


def _events(planner: _Planner) -> list[_Pending]:
    """Every event of the plan in chronological order (ties in the order they were planned).

    A person's first certification names them by name and date of birth and so registers them;
    every later event about them names their registry ID, as a publisher that looked them up would.
    The showcase officer is named by his fixed registry ID throughout.
    """
    out: list[_Pending] = []

    def add(publisher: str, when: date, payload: dict[str, Any], about: int | None = None,
            registers: int | None = None) -> None:
        out.append(_Pending(when, len(out), publisher, payload, about, registers))

    for index, person in enumerate(planner.people):
        def subject(override: dict[str, Any] | None, person: _Person = person) -> dict[str, Any]:
            return override or ({"registryId": person.registry_id} if person.registry_id else {})

        ref = None if person.registry_id else index
        for number, cert in enumerate(person.certs):
            pub = _POST_BY_STATE[cert.state]
            registering = number == 0 and person.registry_id is None
            issued: dict[str, Any] = {
                "type": "certification.issued", "sourceId": cert.source_id,
                "subject": person.subject() if number == 0 else subject(cert.subject), "state": cert.state,
                "number": cert.number, "kind": cert.kind, "status": "ACTIVE", "issuedOn": cert.issued_on.isoformat(),
            }
            if cert.expires_on is not None:
                issued["expiresOn"] = cert.expires_on.isoformat()
            add(pub, cert.issued_on, issued, None if registering or cert.subject else ref,
                index if registering else None)
            for when, status, reason in cert.changes:
                add(pub, when, {"type": "certification.status_changed", "certificationSourceId": cert.source_id,
                                "status": status, "reason": reason})
        for job in person.jobs:
            pub = _employment_publisher(job.ori)
            add(pub, job.start, {"type": "employment.started", "sourceId": job.source_id,
                                 "subject": subject(job.subject), "agencyOri": job.ori,
                                 "position": job.position, "startDate": job.start.isoformat()},
                None if job.subject else ref)
            if job.end is not None:
                assert job.reason is not None
                add(pub, job.end, {"type": "employment.ended", "employmentSourceId": job.source_id,
                                   "endDate": job.end.isoformat(), "separationReason": job.reason})
        for rec in person.records:
            published: dict[str, Any] = {
                "type": "record.published", "sourceId": rec.source_id, "subject": subject(rec.subject),
                "kind": rec.kind, "state": rec.state, "reasonCategory": rec.reason,
                "actionDate": rec.action.isoformat(), "narrative": rec.narrative,
                "caseReference": rec.case_reference, "status": "NOTICE_PENDING", "fairProcessAttested": False,
            }
            if rec.ori is not None:
                published["agencyOri"] = rec.ori
            add(rec.publisher, rec.action, published, None if rec.subject else ref)
            for when, status, attested, reason in rec.steps:
                add(rec.publisher, when, {"type": "record.status_changed", "recordSourceId": rec.source_id,
                                          "status": status, "fairProcessAttested": attested, "reason": reason})
    return sorted(out, key=lambda e: (e.when, e.seq))


def _issued_at(when: date, n: int, now: datetime) -> str:
    earliest = KEY_VALID_FROM + timedelta(days=1)
    moment = datetime(when.year, when.month, when.day, 9 + n % 8, (n * 7) % 60, n % 60, tzinfo=UTC)
    moment = min(max(moment, earliest + timedelta(seconds=n)), now - timedelta(minutes=1))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _batches(events: Sequence[tuple[int, _Pending]]) -> Iterator[tuple[str, list[tuple[int, _Pending]]]]:
    """Per publisher (boards first), in the given order, at most BATCH_SIZE events a batch."""
    for pub in PUBLISHERS:
        mine = [(n, e) for n, e in events if e.publisher == pub.id]
        for start in range(0, len(mine), BATCH_SIZE):
            yield pub.id, mine[start:start + BATCH_SIZE]


# -- keys ----------------------------------------------------------------------------------------

def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _publisher_key(directory: Path, publisher_id: str) -> tuple[OKPKey, str]:
    """The publisher's private key from ``directory``, created there (0600) when missing or unusable."""
    path = directory / f"{publisher_id}.jwk"
    if path.exists():
        try:
            key = OKPKey.import_key(json.loads(path.read_text()))
            kid = key.kid
            if key.is_private and key.curve_name == "Ed25519" and isinstance(kid, str) and kid:
                return key, kid
        except Exception:  # noqa: S110 - an unreadable key file is replaced below
            pass
    kid = f"{publisher_id}-demo-1"
    key = generate_ed25519_jwk(kid)
    _write_private(path, json.dumps(key.as_dict(private=True), indent=2).encode())
    return key, kid


# -- loading -------------------------------------------------------------------------------------

async def load(dsn: str, settings: Settings) -> str:
    """Load the demo data set unless it is already there; return a one-line summary."""
    pool = await database.create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            if (await publishers.by_ids(conn, ["ca-post"]))[0] is not None:
                return ALREADY_LOADED
            key_dir = settings.data_dir / "demo-keys"
            key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            keys = {p.id: _publisher_key(key_dir, p.id) for p in PUBLISHERS}
            planner = _plan(random.Random(SEED))  # noqa: S311 - demo data, not security
            events = _events(planner)
            secret = ssn_key(settings)
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('registry.demo.load'))")
                if (await publishers.by_ids(conn, ["ca-post"]))[0] is not None:
                    return ALREADY_LOADED
                await _register(conn, keys)
                showcase = planner.people[0]
                await officers.insert(conn, officer_id=DEMO_OFFICER_ID, date_of_birth=showcase.dob,
                                      ssn_blind_index=None, created_by="ca-post")
                await _publish(conn, events, keys, secret)
            counts = await _counts(conn)
    finally:
        await pool.close()
    return (f"demo data loaded: {counts['agencies']} agencies, {counts['publishers']} publishers, "
            f"{counts['officers']} officers, {counts['certifications']} certifications, "
            f"{counts['employment']} employment periods, {counts['misconduct_records']} misconduct records, "
            f"{counts['events']} signed events (publisher keys in {key_dir})")


async def _register(conn: asyncpg.Connection, keys: dict[str, tuple[OKPKey, str]]) -> None:
    for agency in AGENCIES:
        await agencies.upsert(conn, agency)
    for pub in PUBLISHERS:
        await publishers.insert(conn, pub)
        key, kid = keys[pub.id]
        await publishers.add_key(conn, pub.id, kid, public_jwk_dict(key), KEY_VALID_FROM)


async def _publish(conn: asyncpg.Connection, events: Sequence[_Pending], keys: dict[str, tuple[OKPKey, str]],
                   secret: bytes) -> None:
    """Register everybody first (their first certification), then publish the rest by registry ID."""
    now = datetime.now(UTC)
    numbered = list(enumerate(events, start=1))
    officer_ids: dict[int, str] = {}
    for phase in (True, False):
        chosen = [(n, e) for n, e in numbered if (e.registers is not None) == phase]
        for publisher_id, batch in _batches(chosen):
            key, kid = keys[publisher_id]
            submissions = []
            for n, event in batch:
                payload = {**event.payload, "eventId": f"demo-{n}", "publisher": publisher_id,
                           "issuedAt": _issued_at(event.when, n, now)}
                if event.about is not None:
                    payload["subject"] = {"registryId": officer_ids[event.about]}
                submissions.append(Submission(sign_event(payload, key, kid)))
            caller = Principal(role=Role.PUBLISHER, subject="demo-loader", publisher_id=publisher_id)
            result = await Publisher(conn, caller, secret).run(submissions, dry_run=False)
            _check(publisher_id, result, [f"demo-{n}" for n, _ in batch])
            for (_, event), outcome in zip(batch, result.outcomes, strict=True):
                if event.registers is not None:
                    assert outcome.officer_id is not None
                    officer_ids[event.registers] = outcome.officer_id


def _check(publisher_id: str, result: BatchResult, event_ids: Sequence[str]) -> None:
    """Raise on a batch that was not committed, naming the first rejected event."""
    if result.committed:
        return
    bad = next((o for o in result.outcomes if o.status == "REJECTED"), None)
    if bad is None:
        raise RuntimeError(f"a demo batch of {publisher_id} was not committed")
    raise RuntimeError(f"demo event {event_ids[bad.index]} of {publisher_id} was rejected: {bad.code}: {bad.message}")


async def _counts(conn: asyncpg.Connection) -> dict[str, int]:
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM agencies) AS agencies, (SELECT count(*) FROM publishers) AS publishers,
                  (SELECT count(*) FROM officers) AS officers, (SELECT count(*) FROM certifications) AS certifications,
                  (SELECT count(*) FROM employment) AS employment,
                  (SELECT count(*) FROM misconduct_records) AS misconduct_records,
                  (SELECT count(*) FROM events) AS events"""
    )
    assert row is not None
    return {name: int(value) for name, value in row.items()}
