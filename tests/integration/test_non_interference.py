"""Non-interference: two registries that differ only by a hidden matter give a caller identical answers.

Each case builds the same base registry twice (an officer certified in California and Texas, employed in
both states, enrolled for monitoring by a Texas hiring agency, with one settled record), adds a matter
that is still hidden to one of them only, then asks a corpus of requests as every caller that must not
learn of the matter: a hiring agency, a partner, another state's board and agency, a credentialing
body, an admin and the public. Answers are compared after generated IDs, timestamps and log positions are
replaced by placeholders (the transparency log shows that events exist, never what they say).

The officer, the auditor and the record's own publisher may know the matter: the last test shows that
they do, so the suite cannot pass by hiding everything from everyone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import asyncpg
import pytest

from tests.conftest import empty_registry
from tests.support import (
    World,
    cert_issued,
    employment_started,
    record_published,
    second_database,
    status_changed,
    subject,
)

PERSON = subject("Rosa", "Delgado", "1981-07-22")
CA_CERT, TX_CERT = "CA-77001", "TX-88001"
HIRING_ORI = "TX2270000"

CALLERS: dict[str, tuple[str, dict[str, str]] | None] = {
    "hiring agency": ("hiring_agency", {"agency_ori": HIRING_ORI}),
    "partner": ("partner", {"partner_id": "hr-system"}),
    "Texas board": ("publisher", {"publisher_id": "tx-tcole"}),
    "Texas agency": ("publisher", {"publisher_id": "austin-pd"}),
    "California agency": ("publisher", {"publisher_id": "sunnyvale-dps"}),
    "credentialing body": ("credentialing_body", {"publisher_id": "accreditation-body"}),
    "admin": ("admin", {}),
    "public": None,
}
PURPOSE = {"Registry-Purpose": "PRE_EMPLOYMENT_BACKGROUND_CHECK"}

OFFICER = """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  id names { kind fullName } dateOfBirth
  certifications { totalCount edges { node { id state number kind status statusReason issuedOn expiresOn
    publisher { id } } } }
  employment { totalCount edges { node { id position startDate endDate separationReason agency { ori }
    publisher { id } } } }
  records { totalCount edges { node { id kind status actionDate reasonCategory narrative caseReference disputed
    subjectStatement fairProcessAttested statusHistory { toStatus reason } } } } } }"""
ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { __typename
  ... on Officer { id employment { edges { node { endDate separationReason } } }
                   certifications { edges { node { status statusReason } } } } } }"""
SEARCH_NAME = """query { searchOfficers(input: {givenName: "Rosa", familyName: "Delgado", dateOfBirth: "1981-07-22"},
  purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { score strong reasons officer { id } } }"""
SEARCH_SSN = """query($i: OfficerSearchInput!) { searchOfficers(input: $i, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  score strong reasons officer { id } } }"""
BASE_SSN = "287-65-4321"
SEARCH_NUMBER = """query($n: String!) { searchOfficers(input: {state: "TX", certificationNumber: $n},
  purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { score strong reasons officer { id } } }"""
VERIFY = """query($s: String!, $n: String!) { verifyCertification(state: $s, number: $n) { state number kind status
  expiresOn } }"""
# the signed attestations are compared for being given (their salts differ every time); their facts are fields
ATTEST = """query($s: String!, $n: String!) { verifyCredential(state: $s, number: $n) { state number kind status
  expiresOn holderBound jws sdJwt sdJwtVc } }"""
NOTICES = """query { monitoringNotices(first: 50) { totalCount edges { node { type officerId data } } } }"""
STATISTICS = """query { publicStatistics { basis minimumCellSize
  cells { state year kind reasonCategory count suppressed } } }"""
# EO 13929 Sec. 4(b): rosters count an officer whose separation reveals a pending matter as still employed
COVERAGE_ROWS = "state sizeBand year activeOfficers currentCrisisTraining shareCurrent suppressed"
COVERAGE = f"""query {{ trainingCoverage {{ total: rows(breakdown: TOTAL) {{ {COVERAGE_ROWS} }}
  state: rows(breakdown: STATE) {{ {COVERAGE_ROWS} }} band: rows(breakdown: SIZE_BAND) {{ {COVERAGE_ROWS} }} }} }}"""
