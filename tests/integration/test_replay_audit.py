"""The replay audit: the state tables are a projection of the signed log. Replayed from the log into an empty
database, the demo data set (every record kind and due-process path, corrections, expungement, employment,
the showcase officer named by registry ID) is explained row by row; a row changed, added or removed behind the
API is named with its table, key and field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import asyncpg
import pytest
from joserfc.jwk import OKPKey

from ledger import admin_key
from publishing.replay import ReplayReport, replay
from tests.support import load_demo, second_database

ROOT = Path(__file__).resolve().parents[2]
#: The demo's registrations: its 19 agencies, 18 publishers and 18 publisher keys, each a signed log entry.
DEMO_REGISTRATIONS = 19 + 18 + 18


def _demo_admin_keys(data_dir: Path) -> Mapping[str, OKPKey]:
    """The public admin keys of the demo's data directory (load_demo copies its secrets/ there)."""
    keys = admin_key.load_public_keys(data_dir / "secrets" / admin_key.DEFAULT_FILE)
    assert keys is not None, "the demo load left no admin key in its data directory"
    return keys


async def _replay(pool: asyncpg.Pool, database_url: str, admin_keys: Mapping[str, OKPKey]) -> ReplayReport:
    """The replay, with every registration's signature checked against the demo's admin keys."""
    async with second_database(database_url) as scratch, pool.acquire() as live, scratch.acquire() as conn:
        return await replay(live, conn, admin_keys=admin_keys)


@pytest.fixture
async def demo_registry(pool: asyncpg.Pool, clean: None, database_url: str, tmp_path: Path) -> asyncpg.Pool:
    await load_demo(database_url, pool, tmp_path)
    return pool


@pytest.fixture
def demo_admin_keys(demo_registry: asyncpg.Pool, tmp_path: Path) -> Mapping[str, OKPKey]:
    return _demo_admin_keys(tmp_path)


async def test_the_demo_registry_is_explained_by_its_log(demo_registry: asyncpg.Pool, database_url: str,
                                                         demo_admin_keys: Mapping[str, OKPKey]) -> None:
    report = await _replay(demo_registry, database_url, demo_admin_keys)
    assert report.ok, "\n".join(map(str, report.findings[:20]))
    assert report.registrations == DEMO_REGISTRATIONS  # re-applied from the log, not copied from the tables
    assert report.replayed > 400 and report.expunged > 0 and report.rows_compared > 800


EDITS = [
    ("UPDATE misconduct_records SET status = 'FINAL', fair_process_attested = true WHERE id = ("
     "SELECT id FROM misconduct_records WHERE status = 'HEARING_PENDING' ORDER BY id LIMIT 1)",
     {("FIELD_DIFFERS", "misconduct_records", "status"),
      ("FIELD_DIFFERS", "misconduct_records", "fair_process_attested")}),
    ("UPDATE misconduct_records SET narrative = 'Nothing happened.' WHERE id = ("
     "SELECT id FROM misconduct_records WHERE narrative IS NOT NULL ORDER BY id LIMIT 1)",
     {("FIELD_DIFFERS", "misconduct_records", "narrative")}),
    ("UPDATE certifications SET status = 'ACTIVE', status_reason = NULL WHERE status = 'REVOKED'",
     {("FIELD_DIFFERS", "certifications", "status"), ("FIELD_DIFFERS", "certifications", "status_reason")}),
    ("UPDATE employment SET separation_reason = 'RESIGNED' WHERE separation_reason = 'TERMINATED'",
     {("FIELD_DIFFERS", "employment", "separation_reason")}),
    ("INSERT INTO certifications (id, officer_id, publisher_id, source_id, state, number, kind, status, issued_on) "
     "SELECT 'CRT-FORGED000001', id, 'ca-post', 'forged', 'CA', 'X-1', 'PEACE_OFFICER', 'ACTIVE', '2020-01-01' "
     "FROM officers ORDER BY id LIMIT 1",
     {("ROW_NOT_IN_LOG", "certifications", "")}),
    ("DELETE FROM record_status_history WHERE id = (SELECT max(id) FROM record_status_history)",
     {("ROW_MISSING", "record_status_history", "")}),
    # EO 13929 Sec. 4(b): a program that ended made to run on; a training made current for longer
    ("UPDATE agency_programs SET end_date = NULL WHERE id = ("
     "SELECT id FROM agency_programs WHERE end_date IS NOT NULL ORDER BY id LIMIT 1)",
     {("FIELD_DIFFERS", "agency_programs", "end_date")}),
    ("UPDATE certification_status_history SET current_through = current_through + 365 "
     "WHERE (certification_id, step) = (SELECT certification_id, step FROM certification_status_history "
     "WHERE current_through IS NOT NULL "
     "ORDER BY 1, 2 LIMIT 1)",
     {("FIELD_DIFFERS", "certification_status_history", "current_through")}),
]


