"""The field policy covers the whole schema, and denies what it does not name."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from auth import policy
from auth.principal import Principal, Role
from schema import build_schema, sdl


def test_every_field_of_every_type_has_a_policy_entry() -> None:
    schema = build_schema()._schema
    missing = [
        f"{name}.{field}"
        for name, gtype in schema.type_map.items()
        if isinstance(gtype, GraphQLObjectType) and not name.startswith("__")
        for field in gtype.fields
        if field not in policy.FIELDS.get(name, {})
    ]
    assert missing == [], f"fields without a policy entry (deny by default, but say so): {missing}"


def _sendable_enums(schema: GraphQLSchema) -> set[str]:
    """Enums a caller can send: in an argument of any field, or in an input type."""
    found: set[str] = set()

    def walk(gtype: GraphQLInputType, seen: set[str]) -> None:
        named = get_named_type(gtype)
        if isinstance(named, GraphQLEnumType):
            found.add(named.name)
        elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
            seen.add(named.name)
            for field in named.fields.values():
                walk(field.type, seen)

    for name, gtype in schema.type_map.items():
        if isinstance(gtype, GraphQLObjectType) and not name.startswith("__"):
            for field in gtype.fields.values():
                for arg in field.args.values():
                    walk(arg.type, set())
    return found


def test_every_input_field_and_sendable_enum_value_has_a_policy_entry() -> None:
    """Deny by default for what a caller sends, as for what it reads: an unlisted input field or enum value is
    refused to everyone, and this test fails until someone decides who may send it."""
    schema = build_schema()._schema
    inputs = {n: set(t.fields) for n, t in schema.type_map.items()
              if isinstance(t, GraphQLInputObjectType) and not n.startswith("__")}
    enums = {n: set(t.values) for n in _sendable_enums(schema) if isinstance(t := schema.type_map[n], GraphQLEnumType)}
    missing = [f"{t}.{f}" for t, names in {**inputs, **enums}.items() for f in sorted(names)
               if f not in (policy.INPUTS if t in inputs else policy.ENUM_VALUES).get(t, {})]
    assert missing == [], f"input fields or enum values without a policy entry: {missing}"
    stale = [f"{t}.{f}" for table, known in ((policy.INPUTS, inputs), (policy.ENUM_VALUES, enums))
             for t, fields in table.items() for f in fields if f not in known.get(t, set())]
    assert stale == []
    for role in Role:
        who = Principal(role=role, officer_id="OFC-1", publisher_id="p", agency_ori="CA0010000", partner_id="x")
        # searching by SSN: hiring agencies, auditors and publishers only (never partners, officers or the public)
        ssn_search = role in (Role.HIRING_AGENCY, Role.AUDITOR, Role.PUBLISHER)
        assert policy.input_access("OfficerSearchInput", "ssn").allows(who, None) == ssn_search
        assert not policy.input_access("QueryPurpose", "CURIOSITY").allows(who, None)


def test_policy_names_no_field_the_schema_lacks() -> None:
    schema = build_schema()._schema
    stale = [f"{t}.{f}" for t, fields in policy.FIELDS.items() for f in fields
             if not isinstance(schema.type_map.get(t), GraphQLObjectType)
             or f not in schema.type_map[t].fields]  # type: ignore[attr-defined]
    assert stale == []


def test_unknown_fields_and_types_are_denied_to_everyone() -> None:
    for role in Role:
        who = Principal(role=role, officer_id="OFC-1", publisher_id="p", agency_ori="CA0010000", partner_id="x")
        assert not policy.field_access("Officer", "ssn").allows(who, None)
        assert not policy.field_access("Secret", "anything").allows(who, None)
        assert not policy.row_visible("Secret", who, None)


def test_conditions_asked_without_an_object_deny() -> None:
    officer = Principal(role=Role.OFFICER, officer_id="OFC-1")
    assert not policy.SELF.allows(officer, None)
    assert not policy.HIRING_FINAL.allows(Principal(role=Role.HIRING_AGENCY, agency_ori="CA0010000"), None)


def test_no_ssn_anywhere_in_the_readable_schema() -> None:
    schema = build_schema()._schema
    for name, gtype in schema.type_map.items():
        if isinstance(gtype, GraphQLObjectType):
            assert not [f for f in gtype.fields if "ssn" in f.lower()], name


def test_exported_sdl_matches_the_code() -> None:
    exported = Path(__file__).resolve().parents[2] / "schema.graphql"
    assert exported.read_text() == sdl(), "schema.graphql drifted from the code: run `registry schema`"


def test_the_role_set_decides_exactly_as_the_grants_do() -> None:
    """``Access.allows`` answers role-only grants by a set lookup: for every access in every table, every role
    and objects of every shape, it answers as asking each grant in turn would."""
    from auth.policy import AgencyGuard, Guard

    accesses = [*policy.ROWS.values(), *(a for t in (policy.FIELDS, policy.INPUTS, policy.ENUM_VALUES)
                                       for fields in t.values() for a in fields.values())]
    objects = [None, Guard("OFF-1"), Guard("OFF-1", "ca-post", frozenset({"ca-post"}), "FINAL", True),
               Guard("OFF-2", "nv-post", frozenset({"nv-post"}), "PENDING", False), AgencyGuard("CA0010000")]
    callers = [Principal(role=r, subject="s", officer_id="OFF-1", agency_ori="CA0010000", publisher_id="ca-post",
                         partner_id="acme") for r in Role]
    asked = 0
    for access in accesses:
        for who in callers:
            for obj in objects:
                assert access.allows(who, obj) == any(g.allows(who, obj) for g in access.grants), (access, who, obj)
                asked += 1
    assert asked > 1000
    assert policy.ANYONE.roles == frozenset(Role)
    assert policy.AUTHENTICATED.roles == frozenset(r for r in Role if Principal(role=r).authenticated)
