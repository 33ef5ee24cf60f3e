"""Publisher event JWS: round trips and every refusal, including alg=none and key confusion."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from ledger import events
from ledger.events import (
    EVENT_TYP,
    EventSignatureError,
    canonical_bytes,
    content_digest,
    generate_ed25519_jwk,
    new_salt,
    public_jwk_dict,
    sign_event,
    verify_event,
)

KID = "post-board-tx/2025-01"
PAYLOAD: dict[str, Any] = {"type": "DECERTIFICATION", "officer": "OFC-1", "effective": "2025-03-01", "n": 3}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64json(obj: Any) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


@pytest.fixture(scope="module")
def key() -> OKPKey:
    return generate_ed25519_jwk(KID)


def resolver(*keys: OKPKey) -> Callable[[str], OKPKey]:
    table = {k.kid: OKPKey.import_key(public_jwk_dict(k)) for k in keys}

    def resolve(kid: str) -> OKPKey:
        return table[kid]  # KeyError for unknown kids

    return resolve


def raw_sign(header: dict[str, Any], payload: bytes, key: Any, alg: str) -> str:
    """Sign arbitrary bytes with joserfc directly, bypassing sign_event's normalisation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return jws.serialize_compact(header, payload, key, algorithms=[alg])


def header(alg: str = "Ed25519", **extra: Any) -> dict[str, Any]:
    return {"alg": alg, "kid": KID, "typ": EVENT_TYP, **extra}


def salted(**extra: Any) -> dict[str, Any]:
    return {**PAYLOAD, "salt": new_salt(), **extra}


def refused(compact: str, resolve: Callable[[str], OKPKey]) -> str:
    with pytest.raises(EventSignatureError) as info:
        verify_event(compact, resolve)
    return info.value.code


# --- round trips -------------------------------------------------------------------


def test_round_trip_ed25519(key: OKPKey) -> None:
    token = sign_event(PAYLOAD, key, KID)
    event = verify_event(token, resolver(key))
    assert event.alg == "Ed25519"
    assert event.kid == KID
    assert event.protected_header == {"alg": "Ed25519", "kid": KID, "typ": EVENT_TYP}
    assert {k: v for k, v in event.payload.items() if k != "salt"} == PAYLOAD
    assert len(base64.urlsafe_b64decode(event.payload["salt"] + "==")) == 16
    assert event.payload_bytes == canonical_bytes(event.payload)
    # The middle part of the token is exactly the canonical JSON, base64url-encoded.
    assert token.split(".")[1] == b64(event.payload_bytes)
    assert "salt" not in PAYLOAD  # the caller's dict is not modified


def test_round_trip_legacy_eddsa(key: OKPKey) -> None:
    payload = canonical_bytes(salted())
    token = raw_sign(header("EdDSA"), payload, key, "EdDSA")
    event = verify_event(token, resolver(key))
    assert event.alg == "EdDSA"
    assert event.payload_bytes == payload


def test_existing_salt_kept_and_digest_ignores_it(key: OKPKey) -> None:
    salt = new_salt()
    one = verify_event(sign_event({**PAYLOAD, "salt": salt}, key, KID), resolver(key))
    assert one.payload["salt"] == salt
    two = verify_event(sign_event(PAYLOAD, key, KID), resolver(key))
    assert one.payload_bytes != two.payload_bytes
    assert content_digest(one.payload) == content_digest(two.payload) == content_digest(PAYLOAD)
    assert content_digest(PAYLOAD) == hashlib.sha256(canonical_bytes(PAYLOAD)).digest()


def test_canonical_bytes_rfc8785() -> None:
    assert canonical_bytes({"b": 1, "a": [1.0, "\u00e9", None, True, 1e21]}) == (
        b'{"a":[1,"\xc3\xa9",null,true,1e+21],"b":1}'
    )


def test_public_jwk_dict_has_no_private_part(key: OKPKey) -> None:
    d = public_jwk_dict(key)
    assert d["kty"] == "OKP" and d["crv"] == "Ed25519" and d["kid"] == KID
    assert "d" not in d


