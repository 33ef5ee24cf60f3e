"""Every role × every sensitive field × every path, against expectations written from SPEC.md.

The expectations below are transcribed from the SPEC's field-visibility table by hand, not
derived from ``auth.policy``, so a mistake in the policy table shows up here as a failure.
Paths: root ``officer``, root ``record``, nested ``record.officer``, ``officers`` listing,
``searchOfficers``, and federation ``_entities`` for both entity types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from tests.conftest import empty_registry
from tests.support import World, cert_issued, employment_started, record_published, status_changed, subject

#: Each logged role declares a purpose it may state (auth.policy.ENUM_VALUES); the others are not logged.
PURPOSE_OF = {"hiring_agency": "PRE_EMPLOYMENT_BACKGROUND_CHECK", "partner": "CREDENTIAL_VERIFICATION"}


@dataclass(frozen=True)
class Caller:
    name: str
    role: str | None
    bindings: tuple[tuple[str, str], ...] = ()


CALLERS = [
    Caller("anonymous", None),
    Caller("officer-self", "officer", (("officer_id", "@O"),)),
    Caller("officer-other", "officer", (("officer_id", "@P"),)),
    Caller("hiring", "hiring_agency", (("agency_ori", "WA0170000"),)),
    Caller("partner", "partner", (("partner_id", "acme-hr"),)),
    Caller("post-ca", "publisher", (("publisher_id", "ca-post"),)),
    Caller("agency-sunnyvale", "publisher", (("publisher_id", "sunnyvale-dps"),)),
    Caller("post-tx", "publisher", (("publisher_id", "tx-tcole"),)),
    Caller("cred-body", "credentialing_body", (("publisher_id", "calea"),)),
    Caller("auditor", "auditor"),
    Caller("admin", "admin"),
]

# SPEC: "officer name, aliases, certifications" and "date of birth" columns, for officer O.
SEES_IDENTITY = {"officer-self", "hiring", "post-ca", "agency-sunnyvale", "auditor"}
# SPEC: record summary / narrative: self yes; hiring FINAL only (with fair process); publisher own; auditor yes.
SEES_RECORDS = {
    "officer-self": {"final", "pending", "final-unattested", "agency-final"},
    "hiring": {"final", "agency-final"},
    "post-ca": {"final", "pending"},
    "agency-sunnyvale": {"final-unattested", "agency-final"},
    "auditor": {"final", "pending", "final-unattested", "agency-final"},
}
# SPEC: query log about an officer: self and auditor.
SEES_QUERY_LOG = {"officer-self", "auditor"}


@pytest.fixture(scope="module")
async def world(pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory) -> World:
    """One world for the whole matrix: the tests only read (the query log grows, which they allow)."""
    async with pool.acquire() as conn:
        await empty_registry(conn)
    w = World(pool, tmp_path_factory.mktemp("matrix"))
    await w.setup()
    return w


@pytest.fixture(scope="module")
async def scene(world: World) -> dict[str, str]:
    o = (await world.publish_ok("ca-post", cert_issued(number="O-1", subj=subject("Olivia", "Ortega", "1984-02-03"))))[
        0
    ]
    oid = o["officerId"]
    ref = {"registryId": oid}
    p = (
        await world.publish_ok(
            "tx-tcole",
            cert_issued(publisher="tx-tcole", state="TX", number="P-1", subj=subject("Peter", "Park", "1970-12-12")),
        )
    )[0]
    ids = {"O": oid, "P": p["officerId"]}
    await world.publish_ok("sunnyvale-dps", employment_started(subj=ref))
    steps = [
        ("ca-post", "final", record_published(source="final", subj=ref, status="FINAL", attested=True)),
        ("ca-post", "pending", record_published(source="pending", subj=ref)),
        (
            "sunnyvale-dps",
            "final-unattested",
            record_published(
                publisher="sunnyvale-dps",
                source="final-unattested",
                subj=ref,
                kind="TERMINATION",
                agency="CA0010000",
                status="FINAL",
                attested=False,
            ),
        ),
        (
            "sunnyvale-dps",
            "agency-final",
            record_published(
                publisher="sunnyvale-dps", source="agency-final", subj=ref, kind="TERMINATION", agency="CA0010000"
            ),
        ),
    ]
    for pub, label, event in steps:
        ids[label] = (await world.publish_ok(pub, event))[0]["entityId"]
    await world.publish_ok("ca-post", status_changed(source="pending", status="HEARING_PENDING"))
    await world.publish_ok(
        "sunnyvale-dps", status_changed(publisher="sunnyvale-dps", source="agency-final", status="FINAL", attested=True)
    )
    return ids


async def ask(
    world: World, caller: Caller, ids: dict[str, str], query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    token = None
    if caller.role is not None:
        bindings = {k: ids.get(v[1:], v) if v.startswith("@") else v for k, v in caller.bindings}
        token = world.token(caller.role, **bindings)
    purpose = PURPOSE_OF.get(caller.role or "", "OVERSIGHT_AUDIT")
    return await world.gql(query, variables, token=token, headers={"Registry-Purpose": purpose})


def errors_at(body: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e.get("path") or ()), e.get("extensions", {}).get("code", "")) for e in body.get("errors") or []]


OFFICER_FIELDS = """id names { fullName } dateOfBirth
  certifications { edges { node { number status } } }
  employment { edges { node { startDate } } }
  records { edges { node { id kind status narrative caseReference subjectStatement } } }"""


def check_officer(body: dict[str, Any], officer: dict[str, Any] | None, caller: Caller, ids: dict[str, str]) -> None:
    if caller.name not in SEES_IDENTITY:
        assert officer is None, f"{caller.name} must not see the officer: {officer}"
        return
    assert officer is not None, (caller.name, body)
    assert officer["names"][0]["fullName"] == "Olivia Ortega"
    assert officer["dateOfBirth"] == "1984-02-03"
    assert [e["node"]["number"] for e in officer["certifications"]["edges"]] == ["O-1"]
    seen = {e["node"]["id"] for e in officer["records"]["edges"]}
    expected = {ids[label] for label in SEES_RECORDS.get(caller.name, set())}
    assert seen == expected, (caller.name, seen, expected)
    for edge in officer["records"]["edges"]:
        assert edge["node"]["narrative"] is not None


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
async def test_root_officer(world: World, scene: dict[str, str], caller: Caller) -> None:
    body = await ask(
        world, caller, scene, "query($id: ID!) { officer(id: $id) { " + OFFICER_FIELDS + " } }", {"id": scene["O"]}
    )
    check_officer(body, (body.get("data") or {}).get("officer"), caller, scene)
    if caller.role is None:
        assert errors_at(body) == [(("officer",), "FORBIDDEN")]
    else:
        assert not body.get("errors"), body["errors"]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
async def test_entities_officer(world: World, scene: dict[str, str], caller: Caller) -> None:
    body = await ask(
        world,
        caller,
        scene,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Officer { " + OFFICER_FIELDS + " } } }",
        {"r": [{"__typename": "Officer", "id": scene["O"]}]},
    )
    check_officer(body, body["data"]["_entities"][0], caller, scene)
    # an officer the caller may not see is absent (null), as if unknown: no error tells it exists
    assert not body.get("errors"), (caller.name, body["errors"])


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
@pytest.mark.parametrize("label", ["final", "pending", "final-unattested", "agency-final"])
@pytest.mark.parametrize("path", ["root", "entities"])
async def test_record_paths(world: World, scene: dict[str, str], caller: Caller, label: str, path: str) -> None:
    fields = "id kind status narrative caseReference disputed subjectStatement officer { id }"
    if path == "root":
        body = await ask(
            world, caller, scene, "query($id: ID!) { record(id: $id) { " + fields + " } }", {"id": scene[label]}
        )
        record = (body.get("data") or {}).get("record")
    else:
        body = await ask(
            world,
            caller,
            scene,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on MisconductRecord { " + fields + " } } }",
            {"r": [{"__typename": "MisconductRecord", "id": scene[label]}]},
        )
        record = body["data"]["_entities"][0]
    if label in SEES_RECORDS.get(caller.name, set()):
        assert record is not None and record["narrative"] == "Falsified reports in three cases.", body
        officer = record["officer"]
        assert (officer is not None) == (caller.name in SEES_IDENTITY)
    else:
        assert record is None, (caller.name, label, record)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
async def test_query_log_visibility(world: World, scene: dict[str, str], caller: Caller) -> None:
    hiring = world.token("hiring_agency", agency_ori="WA0170000")
    await world.gql(
        "query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { names { fullName } } }",
        {"id": scene["O"]},
        token=hiring,
    )
    body = await ask(
        world,
        caller,
        scene,
        "query($id: ID!) { officer(id: $id) { id queryLog { totalCount "
        "edges { node { actorRole purpose returned } } } } }",
        {"id": scene["O"]},
    )
    officer = body["data"]["officer"] if body.get("data") else None
    if caller.name in SEES_QUERY_LOG:
        assert officer is not None
        log = officer["queryLog"]
        assert log["totalCount"] >= 1
        assert any(e["node"]["actorRole"] == "hiring_agency" for e in log["edges"])
    elif officer is not None:
        assert officer["queryLog"] is None
        assert (("officer", "queryLog"), "FORBIDDEN") in errors_at(body)


# SPEC, actors: the `officers` listing is for publishers (their jurisdiction) and auditors; search also for hiring
# agencies. Who appears in the listing: publishers their own jurisdiction's officers (ca-post and Sunnyvale
# published about O, tx-tcole about P), auditors everyone.
MAY_LIST = {"post-ca", "agency-sunnyvale", "post-tx", "auditor"}
MAY_SEARCH = MAY_LIST | {"hiring"}
LISTED = {"post-ca": {"O"}, "agency-sunnyvale": {"O"}, "post-tx": {"P"}, "auditor": {"O", "P"}}


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
async def test_listing_and_search_show_exactly_the_visible_officers(
    world: World, scene: dict[str, str], caller: Caller
) -> None:
    listing = await ask(world, caller, scene, "{ officers(first: 50) { edges { node { id } } } }", {})
    if caller.name in MAY_LIST:
        assert not listing.get("errors"), listing
        shown = {e["node"]["id"] for e in listing["data"]["officers"]["edges"]}
        assert shown == {scene[k] for k in LISTED[caller.name]}, (caller.name, shown)
    else:
        assert listing.get("data") is None or listing["data"].get("officers") is None
        assert errors_at(listing) == [(("officers",), "FORBIDDEN")], listing

    found = await ask(
        world,
        caller,
        scene,
        'query { searchOfficers(input: {givenName: "Olivia", familyName: "Ortega", '
        'dateOfBirth: "1984-02-03"}) { officer { id names { fullName } } } }',
        {},
    )
    if caller.name in MAY_SEARCH:
        assert not found.get("errors"), found
        hits = [h["officer"]["id"] for h in found["data"]["searchOfficers"]]
        if caller.name in SEES_IDENTITY:  # O is found, first, by a caller who may see it
            assert hits and hits[0] == scene["O"], (caller.name, hits)
            assert found["data"]["searchOfficers"][0]["officer"]["names"][0]["fullName"] == "Olivia Ortega"
        else:  # and by nobody else: not even as an anonymous hit
            assert scene["O"] not in hits, (caller.name, hits)
        assert scene["P"] not in hits
    else:
        assert found.get("data") is None or found["data"].get("searchOfficers") is None
        assert errors_at(found) == [(("searchOfficers",), "FORBIDDEN")], found


async def test_logged_roles_must_declare_a_purpose(world: World, scene: dict[str, str]) -> None:
    callers: list[tuple[str, dict[str, Any]]] = [("hiring_agency", {"agency_ori": "WA0170000"}), ("auditor", {})]
    for role, bindings in callers:
        body = await world.gql(
            "query($id: ID!) { officer(id: $id) { names { fullName } } }", {"id": scene["O"]}, as_=role, **bindings
        )
        assert body["data"]["officer"] in (None, {"names": None})
        assert body["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"
    bad = await world.post("{ me { role } }", headers={"Registry-Purpose": "CURIOSITY"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_query_log_records_who_what_why_and_cannot_be_altered(world: World, scene: dict[str, str]) -> None:
    await world.ok(
        "query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { "
        "records { edges { node { id } } } } }",
        {"id": scene["O"]},
        as_="hiring_agency",
        agency_ori="WA0170000",
    )
    data = await world.ok(
        "query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole "
        "actorOrganization purpose returned } } } } }",
        {"id": scene["O"]},
        as_="officer",
        officer_id=scene["O"],
    )
    entry = data["officer"]["queryLog"]["edges"][0]["node"]
    assert entry["actorRole"] == "hiring_agency" and entry["actorOrganization"] == "WA0170000"
    assert entry["purpose"] == "PRE_EMPLOYMENT_BACKGROUND_CHECK"
    assert set(entry["returned"]["MisconductRecord"]) == {scene["final"], scene["agency-final"]}
    async with world.pool.acquire() as conn:
        with pytest.raises(Exception, match="append-only"):
            await conn.execute("UPDATE query_log SET purpose = 'OVERSIGHT_AUDIT'")
        with pytest.raises(Exception, match="append-only"):
            await conn.execute("DELETE FROM query_log")
    mutations = await world.ok("{ __schema { mutationType { fields { name } } } }", as_="auditor")
    names = [f["name"] for f in mutations["__schema"]["mutationType"]["fields"]]
    assert not [n for n in names if "log" in n.lower() or "query" in n.lower()]
