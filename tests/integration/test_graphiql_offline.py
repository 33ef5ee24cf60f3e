"""GraphiQL works without internet access: the page at GET /graphql (development) references only the
registry's own origin, every asset it names is served from web/static/graphiql/, the vendored files are
the releases SOURCES.md names, and headless Chromium with every origin but 127.0.0.1 unreachable renders
the IDE, which then introspects /graphql with the token from its headers editor."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import subprocess
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import asyncpg
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.integration.monitoring_support import serve
from tests.integration.test_public_statistics import chromium  # noqa: F401  (the session fixture: apt-get or skip)
from tests.support import World, free_port
from web import graphiql

HTML = {"Accept": "text/html"}
CDNS = ("unpkg", "esm.sh", "jsdelivr", "cdnjs", "googleapis", "cloudflare")
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@pytest.fixture
async def dev(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    return World(pool, tmp_path, graphiql=True, checkpoint_seconds=0)


class Assets(HTMLParser):
    """Every URL the page makes the browser load (script src, link href) and whether any script is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._in_script = True
            if a.get("src"):
                self.urls.append(a["src"] or "")
            else:
                self.inline_scripts += 1
        elif tag == "link" and a.get("href"):
            self.urls.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def page_assets(html: str) -> Assets:
    parser = Assets()
    parser.feed(html)
    return parser


async def test_the_page_names_only_its_own_origin_and_every_asset_is_served(dev: World) -> None:
    page = await dev.http.get("/graphql", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "http://" not in text and "https://" not in text, text
    assert not any(cdn in text.lower() for cdn in CDNS), text
    assets = page_assets(text)
    assert assets.inline_scripts == 0, "the bootstrap is a static file, so the CSP needs no 'unsafe-inline'"
    names = {urllib.parse.urlsplit(url).path.rsplit("/", 1)[1] for url in assets.urls}
    assert names == {*graphiql.SCRIPTS, *graphiql.STYLES, "favicon.svg"}, names
    for url in assets.urls:
        parts = urllib.parse.urlsplit(url)
        assert not parts.scheme and not parts.netloc and parts.path.startswith("/graphiql/static/"), url
        resp = await dev.http.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        suffix = Path(parts.path).suffix
        assert resp.headers["content-type"].startswith(TYPES[suffix]), (url, resp.headers["content-type"])
        assert resp.content == (graphiql.STATIC_DIR / Path(parts.path).name).read_bytes()
        assert "immutable" in resp.headers["cache-control"] and resp.headers["x-content-type-options"] == "nosniff"
    csp = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["default-src"] == "'none'"
    assert csp["style-src"] == f"'self' {graphiql.SCROLL_LOCK_STYLE}"  # no 'unsafe-inline'; see web/graphiql.py
    assert csp["connect-src"] == "'self' ws://registry wss://registry"
    assert "unsafe" not in page.headers["content-security-policy"]
    forged = await dev.http.get("/graphql", headers={**HTML, "Host": "x; script-src *"})  # no header injection
    assert "script-src 'self';" in forged.headers["content-security-policy"] and "*" not in forged.headers[
        "content-security-policy"]


async def test_no_page_and_no_assets_when_graphiql_is_off(world: World) -> None:
    assert (await world.http.get("/graphql", headers=HTML)).status_code == 404
    for name in (*graphiql.SCRIPTS, *graphiql.STYLES):
        assert (await world.http.get(f"/graphiql/static/{name}")).status_code == 404, name


def test_vendored_files_are_the_releases_sources_md_names() -> None:
    """SOURCES.md records each vendored file's SRI hash (the ones strawberry's CDN page pins); they still match."""
    sources = (graphiql.STATIC_DIR / "SOURCES.md").read_text()
    pinned = dict(re.findall(r"^\| `([^`]+)` \|.*\| `(sha384-[A-Za-z0-9+/=]+)` \|$", sources, re.MULTILINE))
    vendored = {"graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js",
                "plugin-explorer.umd.js", "plugin-explorer.css"}
    assert set(pinned) == vendored, pinned
    for name, sri in pinned.items():
        digest = base64.b64encode(hashlib.sha384((graphiql.STATIC_DIR / name).read_bytes()).digest()).decode()
        assert sri == f"sha384-{digest}", name
    for licence in ("LICENSE.graphiql", "LICENSE.graphiql-explorer", "LICENSE.react", "LICENSE.react-dom"):
        assert "MIT License" in (graphiql.STATIC_DIR / licence).read_text() and licence in sources


# -- in a real browser, offline ---------------------------------------------------------------------------

class Recorder:
    """What the browser asked the registry for: (method, path, status, sent an Authorization header)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[str, str, int, bool]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorized = any(k.lower() == b"authorization" for k, _ in scope["headers"])

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append((scope["method"], scope["path"], message["status"], authorized))
            await send(message)

        await self.app(scope, receive, sending)


async def dump_dom(browser: str, url: str, profile: Path) -> tuple[str, str]:
    """Headless Chromium with no network but 127.0.0.1: names resolve nowhere and anything else goes to a dead
    proxy. Returns the DOM after 10 s of virtual time, and Chromium's log (console messages, CSP reports)."""
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            f"--proxy-server=http://127.0.0.1:{free_port()}", "--proxy-bypass-list=127.0.0.1",
            "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}",
            "--virtual-time-budget=10000", "--dump-dom", url]
    done = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, timeout=180)
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout, done.stderr


async def test_graphiql_renders_in_headless_chromium_without_internet(dev: World, chromium: str,  # noqa: F811
                                                                      tmp_path: Path) -> None:
    recorder = Recorder(dev.app)
    headers = json.dumps({"Authorization": f"Bearer {dev.token('auditor')}"})
    async with serve(recorder, "off") as base:
        dom, log = await dump_dom(chromium, f"{base}/graphql?" + urllib.parse.urlencode({"headers": headers}),
                                  tmp_path / "profile")
    # the IDE rendered: its editors replaced the "Loading..." placeholder, with the registry's example query
    assert "Loading..." not in dom, dom[:2000]
    for element in ("graphiql-container", "graphiql-query-editor", "graphiql-editor-tool", "CodeMirror"):
        assert element in dom, (element, dom[:2000])
    assert "officer certification registry" in dom
    # every asset came from the registry, nothing was refused by the Content-Security-Policy
    got = {path.rsplit("/", 1)[1] for method, path, status, _ in recorder.seen
           if method == "GET" and path.startswith("/graphiql/static/") and status == 200}
    assert got >= {*graphiql.SCRIPTS, *graphiql.STYLES}, (got, recorder.seen)
    assert "Content Security Policy" not in log and "Refused to" not in log, log[-3000:]
    # and GraphiQL introspected /graphql over the allowed connect-src, with the token from its headers editor
    assert ("POST", "/graphql", 200, True) in recorder.seen, recorder.seen
