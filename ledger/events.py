"""Publisher event signatures: compact JWS (RFC 7515) with Ed25519 over RFC 8785 JSON.

The JWS payload bytes *are* the canonical JSON of the event, so the bytes a publisher
signed, the bytes the registry stores and the bytes the log commits to are one and the
same; anyone can re-derive them. Verification is deliberately narrow: an explicit
algorithm allow-list ("Ed25519", legacy "EdDSA"), a fixed header shape, keys resolved
only by ``kid`` from the registry (never from the token), canonical base64url and JSON.
The random ``salt`` keeps low-entropy events (a name, a date, a status) from being
guessed from their hash, which the log publishes forever (even after expungement).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NewType

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from ledger import ed25519

__all__ = [
    "ALLOWED_ALGORITHMS",
    "EVENT_TYP",
    "SALT_BYTES",
    "SIGNING_ALGORITHM",
    "Authentic",
    "EventSignatureError",
    "SignedEvent",
    "VerifiedEvent",
    "authenticate",
    "canonical_bytes",
    "content_digest",
    "generate_ed25519_jwk",
    "new_salt",
    "open_payload",
    "public_jwk_dict",
    "read_signed",
    "sign_event",
    "verify_event",
]

#: The algorithm we sign with (RFC 9864 fully-specified name).
SIGNING_ALGORITHM = "Ed25519"
#: Accepted on verification: RFC 9864 "Ed25519" and RFC 8037's polymorphic "EdDSA",
#: the latter only with an Ed25519 key. Nothing else: no "none", no HMAC, RSA or ECDSA.
ALLOWED_ALGORITHMS = frozenset({"Ed25519", "EdDSA"})
#: Explicit type (RFC 8725 section 3.11), so no other JWS a publisher signs can pass as an event.
EVENT_TYP = "registry-event+jws"
#: Bytes of randomness in a salt.
SALT_BYTES = 16
#: Protected header members we understand; anything else (crit, b64, jwk, jku, x5u...) is refused.
_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
#: joserfc's own limit on a protected header's length. Headers up to it are remembered once read (a publisher's
#: events share one), here and by ``publishing.apply``'s unverified kid reader; longer ones are read every time.
MAX_HEADER = 512
#: joserfc's own limits (header, payload 128000, signature 1024), plus two dots.
_MAX_COMPACT = MAX_HEADER + 128_000 + 1024 + 2
#: joserfc's own models of the accepted algorithms (key checks and the signature check).
_ALGORITHMS = {name: jws.JWSRegistry.algorithms[name] for name in ALLOWED_ALGORITHMS}


class EventSignatureError(Exception):
    """An event was refused; ``code`` is stable for API clients, ``message`` is for people.

    Codes: MALFORMED, UNSUPPORTED_ALGORITHM, WRONG_TYPE, UNKNOWN_KEY, UNSUPPORTED_KEY,
    BAD_SIGNATURE, NON_CANONICAL, MISSING_SALT.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class VerifiedEvent:
    """An event whose signature, shape and canonical form have been checked."""

    payload: dict[str, Any]
    payload_bytes: bytes
    kid: str
    alg: str
    protected_header: dict[str, Any]
    #: the payload's members as RFC 8785 writes them (``"key":value``), in canonical order; empty when ``plain``
    members: tuple[tuple[str, bytes], ...] = ()
    #: every number a safe integer and no character beyond the BMP: ``_plain_jcs`` writes its RFC 8785 form
    plain: bool = False

    def digest_without(self, *keys: str) -> bytes:
        """SHA-256 of the canonical payload without these top-level members (the same bytes as ``canonical_bytes``
        of the smaller object), without serialising the payload again member by member."""
        if self.plain:  # a part of a plain object is plain
            return hashlib.sha256(_plain_jcs({k: v for k, v in self.payload.items() if k not in keys})).digest()
        members = self.members or _canonical_members(self.payload)
        return hashlib.sha256(_canonical_object(m for k, m in members if k not in keys)).digest()