AGENCY_COVERAGE = """query($o: String!) { now: agencyTrainingCoverage(ori: $o) { activeOfficers currentCrisisTraining
  sizeBand reason } then: agencyTrainingCoverage(ori: $o, on: "2024-12-31") { activeOfficers currentCrisisTraining
  sizeBand reason } }"""
ELIGIBILITY = """query($o: String!) { grantEligibility(ori: $o, year: 2024) { informationalReasons
  trainingCoverage { activeOfficers currentCrisisTraining reason } } }"""
# EO 13929 Sec. 3(d): the public verdict, in the year of the hidden matters' action date (2021) and another
VERDICT = """query($o: String!, $y: Int!) { grantEligibility(ori: $o, year: $y) { eligible credentialRequirementMet
  submissionRequirementMet reasons } }"""

_ID = re.compile(r"\b(OFC|REC|CRT|EMP|ENR|NTC|WHK|DLV|PRP)-[0-9A-Z]{12}\b")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
#: Log positions, hashes, signatures and keys: they differ with every run (salts, keys, tree sizes), so only
#: whether they are given (or null) is compared, never their value.
_LOG_FIELDS = {"logIndex", "treeSize", "cursor", "generatedAt", "checkedAt", "validUntil", "leafHash", "checkpoint",
               "inclusionProof", "jws", "sdJwt", "sdJwtVc", "bundle", "kid", "oldRoot", "newRoot", "proof"}


def normalize(transcript: Any) -> str:
    """IDs become ``<OFC#1>`` in order of first appearance; timestamps and log positions become placeholders.

    Lists are compared as multisets: the registry orders some lists by its random IDs, which says nothing.
    """
    def anonymous(text: str) -> str:
        return _TIME.sub("<time>", _ID.sub(lambda m: f"<{m.group(1)}>", text))

    def canonical(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (("<log>" if v is not None else None) if k in _LOG_FIELDS and (k == "bundle" or not
                                                                                      isinstance(v, dict))
                        else canonical(v)) for k, v in node.items()}
        if isinstance(node, list):
            items = [canonical(v) for v in node]
            return sorted(items, key=lambda v: anonymous(json.dumps(v, sort_keys=True, ensure_ascii=False)))
        return node

    text = json.dumps(canonical(transcript), sort_keys=True, ensure_ascii=False)
    seen: dict[str, str] = {}

    def name(m: re.Match[str]) -> str:
        return seen.setdefault(m.group(0), f"<{m.group(1)}#{sum(k.startswith(m.group(1)) for k in seen) + 1}>")

    return _TIME.sub("<time>", _ID.sub(name, text))


async def _reset(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await empty_registry(conn, ("monitoring_enrollments", "monitoring_notices", "webhook_outbox"))


async def _base(world: World) -> dict[str, str]:
    """The registry both worlds share; returns the IDs the corpus asks about."""
    await world.setup()
    oid = (await world.publish_ok("ca-post", cert_issued(number=CA_CERT, subj=PERSON), ssn=BASE_SSN))[0]["officerId"]
    ref = {"registryId": oid}
    await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number=TX_CERT, subj=ref))
    await world.publish_ok("sunnyvale-dps", employment_started(subj=ref))
    await world.publish_ok("austin-pd", employment_started(publisher="austin-pd", source="emp-tx", ori=HIRING_ORI,
                                                          subj=ref))
    await world.publish_ok("ca-post", record_published(source="settled", subj=ref, kind="CRIMINAL_CONVICTION",
                                                       status="FINAL", attested=True))
    await world.ok("mutation($o: ID!) { enrollOfficer(officerId: $o) { id } }", {"o": oid},
                   as_="hiring_agency", agency_ori=HIRING_ORI)
    return {"officer": oid}


RECORD = """query($id: ID!) { record(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { __typename id status } }"""
TYPENAME = """query($id: ID!) { record(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { __typename } }"""
#: Stands in, in the world without the matter, for the hidden record's ID (which exists in neither world there).
ABSENT_RECORD = "REC-0000000000Z0"


