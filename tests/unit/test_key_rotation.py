"""The keyring's files without a registry: a rotation or retirement interrupted between its two steps loads as a
whole state and finishes when run again; every file stays 0600; a witness given two keys of one log (a rotation)
accepts a checkpoint signed by either."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from ledger import keys as log_keys
from ledger.checkpoint import Checkpoint, CheckpointError, NoteSigner, sign_checkpoint, verifiers_from
from monitoring import signing as webhook_signing
from registry import keyring
from registry.cli.witness import load_witness
from registry.secret_files import replace_private

ORIGIN = "registry.test/log"


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (log_keys.ENV_VAR, webhook_signing.ENV_VAR):
        monkeypatch.delenv(var, raising=False)


def test_a_rotation_cut_between_its_steps_is_no_rotation_and_finishes_when_run_again(tmp_path: Path) -> None:
    kind, path = webhook_signing.key_kind(), tmp_path / "secrets" / webhook_signing.DEFAULT_FILE
    first = keyring.load(path, kind)
    assert first is not None and first.retiring is None
    replace_private(path.with_name(path.name + ".retiring"), kind.retiring(first.current) + "\n")  # step 1 only
    assert keyring.load(path, kind) == first  # the retiring key is the current one: not a rotation yet
    done = keyring.rotate(path, kind)
    assert done.retiring == kind.kid(first.current) and done.current != done.retiring
    after = keyring.load(path, kind)
    assert after is not None and after.retiring == first.current and kind.kid(after.current) == done.current
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()} == {
        "webhook-signing.key": 0o600, "webhook-signing.key.retiring": 0o600, "webhook-signing.key.lock": 0o600}


def test_a_retirement_cut_between_its_steps_is_still_retiring_and_finishes_when_run_again(tmp_path: Path) -> None:
    kind, path = log_keys.key_kind(ORIGIN), tmp_path / "secrets" / log_keys.DEFAULT_FILE
    keyring.load(path, kind)
    old = keyring.rotate(path, kind).retiring
    stored = keyring.load(path, kind)
    assert stored is not None and stored.retiring is not None and kind.retired is not None
    replace_private(path.with_name(path.name + ".retired"), kind.retired(stored.retiring) + "\n")  # step 1 only
    assert keyring.load(path, kind) == stored  # still retiring (and signing), not listed twice
    keys = log_keys.load_or_create_log_keys(path, ORIGIN)
    assert keys.retiring is not None and keys.retired == ()
    done = keyring.retire(path, kind, None)
    assert (done.kid, done.was, done.kept_public) == (old, "retiring", True)
    keys = log_keys.load_or_create_log_keys(path, ORIGIN)
    assert keys.retiring is None and [f"{v.key_id:08x}" for v in keys.retired] == [old]
    assert [f"{v.key_id:08x}" for v in log_keys.load_log_verifiers(path, ORIGIN)] == [f"{keys.current.key_id:08x}",
                                                                                       old]
    assert not path.with_name(path.name + ".retiring").exists()
    assert stat.S_IMODE(path.with_name(path.name + ".retired").stat().st_mode) == 0o600


def test_key_files_others_may_read_are_refused(tmp_path: Path) -> None:
    kind, path = log_keys.key_kind(ORIGIN), tmp_path / "secrets" / log_keys.DEFAULT_FILE
    keyring.load(path, kind)
    keyring.rotate(path, kind)
    path.with_name(path.name + ".retiring").chmod(0o644)
    with pytest.raises(log_keys.LogKeyError, match="readable by others"):
        log_keys.load_or_create_log_keys(path, ORIGIN)
    with pytest.raises(log_keys.LogKeyError, match="readable by others"):
        keyring.retire(path, kind, None)


def test_a_witness_given_both_keys_of_a_rotating_log_accepts_either(tmp_path: Path) -> None:
    old, new = NoteSigner.generate(ORIGIN), NoteSigner.generate(ORIGIN)
    witness = load_witness("witness.test/w", tmp_path / "w.key", tmp_path / "w.state",
                           [old.verifier_key_string(), new.verifier_key_string()])
    assert [v.key_id for v in witness.logs[ORIGIN]] == [old.key_id, new.key_id]
    leaf = hashlib.sha256(b"\x00a").digest()
    one = sign_checkpoint(Checkpoint(ORIGIN, 1, leaf), old)  # before the rotation
    assert witness.add_checkpoint(b"old 0\n\n" + one.encode()).status == 200
    both = sign_checkpoint(Checkpoint(ORIGIN, 1, leaf), [old, new])  # during
    assert witness.add_checkpoint(b"old 1\n\n" + both.encode()).status == 200
    after = sign_checkpoint(Checkpoint(ORIGIN, 1, leaf), new)  # after
    assert witness.add_checkpoint(b"old 1\n\n" + after.encode()).status == 200
    stranger = sign_checkpoint(Checkpoint(ORIGIN, 1, leaf), NoteSigner.generate(ORIGIN))
    assert witness.add_checkpoint(b"old 1\n\n" + stranger.encode()).status == 403


def test_verifier_keys_come_one_per_line_or_as_a_list() -> None:
    a, b = NoteSigner.generate(ORIGIN).verifier_key_string(), NoteSigner.generate(ORIGIN).verifier_key_string()
    assert [v.verifier_key_string() for v in verifiers_from(f"{a}\n{b}\n")] == [a, b]
    assert [v.verifier_key_string() for v in verifiers_from([a, f"{b}\n"])] == [a, b]
    with pytest.raises(CheckpointError, match="no verifier key"):
        verifiers_from("\n")
