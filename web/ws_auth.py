"""Authenticate a graphql-transport-ws connection at ``connection_init``.

A browser cannot set headers on a WebSocket, so the token may come in the ``connection_init``
payload (``{"Authorization": "Bearer <token>"}``, or ``{"token": "<token>"}``) as well as in the
upgrade request's ``Authorization`` header (already checked by ``server.Authenticate``; a bad
header is refused with HTTP 401 before the upgrade). A connection that ends ``connection_init``
unauthenticated, or with a bad token, is closed with 4403 and can run nothing.
"""

from __future__ import annotations

from typing import Any, cast

from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from auth.principal import Principal
from auth.tokens import AuthError
from schema.enums import QueryPurpose


def _token(params: dict[str, Any]) -> str | None:
    for key in ("Authorization", "authorization", "authToken", "token"):
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            scheme, _, rest = value.strip().partition(" ")
            return rest.strip() if scheme.lower() == "bearer" and rest.strip() else value.strip()
    return None


async def authenticate_connection(context: Any, verifier: Any) -> UnsetType:
    """Returns UNSET: the connection_ack carries no payload."""
    params = context.connection_params if isinstance(context.connection_params, dict) else {}
    token = _token(params)
    if token is not None:
        try:
            principal: Principal = await verifier.verify(token)
        except AuthError as err:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": err.message}) from None
        if context.principal.authenticated and principal != context.principal:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED",
                                            "message": "the header and connection_init name different callers"})
        context.principal = principal
    if not context.principal.authenticated:
        raise ConnectionRejectionError({"code": "UNAUTHENTICATED",
                                        "message": "send a token in connection_init: {\"Authorization\": "
                                                   "\"Bearer <token>\"}"})
    purpose = params.get("purpose")
    if isinstance(purpose, str) and purpose in QueryPurpose._value2member_map_:
        context.declare_purpose(purpose)
    return cast(UnsetType, UNSET)
