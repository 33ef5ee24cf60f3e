"""Signed credential attestations: what the registry says about one certification, verifiable offline.

An attestation comes in three forms, signed by the same registry Ed25519 key (``alg: Ed25519``, RFC 9864;
verifiers here also accept the legacy RFC 8037 name ``EdDSA``):

* a compact JWS (``typ: registry-attestation+jwt``) whose claims are all visible (a bearer token);
* an SD-JWT (RFC 9901, ``typ: registry-attestation+sd-jwt``) with the same facts as selectively
  disclosable claims, so the holder can show a third party, say, ``status`` and ``expiresOn`` only;
* an SD-JWT VC (``typ: dc+sd-jwt``, ``vct`` = ``VCT``) for wallets and OpenID4VP verifiers; the
  certification status is ``certificationStatus`` there, because ``status`` is a registered claim
  (Token Status List) that SD-JWT VC forbids to disclose selectively.

Claims: ``iss``, ``iat``, ``exp`` (10 minutes later), ``jti``, ``sub`` (the registry's certification
ID), ``state``, ``number``, ``kind``, ``status``, ``expiresOn``, ``log`` (the signed event behind the
status with its inclusion proof, ``log_anchor``) and, when the caller asked through an officer it may
read, ``officerId``. Never a name or a date of birth: partners see status by number only.
Both SD-JWT forms carry decoy digests, so the number of digests does not tell whether ``officerId`` was
issued. Given a holder key, both SD-JWT forms carry ``cnf`` (RFC 7800) and no JWS is issued: a bound
credential has no bearer twin. The verifier then asks for a Key Binding JWT over the presentation.

The private key is ``$REGISTRY_ATTESTATION_KEY`` (a private JWK, from a secret store) or a 0600 file in
the secrets directory created on first use; the public half is served at ``/.well-known/jwks.json`` and,
for SD-JWT VC key discovery, inside ``/.well-known/jwt-vc-issuer`` (``issuer_metadata``). The file rotates
(``registry rotate-key attestation``, ``registry.keyring``): the new key signs at once, and the previous
key's public half stays published beside it (``load_or_create_keys``) so the attestations it signed, which
live 10 minutes, keep verifying; its private half is not kept, as it never signs again.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, OKPKey

from auth.dev_issuer import public_jwks
from credentials import log_anchor, sd_jwt
from registry import keyring
from registry.secret_files import read_or_create
from registry.urls import https_or_loopback, read_key_source

__all__ = [
    "ALG",
    "DEFAULT_FILE",
    "DISCLOSABLE",
    "ENV_VAR",
    "JWS_TYP",
    "SD_JWT_TYP",
    "TTL_SECONDS",
    "VCT",
    "VC_DISCLOSABLE",
    "VC_TYP",
    "Attestation",
    "AttestationError",
    "Verified",
    "check_anchor",
    "disclosable_for",
    "issue",
    "issuer_metadata",
    "issuer_metadata_path",
    "jwks",
    "key_kind",
    "load_jwks",
    "load_or_create_key",
    "load_or_create_keys",
    "new_key",
    "verify",
]

ALG: Final = "Ed25519"
#: Accepted when verifying: RFC 9864's name, and RFC 8037's polymorphic name that older verifiers and
#: issuers still use for the same Ed25519 signature.
VERIFY_ALGS: Final = ("Ed25519", "EdDSA")
ENV_VAR: Final = "REGISTRY_ATTESTATION_KEY"
DEFAULT_FILE: Final = "attestation.jwk"
JWS_TYP: Final = "registry-attestation+jwt"
SD_JWT_TYP: Final = "registry-attestation+sd-jwt"
VC_TYP: Final = "dc+sd-jwt"
#: The SD-JWT VC type. A URN, not a URL: a wallet or verifier that fetched Type Metadata from a URL would tell
#: the registry who verifies whose certification (SD-JWT VC's "issuer phone-home"); a version suffix
#: changes when the claims' meaning does.
VCT: Final = "urn:us:officer-registry:certification-status:1"
TTL_SECONDS: Final = 600
LEEWAY_SECONDS: Final = 30
#: The claims an SD-JWT holder may choose to show or hide; iss, iat, exp and jti are always visible.
DISCLOSABLE: Final = ("sub", "state", "number", "kind", "status", "expiresOn", "officerId", "log")
#: The same, in the SD-JWT VC: iss, iat, exp, jti, vct and cnf are always visible (SD-JWT VC section 3.2.2).
VC_DISCLOSABLE: Final = ("sub", "state", "number", "kind", "certificationStatus", "expiresOn", "officerId", "log")
_MAX_JWKS_BYTES: Final = 1_048_576


class AttestationError(ValueError):
    """An attestation that is malformed, badly signed, by an unknown key, expired or tampered with."""


# --- the key ---------------------------------------------------------------------------------------
def new_key() -> OKPKey:
    key = OKPKey.generate_key("Ed25519", private=True)
    key.ensure_kid()
    return key


def _parse_key(text: str, where: str) -> OKPKey:
    try:
        key = OKPKey.import_key(json.loads(text))
    except (ValueError, JoseError) as err:
        raise AttestationError(f"{where} is not an Ed25519 private JWK: {err}") from None
    if key.curve_name != "Ed25519" or not key.is_private:
        raise AttestationError(f"{where} must be a private Ed25519 JWK (kty OKP, crv Ed25519, with d)")
    key.ensure_kid()
    return key


def load_or_create_key(path: Path) -> OKPKey:
    """``$REGISTRY_ATTESTATION_KEY`` if set, else the JWK in ``path``, created (0600, atomically) if absent."""
    env = os.environ.get(ENV_VAR)
    if env:
        return _parse_key(env, ENV_VAR)
    text = read_or_create(path, lambda: json.dumps(new_key().as_dict(private=True)) + "\n", AttestationError)
    return _parse_key(text, str(path))


def _parse_public(text: str, where: str) -> OKPKey:
    try:
        key = OKPKey.import_key({k: v for k, v in json.loads(text).items() if k != "d"})
    except (ValueError, AttributeError, JoseError) as err:
        raise AttestationError(f"{where} is not an Ed25519 JWK: {err}") from None
    if key.curve_name != "Ed25519":
        raise AttestationError(f"{where} must hold Ed25519 JWKs (kty OKP, crv Ed25519)")
    key.ensure_kid()
    return key


def _public_text(text: str) -> str:
    return json.dumps(_parse_public(text, "an attestation key").as_dict(private=False))


def key_kind() -> keyring.KeyKind:
    """The attestation key in ``registry.keyring``: its private half is dropped when it starts retiring."""
    return keyring.KeyKind(name="attestation", env_var=ENV_VAR, error=AttestationError,
                           new=lambda: json.dumps(new_key().as_dict(private=True)),
                           kid=lambda text: str(_parse_public(text, "an attestation key").kid),
                           retiring=_public_text, retired=_public_text)


def load_or_create_keys(path: Path) -> tuple[OKPKey, tuple[OKPKey, ...]]:
    """The signing key (as ``load_or_create_key``) and the public keys still published beside it: the retiring
    one during a rotation's overlap, then the retired ones the operator kept. With the variable set, that key alone."""
    if os.environ.get(ENV_VAR):
        return load_or_create_key(path), ()
    keys = keyring.load(path, key_kind())
    assert keys is not None
    older = ([keys.retiring] if keys.retiring else []) + list(keys.retired)
    return _parse_key(keys.current, str(path)), tuple(_parse_public(k, f"{path} (a retiring or retired key)")
                                                      for k in older)


