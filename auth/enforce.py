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


class FieldPolicy(SchemaExtension):
    def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any
    ) -> Any:
        field_name = info.field_name
        type_name = info.parent_type.name
        if field_name.startswith("__") or type_name.startswith("__"):  # introspection: gated by IntrospectionGate
            return _next(root, info, *args, **kwargs)
        ctx = info.context
        who: Principal = ctx.principal
        guard = getattr(root, "guard", None)
        if not policy.field_access(type_name, field_name).allows(who, guard):
            raise forbidden(type_name, field_name)
        if type_name in policy.DISCLOSED_TYPES and who.role in policy.LOGGED_ROLES:
            if ctx.purpose is None:
                raise GraphQLError(
                    "declare the purpose of this query (the purpose argument or the Registry-Purpose header)",
                    extensions={"code": "PURPOSE_REQUIRED"},
                )
            ctx.disclosures.note(type_name, root)
        return _next(root, info, *args, **kwargs)

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context.context
        if ctx is not None and hasattr(ctx, "flush_disclosures"):
            await ctx.flush_disclosures()
