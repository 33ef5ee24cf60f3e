"""The trusted issuers file (``REGISTRY_ISSUERS_FILE``): which identity providers vouch for whom.

A JSON list, one object per identity provider::

    [{"issuer": "https://idp.ca.example", "jwks_url": "https://idp.ca.example/jwks", "audience": "officer-registry",
      "roles": ["publisher", "hiring_agency", "officer"],
      "publisher_ids": ["ca-*"], "agency_oris": ["CA*"], "officer_ids": ["*"],
      "max_token_lifetime_seconds": 3600}]

``roles`` is required: the roles the provider may assert. Each role bound to something needs the list of
values it may carry (``officer_ids``, ``agency_oris``, ``publisher_ids`` for publishers and credentialing
bodies, ``partner_ids``); a value ending in ``*`` is a prefix. Give ``auditor`` and ``admin`` only to the
registry's own provider. ``max_token_lifetime_seconds`` (default 3600) caps ``exp - iat``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auth.principal import Role
from auth.tokens import ROLE_BINDING, IssuerScope, TrustedIssuer

#: The file's list key for each binding claim (``auth.tokens.ROLE_BINDING`` says which role needs which claim).
_BINDING_LISTS = {"officer_ids": "officer_id", "agency_oris": "agency_ori", "publisher_ids": "publisher_id",
                  "partner_ids": "partner_id"}
_LIST_OF_CLAIM = {claim: key for key, claim in _BINDING_LISTS.items()}
_KEYS = {"issuer", "jwks_file", "jwks_url", "audience", "roles", "max_token_lifetime_seconds", *_BINDING_LISTS}


class IssuersFileError(ValueError):
    """The issuers file cannot be used; the message names the file, the entry and the fix."""


def load(path: Path, default_audience: str) -> list[TrustedIssuer]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IssuersFileError(f"REGISTRY_ISSUERS_FILE {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise IssuersFileError(f"REGISTRY_ISSUERS_FILE {path}: cannot be read ({err})") from None
    except json.JSONDecodeError as err:
        raise IssuersFileError(f"REGISTRY_ISSUERS_FILE {path}: not valid JSON ({err})") from None
    if not isinstance(doc, list) or not doc:
        raise IssuersFileError(f"REGISTRY_ISSUERS_FILE {path}: expected a non-empty JSON list of issuers")
    return [_entry(path, i, e, default_audience) for i, e in enumerate(doc)]


def _entry(path: Path, index: int, entry: Any, default_audience: str) -> TrustedIssuer:
    where = f"REGISTRY_ISSUERS_FILE {path}, entry {index}"
    if not isinstance(entry, dict):
        raise IssuersFileError(f"{where}: expected an object")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise IssuersFileError(f"{where}: unknown key(s) {', '.join(unknown)}")
    roles_raw = entry.get("roles")
    if not isinstance(roles_raw, list) or not roles_raw:
        raise IssuersFileError(f"{where}: 'roles' must list the roles this issuer may assert "
                               f"({', '.join(r.value for r in Role if r is not Role.PUBLIC)})")
    try:
        roles = frozenset(Role(r) for r in roles_raw)
    except ValueError:
        raise IssuersFileError(f"{where}: unknown role in {roles_raw}") from None
    if Role.PUBLIC in roles:
        raise IssuersFileError(f"{where}: 'public' is no role a token asserts")
    bindings: dict[str, tuple[str, ...]] = {}
    for key, claim in _BINDING_LISTS.items():
        values = entry.get(key)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise IssuersFileError(f"{where}: '{key}' must be a list of values (a trailing * is a prefix)")
        bindings[claim] = tuple(values)
    for role in roles:
        needed = ROLE_BINDING.get(role)
        if needed is not None and needed not in bindings:
            raise IssuersFileError(f"{where}: role {role.value} needs '{_LIST_OF_CLAIM[needed]}' (the values it may "
                                   "assert)")
    lifetime = entry.get("max_token_lifetime_seconds", 3600)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or not 60 <= lifetime <= 86400:
        raise IssuersFileError(f"{where}: 'max_token_lifetime_seconds' must be a whole number from 60 to 86400")
    try:
        return TrustedIssuer(
            issuer=str(entry.get("issuer") or ""),
            jwks_file=Path(entry["jwks_file"]) if entry.get("jwks_file") else None,
            jwks_url=entry.get("jwks_url"),
            audience=str(entry.get("audience", default_audience)),
            scope=IssuerScope(roles, bindings),
            max_lifetime_seconds=lifetime,
        )
    except ValueError as err:
        raise IssuersFileError(f"{where}: {err}") from None
