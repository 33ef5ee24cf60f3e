"""``credentials.sd_jwt`` against the published examples of RFC 9901 (SD-JWT), as test vectors.

Every value in ``tests/vectors/rfc9901.json`` is copied from the RFC text (each entry names its section):
the Disclosure examples of section 4.2, the main example of section 5 (issuance and an SD-JWT+KB), the
nested structures of section 6 and the additional examples of Appendix A.1 to A.4, all signed with the
Issuer key of Appendix A.5 and bound to the Holder key in their ``cnf`` claim.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey

from credentials import sd_jwt

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "rfc9901.json").read_text(encoding="utf-8"))
EXAMPLES: dict[str, dict[str, Any]] = {example["id"]: example for example in VECTORS["examples"]}
NESTED: list[dict[str, Any]] = VECTORS["nested_structures"]["examples"]

# The Verifier's values in the RFC's Key Binding JWTs (the generator's settings: examples/settings.yml).
AUDIENCE = "https://verifier.example.org"
NONCE = "1234567890"
KB_IAT = 1748537244  # the iat of every KB-JWT printed in RFC 9901 (sections 5.2 and A.3)

# How many digests stay undisclosed in each printed presentation, counted by hand from the RFC: every digest
# the Verifier meets (in the Issuer-signed JWT and in the Disclosures presented), minus the Disclosures presented.
UNDISCLOSED = {
    # 5.1 payload: 8 in _sd + 2 in nationalities = 10; 4 presented (given_name, family_name, address, "US").
    "section-5": 10 - 4,
    # A.1 payload: 8 in _sd + 8 in address._sd = 16 (6 of them decoys); 2 presented (region, country).
    "appendix-a1": 16 - 2,
    # A.2 payload: 3 in _sd + 2 in verification._sd + 1 in evidence + 6 in claims._sd = 12, plus the 4 in the
    # _sd of the presented evidence element = 16; 6 presented (time, the evidence element, method,
    # given_name, family_name, address).
    "appendix-a2": 16 - 6,
    # A.3 payload: 15 in _sd, plus the 6 in the presented age_equal_or_over = 21; 3 presented
    # (age_equal_or_over, "18", nationalities).
    "appendix-a3": 21 - 3,
    # A.4 payload: 7 in credentialSubject._sd + 3 in vaccine._sd + 4 in recipient._sd = 14; 4 presented
    # (order, dateOfVaccination, atcCode, medicinalProductName).
    "appendix-a4": 14 - 4,
}
WITH_KEY_BINDING = ("section-5", "appendix-a3", "appendix-a4")
ISSUED = ("section-5", "appendix-a3", "appendix-a4")  # the examples whose full issued SD-JWT the RFC prints
# The claims each of those Issuers put in the payload in the clear beyond the input JWT Claims Set.
ISSUER_ADDED = {"section-5": ["cnf", "exp", "iat", "iss"], "appendix-a3": ["cnf", "exp", "iat"],
                "appendix-a4": ["cnf"]}


def _issuer_key() -> ECKey:
    return ECKey.import_key(VECTORS["issuer_key"]["jwk"])


def _verified_payload(issuer_signed_jwt: str) -> dict[str, Any]:
    token = jwt.decode(issuer_signed_jwt, _issuer_key(), algorithms=["ES256"])
    assert token.header["alg"] == "ES256"
    return dict(token.claims)


def _all_disclosures() -> list[dict[str, Any]]:
    found = list(VECTORS["disclosure_examples"])
    for example in VECTORS["examples"]:
        found += example["disclosures"]
    for example in NESTED:
        found += example["disclosures"]
    return found


def _b64decode_json(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))


def _without_digests(value: Any) -> tuple[Any, int]:
    """What a Verifier makes of ``value`` when it holds none of the Disclosures its digests point to."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        hidden = len(value.get("_sd", []))
        for key, item in value.items():
            if key != "_sd":
                out[key], count = _without_digests(item)
                hidden += count
        return out, hidden
    if isinstance(value, list):
        items: list[Any] = []
        hidden = 0
        for element in value:
            if isinstance(element, dict) and set(element) == {"..."}:
                hidden += 1
            else:
                kept, count = _without_digests(element)
                items.append(kept)
                hidden += count
        return items, hidden
    return value, 0


