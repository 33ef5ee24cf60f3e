"""Bearer-token verification: turns a JWT from a trusted identity provider into a `Principal`.

The unverified header and claims are read only to pick the issuer and the key; nothing in them is
believed until joserfc has checked the signature with a key whose type we matched to the algorithm.
Every refusal is an `AuthError` with a short, fixed message: the caller learns *that* the token was
refused and roughly why, never which key, path or URL was involved.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
    SecurityWarning,
)
from joserfc.jwk import ECKey, JWKRegistry, OKPKey, RSAKey

from auth.principal import Principal, Role
from registry.urls import https_or_loopback

__all__ = [
    "ALLOWED_ALGORITHMS",
    "ROLE_BINDING",
    "AuthError",
    "IssuerScope",
    "TokenVerifier",
    "TrustedIssuer",
]

log = logging.getLogger(__name__)

#: The only algorithms a token may name. "EdDSA" is the polymorphic RFC 8037 name kept for legacy
#: issuers; RFC 9864's "Ed25519" is what we mint. Anything else (none, HS*, PS*, ...) is refused
#: before a key is even looked up.
ALLOWED_ALGORITHMS: Final[frozenset[str]] = frozenset({"Ed25519", "EdDSA", "ES256", "RS256"})

# Which JWK key type each algorithm needs, and which algorithms a key of a type may verify.
_ALG_KEY_TYPE: Final[Mapping[str, str]] = {"Ed25519": "OKP", "EdDSA": "OKP", "ES256": "EC", "RS256": "RSA"}
_KEY_TYPE_ALGS: Final[Mapping[str, tuple[str, ...]]] = {
    "OKP": ("Ed25519", "EdDSA"),
    "EC": ("ES256",),
    "RSA": ("RS256",),
}
_EDDSA_NAMES: Final[frozenset[str]] = frozenset({"Ed25519", "EdDSA"})
_MIN_RSA_BITS: Final = 2048
# Private members are dropped on import so a JWKS that leaks a private key never becomes a signer here.
_PRIVATE_JWK_MEMBERS: Final[frozenset[str]] = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_ACCEPTED_TYP: Final[frozenset[str]] = frozenset({"jwt", "at+jwt", "application/jwt", "application/at+jwt"})

_MAX_TOKEN_CHARS: Final = 16_384
_MAX_JWKS_BYTES: Final = 1_048_576

# Role -> the claim that binds it to whose data it reaches. Roles absent here carry no binding.
ROLE_BINDING: Final[Mapping[Role, str]] = {
    Role.OFFICER: "officer_id",
    Role.HIRING_AGENCY: "agency_ori",
    Role.PUBLISHER: "publisher_id",
    Role.CREDENTIALING_BODY: "publisher_id",
    Role.PARTNER: "partner_id",
}

_VerifyKey = OKPKey | ECKey | RSAKey
ClientFactory = Callable[[], httpx.AsyncClient]


class AuthError(Exception):
    """A refused credential. The message is safe to show the caller; details go to the log only."""

    code: Final = "UNAUTHENTICATED"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _matches(value: str, pattern: str) -> bool:
    return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern


@dataclass(frozen=True)
class IssuerScope:
    """What one identity provider may assert: which roles, and which values of each role's binding.

    ``bindings`` maps a binding claim (``officer_id``, ``agency_ori``, ``publisher_id``, ``partner_id``) to
    the values it may carry: exact values, or prefixes ending in ``*`` (``"CA*"`` for California ORIs,
    ``"*"`` for any). A role whose binding has no entry cannot be asserted, so a state's provider cannot
    mint another state's publisher, nor auditors and admins unless its scope names those roles.
    """

    roles: frozenset[Role]
    bindings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def refusal(self, principal: Principal) -> str | None:
        """Why this issuer may not speak for ``principal``, or None."""
        if principal.role not in self.roles:
            return f"this token's issuer may not assert the role {principal.role.value}"
        binding = ROLE_BINDING.get(principal.role)
        if binding is None:
            return None
        value = getattr(principal, binding)
        if not any(_matches(value, p) for p in self.bindings.get(binding, ())):
            return f"this token's issuer may not assert {binding} {value}"
        return None


@dataclass(frozen=True)
class TrustedIssuer:
    """An identity provider whose tokens we accept, where its public keys live, and our audience name.

    Exactly one of `jwks_file` / `jwks_url` is set: a file for keys provisioned alongside the
    service (development, air-gapped deployments), a URL for an IdP that rotates keys itself.
    """

    issuer: str
    jwks_file: Path | None
    jwks_url: str | None
    audience: str
    scope: IssuerScope | None = None  # None: any role and binding (only for issuers built in code: dev, tests)
    max_lifetime_seconds: int = 3600  # a token valid for longer (exp - iat) is refused

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience:
            raise ValueError("trusted issuer needs a non-empty issuer and audience")
        if (self.jwks_file is None) == (self.jwks_url is None):
            raise ValueError(f"trusted issuer {self.issuer!r}: set exactly one of jwks_file, jwks_url")
        if self.jwks_url is not None:
            parts = urlsplit(self.jwks_url)
            # Plain HTTP would let anyone on the path substitute the keys; allow it only for loopback.
            if not https_or_loopback(parts):
                raise ValueError(f"trusted issuer {self.issuer!r}: jwks_url must be https")


@dataclass(frozen=True, slots=True)
class _KeyEntry:
    key: _VerifyKey
    # The JWK's own "alg", enforced by us (not joserfc) so that Ed25519 and EdDSA count as one.
    declared_alg: str | None


@dataclass(slots=True)
class _FileStamp:
    mtime_ns: int
    size: int


class _IssuerKeys:
    """The cached JWKS of one issuer and what is needed to decide when to reload it."""

    def __init__(self, issuer: TrustedIssuer) -> None:
        self.issuer = issuer
        self.keys: dict[str, _KeyEntry] | None = None
        self.loaded_at = 0.0
        self.file_stamp: _FileStamp | None = None
        self.last_forced_refresh: float | None = None
        self.lock = asyncio.Lock()


#: Verified tokens remembered (least recently used dropped first): one per active client is plenty.
VERIFIED_CACHE_SIZE = 4096


def _default_client_factory() -> httpx.AsyncClient:
    return httpx.AsyncClient(follow_redirects=False)


class TokenVerifier:
    """Verifies bearer JWTs against a fixed set of trusted issuers.

    Keys are cached per issuer: a JWKS file is re-read when its mtime/size changes, a JWKS URL is
    re-fetched after `jwks_cache_seconds`. A token naming an unknown `kid` forces one reload (the
    issuer may have rotated) — at most once per `refetch_cooldown_seconds` per issuer, so a flood
    of made-up kids cannot be turned into a flood of requests to the IdP.

    `client_factory` must return a fresh `httpx.AsyncClient`; it is closed after each fetch.
    """

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        *,
        leeway_seconds: int = 30,
        jwks_cache_seconds: float = 300,
        client_factory: ClientFactory | None = None,
        http_timeout_seconds: float = 5.0,
        refetch_cooldown_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuers:
            raise ValueError("at least one trusted issuer is required")
        self._issuers: dict[str, _IssuerKeys] = {}
        for issuer in issuers:
            if issuer.issuer in self._issuers:
                raise ValueError(f"issuer {issuer.issuer!r} configured twice")
            self._issuers[issuer.issuer] = _IssuerKeys(issuer)
        self._leeway = int(leeway_seconds)
        self._cache_seconds = float(jwks_cache_seconds)
        self._client_factory = client_factory or _default_client_factory
        self._http_timeout = float(http_timeout_seconds)
        self._cooldown = float(refetch_cooldown_seconds)
        self._clock = clock
        self._verified: OrderedDict[str, tuple[_IssuerKeys, str, _KeyEntry, Principal, float]] = OrderedDict()

    @property
    def issuers(self) -> list[str]:
        """The trusted issuers' names, in configuration order."""
        return list(self._issuers)

    async def verify(self, token: str) -> Principal:
        """Return the principal a valid token speaks for, or raise `AuthError`.

        A token verified before is answered from a bounded cache while it has not expired and the key that
        signed it is still the same entry of its issuer's current key set (a reloaded JWKS makes new entries, so
        a rotation or removal is seen as before): a client reusing its token pays for one signature check, not
        one per request. Everything else a token is checked for does not change with time."""
        hit = self._verified.get(token)
        if hit is not None:
            known, known_kid, signer, principal, expires = hit
            current = (await self._current_keys(known)).get(known_kid) is signer
            if current and int(self._clock()) < expires + self._leeway:  # joserfc's rule: exp > now - leeway
                self._verified.move_to_end(token)
                return principal
            self._verified.pop(token, None)
        header, unverified = _parse_unverified(token)

        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
            raise AuthError("token signed with an unsupported algorithm")
        # crit/b64 would change how the signature input is built (RFC 7797); no IdP needs them.
        if "crit" in header or "b64" in header:
            raise AuthError("token uses unsupported header parameters")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYP):
            raise AuthError("token is not an access token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("unknown signing key")

        iss = unverified.get("iss")
        if not isinstance(iss, str):
            raise AuthError("token issuer missing")
        state = self._issuers.get(iss)
        if state is None:
            raise AuthError("token issuer is not trusted")

        entry = await self._find_key(state, kid)
        _check_key_fits_alg(entry, alg)
        claims = _verify_signature(token, entry.key)
        self._validate_claims(claims, state.issuer)
        principal = _principal_from_claims(claims, state.issuer.issuer)
        refusal = state.issuer.scope.refusal(principal) if state.issuer.scope is not None else None
        if refusal is not None:
            raise AuthError(refusal)
        self._verified[token] = (state, kid, entry, principal, float(claims["exp"]))
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    # -- claims ---------------------------------------------------------------------------------

    def _validate_claims(self, claims: dict[str, Any], issuer: TrustedIssuer) -> None:
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=self._leeway,
            iss={"essential": True, "value": issuer.issuer},
            # joserfc's "value" also matches a list claim that contains it.
            aud={"essential": True, "value": issuer.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        lifetime = _lifetime(claims, self._clock())
        if lifetime > issuer.max_lifetime_seconds + self._leeway:
            raise AuthError(f"token lifetime exceeds {issuer.max_lifetime_seconds} seconds")
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise AuthError("token expired") from exc
        except MissingClaimError as exc:
            raise AuthError(f"token is missing required claim(s): {exc.claim}") from exc
        except ClaimError as exc:
            raise AuthError(_CLAIM_MESSAGES.get(exc.claim, "token has an invalid claim")) from exc

    # -- keys -----------------------------------------------------------------------------------

    async def _find_key(self, state: _IssuerKeys, kid: str) -> _KeyEntry:
        keys = await self._current_keys(state)
        entry = keys.get(kid)
        if entry is not None:
            return entry
        # Unknown kid: the issuer may have rotated. Reload once, unless we just did.
        now = self._clock()
        if state.last_forced_refresh is not None and now - state.last_forced_refresh < self._cooldown:
            async with state.lock:  # a reload may be in flight; let it land, then look again
                keys = state.keys or {}
        else:
            state.last_forced_refresh = now
            keys = await self._current_keys(state, force=True)
        entry = keys.get(kid)
        if entry is None:
            raise AuthError("unknown signing key")
        return entry

    async def _current_keys(self, state: _IssuerKeys, *, force: bool = False) -> dict[str, _KeyEntry]:
        if state.issuer.jwks_file is not None:
            return self._file_keys(state, state.issuer.jwks_file, force=force)
        assert state.issuer.jwks_url is not None
        if not force and state.keys is not None and self._clock() - state.loaded_at < self._cache_seconds:
            return state.keys
        async with state.lock:
            # Another request may have refreshed while we waited for the lock.
            fresh = state.keys is not None and self._clock() - state.loaded_at < self._cache_seconds
            if state.keys is not None and fresh and not force:
                return state.keys
            return await self._url_keys(state, state.issuer.jwks_url)

    def _file_keys(self, state: _IssuerKeys, path: Path, *, force: bool) -> dict[str, _KeyEntry]:
        # Synchronous on purpose: a stat per request is cheaper than a thread hop, and the file is small.
        try:
            st = path.stat()
            stamp = _FileStamp(st.st_mtime_ns, st.st_size)
            if state.keys is not None and not force and stamp == state.file_stamp:
                return state.keys
            keys = _parse_jwks(json.loads(path.read_bytes()))
        except (OSError, ValueError) as exc:
            log.warning("cannot load JWKS for issuer %s from %s: %s", state.issuer.issuer, path, exc)
            if state.keys is not None:
                return state.keys  # keep serving the last good set rather than lock everyone out
            raise AuthError("signing keys for the token issuer are unavailable") from exc
        state.keys, state.file_stamp, state.loaded_at = keys, stamp, self._clock()
        return keys

    async def _url_keys(self, state: _IssuerKeys, url: str) -> dict[str, _KeyEntry]:
        try:
            async with self._client_factory() as client:
                response = await client.get(
                    url, timeout=self._http_timeout, headers={"Accept": "application/json"}
                )
            response.raise_for_status()
            if len(response.content) > _MAX_JWKS_BYTES:
                raise ValueError("JWKS document too large")
            keys = _parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("cannot fetch JWKS for issuer %s from %s: %s", state.issuer.issuer, url, exc)
            if state.keys is not None:
                return state.keys
            raise AuthError("signing keys for the token issuer are unavailable") from exc
        state.keys, state.loaded_at = keys, self._clock()
        return keys


_CLAIM_MESSAGES: Final[Mapping[str, str]] = {
    "aud": "token audience mismatch",
    "iss": "token issuer mismatch",
    "nbf": "token not yet valid",
    "iat": "token issued in the future",
    "exp": "token expiry is invalid",
    "sub": "token subject is invalid",
}


def _parse_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split the token and decode header and claims, believing none of it yet."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        raise AuthError("malformed token")
    try:
        obj = jws.extract_compact(token.encode("ascii"))
        header = obj.headers()
        claims = json.loads(obj.payload)
    # UnicodeError is a ValueError; RecursionError comes from deeply nested JSON.
    except (JoseError, ValueError, TypeError, RecursionError) as exc:
        raise AuthError("malformed token") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AuthError("malformed token")
    return header, claims


def _parse_jwks(document: object) -> dict[str, _KeyEntry]:
    """Import the usable public signing keys of a JWKS, keyed by kid; skip what we cannot use."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str, _KeyEntry] = {}
    for raw in document["keys"]:
        if not isinstance(raw, dict) or raw.get("kty") not in _KEY_TYPE_ALGS:
            continue
        declared_alg = raw.get("alg")
        if declared_alg is not None and not isinstance(declared_alg, str):
            continue
        public = {k: v for k, v in raw.items() if k not in _PRIVATE_JWK_MEMBERS and k != "alg"}
        try:
            key = JWKRegistry.import_key(public)
            key.ensure_kid()
        except (JoseError, ValueError, TypeError) as exc:
            log.warning("skipping unusable JWK %r: %s", raw.get("kid"), exc)
            continue
        if not isinstance(key, OKPKey | ECKey | RSAKey) or key.kid is None:
            continue
        # First key wins on a duplicated kid: a later entry must not shadow a key already in use.
        keys.setdefault(key.kid, _KeyEntry(key, declared_alg))
    return keys


def _check_key_fits_alg(entry: _KeyEntry, alg: str) -> None:
    """Refuse a key whose type or size does not match the algorithm (defeats key confusion)."""
    key = entry.key
    if key.key_type != _ALG_KEY_TYPE[alg]:
        raise AuthError("signing key does not match the token algorithm")
    declared = entry.declared_alg
    if declared is not None and declared != alg and not {declared, alg} <= _EDDSA_NAMES:
        raise AuthError("signing key does not match the token algorithm")
    if isinstance(key, OKPKey):
        ok = key.curve_name == "Ed25519"
    elif isinstance(key, ECKey):
        ok = key.curve_name == "P-256"
    else:
        ok = key.public_key.key_size >= _MIN_RSA_BITS
    if not ok:
        raise AuthError("signing key does not match the token algorithm")


def _verify_signature(token: str, key: _VerifyKey) -> dict[str, Any]:
    algorithms = list(_KEY_TYPE_ALGS[key.key_type])
    # joserfc ignores `algorithms` when a registry is given, so the registry carries the same list.
    # Non-strict headers: unknown header members are harmless once alg/kid/crit are checked.
    registry = jws.JWSRegistry(algorithms=algorithms, strict_check_header=False)
    try:
        with warnings.catch_warnings():
            # joserfc warns on every use of the deprecated "EdDSA" name; we accept it deliberately.
            warnings.simplefilter("ignore", SecurityWarning)
            token_obj = jwt.decode(token, key, algorithms=algorithms, registry=registry)
    except BadSignatureError as exc:
        raise AuthError("invalid token signature") from exc
    except (JoseError, ValueError, TypeError) as exc:
        raise AuthError("malformed token") from exc
    return token_obj.claims


def _lifetime(claims: Mapping[str, Any], now: float) -> float:
    """Seconds from issue (``iat``, else now) to expiry; 0 when ``exp`` is missing (reported elsewhere)."""
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return 0.0
    start = iat if isinstance(iat, int | float) and not isinstance(iat, bool) else now
    return float(exp) - float(start)


def _role_claim(claims: Mapping[str, Any]) -> Any:
    """``role`` (a string), or else ``roles`` holding exactly one (Microsoft Entra ID puts app roles in a
    ``roles`` array and cannot emit ``role``). A token acts in one role: several roles are refused."""
    raw_role = claims.get("role")
    roles = claims.get("roles")
    if raw_role is not None or roles is None:
        return raw_role
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise AuthError("token roles claim is not a list of role names")
    if len(roles) != 1:
        raise AuthError("token carries several roles (or none) in `roles`; the registry acts in one role per token: "
                        "assign the user or client exactly one app role")
    return roles[0]


def _principal_from_claims(claims: Mapping[str, Any], issuer: str) -> Principal:
    raw_role = _role_claim(claims)
    if raw_role is None:
        raise AuthError("token has no role")
    if not isinstance(raw_role, str):
        raise AuthError("token role is not recognised")
    try:
        role = Role(raw_role)
    except ValueError as exc:
        raise AuthError("token role is not recognised") from exc

    bound: str | None = None
    binding = ROLE_BINDING.get(role)
    if binding is not None:
        value = claims.get(binding)
        if not isinstance(value, str) or not value.strip():
            raise AuthError(f"token for role '{role.value}' lacks its {binding} binding")
        bound = value
    # Only the role's own binding is carried: a stray officer_id on an agency token must not
    # become a second identity that some check downstream might honour.
    return Principal(
        role=role,
        subject=claims["sub"],
        issuer=issuer,
        officer_id=bound if binding == "officer_id" else None,
        agency_ori=bound if binding == "agency_ori" else None,
        publisher_id=bound if binding == "publisher_id" else None,
        partner_id=bound if binding == "partner_id" else None,
    )
