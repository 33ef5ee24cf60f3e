"""Stored copies follow the record: after expungement or correction, notices, their replay and the webhook
outbox (pending, dead and delivered bodies alike) hold what the enrollee may read now, nothing older."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.monitoring_support import (
    agency_token,
    enroll,
    mworld,  # noqa: F401 - fixture
    new_officer,
    notices,
    outbox_rows,
    register,
)
from tests.support import World, _base, record_published, status_changed

OLD = "Falsified reports in three cases."
NEW = "Falsified reports in two cases (corrected after the hearing record was reviewed)."
CASE = "CASE-2021-77"


def corrected(narrative: str) -> dict[str, Any]:
    return {**_base("record.corrected", "ca-post", None), "recordSourceId": "rec-1", "narrative": narrative,
            "reason": "The count of cases was wrong."}


async def _setup(w: World) -> tuple[str, str]:
    officer = await new_officer(w)
    token = agency_token(w)
    await enroll(w, token, officer)
    # an endpoint that is never reached: its deliveries stay PENDING with their stored bodies
    await register(w, token, "https://receiver.example/hooks")
    await w.publish_ok("ca-post", record_published(subj={"registryId": officer}, status="FINAL", attested=True,
                                                   narrative=OLD))
    return officer, token


def _stored_text(notes: list[dict[str, Any]], rows: list[Any]) -> str:
    return json.dumps([n["data"] for n in notes]) + "".join(r["body"] for r in rows)


async def test_expungement_empties_every_stored_copy(mworld: World) -> None:  # noqa: F811
    w = mworld
    _, token = await _setup(w)
    before = _stored_text(await notices(w, token), await outbox_rows(w.pool))
    assert OLD in before and CASE in before  # the enrollee was told, with content, while the record was final
    await w.pool.execute("UPDATE webhook_outbox SET state = 'DEAD'")  # a dead letter that replay would resend
    await w.publish_ok("ca-post", status_changed(status="EXPUNGED"))
    notes, rows = await notices(w, token), await outbox_rows(w.pool)
    after = _stored_text(notes, rows)
    assert OLD not in after and CASE not in after and "DISHONESTY" not in after, after
    assert [n["type"] for n in notes] == ["record.visible", "record.withdrawn"]
    assert notes[0]["data"]["record"] == {"id": notes[1]["data"]["record"]["id"]}
    assert all(json.loads(r["body"])["data"] == n["data"] for r, n in zip(rows, notes, strict=True))


async def test_a_correction_replaces_superseded_content_in_stored_copies(mworld: World) -> None:  # noqa: F811
    w = mworld
    _, token = await _setup(w)
    await w.pool.execute("UPDATE webhook_outbox SET state = 'DELIVERED', delivered_at = now()")
    await w.publish_ok("ca-post", corrected(NEW))
    notes, rows = await notices(w, token), await outbox_rows(w.pool)
    stored = _stored_text(notes, rows)
    assert OLD not in stored, stored
    assert notes[0]["data"]["record"]["narrative"] == NEW  # the first notice now reads as the record does
    assert notes[-1]["type"] == "record.changed" and notes[-1]["data"]["record"]["narrative"] == NEW
    first = next(r for r in rows if json.loads(r["body"])["data"]["noticeId"] == notes[0]["data"]["noticeId"])
    assert json.loads(first["body"])["data"]["record"]["narrative"] == NEW


async def test_a_statement_reaches_the_stored_notices(mworld: World) -> None:  # noqa: F811
    w = mworld
    officer, token = await _setup(w)
    rid = (await notices(w, token))[0]["data"]["record"]["id"]
    await w.ok("mutation($r: ID!) { addStatement(recordId: $r, text: \"I contest this.\") { id } }", {"r": rid},
               as_="officer", officer_id=officer)
    assert (await notices(w, token))[0]["data"]["record"]["subjectStatement"] == "I contest this."
    await w.ok("mutation($r: ID!) { addStatement(recordId: $r, text: null) { id } }", {"r": rid},
               as_="officer", officer_id=officer)
    assert "I contest this." not in _stored_text(await notices(w, token), await outbox_rows(w.pool))


READ_EVENTS = """query($r: ID!) { record(id: $r, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { narrative
  events { jws type superseded expunged } bundle } }"""


async def test_superseded_content_is_not_in_the_events_a_hiring_agency_reads(mworld: World) -> None:  # noqa: F811
    from ledger.bundle import verify_bundle
    from ledger.events import logged_payload

    w = mworld
    officer, token = await _setup(w)
    rid = (await notices(w, token))[0]["data"]["record"]["id"]
    await w.publish_ok("ca-post", corrected(NEW))
    seen = (await w.ok(READ_EVENTS, {"r": rid}, token=token))["record"]
    assert seen["narrative"] == NEW
    assert [(e["type"], e["superseded"]) for e in seen["events"]] == [("record.published", True),
                                                                     ("record.corrected", False)]
    assert seen["events"][0]["jws"] is None and not seen["events"][0]["expunged"]
    payloads = [logged_payload(e["jws"]) for e in seen["events"] if e["jws"]]
    assert OLD not in json.dumps(payloads) and OLD not in json.dumps(seen["bundle"])
    report = verify_bundle(seen["bundle"], w.services.log_signer.verifier_key_string(), w.settings.log_origin)
    assert report.ok and report.event is not None and report.event.payload["narrative"] == NEW
    # the officer, the publisher and auditors still read every signed event as it was logged
    for role, bindings in (("officer", {"officer_id": officer}), ("publisher", {"publisher_id": "ca-post"}),
                           ("auditor", {})):
        events = (await w.ok(READ_EVENTS, {"r": rid}, as_=role, **bindings))["record"]["events"]
        assert OLD in logged_payload(events[0]["jws"])["narrative"], role
