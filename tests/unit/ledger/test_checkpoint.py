"""Signed notes and checkpoints.

The PeterNeumann / EnochRoot keys, text and signatures are the test vectors of
golang.org/x/mod/sumdb/note (note_test.go, BSD-3-Clause): reproducing the signature
byte for byte shows our key IDs, key strings and note layout match Go's. The checkpoint
body is the example of c2sp.org/tlog-checkpoint.
"""

from __future__ import annotations

import base64

import pytest

from ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteSigner,
    NoteVerifier,
    format_checkpoint,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
)
from ledger.merkle import EMPTY_ROOT, leaf_hash

# --- golang.org/x/mod/sumdb/note note_test.go ----------------------------------------

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_B64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
ENOCH_B64 = "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
PETER_SIG = f"\u2014 PeterNeumann {PETER_B64}\n"
ENOCH_SIG = f"\u2014 EnochRoot {ENOCH_B64}\n"


def test_go_verifier_key() -> None:
    v = NoteVerifier.from_vkey(PETER_VKEY)
    assert v.name == "PeterNeumann"
    assert v.key_id == 0xC74F20A3
    assert v.verifier_key_string() == PETER_VKEY
    assert NoteVerifier.from_vkey(ENOCH_VKEY).key_id == 0xAF0CFE78


def test_go_verifier_key_manglings_rejected() -> None:
    # note_test.go TestNewVerifier: every proper substring and every single-byte bump fails.
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if i != 0 or j != len(b):
                with pytest.raises(CheckpointError):
                    NoteVerifier.from_vkey(b[i:j])
    for i in range(len(b)):
        with pytest.raises(CheckpointError):
            NoteVerifier.from_vkey(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    for bad in (
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
    ):
        with pytest.raises(CheckpointError):
            NoteVerifier.from_vkey(bad)


def test_go_signer_key_reproduces_signature() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    assert signer.key_id == 0xC74F20A3
    assert signer.verifier_key_string() == PETER_VKEY
    assert sign_note(TEXT, signer) == TEXT + "\n" + PETER_SIG  # Ed25519 is deterministic


def test_go_open() -> None:
    peter = NoteVerifier.from_vkey(PETER_VKEY)
    enoch = NoteVerifier.from_vkey(ENOCH_VKEY)
    both_sigs = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(both_sigs, peter) == TEXT  # Enoch's signature is unknown, so ignored
    assert open_note(both_sigs, [peter, enoch]) == TEXT
    assert open_note(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG, peter) == TEXT
    with pytest.raises(CheckpointError, match="no signature from a trusted key"):
        open_note(both_sigs, [])
    with pytest.raises(CheckpointError, match="too many"):
        open_note(TEXT + "\n" + PETER_SIG * 101, peter)
    # Go slices bytes: insert "ABCD" at byte 60 of the signature line.
    raw = PETER_SIG.encode()
    corrupted = (raw[:60] + b"ABCD" + raw[60:]).decode()
    with pytest.raises(CheckpointError, match="invalid signature"):
        open_note(TEXT + "\n" + corrupted, peter)


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "\u2014 Bad Name " + PETER_B64,
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        "\ud800" + TEXT + "\n" + PETER_SIG,  # not encodable as UTF-8 (Go: "\xff")
        TEXT + "\n" + "- PeterNeumann" + PETER_SIG[len("\u2014 PeterNeumann") :],  # hyphen, not em dash
    ],
)
def test_go_malformed_notes(note: str) -> None:
    with pytest.raises(CheckpointError):
        open_note(note, NoteVerifier.from_vkey(PETER_VKEY))


def test_go_text_tampered() -> None:
    note = TEXT + "\n" + PETER_SIG
    with pytest.raises(CheckpointError, match="invalid signature"):
        open_note(note.replace("cryptography", "cryptographY"), NoteVerifier.from_vkey(PETER_VKEY))


def test_sign_note_rejects_bad_text() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    for text in ("abc", "a\x01b\n"):
        with pytest.raises(CheckpointError):
            sign_note(text, signer)
    with pytest.raises(CheckpointError):
        sign_note(TEXT, [])


def test_skey_manglings_rejected() -> None:
    for bad in (
        PETER_SKEY[:-1],
        PETER_SKEY.replace("c74f20a3", "c74f20a4"),
        PETER_SKEY.replace("PRIVATE", "PUBLIC"),
        PETER_SKEY.replace("PeterNeumann", "Peter Neumann"),
    ):
        with pytest.raises(CheckpointError):
            NoteSigner.from_skey(bad)


# --- checkpoints -------------------------------------------------------------------

ORIGIN = "registry.example.gov/log"


def test_c2sp_example_body_parses() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cp = parse_checkpoint(body)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert format_checkpoint(cp) == body


