"""The CSV column and value reference of docs/bulk-publishing.md, generated from the models and the CSV reader.

Which columns a row of each event type takes comes from the reader's mapping (publishing/csv_rows.py); whether
a field is required, its type, its default and the values it allows (record kinds, reason categories,
due-process and certification statuses, separation reasons, ...) come from the payload models the registry
applies (publishing/payloads.py). Nothing here lists a value by hand, so the reference cannot drift from
what the registry accepts: ``python -m publishing.reference`` rewrites the block between the markers in
the doc, ``--check`` exits 1 when it is out of date (tests/unit/test_publish_reference.py fails then too),
and ``registry publish-reference`` prints the block.
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from publishing import csv_rows
from publishing.payloads import EVENT_TYPES, Event

__all__ = ["BEGIN", "DOC", "END", "MODELS", "csv_column", "main", "reference", "updated"]

DOC = "docs/bulk-publishing.md"
BEGIN = "<!-- BEGIN GENERATED: csv-reference (python -m publishing.reference) -->"
END = "<!-- END GENERATED: csv-reference -->"
ROOT = Path(__file__).resolve().parents[1]


def _models() -> dict[str, type[BaseModel]]:
    union, *_ = typing.get_args(Event)
    models: dict[str, type[BaseModel]] = {}
    for model in typing.get_args(union):
        (event_type,) = typing.get_args(model.model_fields["type"].annotation)
        models[event_type] = model
    assert set(models) == set(EVENT_TYPES), "payloads.EVENT_TYPES and the Event union disagree"
    return {t: models[t] for t in EVENT_TYPES}


#: Every event type's model, in the order of payloads.EVENT_TYPES.
MODELS = _models()

#: Readable forms of the models' patterns; a pattern missing here is shown as the pattern itself.
PATTERNS = {
    r"^[A-Z]{2}$": "two capital letters: a state (e.g. `CA`)",
    r"^[A-Z]{2}[A-Z0-9]{7}$": "an ORI: 2 capital letters and 7 capital letters or digits (e.g. `CA0010000`)",
    r"^[a-z0-9][a-z0-9-]{1,62}$": "a publisher ID: lower-case letters, digits and `-` (e.g. `ca-post`)",
}
COMMON_FIELDS = ("type", "eventId", "publisher", "issuedAt", "salt")
WHAT = {"certification": "certification", "employment": "job", "record": "record"}


# --------------------------------------------------------------------------------------------
# the models' JSON schema, read


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A property's own schema: ``$ref`` followed, the ``null`` branch of an optional one dropped."""
    if "$ref" in node:
        node = {**schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if b.get("type") != "null"]
        if len(branches) == 1:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            node = {**_resolve(schema, branches[0]), **rest}
    return node


def _field(schema: dict[str, Any], path: str) -> tuple[dict[str, Any], bool]:
    """The schema of a dotted field path, and whether its innermost object requires it."""
    node, required = schema, False
    for name in path.split("."):
        node = _resolve(schema, node)
        required = name in node.get("required", ())
        node = node["properties"][name]
    return _resolve(schema, node), required


def _value(schema: dict[str, Any], node: dict[str, Any], *, csv: bool) -> str:
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    kind = node.get("type")
    if kind == "boolean":
        return "`true` or `false`" + (" (also `yes`/`no`, `1`/`0`)" if csv else "")
    if kind == "integer":
        low, high = node.get("minimum"), node.get("maximum")
        if low is not None and high is not None:
            return f"whole number, {low}–{high}"
        return "whole number" + (f", at least {low}" if low is not None else "")
    if kind == "array":
        items = _resolve(schema, node["items"])
        if "enum" in items:
            what = "values from " + ", ".join(f"`{v}`" for v in items["enum"])
        else:
            what = f"{items['title']} objects" if items.get("type") == "object" else _value(schema, items, csv=csv)
        return f"list of {what}" + (f", at most {node['maxItems']}" if "maxItems" in node else "")
    if kind == "object":
        return "an object with the fields below"
    if node.get("format") == "date":
        return "date, `YYYY-MM-DD`"
    if node.get("format") == "date-time":
        return "date and time with its zone, ISO 8601 (`2026-05-01T12:00:00Z`)"
    if "pattern" in node:
        return PATTERNS.get(node["pattern"], f"text matching `{node['pattern']}`")
    low, high = node.get("minLength", 0), node.get("maxLength")
    if high is None:
        return "text"
    return f"text, {low}–{high} characters" if low else f"text, up to {high} characters"


