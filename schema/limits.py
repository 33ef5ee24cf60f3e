"""Request limits and error hygiene: depth, aliases, tokens, introspection gate, error masking."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import asyncpg
from graphql import GraphQLError, GraphQLSyntaxError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension

from registry.config import Settings
from registry.database import OUTAGES, UNAVAILABLE

log = logging.getLogger("registry.errors")


class IntrospectionGate(SchemaExtension):
    """Introspection only for authenticated callers (or nobody / everybody, by configuration)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context.context
        allowed = self.mode == "public" or (self.mode == "authenticated" and ctx.principal.authenticated)
        if not allowed:
            rules = tuple(self.execution_context.validation_rules)
            self.execution_context.validation_rules = (*rules, NoSchemaIntrospectionCustomRule)
        yield




#: Errors in which the database refused a value the client sent (not a failure of the registry).
REFUSED_VALUES: tuple[type[Exception], ...] = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)


def code_for(error: GraphQLError) -> str:
    """The ``extensions.code`` of an error raised without one."""
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if original is None:
        return "GRAPHQL_VALIDATION_FAILED"  # validation rules, depth, aliases, tokens, introspection refused
    if isinstance(original, OUTAGES):
        return "SERVICE_UNAVAILABLE"
    if isinstance(original, REFUSED_VALUES):
        return "BAD_USER_INPUT"  # a value the database refused: too long, malformed, against a rule
    if error.path is None:
        return "BAD_USER_INPUT"  # raised before execution: a variable value the client sent could not be read
    return "INTERNAL_SERVER_ERROR"


class ErrorCodes(SchemaExtension):
    """Every error leaves with ``extensions.code``; a database outage also says so in words."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (getattr(result, "errors", None) or []):
            if (error.extensions or {}).get("code"):
                continue
            code = code_for(error)
            error.extensions = {**(error.extensions or {}), "code": code}
            if code == "SERVICE_UNAVAILABLE":
                error.message = UNAVAILABLE
            elif isinstance(error.original_error, REFUSED_VALUES):
                log.info("database refused a value: %s", error.original_error)
                error.message = ("an input value does not fit the registry's limits or rules "
                                 f"({str(error.original_error).splitlines()[0][:200]})"
                                 if isinstance(error.original_error, asyncpg.DataError)
                                 else "the input conflicts with the registry's rules or its existing data")


class Mask(MaskErrors):
    """Hides what went wrong inside, keeping the code that says whose problem it is."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        code = code_for(error)
        return GraphQLError(UNAVAILABLE if code == "SERVICE_UNAVAILABLE" else self.error_message, nodes=error.nodes,
                            source=error.source, positions=error.positions, path=error.path,
                            extensions={"code": code})


def _unexpected(error: GraphQLError) -> bool:
    """Anything that is not a deliberate client-facing error (those are GraphQLErrors with a code)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and code_for(error) != "BAD_USER_INPUT"


def log_if_unexpected(error: GraphQLError) -> None:
    if _unexpected(error):
        log.error("unexpected error at %s", error.path, exc_info=error.original_error)


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories, so each request gets fresh extension instances."""
    exts: list[Callable[[], SchemaExtension]] = [
        ErrorCodes,  # first, so that it sees the result last (after masking)
        lambda: QueryDepthLimiter(max_depth=settings.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: IntrospectionGate(settings.introspection),
    ]
    if not settings.development:
        exts.append(lambda: Mask(should_mask_error=_unexpected, error_message="Internal error; it has been logged."))
    return exts