def test_sign_event_rejects_bad_inputs(key: OKPKey) -> None:
    with pytest.raises(EventSignatureError) as info:
        sign_event({**PAYLOAD, "salt": "short"}, key, KID)
    assert info.value.code == "MISSING_SALT"
    with pytest.raises(ValueError):
        sign_event(PAYLOAD, OKPKey.import_key(public_jwk_dict(key)), KID)  # public key only
    with pytest.raises(ValueError):
        sign_event(PAYLOAD, key, "")
    with pytest.raises(ValueError):
        sign_event({"n": 2**60}, key, KID)  # outside JCS's integer domain


# --- algorithm allow-list and key confusion ------------------------------------------


def test_alg_none_refused(key: OKPKey) -> None:
    payload = b64(canonical_bytes(salted()))
    unsigned = f"{b64json(header('none'))}.{payload}."
    assert refused(unsigned, resolver(key)) == "UNSUPPORTED_ALGORITHM"
    real = sign_event(PAYLOAD, key, KID)
    # Same payload, real signature, header swapped to "none".
    assert refused(f"{b64json(header('none'))}.{payload}.{real.split('.')[2]}", resolver(key)) == (
        "UNSUPPORTED_ALGORITHM"
    )


def test_hs256_key_confusion_refused(key: OKPKey) -> None:
    # The classic attack: HMAC the token with the *public* key as the secret, hoping the
    # verifier feeds its Ed25519 key bytes into HMAC.
    public = public_jwk_dict(key)
    payload = b64(canonical_bytes(salted()))
    for secret in (base64.urlsafe_b64decode(public["x"] + "="), json.dumps(public).encode()):
        signing_input = f"{b64json(header('HS256'))}.{payload}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert refused(f"{signing_input}.{b64(mac)}", resolver(key)) == "UNSUPPORTED_ALGORITHM"
    # Also when made by joserfc with an oct key holding the public key bytes.
    oct_key = OctKey.import_key(base64.urlsafe_b64decode(public["x"] + "="))
    token = raw_sign(header("HS256"), canonical_bytes(salted()), oct_key, "HS256")
    assert refused(token, resolver(key)) == "UNSUPPORTED_ALGORITHM"


def test_resolver_returning_non_ed25519_key_refused(key: OKPKey) -> None:
    token = sign_event(PAYLOAD, key, KID)
    oct_key = OctKey.import_key(b"0" * 32)
    assert refused(token, lambda kid: oct_key) == "UNSUPPORTED_KEY"  # type: ignore[arg-type,return-value]
    # Legacy "EdDSA" also names Ed448: only Ed25519 keys are accepted.
    ed448 = OKPKey.generate_key("Ed448", parameters={"kid": KID})
    token448 = raw_sign(header("EdDSA"), canonical_bytes(salted()), ed448, "EdDSA")
    assert refused(token448, resolver(ed448)) == "UNSUPPORTED_KEY"


@pytest.mark.parametrize(("alg", "make_key"), [("RS256", lambda: RSAKey.generate_key(2048)), ("ES256", None)])
def test_other_asymmetric_algorithms_refused(key: OKPKey, alg: str, make_key: Any) -> None:
    other = make_key() if make_key else ECKey.generate_key("P-256")
    token = raw_sign(header(alg), canonical_bytes(salted()), other, alg)
    assert refused(token, resolver(key)) == "UNSUPPORTED_ALGORITHM"


# --- keys and signatures ---------------------------------------------------------------


def test_unknown_kid(key: OKPKey) -> None:
    assert refused(sign_event(PAYLOAD, key, "not-registered"), resolver(key)) == "UNKNOWN_KEY"


def test_bad_signatures(key: OKPKey) -> None:
    impostor = generate_ed25519_jwk(KID)
    assert refused(sign_event(PAYLOAD, impostor, KID), resolver(key)) == "BAD_SIGNATURE"

    token = sign_event(PAYLOAD, key, KID)
    h, p, s = token.split(".")
    other_payload = b64(canonical_bytes(salted(officer="OFC-2")))
    assert refused(f"{h}.{other_payload}.{s}", resolver(key)) == "BAD_SIGNATURE"
    sig = bytearray(base64.urlsafe_b64decode(s + "=="))
    sig[10] ^= 1
    assert refused(f"{h}.{p}.{b64(bytes(sig))}", resolver(key)) == "BAD_SIGNATURE"
    assert refused(f"{h}.{p}.{b64(bytes(sig[:32]))}", resolver(key)) == "BAD_SIGNATURE"
    # A different (still valid) header breaks the signature too.
    assert refused(f"{b64json(header(typ=EVENT_TYP.upper()))}.{p}.{s}", resolver(key)) == "BAD_SIGNATURE"


