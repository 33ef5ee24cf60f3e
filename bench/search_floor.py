"""The database's floor for a search: what ``searchOfficers`` reads from PostgreSQL at least, with nothing else.

A reference for ``bench.identity_latency`` (issue 13: searchOfficers p99 < 50 ms at 10^6 officers, 8 clients), as
raw asyncpg is for the history lookup: for each search, the blocking-key lookup (``store.officers.key_hits_many``, the
statement the registry runs), the names of the candidates it finds whose birth date does not rule them out
(``store.officers.names_and_numbers``; the registry reads at least these, and the others' too when a name could lift
one to the search floor), and the query-log entries for the first ten found, on one connection per client. No
scoring, no GraphQL, no HTTP, no policy: the registry's search cannot be faster than this on the same database
whatever its own code does, so the pair tells how much of a search's time is the design's reads and how much is
the server's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from identity import NameParts, query_key_weights
from identity.matching import CANDIDATE_LIMIT
from identity.phonetic import IDF_SCALE
from identity.score import Candidate, Query, rules_out_by_date
from store import officers, querylog

SHOWN = 10  # the search's page (``first: 10`` in ``identity_latency.SEARCH``)
PURPOSE = "PRE_EMPLOYMENT_BACKGROUND_CHECK"


def _query(inp: dict[str, Any]) -> Query:
    name = NameParts(given=inp["givenName"], middle=inp.get("middleName") or "", family=inp["familyName"])
    return Query(names=[name], dob=date.fromisoformat(inp["dateOfBirth"]))


async def raw_search(pool: asyncpg.Pool, inp: dict[str, Any], org: str) -> list[str]:
    """One search's reads (see the module's docstring); the officers whose names were read."""
    query = _query(inp)
    weights = query_key_weights(list(query.names), query.dob)
    async with pool.acquire() as conn:
        hits = (await officers.key_hits_many(conn, [weights], limit=CANDIDATE_LIMIT, idf_scale=IDF_SCALE))[0]
        read = [h.current_id for h in hits if not rules_out_by_date(
            query, Candidate(h.current_id, (), h.date_of_birth, ssn_index=h.ssn_blind_index))]
        names = await officers.names_and_numbers(conn, read, set()) if read else {}
        shown = list(dict.fromkeys(h.current_id for h in hits))[:SHOWN]
        await querylog.append_many(conn, [(i, "hiring_agency", "bench-user", org, PURPOSE, {"Officer": [i]})
                                          for i in shown])
    return sorted(names)