def jwks(key: OKPKey, *older: OKPKey) -> dict[str, Any]:
    """The public JWKS partners verify attestations with (``use: sig``, ``alg: Ed25519``, ``kid``): the signing
    key first, then ``older`` (keys that signed attestations which may still be presented)."""
    return public_jwks([key, *older])


def load_jwks(source: str, *, timeout: float = 10.0) -> KeySet:
    """A JWKS from a file or an http(s) URL, public members only."""
    text = read_key_source(source, AttestationError, timeout=timeout, max_bytes=_MAX_JWKS_BYTES)
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise AttestationError(f"{source} is not a JWKS: {err}") from None
    return _import_public(doc, source)


# --- issuer metadata (SD-JWT VC section 5) ---------------------------------------------------------
def issuer_metadata_path(issuer: str) -> str:
    """Where JWT VC Issuer Metadata lives for ``issuer``: ``/.well-known/jwt-vc-issuer`` + the issuer's path."""
    return "/.well-known/jwt-vc-issuer" + urlsplit(issuer).path.rstrip("/")


def issuer_metadata(issuer: str, key: OKPKey, *older: OKPKey) -> dict[str, Any]:
    """The JWT VC Issuer Metadata document: the issuer and its JWKS by value (no second fetch needed)."""
    return {"issuer": issuer, "jwks": jwks(key, *older)}


