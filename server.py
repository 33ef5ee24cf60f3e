"""The ASGI application: GraphQL at /graphql, the log's checkpoint and key, health and readiness probes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
import weakref
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from auth.disclosure_log import DisclosureLog
from auth.principal import ANONYMOUS, Principal
from auth.tokens import AuthError
from credentials import attestation
from ledger import checkpointer
from monitoring import delivery, live
from registry import database, jsonfast, logs, metrics, migrate
from registry.config import Settings
from registry.replicas import CURRENT_LSN, Replicas, format_lsn, parse_lsn
from registry.services import Services
from schema import build_schema
from schema.context import Context
from schema.enums import QueryPurpose
from schema.loaders import Loaders
from schema.plan import Planner
from web import background_report, graphiql, persisted_queries, read_routing, ws_auth
from web import metrics as metrics_route
from web import public as public_routes
from web.observability import OPERATION_KEY, RequestIds
from web.request_guard import BodyError, RequestGuard, checked_operation, replay
from web.responses import graphql_error

log = logging.getLogger("registry.server")
_CONTEXT_KEY = "registry_context"
_KIND_KEY = "graphql_operation_kind"
#: A serving process collects its young generation after this many more allocations than frees (CPython's default
#: is 700). Requests leave no cyclic garbage (tests/integration/test_request_garbage.py), so what a young pass finds
#: is a request's live objects; at this threshold a serving process under load runs almost none.
YOUNG_COLLECTION_THRESHOLD = 20_000
PURPOSE_HEADER = "registry-purpose"
SUBGRAPH_SECRET_HEADER = "registry-subgraph-secret"  # noqa: S105 (a header name, not a secret)


class State:
    """What the app holds for its lifetime: settings, services and the pool."""

    def __init__(self, settings: Settings, services: Services, pool: asyncpg.Pool | None,
                 worker: int | None = None) -> None:
        self.settings = settings
        self.services = services
        self.pool = pool
        self.worker = worker  # which of `registry serve --workers N` this is (None: the only process)
        self.leader = False   # runs the background jobs (database.while_leader)
        self.replicas: Replicas | None = None  # DATABASE_REPLICA_URLS, started with the app
        self.write_marks = read_routing.WriteMarks()  # callers' last write positions (read-your-writes)
        self._disclosure_log: DisclosureLog | None = None

    @property
    def disclosure_log(self) -> DisclosureLog:
        """Concurrent requests' query-log entries, committed together (auth.disclosure_log)."""
        assert self.pool is not None, "the database pool is not ready"
        if self._disclosure_log is None:
            self._disclosure_log = DisclosureLog(self.pool)
        return self._disclosure_log


