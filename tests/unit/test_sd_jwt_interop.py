"""SD-JWT interoperability with the IETF reference implementation (``sd-jwt`` on PyPI), both directions,
with real signatures: the registry's Ed25519 key, P-256 holder keys, jwcrypto on the reference side and
joserfc on ours. Nothing is mocked.

Ours -> reference (``credentials.attestation.issue``, ``presentation.present``, ``sd_jwt.bind`` read by
``SDJWTVerifier`` / ``SDJWTHolder``) proves that what the registry issues is standard RFC 9901 that an
independent implementation reads the same way: the Ed25519 issuer signature (``alg: Ed25519``) found by
the JWK from our own published JWKS, the disclosure encoding, the digests over the disclosure's ASCII
form, ``_sd_alg``, decoy digests, the ``~`` serialization, ``cnf`` and a Key Binding JWT (``kb+jwt``,
``sd_hash`` over the presentation) signed with a P-256 holder key. The reference recovers exactly the
claims our verifier reports, in both SD-JWT forms and from presentations. The reference holder, in turn,
builds presentations of our credentials (its own choice of disclosures and its own KB-JWT) that our
verifier accepts with ``require_binding``: our verifier is not only consistent with our own holder code.

Reference -> ours (``SDJWTIssuer`` with our Ed25519 key, ``SDJWTHolder``, read by ``attestation.verify``
and ``sd_jwt.resolve_counting``) proves that our verifier accepts SD-JWTs of shapes our issuer never
makes: flat, nested (recursive disclosures inside a disclosed object), array elements (``{"...": d}``),
decoys at every level, disclosures JSON-encoded differently from ours (``", "`` separators), both names
of the algorithm, and a KB-JWT signed by another library whose ``aud``, ``nonce`` and ``sd_hash`` we
check (another nonce, another audience, a dropped disclosure, a stripped KB-JWT: all refused). The
undisclosed count we report is the number of digests the issuer put in, counted independently from
the decoded payload and the disclosed values, minus those disclosed.

Where the reference is more lenient than ours (each shown by a test that asserts the reference's
acceptance next to our refusal):

* a presentation without its trailing ``~``: the reference takes the last disclosure for a KB-JWT and,
  asked for no key binding, ignores it, so one disclosed claim silently disappears;
* a foreign disclosure (from another credential): the reference ignores a disclosure no digest names;
* a digest twice in an array (``{"...": d}`` repeated): the reference shows the element twice (it checks
  repeated digests only in ``_sd``); an identical disclosure given twice, by contrast, both refuse;
* an expired credential: the reference checks neither ``exp`` nor ``iat``; by its source (not tested
  here) nor the JWT's ``typ``, nor a KB-JWT's age, nor a KB-JWT at all unless given an expected audience
  and nonce.

Where the reference is narrower: its verifier checks a KB-JWT with ES256 only, so a presentation bound
to an Ed25519 holder key (what ``presentation.new_holder_key`` makes) cannot be checked by it.

The legacy algorithm name: a reference-issued token with ``alg: EdDSA`` verifies against the registry's
own published JWKS (whose key says ``alg: Ed25519``). This test found that joserfc held the key to its
JWK ``alg`` and refused the legacy name; ``attestation`` now drops the JWK ``alg`` and accepts exactly
``VERIFY_ALGS``, as ``auth.tokens`` does.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey
from jwcrypto.jwk import JWK
from jwcrypto.jws import InvalidJWSSignature
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from credentials import attestation, presentation, sd_jwt

ISSUER: Final = "https://registry.test"
AUDIENCE: Final = "https://verifier.test"
FACTS: Final[Mapping[str, str]] = {
    "sub": "cert-1", "state": "TX", "number": "100001", "kind": "PEACE_OFFICER", "status": "ACTIVE",
    "expiresOn": "2030-01-31", "officerId": "off-1",
}
ALWAYS_VISIBLE: Final = ("iss", "iat", "exp", "jti")
VC_ALWAYS_VISIBLE: Final = ("iss", "iat", "exp", "jti", "vct")


# --- helpers ---------------------------------------------------------------------------------------
@pytest.fixture
def issuer_key() -> OKPKey:
    return attestation.new_key()


@pytest.fixture
def published(issuer_key: OKPKey) -> dict[str, Any]:
    """The registry's public JWKS, exactly as served."""
    return attestation.jwks(issuer_key)


