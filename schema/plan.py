"""Compiled plans for officer lookups: a document that fits is answered by a plan built once for it, without
graphql-core's generic execution; every other document, and every request a plan cannot answer exactly as
graphql-core would, goes to graphql-core.

Why: a history lookup resolved about 47 fields through graphql-core and strawberry's per-field machinery, more
than half of the server's CPU per lookup (docs/performance.md). A plan walks the document's fields level by
level over the same objects.

What keeps a plan's answer graphql-core's answer:
- every field is checked by ``auth.enforce.FieldRule.check``, the check graphql-core's path runs around every
  resolver: the same grants, the same declared purpose, the same disclosures noted for the query log;
- values come from the same place: the strawberry types' own attributes and resolver methods, the root field's
  ``resolvers.query.officer_by_id``, the request's loaders; leaves are serialized by the schema's own scalar and
  enum types (a ``str`` for a String or an ID, and an enum member, by what those serializers answer, found once per
  plan: ``_shortcut``), and variables and arguments coerced by graphql-core's own functions (string variables
  taken as graphql-core takes them, the other arguments asked of it once per plan: ``_StringArguments``);
- a document is planned only when it validates under the request limits' rules and uses nothing a plan does not
  do (one query, the root field ``officer``, the fields in ``PLANNED`` without arguments, no fragments, directives,
  ``__typename`` or repeated response keys);
- anything a plan cannot answer as graphql-core would (a refusal, a missing purpose, a null where the schema
  promises a value, any error) sends the whole request to graphql-core after forgetting what the plan noted, so
  every error and every partial answer is graphql-core's.
The differential tests (tests/integration/test_compiled_plans.py) compare both paths' answers and query-log
entries for every role and every world of the non-interference corpus.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    VariableNode,
    parse,
    specified_rules,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.schema.schema import validate_document
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionResult

from auth.enforce import FieldRule, field_rule
from registry import metrics
from registry.config import Settings
from resolvers.query import officer_by_id
from schema.context import Context
from schema.limits import DOCUMENT_CACHE_SIZE, cacheable, limit_rules
from store.officer_tree import PARTS

ROOT_TYPE, ROOT_FIELD = "Query", "officer"

#: The fields a plan reads, by type: the officer lookup's tree. A field missing here sends the document to
#: graphql-core (so does any field with arguments given, except the root's ``id`` and ``purpose``).
PLANNED: dict[str, frozenset[str]] = {
    "Officer": frozenset({"id", "names", "primaryName", "dateOfBirth", "certifications", "employment", "records"}),
    "PersonName": frozenset({"kind", "givenName", "middleName", "familyName", "suffix", "fullName"}),
    "Certification": frozenset({"id", "state", "number", "kind", "status", "issuedOn", "expiresOn", "statusReason",
                                "updatedAt", "refresherMonths", "publisher"}),
    "Employment": frozenset({"id", "position", "startDate", "endDate", "separationReason", "agency", "publisher"}),
    "MisconductRecord": frozenset({"id", "kind", "state", "reasonCategory", "actionDate", "status",
                                   "fairProcessAttested", "disputed", "subjectStatement", "narrative",
                                   "caseReference", "updatedAt", "publisher", "agency", "statusHistory"}),
    "StatusChange": frozenset({"fromStatus", "toStatus", "fairProcessAttested", "reason", "changedAt"}),
    "Publisher": frozenset({"id", "kind", "name", "state", "agencyOri"}),
    "Agency": frozenset({"ori", "name", "state", "level"}),
    **dict.fromkeys(("CertificationConnection", "EmploymentConnection", "MisconductRecordConnection"),
                    frozenset({"edges", "pageInfo", "totalCount"})),
    **dict.fromkeys(("CertificationEdge", "EmploymentEdge", "MisconductRecordEdge"), frozenset({"cursor", "node"})),
    "PageInfo": frozenset({"hasNextPage", "endCursor"}),
}


class Unplanned(Exception):
    """The request goes to graphql-core."""


class _Info:
    """What the planned resolvers read of their ``info``: the request's context (any other attribute raises,
    and the request goes to graphql-core)."""

    __slots__ = ("context",)

    def __init__(self, context: Context) -> None:
        self.context = context


@dataclass(frozen=True, slots=True)
class Shape:
    """A field's GraphQL type, as completing a value needs it."""

    non_null: bool
    item: Shape | None = None  # a list of these
    serialize: Callable[[Any], Any] | None = None  # a leaf
    verbatim: Any = None  # (a type) a leaf whose serializer returns a value of exactly this type as it is
    names: dict[Any, str] | None = None  # an enum leaf: the name its serializer gives a member, by its value
    fields: tuple[_Field, ...] = ()  # an object: its selected fields, in the document's order
    rules: tuple[FieldRule, ...] = ()  # an object: the distinct rules of its selected fields (see _distinct)


