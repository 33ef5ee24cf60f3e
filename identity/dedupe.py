"""The registry-wide duplicate sweep: probabilistic record linkage over every officer, for human review.

Matching at publish time (``identity.matching``) compares one incoming record with the candidates its blocking
keys find, and links only on strong evidence; pairs it never compared, or compared and scored low, stay two
officers. The sweep compares the whole registry with itself using splink (a Fellegi–Sunter model on DuckDB):

* one row per officer not merged away: the primary given, middle and family name, every given and family name on
  file (aliases, former names, the parts of a compound surname), the birth date, the SSN blind index (compared
  only for equality: it is an HMAC) and the certification numbers by state;
* blocking rules that keep the comparisons near-linear in the registry's size: same birth date; same SSN index;
  same surname Soundex and birth year; same given name and birth day and month; same given name and surname
  Soundex; same given name, middle initial and birth year (every name on file counts, and a given name counts as
  each formal name it may be short for, so Bill meets William);
* comparisons with several levels each: given name (exact with term frequencies, any name on file, nicknames of
  one name, Jaro-Winkler, initial, read in another order), family name (exact with term frequencies, any form on
  file, Jaro-Winkler or one edit, among the other's names), middle name (exact, initial), birth date (exact, one
  character, day and month swapped, a month, a year, ten years), SSN index, certification numbers (one in common,
  another number in the same state);
* u probabilities from random pairs of the registry's own officers (seeded) once it has ``min_u_pairs`` pairs in
  all, the prior match probability from deterministic rules (same full name and birth date, or same SSN index)
  and an assumed recall, and m probabilities by expectation maximisation on the registry's own pairs (blocked on
  birth date, then on given and family name) once those training blocks hold ``min_em_pairs`` pairs. Below those
  sizes (a small registry, whose few duplicates would be a large share of its pairs) the u and m probabilities
  stay at the hand-set values in this module, and the result says so.

Scored pairs at or above ``threshold`` become link proposals for a person to confirm or reject (``store.dedupe``),
never merges. A pair whose SSN indexes differ is never proposed: a confirmation of such a pair is refused anyway
(``publishing.review.confirm``), and different SSNs on file mean different people or a mistyped SSN, which a
reviewer cannot resolve from the queue; the sweep counts those pairs instead. Pairs already proposed in either
direction, pending, confirmed or rejected, are not proposed again. Everything is deterministic for the same
registry: rows are sorted by officer ID, the u sample is seeded and drawn on one thread, probabilities are
rounded to 9 decimals (DuckDB's parallel sums differ in the last bits from run to run), and results are sorted.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import jellyfish
from rapidfuzz.distance import JaroWinkler

from identity.nicknames import explain_nickname, formal_forms
from identity.normalize import NameParts, normalize_token, split_surname
from store import dedupe as store

__all__ = [
    "DEFAULT_THRESHOLD",
    "DedupeSettings",
    "LinkageResult",
    "Officer",
    "ScoredPair",
    "SweepSummary",
    "link",
    "officer_from_row",
    "sweep",
]

DEFAULT_THRESHOLD = 0.9
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Officer:
    """One officer as the sweep compares it: every name on file (the primary name first)."""

    id: str
    names: tuple[NameParts, ...]
    dob: date | None = None
    ssn_index: bytes | None = None
    certifications: tuple[tuple[str, str], ...] = ()  # (state, number)


@dataclass(frozen=True)
class DedupeSettings:
    """The sweep's knobs; the defaults are what ``registry dedupe`` uses (docs/dedupe.md)."""

    threshold: float = DEFAULT_THRESHOLD  # match probability at or above which a pair is proposed
    seed: int = 13929  # of the random pairs the u probabilities are estimated from (non-zero)
    u_max_pairs: float = 2e6  # random pairs for the u probabilities
    min_u_pairs: int = 100_000  # pairs (all of them) a registry needs before u is estimated from it
    recall: float = 0.6  # assumed share of true duplicates with the same full name and birth date, or SSN
    min_em_pairs: int = 1000  # pairs a training block needs before EM estimates m from it
    max_pairs: float = 5e8  # refuse to run when a blocking rule alone would compare more pairs than this
    threads: int | None = None  # DuckDB threads (None: every core)
    memory_limit: str | None = None  # DuckDB's memory limit, e.g. "8GB" (None: ``default_memory_limit()``);
    # past it DuckDB spills to a temporary directory, removed afterwards


