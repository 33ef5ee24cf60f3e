"""bench.light_http against a real server: keep-alive, chunked answers, request bodies, and a broken connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bench.light_http import Connection, HttpError

SEEN: list[tuple[str, str, bytes]] = []


async def echo(request: Request) -> Response:
    body = await request.body()
    SEEN.append((request.method, request.headers.get("authorization", ""), body))
    return JSONResponse({"data": {"echo": body.decode(), "peer": request.client.port if request.client else 0}})


async def chunked(_request: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        for p in (b'{"data":', b'{"n":1}', b"}"):
            yield p
    return StreamingResponse(parts(), media_type="application/json")


async def teapot(_request: Request) -> Response:
    return Response(b"no", status_code=418)


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[tuple[uvicorn.Server, int]]:
    app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"]), Route("/chunked", chunked),
                            Route("/teapot", teapot)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(1000):  # uvicorn offers no event to wait on
        if server.started:
            break
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield server, port
    finally:
        server.should_exit = True
        await task


async def test_requests_on_one_keep_alive_connection() -> None:
    async with serving() as (_server, port):
        conn = Connection("127.0.0.1", port, {"Authorization": "Bearer t"})
        peers = set()
        for i in range(3):
            status, body = await conn.request("POST", "/echo", f"body {i}".encode())
            assert status == 200
            assert body.startswith(b'{"data":{"echo":"body %d"' % i)
            peers.add(body.split(b'"peer":')[1])
        assert len(peers) == 1  # the same connection each time
        assert SEEN[-1] == ("POST", "Bearer t", b"body 2")
        assert await conn.request("GET", "/chunked") == (200, b'{"data":{"n":1}}')
        assert await conn.request("GET", "/teapot") == (418, b"no")
        conn.close()


async def test_a_connection_the_server_closes_fails_then_reopens() -> None:
    async with serving() as (_server, port):
        conn = Connection("127.0.0.1", port)
        assert (await conn.request("GET", "/echo"))[0] == 200
        assert conn._reader is not None and conn._reader.transport is not None
        conn._reader.transport.abort()  # the connection breaks under the client
        await asyncio.sleep(0.05)
        assert (await conn.request("GET", "/echo"))[0] == 200  # a new connection
        conn.close()


async def test_a_server_that_goes_away_is_an_error() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(HttpError, match="connection lost"):
            await Connection("127.0.0.1", port).request("GET", "/")
    finally:
        server.close()
        await server.wait_closed()
