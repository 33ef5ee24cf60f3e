"""A request's objects go when it ends, not at the garbage collector's next pass.

Cyclic garbage left by every request made the collector run often, and its full passes were the lookup's p99
(docs/performance.md): graphql-core's execution context refers to itself (schema._ExecutionContext drops the link
once the response is built) and the request scope held the context that holds the request (server.py keeps a weak
reference). With the collector off, a few successful requests of each kind are made; one collection then must
find none of the server's request objects among the unreachable ones. (An answer with errors still leaves a cycle:
each error's traceback refers to the frames that raised it, which the error log needs.)
"""

from __future__ import annotations

import gc
from typing import Any

from graphql.execution import Executor
from strawberry.dataloader import DataLoader

from schema.context import Context
from schema.loaders import Loaders
from tests.support import World, cert_issued, record_published

LOOKUP = """query($id: ID!) { officer(id: $id) { id names { fullName }
  certifications { edges { node { number status publisher { name } } } }
  employment { edges { node { startDate agency { name } } } }
  records { edges { node { kind status statusHistory { toStatus } } } } } }"""


def _request_objects(objects: list[Any]) -> list[str]:
    kinds = (Context, Loaders, DataLoader, Executor)
    return sorted({type(o).__name__ for o in objects if isinstance(o, kinds)})


async def test_requests_leave_no_cyclic_garbage(world: World) -> None:
    officer = (await world.publish_ok("ca-post", cert_issued(number="G-1")))[0]["officerId"]
    await world.publish_ok("ca-post", record_published(source="g-rec", subj={"registryId": officer}))
    audit = {"Registry-Purpose": "OVERSIGHT_AUDIT"}
    await world.ok(LOOKUP, {"id": officer}, as_="auditor", headers=audit)  # warm: caches, connections
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            await world.ok(LOOKUP, {"id": officer}, as_="auditor", headers=audit)
            await world.ok(LOOKUP, {"id": officer}, as_="hiring_agency", agency_ori="WA0170000",
                           headers={"Registry-Purpose": "PRE_EMPLOYMENT_BACKGROUND_CHECK"})
            await world.ok('{ verifyCertification(state: "CA", number: "G-1") { status } }', as_="auditor",
                           headers=audit)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = _request_objects(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == [], f"requests left cyclic garbage holding {left}"