def default_memory_limit() -> str | None:
    """40 % of physical memory: DuckDB's own default (80 %) let a 10^6-officer sweep peak at 20.7 GB on a
    23 GB machine (the process holds Python-side data beside DuckDB's share); with 8 GB it peaked at 10.9 GB
    and found the same pairs. None where the platform does not say."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    return f"{max(256, int(total * 0.4) >> 20)}MB"


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """Two officers splink scored at or above the threshold, ``a`` < ``b`` by ID."""

    a: str
    b: str
    probability: float
    weight: float  # splink's match weight: log2 of the Bayes factor, prior included
    reasons: list[str]
    ssn_conflict: bool


@dataclass
class LinkageResult:
    officers: int
    pairs_compared: int
    pairs_by_rule: dict[str, int]
    prior: float  # probability that two random officers are the same person
    trained: list[str]  # which EM sessions ran, or why not
    pairs: list[ScoredPair]  # highest probability first
    seconds: dict[str, float] = field(default_factory=dict)


# -- features ---------------------------------------------------------------------------------------------------

_NON_LETTERS = re.compile(r"[^a-z]")
_NON_ALNUM = re.compile(r"[^0-9A-Z]")


def _first(text: str) -> str | None:
    words = normalize_token(text).split()
    return words[0] if words else None


def _joined(family: str) -> str | None:
    joined = "".join(normalize_token(family).split())
    return joined or None


def _surname_code(family: str) -> str | None:
    parts = split_surname(family)
    if not parts:
        return None
    letters = _NON_LETTERS.sub("", parts[0])
    if not letters:
        return parts[0]
    return letters.upper() if len(letters) <= 3 else str(jellyfish.soundex(letters))


def _cert(state: str, number: str) -> str:
    return f"{state.upper()} {_NON_ALNUM.sub('', number.upper())}"


def _sorted_or_none(values: set[str]) -> list[str] | None:
    return sorted(values) if values else None


def _features(o: Officer) -> dict[str, Any]:
    primary = o.names[0] if o.names else None
    given = _first(primary.given) if primary else None
    givens = {g for n in o.names if (g := _first(n.given))}
    forms = set(givens)
    for g in givens:
        forms.update(formal_forms(g))
    families: set[str] = set()
    for n in o.names:
        families.update(split_surname(n.family))
    middle = _first(primary.middle) if primary and primary.middle else None
    words = set(normalize_token(f"{primary.given} {primary.middle} {primary.family}").split()) if primary else set()
    return {
        "unique_id": o.id,
        "given": given,
        "given_all": _sorted_or_none(givens),
        "given_forms": _sorted_or_none(forms),
        "middle": middle,
        "middle_initial": middle[:1] if middle else None,
        "family": _joined(primary.family) if primary else None,
        "family_all": _sorted_or_none(families),
        "family_codes": _sorted_or_none({c for n in o.names if (c := _surname_code(n.family))}),
        "name_words": _sorted_or_none(words),
        "dob": o.dob.isoformat() if o.dob else None,
        "birth_year": o.dob.year if o.dob else None,
        "dob_md": o.dob.strftime("%m-%d") if o.dob else None,
        "ssn": o.ssn_index.hex() if o.ssn_index else None,
        "certs": _sorted_or_none({_cert(s, n) for s, n in o.certifications}),
        "cert_states": _sorted_or_none({s.upper() for s, _ in o.certifications}),
    }


def officer_from_row(row: store.DedupeOfficer) -> Officer:
    names = tuple(NameParts(given=g, middle=m or "", family=f) for _, g, m, f in row.names)
    return Officer(row.id, names, row.date_of_birth, row.ssn_blind_index, row.certifications)


# -- the model --------------------------------------------------------------------------------------------------

# Hand-set m probabilities (share of true duplicates at each level, null level excluded), used as EM's starting
# point and, below ``min_em_pairs``, as the model. They follow the noise seen in re-entered officers
# (bench/population.py): mostly exact, then nicknames, typos, married names and birth-date slips.
_M_GIVEN = [0.70, 0.04, 0.10, 0.06, 0.04, 0.01, 0.03, 0.02]
_M_FAMILY = [0.70, 0.10, 0.06, 0.04, 0.03, 0.07]
_M_MIDDLE = [0.70, 0.22, 0.08]
_M_DOB = [0.84, 0.05, 0.02, 0.02, 0.03, 0.02, 0.02]
_M_SSN = [0.97, 0.03]
_M_CERTS = [0.05, 0.10, 0.85]
# Hand-set u probabilities (share of two random officers at each level), used when the registry is too small for
# random pairs of its own officers to say much (``min_u_pairs``): there, its few duplicates would be a large share
# of all pairs. Rough figures for a US population of officers (birth dates over about 50 years).
_U_GIVEN = [0.01, 0.001, 0.003, 0.003, 0.01, 0.001, 0.0005, 0.9715]
_U_FAMILY = [0.002, 0.0005, 0.002, 0.01, 0.0002, 0.9853]
_U_MIDDLE = [0.02, 0.06, 0.92]
_U_DOB = [0.000055, 0.0005, 0.00001, 0.002, 0.02, 0.35, 0.627435]
_U_SSN = [1e-8, 1 - 1e-8]
_U_CERTS = [1e-6, 0.04, 0.959999]

_GIVEN_LEVELS = (
    "given name exact", "given name matches another name on file", "given names are nicknames of one name",
    "given names Jaro-Winkler >= 0.92", "given names Jaro-Winkler >= 0.85 or one edit apart", "given initial only",
    "name read in another order: given name is the other's surname", "given names differ",
)
_FAMILY_LEVELS = ("surname exact", "surname matches another surname on file", "surnames Jaro-Winkler >= 0.92",
                  "surnames Jaro-Winkler >= 0.85 or one edit apart",
                  "name read in another order: surname is among the other's names",
                  "surnames differ")


# One name read family name first: one's given name is the other's surname, and its surname is among the other's
# name words ("Astvall Thomas Frank" for Thomas Frank Astvall). A given name that is merely someone's surname
# (Thomas Balbaum, Joseph Thomas) is a coincidence, not this.
_SWAPPED = ("(list_has_any(given_all_l, family_all_r) AND list_has_any(family_all_l, name_words_r)) OR "
            "(list_has_any(given_all_r, family_all_l) AND list_has_any(family_all_r, name_words_l))")


def _levels(specs: Sequence[tuple[str, str]], m: Sequence[float], u: Sequence[float], null: str,
            exact: str | None = None, fixed_else: bool = False) -> list[Any]:
    """Null level, exact level (with term frequencies) if ``exact``, the custom ``specs`` (SQL, label) in order,
    else level; ``m`` and ``u`` give each non-null level its starting m and u probabilities."""
    import splink.comparison_level_library as cll

    out: list[Any] = [cll.CustomLevel(null, "null").configure(is_null_level=True)]
    if exact is not None:
        out.append(cll.ExactMatchLevel(exact).configure(tf_adjustment_column=exact, label_for_charts="exact"))
    out += [cll.CustomLevel(sql, label) for sql, label in specs]
    out.append(cll.ElseLevel())
    for level, p, q in zip(out[1:], m, u, strict=True):
        level.configure(m_probability=p, u_probability=q)
    if fixed_else:
        out[-1].configure(fix_m_probability=True)
    return out


def _dob_comparison() -> Any:
    """splink's date-of-birth comparison with one more level: day and month swapped (04/12 for 12/04)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    class DateOfBirthWithSwap(cl.DateOfBirthComparison):
        def create_comparison_levels(self) -> list[Any]:
            levels: list[Any] = list(super().create_comparison_levels())
            swap = cll.CustomLevel(
                "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
                "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)", "day and month swapped")
            return [*levels[:3], swap, *levels[3:]]

    return DateOfBirthWithSwap("dob", input_is_string=True, datetime_format="%Y-%m-%d").configure(
        m_probabilities=_M_DOB, u_probabilities=_U_DOB)


