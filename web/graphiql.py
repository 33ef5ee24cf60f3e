"""GraphiQL (development only): the IDE page for GET /graphql and its assets, all served by the registry.

Strawberry's built-in page loads React and GraphiQL from unpkg, so without internet access it stays a blank
"Loading..." page. This page is strawberry's, with every script and stylesheet vendored under
``web/static/graphiql/`` (versions and sources in its SOURCES.md) and served at ``/graphiql/static``; the
bootstrap is a static file too, so the Content-Security-Policy allows scripts from 'self' only (styles from
'self' and one stylesheet by hash) and never 'unsafe-inline'.
``server.RegistryGraphQL.render_graphql_ide`` answers with ``page``; ``server.create_app`` mounts ``assets``,
both only when ``settings.graphiql`` is on.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
STATIC_PATH = "/graphiql/static"
#: in load order: React first, then GraphiQL (which sets window.GraphiQL), then its explorer plugin, then ours
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "plugin-explorer.umd.js",
           "registry-graphiql.js")
STYLES = ("graphiql.min.css", "plugin-explorer.css", "registry-graphiql.css")
#: asset URLs carry a digest of their content (?v=), so a cached copy is never stale
ASSET_CACHE = "public, max-age=31536000, immutable"
#: the one stylesheet GraphiQL injects (react-remove-scroll-bar, while a dialog is open); its text is fixed because
#: registry-graphiql.css keeps the body at overflow: hidden (no scrollbar gap to compensate). Allowed by hash, so
#: style-src needs no 'unsafe-inline'; should a new GraphiQL change it, only that scroll lock is refused.
SCROLL_LOCK_STYLE = "'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='"
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Officer registry GraphiQL</title>
    <link rel="icon" href="{favicon}" type="image/svg+xml">
{styles}
  </head>
  <body>
    <div id="graphiql" class="graphiql-container">Loading...</div>
{scripts}
  </body>
</html>
"""


@functools.cache
def _version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:16]


def asset_url(name: str, root_path: str = "") -> str:
    """The same-origin path of a vendored file, with its content digest."""
    return f"{root_path}{STATIC_PATH}/{name}?v={_version(name)}"


def content_security_policy(host: str | None) -> str:
    """Scripts and styles only from this origin; fetch and the subscription socket only to it."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return (f"default-src 'none'; script-src 'self'; style-src 'self' {SCROLL_LOCK_STYLE}; font-src 'self' data:; "
            f"img-src 'self' data:; connect-src 'self'{sockets}; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def page(request: Request) -> Response:
    """The IDE page: GraphiQL against the URL it was served from (/graphql), headers editor on."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    styles = "\n".join(f'    <link rel="stylesheet" href="{escape(asset_url(n, root))}">' for n in STYLES)
    scripts = "\n".join(f'    <script src="{escape(asset_url(n, root))}"></script>' for n in SCRIPTS)
    html = _PAGE.format(favicon=escape(asset_url("favicon.svg", root)), styles=styles, scripts=scripts)
    return HTMLResponse(html, headers={
        "Content-Security-Policy": content_security_policy(request.headers.get("host")),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    })


class _Assets(StaticFiles):
    """StaticFiles with a long cache lifetime (URLs are versioned by content) and no MIME sniffing."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = ASSET_CACHE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def assets() -> Mount:
    """The route serving the vendored files at /graphiql/static (mount it only when GraphiQL is on)."""
    return Mount(STATIC_PATH, app=_Assets(directory=STATIC_DIR), name="graphiql-static")
