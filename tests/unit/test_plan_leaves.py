"""A plan answers some leaves without their serializer (schema.plan._shortcut): the answer must be the serializer's."""

from __future__ import annotations

import enum

from graphql import GraphQLEnumType, GraphQLID, GraphQLString

from schema import build_schema
from schema.plan import _shortcut


def test_every_enum_member_gets_its_serializers_name() -> None:
    schema = build_schema()._schema
    checked = 0
    for gtype in schema.type_map.values():
        if not isinstance(gtype, GraphQLEnumType) or gtype.name.startswith("__"):
            continue
        short = _shortcut(gtype)
        wrapped = getattr(gtype, "wrapped_cls", None)
        assert isinstance(wrapped, type) and issubclass(wrapped, enum.Enum), gtype.name
        assert short["verbatim"] is wrapped and set(short["names"]) == {m.value for m in wrapped}
        for member in wrapped:
            assert short["names"][member._value_] == gtype.serialize(member)
            checked += 1
    assert checked > 40


def test_strings_and_ids_are_their_own_answer() -> None:
    for leaf in (GraphQLString, GraphQLID):
        assert _shortcut(leaf) == {"verbatim": str}
        assert leaf.serialize("OFC-1") == "OFC-1"


def test_other_scalars_always_run_their_serializer() -> None:
    schema = build_schema()._schema
    for name in ("Int", "Boolean", "Float", "Date", "DateTime"):
        if name in schema.type_map:
            assert _shortcut(schema.type_map[name]) == {}, name  # type: ignore[arg-type]
