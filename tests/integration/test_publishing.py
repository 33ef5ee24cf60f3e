"""Publishing signed events: validation, jurisdiction, lifecycle, idempotency, atomicity."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.support import (
    World,
    cert_issued,
    employment_started,
    record_published,
    status_changed,
    subject,
)


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    async with pool.acquire() as conn:
        return {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in (
                "officers",
                "certifications",
                "misconduct_records",
                "events",
                "log_nodes",
                "employment",
                "officer_names",
            )
        }


async def test_duplicate_submission_is_not_duplicated(world: World) -> None:
    event = cert_issued(event_id="ev-1")
    first = await world.publish_ok("ca-post", event)
    before = await counts(world.pool)
    again = await world.publish_ok("ca-post", event)  # re-signed: new salt, same content
    assert again[0]["status"] == "DUPLICATE"
    assert again[0]["entityId"] == first[0]["entityId"]
    assert again[0]["logIndex"] == first[0]["logIndex"]
    assert await counts(world.pool) == before


async def test_same_event_id_with_other_content_is_a_conflict(world: World) -> None:
    await world.publish_ok("ca-post", cert_issued(event_id="ev-1"))
    result = await world.publish("ca-post", cert_issued(number="999", event_id="ev-1"))
    assert not result["committed"]
    assert result["results"][0]["code"] == "CONFLICT"


async def test_batch_is_all_or_nothing(world: World) -> None:
    before = await counts(world.pool)
    bad = cert_issued(number="200002")
    bad["kind"] = "ASTRONAUT"
    result = await world.publish("ca-post", cert_issued(number="200001"), bad, record_published())
    assert not result["committed"]
    statuses = [r["status"] for r in result["results"]]
    assert statuses == ["NOT_APPLIED", "REJECTED", "NOT_APPLIED"]
    assert result["results"][1]["code"] == "BAD_USER_INPUT"
    assert "kind" in result["results"][1]["message"]
    assert all(r["logIndex"] is None for r in result["results"])
    assert await counts(world.pool) == before


async def test_dry_run_validates_without_writing(world: World) -> None:
    before = await counts(world.pool)
    result = await world.publish("ca-post", cert_issued(), dry_run=True)
    assert result["results"][0]["status"] == "ACCEPTED" and not result["committed"]
    assert await counts(world.pool) == before


@pytest.mark.parametrize(
    ("publisher", "event", "why"),
    [
        ("ca-post", cert_issued(state="TX"), "CA only"),
        ("sunnyvale-dps", cert_issued(publisher="sunnyvale-dps"), "only a state POST board"),
        ("sunnyvale-dps", employment_started(ori="TX2270000"), "own agency"),
        ("ca-post", record_published(kind="TERMINATION"), "does not publish TERMINATION"),
        ("ca-post", record_published(state="TX"), "CA only"),
        (
            "sunnyvale-dps",
            record_published(publisher="sunnyvale-dps", kind="TERMINATION", agency="CA0190000"),
            "own agency",
        ),
    ],
)
async def test_publisher_writes_only_in_its_jurisdiction(
    world: World, publisher: str, event: dict[str, object], why: str
) -> None:
    event = {**event, "publisher": publisher}
    result = await world.publish(publisher, event)
    assert result["results"][0]["code"] == "FORBIDDEN", result
    assert why in result["results"][0]["message"]


async def test_publisher_cannot_submit_as_another(world: World) -> None:
    result = await world.publish("ca-post", cert_issued(), as_publisher="tx-tcole")
    assert result["results"][0]["code"] == "FORBIDDEN"


async def test_event_naming_another_publisher_is_refused(world: World) -> None:
    # signed with ca-post's key but claims to be tx-tcole's event
    result = await world.publish("ca-post", cert_issued(publisher="tx-tcole", state="TX"))
    assert result["results"][0]["code"] == "FORBIDDEN"


async def test_non_publishers_cannot_publish(world: World) -> None:
    jws = world.sign("ca-post", cert_issued())
    callers: list[tuple[str | None, dict[str, Any]]] = [
        ("hiring_agency", {"agency_ori": "CA0010000"}),
        ("admin", {}),
        ("auditor", {}),
        ("officer", {"officer_id": "OFC-X"}),
        (None, {}),
    ]
    for role, bindings in callers:
        body = await world.gql(
            "mutation($e: [EventSubmission!]!) { publishEvents(events: $e) { committed } }",
            {"e": [{"jws": jws}]},
            as_=role,
            **bindings,
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, body)
        assert body["data"] is None


async def test_amending_only_own_records(world: World) -> None:
    await world.publish_ok("ca-post", record_published(source="rec-1"))
    result = await world.publish("tx-tcole", status_changed(publisher="tx-tcole", source="rec-1"))
    assert result["results"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (["NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING", "FINAL"], None),
        (["NOTICE_PENDING", "FINAL"], None),
        (["NOTICE_PENDING", "FINAL", "OVERTURNED", "EXPUNGED"], None),
        (["NOTICE_PENDING", "HEARING_PENDING", "NOTICE_SERVED"], "can move only to"),
        (["NOTICE_PENDING", "RESCINDED", "FINAL"], "can move only to EXPUNGED"),
        (["NOTICE_PENDING", "EXPUNGED", "FINAL"], "can no longer change"),
        (["NOTICE_PENDING", "NOTICE_PENDING"], "already NOTICE_PENDING"),
    ],
)
async def test_due_process_lifecycle(world: World, path: list[str], error: str | None) -> None:
    await world.publish_ok("ca-post", record_published(status=path[0]))
    for i, status in enumerate(path[1:], start=1):
        result = await world.publish("ca-post", status_changed(status=status))
        last = i == len(path) - 1
        if error and last:
            assert result["results"][0]["code"] == "CONFLICT"
            assert error in result["results"][0]["message"]
        else:
            assert result["committed"], result


async def test_fair_process_attested_only_when_final(world: World) -> None:
    await world.publish_ok("ca-post", record_published())
    result = await world.publish("ca-post", status_changed(status="HEARING_PENDING", attested=True))
    assert result["results"][0]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("subject"),
        lambda e: e.update(number=""),
        lambda e: e.update(state="California"),
        lambda e: e.update(issuedOn="not-a-date"),
        lambda e: e.update(extra="field"),
        lambda e: e.update(type="certification.teleported"),
        lambda e: e["subject"].update(dateOfBirth="2150-01-01"),
        lambda e: e["subject"]["name"].update(givenName="x" * 500),
    ],
)
async def test_invalid_events_are_clear_client_errors(world: World, mutate: object) -> None:
    event = cert_issued()
    mutate(event)  # type: ignore[operator]
    result = await world.publish("ca-post", event)
    outcome = result["results"][0]
    assert outcome["status"] == "REJECTED" and outcome["code"] == "BAD_USER_INPUT", outcome
    assert "SELECT" not in outcome["message"] and "Traceback" not in outcome["message"]


async def test_ssn_is_write_only_and_never_stored_in_clear(world: World) -> None:
    rows = await world.publish_ok("ca-post", cert_issued(), ssn="287-65-4321")
    async with world.pool.acquire() as conn:
        index = await conn.fetchval("SELECT ssn_blind_index FROM officers WHERE id = $1", rows[0]["officerId"])
        dump = await conn.fetchval("SELECT string_agg(jws || payload::text, '') FROM events")
    assert index is not None and len(index) == 32
    assert "287654321" not in dump.replace("-", "")
    schema_fields = str(await world.gql("{ __schema { types { name fields { name } } } }", as_="auditor"))
    assert "ssn" not in schema_fields.lower()
    bad = await world.publish("ca-post", cert_issued(number="5"), ssn="000-12-3456")
    assert bad["results"][0]["code"] == "BAD_USER_INPUT"


async def test_same_cert_number_links_to_same_officer(world: World) -> None:
    first = await world.publish_ok("ca-post", cert_issued(number="777", kind="PEACE_OFFICER"))
    second = await world.publish_ok(
        "ca-post",
        cert_issued(
            number="777", kind="DE_ESCALATION_TRAINING", subj=subject("Johnny", "Doe"), source="cert-777-deesc"
        ),
    )
    assert first[0]["officerId"] == second[0]["officerId"]


async def test_bad_signature_and_unknown_key_are_refused(world: World) -> None:
    from ledger.events import generate_ed25519_jwk, sign_event

    jws = world.sign("ca-post", cert_issued())
    head, payload, sig = jws.split(".")
    # the payload intact, the signature changed (the last character keeps the base64url canonical)
    tampered = f"{head}.{payload}.{sig[:-6]}AAAAAA" if sig[-6:] != "AAAAAA" else f"{head}.{payload}.{sig[:-6]}BBBBBA"
    stranger = sign_event(cert_issued(), generate_ed25519_jwk("never-registered"), "never-registered")
    for token, code in [(tampered, "BAD_SIGNATURE"), ("not-a-jws", "MALFORMED"), (stranger, "UNKNOWN_KEY")]:
        body = await world.gql(
            "mutation($e: [EventSubmission!]!) { publishEvents(events: $e) { results { code } } }",
            {"e": [{"jws": token}]},
            as_="publisher",
            publisher_id="ca-post",
        )
        assert body["data"]["publishEvents"]["results"][0]["code"] == code, (token[:30], body)


async def test_revoked_key_is_refused(world: World) -> None:
    _, kid = world.keys["ca-post"]
    await world.ok("mutation($k: String!) { revokePublisherKey(kid: $k) { revokedAt } }", {"k": kid}, as_="admin")
    result = await world.publish("ca-post", cert_issued())
    assert result["results"][0]["code"] == "KEY_REVOKED"


async def test_certification_number_of_another_person_is_a_conflict(world: World) -> None:
    await world.publish_ok("ca-post", cert_issued(number="900", kind="PEACE_OFFICER"))
    other = cert_issued(number="900", kind="CORRECTIONS", source="c-900-b",
                        subj=subject("Maria", "Santos", "1991-11-11"))
    result = await world.publish("ca-post", other)
    assert result["results"][0]["code"] == "CONFLICT"
    assert "different person" in result["results"][0]["message"]


async def test_registry_id_with_contradicting_birth_date_is_a_conflict(world: World) -> None:
    oid = (await world.publish_ok("ca-post", cert_issued()))[0]["officerId"]
    wrong = {"registryId": oid, "dateOfBirth": "1999-09-09"}
    result = await world.publish("ca-post", record_published(subj=wrong))
    assert result["results"][0]["code"] == "CONFLICT"


async def test_fair_process_can_be_attested_after_final(world: World) -> None:
    await world.publish_ok("ca-post", record_published(status="FINAL"))
    await world.publish_ok("ca-post", status_changed(status="FINAL", attested=True))
    again = await world.publish("ca-post", status_changed(status="FINAL", attested=True))
    assert again["results"][0]["code"] == "CONFLICT"


async def test_board_may_not_name_an_agency_of_another_state(world: World) -> None:
    result = await world.publish("ca-post", record_published(agency="TX2270000"))
    assert result["results"][0]["code"] == "FORBIDDEN"


async def test_same_spelling_from_a_second_publisher_is_not_an_alias(world: World) -> None:
    oid = (await world.publish_ok("ca-post", cert_issued()))[0]["officerId"]
    await world.publish_ok("sunnyvale-dps", employment_started(subj={"registryId": oid, **subject()}))
    async with world.pool.acquire() as conn:
        kinds = await conn.fetch("SELECT kind FROM officer_names WHERE officer_id = $1", oid)
    assert [k["kind"] for k in kinds] == ["PRIMARY"]


async def test_exact_name_and_birth_date_link_only_inside_the_publishers_jurisdiction(world: World) -> None:
    oid = (await world.publish_ok("ca-post", cert_issued()))[0]["officerId"]
    same_board = await world.publish_ok("ca-post", record_published(source="r-same"))
    assert same_board[0]["officerId"] == oid
    other = await world.publish_ok("austin-pd", employment_started(publisher="austin-pd", ori="TX2270000"))
    assert other[0]["officerId"] != oid, "a stranger's name and birth date alone must not merge across publishers"
