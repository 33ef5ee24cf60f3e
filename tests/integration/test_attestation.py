"""Credential verification: signed attestations (JWS and SD-JWT), verified offline with the published JWKS."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

import demo
from credentials import attestation, sd_jwt
from registry import cli
from tests.support import World, cert_issued, load_demo, subject

VERIFY = """query($s: String!, $n: String!) { verifyCredential(state: $s, number: $n) {
  state number kind status expiresOn checkedAt validUntil kid jws sdJwt } }"""
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
FACTS = {"iss", "iat", "exp", "jti", "sub", "state", "number", "kind", "status", "expiresOn", "log"}


@pytest.fixture
async def officers(world: World) -> dict[str, str]:
    """Two officers certified in California: John Doe (100001) and Maria Lopez (200002)."""
    doe = (await world.publish_ok("ca-post", cert_issued(number="100001")))[0]["officerId"]
    lopez = (await world.publish_ok("ca-post", cert_issued(
        number="200002", subj=subject("Maria", "Lopez", "1979-02-03"), source="cert-lopez")))[0]["officerId"]
    return {"doe": doe, "lopez": lopez}


async def jwks(world: World) -> dict[str, Any]:
    resp = await world.http.get("/.well-known/jwks.json")
    assert resp.status_code == 200
    doc: dict[str, Any] = resp.json()
    return doc


CHECKING = {"Registry-Purpose": "CREDENTIAL_VERIFICATION"}


async def verify_as(world: World, role: str, number: str = "100001", **bindings: Any) -> dict[str, Any]:
    return await world.gql(VERIFY, {"s": "CA", "n": number}, as_=role, headers=CHECKING, **bindings)


def _segments(token: str) -> list[bytes]:
    """Every base64url piece of a JWS or SD-JWT, decoded: what a recipient could read."""
    out = []
    for part in token.replace("~", ".").split("."):
        if part:
            out.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return out


RANDOM_TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{16,}")


def _words(token: str) -> str:
    """The JSON text of a token's segments without its random tokens (signatures, key IDs, digests, salts).

    Those are base64 or hex runs of 16 characters or more, where a short name such as "Doe" occurs by chance
    about once in a few hundred tokens; a name disclosed in any readable form is still here."""
    texts = []
    for piece in _segments(token):
        try:
            texts.append(json.dumps(json.loads(piece), ensure_ascii=False))
        except ValueError:
            continue  # a signature: random bytes, no JSON
    return RANDOM_TOKEN.sub(" ", " ".join(texts))


async def test_partner_gets_status_and_an_attestation_verifiable_offline(
    world: World, officers: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = await verify_as(world, "partner", partner_id="acme-hr")
    assert not body.get("errors"), body
    [result] = body["data"]["verifyCredential"]
    assert (result["state"], result["number"], result["kind"], result["status"]) == (
        "CA", "100001", "PEACE_OFFICER", "ACTIVE")
    keys = await jwks(world)
    assert [k["kid"] for k in keys["keys"]] == [result["kid"]]
    assert all("d" not in k and k["alg"] == "Ed25519" and k["use"] == "sig" for k in keys["keys"])

    checked = attestation.verify(result["jws"], keys, issuer=world.settings.attestation_issuer)
    assert checked.form == "jws" and set(checked.claims) == FACTS
    assert checked.claims["status"] == "ACTIVE" and checked.claims["number"] == "100001"
    assert checked.claims["exp"] - checked.claims["iat"] == attestation.TTL_SECONDS
    # Status by number only: no name, no date of birth, no officer ID anywhere in either form.
    for token in (result["jws"], result["sdJwt"]):
        text = b" ".join(_segments(token))
        for secret in (b"1985-04-12", officers["doe"].encode()):
            assert secret not in text
        words = _words(token).casefold()
        assert all(name not in words for name in ("john", "doe", "lopez"))

    full = attestation.verify(result["sdJwt"], keys)
    digests = len(json.loads(_segments(result["sdJwt"].split("~")[0])[1])["_sd"])
    assert full.form == "sd-jwt" and full.claims == {**checked.claims}
    assert 8 <= digests <= 11 and full.undisclosed == digests - 7  # seven claims disclosed; the rest are decoys

    jwks_file = tmp_path / "registry-jwks.json"
    jwks_file.write_text(json.dumps(keys))
    assert cli.main(["verify-credential", result["jws"], "--jwks", str(jwks_file)]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["status"] == "ACTIVE" and "valid jws attestation" in err


async def test_tampered_expired_and_foreign_attestations_are_refused(
    world: World, officers: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [result] = (await verify_as(world, "hiring_agency", agency_ori="WA0170000"))["data"]["verifyCredential"]
    keys = await jwks(world)
    head, payload, sig = result["jws"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["status"] = "ACTIVE" if claims["status"] != "ACTIVE" else "REVOKED"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(attestation.AttestationError, match="signature"):
        attestation.verify(f"{head}.{forged}.{sig}", keys)

    with pytest.raises(attestation.AttestationError, match="expired"):
        attestation.verify(result["jws"], keys, now=time.time() + attestation.TTL_SECONDS + 60)
    stale = attestation.issue(world.services.attestation_key, "https://officer-registry.example",
                              {"sub": "x", "status": "ACTIVE"}, now=time.time() - 3600)
    assert stale.jws is not None  # unbound: the bearer JWS is issued
    for token in (stale.jws, stale.sd_jwt):
        with pytest.raises(attestation.AttestationError, match="expired"):
            attestation.verify(token, keys)

    other = attestation.jwks(attestation.new_key())
    for token in (result["jws"], result["sdJwt"]):
        with pytest.raises(attestation.AttestationError, match=r"unknown key|signature"):
            attestation.verify(token, other)
    with pytest.raises(attestation.AttestationError, match="iss"):
        attestation.verify(result["jws"], keys, issuer="https://someone-else.example")
    # The SD-JWT's signed part is not a plain attestation, nor the reverse (explicit typ).
    with pytest.raises(attestation.AttestationError, match="typ"):
        attestation.verify(result["sdJwt"].split("~")[0], keys)
    with pytest.raises(attestation.AttestationError, match="typ"):
        attestation.verify(result["jws"] + "~", keys)

    jwks_file = tmp_path / "registry-jwks.json"
    jwks_file.write_text(json.dumps(keys))
    assert cli.main(["verify-credential", stale.jws, "--jwks", str(jwks_file)]) == 1
    assert "expired" in capsys.readouterr().err
    (tmp_path / "other-jwks.json").write_text(json.dumps(other))
    assert cli.main(["verify-credential", result["sdJwt"], "--jwks", str(tmp_path / "other-jwks.json")]) == 1
    assert cli.main(["verify-credential", "@" + str(tmp_path / "missing"), "--jwks", str(jwks_file)]) == 2

    # stored evidence: the expired attestation was valid when it was relied on, and not before it was issued
    when = datetime.fromtimestamp(time.time() - 3600 + 60, UTC).isoformat().replace("+00:00", "Z")
    assert cli.main(["verify-credential", stale.jws, "--jwks", str(jwks_file), "--at", when]) == 0
    assert f"valid at {when[:19]}" in capsys.readouterr().err
    assert cli.main(["verify-credential", stale.jws, "--jwks", str(jwks_file), "--at", str(time.time() - 7200)]) == 1
    assert capsys.readouterr().err.startswith("INVALID: ")  # before it was issued
    for bad in ("yesterday", "2026-05-01T12:00:00"):
        assert cli.main(["verify-credential", stale.jws, "--jwks", str(jwks_file), "--at", bad]) == 2
        assert capsys.readouterr().err.startswith("error: --at ")


async def test_sd_jwt_discloses_only_what_the_holder_chooses(
    world: World, officers: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [result] = (await verify_as(world, "partner", partner_id="acme-hr"))["data"]["verifyCredential"]
    keys = await jwks(world)
    full = result["sdJwt"]
    assert full.endswith("~") and len(full.split("~")) == 2 + 7  # JWT, seven disclosures, no key binding
    signed_payload = _segments(full.split("~")[0])[1]
    assert b"100001" not in signed_payload and b"ACTIVE" not in signed_payload  # only digests are signed in clear

    shown = sd_jwt.present(full, ["status", "expiresOn"])
    checked = attestation.verify(shown, keys)
    assert set(checked.claims) == {"iss", "iat", "exp", "jti", "status", "expiresOn"}
    digests = len(json.loads(signed_payload)["_sd"])
    assert checked.claims["status"] == "ACTIVE" and checked.undisclosed == digests - 2
    assert not any(b"100001" in s or b"PEACE_OFFICER" in s for s in _segments(shown))

    # The CLI does the same, from the holder's side and the verifier's.
    assert cli.main(["present-credential", full, "--disclose", "status,kind"]) == 0
    presented = capsys.readouterr().out.strip()
    (tmp_path / "registry-jwks.json").write_text(json.dumps(keys))
    assert cli.main(["verify-credential", presented, "--jwks", str(tmp_path / "registry-jwks.json")]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {k: v for k, v in checked.claims.items() if k != "expiresOn"} | {"kind": "PEACE_OFFICER"}
    assert f"{digests - 2} digest(s) not disclosed (withheld claims or decoys)" in err

    # A modified disclosure (same salt, better status) no longer matches any signed digest.
    jwt_part, *disclosures, _ = full.split("~")
    status_disclosure = next(d for d in disclosures if sd_jwt.claim_name(d) == "status")
    salt, name, _value = json.loads(base64.urlsafe_b64decode(status_disclosure + "=="))
    forged = sd_jwt.make_disclosure(name, "ACTIVE" if _value != "ACTIVE" else "REVOKED", salt)
    with pytest.raises(attestation.AttestationError, match="does not belong"):
        attestation.verify(f"{jwt_part}~{forged}~", keys)
    # A disclosure taken from another attestation does not belong either, nor may one be given twice.
    [again] = (await verify_as(world, "partner", partner_id="acme-hr"))["data"]["verifyCredential"]
    foreign = again["sdJwt"].split("~")[1]
    with pytest.raises(attestation.AttestationError, match="does not belong"):
        attestation.verify(f"{jwt_part}~{foreign}~", keys)
    with pytest.raises(attestation.AttestationError, match="twice"):
        attestation.verify(f"{jwt_part}~{status_disclosure}~{status_disclosure}~", keys)
    with pytest.raises(attestation.AttestationError, match="key-binding"):
        attestation.verify(f"{jwt_part}~{status_disclosure}~eyJhbGciOiJub25lIn0.e30.", keys)


async def test_who_may_verify(world: World, officers: dict[str, str]) -> None:
    anonymous = await world.gql(VERIFY, {"s": "CA", "n": "100001"})
    assert anonymous["data"] is None or anonymous["data"]["verifyCredential"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for role, bindings in (("admin", {}), ("credentialing_body", {"publisher_id": "ca-post"})):
        body = await verify_as(world, role, **bindings)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role

    for role, bindings in (("partner", {"partner_id": "acme-hr"}), ("hiring_agency", {"agency_ori": "TX2270000"}),
                           ("auditor", {}), ("publisher", {"publisher_id": "tx-tcole"})):
        body = await verify_as(world, role, **bindings)
        assert [r["status"] for r in body["data"]["verifyCredential"]] == ["ACTIVE"], role

    # An officer gets an attestation of their own certification, and nothing about anyone else's.
    own = await verify_as(world, "officer", officer_id=officers["doe"])
    assert [r["number"] for r in own["data"]["verifyCredential"]] == ["100001"]
    other = await verify_as(world, "officer", number="200002", officer_id=officers["doe"])
    assert other == {"data": {"verifyCredential": []}}

    unknown = await verify_as(world, "partner", number="999999", partner_id="acme-hr")
    assert unknown == {"data": {"verifyCredential": []}}
    bad = await world.gql(VERIFY, {"s": "California", "n": "1"}, as_="partner", partner_id="acme-hr", headers=CHECKING)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_attestation_through_the_officer_carries_the_officer_id_and_is_logged(
    world: World, officers: dict[str, str]
) -> None:
    query = """query($id: ID!) { officer(id: $id) { certifications { edges { node { number
      attestation { status jws } } } } } }"""
    hiring: dict[str, Any] = {"as_": "hiring_agency", "agency_ori": "TX2270000"}
    refused = await world.gql(query, {"id": officers["doe"]}, **hiring)
    assert refused["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"

    purpose = {"Registry-Purpose": "PRE_EMPLOYMENT_BACKGROUND_CHECK"}
    body = await world.ok(query, {"id": officers["doe"]}, headers=purpose, **hiring)
    [edge] = body["officer"]["certifications"]["edges"]
    claims = attestation.verify(edge["node"]["attestation"]["jws"], await jwks(world)).claims
    assert claims["officerId"] == officers["doe"] and claims["number"] == "100001"
    assert "name" not in json.dumps(claims).lower()

    log = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole purpose } } } } }",
                         {"id": officers["doe"]}, as_="officer", officer_id=officers["doe"])
    assert {"actorRole": "hiring_agency", "purpose": "PRE_EMPLOYMENT_BACKGROUND_CHECK"} in [
        e["node"] for e in log["officer"]["queryLog"]["edges"]]

    # A partner cannot reach an officer, so it cannot reach this path at all.
    partner = await world.gql(query, {"id": officers["doe"]}, as_="partner", partner_id="acme-hr",
                              headers={"Registry-Purpose": "PRE_EMPLOYMENT_BACKGROUND_CHECK"})
    assert partner["data"]["officer"] is None


def test_the_attestation_key_is_created_once_private_and_reused(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(attestation.ENV_VAR, raising=False)
    path = tmp_path / "secrets" / attestation.DEFAULT_FILE
    first = attestation.load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert attestation.load_or_create_key(path).kid == first.kid
    os.chmod(path, 0o644)
    with pytest.raises(attestation.AttestationError, match="readable by others"):
        attestation.load_or_create_key(path)
    other = attestation.new_key()
    monkeypatch.setenv(attestation.ENV_VAR, json.dumps(other.as_dict(private=True)))
    assert attestation.load_or_create_key(path).kid == other.kid
    monkeypatch.setenv(attestation.ENV_VAR, json.dumps(attestation.jwks(other)["keys"][0]))
    with pytest.raises(attestation.AttestationError, match="private"):
        attestation.load_or_create_key(path)


async def test_the_readme_partner_section_works_as_written(pool: asyncpg.Pool, clean: None, database_url: str,
                                                           tmp_path: Path) -> None:
    """The demo answer the README promises, and its joserfc snippet, run against the real JWKS."""
    await load_demo(database_url, pool, tmp_path)
    world = World(pool, tmp_path)  # the demo's data directory: its admin key signed the demo's registrations
    body = await world.ok('{ verifyCredential(state: "CA", number: "148623", purpose: CREDENTIAL_VERIFICATION) '
                          '{ status jws } }',
                          as_="partner", partner_id=demo.DEMO_ROLES["partner"]["partner_id"])
    [result] = body["verifyCredential"]
    assert result["status"] == "REVOKED"

    section = README[README.index("## For partner engineers"):]
    snippet = section[section.index("```python\n") + len("```python\n"):]
    snippet = snippet[:snippet.index("```")]
    url_fetch = 'httpx.get("http://localhost:8000/.well-known/jwks.json").json()'
    assert url_fetch in snippet
    printed: list[Any] = []
    env = {"jws": result["jws"], "print": lambda *a: printed.append(a), "_jwks": await jwks(world)}
    exec(snippet.replace(url_fetch, "_jwks"), env)
    assert len(printed) == 1 and printed[0][0] == "REVOKED"


def test_decoys_hide_whether_an_optional_claim_was_issued() -> None:
    """The number of digests is the same whether or not officerId is in the attestation (RFC 9901 4.2.5)."""
    key = attestation.new_key()
    facts = {"sub": "CRT-1", "state": "CA", "number": "1", "kind": "PEACE_OFFICER", "status": "ACTIVE",
             "expiresOn": None}
    counts: dict[bool, set[int]] = {True: set(), False: set()}
    for _ in range(200):
        for with_officer in (True, False):
            issued = attestation.issue(key, "https://r.example", {**facts, **({"officerId": "OFC-1"} if with_officer
                                                                              else {})})
            payload = json.loads(_segments(issued.sd_jwt.split("~")[0])[1])
            counts[with_officer].add(len(payload["_sd"]))
    names = len(attestation.DISCLOSABLE)  # 8: a digest per disclosable claim name, real or decoy, plus 0-3
    assert counts[True] == counts[False] == {names, names + 1, names + 2, names + 3}


def test_a_nested_or_decoyed_token_never_counts_below_zero() -> None:
    payload = {"_sd": [sd_jwt.decoy_digest()], "address": {"_sd": [sd_jwt.digest(d := sd_jwt.make_disclosure(
        "city", "Fresno"))]}}
    claims, hidden = sd_jwt.resolve_counting(payload, [d])
    assert claims == {"address": {"city": "Fresno"}} and hidden == 1  # the decoy; the nested claim was shown


async def test_a_status_check_by_number_declares_its_purpose_and_the_officer_sees_it(
    world: World, officers: dict[str, str]
) -> None:
    """SPEC: every read by a hiring agency, partner or auditor is logged with its purpose, and the officer
    reads that log. A status check by number is such a read: it says who checked which certification."""
    status_q = '{ verifyCertification(state: "CA", number: "100001") { status } }'
    for query in (VERIFY, status_q):
        callers: tuple[tuple[str, dict[str, Any]], ...] = (
            ("partner", {"partner_id": "acme-hr"}), ("hiring_agency", {"agency_ori": "TX2270000"}), ("auditor", {}))
        for role, bindings in callers:
            body = await world.gql(query, {"s": "CA", "n": "100001"}, as_=role, **bindings)
            assert body["data"] is None, (role, body)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["PURPOSE_REQUIRED"], (role, query)
    # Roles that are not logged need none: the officer for their own numbers, a publisher.
    assert (await world.ok(VERIFY, {"s": "CA", "n": "100001"}, as_="officer", officer_id=officers["doe"]))[
        "verifyCredential"][0]["status"] == "ACTIVE"
    assert (await world.ok(status_q, as_="publisher", publisher_id="tx-tcole"))["verifyCertification"]

    await verify_as(world, "partner", partner_id="acme-hr")
    await world.ok(status_q, as_="hiring_agency", agency_ori="TX2270000", headers=CHECKING)
    await verify_as(world, "partner", number="999999", partner_id="acme-hr")  # no officer: nothing to log
    log = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole "
                         "actorOrganization purpose returned } } } } }", {"id": officers["doe"]},
                         as_="officer", officer_id=officers["doe"])
    entries = [e["node"] for e in log["officer"]["queryLog"]["edges"]]
    assert sorted((e["actorRole"], e["actorOrganization"], e["purpose"], sorted(e["returned"])) for e in entries) == [
        ("hiring_agency", "TX2270000", "CREDENTIAL_VERIFICATION", ["CertificationVerification"]),
        ("partner", "acme-hr", "CREDENTIAL_VERIFICATION", ["CredentialAttestation"]),
    ]
    other = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { totalCount } } }",
                           {"id": officers["lopez"]}, as_="officer", officer_id=officers["lopez"])
    assert other["officer"]["queryLog"]["totalCount"] == 0
