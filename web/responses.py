"""The GraphQL error envelope for answers given before GraphQL runs (bad token, bad body, wrong caller)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from registry import metrics

__all__ = ["graphql_error"]


def graphql_error(status: int, code: str, message: str) -> JSONResponse:
    metrics.requests_refused.labels(code).inc()
    return JSONResponse({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status)