async def _corpus(world: World, ids: dict[str, str]) -> dict[str, Any]:
    """Every request of the corpus as every caller; the answers, bodies and status codes."""
    out: dict[str, Any] = {}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("officer", OFFICER, {"id": ids["officer"]}),
        ("entities", ENTITIES, {"r": [{"__typename": "Officer", "id": ids["officer"]}]}),
        ("search by name", SEARCH_NAME, {}),
        ("search by number", SEARCH_NUMBER, {"n": TX_CERT}),
        ("search by SSN", SEARCH_SSN, {"i": {"ssn": BASE_SSN}}),
        ("search by name and SSN", SEARCH_SSN, {"i": {"givenName": "Rosa", "familyName": "Delgado",
                                                      "dateOfBirth": "1981-07-22", "ssn": BASE_SSN}}),
        ("verify CA", VERIFY, {"s": "CA", "n": CA_CERT}),
        ("verify TX", VERIFY, {"s": "TX", "n": TX_CERT}),
        *((f"attest {st}", ATTEST, {"s": st, "n": n}) for st, n in (("CA", CA_CERT), ("TX", TX_CERT))),
        ("notices", NOTICES, {}),
        ("record", RECORD, {"id": ids["record"]}),
        ("record typename", TYPENAME, {"id": ids["record"]}),
        ("record entity", ENTITIES, {"r": [{"__typename": "MisconductRecord", "id": ids["record"]}]}),
        ("statistics", STATISTICS, {}),
        ("training coverage", COVERAGE, {}),
        *((f"coverage of {ori}", AGENCY_COVERAGE, {"o": ori}) for ori in ("CA0010000", HIRING_ORI)),
        *((f"eligibility notes of {ori}", ELIGIBILITY, {"o": ori}) for ori in ("CA0010000", HIRING_ORI)),
        *((f"eligibility of {ori} in {year}", VERDICT, {"o": ori, "y": year})
          for ori in ("CA0010000", HIRING_ORI) for year in (2021, 2024)),
    ]
    for caller, spec in CALLERS.items():
        token = world.token(spec[0], **spec[1]) if spec else None
        for label, query, variables in requests:
            resp = await world.post(query, variables, token=token, headers=PURPOSE)
            out[f"{caller}: {label}"] = {"status": resp.status_code, "body": resp.json()}
    for path in ("/public", "/public/statistics.csv", "/public/training-coverage.csv",
                 "/public?ori=CA0010000&year=2021", f"/public?ori={HIRING_ORI}&year=2021"):
        resp = await world.http.get(path)
        out[f"GET {path}"] = {"status": resp.status_code, "body": resp.text}
    # another state's board checks the officer in a dry run; the hiring agency uploads its roster
    dry = cert_issued(publisher="tx-tcole", state="TX", number="TX-88002", event_id="dry-run-1",
                      subj={"registryId": ids["officer"], "dateOfBirth": PERSON["dateOfBirth"]})
    out["Texas board: publish dry run"] = await world.publish("tx-tcole", dry, dry_run=True)
    roster = f"state,certification_number,date_of_birth\nCA,{CA_CERT},{PERSON['dateOfBirth']}\nTX,{TX_CERT},\n"
    out["hiring agency: roster"] = await world.gql(
        "mutation($c: String!) { enrollRoster(csv: $c) { enrolled alreadyEnrolled notEnrolled "
        "rows { line status officerId reason } } }", {"c": roster}, as_="hiring_agency", agency_ori=HIRING_ORI)
    return out


Matter = Callable[[World, dict[str, str]], Awaitable[str]]  # returns the hidden record's ID


async def pending_termination(world: World, ids: dict[str, str]) -> str:
    """The agency terminated the officer; its TERMINATION record awaits a hearing."""
    ref = {"registryId": ids["officer"]}
    rid: str = (await world.publish_ok("sunnyvale-dps", record_published(
        publisher="sunnyvale-dps", source="term-1", subj=ref, kind="TERMINATION", agency="CA0010000")))[0]["entityId"]
    await world.publish_ok("sunnyvale-dps", status_changed(publisher="sunnyvale-dps", source="term-1",
                                                           status="NOTICE_SERVED"))
    await world.publish_ok("sunnyvale-dps", _ended("emp-1", "TERMINATED", "sunnyvale-dps"))
    return rid


