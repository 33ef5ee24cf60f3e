"""resolvers.mutation builds EventSubmission from its input value itself (strawberry's ``from_input`` hook), for
speed: it must build exactly what strawberry's own conversion builds, for every shape of input graphql-core lets
through (the SSN given, null, left out), alone and in a list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryList

# isort: off
import schema  # (first: resolvers are imported through the schema package, which imports them back)
from resolvers.mutation import EventSubmission
# isort: on

VALUES = [{"jws": "a.b.c", "ssn": "123-45-6789"}, {"jws": "d.e.f", "ssn": None}, {"jws": "g.h.i"}]
DEFINITION: Any = EventSubmission.__strawberry_definition__  # type: ignore[attr-defined]
SCALARS = schema.build_schema().schema_converter.scalar_registry  # the registry's own


def _both(convert: Callable[[], Any]) -> tuple[Any, Any]:
    """(with the hook, with strawberry's own conversion)."""
    ours = convert()
    hook, DEFINITION.from_input = DEFINITION.from_input, None
    try:
        theirs = convert()
    finally:
        DEFINITION.from_input = hook
    return ours, theirs


def test_the_hook_is_set() -> None:
    assert DEFINITION.from_input is not None


@pytest.mark.parametrize("value", VALUES)
def test_each_value_is_built_as_strawberry_builds_it(value: dict[str, Any]) -> None:
    ours, theirs = _both(lambda: convert_argument(value, EventSubmission, SCALARS, StrawberryConfig()))
    assert type(ours) is type(theirs) is EventSubmission and vars(ours) == vars(theirs)


def test_a_list_is_built_as_strawberry_builds_it() -> None:
    ours, theirs = _both(lambda: convert_argument(VALUES, StrawberryList(EventSubmission), SCALARS, StrawberryConfig()))
    assert [vars(x) for x in ours] == [vars(x) for x in theirs] == [
        {"jws": "a.b.c", "ssn": "123-45-6789"}, {"jws": "d.e.f", "ssn": None}, {"jws": "g.h.i", "ssn": None}]
