"""The witness's HTTP surface (c2sp.org/tlog-witness): ``POST /add-checkpoint``, run by ``registry witness``."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ledger.witness import MAX_BODY, Witness

__all__ = ["create_witness_app"]


def create_witness_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return PlainTextResponse("request too large\n", status_code=413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("request too large\n", status_code=413)
        answer = await asyncio.to_thread(witness.add_checkpoint, body)  # file lock and fsync off the event loop
        # the content type exactly as the protocol names it (text/x.tlog.size takes no charset)
        return Response(answer.body.encode("utf-8"), status_code=answer.status,
                        headers={"content-type": answer.content_type})

    async def key(_request: Request) -> Response:
        return PlainTextResponse(witness.cosigner.verifier_key_string() + "\n")

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
                             Route("/key", key, methods=["GET"])])
