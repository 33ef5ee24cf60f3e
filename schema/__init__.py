"""The GraphQL schema: a federation v2 subgraph with the field policy applied to every resolver."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.federation import Schema
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from auth.enforce import FieldPolicy
from registry.config import Settings
from resolvers.accreditation import AccreditationQuery
from resolvers.monitoring import MonitoringMutation, MonitoringQuery, Subscription
from resolvers.mutation import Mutation as CoreMutation
from resolvers.partner import PartnerQuery
from resolvers.query import Query as CoreQuery
from resolvers.review import ReviewQuery
from schema import limits

# Each feature contributes its own root fields in its own module; they are merged here.
QUERIES: tuple[type, ...] = (CoreQuery, PartnerQuery, MonitoringQuery, AccreditationQuery, ReviewQuery)
MUTATIONS: tuple[type, ...] = (CoreMutation, MonitoringMutation)
Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)


class RegistrySchema(Schema):
    """Logs only unexpected errors; refusals and client mistakes are answers, not incidents."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            limits.log_if_unexpected(error)


def build_schema(settings: Settings | None = None) -> Schema:
    settings = settings or Settings()
    exts: list[Any] = [FieldPolicy, *limits.extensions(settings)]
    return RegistrySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=exts,
        config=StrawberryConfig(disable_field_suggestions=True),
        federation_version="2.11",
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"


__all__ = ["build_schema", "sdl", "strawberry"]
