"""The GraphQL engine's own floor: graphql-core executing a document over answers already in memory.

A reference for the lookup cells (issue 13): the same document, the registry's schema with no resolvers of its own
(graphql-core's default resolver reads each answer's keys), parsed and validated once, no HTTP, no database, no
policy, no DataLoader. What graphql-core's execution costs per request whatever the server around it does: the
registry's CPU per lookup cannot go below it plus the HTTP floor (``GET /healthz``) while graphql-core executes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

import graphql


def client_schema(schema: graphql.GraphQLSchema) -> graphql.GraphQLSchema:
    """The same types and fields with graphql-core's default resolvers (rebuilt from the schema's introspection)."""
    return graphql.build_client_schema(graphql.introspection_from_schema(schema))


Answer = tuple[Mapping[str, Any], dict[str, Any]]  # (the data of a response, the variables it answered)


def execute_ms(schema: graphql.GraphQLSchema, document: str, answers: Sequence[Answer], *, rounds: int = 5) -> float:
    """CPU milliseconds per execution of ``document`` over each (answer's data, variables), the median of ``rounds``
    passes; every execution must give back its answer exactly (else ValueError: the floor would not be the work)."""
    if not answers:
        raise ValueError("no answers to execute over")
    bare = client_schema(schema)
    parsed = graphql.parse(document)
    problems = graphql.validate(bare, parsed)
    if problems:
        raise ValueError(f"the document does not validate against the schema: {problems[0].message}")
    for data, variables in answers:  # checked once, untimed
        result = graphql.execute(bare, parsed, root_value=data, variable_values=variables)
        if isinstance(result, Awaitable) or result.errors or result.data != data:
            raise ValueError(f"graphql-core did not give the answer back: {result!r}"[:300])
    per_pass: list[float] = []
    for _ in range(rounds):
        start = time.process_time()
        for data, variables in answers:
            graphql.execute(bare, parsed, root_value=data, variable_values=variables)
        per_pass.append((time.process_time() - start) * 1000 / len(answers))
    per_pass.sort()
    return per_pass[len(per_pass) // 2]