#: I-JSON's integer range (RFC 7493 2.2), which RFC 8785 writes as plain decimal digits
_SAFE_INTEGER = 2**53 - 1
_BEYOND_BMP = re.compile("[\U00010000-\U0010FFFF]")
_PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def _plain_jcs(obj: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of a *plain* object (every number a safe integer, no character beyond the BMP), written by
    the standard library's C encoder. For such objects the two agree (a property test compares them on any
    input): integers are decimal digits in both; strings escape the same characters (quote, backslash, ``\\b \\f
    \\n \\r \\t`` and ``\\u00xx`` in lower case for the other controls) and write the rest as UTF-8; and keys
    sort by UTF-16 code units (RFC 8785) exactly as by code points (Python) when no key holds a surrogate pair.
    Anything else (a fraction, an exponent, a big integer, a character beyond the BMP) goes through ``rfc8785``."""
    return _PLAIN_ENCODER.encode(obj).encode("utf-8")


def _canonical_members(obj: Mapping[str, Any]) -> tuple[tuple[str, bytes], ...]:
    """A JSON object's members as RFC 8785 serialises them, ordered as it orders them (keys by UTF-16 code units,
    as ``rfc8785`` sorts them); each value is serialised by ``rfc8785`` itself."""
    ordered = sorted(obj.items(), key=lambda kv: kv[0].encode("utf-16be"))
    return tuple((k, rfc8785.dumps(k) + b":" + rfc8785.dumps(v)) for k, v in ordered)


def _canonical_object(members: Iterable[bytes]) -> bytes:
    return b"{" + b",".join(members) + b"}"


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 (JCS) serialisation; raises ``ValueError`` for values JCS cannot represent."""
    return rfc8785.dumps(obj)


def new_salt() -> str:
    """base64url (unpadded) of 16 random bytes."""
    return _b64url_encode(secrets.token_bytes(SALT_BYTES))


