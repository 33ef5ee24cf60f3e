"""The kid read from an event's protected header before its key is looked up (publishing.apply._unverified_kid):
remembered by the header's text, since a publisher's events share one header, and never remembered as a pass."""

from __future__ import annotations

import base64
import json

import pytest

from publishing import apply
from registry.errors import RegistryError


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_a_header_is_read_once_and_its_refusal_every_time() -> None:
    good = f"{_b64({'alg': 'Ed25519', 'kid': 'k-1', 'typ': 'registry-event+jws'})}.e30.c2ln"
    assert apply._unverified_kid(good) == "k-1"
    hits = apply._kid_in.cache_info().hits
    assert apply._unverified_kid(good) == "k-1"
    assert apply._kid_in.cache_info().hits == hits + 1
    for bad in (f"{_b64({'alg': 'Ed25519'})}.e30.c2ln", f"{_b64({'kid': ''})}.e30.c2ln", "not-base64!.e30.c2ln"):
        for _ in range(2):
            with pytest.raises(RegistryError) as err:
                apply._unverified_kid(bad)
            assert err.value.code == "MALFORMED"
    with pytest.raises(RegistryError) as err:  # the header is remembered; the rest of the token is still checked
        apply._unverified_kid(good + "\u00e9")
    assert err.value.code == "MALFORMED"


def test_a_long_header_is_read_but_not_remembered() -> None:
    long = f"{_b64({'alg': 'Ed25519', 'kid': 'k' * 600, 'typ': 'registry-event+jws'})}.e30.c2ln"
    size = apply._kid_in.cache_info().currsize
    assert apply._unverified_kid(long) == "k" * 600
    assert apply._kid_in.cache_info().currsize == size
