"""Request limits and error hygiene: depth, aliases, tokens, introspection gate, error masking."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
from graphql import DocumentNode, GraphQLError, GraphQLSchema, GraphQLSyntaxError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.schema.schema import validate_document

from registry.config import Settings
from registry.database import OUTAGES, UNAVAILABLE

log = logging.getLogger("registry.errors")


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


def _add_codes(result: Any) -> None:
    """Every error leaves with ``extensions.code``; a database outage also says so in words."""
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


class _Same:
    """A parsed document as a cache key, by identity. graphql-core's AST nodes are frozen dataclasses, hashed
    field by field: strawberry's ValidationCache hashed the whole document, every node, on every request (50 µs
    for the history lookup). The parse cache hands out the same document object for the same text, so identity is
    the same key; the cache entry holds the document, so its id cannot be reused while the entry lives."""

    __slots__ = ("document",)

    def __init__(self, document: DocumentNode) -> None:
        self.document = document

    def __hash__(self) -> int:
        return id(self.document)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.document is self.document


@functools.cache
def _validator(maxsize: int) -> Callable[..., list[GraphQLError]]:
    @functools.lru_cache(maxsize=maxsize)
    def validate(schema: GraphQLSchema, document: _Same, rules: tuple[Any, ...]) -> list[GraphQLError]:
        return validate_document(schema, document.document, rules)

    return validate


#: Distinct documents whose parse and validation results are kept (per process, least recently used first out).
#: Bounded, so a caller sending endless distinct documents costs CPU, never memory.
DOCUMENT_CACHE_SIZE = 512
#: Only query texts up to this length are cached (parsed, validated, planned): a document holds its whole text,
#: and the token limit does not bound a comment's or a string's length, so 512 bodies of 8 MiB each would have
#: pinned 4 GiB. The queries worth caching are short (a history lookup is about 600 characters).
CACHED_QUERY_CHARS = 16 * 1024


def cacheable(query: str | None) -> bool:
    """Whether what is worked out from this query text may be kept (``CACHED_QUERY_CHARS``)."""
    return query is not None and len(query) <= CACHED_QUERY_CHARS


class RequestLimits(SchemaExtension):
    """What every operation goes through besides the field policy, in one extension: the depth, alias and token
    limits, the introspection gate, parsing and validation cached by document, error masking and error codes.
    strawberry builds every extension's hooks anew for each request; as seven extensions this was about a
    twentieth of a history lookup's CPU.

    Parsing and validation are cached by document: the same query text parses to the same document, and the
    same document with the same rules validates to the same errors. The rule classes of the depth and alias
    limits are built once (strawberry's limiters build a new class per instance, which would make every
    request a cache miss); the introspection gate adds its rule for callers it refuses, so their validation is
    cached under a different rule set. The token limit applies while parsing (it is among the parse options, so
    part of the parse cache's key). A document that does not parse is left to strawberry, which parses it again
    and reports the error as usual (with its code); errors are never cached (``lru_cache`` keeps none)."""

    def __init__(self, settings: Settings, rules: tuple[Any, ...], parse: Callable[..., DocumentNode],
                 validate: Callable[..., list[GraphQLError]], mask: Mask | None) -> None:
        super().__init__()
        self.settings = settings
        self.rules = rules
        self.parse = parse
        self.validate = validate
        self.mask = mask

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        mode = self.settings.introspection
        refused = not (mode == "public" or (mode == "authenticated" and ctx.context.principal.authenticated))
        ctx.validation_rules = (*ctx.validation_rules, *self.rules,
                                *((NoSchemaIntrospectionCustomRule,) if refused else ()))
        ctx.parse_options["max_tokens"] = self.settings.max_tokens
        if self.mask is None:
            yield
        else:
            self.mask.execution_context = ctx
            yield from self.mask.on_operation()
        _add_codes(ctx.result)  # after masking: a masked error keeps the code that says whose problem it is

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if cacheable(ctx.query):
            with contextlib.suppress(GraphQLError):
                ctx.graphql_document = self.parse(ctx.query, **ctx.parse_options)
        yield  # a longer query, or one that does not parse: strawberry parses it (uncached)

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        assert ctx.graphql_document is not None  # strawberry validates only what parsed
        rules = tuple(ctx.validation_rules)
        if cacheable(ctx.query):
            ctx.pre_execution_errors = self.validate(ctx.schema._schema, _Same(ctx.graphql_document), rules)
        else:
            ctx.pre_execution_errors = validate_document(ctx.schema._schema, ctx.graphql_document, rules)
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """A subscription's events and streamed results are masked as they leave."""
        if self.mask is None:
            yield
        else:
            self.mask.execution_context = self.execution_context
            yield from self.mask.on_stream_result(result)


@functools.cache
def limit_rules(max_depth: int, max_aliases: int) -> tuple[Any, ...]:
    """The depth and alias limits' validation rules, built once per limit (each build makes new rule classes)."""
    depth = QueryDepthLimiter(max_depth=max_depth).validation_rules
    aliases = MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules
    return (*depth, *aliases)


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """A factory, so each request gets a fresh instance; what can be built once is built here."""
    rules = limit_rules(settings.max_depth, settings.max_aliases)
    size = DOCUMENT_CACHE_SIZE  # read once, when the schema is built (0: no caching, for comparison)
    parse, validate = _get_parse_cache(size), _validator(size)
    masked = not settings.development

    def limits() -> SchemaExtension:
        mask = Mask(should_mask_error=_unexpected, error_message="Internal error; it has been logged.") \
            if masked else None  # per request: strawberry's masking keeps per-operation state
        return RequestLimits(settings, rules, parse, validate, mask)

    return [limits]