def _required(node: dict[str, Any], required: bool) -> str:
    if required and "default" not in node:
        return "yes"
    default = node.get("default")
    if default is None or default == []:
        return "no"
    shown = str(default).lower() if isinstance(default, bool) else default
    return f"no (default `{shown}`)"


# --------------------------------------------------------------------------------------------
# CSV columns


def _subject_columns() -> dict[str, str]:
    fields = {c: f"subject.{f}" for c, f in csv_rows.SUBJECT.items()}
    fields |= {c: f"subject.name.{f}" for c, f in csv_rows.NAME.items()}
    return fields | {"aliases": "subject.aliases", "former_names": "subject.formerNames"}


def _columns(event_type: str) -> dict[str, str]:
    """Column -> event field path, for every column a row of ``event_type`` takes (but ``ssn``)."""
    subject = _subject_columns() if event_type in csv_rows.WITH_SUBJECT else {}
    return csv_rows.COMMON | subject | csv_rows.BY_TYPE[event_type]


def csv_column(event_type: str, field: str) -> str | None:
    """The CSV column that fills ``field`` (a dotted path, list indexes allowed) of a row of ``event_type``."""
    if event_type not in csv_rows.BY_TYPE:
        return None
    if field == "subject" and event_type in csv_rows.WITH_SUBJECT:
        return "registry_id, or given_name, family_name and date_of_birth"
    path = field.split("[", 1)[0]
    return next((c for c, f in _columns(event_type).items() if f == path), None)


_SUBJECT_RULE = {"registry_id": "yes, or the name and date of birth", "given_name": "yes, or `registry_id`",
                 "family_name": "yes, or `registry_id`", "date_of_birth": "yes, or `registry_id`"}


def _csv_row(event_type: str, column: str, field: str) -> str:
    schema = MODELS[event_type].model_json_schema()
    node, required = _field(schema, field)
    value = _value(schema, node, csv=field in csv_rows.BOOLEAN or node.get("type") == "boolean")
    need = _required(node, required)
    if column == "publisher":
        need, value = "yes, unless `--publisher` or your token names it", f"{value}: your publisher ID"
    elif column == "issued_at":
        need = "no (default: the time of signing)"
    elif column == "event_id":
        value += ": your own ID of this event, unique among yours (sent again, it comes back `DUPLICATE`)"
    elif column == "source_id":
        value += f": your own ID of the new {WHAT[event_type.split('.')[0]]}; later rows name it"
    elif column.endswith("_source_id"):
        value += f": the `source_id` of the {WHAT[column.removesuffix('_source_id')]} this row changes"
    elif column in ("aliases", "former_names"):
        value = f"`Given [Middle] Family`, several separated by `;` (at most {node.get('maxItems')})"
    elif column in _SUBJECT_RULE:
        need = _SUBJECT_RULE[column]
    return f"| `{column}` | `{field}` | {need} | {value} |"