def load_issuer_keys(issuer: str, *, timeout: float = 10.0) -> KeySet:
    """The keys of ``issuer`` from its JWT VC Issuer Metadata, refused unless it names exactly that issuer."""
    parts = urlsplit(issuer)
    if not https_or_loopback(parts):
        raise AttestationError(f"issuer {issuer!r} is not an https URL, so its keys cannot be discovered")
    url = f"{parts.scheme}://{parts.netloc}{issuer_metadata_path(issuer)}"
    doc = _fetch_json(url, timeout)
    if not isinstance(doc, dict) or doc.get("issuer") != issuer:
        raise AttestationError(f"{url} names another issuer ({doc.get('issuer') if isinstance(doc, dict) else None!r})")
    if ("jwks" in doc) == ("jwks_uri" in doc):
        raise AttestationError(f"{url} must give exactly one of jwks and jwks_uri")
    return _import_public(doc["jwks"], url) if "jwks" in doc else load_jwks(str(doc["jwks_uri"]), timeout=timeout)


def _fetch_json(url: str, timeout: float) -> Any:
    resp = httpx.get(url, timeout=timeout, follow_redirects=False)
    if resp.status_code != 200:
        raise AttestationError(f"{url} answered HTTP {resp.status_code}")
    if len(resp.content) > _MAX_JWKS_BYTES:
        raise AttestationError(f"{url} is too large")
    try:
        return resp.json()
    except ValueError:
        raise AttestationError(f"{url} is not JSON") from None


def _import_public(doc: Any, where: str) -> KeySet:
    """Verification keys from a JWKS document: private members dropped, and each key's JWK ``alg`` too (joserfc
    would hold a key published as ``Ed25519`` to that exact name and refuse an ``EdDSA`` signature by it; which
    names are accepted is ``VERIFY_ALGS``' job)."""
    try:
        keys = [{k: v for k, v in jwk.items() if k not in ("alg", "d")} for jwk in doc["keys"]]
        return KeySet.import_key_set({"keys": keys})
    except (ValueError, KeyError, TypeError, AttributeError, JoseError) as err:
        raise AttestationError(f"{where} is not a JWKS: {err}") from None


# --- issuing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attestation:
    jws: str | None             # None when bound to a holder key: a bound credential has no bearer twin
    sd_jwt: str
    sd_jwt_vc: str
    kid: str
    issued_at: datetime
    expires_at: datetime
    holder_bound: bool
    claims: dict[str, Any] = field(repr=False)