def test_a_key_whose_use_forbids_verifying_is_refused(key: OKPKey) -> None:
    token = sign_event(PAYLOAD, key, KID)
    for extra in ({"use": "enc"}, {"key_ops": ["sign"]}):
        enc = OKPKey.import_key({**public_jwk_dict(key), **extra})
        assert refused(token, lambda _kid, k=enc: k) == "BAD_SIGNATURE"  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=7), st.sampled_from(["Ed25519", "EdDSA"]))
def test_the_signature_verdict_is_joserfcs(key: OKPKey, at: int, bit: int, alg: str) -> None:
    """verify_event checks the signature itself (the key's Ed25519 verify over the signing input) instead of
    through joserfc: for a token with any one bit of its signature or payload flipped, the two agree."""
    token = raw_sign(header(alg), canonical_bytes(salted()), key, alg)
    h, p, s = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(s + "==") + base64.urlsafe_b64decode(p + "=="))
    raw[at % len(raw)] ^= 1 << bit
    sig, body = bytes(raw[:64]), bytes(raw[64:])
    mutated = f"{h}.{b64(body)}.{b64(sig)}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        try:
            jws.deserialize_compact(mutated, key, algorithms=[alg])
            joserfc_accepts = True
        except JoseError:
            joserfc_accepts = False
    assert not joserfc_accepts
    try:
        verify_event(mutated, resolver(key))
    except EventSignatureError as err:
        assert err.code in ("BAD_SIGNATURE", "MALFORMED", "NON_CANONICAL") and (
            err.code == "BAD_SIGNATURE" or at % len(raw) >= 64)
    else:
        pytest.fail("a token with a flipped bit was accepted")
    assert verify_event(token, resolver(key)).payload_bytes == base64.urlsafe_b64decode(p + "==")


# --- payload ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b'{"salt":"AAAAAAAAAAAAAAAAAAAAAA", "type":"X"}',  # whitespace
        b'{"type":"X","salt":"AAAAAAAAAAAAAAAAAAAAAA"}',  # member order
        b'{"n":1.0,"salt":"AAAAAAAAAAAAAAAAAAAAAA"}',  # number form
        b'{"s":"\\u00e9","salt":"AAAAAAAAAAAAAAAAAAAAAA"}',  # escaped non-ASCII
        b'{"n":9007199254740993,"salt":"AAAAAAAAAAAAAAAAAAAAAA"}',  # beyond JCS integers
        b'{"salt":"AAAAAAAAAAAAAAAAAAAAAA"}\n',  # trailing newline
    ],
)
def test_non_canonical_payload(key: OKPKey, payload: bytes) -> None:
    assert refused(raw_sign(header(), payload, key, "Ed25519"), resolver(key)) == "NON_CANONICAL"


@pytest.mark.parametrize("salt", [None, "", "AAAA", 12345, "!!!!!!!!!!!!!!!!!!!!!!", "AAAAAAAAAAAAAAAAAAAAAA=="])
def test_missing_or_weak_salt(key: OKPKey, salt: Any) -> None:
    body = dict(PAYLOAD) if salt is None else {**PAYLOAD, "salt": salt}
    token = raw_sign(header(), canonical_bytes(body), key, "Ed25519")
    assert refused(token, resolver(key)) == "MISSING_SALT"


@pytest.mark.parametrize("payload", [b"[1,2]", b'"text"', b"not json", b'{"a":1,"a":2}', b'{"a":NaN}'])
def test_payload_not_an_object(key: OKPKey, payload: bytes) -> None:
    assert refused(raw_sign(header(), payload, key, "Ed25519"), resolver(key)) == "MALFORMED"


# --- framing and header ----------------------------------------------------------------


def test_malformed_framing(key: OKPKey) -> None:
    token = sign_event(PAYLOAD, key, KID)
    h, p, s = token.split(".")
    for bad in (
        "",
        "abc",
        f"{h}.{p}",
        f"{h}.{p}.{s}.x",
        f".{p}.{s}",
        f"{h}..{s}",
        f"{h}.{p}.{s}=",  # padding
        f"{h}=.{p}.{s}",
        f"{h}.{p}+.{s}",  # not base64url
        f"{h}.{p}.{s}\u00e9",  # not ASCII
        f"{b64(b'not json')}.{p}.{s}",
        f"{b64(b'{}')}.{p}.{s}",  # no alg
    ):
        code = refused(bad, resolver(key))
        assert code in {"MALFORMED", "UNSUPPORTED_ALGORITHM"}, bad


