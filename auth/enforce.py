"""Enforce ``auth.policy`` on every field resolution, whatever path reached it.

Runs as a schema extension around every resolver, so root fields, nested fields, connections
and federation ``_entities`` all pass through the same check. It also enforces the declared
purpose for logged roles and notes what was disclosed, for the query log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
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


def _disclosed(type_name: str, root: Any) -> list[Any]:
    """The objects about officers that resolving a field of ``type_name`` on ``root`` shows."""
    if type_name in policy.DISCLOSED_TYPES:
        return [root]
    if type_name.endswith("Connection") and type_name.removesuffix("Connection") in policy.DISCLOSED_TYPES:
        return [edge.node for edge in root.edges]
    if type_name.endswith("Edge") and type_name.removesuffix("Edge") in policy.DISCLOSED_TYPES:
        return [root.node]
    return []


class FieldPolicy(SchemaExtension):
    def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any
    ) -> Any:
        field_name = info.field_name
        type_name = info.parent_type.name
        if type_name.startswith("__"):  # introspection: gated by IntrospectionGate
            return _next(root, info, *args, **kwargs)
        ctx = info.context
        who: Principal = ctx.principal
        if not field_name.startswith("__"):  # __typename of an object the caller reached is no field of its own
            guard = getattr(root, "guard", None)
            if not policy.field_access(type_name, field_name).allows(who, guard):
                raise forbidden(type_name, field_name)
        if who.role in policy.LOGGED_ROLES:
            if type_name in ("Query", "Subscription") and field_name in policy.PURPOSE_ROOT_FIELDS:
                self._declare_purpose(ctx, kwargs)
            shown = _disclosed(type_name, root)
            if shown:
                if ctx.purpose is None:
                    raise _purpose_required()
                for obj in shown:
                    ctx.disclosures.note(type_name.removesuffix("Connection").removesuffix("Edge"), obj)
        return _next(root, info, *args, **kwargs)

    @staticmethod
    def _declare_purpose(ctx: Any, kwargs: dict[str, Any]) -> None:
        purpose = kwargs.get("purpose")
        ctx.declare_purpose(getattr(purpose, "value", purpose))
        if ctx.purpose is None:
            raise _purpose_required()

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context.context
        if ctx is not None and hasattr(ctx, "flush_disclosures"):
            await ctx.flush_disclosures()
