"""The plan: people, their careers and records, drawn from a seeded generator before any event exists.

Order (each step draws from the one generator, so adding a step at the end changes nothing before it): the
showcase officer and the search traps, everybody else's career (``OFFICERS`` in all), the hand-specified
records of ``RECORD_SPECS`` (every kind and every due-process path), the bulk of the records year by year and
state by state (``_bulk_records``), training, and the agencies' crisis-response programs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from demo.cast import (
    AGENCY_BY_ORI,
    AGENCY_PUBLISHER,
    BAYVIEW,
    CEDAR_CREEK,
    DEMO_OFFICER_ID,
    HORIZON,
    OFFICERS,
    POST_BOARD_BY_STATE,
    PUBLISHERS,
    STATES,
)
from demo.vocabulary import (
    AGENCY_CASES,
    AGENCY_WEIGHTS,
    BOARD_CASES,
    CASE_PREFIX,
    CASES_PER_THOUSAND,
    CERT_NUMBERS,
    CIT_TAKE_UP,
    DECERTIFYING,
    FEMALE_MIDDLE,
    FEMALE_NAMES,
    KIND_CODE,
    MALE_MIDDLE,
    MALE_NAMES,
    NARRATIVES,
    PENDING_STATUSES,
    PROGRAM_SPECS,
    REASONS_BY_KIND,
    RECORD_SPECS,
    REGISTRY_OPENED,
    SEPARATION_FOR,
    SHERIFF_OFFICES,
    STATE_WEIGHTS,
    STEP_REASONS,
    SUFFIXES,
    SURNAMES,
    TITLES,
)
from publishing.payloads import TRAINING_KINDS, PersonName
from publishing.subjects import normalized_name
from publishing.training import add_months

CIT = "CRISIS_INTERVENTION_TRAINING"
SWORN = ("PEACE_OFFICER", "CORRECTIONS")
#: From here on crisis-intervention training has a refresher interval instead of a fixed three-year expiry.
REFRESHER_ERA = date(2016, 1, 1)
#: Officers still on a roster on or after this day were offered crisis-intervention training by their state.
CIT_PUSH = date(2018, 1, 1)
#: States whose crisis-intervention certificate, from REFRESHER_ERA on, neither expires nor needs a refresher.
CIT_WITHOUT_TERMS = frozenset({"FL"})
#: Statuses of the certification an officer serves under after which no training is planned.
_OUT_OF_SERVICE = frozenset({"INACTIVE", "SUSPENDED", "REVOKED", "EXPIRED", "SURRENDERED"})
#: The years the bulk of the records covers (the public statistics' range).
RECORD_YEARS = range(2016, HORIZON.year + 1)

Step = tuple[date, str, bool, str]  # (when, status, fair process attested, reason)


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
    refresher_months: int | None = None  # training kinds: months it stays current after it was last completed
    refreshers: list[date] = field(default_factory=list)  # days refreshers were completed (status ACTIVE)

    @property
    def source_id(self) -> str:
        return f"{self.state}-{self.number}-{KIND_CODE[self.kind]}"


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
    steps: list[Step]
    subject: dict[str, Any] | None = None
    #: How it was first published: on ``opened`` (None: the action date) with this status and attestation.
    opened: date | None = None
    initial: tuple[str, bool] = ("NOTICE_PENDING", False)

    @property
    def published_on(self) -> date:
        return self.opened or self.action

    @property
    def status(self) -> str:
        return self.steps[-1][1] if self.steps else self.initial[0]

    @property
    def settled_on(self) -> date | None:
        """The day it became FINAL with fair process attested (and so may stand behind other facts)."""
        if self.initial == ("FINAL", True):
            return self.published_on
        return next((when for when, status, attested, _ in self.steps if status == "FINAL" and attested), None)


@dataclass(frozen=True)
class _Program:
    publisher: str
    ori: str
    source_id: str
    kind: str
    partner: str
    start: date
    published: date  # the day the agency published it (it signs once the program has started)
    end: date | None = None
    end_reason: str | None = None
    ended: date | None = None  # the day it published the end


@dataclass
class Person:
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


def _identities(given: str, middle: str | None, family: str, dob: date) -> set[tuple[str, date]]:
    """What must be unique for the registry's matching never to link two different people: the name with and
    without the middle name, and with each half of a hyphenated or compound surname."""
    families = {family, *family.replace("-", " ").split()}
    return {(_fold(given, m, f), dob) for f in families for m in {middle, None}}


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


class Planner:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: list[Person] = []
        self.numbers: dict[str, set[str]] = {}
        self.identities: set[tuple[str, date]] = set()
        self.jobs = 0
        self.records = 0
        self.programs: list[_Program] = []

    # helpers
    def day_between(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def cert_number(self, state: str) -> str:
        used = self.numbers.setdefault(state, set())
        low, high = CERT_NUMBERS[state]
        while True:
            number = str(self.rng.randint(low, high))
            if number not in used:
                used.add(number)
                return number

    def job_source(self) -> str:
        self.jobs += 1
        return f"emp-{self.jobs:05d}"

    def identity_free(self, given: str, middle: str | None, family: str, dob: date) -> bool:
        return self.identities.isdisjoint(_identities(given, middle, family, dob))

    def claim_identity(self, person: Person) -> None:
        """Keep (name, date of birth) unique, so the registry's matching never merges two people."""
        for family in filter(None, (person.family, person.former_family)):
            self.identities |= _identities(person.given, person.middle, family, person.dob)

    # people
    def add_person(self, person: Person) -> Person:
        self.claim_identity(person)
        self.people.append(person)
        return person

    def random_person(self) -> Person:
        rng = self.rng
        while True:
            male = rng.random() < 0.72
            given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
            family = rng.choice(SURNAMES)
            middle = rng.choice(MALE_MIDDLE if male else FEMALE_MIDDLE) if rng.random() < 0.45 else None
            suffix = rng.choice(SUFFIXES) if male and rng.random() < 0.06 else None
            dob = self.day_between(date(1965, 1, 1), date(2001, 12, 31))
            former = None
            if rng.random() < 0.05:  # a changed surname, sometimes kept in a hyphenated name
                former = rng.choice([s for s in SURNAMES if " " not in s and "-" not in s])
                if rng.random() < 0.5 and "-" not in family and " " not in family:
                    family = f"{former}-{family}"
            if former != family and middle != family and self.identity_free(given, middle, family, dob) and (
                    former is None or self.identity_free(given, middle, former, dob)):
                state = _pick(rng, STATE_WEIGHTS)
                return self.add_person(Person(given, family, dob, state, middle, suffix, former))

    # careers
    def career(self, person: Person) -> None:
        rng = self.rng
        kind = "CORRECTIONS" if rng.random() < 0.15 else "PEACE_OFFICER"
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
                and rng.random() < 0.55 and first.end < HORIZON - timedelta(days=120):
            start = first.end + timedelta(days=rng.randint(14, 120))
            if rng.random() < 0.35:  # a move to another state
                moved = True
                state = rng.choice([s for s in STATES if s != person.state])
                ori = self.pick_agency(state, avoid=None)
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
        if not moved and rng.random() < 0.1 and lo < last_day:
            training = rng.choice(("CRISIS_INTERVENTION_TRAINING", "DE_ESCALATION_TRAINING"))
            on = self.day_between(lo, last_day)
            person.certs.append(_Cert(person.state, home.number, training, on))  # its terms: _plan_training

    def pick_agency(self, state: str, avoid: str | None) -> str:
        choices = tuple((ori, w) for ori, w in AGENCY_WEIGHTS[state] if ori != avoid)
        return _pick(self.rng, choices) if choices else ""

    def position(self, ori: str, kind: str, *, lateral: bool = False) -> str:
        if kind == "CORRECTIONS":
            return "Corrections Deputy" if ori in SHERIFF_OFFICES else "Detention Officer"
        if lateral and self.rng.random() < 0.3:
            return self.rng.choice(("Detective", "Sergeant", "Corporal"))
        return TITLES.get(ori) or ("Deputy Sheriff" if ori in SHERIFF_OFFICES else "Police Officer")

    def maybe_end(self, person: Person, job: _Job) -> None:
        """A separation unrelated to misconduct (those come with the records), or none."""
        rng = self.rng
        years = rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 20, 24, 28))
        end = job.start + timedelta(days=365 * years + rng.randint(0, 300))
        if end >= HORIZON or rng.random() < 0.5:
            return
        if person.age_on(end) >= 50 and rng.random() < 0.8:
            reason = "RETIRED"
        else:
            reason = rng.choices(("RESIGNED", "TRANSFERRED", "LAID_OFF", "OTHER"), weights=(60, 16, 7, 7))[0]
        job.end, job.reason = end, reason
        if reason == "RETIRED":
            for cert in person.certs:
                if cert.state == AGENCY_BY_ORI[job.ori].state and cert.kind in SWORN:
                    cert.changes.append((end + timedelta(days=rng.randint(1, 30)), "INACTIVE",
                                         "Retired from active service."))

    # records
    def steps(self, action: date, outcome: str, appeal: bool) -> list[Step]:
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
        out: list[Step] = []
        when = action
        for step in chain:
            when = min(when + timedelta(days=self.rng.randint(*gaps[step])), HORIZON)
            status = "FINAL" if step == "FINAL_UNATTESTED" else step
            out.append((when, status, step == "FINAL", STEP_REASONS[step]))
        return out

    def record(self, person: Person, publisher: str, kind: str, reason: str, state: str, ori: str | None,
               action: date, outcome: str, appeal: bool, *, narrative: str | None = None,
               case_reference: str | None = None, subject: dict[str, Any] | None = None) -> _Record:
        steps = self.steps(action, outcome, appeal)
        return self._add_record(person, publisher, kind, reason, state, ori, action, steps, narrative=narrative,
                                case_reference=case_reference, subject=subject)

    def _add_record(self, person: Person, publisher: str, kind: str, reason: str, state: str, ori: str | None,
                    action: date, steps: list[Step], *, narrative: str | None = None,
                    case_reference: str | None = None, subject: dict[str, Any] | None = None) -> _Record:
        self.records += 1
        agency_name = AGENCY_BY_ORI[ori].name if ori else "the agency"
        text = narrative or NARRATIVES[reason].format(day=f"{action:%B} {action.day}, {action.year}",
                                                      agency=agency_name)
        ref = case_reference or f"{CASE_PREFIX[publisher]}-{action.year}-{self.rng.randint(100, 9999):04d}"
        rec = _Record(publisher, kind, state, ori, reason, action, text, ref, f"rec-{self.records:05d}", steps,
                      subject)
        person.records.append(rec)
        return rec

    def final_date(self, rec: _Record) -> date | None:
        return next((when for when, status, _, _ in rec.steps if status == "FINAL"), None)

    def bulk_record(self, person: Person, publisher: str, kind: str, reason: str, state: str, ori: str,
                    action: date) -> _Record | None:
        """A record of the bulk, with its due process drawn from the calendar: notice served on the action
        date, a hearing (most officers ask for one), sometimes an appeal, then the outcome; whatever has not
        happened by HORIZON is still pending. A matter decided before the registry opened is published as
        decided, in one event (or, if it came to nothing, never)."""
        rng = self.rng
        steps: list[Step] = []
        when = action
        if rng.random() < 0.6:
            when += timedelta(days=rng.randint(20, 60))
            steps.append((when, "HEARING_PENDING", False, STEP_REASONS["HEARING_PENDING"]))
            if rng.random() < 0.35:
                when += timedelta(days=rng.randint(60, 150))
                steps.append((when, "APPEAL_PENDING", False, STEP_REASONS["APPEAL_PENDING"]))
        when += timedelta(days=rng.randint(45, 160))
        draw = rng.random()
        if draw < 0.06 and steps:
            outcome = ("OVERTURNED", False, STEP_REASONS["OVERTURNED"])
        elif draw < 0.10:
            outcome = ("RESCINDED", False, STEP_REASONS["RESCINDED"])
        elif draw < 0.14:
            outcome = ("FINAL", False, STEP_REASONS["FINAL_UNATTESTED"])
        else:
            outcome = ("FINAL", True, STEP_REASONS["FINAL"])
        if when < REGISTRY_OPENED:
            if outcome[0] != "FINAL":
                return None
            rec = self._add_record(person, publisher, kind, reason, state, ori, action, [])
            rec.opened, rec.initial = when, ("FINAL", outcome[1])
            return rec
        steps.append((when, *outcome))
        rec = self._add_record(person, publisher, kind, reason, state, ori, action,
                               [s for s in steps if s[0] <= HORIZON])
        rec.initial = ("NOTICE_SERVED", False)
        return rec


