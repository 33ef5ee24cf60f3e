"""Selective Disclosure for JWTs (SD-JWT, RFC 9901): a small issuer, holder and verifier.

Written here rather than taken from the ``sd-jwt`` package (old, and built on another JOSE library),
and limited to what the registry needs: top-level selectively disclosable claims, decoy digests, SHA-256,
and Key Binding (RFC 9901 section 4.3: a ``kb+jwt`` signed by the holder key in ``cnf``). The verifier
follows RFC 9901 sections 7.1 and 7.3 and also processes nested ``_sd`` objects and ``{"...": digest}``
array elements, so it accepts any issuer's SD-JWT of that shape.

Format: ``<issuer-signed JWT>~<disclosure>~<disclosure>~...~[<KB-JWT>]`` where a disclosure is
``base64url(UTF-8 JSON [salt, claim name, claim value])`` and the JWT carries
``"_sd": [base64url(SHA-256(ASCII(disclosure))), ...]`` and ``"_sd_alg": "sha-256"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey

__all__ = ["HOLDER_ALGORITHMS", "KB_JWT_TYP", "SD_ALG", "KeyBinding", "SdJwt", "SdJwtError", "b64decode", "bind",
           "claim_name", "cnf_for", "conceal", "digest", "holder_key", "make_disclosure", "parse", "present", "resolve",
           "resolve_counting", "sd_hash", "verify_key_binding"]

SD_ALG = "sha-256"
KB_JWT_TYP: Final = "kb+jwt"
#: What a holder key may sign a KB-JWT with, by key type: Ed25519 (RFC 9864's name, and the legacy RFC 8037
#: "EdDSA" that many wallets still send) and ES256 on P-256, the usual wallet key. Nothing else, never "none".
HOLDER_ALGORITHMS: Final[Mapping[str, tuple[str, ...]]] = {"OKP": ("Ed25519", "EdDSA"), "EC": ("ES256",)}
KB_MAX_AGE_SECONDS: Final = 300
KB_LEEWAY_SECONDS: Final = 30
_SALT_BYTES = 16  # 128 bits, as RFC 9901 section 9.3 recommends
_MAX_CHARS = 64_000


class SdJwtError(ValueError):
    """A malformed SD-JWT, or a disclosure that does not belong to it."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """base64url without padding, strictly (RFC 7515 section 2): anything else is an SdJwtError."""
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise SdJwtError("a disclosure is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise SdJwtError("a disclosure is not base64url") from None


def digest(disclosure: str) -> str:
    """The digest the issuer puts in ``_sd``: base64url(SHA-256 over the disclosure's ASCII bytes)."""
    return _b64e(hashlib.sha256(disclosure.encode("ascii")).digest())


def make_disclosure(name: str, value: Any, salt: str | None = None) -> str:
    salt = salt or _b64e(secrets.token_bytes(_SALT_BYTES))
    return _b64e(json.dumps([salt, name, value], separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def decoy_digest() -> str:
    """A digest of nothing (RFC 9901 section 4.2.5): indistinguishable from a real one."""
    return _b64e(hashlib.sha256(secrets.token_bytes(_SALT_BYTES)).digest())


def conceal(claims: Mapping[str, Any], disclosable: Iterable[str], *, decoys: bool = True
            ) -> tuple[dict[str, Any], list[str]]:
    """Split ``claims`` into a JWT payload (with ``_sd`` digests) and one disclosure per disclosable claim.

    With ``decoys`` the ``_sd`` array always holds as many digests as there are disclosable claim names, plus
    zero to three more, so its length says nothing about which optional claims (``officerId``) were issued.
    """
    names = list(disclosable)
    payload = dict(claims)
    disclosures: list[str] = []
    for name in names:
        if name in payload:
            disclosures.append(make_disclosure(name, payload.pop(name)))
    digests = [digest(d) for d in disclosures]
    if decoys:
        digests += [decoy_digest() for _ in range(len(names) - len(disclosures) + secrets.randbelow(4))]
    # Sorted, so the digests' order says nothing about which claim is which (RFC 9901 section 4.2.4.1).
    payload["_sd"] = sorted(digests)
    payload["_sd_alg"] = SD_ALG
    return payload, disclosures


@dataclass(frozen=True)
class SdJwt:
    jwt: str
    disclosures: tuple[str, ...]
    key_binding: str  # "" when the presentation carries no key-binding JWT

    def serialize(self) -> str:
        return "~".join((self.jwt, *self.disclosures)) + "~" + self.key_binding


def parse(text: str) -> SdJwt:
    text = text.strip()
    if len(text) > _MAX_CHARS:
        raise SdJwtError("the SD-JWT is too long")
    parts = text.split("~")
    if len(parts) < 2 or not parts[0]:
        raise SdJwtError("not an SD-JWT (expected JWT~disclosures~)")
    disclosures = tuple(parts[1:-1])
    if any(not d for d in disclosures):
        raise SdJwtError("empty disclosure (two ~ in a row)")
    return SdJwt(jwt=parts[0], disclosures=disclosures, key_binding=parts[-1])


def claim_name(disclosure: str) -> str | None:
    """The claim name a disclosure reveals (None for an array-element disclosure)."""
    item = _decode(disclosure)
    return item[1] if len(item) == 3 else None


def present(sd_jwt: str, keep: Iterable[str]) -> str:
    """The holder's presentation: the same issuer-signed JWT with only the disclosures of ``keep``."""
    parsed = parse(sd_jwt)
    wanted = set(keep)
    chosen = tuple(d for d in parsed.disclosures if claim_name(d) in wanted)
    return SdJwt(parsed.jwt, chosen, "").serialize()


def _decode(disclosure: str) -> list[Any]:
    try:
        item = json.loads(b64decode(disclosure).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SdJwtError("a disclosure is not a JSON array") from None
    if not isinstance(item, list) or len(item) not in (2, 3) or not isinstance(item[0], str):
        raise SdJwtError("a disclosure must be [salt, name, value] or [salt, value]")
    if len(item) == 3 and (not isinstance(item[1], str) or item[1] in ("_sd", "...")):
        raise SdJwtError("a disclosure names a reserved or non-string claim")
    return item


def resolve(payload: Mapping[str, Any], disclosures: Iterable[str]) -> dict[str, Any]:
    claims, _ = resolve_counting(payload, disclosures)
    return claims


def resolve_counting(payload: Mapping[str, Any], disclosures: Iterable[str]) -> tuple[dict[str, Any], int]:
    """RFC 9901 section 7.1 steps 3-5: replace digests by disclosed claims; refuse anything that does not fit.

    Every disclosure must match exactly one digest in the payload (a modified or foreign disclosure
    matches none), no digest may appear twice, and a disclosed name may not overwrite a plain claim.
    """
    if payload.get("_sd_alg", SD_ALG) != SD_ALG:
        raise SdJwtError(f"unsupported _sd_alg {payload.get('_sd_alg')!r} (only sha-256)")
    by_digest: dict[str, list[Any]] = {}
    for d in disclosures:
        h = digest(d)
        if h in by_digest:
            raise SdJwtError("the same disclosure is given twice")
        by_digest[h] = _decode(d)
    used: set[str] = set()
    seen: set[str] = set()

    def take(h: Any) -> list[Any] | None:
        if not isinstance(h, str):
            raise SdJwtError("a digest is not a string")
        if h in seen:
            raise SdJwtError("a digest appears more than once in the SD-JWT")
        seen.add(h)
        item = by_digest.get(h)
        if item is not None:
            used.add(h)
        return item

    def walk(node: Any, top: bool = False) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                if k == "_sd" or (top and k == "_sd_alg"):
                    continue
                out[k] = walk(v)
            digests = node.get("_sd", [])
            if not isinstance(digests, list):
                raise SdJwtError("_sd must be an array")
            for h in digests:
                item = take(h)
                if item is None:
                    continue  # undisclosed claim or decoy
                if len(item) != 3:
                    raise SdJwtError("an array-element disclosure is referenced from an object")
                _salt, name, value = item
                if name in out:
                    raise SdJwtError(f"disclosed claim {name!r} already exists")
                out[name] = walk(value)
            return out
        if isinstance(node, list):
            result: list[Any] = []
            for element in node:
                if isinstance(element, dict) and set(element) == {"..."}:
                    item = take(element["..."])
                    if item is None:
                        continue
                    if len(item) != 2:
                        raise SdJwtError("an object-property disclosure is referenced from an array")
                    result.append(walk(item[1]))
                else:
                    result.append(walk(element))
            return result
        return node

    claims: dict[str, Any] = walk(dict(payload), top=True)
    if used != set(by_digest):
        raise SdJwtError("a disclosure does not belong to this SD-JWT (modified, or from another one)")
    return claims, len(seen - used)  # digests at any depth not disclosed: withheld claims, or decoys



# --- key binding (RFC 9901 sections 4.3 and 7.3) ----------------------------------------------------
HolderKey = OKPKey | ECKey


def holder_key(jwk: Any) -> HolderKey:
    """A holder's public key from a JWK: Ed25519 (OKP) or P-256 (EC), public members only.

    A JWK carrying a private member is refused rather than stripped: whoever sent it has leaked the key.
    """
    if not isinstance(jwk, Mapping):
        raise SdJwtError("the holder key must be a JWK (a JSON object)")
    if any(m in jwk for m in ("d", "p", "q", "dp", "dq", "qi", "k")):
        raise SdJwtError("the holder key must be a public JWK (it carries a private member)")
    try:
        key = JWKRegistry.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError, KeyError) as err:
        raise SdJwtError(f"the holder key is not a valid JWK: {err}") from None
    if isinstance(key, OKPKey) and key.curve_name == "Ed25519":
        return key
    if isinstance(key, ECKey) and key.curve_name == "P-256":
        return key
    raise SdJwtError("the holder key must be an Ed25519 (kty OKP) or P-256 (kty EC) public key")


def cnf_for(key: HolderKey) -> dict[str, Any]:
    """The ``cnf`` claim binding an SD-JWT to ``key`` (RFC 7800 section 3.2: the public JWK by value)."""
    public = {k: v for k, v in key.as_dict(private=False).items() if k in ("kty", "crv", "x", "y")}
    return {"jwk": public}


def sd_hash(presentation: SdJwt) -> str:
    """The KB-JWT's ``sd_hash``: SHA-256 over the presentation up to and including the last ``~``."""
    return digest(SdJwt(presentation.jwt, presentation.disclosures, "").serialize())


def bind(presentation: str, key: HolderKey, *, audience: str, nonce: str, now: float | None = None) -> str:
    """The holder's side: append a KB-JWT signed by ``key`` over exactly this presentation."""
    parsed = parse(presentation)
    if not key.is_private:
        raise SdJwtError("signing a key-binding JWT needs the holder's private key")
    alg = HOLDER_ALGORITHMS[key.key_type][0]
    claims = {"iat": int(time.time() if now is None else now), "aud": audience, "nonce": nonce,
              "sd_hash": sd_hash(parsed)}
    kb = jwt.encode({"alg": alg, "typ": KB_JWT_TYP}, claims, key, algorithms=[alg])
    return SdJwt(parsed.jwt, parsed.disclosures, kb).serialize()


@dataclass(frozen=True)
class KeyBinding:
    """A verified KB-JWT: the presenter holds the key in ``cnf`` and signed this very presentation."""

    audience: str
    nonce: str
    issued_at: int
    alg: str


def verify_key_binding(presentation: SdJwt, cnf: Any, *, audience: str | None, nonce: str | None,
                       now: float | None = None, max_age_seconds: int = KB_MAX_AGE_SECONDS) -> KeyBinding:
    """RFC 9901 section 7.3: the KB-JWT is by the ``cnf`` key, typed ``kb+jwt``, fresh, and over this presentation.

    ``audience`` and ``nonce`` are the verifier's own values; None skips that comparison (reported by the
    caller, never silently treated as a match). ``iat`` may be at most ``max_age_seconds`` old.
    """
    if not presentation.key_binding:
        raise SdJwtError("no key-binding JWT: the presentation is not proven to come from the holder")
    if not isinstance(cnf, Mapping) or "jwk" not in cnf:
        raise SdJwtError("the SD-JWT has no holder key (cnf.jwk), so its key-binding JWT cannot be checked")
    key = holder_key(cnf["jwk"])
    algorithms = list(HOLDER_ALGORITHMS[key.key_type])
    registry = jws.JWSRegistry(algorithms=algorithms, strict_check_header=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc warns on the deprecated "EdDSA" name; accepted on purpose
            token = jwt.decode(presentation.key_binding, key, algorithms=algorithms, registry=registry)
    except BadSignatureError:
        raise SdJwtError("the key-binding JWT is not signed by the holder key in cnf") from None
    except (JoseError, ValueError, TypeError) as err:
        raise SdJwtError(f"the key-binding JWT is malformed or uses an algorithm not allowed for the holder key "
                         f"({getattr(err, 'error', None) or err})") from None
    if token.header.get("typ") != KB_JWT_TYP:
        raise SdJwtError(f"the key-binding JWT has typ {token.header.get('typ')!r}, expected {KB_JWT_TYP!r}")
    claims = dict(token.claims)
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise SdJwtError("the key-binding JWT has no numeric iat")
    clock = time.time() if now is None else now
    if iat > clock + KB_LEEWAY_SECONDS:
        raise SdJwtError("the key-binding JWT is dated in the future")
    if iat < clock - max_age_seconds - KB_LEEWAY_SECONDS:
        raise SdJwtError(f"the key-binding JWT is older than {max_age_seconds} s (replayed?)")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp < clock - KB_LEEWAY_SECONDS):
        raise SdJwtError("the key-binding JWT has expired")
    if claims.get("sd_hash") != sd_hash(presentation):
        raise SdJwtError("the key-binding JWT was made for another presentation (sd_hash differs)")
    aud, got_nonce = claims.get("aud"), claims.get("nonce")
    if not isinstance(aud, str) or not isinstance(got_nonce, str):
        raise SdJwtError("the key-binding JWT must carry aud and nonce as strings")
    if audience is not None and aud != audience:
        raise SdJwtError(f"the key-binding JWT is for audience {aud!r}, not {audience!r}")
    if nonce is not None and not secrets.compare_digest(got_nonce.encode(), nonce.encode()):
        raise SdJwtError("the key-binding JWT carries another nonce (replayed?)")
    return KeyBinding(audience=aud, nonce=got_nonce, issued_at=iat, alg=str(token.header.get("alg")))