def reference_public_key(jwks: Mapping[str, Any]) -> Any:
    """Our published public key as the jwcrypto JWK the reference verifier wants."""
    (key,) = jwks["keys"]
    return JWK(**key)


def reference_private_key(key: OKPKey | ECKey) -> Any:
    return JWK(**key.as_dict(private=True))


def reference_verify(token: str, jwks: Mapping[str, Any], *, aud: str | None = None,
                     nonce: str | None = None) -> dict[str, Any]:
    public = reference_public_key(jwks)

    def issuer_key_for(iss: str, header: Mapping[str, Any]) -> Any:
        assert iss == ISSUER
        assert header.get("kid") in (None, public.kid)
        return public

    verifier = SDJWTVerifier(token, cb_get_issuer_key=issuer_key_for, expected_aud=aud, expected_nonce=nonce)
    payload: dict[str, Any] = verifier.get_verified_payload()
    return payload


def reference_present(issuance: str, selection: Mapping[str, Any], *, holder: Any = None,
                      nonce: str | None = None) -> str:
    holder_side = SDJWTHolder(issuance)
    if holder is None:
        holder_side.create_presentation(dict(selection))
    else:
        holder_side.create_presentation(dict(selection), nonce=nonce, aud=AUDIENCE, holder_key=holder,
                                        sign_alg="ES256")
    token: str = holder_side.sd_jwt_presentation
    return token


def payload_of(token: str) -> dict[str, Any]:
    """The issuer-signed JWT's payload (unverified: only for counting what the issuer put in)."""
    body = token.split("~", 1)[0].split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return payload


def disclosed_values(token: str) -> list[Any]:
    return [json.loads(sd_jwt.b64decode(d))[-1] for d in sd_jwt.parse(token).disclosures]


def count_digests(node: Any) -> int:
    """Digests in a JSON value: ``_sd`` entries and ``{"...": digest}`` array elements, at any depth."""
    if isinstance(node, dict):
        own = len(node["_sd"]) if isinstance(node.get("_sd"), list) else 0
        return own + sum(count_digests(v) for k, v in node.items() if k != "_sd")
    if isinstance(node, list):
        return sum(1 if isinstance(e, dict) and set(e) == {"..."} else count_digests(e) for e in node)
    return 0


def expected_undisclosed(token: str) -> int:
    """Digests visible to a verifier (payload + disclosed values) minus the disclosures that fill them."""
    visible = count_digests(payload_of(token)) + sum(count_digests(v) for v in disclosed_values(token))
    return visible - len(sd_jwt.parse(token).disclosures)


def drop_key_binding(token: str) -> str:
    return token[: token.rindex("~") + 1]


def p256_holder() -> tuple[ECKey, ECKey]:
    """A wallet's P-256 key: (private, public)."""
    private = ECKey.generate_key("P-256", private=True)
    return private, ECKey.import_key(private.as_dict(private=False))