@dataclass(frozen=True, slots=True)
class _Field:
    key: str  # the response key (alias or name)
    rule: FieldRule
    get: Callable[[Any], Any] | None  # an attribute: its value
    read: Callable[[Any, _Info], Any] | None  # else a resolver method: the value, or perhaps an awaitable of it
    shape: Shape


def _distinct(fields: tuple[_Field, ...]) -> tuple[FieldRule, ...]:
    """The rules to ask of an object, once each. A nested field's rule is asked without arguments, so what it
    answers depends on the caller and the object alone: fields of one type that share one ``Access`` (the policy
    gives most of a type's fields the same one) ask the same question, and asking it again would note the same
    disclosures again, into a set. Free rules ask nothing."""
    seen: dict[int, FieldRule] = {}
    for f in fields:
        rule = f.rule
        if rule.free:
            continue
        if rule.checked or rule.purpose_root:
            raise Unplanned  # a rule that reads arguments: only the root's, asked with them
        seen.setdefault(id(rule.access), rule)  # kind and public follow from the type and the access
    return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class Plan:
    operation: OperationDefinitionNode
    root: FieldNode
    root_field: GraphQLField
    root_rule: FieldRule
    parts: frozenset[str]  # the officer's lists read with it (store.officer_tree.PARTS)
    officer: Shape  # the officer's selected fields
    strings: _StringArguments | None  # the root's arguments without graphql-core, when the variables are strings


@dataclass(frozen=True, slots=True)
class _StringArguments:
    """The root's arguments as graphql-core coerces them, for a document whose variables are all ``ID!`` or
    ``String!`` without defaults and whose root arguments are those variables or literals without variables:
    graphql-core gives a string variable's value as it stands, and every other argument the same whatever the
    variables (``fixed``: computed once by graphql-core itself)."""

    variables: tuple[str, ...]  # every variable the document declares
    fixed: dict[str, Any]  # the arguments not given by a variable
    from_variables: tuple[tuple[str, str], ...]  # (argument, variable)

    def of(self, given: dict[str, Any] | None) -> dict[str, Any] | None:
        """The arguments, or None: graphql-core decides (a variable missing, null or not a string)."""
        if given is None or not all(type(given.get(name)) is str for name in self.variables):
            return None
        args = dict(self.fixed)
        for arg, var in self.from_variables:
            args[arg] = given[var]
        return args


def _plain(definition: Any) -> bool:
    """A strawberry field with nothing around its value (no permission classes, no field extensions)."""
    return definition is not None and not getattr(definition, "permission_classes", None) \
        and not getattr(definition, "extensions", None)


