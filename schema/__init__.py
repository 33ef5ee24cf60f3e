"""The GraphQL schema: a federation v2 subgraph with the field policy applied to every resolver."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.federation import Schema
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types
from strawberry.types.info import Info
from strawberry.utils.inspect import get_func_args

from auth.enforce import FieldPolicy, apply_policy
from registry.config import Settings
from registry.errors import BadInput
from resolvers.accreditation import AccreditationQuery
from resolvers.disputes import DisputeQuery
from resolvers.monitoring import MonitoringMutation, MonitoringQuery, Subscription
from resolvers.mutation import Mutation as CoreMutation
from resolvers.partner import PartnerQuery
from resolvers.query import Query as CoreQuery
from resolvers.review import ReviewQuery
from resolvers.training import TrainingQuery
from schema import limits, lists
from schema.plan import Planner

# Each feature contributes its own root fields in its own module; they are merged here.
QUERIES: tuple[type, ...] = (CoreQuery, PartnerQuery, MonitoringQuery, AccreditationQuery, ReviewQuery,
                             TrainingQuery, DisputeQuery)
MUTATIONS: tuple[type, ...] = (CoreMutation, MonitoringMutation)
Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)


class _ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Lets what a request built go when its response is built. graphql-core's execution context refers to itself
    (its resolve-info helpers are its own bound methods), so each request's whole object graph (context, loaders,
    rows, results) waited for the garbage collector, which then ran often and long (docs/performance.md). The
    helpers are only used while fields resolve; a subscription event runs on a copy, so the subscription keeps
    its own."""

    def build_response(self, data: Any) -> Any:
        try:
            return super().build_response(data)
        finally:
            self.async_helpers = None  # type: ignore[assignment]

    def complete_list_value(self, return_type: Any, field_details_list: Any, info: Any, path: Any, result: Any,
                            *rest: Any) -> Any:
        """A list of plain results (a publish batch's) by ``schema.lists`` when it can, else graphql-core's. (The
        field's nodes come as graphql-core 3.3's details, each with its node and defer usage, or as 3.2's nodes.)"""
        completer = lists.completer_of(self.schema)
        if completer is not None and len(field_details_list) == 1:
            details = field_details_list[0]
            if getattr(details, "defer_usage", None) is None:
                done = completer.complete(return_type, getattr(details, "node", details), info, result)
                if done is not None:
                    return done
        return super().complete_list_value(return_type, field_details_list, info, path, result, *rest)


def _drop_tracebacks(error: BaseException) -> None:
    """An error's traceback holds the frames that raised it, and they hold the request (its context, its
    executor, the errors list holding the error): a cycle left to the garbage collector. Once the error is
    logged, nothing reads the traceback again."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        e.__traceback__ = None
        todo += [e.__cause__, e.__context__, getattr(e, "original_error", None)]


class RegistrySchema(Schema):
    """Logs only unexpected errors; refusals and client mistakes are answers, not incidents. ``planner``: the
    compiled plans for officer lookups (schema/plan.py), which the HTTP endpoint tries before this schema's
    executor (None when turned off)."""

    planner: Planner | None = None

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            limits.log_if_unexpected(error)
            _drop_tracebacks(error)

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        """A representation that is not exactly an entity's ``__typename`` and key fields is the caller's mistake."""
        results: list[FederationAny] = []
        for rep in representations:
            problem = self._representation_problem(rep)
            results.append(FederationAny(BadInput(problem)) if problem
                           else super().entities_resolver(info, [rep])[0])
        return results

    def _representation_problem(self, rep: Any) -> str | None:
        if not isinstance(rep, dict) or not isinstance(rep.get("__typename"), str):
            return "a representation must be an object with a __typename"
        type_name = rep["__typename"]
        graphql_type = self.schema_converter.type_map.get(type_name)
        origin = getattr(getattr(graphql_type, "definition", None), "origin", None)
        resolve = getattr(origin, "resolve_reference", None)
        if resolve is None:
            return f"{type_name} is not an entity of this subgraph"
        keys = set(get_func_args(resolve)) - {"info", "cls"}
        given = set(rep) - {"__typename"}
        if given != keys or not all(isinstance(rep[k], str) for k in keys):
            wanted = ", ".join(sorted(keys))
            return f"the {type_name} representation must have exactly its key field(s) {wanted} (strings)"
        return None


def build_schema(settings: Settings | None = None) -> RegistrySchema:
    settings = settings or Settings()
    exts: list[Any] = [FieldPolicy, *limits.extensions(settings)]
    schema = RegistrySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=exts,
        config=StrawberryConfig(disable_field_suggestions=True),
        federation_version="2.11",
        execution_context_class=_ExecutionContext,
    )
    apply_policy(schema._schema)
    if settings.compiled_plans:
        schema.planner = Planner(schema._schema, settings)
        lists.install(schema._schema)
    return schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


__all__ = ["build_schema", "sdl", "strawberry"]
