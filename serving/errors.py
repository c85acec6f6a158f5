"""One JSON error shape for every failure: {"error": {"code", "message", "details"}}, declared once in OpenAPI."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error answered with a status, a stable machine code and a one-line message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers, self.details = headers or {}, details or []


class ErrorDetail(BaseModel):
    field: str
    message: str
    type: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorInfo


_WHY = {400: "The body is not valid JSON", 401: "No valid API key", 404: "No such entry",
        422: "The request breaks the schema (the message names the field)",
        500: "The model or the server failed", 503: "Busy, loading or shutting down: retry after Retry-After seconds",
        504: "The model did not answer in time"}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of the given error statuses, all with the one error body."""
    return {status: {"model": ErrorBody, "description": _WHY[status],
                     **({"headers": _RETRY_AFTER} if status == 503 else {})} for status in statuses}


def allowed_methods(request: Request) -> str:
    """Every method the app answers at this request's resource (for a 405's Allow header).

    The resource is the first route whose path matches, as in routing; other routes with the same path
    template (GET and DELETE of one entry) add their methods.
    """
    routes = [route for route in request.app.router.routes if getattr(route, "methods", None)]
    matching = [route for route in routes if route.matches({**request.scope, "method": "GET"})[0] != Match.NONE]
    if not matching:
        return ""
    template = matching[0].path
    return ", ".join(sorted({method for route in routes if route.path == template for method in route.methods}))


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


def _location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


_MESSAGES = {"string_pattern_mismatch": "must contain a visible character and no NUL character"}


def _validation_details(error: RequestValidationError) -> list[dict[str, Any]]:
    return [{"field": _location(e.get("loc", ())), "type": e.get("type", ""),
             "message": _MESSAGES.get(e.get("type", ""), e.get("msg", ""))} for e in error.errors()]


def install_error_handlers(app: FastAPI) -> None:
    """Route every error the app can raise through the one shape."""

    @app.exception_handler(APIError)
    async def _api_error(_request: Request, error: APIError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.details, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        details = _validation_details(error)
        if any(d["type"] == "json_invalid" for d in details):
            return error_response(400, "invalid_json", "the request body is not valid JSON", details)
        first = details[0] if details else {"field": "body", "message": "invalid request"}
        message = f"{first['field']}: {first['message']}"
        if len(details) > 1:
            message += f" (and {len(details) - 1} more)"
        return error_response(422, "validation_error", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(error.status_code).phrase
        code = phrase.lower().replace(" ", "_").replace("-", "_")
        message = error.detail if isinstance(error.detail, str) and error.detail != phrase else phrase
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 405:  # the methods of every route at this path, not only the first one's
            headers["Allow"] = allowed_methods(request)
        return error_response(error.status_code, code, message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=error)
        return error_response(500, "internal_error", "internal server error")