def always(token_claims: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {k: token_claims[k] for k in names}


# --- A. ours -> reference --------------------------------------------------------------------------
#: Each SD-JWT form: its token in an Attestation, its always-visible claims, its name for the status.
Form = tuple[Callable[[attestation.Attestation], str], tuple[str, ...], str]
FORMS: Final[dict[str, Form]] = {
    "sd-jwt": (lambda a: a.sd_jwt, ALWAYS_VISIBLE, "status"),
    "dc+sd-jwt": (lambda a: a.sd_jwt_vc, VC_ALWAYS_VISIBLE, "certificationStatus"),
}


@pytest.mark.parametrize("form", FORMS)
def test_reference_verifies_our_issuance(issuer_key: OKPKey, published: dict[str, Any], form: str) -> None:
    token_of, _, _ = FORMS[form]
    token = token_of(attestation.issue(issuer_key, ISSUER, FACTS))
    ours = attestation.verify(token, published, issuer=ISSUER)
    assert ours.form == form
    assert reference_verify(token, published) == ours.claims
    assert ours.undisclosed == expected_undisclosed(token)


@pytest.mark.parametrize("form", FORMS)
def test_reference_verifies_our_presentation(issuer_key: OKPKey, published: dict[str, Any], form: str) -> None:
    token_of, visible, status = FORMS[form]
    issued = attestation.issue(issuer_key, ISSUER, FACTS)
    shown = presentation.present(token_of(issued), [status, "expiresOn"])
    ours = attestation.verify(shown, published, issuer=ISSUER)
    assert set(ours.claims) == {*visible, status, "expiresOn"}
    assert ours.claims[status] == "ACTIVE"
    assert reference_verify(shown, published) == ours.claims
    assert ours.undisclosed == expected_undisclosed(shown) == len(payload_of(shown)["_sd"]) - 2


@pytest.mark.parametrize("form", FORMS)
def test_reference_ignores_our_decoys(issuer_key: OKPKey, published: dict[str, Any], form: str) -> None:
    # Without officerId our issuer always adds at least one decoy (7 disclosable names, 6 claims); with all
    # seven claims it may add none, which is the point: the digest count does not tell officerId was issued.
    facts = {k: v for k, v in FACTS.items() if k != "officerId"}
    token_of, visible, status = FORMS[form]
    token = token_of(attestation.issue(issuer_key, ISSUER, facts))
    digests = payload_of(token)["_sd"]
    assert len(digests) > len(sd_jwt.parse(token).disclosures) == 6
    shown = presentation.present(token, [status])
    claims = reference_verify(shown, published)
    assert set(claims) == {*visible, status}
    assert claims == attestation.verify(shown, published, issuer=ISSUER).claims
    assert attestation.verify(shown, published).undisclosed == len(digests) - 1


@pytest.mark.parametrize("form", FORMS)
def test_reference_checks_our_key_binding(issuer_key: OKPKey, published: dict[str, Any], form: str) -> None:
    token_of, visible, status = FORMS[form]
    holder, holder_public = p256_holder()
    issued = attestation.issue(issuer_key, ISSUER, FACTS, holder=holder_public)
    assert issued.holder_bound and issued.jws is None
    nonce = secrets.token_urlsafe(16)
    bound = sd_jwt.bind(presentation.present(token_of(issued), [status]), holder, audience=AUDIENCE, nonce=nonce)

    claims = reference_verify(bound, published, aud=AUDIENCE, nonce=nonce)
    assert set(claims) == {*visible, "cnf", status}
    assert claims["cnf"] == sd_jwt.cnf_for(holder_public)
    ours = attestation.verify(bound, published, issuer=ISSUER, audience=AUDIENCE, nonce=nonce, require_binding=True)
    assert ours.claims == claims
    assert ours.key_binding is not None and ours.key_binding.alg == "ES256"

    with pytest.raises(ValueError, match="Invalid nonce"):
        reference_verify(bound, published, aud=AUDIENCE, nonce="another-nonce")
    with pytest.raises(ValueError, match="Invalid audience"):
        reference_verify(bound, published, aud="https://elsewhere.test", nonce=nonce)


@pytest.mark.parametrize("form", FORMS)
def test_reference_holder_presents_our_credential(issuer_key: OKPKey, published: dict[str, Any], form: str) -> None:
    token_of, visible, status = FORMS[form]
    holder, holder_public = p256_holder()
    token = token_of(attestation.issue(issuer_key, ISSUER, FACTS, holder=holder_public))
    nonce = secrets.token_urlsafe(16)
    shown = reference_present(token, {status: True}, holder=reference_private_key(holder), nonce=nonce)

    ours = attestation.verify(shown, published, issuer=ISSUER, audience=AUDIENCE, nonce=nonce, require_binding=True)
    assert set(ours.claims) == {*visible, "cnf", status}
    assert ours.claims[status] == "ACTIVE"
    assert len(sd_jwt.parse(shown).disclosures) == 1
    assert ours.undisclosed == len(payload_of(shown)["_sd"]) - 1
    assert ours.holder_bound
    assert ours.key_binding is not None
    assert (ours.key_binding.audience, ours.key_binding.nonce, ours.key_binding.alg) == (AUDIENCE, nonce, "ES256")
    with pytest.raises(attestation.AttestationError, match="nonce"):
        attestation.verify(shown, published, audience=AUDIENCE, nonce="another-nonce", require_binding=True)


def test_reference_verifier_cannot_check_an_ed25519_key_binding(issuer_key: OKPKey, published: dict[str, Any]) -> None:
    """The reference verifies KB-JWTs with ES256 only; ours also takes Ed25519 holder keys (our default)."""
    holder = presentation.new_holder_key()
    issued = attestation.issue(issuer_key, ISSUER, FACTS, holder=OKPKey.import_key(holder.as_dict(private=False)))
    nonce = secrets.token_urlsafe(16)
    bound = sd_jwt.bind(presentation.present(issued.sd_jwt, ["status"]), holder, audience=AUDIENCE, nonce=nonce)
    ours = attestation.verify(bound, published, audience=AUDIENCE, nonce=nonce, require_binding=True)
    assert ours.key_binding is not None and ours.key_binding.alg == "Ed25519"
    with pytest.raises(InvalidJWSSignature):
        reference_verify(bound, published, aud=AUDIENCE, nonce=nonce)


# --- B. reference -> ours --------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """User claims for ``SDJWTIssuer`` (besides iss/iat/exp/vct), a holder's selection, what it reveals."""

    claims: dict[Any, Any]
    selection: dict[str, Any]
    revealed: dict[str, Any]
    decoys: bool = False


FLAT: Final[dict[Any, Any]] = {
    SDObj("sub"): "cert-1", SDObj("state"): "TX", SDObj("number"): "100001", "kind": "PEACE_OFFICER",
    SDObj("certificationStatus"): "ACTIVE", SDObj("expiresOn"): "2030-01-31", SDObj("officerId"): "off-1",
}
NESTED: Final[dict[Any, Any]] = {
    SDObj("certificationStatus"): "ACTIVE",
    SDObj("agency"): {SDObj("ori"): "TX2270000", SDObj("name"): "Travis County Sheriff's Office", "state": "TX"},
}
ARRAYS: Final[dict[Any, Any]] = {
    SDObj("certificationStatus"): "ACTIVE",
    "endorsements": [SDObj("FIREARMS"), SDObj("K9"), "PATROL", SDObj({"code": "SWAT", SDObj("since"): "2024-05-01"})],
}
SHAPES: Final = {
    "flat": Shape(FLAT, {"certificationStatus": True, "expiresOn": True},
                  {"kind": "PEACE_OFFICER", "certificationStatus": "ACTIVE", "expiresOn": "2030-01-31"}),
    "nested": Shape(NESTED, {"agency": {"ori": True}}, {"agency": {"ori": "TX2270000", "state": "TX"}}),
    "arrays": Shape(ARRAYS, {"certificationStatus": True, "endorsements": [True, False, None, {}]},
                    {"certificationStatus": "ACTIVE", "endorsements": ["FIREARMS", "PATROL", {"code": "SWAT"}]}),
    "decoys": Shape({**FLAT, **NESTED, **ARRAYS},
                    {"sub": True, "agency": {"name": True}, "endorsements": [False, True, None, {"since": True}]},
                    {"kind": "PEACE_OFFICER", "sub": "cert-1",
                     "agency": {"name": "Travis County Sheriff's Office", "state": "TX"},
                     "endorsements": ["K9", "PATROL", {"code": "SWAT", "since": "2024-05-01"}]},
                    decoys=True),
}


def plain(claims: Any) -> Any:
    """The claims with the ``SDObj`` markers removed: what a verifier sees when all is disclosed."""
    if isinstance(claims, SDObj):
        return plain(claims.value)
    if isinstance(claims, dict):
        return {(k.value if isinstance(k, SDObj) else k): plain(v) for k, v in claims.items()}
    if isinstance(claims, list):
        return [plain(e) for e in claims]
    return claims


def visible_claims(now: int) -> dict[str, Any]:
    return {"iss": ISSUER, "iat": now, "exp": now + 600, "vct": attestation.VCT}


def reference_issue(key: OKPKey, claims: Mapping[Any, Any], *, alg: str = "Ed25519", decoys: bool = False,
                    holder: Any = None, kid: bool = True) -> str:
    header: dict[str, Any] = {"typ": attestation.VC_TYP}
    if kid:
        header["kid"] = key.kid
    issuer = SDJWTIssuer(dict(claims), reference_private_key(key), holder_key=holder, sign_alg=alg,
                         add_decoy_claims=decoys, extra_header_parameters=header)
    token: str = issuer.sd_jwt_issuance
    return token


def ours_low_level(token: str, jwks: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """joserfc checks the signature; ``sd_jwt.resolve_counting`` the disclosures (no attestation rules)."""
    parsed = sd_jwt.parse(token)
    decoded = jwt.decode(parsed.jwt, KeySet.import_key_set(dict(jwks)), algorithms=["Ed25519"])  # type: ignore[arg-type]
    return sd_jwt.resolve_counting(dict(decoded.claims), parsed.disclosures)


@pytest.mark.parametrize("shape", SHAPES)
def test_ours_verifies_reference_issuance(issuer_key: OKPKey, published: dict[str, Any], shape: str) -> None:
    case = SHAPES[shape]
    now = int(time.time())
    user_claims = {**visible_claims(now), **case.claims}
    token = reference_issue(issuer_key, user_claims, decoys=case.decoys)
    if case.decoys:  # more digests than disclosures, even with everything disclosed
        assert expected_undisclosed(token) > 0

    ours = attestation.verify(token, published, issuer=ISSUER)
    assert (ours.form, ours.kid, ours.holder_bound, ours.key_binding) == ("dc+sd-jwt", issuer_key.kid, False, None)
    assert ours.claims == plain(user_claims)
    assert ours.undisclosed == expected_undisclosed(token) == count_digests(payload_of(token)) + sum(
        count_digests(v) for v in disclosed_values(token)) - len(sd_jwt.parse(token).disclosures)
    assert ours_low_level(token, published) == (ours.claims, ours.undisclosed)
    assert reference_verify(token, published) == ours.claims


@pytest.mark.parametrize("shape", SHAPES)
def test_ours_verifies_reference_presentation(issuer_key: OKPKey, published: dict[str, Any], shape: str) -> None:
    case = SHAPES[shape]
    now = int(time.time())
    token = reference_issue(issuer_key, {**visible_claims(now), **case.claims}, decoys=case.decoys)
    shown = reference_present(token, case.selection)

    ours = attestation.verify(shown, published, issuer=ISSUER)
    assert ours.claims == {**visible_claims(now), **case.revealed}
    assert ours_low_level(shown, published) == (ours.claims, ours.undisclosed)
    assert reference_verify(shown, published) == ours.claims


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("disclose", ["all", "some", "none"])
def test_undisclosed_count_matches_reference_digests(issuer_key: OKPKey, published: dict[str, Any], shape: str,
                                                     disclose: str) -> None:
    case = SHAPES[shape]
    token = reference_issue(issuer_key, {**visible_claims(int(time.time())), **case.claims}, decoys=case.decoys)
    shown = {"all": token, "some": reference_present(token, case.selection), "none": reference_present(token, {})}[
        disclose]
    disclosed = len(sd_jwt.parse(shown).disclosures)
    put_in = count_digests(payload_of(shown)) + sum(count_digests(v) for v in disclosed_values(shown))
    ours = attestation.verify(shown, published, issuer=ISSUER)
    assert ours.undisclosed == put_in - disclosed
    if disclose == "none":
        assert disclosed == 0
        assert ours.undisclosed == count_digests(payload_of(token))
    if disclose == "all" and not case.decoys:
        assert ours.undisclosed == 0


@pytest.mark.parametrize("kid", [True, False], ids=["kid", "no-kid"])
def test_reference_issuer_legacy_eddsa_name_with_a_jwks_without_alg(
        issuer_key: OKPKey, published: dict[str, Any], kid: bool) -> None:
    """The legacy name's signature itself is fine for our verifier once the JWK does not pin ``alg``."""
    now = int(time.time())
    user_claims = {**visible_claims(now), **FLAT}
    token = reference_issue(issuer_key, user_claims, alg="EdDSA", kid=kid)
    assert json.loads(sd_jwt.b64decode(token.split(".", 1)[0]))["alg"] == "EdDSA"
    without_alg = {"keys": [{k: v for k, v in jwk.items() if k != "alg"} for jwk in published["keys"]]}
    assert attestation.verify(token, without_alg, issuer=ISSUER).claims == plain(user_claims)


@pytest.mark.parametrize("kid", [True, False], ids=["kid", "no-kid"])
def test_reference_issuer_legacy_eddsa_name(issuer_key: OKPKey, published: dict[str, Any], kid: bool) -> None:
    now = int(time.time())
    user_claims = {**visible_claims(now), **FLAT}
    token = reference_issue(issuer_key, user_claims, alg="EdDSA", kid=kid)
    assert reference_verify(token, published) == plain(user_claims)  # jwcrypto: the signature is fine
    assert attestation.verify(token, published, issuer=ISSUER).claims == plain(user_claims)


@pytest.fixture
def bound_reference_presentation(issuer_key: OKPKey) -> tuple[str, str, dict[str, Any]]:
    """A reference-issued SD-JWT VC bound to a jwcrypto P-256 key, presented by the reference holder with
    a KB-JWT: (presentation, nonce, expected claims)."""
    holder = JWK.generate(kty="EC", crv="P-256")
    now = int(time.time())
    user_claims = {**visible_claims(now), **FLAT, **NESTED}
    token = reference_issue(issuer_key, user_claims, decoys=True, holder=holder)
    nonce = secrets.token_urlsafe(16)
    selection = {"certificationStatus": True, "expiresOn": True, "agency": {"ori": True}}
    shown = reference_present(token, selection, holder=holder, nonce=nonce)
    expected = {**visible_claims(now), "cnf": {"jwk": holder.export_public(as_dict=True)}, "kind": "PEACE_OFFICER",
                "certificationStatus": "ACTIVE", "expiresOn": "2030-01-31",
                "agency": {"ori": "TX2270000", "state": "TX"}}
    return shown, nonce, expected


def test_ours_checks_reference_key_binding(published: dict[str, Any],
                                           bound_reference_presentation: tuple[str, str, dict[str, Any]]) -> None:
    shown, nonce, expected = bound_reference_presentation
    ours = attestation.verify(shown, published, issuer=ISSUER, audience=AUDIENCE, nonce=nonce, require_binding=True)
    assert ours.claims == expected
    assert ours.holder_bound
    assert ours.key_binding is not None
    assert (ours.key_binding.audience, ours.key_binding.nonce, ours.key_binding.alg) == (AUDIENCE, nonce, "ES256")
    assert abs(ours.key_binding.issued_at - time.time()) < 60
    assert ours.undisclosed == expected_undisclosed(shown)
    assert reference_verify(shown, published, aud=AUDIENCE, nonce=nonce) == expected


def _drop_disclosure(token: str, name: str) -> str:
    """The presentation without the disclosure of ``name`` (a leaf: what is left still resolves)."""
    parsed = sd_jwt.parse(token)
    kept = tuple(d for d in parsed.disclosures if sd_jwt.claim_name(d) != name)
    assert len(kept) == len(parsed.disclosures) - 1
    return sd_jwt.SdJwt(parsed.jwt, kept, parsed.key_binding).serialize()


@pytest.mark.parametrize(("tamper", "audience", "nonce", "error"), [
    ("none", AUDIENCE, "another-nonce", "another nonce"),
    ("none", "https://elsewhere.test", None, "audience"),
    ("drop a disclosure", AUDIENCE, None, "sd_hash differs"),
    ("strip the KB-JWT", AUDIENCE, None, "not key-bound"),
])
def test_ours_refuses_misused_reference_key_binding(
        published: dict[str, Any], bound_reference_presentation: tuple[str, str, dict[str, Any]], tamper: str,
        audience: str, nonce: str | None, error: str) -> None:
    shown, right_nonce, _ = bound_reference_presentation
    token = {"none": shown, "drop a disclosure": _drop_disclosure(shown, "expiresOn"),
             "strip the KB-JWT": drop_key_binding(shown)}[tamper]
    with pytest.raises(attestation.AttestationError, match=error):
        attestation.verify(token, published, issuer=ISSUER, audience=audience, nonce=nonce or right_nonce,
                           require_binding=True)


# --- where the reference is more lenient than ours -------------------------------------------------
def test_missing_trailing_tilde(issuer_key: OKPKey, published: dict[str, Any]) -> None:
    token = presentation.present(attestation.issue(issuer_key, ISSUER, FACTS).sd_jwt, ["status", "expiresOn"])
    truncated = token.removesuffix("~")
    last = sd_jwt.claim_name(sd_jwt.parse(token).disclosures[-1])
    assert last in ("status", "expiresOn")

    claims = reference_verify(truncated, published)  # the reference accepts it, and loses a claim
    assert last not in claims
    assert set(claims) == {*ALWAYS_VISIBLE, "status", "expiresOn"} - {last}
    with pytest.raises(attestation.AttestationError):
        attestation.verify(truncated, published, issuer=ISSUER)


def test_foreign_disclosure(issuer_key: OKPKey, published: dict[str, Any]) -> None:
    token = presentation.present(attestation.issue(issuer_key, ISSUER, FACTS).sd_jwt, ["status"])
    other = attestation.issue(issuer_key, ISSUER, {**FACTS, "sub": "cert-2", "officerId": "off-2"}).sd_jwt
    (foreign,) = sd_jwt.parse(presentation.present(other, ["officerId"])).disclosures
    parsed = sd_jwt.parse(token)
    smuggled = sd_jwt.SdJwt(parsed.jwt, (*parsed.disclosures, foreign), "").serialize()

    claims = reference_verify(smuggled, published)  # the reference ignores what no digest names
    assert claims == attestation.verify(token, published).claims
    assert "officerId" not in claims
    with pytest.raises(attestation.AttestationError, match="does not belong"):
        attestation.verify(smuggled, published, issuer=ISSUER)


def test_duplicate_disclosure_is_refused_by_both(issuer_key: OKPKey, published: dict[str, Any]) -> None:
    parsed = sd_jwt.parse(presentation.present(attestation.issue(issuer_key, ISSUER, FACTS).sd_jwt, ["status"]))
    twice = sd_jwt.SdJwt(parsed.jwt, parsed.disclosures * 2, "").serialize()
    with pytest.raises(ValueError, match="Duplicate disclosure"):
        reference_verify(twice, published)
    with pytest.raises(attestation.AttestationError, match="twice"):
        attestation.verify(twice, published, issuer=ISSUER)


def test_duplicate_array_digest(issuer_key: OKPKey, published: dict[str, Any]) -> None:
    """An issuer-signed payload naming one array-element disclosure twice (RFC 9901 section 7.1 forbids it)."""
    now = int(time.time())
    endorsement = base64.urlsafe_b64encode(json.dumps([secrets.token_urlsafe(16), "K9"]).encode()).decode().rstrip("=")
    ref = {"...": sd_jwt.digest(endorsement)}
    payload = {**visible_claims(now), "endorsements": [ref, ref, "PATROL"], "_sd_alg": "sha-256"}
    signed = jwt.encode({"alg": "Ed25519", "kid": issuer_key.kid, "typ": attestation.VC_TYP}, payload, issuer_key,
                        algorithms=["Ed25519"])
    token = sd_jwt.SdJwt(signed, (endorsement,), "").serialize()

    claims = reference_verify(token, published)  # the reference shows the element twice
    assert claims["endorsements"] == ["K9", "K9", "PATROL"]
    with pytest.raises(attestation.AttestationError, match="more than once"):
        attestation.verify(token, published, issuer=ISSUER)


def test_expired_credential(issuer_key: OKPKey, published: dict[str, Any]) -> None:
    token = attestation.issue(issuer_key, ISSUER, FACTS, now=time.time() - 3600).sd_jwt
    assert reference_verify(token, published)["exp"] < time.time()  # the reference does not check exp
    with pytest.raises(attestation.AttestationError, match="expired"):
        attestation.verify(token, published, issuer=ISSUER)
