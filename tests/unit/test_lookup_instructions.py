"""bench.lookup_instructions reads callgrind's dumps by their trigger and reports per-lookup counts and the ratio."""

from __future__ import annotations

from pathlib import Path

from bench.lookup_instructions import _counts, report


def _dump(folder: Path, name: str, trigger: str, total: int) -> None:
    (folder / name).write_text(f"version: 1\ncreator: callgrind-3.19.0\ndesc: Trigger: dump {trigger}\n"
                               f"events: Ir\nsummary: {total}\ntotals: {total}\n")


def test_dumps_are_read_by_trigger(tmp_path: Path) -> None:
    _dump(tmp_path, "cg.10.1", "plans:1", 880_000)
    _dump(tmp_path, "cg.10.2", "plans:2", 840_000)
    _dump(tmp_path, "cg.10.3", "graphql-core:1", 2_400_000)
    (tmp_path / "cg.10").write_text("desc: Trigger: Program termination\ntotals: 99\n")  # the final dump: not a round
    rows = _counts(tmp_path)
    assert rows == [("plans", 1, 880_000), ("plans", 2, 840_000), ("graphql-core", 1, 2_400_000)]
    text = report(rows, 400)
    assert "| plans | 1 | 2,200 |" in text and "| graphql-core | 1 | 6,000 |" in text
    assert "Compiled plans: 2,150 instructions per lookup, graphql-core 6,000 (36%" in text
