"""The database's floor for a search: what ``searchOfficers`` reads from PostgreSQL at least, with nothing else.

A reference for ``bench.identity_latency`` (issue 13: searchOfficers p99 < 50 ms at 10^6 officers, 8 clients), as
raw asyncpg is for the history lookup: for each search, the blocking-key lookup with the names of the candidates it
finds whose birth date does not rule them out (``store.officers.key_hits_many``, the statement the registry runs; the
registry reads the others' names too, in a second statement, when a name could lift one to the search floor and the
others leave room for it), and the query-log entries for the first ten found, written as the registry writes them
(``auth.disclosure_log``: the entries of searches that finish together in one commit). No scoring, no GraphQL, no
HTTP, no policy: the registry's search cannot be faster than this on the same database whatever its own code does,
so the pair tells how much of a search's time is the design's reads and how much is the server's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from auth.disclosure_log import DisclosureLog
from identity import NameParts, query_key_weights
from identity.matching import CANDIDATE_LIMIT
from identity.phonetic import IDF_SCALE, KEY_UNITS
from identity.score import near_dates
from store import officers

SHOWN = 10  # the search's page (``first: 10`` in ``identity_latency.SEARCH``)
PURPOSE = "PRE_EMPLOYMENT_BACKGROUND_CHECK"


class SearchFloor:
    """The floor's searches on one pool, their query-log entries written by one ``DisclosureLog``, as in the server."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.log = DisclosureLog(pool)

    async def search(self, inp: dict[str, Any], org: str) -> list[str]:
        """One search's reads (see the module's docstring); the officers whose names were read."""
        name = NameParts(given=inp["givenName"], middle=inp.get("middleName") or "", family=inp["familyName"])
        dob = date.fromisoformat(inp["dateOfBirth"])
        async with self.pool.acquire() as conn:
            hits = (await officers.key_hits_many(conn, [query_key_weights([name], dob)], limit=CANDIDATE_LIMIT,
                                                 idf_scale=IDF_SCALE, units=KEY_UNITS,
                                                 read=[officers.NamesRead(near_dates(dob))]))[0]
        shown = list(dict.fromkeys(h.current_id for h in hits))[:SHOWN]
        await self.log.write([(i, "hiring_agency", "bench-user", org, PURPOSE, {"Officer": [i]}) for i in shown])
        return sorted(h.current_id for h in hits if h.names is not None)