async def resigned_under_investigation(world: World, ids: dict[str, str]) -> str:
    """The officer resigned in Texas while under investigation; the record is at HEARING_PENDING."""
    ref = {"registryId": ids["officer"]}
    rid: str = (await world.publish_ok("austin-pd", record_published(
        publisher="austin-pd", source="rui-1", subj=ref, kind="RESIGNATION_UNDER_INVESTIGATION", state="TX",
        agency=HIRING_ORI)))[0]["entityId"]
    for step in ("NOTICE_SERVED", "HEARING_PENDING"):
        await world.publish_ok("austin-pd", status_changed(publisher="austin-pd", source="rui-1", status=step))
    await world.publish_ok("austin-pd", _ended("emp-tx", "RESIGNED_UNDER_INVESTIGATION", "austin-pd"))
    return rid


async def pending_decertification(world: World, ids: dict[str, str]) -> str:
    """The board opened decertification; it cannot revoke the certification before due process ends."""
    ref = {"registryId": ids["officer"]}
    rid: str = (await world.publish_ok("ca-post", record_published(source="decert-1", subj=ref,
                                                                   kind="DECERTIFICATION")))[0]["entityId"]
    refused = await world.publish("ca-post", _cert_status(f"cert-{CA_CERT}", "REVOKED", "Decertification"))
    assert not refused["committed"] and refused["results"][0]["code"] == "CONFLICT", refused
    await world.publish_ok("ca-post", status_changed(source="decert-1", status="FINAL", attested=False))
    return rid


async def pending_record_expunged(world: World, ids: dict[str, str]) -> str:
    """A record that never reached FINAL, expunged by court order."""
    ref = {"registryId": ids["officer"]}
    event = record_published(source="exp-1", subj=ref, kind="DECERTIFICATION", narrative="A matter later expunged.")
    rid: str = (await world.publish_ok("ca-post", event))[0]["entityId"]
    await world.publish_ok("ca-post", status_changed(source="exp-1", status="NOTICE_SERVED"))
    await world.publish_ok("ca-post", status_changed(source="exp-1", status="EXPUNGED"))
    return rid


def _ended(source: str, reason: str, publisher: str) -> dict[str, Any]:
    from tests.support import _base as base_event

    return {**base_event("employment.ended", publisher, None), "employmentSourceId": source,
            "endDate": "2024-05-31", "separationReason": reason}


def _cert_status(source: str, status: str, reason: str) -> dict[str, Any]:
    from tests.support import _base as base_event

    return {**base_event("certification.status_changed", "ca-post", None), "certificationSourceId": source,
            "status": status, "reason": reason}


#: Each matter, and the caller that published it (entitled to know it, so left out of its comparison).
MATTERS: dict[str, tuple[Matter, str]] = {
    "pending termination with its separation": (pending_termination, "California agency"),
    "resignation under investigation with its separation": (resigned_under_investigation, "Texas agency"),
    "pending decertification with a refused revocation": (pending_decertification, "California board"),
    "a pending record, expunged": (pending_record_expunged, "California board"),
}


async def _two_worlds(pool: asyncpg.Pool, tmp: Any, matter: Matter) -> tuple[dict[str, Any], dict[str, Any], World,
                                                                               dict[str, str]]:
    await _reset(pool)
    plain = World(pool, tmp / "plain")
    plain_ids = await _base(plain) | {"record": ABSENT_RECORD}
    without = await _corpus(plain, plain_ids)
    await _reset(pool)
    hidden = World(pool, tmp / "hidden")
    ids = await _base(hidden)
    ids["record"] = await matter(hidden, ids)
    with_matter = await _corpus(hidden, ids)
    return without, with_matter, hidden, ids