class Authenticate:
    """Turn the bearer token into a Principal before GraphQL runs; a bad token is a 401, never anonymous."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        secret = self.state.settings.subgraph_secret
        if secret is not None and isinstance(self.app, RegistryGraphQL) and not hmac.compare_digest(
            headers.get(SUBGRAPH_SECRET_HEADER, "").encode(), secret.encode()
        ):  # the subgraph answers only its router (docs/federation.md); checked before any token
            await graphql_error(403, "FORBIDDEN", "this subgraph answers only its router")(scope, receive, send)
            return
        principal: Principal = ANONYMOUS
        auth = headers.get("authorization")
        if auth is not None:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                await graphql_error(401, "UNAUTHENTICATED", "use an Authorization: Bearer <token> header")(
                    scope, receive, send
                )
                return
            try:
                principal = await self.state.services.verifier.verify(token.strip())
            except AuthError as err:
                await graphql_error(401, "UNAUTHENTICATED", err.message)(scope, receive, send)
                return
        purpose = headers.get(PURPOSE_HEADER)
        if purpose is not None and purpose not in QueryPurpose._value2member_map_:
            allowed = ", ".join(QueryPurpose._value2member_map_)
            refusal = graphql_error(400, "BAD_USER_INPUT", f"Registry-Purpose must be one of {allowed}")
            await refusal(scope, receive, send)
            return
        raw_lsn = headers.get(read_routing.MIN_LSN_HEADER)
        try:
            min_lsn = None if raw_lsn is None else parse_lsn(raw_lsn)
        except ValueError:
            await graphql_error(400, "BAD_USER_INPUT", "Registry-Min-LSN must be a WAL position such as 0/16B3748, "
                                "as a mutation's Registry-LSN header gave it")(scope, receive, send)
            return
        scope.setdefault("state", {})
        scope["state"]["principal"] = principal
        scope["state"]["purpose"] = purpose
        scope["state"]["min_lsn"] = min_lsn
        await self.app(scope, receive, send)


#: How stale a worker's pool gauges may be at a scrape (the scraped worker sets its own when scraped).
POOL_GAUGE_SECONDS = 0.1


def _context(state: dict[str, Any]) -> Context | None:
    ref: weakref.ref[Context] | None = state.get(_CONTEXT_KEY)
    return None if ref is None else ref()


def _json_operation(scope: Scope, body: bytes) -> dict[str, Any] | None:
    """The operation of a plain JSON POST, as strawberry's view would read it (the request guard read it and checked
    its keys' types: ``request_guard.checked_operation``); None for anything else (other content types, streamed
    answers asked for, no query, extensions)."""
    headers = Headers(scope=scope)
    accept = headers.get("accept", "")
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json" \
            or "multipart" in accept or "text/event-stream" in accept:
        return None
    op = checked_operation(scope, body)
    if op is None or op.get("query") is None or op.get("extensions"):
        return None
    return op


class RegistryGraphQL(GraphQL[Context, None]):
    def __init__(self, state: State, **kwargs: Any) -> None:
        schema = build_schema(state.settings)
        super().__init__(schema, **kwargs)
        self.state = state
        self.persisted = persisted_queries.QueryStore()  # this process's, one store per caller
        self.planner = schema.planner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A POST may name a query it sent before by its hash (web/persisted_queries.py)."""
        if scope["type"] == "http" and scope["method"] == "POST":
            principal: Principal = scope.get("state", {}).get("principal", ANONYMOUS)
            caller = (principal.issuer, principal.subject) if principal.authenticated else None
            try:
                scope, body = await persisted_queries.rewrite(self.persisted, caller, scope, receive)
            except BodyError as err:
                await graphql_error(err.status, err.code, err.message)(scope, receive, send)
                return
            receive = replay(body, receive)
            if self.planner is not None and await self._answered_by_plan(self.planner, scope, body, receive, send):
                return
        await super().__call__(scope, receive, send)

    async def _answered_by_plan(self, planner: Planner, scope: Scope, body: bytes, receive: Receive,
                                send: Send) -> bool:
        """Answers a JSON POST whose query a compiled plan fits (schema/plan.py) the way strawberry's view would (the
        same context, routing, result processing and response), without the view's generic request handling. False:
        not answered; strawberry's view and graphql-core answer the request from the start, with a context of their
        own."""
        op = _json_operation(scope, body)
        plan = None if op is None else planner.plan_of(op["query"], op.get("operationName"))
        if op is None or plan is None:
            planner.count("unplanned")
            return False
        request = Request(scope, receive)
        sub_response = await self.get_sub_response(request)
        ctx = await self.get_context(request, sub_response)
        await self._route(request, op["query"], op.get("operationName"))
        result = await planner.execute(plan, op.get("variables"), ctx)
        if result is None:
            return False
        response = self.create_response(await self.process_result(request, result), sub_response)
        await response(scope, receive, send)
        return True

    def encode_json(self, data: object) -> bytes:
        return jsonfast.compact_bytes(data)

    async def get_context(self, request: Any, response: Any) -> Context:
        assert self.state.pool is not None, "the database pool is not ready"
        metrics_route.observe_pool("primary", self.state.pool, every=POOL_GAUGE_SECONDS)
        ctx = Context(
            principal=request.state.principal,
            pool=self.state.pool,
            settings=self.state.settings,
            loaders=Loaders(self.state.pool),
            services=self.state.services,
            purpose=request.state.purpose,
            request=request,
            response=response,
            disclosure_log=self.state.disclosure_log,
        )
        # parse_http_body routes its reads once the operation is known. A weak reference: the scope holding the
        # context that holds the request would be a cycle, left to the garbage collector (schema._ExecutionContext).
        request.scope["state"][_CONTEXT_KEY] = weakref.ref(ctx)
        return ctx

    async def parse_http_body(self, request: Any) -> Any:
        """Leaves the operation name where the access log and the latency metric find it, and sends the reads
        of a replica-eligible query to a replica (web/read_routing.py)."""
        data = await super().parse_http_body(request)
        starlette_request = getattr(request, "_request", None)  # cross_web's adapter; a test reads the label
        if isinstance(data, list) or not isinstance(starlette_request, Request):
            return data
        await self._route(starlette_request, data.query, data.operation_name)
        return data

    async def _route(self, request: Request, query: str | None, operation_name: str | None) -> None:
        state = request.scope.setdefault("state", {})
        kind, state[OPERATION_KEY] = read_routing.operation_of(query, operation_name)
        state[_KIND_KEY] = kind
        replicas = self.state.replicas
        ctx = _context(state)
        if replicas is not None and ctx is not None:
            read = await read_routing.read_pool_for(replicas, ctx.principal, kind, state.get("min_lsn"),
                                                    self.state.write_marks)
            if read is not None:
                ctx.read_pool = read
                ctx.loaders = Loaders(read)

    async def process_result(self, request: Any, result: Any) -> Any:
        """Counts errors by code; an internal error carries the request ID, so a user can quote it to us."""
        out = await super().process_result(request, result)
        errors: list[dict[str, Any]] = out.get("errors") or []  # type: ignore[assignment]
        for error in errors:
            exts = error.setdefault("extensions", {})
            code = str(exts.get("code", "INTERNAL_SERVER_ERROR"))
            metrics.graphql_errors.labels(code).inc()
            if code == "INTERNAL_SERVER_ERROR":
                exts["requestId"] = logs.request_id.get()
        state = request.scope.get("state", {})
        ctx = _context(state)
        if self.state.replicas is not None and ctx is not None and state.get(_KIND_KEY) == "mutation":
            lsn = int(await ctx.pool.fetchval(CURRENT_LSN))  # after the mutation committed: read-your-writes
            self.state.write_marks.remember(ctx.principal, lsn)
            ctx.response.headers[read_routing.LSN_HEADER] = format_lsn(lsn)
        return out

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL with its assets from this server, not a CDN: it works offline (web/graphiql.py)."""
        return graphiql.page(request)

    async def on_ws_connect(self, context: Context) -> Any:
        """graphql-transport-ws connection_init: authenticate (token in the payload or the upgrade header)."""
        return await ws_auth.authenticate_connection(context, self.state.services.verifier)


def create_app(
    settings: Settings | None = None,
    *,
    pool: asyncpg.Pool | None = None,
    services: Services | None = None,
    database_url: str | None = None,
    worker: int | None = None,
    freeze_heap: bool = False,
) -> Starlette:
    """Build the app. Pass ``pool`` to share one (tests); otherwise it connects at start-up. ``freeze_heap``
    (the serving processes): once started, what the process holds (modules, the schema, the pool) is moved out
    of the garbage collector's sight (``gc.freeze``), so that its full passes do not walk it: they were 150–210 ms
    pauses, the p99 of a lookup at 8 clients (docs/performance.md). Requests leave no cyclic garbage of their own
    (schema._ExecutionContext, and RegistrySchema.process_errors for answers with errors), so the young generation
    is collected only after ``YOUNG_COLLECTION_THRESHOLD`` more objects than were freed, not 700: at 700, eight
    lookups in flight started about one young pass per three requests, 3 % of the server's CPU, finding nothing."""
    settings = settings or Settings.from_env()
    state = State(settings, services or Services.build(settings), pool, worker)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        owned = None
        if state.pool is None:
            dsn = database_url or settings.database_url
            if dsn is None:
                raise RuntimeError("no database: set DATABASE_URL or start through `registry serve`")
            owned = state.pool = await database.create_pool(dsn, max_size=settings.db_pool_size)
        pool = state.pool
        if settings.replica_urls:
            state.replicas = Replicas(settings.replica_urls, max_lag=settings.replica_max_lag,
                                      wait_seconds=settings.replica_wait, pool_size=settings.db_pool_size)
            await state.replicas.start(pool)
        every = settings.checkpoint_seconds  # 0 turns the timer off

        def jobs() -> list[Coroutine[Any, Any, None]]:
            out = []
            if every > 0:
                out.append(checkpointer.run_timer(pool, state.services.log_signer, settings.log_origin, every))
            if settings.monitoring.worker:  # webhook delivery from the outbox
                out.append(delivery.Worker(pool, state.services.webhook_keys.signers, settings.monitoring).run())
            return out

        def lead(now: bool) -> None:
            state.leader = now

        # once across every process on this database: the holder of database.LEADER_LOCK runs them
        elected = (asyncio.create_task(database.while_leader(pool, jobs, lead))
                   if every > 0 or settings.monitoring.worker else None)
        if freeze_heap:
            gc.collect()
            gc.freeze()
            gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            if elected is not None:
                elected.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await elected
            await live.release(pool)  # subscriptions end with the app: their listening connection goes back
            if state.replicas is not None:
                await state.replicas.close()
                state.replicas = None
            if owned is not None:
                await owned.close()

    graphql = RegistryGraphQL(
        state,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=False,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=10,
    )

    async def outage(_request: Request, err: Exception) -> Response:
        log.warning("database unavailable: %s", err)
        return JSONResponse({"error": {"code": "SERVICE_UNAVAILABLE", "message": database.UNAVAILABLE}},
                            status_code=503, headers={"Retry-After": "5"})

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        try:
            assert state.pool is not None
            async with state.pool.acquire() as conn:
                todo = await migrate.pending(conn)
        except migrate.MigrationError as err:  # e.g. the database is at a newer release's schema than this one
            log.warning("readiness check failed: %s", err)
            return JSONResponse({"status": "unavailable", "reason": str(err)}, status_code=503)
        except Exception as err:  # any failure means "not ready"; say why without internals
            log.warning("readiness check failed: %s", err)
            return JSONResponse(
                {"status": "unavailable", "reason": "database unreachable or not migrated"}, status_code=503
            )
        if todo:
            return JSONResponse(
                {"status": "unavailable", "reason": "migrations pending", "pending": [m.name for m in todo]},
                status_code=503,
            )
        # which worker answered, and whether it runs the background jobs (checkpoint timer, webhook delivery)
        body: dict[str, Any] = {"status": "ready", "worker": state.worker, "leader": state.leader,
                                "gcFrozenObjects": gc.get_freeze_count()}  # freeze_heap took effect
        if state.replicas is not None:  # a lagging replica is not a reason to be unready: the primary answers
            body["replicas"] = state.replicas.status()
        return JSONResponse(body)

    async def checkpoint(_request: Request) -> Response:
        assert state.pool is not None  # signed on demand: publishes sign at most once per checkpoint interval
        latest = await checkpointer.on_demand(state.pool, state.services.log_signer, settings.log_origin)
        if latest is None:
            return PlainTextResponse("no checkpoint has been signed yet\n", status_code=404)
        return PlainTextResponse(latest.note, headers={"Cache-Control": "no-cache"})

    async def log_key(_request: Request) -> Response:
        return PlainTextResponse(state.services.log_signer.verifier_key_string())

    async def log_keys(_request: Request) -> Response:  # current, retiring, retired: one per line
        return PlainTextResponse("".join(k + "\n" for k in state.services.log_signer.verifier_key_strings()))

    async def admin_keys(_request: Request) -> Response:  # verify logged registrations (registry audit --admin-keys)
        return JSONResponse(state.services.admin_keys.jwks(), headers={"Cache-Control": "public, max-age=300"})

    async def webhook_key(_request: Request) -> Response:
        return JSONResponse(state.services.webhook_keys.document(), headers={"Cache-Control": "public, max-age=300"})

    async def attestation_jwks(_request: Request) -> Response:
        return JSONResponse(state.services.attestation_jwks(), headers={"Cache-Control": "public, max-age=300"})

    async def vc_issuer(_request: Request) -> Response:  # SD-JWT VC key discovery, keys by value
        return JSONResponse(attestation.issuer_metadata(settings.attestation_issuer, state.services.attestation_key,
                                                        *state.services.attestation_older_keys),
                            headers={"Cache-Control": "public, max-age=300"})

    routes = [
        # first: nearly every request is a POST /graphql, and routes are matched in order
        Route("/graphql", RequestGuard(Authenticate(graphql, state), max_body_bytes=settings.max_body_bytes),
              methods=["GET", "POST"]),
        Route("/checkpoint", checkpoint),
        Route("/.well-known/registry-log-key", log_key),
        Route("/.well-known/registry-log-keys", log_keys),
        Route("/.well-known/registry-admin-keys", admin_keys),
        Route("/.well-known/jwks.json", attestation_jwks),
        Route(attestation.issuer_metadata_path(settings.attestation_issuer), vc_issuer),
        Route("/healthz", healthz),
        Route("/metrics", metrics_route.endpoint(settings, lambda: state.pool, lambda: state.replicas)),
        Route("/readyz", readyz),
        *public_routes.routes(state, lambda app: Authenticate(app, state)),  # EO 13929: /public, CSV exports
        background_report.route(state, graphql.schema, lambda app: Authenticate(app, state)),  # PDF report
        Route("/.well-known/webhook-key", webhook_key),
        WebSocketRoute("/graphql", Authenticate(graphql, state)),  # subscriptions (graphql-transport-ws)
        *([graphiql.assets()] if settings.graphiql else []),  # GraphiQL's JS/CSS at /graphiql/static
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(RequestIds)],
                    exception_handlers=dict.fromkeys(database.OUTAGES, outage))
    app.state.registry = state
    app.state.planner = graphql.planner  # compiled lookups (None: turned off)
    return app