def test_non_canonical_base64url_signature(key: OKPKey) -> None:
    token = sign_event(PAYLOAD, key, KID)
    h, p, s = token.split(".")
    # 64 bytes -> 86 chars with 4 unused low bits in the last char; set one of them.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(s[-1]) ^ 1]
    assert refused(f"{h}.{p}.{s[:-1]}{last}", resolver(key)) == "MALFORMED"


@pytest.mark.parametrize(
    ("hdr", "code"),
    [
        ({"alg": "Ed25519", "typ": EVENT_TYP}, "MALFORMED"),  # no kid
        ({"alg": "Ed25519", "kid": "", "typ": EVENT_TYP}, "MALFORMED"),
        ({"alg": "Ed25519", "kid": 7, "typ": EVENT_TYP}, "MALFORMED"),
        ({"alg": "Ed25519", "kid": KID}, "WRONG_TYPE"),
        ({"alg": "Ed25519", "kid": KID, "typ": "JWT"}, "WRONG_TYPE"),
        ({**header(), "crit": ["b64"], "b64": False}, "MALFORMED"),
        ({**header(), "jwk": {"kty": "OKP"}}, "MALFORMED"),
        ({**header(), "jku": "https://attacker.example/keys"}, "MALFORMED"),
        ({"alg": "ed25519", "kid": KID, "typ": EVENT_TYP}, "UNSUPPORTED_ALGORITHM"),
        ({"alg": ["Ed25519"], "kid": KID, "typ": EVENT_TYP}, "UNSUPPORTED_ALGORITHM"),
    ],
)
def test_header_refusals(key: OKPKey, hdr: dict[str, Any], code: str) -> None:
    token = sign_event(PAYLOAD, key, KID)
    _, p, s = token.split(".")
    assert refused(f"{b64json(hdr)}.{p}.{s}", resolver(key)) == code


def test_duplicate_header_member_refused(key: OKPKey) -> None:
    token = sign_event(PAYLOAD, key, KID)
    _, p, s = token.split(".")
    dup = b64(f'{{"alg":"none","alg":"Ed25519","kid":"{KID}","typ":"{EVENT_TYP}"}}'.encode())
    assert refused(f"{dup}.{p}.{s}", resolver(key)) == "MALFORMED"


def test_typ_with_media_type_prefix_accepted(key: OKPKey) -> None:
    token = raw_sign(header(typ="application/" + EVENT_TYP), canonical_bytes(salted()), key, "Ed25519")
    assert verify_event(token, resolver(key)).kid == KID


def test_error_carries_code_and_message() -> None:
    err = EventSignatureError("BAD_SIGNATURE", "nope")
    assert (err.code, err.message, str(err)) == ("BAD_SIGNATURE", "nope", "BAD_SIGNATURE: nope")


# --- RFC 8037 Appendix A.4: the published Ed25519 JWS ------------------------------------

RFC8037_JWK: dict[str, Any] = {
    "kty": "OKP",
    "crv": "Ed25519",
    "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def test_rfc8037_vector() -> None:
    rfc_key = OKPKey.import_key(RFC8037_JWK)
    # The library stack we sign with reproduces the RFC's bytes exactly.
    assert raw_sign({"alg": "EdDSA"}, b"Example of Ed25519 signing", rfc_key, "EdDSA") == RFC8037_JWS
    # ...but the RFC's token is not an event: no kid, no typ, payload not JSON.
    assert refused(RFC8037_JWS, lambda kid: rfc_key) == "MALFORMED"


# -- the payload serialised member by member (one RFC 8785 pass for the canonical check and the digest) ---------

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=8)  # any key, even beyond the BMP
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _TEXT
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(_TEXT, _JSON, max_size=8), st.data())
def test_member_by_member_serialisation_is_rfc8785(obj: dict[str, Any], data: st.DataObject) -> None:
    """The bytes verify_event compares with the signed payload, and the digest without some members, are exactly
    what rfc8785 writes for the whole object and for the smaller one (keys ordered by UTF-16 code units)."""
    members = events._canonical_members(obj)
    assert events._canonical_object(m for _, m in members) == rfc8785.dumps(obj)
    dropped = data.draw(st.lists(st.sampled_from(sorted(obj) or ["salt"]), max_size=3))
    verified = events.VerifiedEvent(obj, rfc8785.dumps(obj), "k", "Ed25519", {}, members)
    smaller = {k: v for k, v in obj.items() if k not in dropped}
    assert verified.digest_without(*dropped) == hashlib.sha256(rfc8785.dumps(smaller)).digest()