def _showcase(planner: Planner) -> Person:
    """Daniel R. Whitfield: terminated and decertified in California, then certified in Texas."""
    dan = planner.add_person(Person("Daniel", "Whitfield", date(1979, 8, 14), "CA", "R.",
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


def make_plan(rng: random.Random, officers: int = OFFICERS) -> Planner:
    """The whole plan, with ``officers`` officers (a smaller data set keeps every hand-written part)."""
    planner = Planner(rng)
    _showcase(planner)
    specials = [
        Person("Brandon", "Castillo", date(1990, 5, 17), "CA"),  # twins
        Person("Bryan", "Castillo", date(1990, 5, 17), "CA"),
        Person("Michael", "Johnson", date(1975, 2, 3), "TX"),  # two different Michael Johnsons
        Person("Michael", "Johnson", date(1986, 11, 29), "FL"),
        Person("José", "Peña", date(1983, 1, 27), "FL", "Luis"),
    ]
    for person in specials:
        planner.add_person(person)
        planner.career(person)
    while len(planner.people) < officers:
        planner.career(planner.random_person())
    _assign_records(planner)
    _bulk_records(planner)
    _plan_training(planner)  # after the records, which end careers
    _plan_programs(planner)
    return planner


# -- the bulk of the records -----------------------------------------------------------------------------------

def _sworn_cert(person: Person, state: str, day: date) -> _Cert | None:
    """The person's certification to serve in ``state``, issued by ``day`` and in good standing then."""
    for cert in person.certs:
        if cert.state == state and cert.kind in SWORN and cert.issued_on <= day:
            if any(when <= day and status in _OUT_OF_SERVICE for when, status, _ in cert.changes):
                return None
            return cert
    return None


def _bulk_records(planner: Planner) -> None:
    """For each year and state, cases for about CASES_PER_THOUSAND of every 1,000 officers serving there that
    year (an officer has at most one case, and nobody of the showcase or of RECORD_SPECS has one)."""
    rng = planner.rng
    busy = {id(p) for p in planner.people if p.records or p.registry_id}
    for year in RECORD_YEARS:
        first, last = date(year, 1, 1), min(date(year, 12, 31), HORIZON - timedelta(days=20))
        for state in STATES:
            serving = []
            for person in planner.people:
                job = person.jobs[-1]
                if id(person) in busy or AGENCY_BY_ORI[job.ori].state != state:
                    continue
                lo, hi = max(first, job.start + timedelta(days=180)), min(last, job.end or last)
                cert = _sworn_cert(person, state, lo) if lo <= hi else None
                if cert is not None:
                    serving.append((person, job, cert, lo, hi))
            expected = len(serving) * CASES_PER_THOUSAND / 1000
            cases = min(len(serving), round(expected * rng.uniform(0.8, 1.2)))
            for person, job, cert, lo, hi in rng.sample(serving, cases):
                busy.add(id(person))
                _case(planner, person, job, cert, planner.day_between(lo, hi))


def _case(planner: Planner, person: Person, job: _Job, cert: _Cert, action: date) -> None:
    """One matter: the record, what it does to the job and the certification, and a board's decertification
    after a final termination, resignation under investigation or conviction for a serious reason."""
    rng = planner.rng
    state = cert.state
    board = POST_BOARD_BY_STATE[state]
    agency_publisher = AGENCY_PUBLISHER.get(job.ori)
    if agency_publisher is not None:
        kind = _pick(rng, AGENCY_CASES)
        if kind == "RETIREMENT_UNDER_INVESTIGATION" and person.age_on(action) < 42:
            kind = "RESIGNATION_UNDER_INVESTIGATION"
        publisher = board if kind.startswith("POST:") else agency_publisher
        kind = kind.removeprefix("POST:")
    else:
        kind, publisher = _pick(rng, BOARD_CASES), board
    reason = _pick(rng, REASONS_BY_KIND[kind])
    rec = planner.bulk_record(person, publisher, kind, reason, state, job.ori, action)
    if rec is None:  # it came to nothing before the registry opened
        return
    if kind in SEPARATION_FOR:  # the separation happened, whatever becomes of the record
        _separate(job, cert, action, SEPARATION_FOR[kind])
        if rec.status in ("OVERTURNED", "RESCINDED"):  # and was undone: reinstated
            back = rec.steps[-1][0] + timedelta(days=rng.randint(14, 45))
            if back < HORIZON:
                person.jobs.append(_Job(job.ori, back, job.position, planner.job_source()))
            return
    settled = rec.settled_on
    if settled is None:
        return
    if kind == "SUSPENSION" and publisher == board:
        cert.changes.append((settled, "SUSPENDED", f"Suspended for 180 days, case {rec.case_reference}."))
        back = settled + timedelta(days=180)
        if back < HORIZON and (job.end is None or job.end > back):
            cert.changes.append((back, "ACTIVE", "Suspension period completed."))
    elif kind == "DECERTIFICATION":
        _revoke(person, job, cert, rec, settled)
    elif reason in DECERTIFYING and rng.random() < {"TERMINATION": 0.6, "RESIGNATION_UNDER_INVESTIGATION": 0.35,
                                                    "CRIMINAL_CONVICTION": 0.75}.get(kind, 0.0):
        decert_on = settled + timedelta(days=rng.randint(40, 120))
        if decert_on < HORIZON - timedelta(days=10):
            decert = planner.bulk_record(person, board, "DECERTIFICATION", reason, state, job.ori, decert_on)
            if decert is not None and decert.settled_on is not None:
                _revoke(person, job, cert, decert, decert.settled_on)


def _separate(job: _Job, cert: _Cert, day: date, reason: str) -> None:
    """The job ends on ``day`` for ``reason``; what the career held for it after that (a retirement) is gone."""
    job.end, job.reason = day, reason
    cert.changes = [c for c in cert.changes if c[0] <= day]


def _revoke(person: Person, job: _Job, cert: _Cert, rec: _Record, day: date) -> None:
    """A final, attested decertification: the certification is revoked and the officer's job there ends."""
    cert.changes = [c for c in cert.changes if c[0] < day]
    cert.changes.append((day, "REVOKED", f"Certification revoked, case {rec.case_reference}."))
    if job.end is None or job.end > day:
        job.end, job.reason = day, "TERMINATED"


def _serving_until(person: Person, state: str, after: date) -> date:
    """The last day (at most HORIZON) the person served in ``state`` under a certification in good standing."""
    ends = [HORIZON if job.end is None else min(job.end, HORIZON) for job in person.jobs
            if AGENCY_BY_ORI[job.ori].state == state]
    last = max(ends, default=after)
    for cert in person.certs:
        if cert.state == state and cert.kind in ("PEACE_OFFICER", "CORRECTIONS"):
            last = min([last, *(when for when, status, _ in cert.changes if status in _OUT_OF_SERVICE)])
    return last


def _training_terms(planner: Planner, person: Person, cert: _Cert) -> None:
    """Crisis-intervention training from REFRESHER_ERA on: current for 24 or 36 months after it was last
    completed, refreshed on time (some agencies every year in service), late now and then, or let lapse;
    in the states of CIT_WITHOUT_TERMS a certificate that stays current (no expiry, no refresher).
    Older crisis-intervention and all de-escalation training: a three-year expiry, and de-escalation
    sometimes an annual refresher in addition. Refreshers stop when the officer stops serving."""
    rng = planner.rng
    serving = _serving_until(person, cert.state, cert.issued_on)
    if cert.kind == CIT and cert.issued_on >= REFRESHER_ERA and cert.state in CIT_WITHOUT_TERMS:
        return
    if cert.kind == CIT and cert.issued_on >= REFRESHER_ERA:
        months = rng.choices((24, 36), weights=(4, 6))[0]
        cert.refresher_months = months
        annual = rng.random() < 0.1
        done = cert.issued_on
        while rng.random() >= 0.15:  # else (15% a cycle) the officer lets it lapse
            if annual:
                nxt = done + timedelta(days=rng.randint(330, 400))
            else:  # mostly in the weeks before it falls due, sometimes a little late
                late = rng.random() < 0.3
                nxt = add_months(done, months) + timedelta(days=rng.randint(5, 60) if late else -rng.randint(1, 80))
            if nxt > serving:
                break
            cert.refreshers.append(nxt)
            done = nxt
        return
    cert.expires_on = _add_years(cert.issued_on, 3)
    if cert.kind != CIT and rng.random() < 0.3:
        cert.refresher_months = 12
        done = cert.issued_on
        while (nxt := done + timedelta(days=rng.randint(300, 380))) < cert.expires_on and nxt <= serving:
            cert.refreshers.append(nxt)
            done = nxt
    if cert.expires_on < HORIZON:
        cert.changes.append((cert.expires_on, "EXPIRED", "Training credential not renewed."))


def _plan_training(planner: Planner) -> None:
    """The terms of the training planned with the careers, and crisis-intervention training for most
    officers still serving in a state with a POST board from CIT_PUSH on (from their state's board)."""
    rng = planner.rng
    for person in planner.people:
        if person.registry_id is not None:  # the showcase officer's story is his records
            continue
        for cert in [c for c in person.certs if c.kind in TRAINING_KINDS]:
            _training_terms(planner, person, cert)
        if any(c.kind == CIT for c in person.certs):
            continue
        job = person.jobs[-1]
        state = AGENCY_BY_ORI[job.ori].state
        home = next((c for c in reversed(person.certs)
                     if c.state == state and c.kind in ("PEACE_OFFICER", "CORRECTIONS")), None)
        if home is None or (job.end is not None and job.end < CIT_PUSH) or rng.random() >= CIT_TAKE_UP[job.ori]:
            continue
        lo = max(job.start + timedelta(days=30), home.issued_on + timedelta(days=30), REFRESHER_ERA)
        hi = _serving_until(person, state, lo)
        if lo > hi:
            continue
        cert = _Cert(state, home.number, CIT, planner.day_between(lo, min(hi, lo + timedelta(days=7 * 365))))
        person.certs.append(cert)
        _training_terms(planner, person, cert)


def _plan_programs(planner: Planner) -> None:
    """The agencies' crisis-response programs, each published by the agency's own publisher."""
    for publisher, source_id, kind, partner, start, end, reason in PROGRAM_SPECS:
        pub = next(p for p in PUBLISHERS if p.id == publisher)
        assert pub.kind == "AGENCY" and pub.agency_ori is not None
        published = min(start + timedelta(days=21), HORIZON)
        ended = None if end is None else min(end + timedelta(days=10), HORIZON)
        planner.programs.append(_Program(publisher, pub.agency_ori, source_id, kind, partner, start, published,
                                         end, reason, ended))


def _assign_records(planner: Planner) -> None:
    rng = planner.rng
    used: set[int] = {0}
    previous: tuple[Person, _Record] | None = None
    for index, (publisher, kind, reason, outcome, appeal) in enumerate(RECORD_SPECS):
        final_lo, final_hi = date(2016, 1, 1), date(2023, 6, 30)
        lo, hi = (date(2024, 4, 1), date(2025, 3, 31)) if outcome in PENDING_STATUSES else (final_lo, final_hi)
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
            state = AGENCY_BY_ORI[ori].state
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
            if kind in SEPARATION_FOR:
                job.end, job.reason = action, SEPARATION_FOR[kind]
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
                        if AGENCY_BY_ORI[j.ori].state == state and j.start <= action), None)
            rec = planner.record(person, publisher, kind, reason, state, ori, action, outcome, appeal)
            _apply_outcome(planner, person, rec, cert)


def _apply_outcome(planner: Planner, person: Person, rec: _Record, cert: _Cert) -> None:
    """What a final POST decision does to the certification (and to a job in that state)."""
    final = planner.final_date(rec)
    if final is None or rec.steps[-1][1] == "EXPUNGED":
        return
    if rec.kind == "DECERTIFICATION":
        cert.changes.append((final, "REVOKED", f"Certification revoked, case {rec.case_reference}."))
        job = person.jobs[-1]
        if job.end is None and AGENCY_BY_ORI[job.ori].state == rec.state and job.start < final:
            job.end, job.reason = final, "TERMINATED"
    elif rec.kind == "SUSPENSION":
        cert.changes.append((final, "SUSPENDED", f"Suspended for 180 days, case {rec.case_reference}."))
        back = final + timedelta(days=180)
        if back < HORIZON:
            cert.changes.append((back, "ACTIVE", "Suspension period completed."))
