"""``registry verify-credential`` and ``registry present-credential``: a partner's offline tools.

Neither talks to the registry's API: verification needs only the registry's public JWKS (a file, or
the URL of ``/.well-known/jwks.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from credentials import attestation, presentation
from registry.config import Settings


def _read_token(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read().strip()
    if arg.startswith("@"):
        return Path(arg[1:]).read_text(encoding="ascii").strip()
    return arg.strip()


def cmd_verify_credential(args: argparse.Namespace, _settings: Settings) -> int:
    try:
        token = _read_token(args.token)
        keys = attestation.load_jwks(args.jwks)
    except (OSError, attestation.AttestationError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        result = attestation.verify(token, keys, issuer=args.issuer)
    except attestation.AttestationError as err:
        print(f"INVALID: {err}", file=sys.stderr)
        return 1
    hidden = (f", {result.undisclosed} digest(s) not disclosed (withheld claims or decoys)"
              if result.form == "sd-jwt" else "")
    print(f"valid {result.form} attestation from {result.claims.get('iss')} (kid {result.kid}){hidden}",
          file=sys.stderr)
    print(json.dumps(result.claims, indent=2, sort_keys=True))
    return 0


def cmd_present_credential(args: argparse.Namespace, _settings: Settings) -> int:
    try:
        print(presentation.present(_read_token(args.sd_jwt), args.disclose.split(",")))
    except (OSError, presentation.PresentationError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the partner commands on ``registry``'s sub-command parser."""
    p = sub.add_parser(
        "verify-credential", help="verify a credential attestation (JWS or SD-JWT) offline and print its claims",
        description="Check an attestation from verifyCredential offline: Ed25519 signature by a key in the "
                    "registry's JWKS, its type, iss, iat and exp (30 s leeway) and, for an SD-JWT, that every "
                    "disclosure belongs to it (RFC 9901). Prints the claims as JSON. Exit 0 valid, 1 invalid or "
                    "expired, 2 unreadable input.")
    p.add_argument("token", help="the compact JWS or SD-JWT ('-' for stdin, @FILE to read a file)")
    p.add_argument("--jwks", required=True,
                   help="the registry's JWKS: a file, or a URL such as https://registry.example/.well-known/jwks.json")
    p.add_argument("--issuer", help="require this iss (e.g. https://officer-registry.example)")
    p.set_defaults(func=cmd_verify_credential)

    p = sub.add_parser(
        "present-credential", help="keep only chosen disclosures of an SD-JWT attestation (holder side)",
        description="Print the SD-JWT with only the disclosures of the named claims; the issuer's signature still "
                    "verifies and the other claims stay hidden.")
    p.add_argument("sd_jwt", help="the SD-JWT from verifyCredential ('-' for stdin, @FILE to read a file)")
    p.add_argument("--disclose", required=True,
                   help=f"comma-separated claims to show, from: {', '.join(attestation.DISCLOSABLE)}")
    p.set_defaults(func=cmd_present_credential)