def test_the_content_digest_leaves_out_only_the_salt_and_signing_time() -> None:
    key = generate_ed25519_jwk(KID)
    one = verify_event(sign_event(dict(PAYLOAD), key, KID), lambda _kid: key)
    body = {k: v for k, v in one.payload.items() if k not in ("salt", "issuedAt")}
    assert one.digest_without("salt", "issuedAt") == hashlib.sha256(canonical_bytes(body)).digest()


def test_members_are_ordered_by_utf16_code_units_not_code_points() -> None:
    """RFC 8785 3.2.3: a key beyond the BMP (a surrogate pair, 0xD83D...) sorts before one at U+FFFF."""
    obj = {"\uffff": 1, "\U0001f600": 2, "a": 3}
    members = events._canonical_members(obj)
    assert [k for k, _ in members] == ["a", "\U0001f600", "\uffff"]
    assert events._canonical_object(m for _, m in members) == rfc8785.dumps(obj)


# -- the C encoder's fast check: only where it provably writes what RFC 8785 writes -----------------------------

_BMP_TEXT = st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0xFFFF), max_size=8)
_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _BMP_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_BMP_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_BMP_TEXT, _PLAIN, max_size=8))
def test_plain_objects_are_written_by_the_c_encoder_as_rfc8785_does(obj: dict[str, Any]) -> None:
    """Safe integers and text within the BMP (every control character, quote, backslash, DEL, U+2028, U+FFFF):
    the standard library's encoder and rfc8785 write the same bytes, keys in the same order."""
    assert events._plain_jcs(obj) == rfc8785.dumps(obj)


def _rfc8785_accepts(raw: bytes) -> bool:
    try:
        return rfc8785.dumps(json.loads(raw.decode("utf-8"))) == raw
    except (ValueError, rfc8785.CanonicalizationError):
        return False


_WRITERS: list[Callable[[Any], bytes]] = [
    rfc8785.dumps,
    lambda o: json.dumps(o, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(),
    lambda o: json.dumps(o, separators=(",", ":"), sort_keys=True).encode(),  # \uXXXX escapes, surrogate pairs
    lambda o: json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode(),  # keys unsorted
    lambda o: json.dumps(o, ensure_ascii=False, sort_keys=True).encode(),  # spaces
]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _JSON | st.integers(), max_size=6), st.sampled_from(range(len(_WRITERS))))
def test_the_canonical_check_decides_as_rfc8785_on_any_payload(obj: dict[str, Any], writer: int) -> None:
    """Whatever writes the payload (canonically or not; fractions, big integers, text beyond the BMP, escapes),
    the check accepts exactly the bytes rfc8785 would have written, and a plain one's digest is rfc8785's."""
    try:
        raw = _WRITERS[writer](obj)
    except (ValueError, rfc8785.CanonicalizationError):
        return  # nothing to sign
    payload, numbers_plain = events._payload_object(raw)
    try:
        members, plain = events._canonical_payload(payload, raw, numbers_plain)
    except EventSignatureError as err:
        assert err.code == "NON_CANONICAL"
        assert not _rfc8785_accepts(raw)
        return
    assert _rfc8785_accepts(raw)
    verified = events.VerifiedEvent(payload, raw, "k", "Ed25519", {}, members, plain)
    for dropped in ([], sorted(payload)[:1], sorted(payload)):
        smaller = {k: v for k, v in payload.items() if k not in dropped}
        assert verified.digest_without(*dropped) == hashlib.sha256(rfc8785.dumps(smaller)).digest()