def issue(key: OKPKey, issuer: str, facts: Mapping[str, Any], *, holder: sd_jwt.HolderKey | None = None,
          now: float | None = None, ttl_seconds: int = TTL_SECONDS) -> Attestation:
    """Sign ``facts`` (sub, state, number, kind, status, expiresOn[, officerId]) in every form.

    With ``holder`` (a public Ed25519 or P-256 key) both SD-JWT forms carry ``cnf`` and the JWS is not issued.
    """
    unknown = set(facts) - set(DISCLOSABLE)
    if unknown:
        raise ValueError(f"not an attestation claim: {sorted(unknown)}")
    iat = int(time.time() if now is None else now)
    always: dict[str, Any] = {"iss": issuer, "iat": iat, "exp": iat + ttl_seconds, "jti": secrets.token_urlsafe(12)}
    claims = {**always, **facts}
    key.ensure_kid()
    kid = str(key.kid)
    cnf = {"cnf": sd_jwt.cnf_for(holder)} if holder is not None else {}
    token = None if holder else jwt.encode({"alg": ALG, "kid": kid, "typ": JWS_TYP}, claims, key, algorithms=[ALG])

    def selective(typ: str, plain: Mapping[str, Any], disclosable: tuple[str, ...]) -> str:
        payload, disclosures = sd_jwt.conceal(plain, disclosable)
        signed = jwt.encode({"alg": ALG, "kid": kid, "typ": typ}, payload, key, algorithms=[ALG])
        return sd_jwt.SdJwt(signed, tuple(disclosures), "").serialize()

    vc_facts = {("certificationStatus" if k == "status" else k): v for k, v in facts.items()}
    return Attestation(
        jws=token,
        sd_jwt=selective(SD_JWT_TYP, {**claims, **cnf}, DISCLOSABLE),
        sd_jwt_vc=selective(VC_TYP, {**always, "vct": VCT, **cnf, **vc_facts}, VC_DISCLOSABLE),
        kid=kid,
        issued_at=datetime.fromtimestamp(iat, UTC),
        expires_at=datetime.fromtimestamp(iat + ttl_seconds, UTC),
        holder_bound=holder is not None,
        claims=claims,
    )


def disclosable_for(token: str) -> tuple[str, ...]:
    """Which claims the holder may choose in this SD-JWT (by its unverified ``typ``: the holder's own token)."""
    try:
        header = json.loads(sd_jwt.b64decode(token.split(".", 1)[0]))
    except (ValueError, sd_jwt.SdJwtError):
        raise AttestationError("not an SD-JWT attestation (unreadable header)") from None
    typ = header.get("typ") if isinstance(header, dict) else None
    if typ == VC_TYP:
        return VC_DISCLOSABLE
    if typ == SD_JWT_TYP:
        return DISCLOSABLE
    raise AttestationError(f"not an SD-JWT attestation (typ {typ!r})")


# --- verifying -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verified:
    form: str                  # "jws", "sd-jwt" or "dc+sd-jwt"
    claims: dict[str, Any]     # for an SD-JWT: the always-visible claims plus the disclosed ones
    kid: str
    undisclosed: int = 0       # SD-JWT digests not disclosed, at any depth: withheld claims or decoys
    holder_bound: bool = False  # the credential names a holder key (cnf)
    key_binding: sd_jwt.KeyBinding | None = None  # the presenter proved it holds that key, for this verifier
    log: log_anchor.LogAnchor | None = None  # the status's event is proven in the log (when a log key was given)


def _verification_keys(keys: KeySet | Mapping[str, Any]) -> KeySet:
    doc = keys.as_dict(private=False) if isinstance(keys, KeySet) else dict(keys)
    return _import_public(doc, "the keys given")