def _reader(definition: Any) -> Callable[[Any, _Info], Any] | None:
    """Reads the field (its strawberry definition) as strawberry's resolver would: its resolver method (self, info
    only); None if it has none (``_getter``) or one a plan cannot call."""
    if not _plain(definition) or definition.base_resolver is None:
        return None
    resolver = definition.base_resolver
    if resolver.root_parameter is not None or resolver.parent_parameter is not None or resolver.self_parameter is None:
        return None
    func = resolver.wrapped_func
    reserved = {resolver.self_parameter.name, *([resolver.info_parameter.name] if resolver.info_parameter else [])}
    if any(p.default is inspect.Parameter.empty for name, p in inspect.signature(func).parameters.items()
           if name not in reserved):
        return None  # an argument without a default: the document would have to give it
    if resolver.info_parameter is None:
        return lambda obj, _info: func(obj)
    info_name = resolver.info_parameter.name
    params = list(inspect.signature(func).parameters.values())
    if len(params) > 1 and params[1].name == info_name and params[1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
        read: Callable[[Any, _Info], Any] = func  # (self, info, ...): called as it stands
        return read
    return lambda obj, info: func(obj, **{info_name: info})


def _getter(definition: Any) -> Callable[[Any], Any] | None:
    """Reads a field without a resolver (its strawberry definition) as strawberry does: the attribute."""
    if not _plain(definition) or definition.base_resolver is not None:
        return None
    return operator.attrgetter(definition.python_name)


def _shortcut(leaf: GraphQLLeafType) -> dict[str, Any]:
    """What a leaf's serializer answers without running it: a String or an ID serializes a ``str`` as it is; a
    strawberry enum a member of its class as the name it finds for the member's value (computed here by its own
    rule, once; keyed by value, since an Enum member's hash is a Python method)."""
    if leaf is GraphQLString or leaf is GraphQLID:
        return {"verbatim": str}
    wrapped = getattr(leaf, "wrapped_cls", None)
    values = getattr(leaf, "values", None)
    if isinstance(wrapped, type) and issubclass(wrapped, enum.Enum) and isinstance(values, dict):
        try:
            names = {m.value: next((n for n, v in values.items() if m.value == v.value), None) for m in wrapped}
        except TypeError:  # a value that cannot be a key
            return {}
        if all(isinstance(n, str) for n in names.values()):
            return {"verbatim": wrapped, "names": names}
    return {}


def _has_variable(node: Any) -> bool:
    if isinstance(node, VariableNode):
        return True
    if isinstance(node, ListValueNode):
        return any(_has_variable(v) for v in node.values)
    if isinstance(node, ObjectValueNode):
        return any(_has_variable(f.value) for f in node.fields)
    return False


class Builder:
    """``allowed``: the fields a shape may read, by type (``PLANNED`` for lookups)."""

    def __init__(self, schema: GraphQLSchema, allowed: dict[str, frozenset[str]] = PLANNED) -> None:
        self.schema, self.allowed = schema, allowed

    def shape(self, gtype: Any, selection: SelectionSetNode | None) -> Shape:
        non_null = isinstance(gtype, GraphQLNonNull)
        inner = gtype.of_type if non_null else gtype
        if isinstance(inner, GraphQLList):
            return Shape(non_null, item=self.shape(inner.of_type, selection))
        if isinstance(inner, GraphQLLeafType):
            if selection is not None:
                raise Unplanned
            return Shape(non_null, serialize=inner.serialize, **_shortcut(inner))
        if isinstance(inner, GraphQLObjectType) and selection is not None:
            fields = self.fields(inner, selection)
            return Shape(non_null, fields=fields, rules=_distinct(fields))
        raise Unplanned  # interfaces, unions

    def fields(self, parent: GraphQLObjectType, selection: SelectionSetNode) -> tuple[_Field, ...]:
        allowed = self.allowed.get(parent.name, frozenset())
        out: list[_Field] = []
        keys: set[str] = set()
        for node in selection.selections:
            if not isinstance(node, FieldNode) or node.directives or node.arguments:
                raise Unplanned
            name = node.name.value
            key = node.alias.value if node.alias else name
            gql_field = parent.fields.get(name)
            if name not in allowed or key in keys or gql_field is None:
                raise Unplanned
            keys.add(key)
            definition: Any = (gql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            get, read = _getter(definition), _reader(definition)
            if get is None and read is None:
                raise Unplanned
            out.append(_Field(key, field_rule(parent.name, name, gql_field.args), get, read,
                              self.shape(gql_field.type, node.selection_set)))
        return tuple(out)

    def plan(self, document: Any) -> Plan:
        operations = document.definitions
        if len(operations) != 1 or not isinstance(op := operations[0], OperationDefinitionNode):
            raise Unplanned
        if op.operation is not OperationType.QUERY or op.directives:
            raise Unplanned
        if any(v.directives for v in op.variable_definitions or ()):
            raise Unplanned
        roots = op.selection_set.selections
        if len(roots) != 1 or not isinstance(root := roots[0], FieldNode) or root.directives:
            raise Unplanned
        query_type = self.schema.query_type
        if query_type is None or root.name.value != ROOT_FIELD or root.selection_set is None:
            raise Unplanned
        root_field = query_type.fields[ROOT_FIELD]
        officer_type = root_field.type
        if isinstance(officer_type, GraphQLNonNull) or not isinstance(officer_type, GraphQLObjectType):
            raise Unplanned
        parts = frozenset(n.name.value for n in root.selection_set.selections
                          if isinstance(n, FieldNode) and n.name.value in PARTS)
        return Plan(op, root, root_field, field_rule(ROOT_TYPE, ROOT_FIELD, root_field.args), parts,
                    self.shape(officer_type, root.selection_set), self.strings(op, root, root_field))

    def strings(self, op: OperationDefinitionNode, root: FieldNode, root_field: GraphQLField
                ) -> _StringArguments | None:
        """The root's arguments by ``_StringArguments``, if the document fits it: asked of graphql-core once, with
        a marker string for each variable, which must come back as the very argument it was given for."""
        definitions = op.variable_definitions or ()
        for d in definitions:
            if d.default_value is not None or d.directives or not isinstance(d.type, NonNullTypeNode) \
                    or not isinstance(d.type.type, NamedTypeNode) or d.type.type.name.value not in ("ID", "String"):
                return None
        from_variables: list[tuple[str, str]] = []
        for a in root.arguments or ():
            if isinstance(a.value, VariableNode):
                from_variables.append((a.name.value, a.value.name.value))
            elif _has_variable(a.value):
                return None
        markers = {d.variable.name.value: f"\x00plan variable {d.variable.name.value}" for d in definitions}
        coerced = get_variable_values(self.schema, definitions, markers)
        if isinstance(coerced, list):
            return None
        try:
            args = get_argument_values(root_field, root, coerced)
        except GraphQLError:
            return None
        if any(args.get(arg) is not markers[var] for arg, var in from_variables):
            return None
        return _StringArguments(tuple(markers), {k: v for k, v in args.items() if k not in dict(from_variables)},
                                tuple(from_variables))


class Planner:
    """Plans by query text (least recently used out), and runs them. ``counts``: requests planned, and requests
    handed to graphql-core by why (for tests and the metrics)."""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.rules = (*specified_rules, *limit_rules(settings.max_depth, settings.max_aliases))
        self.counts: Counter[str] = Counter()
        self.plan_for = functools.lru_cache(maxsize=max(DOCUMENT_CACHE_SIZE, 1))(self._build)

    def _build(self, query: str) -> Plan | None:
        try:
            document = parse(query, max_tokens=self.settings.max_tokens)
        except GraphQLError:
            return None
        if validate_document(self.schema, document, self.rules):
            return None
        try:
            return Builder(self.schema).plan(document)
        except Unplanned:
            return None

    def count(self, outcome: str) -> None:
        self.counts[outcome] += 1
        metrics.child(metrics.graphql_plans, outcome.partition(":")[0]).inc()

    def plan_of(self, query: str, operation_name: str | None) -> Plan | None:
        """The plan of this request's document, if one fits it (and the operation it names)."""
        plan = self.plan_for(query) if cacheable(query) else None
        if plan is None or operation_name is None:
            return plan
        return plan if plan.operation.name is not None and plan.operation.name.value == operation_name else None

    async def execute(self, plan: Plan, variables: dict[str, Any] | None, ctx: Context) -> ExecutionResult | None:
        """The answer by ``plan``, or None: graphql-core answers. ``ctx`` is spent either way (what the plan noted
        stays in it): a request handed over is answered with a context of its own."""
        try:
            data = await self._run(plan, variables, ctx)
            await ctx.flush_disclosures()
        except Exception as error:  # graphql-core answers, with its own errors
            self.count(f"fallback:{type(error).__name__}")
            return None
        self.count("planned")
        return ExecutionResult(data=data, errors=None)

    async def _run(self, plan: Plan, variables: dict[str, Any] | None, ctx: Context) -> dict[str, Any]:
        args = None if plan.strings is None else plan.strings.of(variables)
        if args is None:
            coerced = get_variable_values(self.schema, plan.operation.variable_definitions or (), variables or {})
            if isinstance(coerced, list):
                raise Unplanned
            args = get_argument_values(plan.root_field, plan.root, coerced)
        plan.root_rule.check(ctx, None, args)
        purpose = args.get("purpose")
        officer = await officer_by_id(ctx, str(args["id"]), getattr(purpose, "value", purpose), plan.parts)
        key = plan.root.alias.value if plan.root.alias else ROOT_FIELD
        if officer is None:
            return {key: None}
        out: dict[str, Any] = {}
        await _walk([(plan.officer, officer, out)], _Info(ctx))
        return {key: out}


NO_ARGUMENTS: dict[str, Any] = {}
Level = list[tuple[Shape, Any, dict[str, Any]]]


async def _walk(level: Level, info: _Info) -> None:
    """Completes objects level by level: every field of one level is read before any awaits, so the loaders
    read each level's publishers, agencies and histories in one statement each."""
    ctx = info.context
    while level:
        below: Level = []
        waiting: list[tuple[Any, _Field, dict[str, Any]]] = []
        for shape, obj, out in level:
            for rule in shape.rules:
                rule.check(ctx, obj, NO_ARGUMENTS)
            for f in shape.fields:
                if f.get is not None:
                    value = f.get(obj)
                    leaf = f.shape
                    if type(value) is leaf.verbatim:  # as complete, without the call
                        out[f.key] = value if leaf.names is None else leaf.names[value._value_]
                    else:
                        out[f.key] = complete(leaf, value, below)
                    continue
                value = f.read(obj, info)  # type: ignore[misc]  # (one of get and read is set)
                if isinstance(value, asyncio.Future) and value.done():
                    value = value.result()  # a primed loader key: its error raised as awaiting it would
                if inspect.isawaitable(value):
                    out[f.key] = None  # its place, in the document's order
                    waiting.append((value, f, out))
                else:
                    out[f.key] = complete(f.shape, value, below)
        if waiting:
            values = await asyncio.gather(*(w[0] for w in waiting), return_exceptions=True)
            for value, (_, f, out) in zip(values, waiting, strict=True):
                if isinstance(value, BaseException):
                    raise value
                out[f.key] = complete(f.shape, value, below)
        level = below


def complete(shape: Shape, value: Any, below: Level) -> Any:
    """As graphql-core's complete_value: a null where the schema promises a value is graphql-core's to report."""
    if value is None:
        if shape.non_null:
            raise Unplanned
        return None
    if shape.serialize is not None:
        if type(value) is shape.verbatim:
            return value if shape.names is None else shape.names[value._value_]
        leaf = shape.serialize(value)
        if leaf is None or leaf is Undefined:
            raise Unplanned
        return leaf
    if shape.item is not None:
        if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
            raise Unplanned
        return [complete(shape.item, v, below) for v in value]
    out: dict[str, Any] = {}
    below.append((shape, value, out))
    return out