def _csv_sections() -> Iterator[str]:
    header = "| column | event field | required | value |\n|---|---|---|---|"
    first = next(iter(csv_rows.BY_TYPE))
    yield "### Columns of every row\n"
    yield header
    yield "| `type` | `type` | yes | the event type: one of " + ", ".join(f"`{t}`" for t in csv_rows.BY_TYPE) + " |"
    for column, field in csv_rows.COMMON.items():
        if column != "type":
            yield _csv_row(first, column, field)
    with_subject = [f"`{t}`" for t in csv_rows.BY_TYPE if t in csv_rows.WITH_SUBJECT]
    yield "\n### Columns naming the officer\n"
    yield (f"Rows of {', '.join(with_subject[:-1])} and {with_subject[-1]} name the officer: by `registry_id`, or by "
           "`given_name`, `family_name` and `date_of_birth` (a row may give both). `ssn` is never part of the "
           "signed event: it is sent beside it and kept only as an HMAC blind index.\n")
    yield header
    for column, field in _subject_columns().items():
        yield _csv_row(next(t for t in csv_rows.BY_TYPE if t in csv_rows.WITH_SUBJECT), column, field)
    yield "| `ssn` | (none: sent beside the event) | no | 9 digits, `AAA-GG-SSSS` or without the dashes |"
    for event_type, columns in csv_rows.BY_TYPE.items():
        yield f"\n### `{event_type}`\n"
        yield header
        yield from (_csv_row(event_type, column, field) for column, field in columns.items())
        schema = MODELS[event_type].model_json_schema()
        mapped = set(columns.values()) | set(COMMON_FIELDS) | {"subject"}
        missing = [f for f in schema["properties"] if f not in mapped]
        if missing:
            listed = "; ".join(f"`{f}` ({_value(schema, _field(schema, f)[0], csv=False)})" for f in missing)
            yield f"\nNot a CSV column (publish the event as NDJSON to set it): {listed}."


# --------------------------------------------------------------------------------------------
# NDJSON-only event types


def _ndjson_rows(schema: dict[str, Any], node: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for name, prop in node["properties"].items():
        if not prefix and name in COMMON_FIELDS:
            continue
        resolved = _resolve(schema, prop)
        path = f"{prefix}{name}"
        need = _required(resolved, name in node.get("required", ()))
        if prefix and need == "yes":
            need = f"yes, in `{prefix.rstrip('.')}`"
        yield f"| `{path}` | {need} | {_value(schema, resolved, csv=False)} |"
        if resolved.get("type") == "object":
            yield from _ndjson_rows(schema, resolved, f"{path}.")


def _ndjson_sections() -> Iterator[str]:
    others = [t for t in EVENT_TYPES if t not in csv_rows.BY_TYPE]
    yield "\n### Event types without CSV columns\n"
    yield ("Publish these as NDJSON (`registry publish FILE.ndjson`, or `registry sign`). Besides the fields below, "
           "every event has `type`, `eventId`, `publisher`, `issuedAt` and `salt`, as above (`registry sign` and "
           "`registry publish` add `salt` and `issuedAt` when missing). Event types: "
           + ", ".join(f"`{t}`" for t in others) + ".")
    for event_type in others:
        schema = MODELS[event_type].model_json_schema()
        yield f"\n### `{event_type}`\n"
        yield "| field | required | value |\n|---|---|---|"
        yield from _ndjson_rows(schema, schema)


def reference() -> str:
    """The generated Markdown: every event type's CSV columns (or NDJSON fields), with the values they allow."""
    intro = ("<!-- Generated from publishing/payloads.py and publishing/csv_rows.py by "
             "`python -m publishing.reference`: edit those and re-run it, not this block. -->\n")
    return intro + "\n".join([*_csv_sections(), *_ndjson_sections()]) + "\n"


def updated(text: str) -> str:
    """``text`` (the doc) with the block between the markers regenerated."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the file has no {BEGIN} ... {END} block")
    return text[: start + len(BEGIN)] + "\n" + reference() + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publishing.reference", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(ROOT / DOC), help=f"the Markdown file (default: {DOC})")
    parser.add_argument("--check", action="store_true", help="only check: exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
        new = updated(text)
    except (OSError, ValueError) as err:
        print(f"error: {path}: {err}", file=sys.stderr)
        return 2
    if new == text:
        return 0
    if args.check:
        print(f"{path} is out of date: run `python -m publishing.reference`", file=sys.stderr)
        return 1
    path.write_text(new, encoding="utf-8")
    print(f"updated {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
