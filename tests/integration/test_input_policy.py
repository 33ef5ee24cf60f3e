"""Deny by default for what a caller sends (``auth.policy.INPUTS`` and ``ENUM_VALUES``), through real HTTP:
an input field or enum value is refused with FORBIDDEN to a role the table does not name, and a purpose is a
statement written into the officer's query log, so a role may declare only the purposes true for it."""

from __future__ import annotations

from typing import Any

from tests.support import World, cert_issued

OFFICER_Q = "query($id: ID!) { officer(id: $id) { id } }"


async def _officer(world: World) -> str:
    officer: str = (await world.publish_ok("ca-post", cert_issued(number="100001")))[0]["officerId"]
    return officer


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_a_role_declares_only_the_purposes_true_for_it(world: World) -> None:
    officer = await _officer(world)
    refused = {
        ("partner", "OVERSIGHT_AUDIT"), ("partner", "LITIGATION_HOLD"), ("hiring_agency", "OVERSIGHT_AUDIT"),
        ("hiring_agency", "CERTIFICATION_ACTION"), ("partner", "CERTIFICATION_ACTION"),
    }
    allowed = {
        ("hiring_agency", "PRE_EMPLOYMENT_BACKGROUND_CHECK"), ("hiring_agency", "CREDENTIAL_VERIFICATION"),
        ("partner", "CREDENTIAL_VERIFICATION"), ("auditor", "OVERSIGHT_AUDIT"), ("auditor", "LITIGATION_HOLD"),
    }
    bindings: dict[str, dict[str, Any]] = {"hiring_agency": {"agency_ori": "TX2270000"},
                                           "partner": {"partner_id": "acme-hr"}, "auditor": {}}
    verify = 'query($p: QueryPurpose) { verifyCredential(state: "CA", number: "100001", purpose: $p) { status } }'
    for role, purpose in sorted(refused | allowed):
        # as an argument, and as the Registry-Purpose header
        by_arg = await world.gql(verify, {"p": purpose}, as_=role, **bindings[role])
        by_header = await world.gql(verify, {"p": None}, as_=role, headers={"Registry-Purpose": purpose},
                                    **bindings[role])
        for body in (by_arg, by_header):
            if (role, purpose) in refused:
                assert _codes(body) == ["FORBIDDEN"], (role, purpose, body)
                assert body["data"] is None or not body["data"]["verifyCredential"]
            else:
                assert not body.get("errors"), (role, purpose, body)
                assert body["data"]["verifyCredential"] == [{"status": "ACTIVE"}]
    # A refused purpose leaves nothing in the officer's log; an allowed one is what the log says.
    log = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole purpose } } } } }",
                         {"id": officer}, as_="officer", officer_id=officer)
    assert {(e["node"]["actorRole"], e["node"]["purpose"]) for e in log["officer"]["queryLog"]["edges"]} == allowed


async def test_an_input_field_a_role_may_not_send_is_forbidden(world: World) -> None:
    """``EventSubmission.ssn`` goes only with a publisher's own events: a credentialing body or auditor that
    may submit events still may not attach an SSN (nor learn anything by trying)."""
    mutation = "mutation($e: [EventSubmission!]!) { publishEvents(events: $e, dryRun: true) { committed } }"
    submitters: tuple[tuple[str, dict[str, Any]], ...] = (
        ("credentialing_body", {"publisher_id": "accreditation-body"}), ("auditor", {}))
    for role, binding in submitters:
        body = await world.gql(mutation, {"e": [{"jws": "x.y.z", "ssn": "123-45-6789"}]}, as_=role, **binding)
        assert _codes(body) == ["FORBIDDEN"], (role, body)
        assert body["errors"][0]["message"] == "you may not send EventSubmission.ssn"
    # A publisher may; the refusal above is about the field, not the caller's right to submit.
    body = await world.gql(mutation, {"e": [{"jws": "x.y.z", "ssn": "123-45-6789"}]}, as_="publisher",
                           publisher_id="ca-post")
    assert "FORBIDDEN" not in _codes(body), body


async def test_a_refused_purpose_is_refused_after_an_allowed_one_in_the_same_request(world: World) -> None:
    """A second root field declaring a purpose the role may not state is refused although the first one's was
    allowed: the purpose check in auth.enforce is decided once per purpose and request, not once per request."""
    await _officer(world)
    both = ('{ a: verifyCredential(state: "CA", number: "100001", purpose: CREDENTIAL_VERIFICATION) { status } '
            'b: verifyCredential(state: "CA", number: "100001", purpose: OVERSIGHT_AUDIT) { status } }')
    body = await world.gql(both, as_="hiring_agency", agency_ori="TX2270000")
    assert "FORBIDDEN" in _codes(body), body
    assert body["data"] is None or not body["data"].get("b")
