"""Lists of plain result objects completed without graphql-core's per-field machinery: graphql-core completes each
of the nine leaves of each of a publish batch's 500 results with its own resolve info, resolver, policy check and
serializer (this path: about 5 % less CPU per published event over HTTP, docs/performance.md).

A list is completed here only when its items are of a type in ``LISTED`` and its one field node selects leaves of
that type alone, each a plain attribute (``schema.plan``'s shapes: no arguments, directives, fragments, aliases
used twice or ``__typename``). The values are graphql-core's: every field's rule asked as graphql-core's path asks
it (``auth.enforce.FieldRule.check``), each item checked by the type's ``is_type_of``, each leaf serialized by the
schema's own scalar or enum type. Anything else, including any error (a refusal, a null where the schema promises a
value), sends the list back to graphql-core, which completes it from the start: completing a list reads what the
resolver already returned and changes nothing, so doing it twice is safe, and every error is graphql-core's. The
differential test (tests/integration/test_listed_results.py) compares both paths' answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import FieldNode, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from schema.plan import NO_ARGUMENTS, Builder, Level, Shape, Unplanned, complete

#: The types whose lists are completed here, with the fields they may select.
LISTED: dict[str, frozenset[str]] = {
    "EventResult": frozenset({"index", "status", "eventType", "eventId", "entityId", "officerId", "logIndex", "code",
                              "message"}),
}
_KEY = "registry.listed"  # where a schema keeps its completer (GraphQLSchema.extensions)
_MOST_SHAPES = 256  # documents' list fields remembered (a publish document has one)


class ListCompleter:
    """The shapes of the listed fields of the documents seen (by field node: parsed documents are cached, so a
    repeated document brings the same nodes), and how many lists were completed here."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self._builder = Builder(schema, LISTED)
        self._shapes: dict[int, tuple[FieldNode, Shape | None]] = {}
        self.completed = 0

    def complete(self, return_type: GraphQLList[Any], node: FieldNode, info: GraphQLResolveInfo[Any],
                 result: Any) -> list[Any] | None:
        """The completed list, or None: graphql-core completes it."""
        item = return_type.of_type
        inner = item.of_type if isinstance(item, GraphQLNonNull) else item
        if not isinstance(inner, GraphQLObjectType) or inner.name not in LISTED or node.directives:
            return None
        shape = self._shape(return_type, node)
        if shape is None or not isinstance(result, list | tuple):
            return None
        try:
            out = self._items(shape, inner, result, info)
        except Exception:  # any error: graphql-core reports it, from the start
            return None
        self.completed += 1
        return out

    def _shape(self, return_type: GraphQLList[Any], node: FieldNode) -> Shape | None:
        seen = self._shapes.get(id(node))
        if seen is not None and seen[0] is node:
            return seen[1]
        try:
            shape: Shape | None = self._builder.shape(return_type, node.selection_set)
        except Unplanned:
            shape = None
        item = shape.item if shape is not None else None
        if item is None or not item.fields or any(f.get is None or f.shape.serialize is None for f in item.fields):
            shape = None  # only attributes read as leaves
        if len(self._shapes) >= _MOST_SHAPES:
            self._shapes.clear()
        self._shapes[id(node)] = (node, shape)
        return shape

    @staticmethod
    def _items(shape: Shape, gtype: GraphQLObjectType, values: Iterable[Any],
               info: GraphQLResolveInfo[Any]) -> list[Any]:
        item = shape.item
        assert item is not None
        ctx, is_type_of = info.context, gtype.is_type_of
        below: Level = []  # (objects under the leaves: none, or the list goes back)
        out: list[Any] = []
        for value in values:
            if value is None:
                if item.non_null:
                    raise Unplanned
                out.append(None)
                continue
            if is_type_of is not None and is_type_of(value, info) is not True:
                raise Unplanned
            for rule in item.rules:
                rule.check(ctx, value, NO_ARGUMENTS)
            out.append({f.key: complete(f.shape, f.get(value), below) for f in item.fields})  # type: ignore[misc]
        if below:
            raise Unplanned
        return out


def install(schema: GraphQLSchema) -> ListCompleter:
    completer = ListCompleter(schema)
    schema.extensions[_KEY] = completer
    return completer


def completer_of(schema: GraphQLSchema) -> ListCompleter | None:
    found = (schema.extensions or {}).get(_KEY)
    return found if isinstance(found, ListCompleter) else None


__all__ = ["LISTED", "ListCompleter", "completer_of", "install"]