def _settings(prior: float) -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator

    given = cl.CustomComparison(
        output_column_name="given",
        comparison_levels=_levels([
            ("list_has_any(given_all_l, given_all_r)", _GIVEN_LEVELS[1]),
            ("list_has_any(given_forms_l, given_forms_r)", _GIVEN_LEVELS[2]),
            ("jaro_winkler_similarity(given_l, given_r) >= 0.92", _GIVEN_LEVELS[3]),
            ("jaro_winkler_similarity(given_l, given_r) >= 0.85 OR damerau_levenshtein(given_l, given_r) <= 1",
             _GIVEN_LEVELS[4]),
            ("(length(given_l) = 1 OR length(given_r) = 1) AND left(given_l, 1) = left(given_r, 1)",
             _GIVEN_LEVELS[5]),
            (_SWAPPED, _GIVEN_LEVELS[6]),
        ], _M_GIVEN, _U_GIVEN, "given_l IS NULL OR given_r IS NULL", exact="given", fixed_else=True),
        comparison_description="given name",
    )
    family = cl.CustomComparison(
        output_column_name="family",
        comparison_levels=_levels([
            ("list_has_any(family_all_l, family_all_r)", _FAMILY_LEVELS[1]),
            ("jaro_winkler_similarity(family_l, family_r) >= 0.92", _FAMILY_LEVELS[2]),
            ("jaro_winkler_similarity(family_l, family_r) >= 0.85 OR damerau_levenshtein(family_l, family_r) <= 1",
             _FAMILY_LEVELS[3]),
            (_SWAPPED, _FAMILY_LEVELS[4]),
        ], _M_FAMILY, _U_FAMILY, "family_l IS NULL OR family_r IS NULL", exact="family"),
        comparison_description="family name",
    )
    middle = cl.CustomComparison(
        output_column_name="middle",
        comparison_levels=_levels([("left(middle_l, 1) = left(middle_r, 1)", "middle initial agrees")],
                                  _M_MIDDLE, _U_MIDDLE, "middle_l IS NULL OR middle_r IS NULL", exact="middle"),
        comparison_description="middle name",
    )
    certs = cl.CustomComparison(
        output_column_name="certs",
        comparison_levels=_levels([
            ("list_has_any(certs_l, certs_r)", "a certification number in common"),
            ("list_has_any(cert_states_l, cert_states_r)", "another certification number in the same state"),
        ], _M_CERTS, _U_CERTS, "certs_l IS NULL OR certs_r IS NULL"),
        comparison_description="certification numbers",
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=prior,
        # the SSN index gets no term frequencies: every SSN is one person's
        comparisons=[given, family, middle, _dob_comparison(),
                     cl.ExactMatch("ssn").configure(m_probabilities=_M_SSN, u_probabilities=_U_SSN), certs],
        blocking_rules_to_generate_predictions=[rule for rule, _ in _blocking_rules()],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        max_iterations=25,
        em_convergence=0.0001,
    )


