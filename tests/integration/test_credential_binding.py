"""An officer holds their own certification: an attestation bound to a key only they hold, presented with the
claims they choose and a Key Binding JWT; verified by a partner through GraphQL and offline, with the keys
discovered from the registry's JWT VC Issuer Metadata. Replays, strangers' keys and bearer copies are refused."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import ECKey, OKPKey

from credentials import attestation, log_anchor, presentation, sd_jwt
from ledger.checkpoint import NoteSigner
from registry import cli
from tests.integration.monitoring_support import cert_status_changed, serve
from tests.support import World, cert_issued, free_port, subject

OWN = """query($id: ID!, $k: JSON) { officer(id: $id) { certifications { edges { node { number
  attestation(holderKey: $k) { status jws sdJwt sdJwtVc holderBound } } } } } }"""
CHECK = """query($t: String!, $a: String, $n: String, $r: Boolean!) {
  verifyPresentation(token: $t, audience: $a, nonce: $n, requireKeyBinding: $r) {
    valid error form kid claims undisclosed holderBound keyBound } }"""
PARTNER: dict[str, Any] = {"as_": "partner", "partner_id": "acme-hr"}
AUD = "https://acme-hr.example"


@pytest.fixture
async def doe(world: World) -> str:
    officer: str = (await world.publish_ok("ca-post", cert_issued(number="100001")))[0]["officerId"]
    return officer


def _public(key: OKPKey | ECKey) -> dict[str, Any]:
    jwk: dict[str, Any] = sd_jwt.cnf_for(key)["jwk"]
    return jwk


async def own_attestation(world: World, officer: str, key: dict[str, Any] | None) -> dict[str, Any]:
    body = await world.ok(OWN, {"id": officer, "k": key}, as_="officer", officer_id=officer)
    [edge] = body["officer"]["certifications"]["edges"]
    result: dict[str, Any] = edge["node"]["attestation"]
    return result


async def check(world: World, token: str, nonce: str | None, *, require: bool = True,
                audience: str | None = AUD) -> dict[str, Any]:
    body = await world.ok(CHECK, {"t": token, "a": audience, "n": nonce, "r": require}, **PARTNER)
    result: dict[str, Any] = body["verifyPresentation"]
    return result


@pytest.mark.parametrize("curve", ["Ed25519", "P-256"])
async def test_an_officer_holds_a_bound_credential_and_shows_only_what_they_choose(
    world: World, doe: str, curve: str
) -> None:
    holder = OKPKey.generate_key("Ed25519") if curve == "Ed25519" else ECKey.generate_key("P-256")
    bound = await own_attestation(world, doe, _public(holder))
    assert bound["holderBound"] is True and bound["status"] == "ACTIVE"
    assert bound["jws"] is None  # no bearer twin of a bound credential

    for token, status_claim in ((bound["sdJwt"], "status"), (bound["sdJwtVc"], "certificationStatus")):
        shown = presentation.present(token, [status_claim, "number"], holder_key=holder, audience=AUD, nonce="n-1")
        ok = await check(world, shown, "n-1")
        assert ok["valid"] is True and ok["keyBound"] is True and ok["holderBound"] is True, ok
        assert ok["claims"][status_claim] == "ACTIVE" and ok["claims"]["number"] == "100001"
        assert not {"officerId", "sub", "state", "kind", "expiresOn"} & set(ok["claims"])  # withheld
        assert ok["form"] == ("dc+sd-jwt" if status_claim == "certificationStatus" else "sd-jwt")

        # The same presentation, replayed to another verifier or with another nonce, is refused ...
        assert (await check(world, shown, "n-2"))["error"] == "the key-binding JWT carries another nonce (replayed?)"
        other = await check(world, shown, "n-1", audience="https://someone-else.example")
        assert other["valid"] is False and "audience" in other["error"]
        # ... as is a bearer copy (KB-JWT stripped), and a KB-JWT moved onto more disclosures.
        bearer = shown[:shown.rindex("~") + 1]
        stripped = await check(world, bearer, "n-1")
        assert stripped["valid"] is False and stripped["error"].startswith("not key-bound"), stripped
        loose = await check(world, bearer, None, require=False, audience=None)
        assert loose["valid"] is True and loose["keyBound"] is False and loose["holderBound"] is True
        more = presentation.present(token, [status_claim, "number", "officerId"])
        moved = more + shown[shown.rindex("~") + 1:]
        assert (await check(world, moved, "n-1"))["error"] == \
            "the key-binding JWT was made for another presentation (sd_hash differs)"

    # Someone with the token but not the key cannot make a binding the verifier accepts.
    thief = OKPKey.generate_key("Ed25519")
    forged = presentation.present(bound["sdJwt"], ["status"], holder_key=thief, audience=AUD, nonce="n-1")
    assert (await check(world, forged, "n-1"))["error"] in (
        "the key-binding JWT is not signed by the holder key in cnf",
        "the key-binding JWT is malformed or uses an algorithm not allowed for the holder key "
        "(unsupported_algorithm)")


async def test_requiring_binding_needs_the_verifiers_own_audience_and_nonce(world: World, doe: str) -> None:
    holder = OKPKey.generate_key("Ed25519")
    shown = presentation.present((await own_attestation(world, doe, _public(holder)))["sdJwt"], ["status"],
                                 holder_key=holder, audience=AUD, nonce="n-1")
    missing = await check(world, shown, None)
    assert missing["valid"] is False and missing["error"].startswith("requiring key binding needs your audience")
    # Without the requirement, the KB-JWT is still checked (signature, sd_hash, freshness) and reported.
    relaxed = await check(world, shown, None, require=False, audience=None)
    assert relaxed["valid"] is True and relaxed["keyBound"] is True
    # An unbound attestation cannot satisfy a verifier that requires binding, in any form.
    unbound = await own_attestation(world, doe, None)
    assert unbound["holderBound"] is False and unbound["jws"]
    for token in (unbound["jws"], unbound["sdJwt"], unbound["sdJwtVc"]):
        refused = await check(world, token, "n-1")
        assert refused["valid"] is False, token
        accepted = await check(world, token, None, require=False, audience=None)
        assert accepted["valid"] is True and accepted["holderBound"] is False and accepted["keyBound"] is False


async def test_a_holder_key_the_registry_cannot_use_is_bad_user_input(world: World, doe: str) -> None:
    ed = OKPKey.generate_key("Ed25519", private=True)
    cases = {
        "private": (ed.as_dict(private=True), "private member"),
        "garbage": ({"kty": "OKP", "crv": "Ed25519", "x": "!!"}, "not a valid JWK"),
        "rsa": ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, ""),
        "x25519": (_public(OKPKey.generate_key("X25519")), "Ed25519 (kty OKP) or P-256"),
        "not an object": ("ed25519", "must be a JWK"),
    }
    for name, (key, says) in cases.items():
        body = await world.gql(OWN, {"id": doe, "k": key}, as_="officer", officer_id=doe)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (name, error)
        assert error["message"].startswith("holderKey: ") and says in error["message"], (name, error)
        assert "Traceback" not in json.dumps(body)
        partner = await world.gql('query($k: JSON) { verifyCredential(state: "CA", number: "100001", holderKey: $k, '
                                  'purpose: CREDENTIAL_VERIFICATION) '
                                  '{ jws } }', {"k": key}, **PARTNER)
        assert partner["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", name


async def test_another_officer_cannot_get_a_credential_bound_to_their_key_about_this_officer(
    world: World, doe: str
) -> None:
    maria = subject("Maria", "Lopez", "1979-02-03")
    [published] = await world.publish_ok("ca-post", cert_issued(number="200002", source="cert-2", subj=maria))
    lopez = published["officerId"]
    key = _public(OKPKey.generate_key("Ed25519"))
    body = await world.gql(OWN, {"id": doe, "k": key}, as_="officer", officer_id=lopez)
    assert body == {"data": {"officer": None}}  # another officer is not theirs to read, nor to hold
    own = await own_attestation(world, lopez, key)  # their own is
    assert own["holderBound"] is True and own["status"] == "ACTIVE"


async def test_verifiers_discover_the_keys_from_the_issuer_metadata(pool: Any, clean: None, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/registry"
    world = World(pool, tmp_path, attestation_issuer=issuer)
    await world.setup()
    officer = (await world.publish_ok("ca-post", cert_issued(number="100001")))[0]["officerId"]
    holder_file = tmp_path / "holder.jwk"
    assert await asyncio.to_thread(cli.main, ["holder-key", "--out", str(holder_file)]) == 0
    public = json.loads(capsys.readouterr().out)
    assert set(public) == {"kty", "crv", "x"} and oct(holder_file.stat().st_mode & 0o777) == "0o600"
    assert await asyncio.to_thread(cli.main, ["holder-key", "--out", str(holder_file)]) == 2  # never overwritten
    assert "not overwriting" in capsys.readouterr().err

    vc = (await own_attestation(world, officer, public))["sdJwtVc"]
    shown_file = tmp_path / "shown.txt"
    args = ["present-credential", vc, "--disclose", "certificationStatus", "--holder-key", str(holder_file),
            "--audience", AUD, "--nonce", "n-9"]
    assert await asyncio.to_thread(cli.main, args) == 0
    shown_file.write_text(capsys.readouterr().out.strip())

    async with serve(world.app, port=port) as base:
        meta = (await world.http.get("/.well-known/jwt-vc-issuer/registry")).json()
        assert meta == {"issuer": issuer, "jwks": attestation.jwks(world.services.attestation_key)}
        verify = ["verify-credential", f"@{shown_file}", "--issuer", issuer, "--audience", AUD,
                  "--require-binding"]
        assert await asyncio.to_thread(cli.main, [*verify, "--nonce", "n-9"]) == 0
        out = capsys.readouterr()
        assert json.loads(out.out)["certificationStatus"] == "ACTIVE" and "vct" in json.loads(out.out)
        assert "valid dc+sd-jwt attestation" in out.err and "key-bound" in out.err
        assert await asyncio.to_thread(cli.main, [*verify, "--nonce", "n-10"]) == 1
        assert "another nonce" in capsys.readouterr().err
        # Metadata naming another issuer is not used: a token claiming that issuer is not verified by it.
        wrong = ["verify-credential", f"@{shown_file}", "--issuer", f"{base}/elsewhere"]
        assert await asyncio.to_thread(cli.main, wrong) == 2
        assert "answered HTTP 404" in capsys.readouterr().err
    assert await asyncio.to_thread(cli.main, ["verify-credential", f"@{shown_file}", "--require-binding",
                                              "--jwks", str(tmp_path / "none.json")]) == 2
    assert "--require-binding needs --audience and --nonce" in capsys.readouterr().err


def test_the_kb_jwt_must_be_fresh_and_typed() -> None:
    key = attestation.new_key()
    holder = ECKey.generate_key("P-256", private=True)
    issued = attestation.issue(key, "https://r.example", {"sub": "c", "status": "ACTIVE"}, holder=holder,
                               now=1_000_000)
    keys = attestation.jwks(key)
    old = sd_jwt.bind(issued.sd_jwt, holder, audience=AUD, nonce="n", now=1_000_000)
    with pytest.raises(attestation.AttestationError, match="older than 300 s"):
        attestation.verify(old, keys, audience=AUD, nonce="n", now=1_000_000 + 400)
    assert attestation.verify(old, keys, audience=AUD, nonce="n", now=1_000_000 + 200).key_binding is not None
    with pytest.raises(attestation.AttestationError, match="future"):
        attestation.verify(old, keys, audience=AUD, nonce="n", now=1_000_000 - 120)
    # A KB-JWT that is not typed kb+jwt (say, the holder's signature on something else) is refused.
    from joserfc import jwt as jose_jwt

    parsed = sd_jwt.parse(issued.sd_jwt)
    untyped = jose_jwt.encode({"alg": "ES256"}, {"iat": 1_000_000, "aud": AUD, "nonce": "n",
                                                  "sd_hash": sd_jwt.sd_hash(parsed)}, holder, algorithms=["ES256"])
    with pytest.raises(attestation.AttestationError, match="typ"):
        attestation.verify(issued.sd_jwt + untyped, keys, audience=AUD, nonce="n", now=1_000_000)
    # alg none is never accepted, whatever the header says.
    import base64

    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    none = b64({"alg": "none", "typ": "kb+jwt"}) + "." + b64({"iat": 1_000_000, "aud": AUD, "nonce": "n",
                                                             "sd_hash": sd_jwt.sd_hash(parsed)}) + "."
    with pytest.raises(attestation.AttestationError, match=r"malformed|not allowed"):
        attestation.verify(issued.sd_jwt + none, keys, audience=AUD, nonce="n", now=1_000_000)


async def test_the_status_is_anchored_to_its_signed_event_in_the_log(world: World, doe: str, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    log_key = (await world.http.get("/.well-known/registry-log-key")).text.strip()
    entries = 'query { logEntries(publisherId: "ca-post") { logIndex leafHash type } }'

    async def partner_sees() -> tuple[dict[str, Any], dict[str, Any]]:
        body = await world.ok('{ verifyCredential(state: "CA", number: "100001", purpose: CREDENTIAL_VERIFICATION) '
                              '{ status jws sdJwtVc } }',
                              **PARTNER)
        [result] = body["verifyCredential"]
        verified = attestation.verify(result["jws"], attestation.jwks(world.services.attestation_key),
                                      log_key=log_key)
        return result, verified.claims

    _, claims = await partner_sees()
    assert claims["status"] == "ACTIVE"
    [issued] = (await world.ok(entries, as_="publisher", publisher_id="ca-post"))["logEntries"]
    # The anchor is the board's own event: the leaf its monitor sees under its name.
    assert (claims["log"]["index"], claims["log"]["leafHash"]) == (issued["logIndex"], issued["leafHash"])

    await world.publish_ok("ca-post", cert_status_changed("cert-100001", "INACTIVE"))
    result, claims = await partner_sees()
    assert claims["status"] == "INACTIVE"
    changed = (await world.ok(entries, as_="publisher", publisher_id="ca-post"))["logEntries"][-1]
    assert changed["type"] == "certification.status_changed"
    assert (claims["log"]["index"], claims["log"]["leafHash"]) == (changed["logIndex"], changed["leafHash"])

    keys = attestation.jwks(world.services.attestation_key)
    # Offline with the CLI, in the VC form, showing only the status and the anchor.
    shown = presentation.present(result["sdJwtVc"], ["certificationStatus", "log"])
    (tmp_path / "attestation-jwks.json").write_text(json.dumps(keys))
    (tmp_path / "log.vkey").write_text(log_key + "\n")
    args = ["verify-credential", shown, "--jwks", str(tmp_path / "attestation-jwks.json"), "--log-key",
            f"@{tmp_path}/log.vkey"]
    assert cli.main(args) == 0
    assert f"its status comes from log entry {changed['logIndex']}" in capsys.readouterr().err
    # The registry's own check says which entry it proved; with the anchor withheld there is nothing to prove.
    hidden = presentation.present(result["sdJwtVc"], ["certificationStatus"])
    query = "query($t: String!) { verifyPresentation(token: $t) { valid logIndex claims } }"
    proved = (await world.ok(query, {"t": shown}, **PARTNER))["verifyPresentation"]
    assert proved["valid"] is True and proved["logIndex"] == changed["logIndex"]
    withheld = (await world.ok(query, {"t": hidden}, **PARTNER))["verifyPresentation"]
    assert withheld["valid"] is True and withheld["logIndex"] is None and "log" not in withheld["claims"]
    # Withheld anchor (when the verifier asks for one), another log's key, or a proof for another leaf: refused.
    with pytest.raises(attestation.AttestationError, match="log claim is not disclosed"):
        attestation.verify(hidden, keys, log_key=log_key)
    stranger = NoteSigner.generate(log_key.split("+")[0]).verifier().verifier_key_string()
    with pytest.raises(attestation.AttestationError, match="checkpoint does not verify"):
        attestation.verify(result["jws"], keys, log_key=stranger)
    forged = dict(claims["log"], leafHash=issued["leafHash"])
    with pytest.raises(log_anchor.AnchorError, match="not proven"):
        log_anchor.verify(forged, log_key)


async def test_who_may_check_a_presentation_and_reach_a_bound_attestation(world: World, doe: str) -> None:
    """``verifyPresentation`` is for the roles that verify; a bound attestation is reachable only where the
    certification is, by every path (root field and federation ``_entities`` alike)."""
    holder = OKPKey.generate_key("Ed25519")
    token = (await own_attestation(world, doe, _public(holder)))["sdJwt"]
    query = "query($t: String!) { verifyPresentation(token: $t) { valid } }"
    refused: tuple[tuple[str, dict[str, Any]], ...] = (
        ("admin", {}), ("credentialing_body", {"publisher_id": "accreditation-body"}))
    for role, bindings in refused:
        body = await world.gql(query, {"t": token}, as_=role, **bindings)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], role
    anonymous = await world.gql(query, {"t": token})
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["FORBIDDEN"]
    allowed: tuple[tuple[str, dict[str, Any]], ...] = (
        ("partner", {"partner_id": "acme-hr"}), ("hiring_agency", {"agency_ori": "TX2270000"}), ("auditor", {}),
        ("publisher", {"publisher_id": "tx-tcole"}), ("officer", {"officer_id": doe}))
    for role, bindings in allowed:
        assert (await world.ok(query, {"t": token}, as_=role, **bindings))["verifyPresentation"] == {"valid": True}

    entities = """query($r: [_Any!]!, $k: JSON) { _entities(representations: $r) { ... on Officer {
      certifications { edges { node { attestation(holderKey: $k) { holderBound sdJwtVc } } } } } } }"""
    variables = {"r": [{"__typename": "Officer", "id": doe}], "k": _public(holder)}
    own = await world.ok(entities, variables, as_="officer", officer_id=doe)
    [edge] = own["_entities"][0]["certifications"]["edges"]
    assert edge["node"]["attestation"]["holderBound"] is True
    other = await world.gql(entities, variables, as_="officer", officer_id="OFC-000000000000")
    assert other["data"]["_entities"] == [None] and not other.get("errors"), other
    partner = await world.gql(entities, variables, as_="partner", partner_id="acme-hr",
                              headers={"Registry-Purpose": "CREDENTIAL_VERIFICATION"})
    assert partner["data"]["_entities"] == [None], partner