def _one_char_changed(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1:]


def test_vectors_name_their_source_and_sections() -> None:
    assert VECTORS["source"] == "RFC 9901 (IETF Trust; Code Components under the Revised BSD License)"
    assert VECTORS["issuer_key"]["section"] == "A.5"
    assert sorted(EXAMPLES) == ["appendix-a1", "appendix-a2", "appendix-a3", "appendix-a4", "section-5"]
    assert [example["section"] for example in VECTORS["examples"]] == ["5.1", "A.1", "A.2", "A.3", "A.4"]
    assert all(d["section"] for d in _all_disclosures())
    assert len(_all_disclosures()) == 2 + 10 + 10 + 16 + 27 + 14 + 1 + 4 + 3 + 5


# --- Disclosures (sections 4.2.1-4.2.4, and every Disclosure listed in sections 5, 6 and Appendix A) ---------


def test_section_4_2_disclosure_examples() -> None:
    family, france = VECTORS["disclosure_examples"]
    assert family["disclosure"] == "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    assert sd_jwt.digest(family["disclosure"]) == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
    assert sd_jwt.claim_name(family["disclosure"]) == "family_name"
    assert sd_jwt.resolve_counting({"_sd": [family["digest"]]}, [family["disclosure"]]) == (
        {"family_name": "Möbius"}, 0)
    # Section 4.2.4.2: the nationalities array with its second element selectively disclosable.
    assert france["disclosure"] == "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0"
    assert sd_jwt.digest(france["disclosure"]) == "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"
    assert sd_jwt.claim_name(france["disclosure"]) is None
    payload = {"nationalities": ["DE", {"...": france["digest"]}, "US"]}
    assert sd_jwt.resolve_counting(payload, [france["disclosure"]]) == ({"nationalities": ["DE", "FR", "US"]}, 0)
    assert sd_jwt.resolve_counting(payload, []) == ({"nationalities": ["DE", "US"]}, 1)


@pytest.mark.parametrize("vector", _all_disclosures(), ids=lambda d: f"{d['section']}:{d['digest'][:8]}")
def test_disclosure_digest_and_claim_name(vector: dict[str, Any]) -> None:
    assert sd_jwt.digest(vector["disclosure"]) == vector["digest"]
    assert sd_jwt.claim_name(vector["disclosure"]) == vector["claim_name"]
    assert _b64decode_json(vector["disclosure"]) == vector["contents"]


@pytest.mark.parametrize("vector", _all_disclosures(), ids=lambda d: f"{d['section']}:{d['digest'][:8]}")
def test_disclosure_alone_resolves_to_its_printed_contents(vector: dict[str, Any]) -> None:
    # A value that itself holds digests (recursive disclosure) comes out without them: none are disclosed here.
    value, hidden = _without_digests(vector["contents"][-1])
    if vector["claim_name"] is None:
        expected: dict[str, Any] = {"array": [value]}
        got = sd_jwt.resolve_counting({"array": [{"...": vector["digest"]}]}, [vector["disclosure"]])
    else:
        expected = {vector["claim_name"]: value}
        got = sd_jwt.resolve_counting({"_sd": [vector["digest"]]}, [vector["disclosure"]])
    assert got == (expected, hidden)


def test_section_4_2_1_encoding_variants_hash_differently_but_say_the_same() -> None:
    variants = VECTORS["disclosure_encoding_variants"]
    digests = {sd_jwt.digest(v["disclosure"]) for v in variants["variants"]}
    assert len(digests) == 3
    assert "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0" not in digests
    for variant in variants["variants"]:
        assert sd_jwt.claim_name(variant["disclosure"]) == variants["claim_name"] == "family_name"
        digest = sd_jwt.digest(variant["disclosure"])
        assert sd_jwt.resolve_counting({"_sd": [digest]}, [variant["disclosure"]]) == ({"family_name": "Möbius"}, 0)


