"""Enforce ``auth.policy`` on every field resolution, whatever path reached it.

``apply_policy`` wraps every field's resolver when the schema is built, so root fields, nested fields,
connections and federation ``_entities`` all pass through the same check, decided once per field rather than
by a middleware around every resolution. The wrapper also enforces the declared purpose for logged roles and
notes what was disclosed, for the query log (``__typename`` of an officer's object included).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    Undefined,
    default_field_resolver,
    get_named_type,
)
from graphql.type.introspection import TypeNameMetaFieldDef
from strawberry.extensions import SchemaExtension

from auth import policy
from auth.principal import Principal


def forbidden(type_name: str, field_name: str) -> GraphQLError:
    return GraphQLError(
        f"you are not allowed to read {type_name}.{field_name}", extensions={"code": "FORBIDDEN"}
    )


def _purpose_required() -> GraphQLError:
    return GraphQLError("declare the purpose of this query (the purpose argument or the Registry-Purpose header)",
                         extensions={"code": "PURPOSE_REQUIRED"})


def _disclosed_kind(type_name: str) -> str | None:
    """The disclosed type an object of ``type_name`` shows (itself, or its connection's or edge's node)."""
    base = type_name.removesuffix("Connection").removesuffix("Edge")
    return base if base in policy.DISCLOSED_TYPES else None


def _shown(type_name: str, root: Any) -> list[Any]:
    """The objects about officers that an object of a disclosed type (or its connection or edge) shows."""
    return _shows(type_name)(root)


def _shows(type_name: str) -> Callable[[Any], list[Any]]:
    """``_shown`` for objects of ``type_name``, decided once (a rule asks it of every object it checks)."""
    if type_name.endswith("Connection"):
        return lambda root: [edge.node for edge in root.edges]
    if type_name.endswith("Edge"):
        return lambda root: [root.node]
    return lambda root: [root]


def _takes_input(gtype: Any) -> bool:
    named = get_named_type(gtype)
    return isinstance(named, GraphQLEnumType | GraphQLInputObjectType)


def _refused_input(who: Principal, gtype: Any, value: Any) -> str | None:
    """The first input field or enum value in ``value`` that ``who`` may not send (``Type.name``), if any."""
    if value is None or value is Undefined:
        return None
    if isinstance(gtype, GraphQLNonNull):
        return _refused_input(who, gtype.of_type, value)
    if isinstance(gtype, GraphQLList):
        items = value if isinstance(value, list) else [value]
        return next((r for v in items if (r := _refused_input(who, gtype.of_type, v)) is not None), None)
    if isinstance(gtype, GraphQLEnumType):
        raw = getattr(value, "value", value)
        name = next((n for n, v in gtype.values.items() if v.value == value or v.value == raw), str(raw))
        return None if policy.input_access(gtype.name, name).allows(who, None) else f"{gtype.name}.{name}"
    if isinstance(gtype, GraphQLInputObjectType) and isinstance(value, dict):
        for name, inner in value.items():
            if inner is None:
                continue
            if not policy.input_access(gtype.name, name).allows(who, None):
                return f"{gtype.name}.{name}"
            field = gtype.fields.get(name)
            if field is not None and (refused := _refused_input(who, field.type, inner)) is not None:
                return refused
    return None


@dataclass(frozen=True, slots=True)
class FieldRule:
    """What reading ``type_name.field_name`` asks of the caller, decided once, when the schema is built. Both
    executors check a field by it: graphql-core's (the wrapper ``_guarded`` puts around every resolver) and the
    compiled plans of ``schema.plan``, so the two cannot disagree on a grant, a purpose or a disclosure."""

    type_name: str
    field_name: str
    access: policy.Access
    public: bool  # everyone may read it
    kind: str | None  # the disclosed type an object of ``type_name`` shows, if any
    purpose_root: bool  # a root field that takes the declared purpose
    checked: dict[str, Any]  # arguments taking input fields or enum values the policy may refuse: their types
    shows: Callable[[Any], list[Any]]  # ``_shown`` for objects of ``type_name``

    @property
    def free(self) -> bool:
        """Everyone may read it, it shows nothing about an officer, needs no purpose and takes no refusable input."""
        return self.public and self.kind is None and not self.purpose_root and not self.checked

    def check(self, ctx: Any, root: Any, kwargs: dict[str, Any]) -> None:
        """Refuses (a GraphQLError with its code) or notes what reading the field on ``root`` discloses."""
        who: Principal = ctx.principal
        if not self.public and not self.access.allows(who, getattr(root, "guard", None)):
            raise forbidden(self.type_name, self.field_name)
        for name, gtype in self.checked.items():
            if (refused := _refused_input(who, gtype, kwargs.get(name))) is not None:
                raise GraphQLError(f"you may not send {refused}", extensions={"code": "FORBIDDEN"})
        if who.role in policy.LOGGED_ROLES:
            if self.purpose_root:
                _declare_purpose(ctx, kwargs)
            if self.kind is not None:
                _note(ctx, self.kind, self.shows(root))


def field_rule(type_name: str, field_name: str, args: dict[str, Any] | None = None) -> FieldRule:
    """The rule of ``type_name.field_name`` (``args``: the field's GraphQL arguments by name)."""
    access = policy.field_access(type_name, field_name)
    return FieldRule(
        type_name=type_name,
        field_name=field_name,
        access=access,
        public=policy.ANYONE in access.grants,
        kind=_disclosed_kind(type_name),
        purpose_root=type_name in ("Query", "Subscription") and field_name in policy.PURPOSE_ROOT_FIELDS,
        checked={name: arg.type for name, arg in (args or {}).items() if _takes_input(arg.type)},
        shows=_shows(type_name),
    )


def _guarded(type_name: str, field_name: str, resolve: Callable[..., Any],
             args: dict[str, Any] | None = None) -> Callable[..., Any]:
    """``resolve`` behind its ``FieldRule``; a free field keeps its resolver."""
    rule = field_rule(type_name, field_name, args)
    if rule.free:
        return resolve
    check = rule.check

    def guarded(root: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        check(info.context, root, kwargs)
        return resolve(root, info, **kwargs)

    return guarded


def _check_purpose(ctx: Any) -> None:
    """A declared purpose (argument or header) goes into the officer's query log: it must be one the caller's
    role may state (``policy.ENUM_VALUES["QueryPurpose"]``). Decided once per purpose and request: every field
    of a disclosed object asks."""
    purpose = ctx.purpose
    if purpose is None or purpose == ctx.purpose_allowed:
        return
    if not policy.input_access("QueryPurpose", purpose).allows(ctx.principal, None):
        raise GraphQLError(f"a {ctx.principal.role.value} may not declare the purpose {purpose}",
                           extensions={"code": "FORBIDDEN"})
    ctx.purpose_allowed = purpose


def _note(ctx: Any, kind: str, shown: list[Any]) -> None:
    if shown:
        if ctx.purpose is None:
            raise _purpose_required()
        _check_purpose(ctx)
        for obj in shown:
            ctx.disclosures.note(kind, obj)


def _declare_purpose(ctx: Any, kwargs: dict[str, Any]) -> None:
    purpose = kwargs.get("purpose")
    ctx.declare_purpose(getattr(purpose, "value", purpose))
    if ctx.purpose is None:
        raise _purpose_required()
    _check_purpose(ctx)


def _typename(original: Callable[..., Any]) -> Callable[..., Any]:
    """``__typename`` of an object about an officer is a disclosure too (the caller learns it exists)."""

    def resolve(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        ctx = info.context
        kind = _disclosed_kind(info.parent_type.name)
        if kind is not None and ctx is not None and getattr(ctx, "principal", None) is not None \
                and ctx.principal.role in policy.LOGGED_ROLES:
            _note(ctx, kind, _shown(info.parent_type.name, source))
        return original(source, info, **args)

    resolve.registry_policy = True  # type: ignore[attr-defined]
    return resolve


def apply_policy(schema: GraphQLSchema) -> None:
    """Put every field of every object type behind ``auth.policy`` (root fields, nested fields, connections and
    federation ``_entities`` alike), once, when the schema is built: no per-field middleware at run time.
    Introspection types are left alone (gated by ``schema.limits.RequestLimits``)."""
    for name, gtype in schema.type_map.items():
        if name.startswith("__") or not isinstance(gtype, GraphQLObjectType):
            continue
        for field_name, field in gtype.fields.items():
            field.resolve = _guarded(name, field_name, field.resolve or default_field_resolver, field.args)
            if field.subscribe is not None:  # a subscription is refused before it starts, not event by event
                field.subscribe = _guarded(name, field_name, field.subscribe, field.args)
    if not getattr(TypeNameMetaFieldDef.resolve, "registry_policy", False):
        TypeNameMetaFieldDef.resolve = _typename(TypeNameMetaFieldDef.resolve or default_field_resolver)


class FieldPolicy(SchemaExtension):
    """After execution, writes what was disclosed to the query log (``apply_policy`` does the rest)."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context.context
        if ctx is not None and hasattr(ctx, "flush_disclosures"):
            await ctx.flush_disclosures()