def _blocking_rules() -> list[tuple[Any, str]]:
    from splink import block_on

    return [
        (block_on("dob"), "same birth date"),
        (block_on("ssn"), "same SSN index"),
        (block_on("family_codes", "birth_year", arrays_to_explode=["family_codes"]),
         "same surname Soundex (any surname on file) and birth year"),
        (block_on("given_forms", "dob_md", arrays_to_explode=["given_forms"]),
         "same given name (any on file, nicknames folded) and birth day and month"),
        (block_on("given_forms", "family_codes", arrays_to_explode=["given_forms", "family_codes"]),
         "same given name and surname Soundex (any on file)"),
        (block_on("given_forms", "middle_initial", "birth_year", arrays_to_explode=["given_forms"]),
         "same given name (any on file), middle initial and birth year"),
    ]


_COLUMNS = {
    "unique_id": "VARCHAR", "given": "VARCHAR", "given_all": "VARCHAR[]", "given_forms": "VARCHAR[]",
    "middle": "VARCHAR", "middle_initial": "VARCHAR", "family": "VARCHAR",
    "family_all": "VARCHAR[]", "family_codes": "VARCHAR[]", "name_words": "VARCHAR[]", "dob": "VARCHAR",
    "birth_year": "INTEGER", "dob_md": "VARCHAR", "ssn": "VARCHAR", "certs": "VARCHAR[]", "cert_states": "VARCHAR[]",
}


