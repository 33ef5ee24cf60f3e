"""store.models.row_to builds a row by position from the record's columns: the same row as by keyword."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

import pytest

import store
from store.models import row_to


def _store_rows() -> list[type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in pkgutil.iter_modules(store.__path__):
        mod = importlib.import_module(f"store.{module.name}")
        for value in vars(mod).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__.startswith("store."):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


ROWS = [cls for cls in _store_rows() if all(f.init and not f.kw_only for f in dataclasses.fields(cls))]


def test_every_store_row_is_found() -> None:
    names = {cls.__name__ for cls in ROWS}
    assert {"OfficerRow", "CertificationRow", "RecordRow", "PublisherRow", "QueryLogRow"} <= names


@pytest.mark.parametrize("cls", ROWS, ids=lambda c: c.__name__)
def test_by_position_is_by_keyword(cls: type[Any]) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    # every column a distinct value, the record's columns in another order and with columns the row does not take
    record = {"unrelated": object(), **{name: f"value of {name}" for name in reversed(names)}, "tail": 1}
    assert row_to(cls, record) == cls(**{name: record[name] for name in names})


def test_one_field_row() -> None:
    @dataclass(frozen=True)
    class One:
        id: str

    assert row_to(One, {"id": "x", "other": 2}) == One("x")


def test_missing_column_fails() -> None:
    @dataclass(frozen=True)
    class Two:
        a: int
        b: int

    with pytest.raises(KeyError):
        row_to(Two, {"a": 1})


def test_keyword_only_fields_are_refused() -> None:
    @dataclass(frozen=True)
    class Late:
        a: int
        b: int = field(default=0, kw_only=True)

    with pytest.raises(TypeError, match="positional"):
        row_to(Late, {"a": 1, "b": 2})
