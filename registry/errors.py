"""Client-facing errors: a stable ``extensions.code`` and a message a clerk understands."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class RegistryError(GraphQLError):
    """Raised anywhere below a resolver; graphql-core reports it as-is, with its code."""

    code = "INTERNAL"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **details})
        self.message = message
        self.details = details


class BadInput(RegistryError):
    code = "BAD_USER_INPUT"


class NotFound(RegistryError):
    code = "NOT_FOUND"


class Conflict(RegistryError):
    code = "CONFLICT"


class Forbidden(RegistryError):
    code = "FORBIDDEN"


class Unauthenticated(RegistryError):
    code = "UNAUTHENTICATED"


class RateLimited(RegistryError):
    code = "RATE_LIMITED"


class PurposeRequired(RegistryError):
    code = "PURPOSE_REQUIRED"
