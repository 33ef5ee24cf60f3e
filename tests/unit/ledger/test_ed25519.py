"""libsodium's Ed25519 check (ledger.ed25519) against RFC 8032's test vectors, and against OpenSSL's (cryptography,
which joserfc and `registry verify` use): it accepts every signature OpenSSL accepts from a sound key, refuses
every altered one, and refuses what only OpenSSL accepts (a key of small order signing every message)."""

from __future__ import annotations

import random

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc.jwk import OKPKey

from ledger import ed25519
from ledger.events import authenticate, generate_ed25519_jwk, read_signed, sign_event

# RFC 8032 section 7.1, tests 1-3: (secret key, public key, message, signature)
VECTORS = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
     "655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aee"
     "b00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28d"
     "c027beceea1ec40a"),
]


def _openssl(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


@pytest.mark.parametrize(("secret", "public", "message", "signature"), VECTORS)
def test_rfc_8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert key.public_key().public_bytes_raw().hex() == public and key.sign(bytes.fromhex(message)).hex() == signature
    assert ed25519.verify(bytes.fromhex(public), bytes.fromhex(signature), bytes.fromhex(message))
    assert not ed25519.verify(bytes.fromhex(public), bytes.fromhex(signature), bytes.fromhex(message) + b"\0")


def test_it_agrees_with_openssl_on_sound_keys_and_refuses_every_alteration() -> None:
    rng = random.Random(8032)
    for _ in range(200):
        key = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        public = key.public_key().public_bytes_raw()
        message = rng.randbytes(rng.randrange(0, 3000))
        signature = key.sign(message)
        assert ed25519.verify(public, signature, message) and _openssl(public, signature, message)
        bit = rng.randrange(64 * 8)
        altered = bytearray(signature)
        altered[bit // 8] ^= 1 << bit % 8
        assert ed25519.verify(public, bytes(altered), message) is _openssl(public, bytes(altered), message) is False
        if message:
            at = rng.randrange(len(message))
            changed = message[:at] + bytes([message[at] ^ 1]) + message[at + 1:]
            assert not ed25519.verify(public, signature, changed)
    assert not ed25519.verify(public, signature[:63], message) and not ed25519.verify(public[:31], signature, message)
    # S at or above the group order: both refuse
    order = 2**252 + 27742317777372353535851937790883648493
    big = signature[:32] + (int.from_bytes(signature[32:], "little") + order).to_bytes(32, "little")
    assert not ed25519.verify(public, big, message) and not _openssl(public, big, message)


def test_it_refuses_the_small_order_key_that_openssl_lets_sign_everything() -> None:
    identity, signature = bytes([1]) + bytes(31), bytes([1]) + bytes(63)
    for message in (b"", b"record.published", b"anything at all"):
        assert _openssl(identity, signature, message)  # a universal forgery, for this degenerate key
        assert not ed25519.verify(identity, signature, message)


def test_an_event_is_checked_by_libsodium_and_its_keys_use_still_counts() -> None:
    key = generate_ed25519_jwk("k1")
    public = OKPKey.import_key(key.as_dict(private=False))
    compact = sign_event({"type": "x", "n": 1}, key, "k1")
    assert authenticate(read_signed(compact, lambda _kid: public)) is not None
    head, payload, sig = compact.split(".")
    forged = ".".join((head, payload, ("A" if sig[0] != "A" else "B") + sig[1:]))
    assert authenticate(read_signed(forged, lambda _kid: public)) is None
    # a key that may not verify ("key_ops" without "verify"): refused before any signature is checked
    sign_only = OKPKey.import_key({**key.as_dict(private=False), "key_ops": ["sign"]})
    assert authenticate(read_signed(compact, lambda _kid: sign_only)) is None
