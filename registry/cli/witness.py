"""``registry witness``: run a C2SP tlog-witness for the registry's log (a separate process, its own key and
state; another organisation runs it so that no single party can show two histories)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledger.checkpoint import CheckpointError, NoteVerifier, verifiers_from
from ledger.cosignature import Cosigner
from ledger.witness import Witness
from registry.cli.common import CliError, fail
from registry.config import Settings
from registry.secret_files import read_or_create

__all__ = ["add_commands", "load_witness"]


def load_witness(name: str, key_file: Path, state_file: Path, log_keys: list[str]) -> Witness:
    """The witness with its key (created 0600 on first use) and the logs it cosigns for."""
    try:
        text = read_or_create(key_file, lambda: Cosigner.generate(name).signer_key_string() + "\n", CliError)
        cosigner = Cosigner.from_skey(text)
    except CheckpointError as err:
        raise CliError(f"{key_file} is not a witness key: {err}") from None
    if cosigner.name != name:
        raise CliError(f"{key_file} holds the key of witness {cosigner.name!r}, not {name!r}")
    logs: dict[str, list[NoteVerifier]] = {}
    for vkey in log_keys:
        try:
            verifiers = verifiers_from(vkey)
        except CheckpointError as err:
            raise CliError(f"--log {vkey!r} is not a log verifier key (name+keyid+base64): {err}") from None
        for verifier in verifiers:  # several of one log: a key rotation, and either key may sign
            logs.setdefault(verifier.name, []).append(verifier)
    if not logs:
        raise CliError("give at least one --log key (the registry's /.well-known/registry-log-key)")
    return Witness(cosigner, logs, state_file)


def cmd_witness(args: argparse.Namespace, _settings: Settings) -> int:
    import uvicorn

    from web.witness import create_witness_app

    try:
        witness = load_witness(args.name, Path(args.key), Path(args.state), args.log)
    except CliError as err:
        return fail(err)
    print(f"witness {args.name}: key {witness.cosigner.verifier_key_string()}", file=sys.stderr)
    print(f"POST http://{args.host}:{args.port}/add-checkpoint for {', '.join(witness.logs)}", file=sys.stderr)
    uvicorn.run(create_witness_app(witness), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "witness", help="run a transparency-log witness (C2SP tlog-witness) that cosigns consistent checkpoints",
        description="Serve POST /add-checkpoint: cosign a checkpoint of a configured log only if it is signed by "
                    "the log's key and extends the last checkpoint this witness cosigned (a consistency proof "
                    "from that size). The key is created (0600) on first use; the state file remembers the last "
                    "cosigned tree per log and must be kept (and backed up) with the key.")
    p.add_argument("--name", required=True, help="the witness's key name, e.g. witness.example.org/w1")
    p.add_argument("--key", required=True, help="the witness's private key file (created if missing)")
    p.add_argument("--state", required=True, help="the witness's state file (JSON; created if missing)")
    p.add_argument("--log", action="append", default=[], required=True,
                   help="a log's checkpoint verifier key (repeat for several logs, and for several keys of one log "
                        "while it rotates its key: a checkpoint signed by any of them is accepted)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8100, help="port to listen on (default 8100)")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=cmd_witness)