def _signed(token: str, keys: KeySet, typs: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    registry = jws.JWSRegistry(algorithms=list(VERIFY_ALGS), strict_check_header=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc warns on the deprecated "EdDSA" name; accepted on purpose
            decoded = jwt.decode(token, keys, algorithms=list(VERIFY_ALGS), registry=registry)
    except InvalidKeyIdError:
        raise AttestationError(f"signed by an unknown key: kid {_unverified_kid(token)!r} is not in the keys given "
                               "(a key the registry retired and dropped, or not the registry's)") from None
    except JoseError as err:
        raise AttestationError(f"bad signature or unknown key ({err.error})") from None
    except ValueError:
        raise AttestationError("not a compact JWS") from None
    header = dict(decoded.header)
    if header.get("typ") not in typs:
        raise AttestationError(f"not a registry attestation (typ {header.get('typ')!r}, expected "
                               f"{' or '.join(repr(t) for t in typs)})")
    return header, dict(decoded.claims)


def _unverified_kid(token: str) -> Any:
    try:
        header = json.loads(sd_jwt.b64decode(token.split(".", 1)[0]))
    except (ValueError, sd_jwt.SdJwtError):
        return None
    return header.get("kid") if isinstance(header, dict) else None


def _check_times(claims: Mapping[str, Any], issuer: str | None, now: float | None) -> None:
    options: dict[str, Any] = {"iat": {"essential": True}, "exp": {"essential": True}}
    options["iss"] = {"essential": True, "value": issuer} if issuer else {"essential": True}
    registry = jwt.JWTClaimsRegistry(now=int(now) if now is not None else None, leeway=LEEWAY_SECONDS, **options)
    try:
        registry.validate(dict(claims))
    except ExpiredTokenError:
        raise AttestationError("the attestation has expired") from None
    except JoseError as err:
        raise AttestationError(f"invalid claims: {err.description or err.error}") from None


def verify(token: str, keys: KeySet | Mapping[str, Any], *, issuer: str | None = None, now: float | None = None,
           audience: str | None = None, nonce: str | None = None, require_binding: bool = False,
           max_age_seconds: int = sd_jwt.KB_MAX_AGE_SECONDS, log_key: str | Sequence[str] | None = None,
           log_origin: str | None = None) -> Verified:
    """Verify an attestation offline with the registry's JWKS; raise AttestationError if not valid.

    A KB-JWT, when present, is always checked (signature by ``cnf``, ``sd_hash``, freshness) and its ``aud``
    and ``nonce`` compared with the verifier's own. ``require_binding`` refuses bearer presentations; it
    needs ``audience`` and ``nonce``, or a replayed KB-JWT would pass. With ``log_key`` (the registry's log
    verifier key, or its keys during a rotation) the ``log`` claim must be disclosed and its inclusion proof must
    hold.
    """
    if require_binding and (not audience or not nonce):
        raise AttestationError("requiring key binding needs your audience and the nonce you gave the holder")
    keyset = _verification_keys(keys)
    token = token.strip()
    if "~" not in token:
        if require_binding:
            raise AttestationError("a compact JWS is a bearer token; key binding needs an SD-JWT with a KB-JWT")
        header, claims = _signed(token, keyset, (JWS_TYP,))
        _check_times(claims, issuer, now)
        return Verified("jws", claims, str(header.get("kid")), log=_anchored(claims, log_key, log_origin))
    try:
        parsed = sd_jwt.parse(token)
    except sd_jwt.SdJwtError as err:
        raise AttestationError(str(err)) from None
    header, payload = _signed(parsed.jwt, keyset, (SD_JWT_TYP, VC_TYP))
    form = "dc+sd-jwt" if header["typ"] == VC_TYP else "sd-jwt"
    if form == "dc+sd-jwt" and payload.get("vct") != VCT:
        raise AttestationError(f"unknown credential type vct {payload.get('vct')!r} (expected {VCT!r})")
    try:
        claims, hidden = sd_jwt.resolve_counting(payload, parsed.disclosures)
        binding = None
        if parsed.key_binding:
            binding = sd_jwt.verify_key_binding(parsed, payload.get("cnf"), audience=audience, nonce=nonce,
                                                now=now, max_age_seconds=max_age_seconds)
    except sd_jwt.SdJwtError as err:
        raise AttestationError(str(err)) from None
    _check_times(claims, issuer, now)
    if require_binding and binding is None:
        why = "" if "cnf" in payload else " (and the credential names no holder key)"
        raise AttestationError(f"not key-bound: the presentation carries no KB-JWT, so anyone holding it could "
                               f"have sent it{why}")
    return Verified(form, claims, str(header.get("kid")), undisclosed=hidden, holder_bound="cnf" in payload,
                    key_binding=binding, log=_anchored(claims, log_key, log_origin))


def _anchored(claims: Mapping[str, Any], log_key: str | Sequence[str] | None,
              origin: str | None) -> log_anchor.LogAnchor | None:
    return None if log_key is None else check_anchor(claims, log_key, origin)


def check_anchor(claims: Mapping[str, Any], log_key: str | Sequence[str],
                 origin: str | None = None) -> log_anchor.LogAnchor:
    """The verified ``log`` claim of verified ``claims``; AttestationError if it is withheld or does not hold."""
    if "log" not in claims:
        raise AttestationError("the log claim is not disclosed, so the status cannot be checked against the log")
    try:
        return log_anchor.verify(claims["log"], log_key, origin)
    except log_anchor.AnchorError as err:
        raise AttestationError(str(err)) from None
