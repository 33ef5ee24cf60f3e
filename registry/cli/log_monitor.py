"""``registry monitor``: a board checks that every log entry in its name is one it sent (its journal), and
that the registry's checkpoints only ever grow (no split view)."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from ledger.checkpoint import CheckpointError, NoteVerifier, open_checkpoint
from ledger.monitor import MonitorError, Seen, check_extends, journal_leaves, load_seen, not_in_journal, save_seen
from registry.cli.common import CliError, fail, log_verifiers
from registry.config import Settings

__all__ = ["add_commands", "monitor"]

ENTRIES = """query($p: ID!, $a: Int!) { logEntries(publisherId: $p, after: $a, first: 5000) {
  logIndex leafHash kid eventId type publisherId } }"""
PROOF = """query($o: Int!, $n: Int!) { consistencyProof(oldSize: $o, newSize: $n) { proof oldRoot newRoot } }"""


async def _gql(client: httpx.AsyncClient, url: str, token: str, query: str, variables: dict[str, Any]) -> Any:
    resp = await client.post(url, json={"query": query, "variables": variables},
                             headers={"Authorization": f"Bearer {token}"})
    body = resp.json()
    if body.get("errors"):
        first = body["errors"][0]
        raise CliError(f"{(first.get('extensions') or {}).get('code', resp.status_code)}: {first.get('message')}")
    return body["data"]


async def monitor(base_url: str, token: str, publisher: str, log_key: NoteVerifier | Sequence[NoteVerifier],
                  journal: Path, state: Path,
                  transport: httpx.AsyncBaseTransport | None = None) -> list[Mapping[str, Any]]:
    """Check the newest checkpoint against what was seen, then return the entries missing from the journal.

    ``log_key``: the log's key, or its keys across a key rotation (a checkpoint signed by any of them holds)."""
    keys = [log_key] if isinstance(log_key, NoteVerifier) else list(log_key)
    if len({k.name for k in keys}) != 1:
        raise MonitorError("the log keys given name different logs: give the keys of one log")
    leaves = journal_leaves(journal)
    seen = load_seen(state)
    url = base_url.rstrip("/").removesuffix("/graphql")
    async with httpx.AsyncClient(transport=transport, timeout=60) as client:
        resp = await client.get(url + "/checkpoint")
        if resp.status_code == 404:
            return []
        try:
            checkpoint = open_checkpoint(resp.text, keys, keys[0].name)
        except CheckpointError as err:
            raise MonitorError(f"the checkpoint at {url}/checkpoint does not verify with the log key: {err}") from None
        proof: list[bytes] = []
        old_root = None
        if seen is not None and checkpoint.size > seen.size > 0:
            data = await _gql(client, url + "/graphql", token, PROOF, {"o": seen.size, "n": checkpoint.size})
            proof = [bytes.fromhex(h) for h in data["consistencyProof"]["proof"]]
            old_root = bytes.fromhex(data["consistencyProof"]["oldRoot"])
        check_extends(seen, checkpoint, proof, old_root)
        entries: list[dict[str, Any]] = []
        after = -1
        while True:
            page = (await _gql(client, url + "/graphql", token, ENTRIES, {"p": publisher, "a": after}))["logEntries"]
            entries += page
            if len(page) < 5000:
                break
            after = page[-1]["logIndex"]
    save_seen(state, Seen(checkpoint.size, checkpoint.root_hash))
    return not_in_journal(entries, leaves)


def cmd_monitor(args: argparse.Namespace, settings: Settings) -> int:
    token = args.token or os.environ.get("REGISTRY_TOKEN")
    try:
        if not token:
            raise CliError("give the board's token with --token or REGISTRY_TOKEN")
        key = log_verifiers(args.log_key)
        journal = Path(args.journal) if args.journal else settings.data_dir / "journals" / f"{args.publisher}.ndjson"
        state = Path(args.state) if args.state else settings.data_dir / "journals" / f"{args.publisher}.seen.json"
        unknown = asyncio.run(monitor(args.url, token, args.publisher, key, journal, state))
    except (CliError, MonitorError) as err:
        return fail(err)
    except httpx.HTTPError as err:
        return fail(CliError(f"cannot reach the registry at {args.url}: {err or type(err).__name__}"))
    for e in unknown:
        print(f"NOT IN JOURNAL  log {e['logIndex']:<8} {e['type']:<30} eventId {e['eventId']}  kid {e['kid']}  "
              f"leaf {e['leafHash']}")
    if unknown:
        print(f"{len(unknown)} entr{'y' if len(unknown) == 1 else 'ies'} in the name of {args.publisher} that it "
              "never sent: revoke the key involved and tell the registry operator")
        return 1
    print(f"every log entry in the name of {args.publisher} is in its journal")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("monitor", help="check that every log entry in your name is one you sent (publishers)",
                       description="Fetch the registry's checkpoint, verify it with the log key and check that it "
                                   "extends the last one this monitor saw (consistency proof); then list every log "
                                   "entry made in your name or under your keys whose leaf is not in your journal "
                                   "(written by `registry publish`). Exit 0 clean, 1 if any entry is unknown or the "
                                   "log forked, 2 on bad input or an unreachable registry.")
    p.add_argument("--publisher", required=True, help="your publisher ID")
    p.add_argument("--url", required=True, help="registry URL, e.g. https://registry.example")
    p.add_argument("--log-key", required=True, action="append",
                   help="the registry's log verifier key, or a file holding it; repeat it, or give a file of one key "
                        "per line (/.well-known/registry-log-keys), to keep verifying across a key rotation")
    p.add_argument("--token", help="your publisher token (default: $REGISTRY_TOKEN)")
    p.add_argument("--journal", help="the journal `registry publish` wrote (default: <data dir>/journals/ID.ndjson)")
    p.add_argument("--state", help="where to remember the last checkpoint seen (default: beside the journal)")
    p.set_defaults(func=cmd_monitor)