def content_digest(payload: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical payload without its salt: equal for re-sent copies of one event."""
    return hashlib.sha256(canonical_bytes({k: v for k, v in payload.items() if k != "salt"})).digest()


def generate_ed25519_jwk(kid: str) -> OKPKey:
    """A new Ed25519 private JWK with the given ``kid``."""
    return OKPKey.generate_key("Ed25519", parameters={"kid": kid})


def public_jwk_dict(key: OKPKey) -> dict[str, Any]:
    """The public JWK (kty, crv, x, kid) as a dict: what a publisher registers."""
    return dict(key.as_dict(private=False))


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_URL_TO_STD = bytes.maketrans(b"-_", b"+/")
_STD_TO_URL = bytes.maketrans(b"+/", b"-_")


def _b64url_decode(segment: str) -> bytes:
    """Unpadded base64url that re-encodes to itself (no padding, no stray bits). binascii directly: base64's
    wrappers around it were a tenth of reading an event. Strict decoding refuses what is not in the alphabet once
    ``-_`` are mapped to ``+/``, and the re-encoding compared with the text refuses ``+``, ``/`` and ``=`` in it."""
    try:
        data = segment.encode("ascii")
        raw = binascii.a2b_base64(data.translate(_URL_TO_STD) + b"=" * (-len(data) % 4), strict_mode=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError("not base64url") from exc
    if binascii.b2a_base64(raw, newline=False).rstrip(b"=").translate(_STD_TO_URL) != data:
        raise ValueError("non-canonical base64url")
    return raw


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate member {key!r}")
            seen.add(key)
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _NotPlain(Exception):
    """Raised inside the plain decoder only: a number ``_plain_jcs`` would not write as RFC 8785 does."""


def _plain_int(text: str) -> int:
    value = int(text)
    if not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        raise _NotPlain
    return value


def _not_plain(text: str) -> float:
    raise _NotPlain


#: One decoder each, built once (``json.loads`` with hooks builds a decoder and its scanner on every call).
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
_PLAIN_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant,
                                  parse_int=_plain_int, parse_float=_not_plain)


def _json_object(raw: bytes, what: str, decoder: json.JSONDecoder = _DECODER) -> dict[str, Any]:
    try:
        value = decoder.decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise EventSignatureError("MALFORMED", f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise EventSignatureError("MALFORMED", f"{what} must be a JSON object")
    return value


def _payload_object(raw: bytes) -> tuple[dict[str, Any], bool]:
    """(payload, plain): plain when every number in it is a safe integer. Read once as plain, which nearly every
    payload is, and again by the general decoder at the first number that is not."""
    try:
        return _json_object(raw, "payload", _PLAIN_DECODER), True
    except _NotPlain:
        return _json_object(raw, "payload"), False


def _canonical_payload(payload: dict[str, Any], payload_bytes: bytes, numbers_plain: bool,
                       ) -> tuple[tuple[tuple[str, bytes], ...], bool]:
    """(members, plain) of a payload whose bytes are its RFC 8785 form; raise NON_CANONICAL otherwise. A plain
    payload is checked with the C encoder (``_plain_jcs``); any other, or a plain one that differs, by ``rfc8785``
    member by member, which decides."""
    if numbers_plain:
        text = _PLAIN_ENCODER.encode(payload)  # equal to the payload's text only if the payload is plain too
        if _BEYOND_BMP.search(text) is None and text.encode("utf-8") == payload_bytes:
            return (), True
    try:
        members = _canonical_members(payload)
    except ValueError as exc:
        raise EventSignatureError("NON_CANONICAL", f"payload cannot be canonicalised: {exc}") from exc
    if _canonical_object(m for _, m in members) != payload_bytes:
        raise EventSignatureError("NON_CANONICAL", "payload bytes are not RFC 8785 canonical JSON")
    return members, False


def logged_payload(compact: str) -> dict[str, Any]:
    """The payload of an event the registry verified when it was logged (read again, not re-verified)."""
    parts = compact.split(".")
    if len(parts) != 3:
        raise EventSignatureError("MALFORMED", "not a compact JWS")
    try:
        return _json_object(_b64url_decode(parts[1]), "payload")
    except ValueError as exc:
        raise EventSignatureError("MALFORMED", f"payload: {exc}") from exc


def _check_salt(payload: Mapping[str, Any]) -> None:
    salt = payload.get("salt")
    if salt is None:
        raise EventSignatureError("MISSING_SALT", "payload has no salt")
    try:
        ok = isinstance(salt, str) and len(_b64url_decode(salt)) >= SALT_BYTES
    except ValueError:
        ok = False
    if not ok:
        raise EventSignatureError("MISSING_SALT", f"salt must be base64url of at least {SALT_BYTES} bytes")


def _is_ed25519(key: object, *, private: bool) -> bool:
    return isinstance(key, OKPKey) and key.curve_name == "Ed25519" and (key.is_private or not private)


def sign_event(payload: Mapping[str, Any], private_jwk: OKPKey, kid: str, *, typ: str = EVENT_TYP) -> str:
    """Sign ``payload`` (adding a fresh salt if it has none) as a compact JWS.

    Header ``{"alg":"Ed25519","kid":kid,"typ":"registry-event+jws"}``; the payload is the
    RFC 8785 canonical JSON of the (salted) object.
    """
    if not isinstance(payload, Mapping):
        raise TypeError("payload must be a JSON object")
    if not isinstance(kid, str) or not kid:
        raise ValueError("kid must be a non-empty string")
    if not _is_ed25519(private_jwk, private=True):
        raise ValueError("private_jwk must be an Ed25519 private OKPKey")
    body = dict(payload)
    if "salt" not in body:
        body["salt"] = new_salt()
    _check_salt(body)
    header = {"alg": SIGNING_ALGORITHM, "kid": kid, "typ": typ}
    return jws.serialize_compact(header, canonical_bytes(body), private_jwk, algorithms=[SIGNING_ALGORITHM])


def verify_event(compact: str, resolve_key: Callable[[str], OKPKey], *, typ: str = EVENT_TYP) -> VerifiedEvent:
    """Check a publisher's compact JWS and return its payload; raise ``EventSignatureError``.

    Order: shape and header (MALFORMED, UNSUPPORTED_ALGORITHM, WRONG_TYPE), key by ``kid``
    (``resolve_key`` raising ``KeyError`` gives UNKNOWN_KEY), signature, then the payload
    (NON_CANONICAL, MISSING_SALT) -- so payload errors are reported only for authentic data.
    The three steps are ``read_signed``, ``authenticate`` and ``open_payload``.
    """
    authentic = authenticate(read_signed(compact, resolve_key, typ=typ))
    if authentic is None:
        raise EventSignatureError("BAD_SIGNATURE", "signature does not verify")
    return open_payload(authentic)


@dataclass(frozen=True, slots=True)
class SignedEvent:
    """A compact JWS whose shape, header and key passed; its signature is not checked yet, its payload not read."""

    signing_input: bytes
    payload_bytes: bytes
    signature: bytes
    header: dict[str, Any]
    kid: str
    alg: str
    key: OKPKey


#: A ``SignedEvent`` whose signature ``authenticate`` checked: only such a one has its payload read.
Authentic = NewType("Authentic", SignedEvent)


def read_signed(compact: str, resolve_key: Callable[[str], OKPKey], *, typ: str = EVENT_TYP) -> SignedEvent:
    """``verify_event``'s first step: the shape, the protected header and the key; raises as it does."""
    if not isinstance(compact, str) or not compact.isascii() or len(compact) > _MAX_COMPACT:
        raise EventSignatureError("MALFORMED", "event must be an ASCII compact JWS of reasonable size")
    parts = compact.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise EventSignatureError("MALFORMED", "compact JWS must have a header, a payload and a signature")
    try:
        payload_bytes, signature = _b64url_decode(parts[1]), _b64url_decode(parts[2])
    except ValueError as exc:
        raise EventSignatureError("MALFORMED", f"compact JWS part is {exc}") from exc
    reader = _protected_header if len(parts[0]) <= MAX_HEADER else _protected_header.__wrapped__
    header, alg, kid = reader(parts[0], typ)
    try:
        key = resolve_key(kid)
    except KeyError as exc:
        raise EventSignatureError("UNKNOWN_KEY", f"no usable key {kid!r}") from exc
    if not _is_ed25519(key, private=False):
        raise EventSignatureError("UNSUPPORTED_KEY", f"key {kid!r} is not an Ed25519 OKP key")
    if len(signature) != 64:
        raise EventSignatureError("BAD_SIGNATURE", "an Ed25519 signature is 64 bytes")
    return SignedEvent(f"{parts[0]}.{parts[1]}".encode("ascii"), payload_bytes, signature, dict(header), kid, alg,
                       key)


@functools.lru_cache(maxsize=256)
def _protected_header(segment: str, typ: str) -> tuple[Mapping[str, Any], str, str]:
    """(header, alg, kid) of a protected header that passes, or the refusal. Remembered by its text: a publisher's
    events share one header (alg, kid, typ), which would otherwise be decoded and checked once per event."""
    try:
        header_raw = _b64url_decode(segment)
    except ValueError as exc:
        raise EventSignatureError("MALFORMED", f"compact JWS part is {exc}") from exc
    header = _json_object(header_raw, "protected header")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise EventSignatureError("UNSUPPORTED_ALGORITHM", f"algorithm {alg!r} is not accepted")
    unknown = set(header) - _HEADER_KEYS
    if unknown:
        raise EventSignatureError("MALFORMED", f"unsupported header members {sorted(unknown)}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise EventSignatureError("MALFORMED", "header has no kid")
    if not isinstance(header.get("typ"), str) or header["typ"].lower().removeprefix("application/") != typ:
        raise EventSignatureError("WRONG_TYPE", f"typ must be {typ!r}")
    return MappingProxyType(header), alg, kid


def authenticate(signed: SignedEvent) -> Authentic | None:
    """``verify_event``'s second step: the signature, or None where it does not verify.

    The header is checked (alg, kid, typ, no other member), so what is left of RFC 7515's verification is joserfc's
    algorithm: its key checks ("use", key type, the key's "alg", "key_ops") and the signature over the signing input,
    which for an Ed25519 key libsodium checks (ledger.ed25519: half the CPU, and never more lenient).
    (jws.deserialize_compact would parse and check the token again first: about a fifth of the time.) Nothing else
    happens here, so that threads checking many at once spend their time in Ed25519, which lets go of the GIL:
    Python work between two checks makes the threads wait for each other."""
    try:
        model = _ALGORITHMS[signed.alg]
        model.check_key(signed.key)
        public = signed.key.get_op_key("verify")  # joserfc's check of the key's "key_ops", as its verify does
        if isinstance(public, Ed25519PublicKey):  # libsodium's check: half the CPU (ledger.ed25519)
            verified = ed25519.verify(public.public_bytes_raw(), signed.signature, signed.signing_input)
        else:
            verified = model.verify(signed.signing_input, signed.signature, signed.key)
    except JoseError:  # the key's "use", "key_ops" or "alg" forbid this
        return None
    return Authentic(signed) if verified else None


def open_payload(authentic: Authentic) -> VerifiedEvent:
    """``verify_event``'s last step: the payload of an authentic event, which must be canonical and salted."""
    payload, numbers_plain = _payload_object(authentic.payload_bytes)
    members, plain = _canonical_payload(payload, authentic.payload_bytes, numbers_plain)
    _check_salt(payload)
    return VerifiedEvent(payload, authentic.payload_bytes, authentic.kid, authentic.alg, authentic.header, members,
                         plain)