@pytest.mark.parametrize("matter", list(MATTERS))
async def test_a_hidden_matter_changes_no_answer(pool: asyncpg.Pool, tmp_path: Any, matter: str) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "hidden").mkdir()
    scenario, author = MATTERS[matter]
    without, with_matter, _, _ = await _two_worlds(pool, tmp_path, scenario)
    assert without.keys() == with_matter.keys()
    compared = [k for k in without if not k.startswith(f"{author}: ")]
    assert len(compared) >= 70
    differing = [k for k in compared if normalize(without[k]) != normalize(with_matter[k])]
    assert not differing, "\n".join(
        f"{k}:\n  without: {normalize(without[k])[:600]}\n  with:    {normalize(with_matter[k])[:600]}"
        for k in differing)
    # the corpus is not empty-handed: the hiring agency reads the officer, both certifications and the settled record
    officer = without["hiring agency: officer"]["body"]["data"]["officer"]
    assert officer["certifications"]["totalCount"] == 2 and officer["records"]["totalCount"] == 1
    assert officer["employment"]["totalCount"] == 2


async def test_those_entitled_do_learn_of_the_matter(pool: asyncpg.Pool, tmp_path: Any) -> None:
    """The officer, an auditor and the agency that published it read the separation the others do not."""
    (tmp_path / "plain").mkdir()
    (tmp_path / "hidden").mkdir()
    _, _, world, ids = await _two_worlds(pool, tmp_path, pending_termination)
    readers = {"officer": {"officer_id": ids["officer"]}, "auditor": {}, "publisher": {"publisher_id": "sunnyvale-dps"}}
    for role, bindings in readers.items():
        data = await world.ok(OFFICER, {"id": ids["officer"]}, as_=role, headers=PURPOSE, **bindings)
        ends = {e["node"]["publisher"]["id"]: e["node"]["separationReason"]
                for e in data["officer"]["employment"]["edges"]}
        assert ends["sunnyvale-dps"] == "TERMINATED", (role, ends)
    hiring = await world.ok(OFFICER, {"id": ids["officer"]}, as_="hiring_agency", agency_ori=HIRING_ORI,
                            headers=PURPOSE)
    ends = {e["node"]["publisher"]["id"]: (e["node"]["endDate"], e["node"]["separationReason"])
            for e in hiring["officer"]["employment"]["edges"]}
    assert ends["sunnyvale-dps"] == (None, None)
    # once due process ends with fair process attested, the separation is part of the history for everyone
    await world.publish_ok("sunnyvale-dps", status_changed(publisher="sunnyvale-dps", source="term-1",
                                                           status="HEARING_PENDING"))
    await world.publish_ok("sunnyvale-dps", status_changed(publisher="sunnyvale-dps", source="term-1",
                                                           status="FINAL", attested=True))
    later = {"hiring_agency": {"agency_ori": HIRING_ORI}, "publisher": {"publisher_id": "tx-tcole"}}
    for role, bindings in later.items():
        data = await world.ok(OFFICER, {"id": ids["officer"]}, as_=role, headers=PURPOSE, **bindings)
        ends = {e["node"]["publisher"]["id"]: (e["node"]["endDate"], e["node"]["separationReason"])
                for e in data["officer"]["employment"]["edges"]}
        assert ends["sunnyvale-dps"] == ("2024-05-31", "TERMINATED"), (role, ends)


def test_normalize_names_ids_by_first_appearance() -> None:
    a = normalize({"x": "OFC-ABCDEFGHJKMN", "y": ["OFC-0000000000AA", "OFC-ABCDEFGHJKMN"], "t": "2026-01-02T03:04:05Z"})
    b = normalize({"x": "OFC-ZZZZZZZZZZZZ", "y": ["OFC-1111111111AA", "OFC-ZZZZZZZZZZZZ"], "t": "2025-11-12T13:14:15Z"})
    assert a == b and "<OFC#1>" in a and "<OFC#2>" in a
    assert normalize({"x": "OFC-ABCDEFGHJKMN", "y": "OFC-ABCDEFGHJKMN"}) != normalize(
        {"x": "OFC-ABCDEFGHJKMN", "y": "OFC-0000000000AA"})


# --- queries generated over the schema ------------------------------------------------------------------

FIXED_OFFICER = "OFC-NI0000000001"
GENERATED = 120
#: Root fields a caller may use to learn about officers, records and what changes them.
GENERATED_FIELDS = ["officer", "searchOfficers", "record", "verifyCertification", "_entities", "monitoringNotices"]


