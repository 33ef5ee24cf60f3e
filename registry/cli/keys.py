"""``registry rotate-key | retire-key``: rotate the registry's own signing keys, with an overlap.

Four kinds: ``attestation`` (credential attestations, ``/.well-known/jwks.json``), ``webhook`` (``v1a``
webhook signatures, ``/.well-known/webhook-key``), ``log`` (checkpoints, ``/.well-known/registry-log-key``
and ``-keys``) and ``admin`` (registrations logged as entries, ``/.well-known/registry-admin-keys``). They are
files in the data directory's secrets (``registry.keyring``); a running registry
reads them when it starts, so each command ends with a restart. Exit codes: 0 done, 2 a mistake (an unknown
kind or kid, nothing to retire, a key that comes from the environment), as one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from credentials import attestation
from ledger import admin_key
from ledger import keys as log_keys
from monitoring import signing as webhook_signing
from registry import keyring
from registry.cli.common import CliError, fail
from registry.config import Settings

__all__ = ["KINDS", "add_commands"]

KINDS = ("attestation", "webhook", "log", "admin")

#: What verifiers see during the overlap, and how long it should last (docs/security.md, "Key rotation").
_OVERLAP = {
    "attestation": ("new attestations are signed by the new key; /.well-known/jwks.json and the issuer metadata "
                    "publish both public keys (the old one's private half is gone: it never signs again)",
                    "once every attestation it signed has expired, at least 11 minutes after the restart "
                    "(10-minute attestations, 30 s clock leeway); its public key stays published unless you add "
                    "--drop"),
    "webhook": ("every delivery carries two v1a signatures, the old key's and the new one's; "
                "/.well-known/webhook-key lists both under keys",
                "once receivers have the new public key: at least 5 minutes after the restart (the key document is "
                "cached that long), longer for receivers that configure the key by hand"),
    "log": ("every checkpoint is signed by both keys (same name, two key IDs); /.well-known/registry-log-key "
            "serves the new key and /.well-known/registry-log-keys all of them",
            "only once every monitor, witness and partner verifier that pins the log key has the new one "
            "(days or weeks: ask them)"),
    "admin": ("new registrations are signed by the new key; /.well-known/registry-admin-keys lists both public keys "
              "(the old private half is gone: it never signs again)",
              "whenever you like: the registrations it signed stay in the log forever, so its public key stays "
              "published (and every audit uses it) unless you add --drop, which makes those entries unverifiable"),
}


def _kind(name: str, settings: Settings) -> tuple[keyring.KeyKind, Path]:
    if name == "attestation":
        return attestation.key_kind(), settings.secrets_dir / attestation.DEFAULT_FILE
    if name == "webhook":
        return webhook_signing.key_kind(), settings.secrets_dir / webhook_signing.DEFAULT_FILE
    if name == "log":
        return log_keys.key_kind(settings.log_origin), settings.secrets_dir / log_keys.DEFAULT_FILE
    if name == "admin":
        return admin_key.key_kind(), settings.secrets_dir / admin_key.DEFAULT_FILE
    raise CliError(f"unknown key kind {name!r}: choose {', '.join(KINDS[:-1])} or {KINDS[-1]}")


def cmd_rotate(args: argparse.Namespace, settings: Settings) -> int:
    try:
        kind, path = _kind(args.kind, settings)
        try:
            done = keyring.rotate(path, kind)
        except (keyring.RotationError, kind.error) as err:
            raise CliError(str(err)) from None
        except OSError as err:
            raise CliError(f"cannot rotate the {kind.name} key in {path.parent}: {err}") from None
    except CliError as err:
        return fail(err)
    during, until = _OVERLAP[kind.name]
    print(f"{kind.name} key rotated: {done.current} is the current key, {done.retiring} is retiring")
    print(f"once you {_restart(kind.name)}: {during}")
    print(f"end the overlap {until}, with: {keyring.retire_command(kind.name, done.retiring)}")
    return 0


def _restart(kind: str) -> str:
    """Who reads the keys of ``kind``: they do so when they start."""
    return "restart the registry" + (" and any `registry deliver-webhooks`" if kind == "webhook" else "")


def cmd_retire(args: argparse.Namespace, settings: Settings) -> int:
    try:
        kind, path = _kind(args.kind, settings)
        if (args.kid is None) == (not args.finish):
            raise CliError("give the kid of the key to retire, or --finish for the retiring one (not both)")
        try:
            done = keyring.retire(path, kind, args.kid, drop=args.drop)
        except (keyring.RotationError, kind.error) as err:
            raise CliError(str(err)) from None
        except OSError as err:
            raise CliError(f"cannot retire the {kind.name} key in {path.parent}: {err}") from None
    except CliError as err:
        return fail(err)
    if done.was == "retired":
        print(f"{kind.name} key {done.kid}: its public key is dropped; what it signed no longer verifies with the "
              "registry's published keys")
    elif done.kept_public:
        print(f"{kind.name} key {done.kid} retired: it signs nothing more; its public key stays published so what "
              f"it signed still verifies (drop it with: {keyring.retire_command(kind.name, done.kid, '--drop')})")
    elif kind.retired is None:
        print(f"{kind.name} key {done.kid} retired: it signs nothing more, and nothing of it is kept")
    else:
        print(f"{kind.name} key {done.kid} retired and dropped: it signs nothing more, and what it signed no "
              "longer verifies with the registry's published keys")
    print(f"{_restart(kind.name)} to apply it")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the key commands on ``registry``'s sub-command parser."""
    kinds = "{" + ",".join(KINDS) + "}"
    p = sub.add_parser(
        "rotate-key", help="make a new attestation, webhook, log or admin key; the current one retires with an overlap",
        description="In the data directory's secrets, make a new current key of KIND and keep the current one as "
                    "the retiring key (files 0600, written atomically). During the overlap, verifiers holding the "
                    "old public key keep verifying: the attestation JWKS and issuer metadata publish both keys "
                    "(new attestations are signed by the new one; the old private key is deleted at once); every "
                    "webhook delivery carries a v1a signature by each key; every checkpoint is signed by both log "
                    "keys; new registrations are signed by the new admin key. A running registry (and `registry "
                    "deliver-webhooks`) uses the new keys after a restart. "
                    "End the overlap with `registry retire-key`. Refused (exit 2) while a key of KIND is still "
                    "retiring, when there is no key yet, or when the key comes from an environment variable "
                    "(REGISTRY_ATTESTATION_KEY, REGISTRY_WEBHOOK_SIGNING_KEY, REGISTRY_LOG_SIGNER_KEY, "
                    "REGISTRY_ADMIN_KEY). "
                    "See docs/security.md, 'Key rotation', for how long to overlap.")
    p.add_argument("kind", metavar=kinds, help="which key: attestation, webhook, log or admin")
    p.set_defaults(func=cmd_rotate)

    p = sub.add_parser(
        "retire-key", help="end a key rotation's overlap: the retiring key stops signing",
        description="End the overlap that `registry rotate-key` began: the retiring key of KIND (named by its KID, "
                    "or --finish) signs nothing more and its private key is deleted. An attestation, log or admin "
                    "key's public half stays published (the JWKS; /.well-known/registry-log-keys and -admin-keys; "
                    "`registry audit`), so what it signed keeps verifying, unless --drop: then it is removed too "
                    "(for a compromised key), and what it signed no longer verifies. --drop with the KID of a key "
                    "retired earlier removes its kept public key. A webhook key keeps nothing. Takes effect when "
                    "the registry restarts. Exit 2 for an unknown KIND or KID, the current key's KID, or nothing "
                    "to retire.")
    p.add_argument("kind", metavar=kinds, help="which key: attestation, webhook, log or admin")
    p.add_argument("kid", nargs="?", metavar="KID",
                   help="the retiring key's ID, as rotate-key printed it (or a retired key's, with --drop); options "
                        "go before KIND, and a KID that starts with a dash after --")
    p.add_argument("--finish", action="store_true", help="retire whichever key is retiring (instead of a KID)")
    p.add_argument("--drop", action="store_true",
                   help="keep nothing of the key: its public half leaves the published keys too (a compromised key)")
    p.set_defaults(func=cmd_retire)