# --- the Issuer-signed JWTs (section 5.1, Appendix A) ---------------------------------------------------------


@pytest.mark.parametrize("example_id", sorted(EXAMPLES))
def test_issuer_signed_jwt_verifies_with_the_appendix_a5_key(example_id: str) -> None:
    example = EXAMPLES[example_id]
    presented = sd_jwt.parse(example["presentation"])
    assert _verified_payload(presented.jwt) == example["jwt_payload"]
    if "sd_jwt" in example:
        assert sd_jwt.parse(example["sd_jwt"]).jwt == presented.jwt


def test_section_5_1_issuer_signed_jwt_is_the_one_in_the_sd_jwt_and_the_presentation() -> None:
    example = EXAMPLES["section-5"]
    assert _verified_payload(example["issuer_signed_jwt"]) == example["jwt_payload"]
    assert sd_jwt.parse(example["sd_jwt"]).jwt == example["issuer_signed_jwt"]
    assert sd_jwt.parse(example["presentation"]).jwt == example["issuer_signed_jwt"]


def test_issuer_signed_jwt_with_one_character_changed_is_refused() -> None:
    token = EXAMPLES["section-5"]["issuer_signed_jwt"]
    header, payload, signature = token.split(".")
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{_one_char_changed(payload, 10)}.{signature}", _issuer_key(), algorithms=["ES256"])
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{payload}.{_one_char_changed(signature, 5)}", _issuer_key(), algorithms=["ES256"])


@pytest.mark.parametrize("example_id", ISSUED)
def test_issued_sd_jwt_carries_every_listed_disclosure_and_resolves_to_the_input_claims(example_id: str) -> None:
    example = EXAMPLES[example_id]
    parsed = sd_jwt.parse(example["sd_jwt"])
    assert parsed.key_binding == ""
    assert parsed.disclosures == tuple(d["disclosure"] for d in example["disclosures"])
    payload = _verified_payload(parsed.jwt)
    # The RFC prints no processed payload for the full SD-JWT; all disclosed, it is the input JWT Claims Set
    # plus the claims the Issuer added in the clear (iss, iat, exp, cnf), without _sd and _sd_alg.
    added = {k: v for k, v in payload.items() if k not in example["input_claims"] and k not in ("_sd", "_sd_alg")}
    assert sorted(added) == ISSUER_ADDED[example_id]
    assert sd_jwt.resolve_counting(payload, parsed.disclosures) == ({**example["input_claims"], **added}, 0)


# --- the presentations and the Processed SD-JWT Payloads the RFC prints ---------------------------------------


@pytest.mark.parametrize("example_id", sorted(EXAMPLES))
def test_presentation_resolves_to_the_printed_processed_payload(example_id: str) -> None:
    example = EXAMPLES[example_id]
    parsed = sd_jwt.parse(example["presentation"])
    payload = _verified_payload(parsed.jwt)
    # The RFC's Processed SD-JWT Payload keeps iss, iat, exp, cnf, vct... and drops _sd and _sd_alg, as
    # resolve does; no normalisation is needed: the whole dict must match.
    assert sd_jwt.resolve_counting(payload, parsed.disclosures) == (
        example["processed_payload"], UNDISCLOSED[example_id])


def test_appendix_a1_decoy_digests_match_no_disclosure_and_count_as_undisclosed() -> None:
    example = EXAMPLES["appendix-a1"]
    payload = example["jwt_payload"]
    decoys = example["decoy_digests"]
    assert len(decoys) == 6
    in_payload = set(payload["_sd"]) | set(payload["address"]["_sd"])
    assert set(decoys) <= in_payload
    assert not set(decoys) & {d["digest"] for d in example["disclosures"]}
    # With every Disclosure of the example, only the decoys stay undisclosed.
    every = [d["disclosure"] for d in example["disclosures"]]
    assert sd_jwt.resolve_counting(payload, every) == (
        {**example["input_claims"], "iss": "https://issuer.example.com", "iat": 1683000000, "exp": 1883000000}, 6)


