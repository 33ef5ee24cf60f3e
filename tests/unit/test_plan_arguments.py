"""A plan takes the root's arguments without graphql-core when the variables are strings
(schema.plan._StringArguments): the arguments must be those graphql-core gives, and anything else graphql-core's."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_argument_values, get_variable_values

from registry.config import Settings
from schema import build_schema
from schema.plan import Planner

SCHEMA = build_schema()._schema
PLANNER = Planner(SCHEMA, Settings())

FITS = {
    "literal purpose": "query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { id } }",
    "no purpose": "query($id: ID!) { officer(id: $id) { id } }",
    "id as a literal": 'query { officer(id: "OFC-1", purpose: OVERSIGHT_AUDIT) { id } }',
    "aliased": "query($id: ID!) { who: officer(purpose: CONTINUOUS_MONITORING, id: $id) { id } }",
}
NOT_FITTING = {
    "purpose by variable": "query($id: ID!, $p: QueryPurpose) { officer(id: $id, purpose: $p) { id } }",
    "nullable variable with a default": 'query($id: ID = "OFC-1") { officer(id: $id) { id } }',
    "default": 'query($id: ID! = "OFC-1") { officer(id: $id) { id } }',
}


def _graphql_core(query: str, variables: dict[str, Any]) -> dict[str, Any]:
    plan = PLANNER.plan_for(query)
    assert plan is not None
    coerced = get_variable_values(SCHEMA, plan.operation.variable_definitions or (), variables)
    assert not isinstance(coerced, list)
    return get_argument_values(plan.root_field, plan.root, coerced)


@pytest.mark.parametrize("what", sorted(FITS))
def test_string_variables_give_graphql_cores_arguments(what: str) -> None:
    plan = PLANNER.plan_for(FITS[what])
    assert plan is not None and plan.strings is not None, what
    for variables in ({"id": "OFC-9"}, {"id": ""}, {"id": "ä", "extra": 1}):
        if "$id" not in FITS[what]:
            variables = {k: v for k, v in variables.items() if k == "extra"}
        assert plan.strings.of(variables) == _graphql_core(FITS[what], variables), (what, variables)


@pytest.mark.parametrize("variables", [None, {}, {"id": None}, {"id": 12}, {"id": ["OFC-1"]}, {"x": "OFC-1"}])
def test_anything_else_is_graphql_cores(variables: dict[str, Any] | None) -> None:
    plan = PLANNER.plan_for(FITS["literal purpose"])
    assert plan is not None and plan.strings is not None
    assert plan.strings.of(variables) is None


@pytest.mark.parametrize("what", sorted(NOT_FITTING))
def test_other_documents_leave_arguments_to_graphql_core(what: str) -> None:
    plan = PLANNER.plan_for(NOT_FITTING[what])
    assert plan is not None, what  # planned, but its arguments are graphql-core's
    assert plan.strings is None, what
