"""``registry verify-credential``, ``present-credential`` and ``holder-key``: partners' and holders' offline tools.

None talks to the registry's API: verification needs only the registry's public keys (a JWKS file or URL,
or discovery from the issuer's ``/.well-known/jwt-vc-issuer``); presenting needs only the holder's own key.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from credentials import attestation, presentation, sd_jwt
from registry.config import Settings


def _read_token(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read().strip()
    if arg.startswith("@"):
        return Path(arg[1:]).read_text(encoding="ascii").strip()
    return arg.strip()


def _log_keys(args: list[str] | None) -> list[str] | None:
    """The log verifier keys, each given as the key itself or @FILE (as /.well-known/registry-log-key serves it,
    or /.well-known/registry-log-keys: one per line)."""
    if not args:
        return None
    return [Path(a[1:]).read_text(encoding="utf-8") if a.startswith("@") else a for a in args]


def _instant(text: str | None) -> float | None:
    """``--at``: an ISO 8601 time with a zone (``2026-05-01T12:00:00Z``) or Unix seconds."""
    if text is None:
        return None
    raw = text.strip()
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"must be an ISO 8601 time such as 2026-05-01T12:00:00Z, or Unix seconds, not "
                         f"{text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"needs a time zone (e.g. a trailing Z for UTC): {text!r}")
    return moment.timestamp()


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def cmd_verify_credential(args: argparse.Namespace, _settings: Settings) -> int:
    if args.jwks is None and args.issuer is None:
        print("error: give --jwks, or --issuer to discover the keys from its /.well-known/jwt-vc-issuer",
              file=sys.stderr)
        return 2
    if args.require_binding and (not args.audience or not args.nonce):
        print("error: --require-binding needs --audience and --nonce (yours), or a replayed KB-JWT would pass",
              file=sys.stderr)
        return 2
    try:
        at = _instant(args.at)
    except ValueError as err:
        print(f"error: --at {err}", file=sys.stderr)
        return 2
    try:
        log_keys = _log_keys(args.log_key)
        token = _read_token(args.token)
        keys = attestation.load_jwks(args.jwks) if args.jwks else attestation.load_issuer_keys(args.issuer)
    except (OSError, attestation.AttestationError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        result = attestation.verify(token, keys, issuer=args.issuer, audience=args.audience, nonce=args.nonce,
                                    require_binding=args.require_binding, max_age_seconds=args.max_age,
                                    log_key=log_keys, log_origin=args.log_origin, now=at)
    except attestation.AttestationError as err:
        print(f"INVALID: {err}", file=sys.stderr)
        return 1
    notes = []
    if result.form != "jws":
        notes.append(f"{result.undisclosed} digest(s) not disclosed (withheld claims or decoys)")
    if result.key_binding is not None:
        kb = result.key_binding
        unchecked = [n for n, v in (("audience", args.audience), ("nonce", args.nonce)) if not v]
        notes.append(f"key-bound: presented by the holder of its cnf key for aud {kb.audience!r}"
                     + (f" ({' and '.join(unchecked)} not checked: pass yours)" if unchecked else ""))
    elif result.holder_bound:
        notes.append("WARNING bearer presentation: the credential names a holder key but no KB-JWT proves the "
                     "presenter holds it (use --require-binding to refuse this)")
    if result.log is not None:
        notes.append(f"its status comes from log entry {result.log.index}, proven in {result.log.origin} at tree "
                     f"size {result.log.tree_size}")
    when = "" if at is None else f" at {_utc(at)} (was it valid then: stored evidence)"
    print(f"valid{when} {result.form} attestation from {result.claims.get('iss')} (kid {result.kid})"
          + "".join(f"; {n}" for n in notes), file=sys.stderr)
    print(json.dumps(result.claims, indent=2, sort_keys=True))
    return 0


def cmd_present_credential(args: argparse.Namespace, _settings: Settings) -> int:
    if args.holder_key and (not args.audience or not args.nonce):
        print("error: --holder-key needs the verifier's --audience and --nonce", file=sys.stderr)
        return 2
    try:
        key = presentation.load_holder_key(Path(args.holder_key)) if args.holder_key else None
        print(presentation.present(_read_token(args.sd_jwt), args.disclose.split(","), holder_key=key,
                                   audience=args.audience, nonce=args.nonce))
    except (OSError, presentation.PresentationError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def cmd_holder_key(args: argparse.Namespace, _settings: Settings) -> int:
    out = Path(args.out)
    key = presentation.new_holder_key()
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never overwrite a key someone relies on
    except FileExistsError:
        print(f"error: {out} exists; not overwriting a holder key", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot create {out}: {err.strerror}", file=sys.stderr)
        return 2
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(key.as_dict(private=True)) + "\n")
    print(f"private key written to {out} (mode 0600); pass the public key below as holderKey", file=sys.stderr)
    print(json.dumps(sd_jwt.cnf_for(key)["jwk"]))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the partner and holder commands on ``registry``'s sub-command parser."""
    p = sub.add_parser(
        "verify-credential", help="verify a credential attestation (JWS, SD-JWT or SD-JWT VC) offline; print claims",
        description="Check an attestation from verifyCredential offline: Ed25519 signature (alg Ed25519 or legacy "
                    "EdDSA) by a key of the registry, its type, iss, iat and exp (30 s leeway); for an SD-JWT, that "
                    "every disclosure belongs to it (RFC 9901); for an SD-JWT VC (typ dc+sd-jwt), its vct; and a "
                    "Key Binding JWT when present (signed by the holder key in cnf, over this presentation, fresh, "
                    "for your audience and nonce); with --log-key, that the signed event behind the status is in the "
                    "registry's transparency log (inclusion proof against a signed checkpoint). Prints the claims as "
                    "JSON. Exit 0 valid, 1 invalid or expired, 2 unreadable input or bad options.")
    p.add_argument("token", help="the compact JWS or SD-JWT ('-' for stdin, @FILE to read a file)")
    p.add_argument("--jwks", help="the registry's JWKS: a file, or a URL such as "
                                  "https://registry.example/.well-known/jwks.json")
    p.add_argument("--issuer", help="require this iss (e.g. https://officer-registry.example); without --jwks, the "
                                    "keys are fetched from its /.well-known/jwt-vc-issuer (SD-JWT VC key discovery)")
    p.add_argument("--audience", help="your identifier, which the holder's KB-JWT must name as aud")
    p.add_argument("--nonce", help="the nonce you gave the holder, which the KB-JWT must carry")
    p.add_argument("--require-binding", action="store_true",
                   help="refuse bearer presentations: demand a KB-JWT by the credential's holder key")
    p.add_argument("--log-key", metavar="VKEY", action="append",
                   help="the registry's log verifier key (or @FILE), from /.well-known/registry-log-key: also check "
                        "that the event behind the status is in the transparency log (the log claim must be shown); "
                        "repeat it, or give @FILE of one key per line (/.well-known/registry-log-keys), to accept "
                        "either key across a log key rotation")
    p.add_argument("--log-origin", help="the log's origin line (default: the (first) log key's name)")
    p.add_argument("--at", metavar="TIME",
                   help="verify as of this time instead of now (ISO 8601 with a zone, e.g. 2026-05-01T12:00:00Z, or "
                        "Unix seconds): was a stored attestation valid when it was relied on? Key-binding freshness "
                        "is judged at the same time")
    p.add_argument("--max-age", type=int, default=sd_jwt.KB_MAX_AGE_SECONDS, metavar="SECONDS",
                   help=f"oldest KB-JWT iat accepted (default {sd_jwt.KB_MAX_AGE_SECONDS})")
    p.set_defaults(func=cmd_verify_credential)

    p = sub.add_parser(
        "present-credential", help="keep only chosen disclosures of an SD-JWT attestation (holder side)",
        description="Print the SD-JWT with only the disclosures of the named claims; the issuer's signature still "
                    "verifies and the other claims stay hidden. With --holder-key, also sign a Key Binding JWT for "
                    "the verifier's audience and nonce, proving you hold the key the credential was bound to.")
    p.add_argument("sd_jwt", help="the SD-JWT from verifyCredential ('-' for stdin, @FILE to read a file)")
    p.add_argument("--disclose", required=True,
                   help=f"comma-separated claims to show; registry SD-JWT: {', '.join(attestation.DISCLOSABLE)}; "
                        f"SD-JWT VC: {', '.join(attestation.VC_DISCLOSABLE)}")
    p.add_argument("--holder-key", metavar="FILE", help="your private JWK (from `registry holder-key`)")
    p.add_argument("--audience", help="the verifier's identifier (goes into the KB-JWT as aud)")
    p.add_argument("--nonce", help="the nonce the verifier gave you (goes into the KB-JWT)")
    p.set_defaults(func=cmd_present_credential)

    p = sub.add_parser(
        "holder-key", help="create a key to hold credentials with (Ed25519); print its public JWK",
        description="Write a new private Ed25519 JWK to FILE (mode 0600, never overwriting) and print the public "
                    "JWK: pass it as holderKey when asking for an attestation, so only you can present it.")
    p.add_argument("--out", required=True, metavar="FILE", help="where to write the private key")
    p.set_defaults(func=cmd_holder_key)