@pytest.mark.parametrize("index", range(len(NESTED)), ids=lambda i: f"{NESTED[i]['section']}-{i}")
def test_section_6_nested_structures_resolve_to_the_input_claims(index: int) -> None:
    example = NESTED[index]
    claims = VECTORS["nested_structures"]["input_claims"]
    disclosures = [d["disclosure"] for d in example["disclosures"]]
    resolved, undisclosed = sd_jwt.resolve_counting(example["jwt_payload"], disclosures)
    # Section 6 prints the input claims only; the payloads add iss, iat and exp in the clear.
    assert resolved == {**claims, "iss": "https://issuer.example.com", "iat": 1683000000, "exp": 1883000000}
    assert undisclosed == 0


def test_section_6_3_recursive_disclosure_without_the_parent_is_refused() -> None:
    example = NESTED[3]
    assert example["section"] == "6.3"
    children = [d["disclosure"] for d in example["disclosures"] if d["claim_name"] != "address"]
    with pytest.raises(sd_jwt.SdJwtError, match="does not belong"):
        sd_jwt.resolve_counting(example["jwt_payload"], children)


# --- Key Binding (sections 5.2, A.3 and A.4) ----------------------------------------------------------------


@pytest.mark.parametrize("example_id", WITH_KEY_BINDING)
def test_key_binding_jwt_verifies(example_id: str) -> None:
    example = EXAMPLES[example_id]
    parsed = sd_jwt.parse(example["presentation"])
    payload = _verified_payload(parsed.jwt)
    binding = sd_jwt.verify_key_binding(parsed, payload["cnf"], audience=AUDIENCE, nonce=NONCE, now=KB_IAT)
    assert binding == sd_jwt.KeyBinding(audience=AUDIENCE, nonce=NONCE, issued_at=KB_IAT, alg="ES256")
    kb = jwt.decode(parsed.key_binding, ECKey.import_key(payload["cnf"]["jwk"]), algorithms=["ES256"])
    assert kb.header == {"alg": "ES256", "typ": "kb+jwt"}
    assert kb.claims["sd_hash"] == sd_jwt.sd_hash(parsed)
    if "key_binding_payload" in example:  # printed in sections 5.2 and A.3 (not in A.4)
        assert kb.claims == example["key_binding_payload"]
        assert example["key_binding_payload"]["sd_hash"] == sd_jwt.sd_hash(parsed)


def test_section_5_2_key_binding_payload_is_the_one_printed() -> None:
    assert EXAMPLES["section-5"]["key_binding_payload"] == {
        "nonce": NONCE, "aud": AUDIENCE, "iat": KB_IAT, "sd_hash": "0_Af-2B-EhLWX5ydh_w2xzwmO6iM66B_2QCEanI4fUY"}


def _section_5_2() -> tuple[sd_jwt.SdJwt, Any]:
    parsed = sd_jwt.parse(EXAMPLES["section-5"]["presentation"])
    assert len(parsed.disclosures) == 4
    return parsed, _verified_payload(parsed.jwt)["cnf"]


def test_section_5_2_key_binding_with_another_nonce_is_refused() -> None:
    parsed, cnf = _section_5_2()
    with pytest.raises(sd_jwt.SdJwtError, match="nonce"):
        sd_jwt.verify_key_binding(parsed, cnf, audience=AUDIENCE, nonce="1234567891", now=KB_IAT)


def test_section_5_2_key_binding_for_another_audience_is_refused() -> None:
    parsed, cnf = _section_5_2()
    with pytest.raises(sd_jwt.SdJwtError, match="audience"):
        sd_jwt.verify_key_binding(parsed, cnf, audience="https://other-verifier.example.org", nonce=NONCE,
                                  now=KB_IAT)