def _generated_queries() -> list[str]:
    """A fixed corpus (derandomized) of queries over the real SDL, with values that hit the scenario."""
    from graphql import NameNode, ObjectFieldNode
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis_graphql import nodes, queries

    from schema import build_schema

    def representation(typename: str, key: str) -> Any:
        return nodes.Object([ObjectFieldNode(name=NameNode(value="__typename"), value=nodes.String(typename)),
                             ObjectFieldNode(name=NameNode(value="id"), value=nodes.String(key))])

    ids = [FIXED_OFFICER, "@HIDDEN@", "@SETTLED@", "OFC-000000000000"]
    scalars = {
        "ID": st.sampled_from(ids).map(nodes.String),
        "String": st.sampled_from(["CA", "TX", CA_CERT, TX_CERT, "Rosa", "Delgado", FIXED_OFFICER]).map(nodes.String),
        "Date": st.just(PERSON["dateOfBirth"]).map(nodes.String),
        "DateTime": st.just("2020-01-01T00:00:00Z").map(nodes.String),
        "JSON": st.just("{}").map(nodes.String),
        "_Any": st.sampled_from([("Officer", FIXED_OFFICER), ("MisconductRecord", "@HIDDEN@"),
                                 ("MisconductRecord", "@SETTLED@")]).map(lambda p: representation(*p)),
    }
    found: list[str] = []

    @settings(max_examples=GENERATED, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(queries(build_schema()._schema, fields=GENERATED_FIELDS, custom_scalars=scalars, allow_null=False))
    def collect(query: str) -> None:
        found.append(query)

    collect()
    return found


async def _scenario_world(pool: asyncpg.Pool, tmp: Any, with_matter: bool) -> tuple[World, dict[str, str]]:
    world = World(pool, tmp)
    await world.setup()
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO officers (id, date_of_birth, created_by) VALUES ($1, $2, 'ca-post')",
                           FIXED_OFFICER, date.fromisoformat(PERSON["dateOfBirth"]))
    ref = {"registryId": FIXED_OFFICER}
    await world.publish_ok("ca-post", cert_issued(number=CA_CERT, subj={**PERSON, **ref}))
    await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number=TX_CERT, subj=ref))
    await world.publish_ok("sunnyvale-dps", employment_started(subj=ref))
    settled = (await world.publish_ok("ca-post", record_published(
        source="settled", subj=ref, kind="CRIMINAL_CONVICTION", status="FINAL", attested=True)))[0]["entityId"]
    await world.ok("mutation($o: ID!) { enrollOfficer(officerId: $o) { id } }", {"o": FIXED_OFFICER},
                   as_="hiring_agency", agency_ori=HIRING_ORI)
    hidden = await pending_termination(world, {"officer": FIXED_OFFICER}) if with_matter else ABSENT_RECORD
    return world, {"@HIDDEN@": hidden, "@SETTLED@": settled}


async def test_generated_queries_answer_alike(pool: asyncpg.Pool, clean: None, database_url: str,
                                              tmp_path: Any) -> None:
    """Queries generated over the schema (hypothesis-graphql), asked in both registries at once."""
    corpus = _generated_queries()
    assert len(corpus) >= GENERATED // 2
    await _reset(pool)
    async with second_database(database_url) as other_pool:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        hidden_world, hidden_ids = await _scenario_world(pool, tmp_path / "a", with_matter=True)
        plain_world, plain_ids = await _scenario_world(other_pool, tmp_path / "b", with_matter=False)
        answered = 0
        for caller in ("hiring agency", "Texas board", "partner", "public"):
            spec = CALLERS[caller]
            for query in corpus:
                bodies = []
                for world, ids in ((hidden_world, hidden_ids), (plain_world, plain_ids)):
                    text = query
                    for placeholder, value in ids.items():
                        text = text.replace(placeholder, value)
                    token = world.token(spec[0], **spec[1]) if spec else None
                    resp = await world.post(text, token=token, headers=PURPOSE)
                    bodies.append({"status": resp.status_code, "body": resp.json()})
                assert normalize(bodies[0]) == normalize(bodies[1]), f"{caller}: {query}\n{bodies}"
                answered += bool(bodies[0]["body"].get("data") or {})
        assert answered > len(corpus)  # most generated queries ran (not all refused by validation)