async def test_every_change_behind_the_api_is_named(demo_registry: asyncpg.Pool, database_url: str,
                                                    demo_admin_keys: Mapping[str, OKPKey]) -> None:
    """Eight edits at once (a status made final, a narrative, a revocation undone, a separation softened, a row
    inserted, a history step deleted, a program's end removed, a training's currency extended): each is named,
    and nothing else is."""
    for edit, _ in EDITS:
        await demo_registry.execute(edit)
    report = await _replay(demo_registry, database_url, demo_admin_keys)
    found = {(f.code, f.table, f.message.split(" ", 1)[0] if f.code == "FIELD_DIFFERS" else "")
             for f in report.findings}
    expected = set().union(*(e for _, e in EDITS))
    assert found == expected, "\n".join(map(str, report.findings))


async def test_registry_audit_replay_from_the_command_line(demo_registry: asyncpg.Pool, database_url: str,
                                                           tmp_path: Path) -> None:
    import asyncio
    import os
    import sys

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")},
           "DATABASE_URL": database_url, "REGISTRY_DATA_DIR": str(tmp_path / "cli")}
    # the auditor is given the registry's public admin keys (as it would fetch /.well-known/registry-admin-keys)
    jwks = tmp_path / "admin-keys.json"
    jwks.write_text(json.dumps({"keys": [k.as_dict(private=False) for k in _demo_admin_keys(tmp_path).values()]}))

    async def audit() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "registry.cli", "audit", "--replay",
                                                    "--admin-keys", str(jwks),
                                                    cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        assert b"Traceback" not in err, err.decode()
        return proc.returncode or 0, out.decode()

    code, out = await audit()
    assert code == 0 and "audit clean" in out and "replay: " in out and " 0 difference(s)" in out, out
    assert f"and {DEMO_REGISTRATIONS} registrations re-applied" in out and "admin signatures checked" in out, out
    assert f"{DEMO_REGISTRATIONS} registrations; " in out, out
    await demo_registry.execute("UPDATE misconduct_records SET narrative = 'Edited.' WHERE id = ("
                                "SELECT id FROM misconduct_records WHERE narrative IS NOT NULL ORDER BY id LIMIT 1)")
    code, out = await audit()
    assert code == 1 and "FIELD_DIFFERS" in out and "narrative is 'Edited.'" in out, out


async def test_migration_0010_backfills_the_history_publishing_writes(demo_registry: asyncpg.Pool) -> None:
    """Certification status history of a registry migrated from before 0010 is rebuilt from the signed events by
    the migration's backfill; for certifications without the new refresher fields it equals what publishing
    writes today (the demo was published through the API)."""
    sql = (ROOT / "migrations" / "0010_training_and_programs.sql").read_text()
    backfill = sql.split("-- backfill: begin", 1)[1].split("-- backfill: end", 1)[0]
    plain = ("SELECT c.id FROM certifications c WHERE c.refresher_months IS NULL "
             "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.entity_id = c.id AND e.payload ? 'refreshedOn')")
    query = ("SELECT certification_id, step, status::text, effective_on, completed_on, current_through "
             f"FROM certification_status_history WHERE certification_id IN ({plain}) ORDER BY 1, 2")
    async with demo_registry.acquire() as conn, conn.transaction():
        published = [tuple(r) for r in await conn.fetch(query)]
        assert len(published) > 100 and any(r[1] > 1 for r in published)  # changes as well as issues
        await conn.execute("DELETE FROM certification_status_history")
        await conn.execute(backfill)
        rebuilt = [tuple(r) for r in await conn.fetch(query)]
        assert rebuilt == published


async def test_an_event_that_cannot_be_replayed_is_named_and_its_neighbours_still_are(
        demo_registry: asyncpg.Pool, database_url: str, demo_admin_keys: Mapping[str, OKPKey]) -> None:
    """The log's last event with its signature broken behind the API: it alone is named, and the same
    publisher's events before it, replayed in the same transaction as the refused one, are still re-applied."""
    last = await demo_registry.fetchrow(
        """SELECT e.log_index, e.jws FROM events e JOIN events p ON p.log_index = e.log_index - 1
           WHERE e.log_index = (SELECT max(log_index) FROM events) AND p.publisher_id = e.publisher_id
             AND e.jws IS NOT NULL AND p.jws IS NOT NULL""")
    assert last is not None, "the demo's last two events are not one publisher's"
    clean = await _replay(demo_registry, database_url, demo_admin_keys)
    head, body, signature = last["jws"].split(".")
    broken = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    await demo_registry.execute("UPDATE events SET jws = $2 WHERE log_index = $1", last["log_index"],
                                f"{head}.{body}.{broken}")
    report = await _replay(demo_registry, database_url, demo_admin_keys)
    named = [f for f in report.findings if f.code == "EVENT_NOT_REPLAYED"]
    assert [f.where for f in named] == [f"log_index={last['log_index']}"], named
    assert report.replayed == clean.replayed - 1 and report.registrations == clean.registrations