def test_checkpoint_round_trip() -> None:
    signer = NoteSigner.generate(ORIGIN)
    cp = Checkpoint(ORIGIN, 7, leaf_hash(b"x"), ("ext one",))
    note = sign_checkpoint(cp, signer)
    assert note.startswith(f"{ORIGIN}\n7\n{base64.b64encode(cp.root_hash).decode()}\next one\n\n\u2014 {ORIGIN} ")
    verifier = NoteVerifier.from_vkey(signer.verifier_key_string())
    assert open_checkpoint(note, verifier, ORIGIN) == cp
    empty = Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    assert open_checkpoint(sign_checkpoint(empty, signer), verifier, ORIGIN) == empty


def test_checkpoint_tampered_body_fails() -> None:
    signer = NoteSigner.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 7, leaf_hash(b"x")), signer)
    tampered = note.replace(f"{ORIGIN}\n7\n", f"{ORIGIN}\n8\n", 1)
    with pytest.raises(CheckpointError, match="invalid signature"):
        open_checkpoint(tampered, signer.verifier(), ORIGIN)


def test_checkpoint_wrong_key_fails() -> None:
    signer, other = NoteSigner.generate(ORIGIN), NoteSigner.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 7, leaf_hash(b"x")), signer)
    with pytest.raises(CheckpointError, match="no signature from a trusted key"):
        open_checkpoint(note, other.verifier(), ORIGIN)
    # The same key ID under a different name is a different key, and ignored too.
    renamed = NoteVerifier("someone.else/log", signer.verifier().public_key)
    with pytest.raises(CheckpointError):
        open_checkpoint(note, renamed, ORIGIN)


def test_checkpoint_forged_signature_with_known_key_id_fails() -> None:
    signer, other = NoteSigner.generate(ORIGIN), NoteSigner.generate(ORIGIN)
    text = format_checkpoint(Checkpoint(ORIGIN, 7, leaf_hash(b"x")))
    blob = signer.key_id.to_bytes(4, "big") + other.sign(text.encode())
    forged = text + "\n\u2014 " + ORIGIN + " " + base64.b64encode(blob).decode() + "\n"
    with pytest.raises(CheckpointError, match="invalid signature"):
        open_checkpoint(forged, signer.verifier(), ORIGIN)


def test_checkpoint_cosignatures_and_rotation() -> None:
    log, witness = NoteSigner.generate(ORIGIN), NoteSigner.generate("witness.example/w1")
    cp = Checkpoint(ORIGIN, 3, leaf_hash(b"y"))
    note = sign_checkpoint(cp, [witness, log])
    assert open_checkpoint(note, log.verifier(), ORIGIN) == cp  # witness line ignored
    assert open_checkpoint(note, [witness.verifier(), log.verifier()], ORIGIN) == cp
    # The same verifier configured twice is not ambiguous.
    assert open_checkpoint(note, [log.verifier(), log.verifier()], ORIGIN) == cp


def test_checkpoint_wrong_origin_fails() -> None:
    signer = NoteSigner.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, leaf_hash(b"x")), signer)
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(note, signer.verifier(), "registry.example.gov/other")


ROOT_B64 = base64.b64encode(leaf_hash(b"x")).decode()


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n7\n",  # no root
        f"{ORIGIN}\n007\n{ROOT_B64}\n",  # leading zeros
        f"{ORIGIN}\n-1\n{ROOT_B64}\n",
        f"{ORIGIN}\n+7\n{ROOT_B64}\n",
        f"{ORIGIN}\n 7\n{ROOT_B64}\n",
        f"{ORIGIN}\n7\n{ROOT_B64[:-1]}\n",  # bad base64
        f"{ORIGIN}\n7\n{base64.b64encode(b'short').decode()}\n",  # not 32 bytes
        f"{ORIGIN}\n7\n{ROOT_B64.replace('=', '')}\n",  # unpadded
        f"{ORIGIN}\n7\n{ROOT_B64}\n\next\n",  # empty line
        f"\n7\n{ROOT_B64}\n",  # empty origin
        f"{ORIGIN}\n18446744073709551616\n{ROOT_B64}\n",  # > uint64
    ],
)
def test_checkpoint_malformed_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body)
    signer = NoteSigner.generate(ORIGIN)
    if "\n\n" not in body:
        with pytest.raises(CheckpointError):
            open_checkpoint(sign_note(body, signer), signer.verifier(), ORIGIN)


def test_checkpoint_rejects_bad_fields() -> None:
    for args in [("", 1, EMPTY_ROOT), ("a\nb", 1, EMPTY_ROOT), (ORIGIN, -1, EMPTY_ROOT), (ORIGIN, 1, b"x")]:
        with pytest.raises(CheckpointError):
            Checkpoint(*args)
    with pytest.raises(CheckpointError):
        Checkpoint(ORIGIN, 1, EMPTY_ROOT, ("",))


def test_ambiguous_verifiers_refused() -> None:
    log, other = NoteSigner.generate(ORIGIN), NoteSigner.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, leaf_hash(b"x")), log)
    clash = NoteVerifier(ORIGIN, other.verifier().public_key)
    clash.key_id = log.key_id  # a (name, key ID) collision: 32 bits, so possible in principle
    with pytest.raises(CheckpointError, match="ambiguous"):
        open_checkpoint(note, [log.verifier(), clash], ORIGIN)