@contextlib.contextmanager
def _quiet_splink() -> Iterator[None]:
    """splink logs each step at INFO (and some advice as WARNING): the sweep reports progress itself."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def link(officers: Sequence[Officer], settings: DedupeSettings | None = None,
         progress: Progress | None = None) -> LinkageResult:
    """Score every blocked pair of ``officers`` with splink; return those at or above the threshold.

    Pure computation (no registry database): DuckDB in memory. Raises ``ValueError`` when a blocking rule would
    compare more than ``settings.max_pairs`` pairs.
    """
    settings = settings or DedupeSettings()
    say = progress or (lambda _: None)
    seconds: dict[str, float] = {}
    if len(officers) < 2:
        return LinkageResult(len(officers), 0, {}, 0.0, [], [], seconds)
    import duckdb

    spill = tempfile.TemporaryDirectory(prefix="registry-dedupe-")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET temp_directory = '{spill.name}'")
        limit = settings.memory_limit or default_memory_limit()
        if limit:
            con.execute(f"SET memory_limit = '{limit}'")
        if settings.threads:
            con.execute(f"SET threads TO {int(settings.threads)}")
        with _quiet_splink():
            return _link(con, officers, settings, say, seconds)
    finally:
        con.close()
        spill.cleanup()


def _link(con: Any, officers: Sequence[Officer], settings: DedupeSettings, say: Progress,
          seconds: dict[str, float]) -> LinkageResult:
    import pandas as pd
    from splink import DuckDBAPI, Linker, block_on
    from splink.blocking_analysis import (
        count_comparisons_from_blocking_rule,
        cumulative_comparisons_to_be_scored_from_blocking_rules_data,
    )

    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        seconds[name] = round(now - clock, 3)
        clock = now

    say(f"preparing {len(officers):,} officers")
    by_id = {o.id: o for o in officers}
    frame = pd.DataFrame([_features(by_id[i]) for i in sorted(by_id)], columns=list(_COLUMNS))
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    columns = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
    con.execute(f"CREATE TABLE officers ({columns})")
    con.register("officer_frame", frame)
    con.execute("INSERT INTO officers SELECT * FROM officer_frame ORDER BY unique_id")
    con.unregister("officer_frame")
    del frame
    db = DuckDBAPI(connection=con)
    lap("prepare")

    say("counting the pairs the blocking rules compare")
    counts = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
        table_or_tables="officers", blocking_rules=[rule for rule, _ in _blocking_rules()],
        link_type="dedupe_only", db_api=db, max_rows_limit=int(settings.max_pairs), unique_id_column_name="unique_id",
    )
    by_rule = {name: int(n) for (_, name), n in zip(_blocking_rules(), counts["row_count"], strict=True)}
    compared = int(counts["cumulative_rows"].iloc[-1])
    cartesian = len(by_id) * (len(by_id) - 1) // 2
    deterministic: list[Any] = [block_on("given", "family", "dob"), block_on("ssn")]
    sure = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
        table_or_tables="officers", blocking_rules=deterministic, link_type="dedupe_only", db_api=db,
        max_rows_limit=int(settings.max_pairs), unique_id_column_name="unique_id",
    )
    observed = int(sure["cumulative_rows"].iloc[-1])
    lap("count")

    # With no sure pair to count from, the prior is one duplicate pair in the registry (never exactly zero).
    linker = Linker("officers", _settings(1.0 / cartesian), db_api=db, set_up_basic_logging=False)
    if 0 < observed <= cartesian * settings.recall:
        say(f"estimating the prior from {observed:,} pairs with the same full name and birth date, or SSN")
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=settings.recall)
    prior = float(linker.misc.save_model_to_json()["probability_two_random_records_match"])
    lap("prior")

    trained: list[str] = []
    if cartesian < settings.min_u_pairs:
        trained.append(f"u from random sampling skipped: {cartesian:,} pairs in all, fewer than "
                       f"{settings.min_u_pairs:,}")
    else:
        say("estimating u from random pairs of officers")
        con.execute("SET threads TO 1")  # a seeded DuckDB sample is only repeatable on one thread
        try:
            linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_max_pairs, seed=settings.seed)
        finally:
            con.execute(f"SET threads TO {threads}")
        trained.append(f"u from {min(settings.u_max_pairs, cartesian):,.0f} random pairs")
    lap("u")

    for rule, label in ((block_on("dob"), "birth date"), (block_on("given", "family"), "given and family name")):
        n = int(count_comparisons_from_blocking_rule(
            table_or_tables="officers", blocking_rule=rule, link_type="dedupe_only", db_api=db,
            unique_id_column_name="unique_id",
        )["number_of_comparisons_to_be_scored_post_filter_conditions"])
        if n < settings.min_em_pairs:
            trained.append(f"EM blocked on {label} skipped: {n:,} pairs, fewer than {settings.min_em_pairs:,}")
            continue
        say(f"estimating m by expectation maximisation on {n:,} pairs with the same {label}")
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
        trained.append(f"EM blocked on {label}: {n:,} pairs")
    lap("em")

    say(f"scoring {compared:,} pairs")
    predictions = linker.inference.predict(threshold_match_probability=settings.threshold)
    scored = predictions.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    predictions.drop_table_from_database_and_remove_from_cache()
    lap("predict")

    pairs = [_pair(row, by_id) for row in scored.to_dict(orient="records")]
    pairs.sort(key=lambda p: (-p.probability, p.a, p.b))
    lap("explain")
    return LinkageResult(len(by_id), compared, by_rule, prior, trained, pairs, seconds)


# -- reasons ------------------------------------------------------------------------------------------------------

def _partial(row: dict[str, Any], name: str) -> float:
    bf = float(row.get(f"bf_{name}", 1.0))
    tf = row.get(f"bf_tf_adj_{name}")
    if tf is not None and not (isinstance(tf, float) and math.isnan(tf)):
        bf *= float(tf)
    if bf <= 0:
        return -math.inf
    return math.log2(bf)


def _signed(w: float) -> str:
    return "-inf" if w == -math.inf else f"{w:+.1f}"


def _jw(a: str, b: str) -> float:
    return float(JaroWinkler.similarity(a, b))


def _given_reason(level: int, x: Officer, y: Officer) -> str:
    gx, gy = x.names[0].given.strip(), y.names[0].given.strip()
    fx, fy = _first(gx) or "", _first(gy) or ""
    if level == 7:
        return f"given name '{gx}' exact"
    if level == 6:
        return f"given name matches a name on file for the other officer ('{gx}', '{gy}')"
    if level == 5:
        return explain_nickname(gx, gy) or f"given names '{gx}' and '{gy}' are forms of one name"
    if level in (4, 3):
        return f"given names '{gx}' and '{gy}' Jaro-Winkler {_jw(fx, fy):.2f}"
    if level == 2:
        return f"given initial agrees ('{gx}', '{gy}')"
    if level == 1:
        return f"given name is the other's surname ('{gx}', '{gy}': a name read in another order)"
    return ""


def _family_reason(level: int, x: Officer, y: Officer) -> str:
    fx, fy = x.names[0].family.strip(), y.names[0].family.strip()
    if level == 5:
        return f"surname '{fx}' exact"
    if level == 4:
        return f"surnames share a form on file ('{fx}', '{fy}'; former names and compound parts count)"
    if level in (3, 2):
        return f"surnames '{fx}' and '{fy}' Jaro-Winkler {_jw(_joined(fx) or '', _joined(fy) or ''):.2f}"
    if level == 1:
        return f"surname is among the other's names ('{fx}', '{fy}': a name read in another order)"
    return ""


def _dob_reason(level: int, x: Officer, y: Officer) -> str:
    if x.dob is None or y.dob is None:
        return ""
    if level == 6:
        return f"same date of birth ({x.dob.isoformat()})"
    if level == 4:
        return f"dates of birth with day and month swapped ({x.dob.isoformat()}, {y.dob.isoformat()})"
    span = {5: "one character apart", 3: "within a month", 2: "within a year", 1: "within ten years"}.get(level)
    return f"dates of birth {span} ({x.dob.isoformat()}, {y.dob.isoformat()})" if span else ""


_TEXT: dict[str, dict[int, str]] = {
    "middle": {2: "middle name exact", 1: "middle initial agrees"},
    "ssn": {1: "same SSN on file"},
    "certs": {2: "a certification number in common", 1: "another certification number in the same state"},
}
_AGAINST: dict[str, str] = {
    "given": "given names differ", "family": "surnames differ", "middle": "middle names differ",
    "dob": "dates of birth far apart", "ssn": "different SSNs on file",
}


def _pair(row: dict[str, Any], by_id: dict[str, Officer]) -> ScoredPair:
    x, y = by_id[row["unique_id_l"]], by_id[row["unique_id_r"]]
    if x.id > y.id:
        x, y = y, x
    # rounded: DuckDB sums on several threads, in an order that can change the last bits from run to run
    probability, weight = round(float(row["match_probability"]), 9), round(float(row["match_weight"]), 6)
    reasons = [f"registry-wide duplicate sweep (splink, Fellegi-Sunter): match probability {probability:.4f}, "
               f"match weight {weight:.1f}"]
    for name in ("dob", "given", "family", "middle", "ssn", "certs"):
        level = int(row[f"gamma_{name}"])
        if level == -1:
            continue  # one of the two has nothing on file to compare
        w = _partial(row, name)
        if level == 0:
            text = _AGAINST.get(name, "")
        elif name == "given":
            text = _given_reason(level, x, y)
        elif name == "family":
            text = _family_reason(level, x, y)
        elif name == "dob":
            text = _dob_reason(level, x, y)
        else:
            text = _TEXT[name].get(level, "")
        if text:
            reasons.append(f"{text} ({_signed(w)})")
    ssn_conflict = int(row["gamma_ssn"]) == 0
    return ScoredPair(x.id, y.id, probability, weight, reasons, ssn_conflict)


# -- the sweep ----------------------------------------------------------------------------------------------------

@dataclass
class SweepSummary:
    """What one run of the sweep did (``proposals``: what it filed, or would have filed on a dry run)."""

    officers_read: int = 0
    pairs_compared: int = 0
    pairs_by_rule: dict[str, int] = field(default_factory=dict)
    above_threshold: int = 0
    proposed: int = 0
    skipped_pending: int = 0
    skipped_rejected: int = 0
    skipped_confirmed: int = 0
    skipped_ssn_conflict: int = 0
    skipped_no_publisher: int = 0
    left_by_limit: int = 0
    threshold: float = DEFAULT_THRESHOLD
    prior: float = 0.0
    trained: list[str] = field(default_factory=list)
    dry_run: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    proposals: list[dict[str, Any]] = field(default_factory=list)


def _proposal(pair: ScoredPair, rows: dict[str, store.DedupeOfficer]) -> store.NewProposal | None:
    """Orient the pair as publish time does (the newer officer is the one a confirmation merges away) and pick
    the publisher it is filed under: the newer officer's registering publisher, else any with either in its
    jurisdiction."""
    a, b = rows[pair.a], rows[pair.b]
    new, old = (a, b) if (a.created_at, a.id) > (b.created_at, b.id) else (b, a)
    by = new.created_by or old.created_by or next(iter(new.publisher_ids + old.publisher_ids), None)
    if by is None:
        return None
    return store.NewProposal(new.id, old.id, min(max(pair.probability, 0.0), 1.0), pair.reasons, by)


async def sweep(
    conn: asyncpg.Connection, settings: DedupeSettings | None = None, *, dry_run: bool = False,
    limit: int | None = None, progress: Progress | None = None,
) -> SweepSummary:
    """Read every officer, link them with splink, and file the new pairs as link proposals (none on a dry run).

    ``limit`` caps the proposals filed in this run, most probable first; the rest are found again next run.
    """
    import asyncio

    settings = settings or DedupeSettings()
    say = progress or (lambda _: None)
    started = time.monotonic()
    say("reading officers")
    rows = await store.officers_for_dedupe(conn, progress=lambda n: say(f"reading officers: {n:,}"))
    read = round(time.monotonic() - started, 3)
    result = await asyncio.to_thread(link, [officer_from_row(r) for r in rows], settings, say)
    summary = SweepSummary(
        officers_read=len(rows), pairs_compared=result.pairs_compared, pairs_by_rule=result.pairs_by_rule,
        above_threshold=len(result.pairs), threshold=settings.threshold, prior=result.prior,
        trained=result.trained, dry_run=dry_run, seconds={"read": read, **result.seconds},
    )
    say("checking proposals already on file")
    on_file = await store.existing_proposals(conn, [(p.a, p.b) for p in result.pairs])
    by_id = {r.id: r for r in rows}
    wanted: list[store.NewProposal] = []
    for pair in result.pairs:
        status = on_file.get(frozenset((pair.a, pair.b)))
        if status == "PENDING":
            summary.skipped_pending += 1
        elif status == "REJECTED":
            summary.skipped_rejected += 1
        elif status == "CONFIRMED":
            summary.skipped_confirmed += 1
        elif pair.ssn_conflict:
            summary.skipped_ssn_conflict += 1
        elif (proposal := _proposal(pair, by_id)) is None:
            summary.skipped_no_publisher += 1
        elif limit is not None and len(wanted) >= limit:
            summary.left_by_limit += 1
        else:
            wanted.append(proposal)
    if dry_run:
        filed = {(p.officer_id, p.candidate_id) for p in wanted}
    else:
        say(f"filing {len(wanted):,} proposals")
        async with conn.transaction():
            filed = set(await store.add_proposals(conn, wanted))
        summary.skipped_pending += len(wanted) - len(filed)  # proposed meanwhile, by publishing
    summary.proposed = len(filed)
    summary.proposals = [
        {"officerId": p.officer_id, "candidateId": p.candidate_id, "matchProbability": round(p.score, 6),
         "proposedBy": p.proposed_by, "reasons": p.reasons}
        for p in wanted if (p.officer_id, p.candidate_id) in filed
    ]
    summary.seconds["total"] = round(time.monotonic() - started, 3)
    return summary
