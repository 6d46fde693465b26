"""Every error the API answers is JSON: ``{"message", "field", "type"}``, with a 4xx for bad input.

Device failures keep their meaning: a value the device refuses is 422, an operation it cannot do
now is 409, a device that does not answer is 504 and one that cannot be reached 503 (those are
the only 5xx a correct request can get, and they are about the kit, not the payload).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from obshub import errors as E
from obshub.service.auth import AuthError
from obshub.service.codec import ArgError
from obshub.service.requests import RequestInvalid

log = logging.getLogger("obshub.service")


class ApiError(Exception):
    """An error answer: status, message and the field at fault (if one is)."""

    def __init__(self, status: int, message: str, field: str | None = None, type: str = "error"):
        self.status = status
        self.message = message
        self.field = field
        self.type = type
        super().__init__(message)


def body(message: str, field: str | None, type: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "field": field, "type": type, **extra}


def _loc(loc: Any) -> str:
    return ".".join(str(x) for x in loc)


def _device_status(exc: E.DeviceError) -> tuple[int, str]:
    if isinstance(exc, E.InvalidValue):
        return 422, "invalid_value"
    if isinstance(exc, E.InvalidOperation | E.DeviceNotConnected):
        return 409, "invalid_operation"
    if isinstance(exc, E.NotImplementedByDevice):
        return 400, "not_implemented_by_device"
    if isinstance(exc, E.DeviceTimeout):
        return 504, "device_timeout"
    if isinstance(exc, E.DeviceDisconnected):
        return 503, "device_unreachable"
    return 502, "device_error"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a JSON answer."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(body(exc.message, exc.field, exc.type), status_code=exc.status)

    @app.exception_handler(AuthError)
    async def _auth(_: Request, exc: AuthError) -> JSONResponse:
        headers = {"WWW-Authenticate": "token"} if exc.status == 401 else None
        kind = "unauthenticated" if exc.status == 401 else "forbidden"
        return JSONResponse(body(exc.message, None, kind), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [
            {"field": _loc(e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errs[0] if errs else {"field": None, "message": "invalid request"}
        return JSONResponse(
            body(
                f"{first['field']}: {first['message']}",
                first["field"],
                "validation_error",
                errors=errs,
            ),
            status_code=422,
        )

    @app.exception_handler(ArgError)
    async def _arg(_: Request, exc: ArgError) -> JSONResponse:
        return JSONResponse(body(str(exc), exc.field, "validation_error"), status_code=422)

    @app.exception_handler(RequestInvalid)
    async def _req(_: Request, exc: RequestInvalid) -> JSONResponse:
        errs = [{"field": f"body.{p}", "message": m} for p, m in exc.problems]
        return JSONResponse(
            body(str(exc), errs[0]["field"], "validation_error", errors=errs), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            body(str(exc.detail), None, "http_error"),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(E.DeviceError)
    async def _device(_: Request, exc: E.DeviceError) -> JSONResponse:
        status, kind = _device_status(exc)
        return JSONResponse(
            body(str(exc), None, kind, device=exc.device, operation=exc.operation),
            status_code=status,
        )

    @app.exception_handler(E.ConfigError)
    async def _config(_: Request, exc: E.ConfigError) -> JSONResponse:
        errs = [{"field": p, "message": m} for p, m in exc.problems]
        field = errs[0]["field"] if errs else None
        return JSONResponse(body(str(exc), field, "validation_error", errors=errs), status_code=422)

    @app.exception_handler(E.ObshubError)
    async def _obshub(_: Request, exc: E.ObshubError) -> JSONResponse:
        return JSONResponse(body(str(exc), None, "error"), status_code=400)

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            body(f"internal error: {type(exc).__name__}: {exc}", None, "internal_error"),
            status_code=500,
        )
