"""What every route needs (settings, database, stations, checks) and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from obshub.service.access import Access
from obshub.service.auth import COOKIE, Authenticator, AuthError, Principal, bearer
from obshub.service.db import ServiceDB
from obshub.service.settings import Settings
from obshub.service.stations import Registry


@dataclass
class Context:
    settings: Settings
    db: ServiceDB
    registry: Registry
    auth: Authenticator
    access: Access


def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


# Declared so the OpenAPI document says how to authenticate: "Authorization: token <TOKEN>".
_token_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    description="`token <API token>` (JupyterHub token or a standalone token); "
    "browsers logged in through the hub use the session cookie for GET requests",
)


async def get_caller(
    request: Request,
    header: Annotated[str | None, Depends(_token_header)] = None,
) -> Principal:
    """The authenticated caller, or 401/403."""
    ctx = get_ctx(request)
    token = bearer(header)
    if token is None and header:
        raise AuthError(401, "Authorization header must be 'token <TOKEN>' or 'Bearer <TOKEN>'")
    if token is None and request.method in ("GET", "HEAD"):
        # The OAuth cookie authenticates only safe requests (no CSRF on state changes).
        token = request.cookies.get(COOKIE)
    if not token:
        raise AuthError(401, "authentication required: send 'Authorization: token <TOKEN>'")
    return await ctx.auth.principal(token)


Ctx = Annotated[Context, Depends(get_ctx)]
Caller = Annotated[Principal, Depends(get_caller)]
