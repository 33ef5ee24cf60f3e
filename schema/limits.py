"""Request limits and error hygiene: depth, aliases, tokens, introspection gate, error masking."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension

from registry.config import Settings

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


def _unexpected(error: GraphQLError) -> bool:
    """Anything that is not a deliberate client-facing error (those are GraphQLErrors with a code)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def log_if_unexpected(error: GraphQLError) -> None:
    if _unexpected(error):
        log.error("unexpected error at %s", error.path, exc_info=error.original_error)


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories, so each request gets fresh extension instances."""
    exts: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=settings.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: IntrospectionGate(settings.introspection),
    ]
    if not settings.development:
        exts.append(lambda: MaskErrors(should_mask_error=_unexpected,
                                       error_message="Internal error; it has been logged."))
    return exts