@pytest.mark.parametrize("removed", range(4))
def test_section_5_2_key_binding_with_a_disclosure_removed_is_refused(removed: int) -> None:
    parsed, cnf = _section_5_2()
    kept = parsed.disclosures[:removed] + parsed.disclosures[removed + 1:]
    fewer = sd_jwt.SdJwt(parsed.jwt, kept, parsed.key_binding)
    with pytest.raises(sd_jwt.SdJwtError, match="sd_hash differs"):
        sd_jwt.verify_key_binding(fewer, cnf, audience=AUDIENCE, nonce=NONCE, now=KB_IAT)


def test_section_5_2_key_binding_an_hour_later_is_too_old() -> None:
    parsed, cnf = _section_5_2()
    with pytest.raises(sd_jwt.SdJwtError, match="older than"):
        sd_jwt.verify_key_binding(parsed, cnf, audience=AUDIENCE, nonce=NONCE, now=KB_IAT + 3600)


def test_section_5_2_key_binding_by_another_key_is_refused() -> None:
    parsed, _cnf = _section_5_2()
    # The Issuer's key is a valid P-256 key, but not the Holder's.
    issuer_cnf = {"jwk": VECTORS["issuer_key"]["jwk"]}
    with pytest.raises(sd_jwt.SdJwtError, match="not signed by the holder key"):
        sd_jwt.verify_key_binding(parsed, issuer_cnf, audience=AUDIENCE, nonce=NONCE, now=KB_IAT)


@pytest.mark.parametrize("example_id", ("appendix-a1", "appendix-a2"))
def test_presentation_without_key_binding_is_not_taken_as_bound(example_id: str) -> None:
    parsed = sd_jwt.parse(EXAMPLES[example_id]["presentation"])
    assert parsed.key_binding == ""
    cnf = {"jwk": {"kty": "EC", "crv": "P-256", "x": "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc",
                   "y": "ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}}
    with pytest.raises(sd_jwt.SdJwtError, match="no key-binding JWT"):
        sd_jwt.verify_key_binding(parsed, cnf, audience=AUDIENCE, nonce=NONCE, now=KB_IAT)


# --- tampering ------------------------------------------------------------------------------------------------


def test_section_5_2_disclosure_with_one_character_changed_is_refused() -> None:
    parsed, cnf = _section_5_2()
    payload = _verified_payload(parsed.jwt)
    family_name = parsed.disclosures[0]
    assert sd_jwt.claim_name(family_name) == "family_name"
    # Position 10 lies in the salt: the changed Disclosure still decodes to a well-formed [salt, name, value],
    # so it is the digest comparison that refuses it.
    changed = _one_char_changed(family_name, 10)
    assert _b64decode_json(changed)[1:] == ["family_name", "Doe"]
    tampered = (changed, *parsed.disclosures[1:])
    with pytest.raises(sd_jwt.SdJwtError, match="does not belong"):
        sd_jwt.resolve_counting(payload, tampered)
    with pytest.raises(sd_jwt.SdJwtError, match="sd_hash differs"):
        sd_jwt.verify_key_binding(sd_jwt.SdJwt(parsed.jwt, tampered, parsed.key_binding), cnf, audience=AUDIENCE,
                                  nonce=NONCE, now=KB_IAT)


@pytest.mark.parametrize("example_id", sorted(EXAMPLES))
def test_every_single_character_change_of_a_presented_disclosure_is_refused(example_id: str) -> None:
    parsed = sd_jwt.parse(EXAMPLES[example_id]["presentation"])
    payload = EXAMPLES[example_id]["jwt_payload"]
    for which, disclosure in enumerate(parsed.disclosures):
        for index in range(len(disclosure)):
            tampered = list(parsed.disclosures)
            tampered[which] = _one_char_changed(disclosure, index)
            with pytest.raises(sd_jwt.SdJwtError):
                sd_jwt.resolve_counting(payload, tampered)
