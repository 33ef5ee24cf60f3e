"""A load generator's HTTP/1.1 client that costs little CPU: one keep-alive connection, one request at a time.

On the bench's two cores the load generator shares the machine with the server and PostgreSQL. httpx spent about
0.9 ms of CPU per ``GET /healthz`` and 1.2–1.6 ms per lookup (more than the server's own work on the healthz route),
so every HTTP path was measured on the CPU the client left, and the in-process raw asyncpg path, which has no HTTP
client, was not. This client writes each request from pre-encoded bytes and reads the answer with httptools (the C
parser uvicorn uses), as wrk or h2load would, so that the servers' figures are less the client's. It is a bench tool,
not a general client: no TLS, no redirects, no compression; it answers the status and the whole body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httptools


class HttpError(Exception):
    """The connection broke or the answer could not be read."""


class _Reader(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: asyncio.Future[tuple[int, bytes]] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpError(f"unreadable answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = HttpError(f"connection lost: {exc or 'closed by the server'}")
        self._fail(self.lost)

    def _fail(self, exc: Exception) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(exc)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._body = []

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_result((self._parser.get_status_code(), b"".join(self._body)))


class Connection:
    """One keep-alive connection to ``host:port``; ``request`` sends one request and waits for its whole answer."""

    def __init__(self, host: str, port: int, headers: Mapping[str, str] | None = None) -> None:
        self.host, self.port = host, port
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **(headers or {})}.items())
        self._reader: _Reader | None = None

    async def _open(self) -> _Reader:
        loop = asyncio.get_running_loop()
        _, reader = await loop.create_connection(_Reader, self.host, self.port)
        return reader

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "application/json",
                      ) -> tuple[int, bytes]:
        if self._reader is None or self._reader.lost is not None:
            self._reader = await self._open()
        reader = self._reader
        head = f"{method} {path} HTTP/1.1\r\n{self._fixed}"
        if body or method == "POST":
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        reader.waiting = asyncio.get_running_loop().create_future()
        assert reader.transport is not None
        reader.transport.write(head.encode("latin-1") + b"\r\n" + body)
        return await reader.waiting

    def close(self) -> None:
        if self._reader is not None and self._reader.transport is not None:
            self._reader.transport.close()
        self._reader = None
