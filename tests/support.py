"""A test world: real tokens from a test issuer, real publisher keys, HTTP through the ASGI app."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
import httpx
import pytest
from joserfc.jwk import OKPKey

from auth.dev_issuer import create_issuer_key, mint_token, write_public_jwks
from auth.tokens import TokenVerifier, TrustedIssuer
from ledger import admin_key
from ledger.events import generate_ed25519_jwk, public_jwk_dict, sign_event
from registry.config import Settings
from registry.services import Services
from server import create_app

ISSUER = "https://idp.test"
KEYS_VALID_FROM = datetime(2015, 1, 1, tzinfo=UTC)
AUDIENCE = "officer-registry"

AGENCIES = [
    ("CA0010000", "Sunnyvale Department of Public Safety", "CA", "LOCAL"),
    ("CA0190000", "Los Angeles County Sheriff", "CA", "LOCAL"),
    ("TX2270000", "Austin Police Department", "TX", "LOCAL"),
    ("WA0170000", "Seattle Police Department", "WA", "LOCAL"),
]
PUBLISHERS = [
    ("ca-post", "POST_BOARD", "California Commission on POST", "CA", None),
    ("tx-tcole", "POST_BOARD", "Texas Commission on Law Enforcement", "TX", None),
    ("sunnyvale-dps", "AGENCY", "Sunnyvale DPS", None, "CA0010000"),
    ("austin-pd", "AGENCY", "Austin Police Department", None, "TX2270000"),
]
#: Log entries ``World.setup`` makes before any event: one signed registration per agency, per publisher and per
#: publisher key (ledger.admin_entries).
SETUP_ENTRIES = len(AGENCIES) + 2 * len(PUBLISHERS)


def free_port() -> int:
    """A loopback port nothing listens on now (for a server a test starts, or a peer that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def missing_prerequisite(what: str) -> NoReturn:
    """A tool the suite needs is absent: in CI (CI=true) that fails the run, since .ci/run installs it; on a
    developer's machine the test is skipped, saying what to install."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run every test, but {what} is missing: .ci/run installs it", pytrace=False)
    pytest.skip(f"SKIPPED for lack of {what} (CI installs it and fails without it)")


@contextlib.asynccontextmanager
async def second_database(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """Another migrated database on the same server, dropped afterwards (two registries side by side)."""
    from registry import database as db
    from registry import migrate

    name = "registry_2nd_" + secrets.token_hex(4)
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(database_url)._replace(path="/" + name))
    pool = await db.create_pool(url, min_size=1, max_size=4)
    try:
        async with pool.acquire() as conn:
            await migrate.migrate(conn)
        yield pool
    finally:
        await pool.close()
        admin = await asyncpg.connect(database_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class World:
    def __init__(self, pool: asyncpg.Pool, tmp: Path, **settings: Any) -> None:
        self.pool = pool
        self.issuer_key = create_issuer_key(tmp / "issuer.jwk")
        write_public_jwks(self.issuer_key, tmp / "jwks.json")
        verifier = TokenVerifier([TrustedIssuer(ISSUER, tmp / "jwks.json", None, AUDIENCE)])
        self.settings = Settings(data_dir=tmp, audience=AUDIENCE, **settings)
        # the data directory's admin key, as the server, the demo loader and the CLI there would use
        self.services = Services(ssn_key=b"k" * 32, verifier=verifier, admin_keys=admin_key.load_or_create_keys(
            self.settings.secrets_dir / admin_key.DEFAULT_FILE))
        self.app = create_app(self.settings, pool=pool, services=self.services)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://registry")
        self.keys: dict[str, tuple[OKPKey, str]] = {}

    def token(self, role: str, **bindings: Any) -> str:
        return mint_token(
            self.issuer_key, issuer=ISSUER, audience=AUDIENCE, subject=f"{role}-user", role=role, **bindings
        )

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=h)

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        **bindings: Any,
    ) -> dict[str, Any]:
        if as_ is not None:
            token = self.token(as_, **bindings)
        resp = await self.post(query, variables, token=token, headers=headers)
        assert resp.status_code in (200, 400, 401), resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        body = await self.gql(query, variables, **kw)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def setup(self) -> None:
        """Register the agencies, publishers and one signing key each, through the admin API."""
        for ori, name, state, level in AGENCIES:
            await self.ok(
                "mutation($i: AgencyInput!) { registerAgency(input: $i) { ori } }",
                {"i": {"ori": ori, "name": name, "state": state, "level": level}},
                as_="admin",
            )
        for pid, kind, name, pub_state, agency_ori in PUBLISHERS:
            await self.ok(
                "mutation($i: PublisherInput!) { registerPublisher(input: $i) { id } }",
                {"i": {"id": pid, "kind": kind, "name": name, "state": pub_state, "agencyOri": agency_ori}},
                as_="admin",
            )
            await self.add_key(pid)

    async def add_key(self, publisher_id: str, valid_from: datetime | None = None) -> str:
        kid = f"{publisher_id}-{secrets.token_hex(4)}"
        key = generate_ed25519_jwk(kid)
        await self.ok(
            "mutation($p: String!, $j: JSON!, $v: DateTime) { addPublisherKey(publisherId: $p, jwk: $j,"
            " validFrom: $v) { kid } }",
            {"p": publisher_id, "j": public_jwk_dict(key), "v": (valid_from or KEYS_VALID_FROM).isoformat()},
            as_="admin",
        )
        self.keys[publisher_id] = (key, kid)
        return kid

    def sign(self, publisher_id: str, payload: dict[str, Any]) -> str:
        key, kid = self.keys[publisher_id]
        return sign_event(payload, key, kid)

    async def publish(
        self,
        publisher_id: str,
        *payloads: dict[str, Any],
        ssn: str | None = None,
        dry_run: bool = False,
        as_publisher: str | None = None,
    ) -> dict[str, Any]:
        subs = [{"jws": self.sign(publisher_id, p), "ssn": ssn} for p in payloads]
        body = await self.gql(
            PUBLISH, {"e": subs, "d": dry_run}, as_="publisher", publisher_id=as_publisher or publisher_id
        )
        assert not body.get("errors"), body.get("errors")
        result: dict[str, Any] = body["data"]["publishEvents"]
        return result

    async def publish_ok(
        self, publisher_id: str, *payloads: dict[str, Any], ssn: str | None = None
    ) -> list[dict[str, Any]]:
        result = await self.publish(publisher_id, *payloads, ssn=ssn)
        assert result["committed"], result
        rows: list[dict[str, Any]] = result["results"]
        return rows


PUBLISH = """mutation($e: [EventSubmission!]!, $d: Boolean!) { publishEvents(events: $e, dryRun: $d) {
  committed accepted duplicates rejected
  results { index status eventType eventId entityId officerId logIndex code message } } }"""


def _base(kind: str, publisher: str, event_id: str | None) -> dict[str, Any]:
    return {
        "type": kind,
        "publisher": publisher,
        "eventId": event_id or secrets.token_hex(6),
        "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }


def subject(given: str = "John", family: str = "Doe", dob: str = "1985-04-12", **extra: Any) -> dict[str, Any]:
    return {
        "name": {"givenName": given, "familyName": family, **extra.pop("name_extra", {})},
        "dateOfBirth": dob,
        **extra,
    }


def cert_issued(
    publisher: str = "ca-post",
    number: str = "100001",
    state: str = "CA",
    *,
    subj: dict[str, Any] | None = None,
    source: str | None = None,
    event_id: str | None = None,
    kind: str = "PEACE_OFFICER",
    status: str = "ACTIVE",
) -> dict[str, Any]:
    return {
        **_base("certification.issued", publisher, event_id),
        "sourceId": source or f"cert-{number}",
        "subject": subj or subject(),
        "state": state,
        "number": number,
        "kind": kind,
        "status": status,
        "issuedOn": "2010-06-01",
    }


def record_published(
    publisher: str = "ca-post",
    source: str = "rec-1",
    *,
    subj: dict[str, Any] | None = None,
    kind: str = "DECERTIFICATION",
    state: str = "CA",
    status: str = "NOTICE_PENDING",
    attested: bool = False,
    agency: str | None = None,
    event_id: str | None = None,
    narrative: str = "Falsified reports in three cases.",
) -> dict[str, Any]:
    ev = {
        **_base("record.published", publisher, event_id),
        "sourceId": source,
        "subject": subj or subject(),
        "kind": kind,
        "state": state,
        "reasonCategory": "DISHONESTY",
        "actionDate": "2021-03-04",
        "narrative": narrative,
        "caseReference": "CASE-2021-77",
        "status": status,
        "fairProcessAttested": attested,
    }
    if agency:
        ev["agencyOri"] = agency
    return ev


def status_changed(
    publisher: str = "ca-post",
    source: str = "rec-1",
    status: str = "FINAL",
    *,
    attested: bool = False,
    reason: str | None = None,
) -> dict[str, Any]:
    ev = {
        **_base("record.status_changed", publisher, None),
        "recordSourceId": source,
        "status": status,
        "fairProcessAttested": attested,
    }
    if reason:
        ev["reason"] = reason
    return ev


def employment_started(
    publisher: str = "sunnyvale-dps",
    source: str = "emp-1",
    ori: str = "CA0010000",
    *,
    subj: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        **_base("employment.started", publisher, None),
        "sourceId": source,
        "subject": subj or subject(),
        "agencyOri": ori,
        "position": "Patrol Officer",
        "startDate": "2012-01-09",
    }


# -- the demo data set, loaded once per session and restored for every later test that needs it ------------------

_DEMO_SNAPSHOTS: dict[tuple[str, int], tuple[dict[str, bytes], list[tuple[str, int, bool]], int, Path]] = {}
#: Officers in the demo data set the tests load unless they ask for another size: the same generator, cast,
#: showcase officer, hand-written records, credentials and programs as ``registry demo`` (``demo.OFFICERS``,
#: 3,000 officers, about 12,000 events), only fewer officers in the bulk (150, about 950 events, the size of the
#: earlier demo), so that the replay audit, which re-applies every event of the log, stays quick. Tests about the
#: full data set pass ``officers=demo.OFFICERS``.
DEMO_TEST_OFFICERS = 150


async def load_demo(database_url: str, pool: asyncpg.Pool, data_dir: Path, *,
                    officers: int = DEMO_TEST_OFFICERS) -> None:
    """``demo.load`` (with ``officers`` officers) into the (cleaned) test database with ``data_dir`` as its data
    directory.

    The first call in a session for a size loads it for real, through the publishing path (as ``test_demo``
    checks), and keeps a copy: every table's rows (binary COPY), the sequences, the log size and the files the
    load wrote (publisher keys, the SSN blind-index key). Later calls restore that copy, byte for byte the same
    state, in about a second instead of publishing thousands of signed events again.
    """
    import shutil
    import tempfile

    import demo

    snapshot = _DEMO_SNAPSHOTS.get((database_url, officers))
    if snapshot is None:
        await demo.load(database_url, Settings(data_dir=data_dir), officers=officers)
        async with pool.acquire() as conn:
            tables = [r["name"] for r in await conn.fetch(
                """SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r'
                      AND c.relname NOT IN ('schema_migrations', 'log_state') ORDER BY 1""")]
            rows: dict[str, bytes] = {}
            for table in tables:
                if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                    out = _Sink()
                    await conn.copy_from_table(table, output=out.write, format="binary")
                    rows[table] = b"".join(out.parts)
            sequences = [(r["name"], r["last_value"], r["is_called"]) for r in await conn.fetch(
                "SELECT schemaname || '.' || sequencename AS name, coalesce(last_value, 1) AS last_value, "
                "last_value IS NOT NULL AS is_called FROM pg_sequences WHERE schemaname = 'public'")]
            size = int(await conn.fetchval("SELECT size FROM log_state"))
        files = Path(tempfile.mkdtemp(prefix="demo-files-"))
        shutil.copytree(data_dir, files, dirs_exist_ok=True)
        _DEMO_SNAPSHOTS[(database_url, officers)] = (rows, sequences, size, files)
        return
    rows, sequences, size, files = snapshot
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")  # rows as they were: no triggers, no FKs
        await conn.execute(f"TRUNCATE {', '.join(f'{chr(34)}{t}{chr(34)}' for t in rows)} CASCADE")
        for table, data in rows.items():
            await conn.copy_to_table(table, source=_Source(data), format="binary")
        for name, value, called in sequences:
            await conn.execute("SELECT setval($1::regclass, $2, $3)", name, value, called)
        await conn.execute("UPDATE log_state SET size = $1", size)
    shutil.copytree(files, data_dir, dirs_exist_ok=True)  # creates data_dir if needed


class _Sink:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.parts.append(bytes(chunk))


class _Source:
    """An async iterator over one buffer, for ``copy_to_table``."""

    def __init__(self, data: bytes) -> None:
        self.data: bytes | None = data

    def __aiter__(self) -> _Source:
        return self

    async def __anext__(self) -> bytes:
        if self.data is None:
            raise StopAsyncIteration
        data, self.data = self.data, None
        return data


async def signing_world(pool: asyncpg.Pool, tmp_path: Path, *, checkpoint_seconds: float = 0,
                        state_file: str = "log-signer.state") -> World:
    """A set-up world whose checkpoints are signed as the server signs them: the signer keeps its last head in a
    state file and covers only entries it verified (``ledger.signer_guard.LogSigner``)."""
    from ledger.checkpoint import NoteSigner
    from ledger.signer_guard import LogSigner, SignerState

    world = World(pool, tmp_path, checkpoint_seconds=checkpoint_seconds)
    world.services.log_signer = LogSigner(NoteSigner.generate(world.settings.log_origin),
                                          SignerState(tmp_path / state_file),
                                          admin_keys=world.services.admin_keys.public())
    await world.setup()
    return world


async def restore_log_to(pool: asyncpg.Pool, size: int) -> None:
    """What restoring a backup taken at log size ``size`` does to the log tables."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM events WHERE log_index >= $1", size)
        await conn.execute("DELETE FROM registry_entries WHERE log_index >= $1", size)  # (the tables they made stay)
        await conn.execute("DELETE FROM log_nodes WHERE (idx + 1) * (1::bigint << level) > $1", size)
        await conn.execute("DELETE FROM checkpoints WHERE size > $1", size)
        await conn.execute("UPDATE log_state SET size = $1", size)
