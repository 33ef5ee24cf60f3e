"""The field policy covers the whole schema, and denies what it does not name."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLObjectType

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