@pytest.mark.parametrize("raw", [
    b'{"a":1.0}', b'{"a":1e2}', b'{"a":-0}', b'{"a":9007199254740993}', b'{"a":"\\u00E9"}', b'{"a":"\\ud83d\\ude00"}',
    b'{"b":1,"a":2}', b'{"\\ud83d\\ude00":1,"\\uffff":2}', b'{"a":"\\/"}',
    '{"\uffff":2,"\U0001f600":1}'.encode(),  # code-point order: Python's sort_keys, not RFC 8785's UTF-16 order
])
def test_non_canonical_spellings_the_c_encoder_might_miss_are_refused(raw: bytes) -> None:
    payload, numbers_plain = events._payload_object(raw)
    with pytest.raises(EventSignatureError) as err:
        events._canonical_payload(payload, raw, numbers_plain)
    assert err.value.code == "NON_CANONICAL"


def test_a_payload_beyond_the_bmp_is_checked_by_rfc8785_and_accepted_when_canonical() -> None:
    obj = {"\uffff": 1, "\U0001f600": 2, "n": 1.5}
    raw = rfc8785.dumps(obj)
    payload, numbers_plain = events._payload_object(raw)
    members, plain = events._canonical_payload(payload, raw, numbers_plain)
    assert not plain and [k for k, _ in members] == ["n", "\U0001f600", "\uffff"]


def _reference_b64url_decode(segment: str) -> bytes | None:
    """What ``_b64url_decode`` must accept, written the plain way: base64's own decoder, then the re-encoding."""
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in segment):
        return None
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return None
    return raw if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == segment else None


@settings(max_examples=600, deadline=None)
@given(st.one_of(
    st.binary(max_size=70).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()),  # canonical
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=12),  # stray bits
    st.text(max_size=12),  # anything: padding, '+', '/', spaces, beyond ASCII
))
def test_base64url_decoding_accepts_exactly_the_canonical_form(segment: str) -> None:
    expected = _reference_b64url_decode(segment)
    try:
        got: bytes | None = events._b64url_decode(segment)
    except ValueError:
        got = None
    assert got == expected


def test_a_remembered_header_is_refused_every_time_and_answers_per_type(key: OKPKey) -> None:
    """The protected header is read once per text and type; a refusal is not remembered as a pass, a header read
    for one type does not pass for another, and each event gets its own copy of the header."""
    token = sign_event(PAYLOAD, key, KID)
    _, p, s = token.split(".")
    bad = f"{b64json({'alg': 'Ed25519', 'kid': KID})}.{p}.{s}"  # no typ
    assert refused(bad, resolver(key)) == "WRONG_TYPE"
    assert refused(bad, resolver(key)) == "WRONG_TYPE"
    verify_event(token, resolver(key))
    with pytest.raises(EventSignatureError) as err:
        events.read_signed(token, resolver(key), typ="other+jws")
    assert err.value.code == "WRONG_TYPE"
    first = events.read_signed(token, resolver(key))
    first.header["alg"] = "none"
    assert events.read_signed(token, resolver(key)).header["alg"] == events.SIGNING_ALGORITHM


def test_a_long_header_is_read_and_refused_without_being_remembered(key: OKPKey) -> None:
    token = sign_event(PAYLOAD, key, KID)
    _, p, s = token.split(".")
    long_kid = "k" * 600
    long_header = b64json({"alg": "Ed25519", "kid": long_kid, "typ": EVENT_TYP})
    before = events._protected_header.cache_info().currsize
    assert refused(f"{long_header}.{p}.{s}", resolver(key)) == "UNKNOWN_KEY"  # read in full, key looked up
    assert events._protected_header.cache_info().currsize == before


def test_a_duplicate_payload_member_is_refused_whatever_its_numbers(key: OKPKey) -> None:
    """Both decoders (the plain one and the one used after a fraction or a big integer) refuse a repeated key."""
    for raw in (b'{"a":1,"a":2}', b'{"a":1.5,"a":2}', b'{"a":9007199254740993,"b":{"c":1,"c":1}}'):
        with pytest.raises(EventSignatureError) as err:
            events._payload_object(raw)
        assert err.value.code == "MALFORMED"
    assert events._payload_object(b'{"a":1,"b":[2,-3]}') == ({"a": 1, "b": [2, -3]}, True)
    assert events._payload_object(b'{"a":1,"b":2.5}') == ({"a": 1, "b": 2.5}, False)
    assert events._payload_object(b'{"a":9007199254740992}') == ({"a": 9007199254740992}, False)
