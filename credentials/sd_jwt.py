"""Selective Disclosure for JWTs (SD-JWT, RFC 9901): a small issuer, holder and verifier.

Written here rather than taken from the ``sd-jwt`` package (old, and built on another JOSE library),
and limited to what the registry needs: top-level selectively disclosable claims, SHA-256 digests, no
key binding. The verifier follows RFC 9901 section 7.1 and also processes nested ``_sd`` objects and
``{"...": digest}`` array elements, so it accepts any issuer's SD-JWT of that shape.

Format: ``<issuer-signed JWT>~<disclosure>~<disclosure>~...~`` where a disclosure is
``base64url(UTF-8 JSON [salt, claim name, claim value])`` and the JWT carries
``"_sd": [base64url(SHA-256(ASCII(disclosure))), ...]`` and ``"_sd_alg": "sha-256"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SD_ALG", "SdJwt", "SdJwtError", "claim_name", "conceal", "digest", "make_disclosure", "parse", "present",
           "resolve"]

SD_ALG = "sha-256"
_SALT_BYTES = 16  # 128 bits, as RFC 9901 section 9.3 recommends
_MAX_CHARS = 64_000


class SdJwtError(ValueError):
    """A malformed SD-JWT, or a disclosure that does not belong to it."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
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
        item = json.loads(_b64d(disclosure).decode("utf-8"))
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

