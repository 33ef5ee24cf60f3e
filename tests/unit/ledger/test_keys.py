"""The registry's checkpoint key: created once as a private file, or taken from the environment."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ledger.checkpoint import NoteSigner
from ledger.keys import ENV_VAR, LogKeyError, load_log_verifier, load_or_create_log_signer

NAME = "registry.test/log"


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_created_once_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "log-signer.key"
    assert load_log_verifier(path, NAME) is None and not path.exists()
    signer = load_or_create_log_signer(path, NAME)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith(f"PRIVATE+KEY+{NAME}+")
    again = load_or_create_log_signer(path, NAME)
    assert again.verifier_key_string() == signer.verifier_key_string()
    verifier = load_log_verifier(path, NAME)
    assert verifier is not None and verifier.verifier_key_string() == signer.verifier_key_string()
    assert [p.name for p in path.parent.iterdir()] == ["log-signer.key"]  # no temp file left behind


def test_signer_key_string_round_trips() -> None:
    signer = NoteSigner.generate(NAME)
    back = NoteSigner.from_skey(signer.signer_key_string())
    assert back.verifier_key_string() == signer.verifier_key_string()
    assert back.sign(b"text\n") == signer.sign(b"text\n")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log-signer.key"
    from_env = NoteSigner.generate(NAME)
    monkeypatch.setenv(ENV_VAR, from_env.signer_key_string() + "\n")
    assert load_or_create_log_signer(path, NAME).key_id == from_env.key_id
    assert not path.exists()
    verifier = load_log_verifier(path, NAME)
    assert verifier is not None and verifier.key_id == from_env.key_id


@pytest.mark.parametrize(("content", "message"), [
    ("not a key", "not a note signer key"),
    (NoteSigner.generate("other.example/log").signer_key_string(), "named 'other.example/log'"),
])
def test_bad_keys_are_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "log-signer.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(content)
    with pytest.raises(LogKeyError, match=message):
        load_or_create_log_signer(path, NAME)


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log-signer.key"
    load_or_create_log_signer(path, NAME)
    path.chmod(0o644)
    with pytest.raises(LogKeyError, match="chmod 600"):
        load_or_create_log_signer(path, NAME)
