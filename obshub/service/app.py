"""The FastAPI application: the obshub REST API under ``<prefix>api/v1``.

Inside JupyterHub the prefix is ``/services/obshub/`` (the proxy forwards full paths); a
standalone service uses ``/``. OpenAPI is at ``<prefix>api/v1/openapi.json``, the interactive
documentation at ``<prefix>api/v1/docs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from obshub import __version__
from obshub.service import (
    errors,
    routes_admin,
    routes_control,
    routes_frames,
    routes_requests,
    routes_sites,
)
from obshub.service.access import Access
from obshub.service.auth import (
    COOKIE,
    Authenticator,
    AuthError,
    HubAuthenticator,
    TokenFileAuthenticator,
)
from obshub.service.context import Context
from obshub.service.db import ServiceDB
from obshub.service.scopes import Right
from obshub.service.settings import Settings
from obshub.service.stations import Registry

log = logging.getLogger("obshub.service")


def _seed(ctx: Context) -> None:
    """Grants the deployment asks for at start-up (demo users, a site's first owner)."""
    for i, g in enumerate(ctx.settings.seed_grants):
        try:
            right = Right(g["right"])
            site = g["site"]
            if site not in ctx.registry.sites:
                raise KeyError(f"no site {site!r}")
            ctx.db.add_grant(str(g["principal"]), site, g.get("telescope"), right.value, "seed")
        except (KeyError, ValueError, TypeError) as exc:
            log.error("OBSHUB_SEED_GRANTS[%d] ignored: %s", i, exc)


def create_app(
    settings: Settings,
    *,
    registry: Registry | None = None,
    auth: Authenticator | None = None,
    connect: bool = True,
) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings
        Usually :meth:`Settings.from_env`.
    registry, auth
        Replace the stations or the authenticator (tests).
    connect
        Connect every device at start-up (in the background).
    """
    registry = registry or Registry(settings.stations)
    if auth is None:
        if settings.hub:
            auth = HubAuthenticator()
        else:
            assert settings.tokens_file is not None
            auth = TokenFileAuthenticator(settings.tokens_file)
    db = ServiceDB(settings.db_url)
    ctx = Context(settings, db, registry, auth, Access(db, registry))
    for site in registry.sites.values():
        patches = db.port_patches(site.id)
        if patches:
            registry.apply_patches(site, patches)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _seed(ctx)
        task = asyncio.create_task(registry.connect_all()) if connect else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await registry.aclose()
        db.engine.dispose()

    api = settings.api_prefix
    app = FastAPI(
        title="obshub",
        version=__version__,
        description="Sites, stations and devices, observing requests, schedules, frames and "
        "grants of an obshub observatory. Authenticate with `Authorization: token <TOKEN>`.",
        openapi_url=f"{api}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    errors.install(app)
    v1 = APIRouter(prefix=api)
    for module in (routes_admin, routes_sites, routes_control, routes_requests, routes_frames):
        v1.include_router(module.router)
    app.include_router(v1)
    _docs(app, api)
    if settings.hub:
        _oauth_routes(app, ctx)
    return app


def _docs(app: FastAPI, api: str) -> None:
    """Interactive API docs at ``<api>/docs``, with Swagger UI served by the service itself.

    FastAPI's default page loads Swagger UI from a CDN, which an observatory offline cannot
    reach; ``swagger-ui-bundle`` ships the same files in a Python package.
    """
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    try:
        import swagger_ui_bundle
    except ImportError:  # still documented, from the CDN
        assets = None
    else:
        assets = f"{api}/docs-assets"
        app.mount(assets, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), "docs-assets")

    @app.get(f"{api}/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        kw = {}
        if assets:
            kw = dict(
                swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                swagger_css_url=f"{assets}/swagger-ui.css",
                swagger_favicon_url=f"{assets}/favicon-32x32.png",
            )
        return get_swagger_ui_html(openapi_url=f"{api}/openapi.json", title="obshub API", **kw)


def _oauth_routes(app: FastAPI, ctx: Context) -> None:
    """Browser login through the hub (OAuth with PKCE) and a small landing page."""
    assert isinstance(ctx.auth, HubAuthenticator)
    hub = ctx.auth.hub
    prefix = ctx.settings.prefix.rstrip("/") + "/"
    state_cookie = "obshub-oauth-state"

    def _secure(request: Request) -> bool:
        return request.headers.get("x-forwarded-proto", request.url.scheme) == "https"

    @app.get(f"{prefix}login", include_in_schema=False)
    async def login(request: Request, next: str = prefix) -> Response:
        if not next.startswith(prefix):
            next = prefix
        verifier, challenge, method = hub.generate_pkce_code_challenge()
        state = hub.generate_state(next, code_verifier=verifier)
        params = {"state": state, "code_challenge": challenge, "code_challenge_method": method}
        resp = RedirectResponse(f"{hub.login_url}&{urlencode(params)}", status_code=302)
        resp.set_cookie(
            state_cookie,
            state,
            max_age=600,
            httponly=True,
            path=prefix,
            secure=_secure(request),
            samesite="lax",
        )
        return resp

    @app.get(f"{prefix}oauth_callback", include_in_schema=False)
    async def oauth_callback(request: Request, code: str = "", state: str = "") -> Response:
        if not code or not state or state != request.cookies.get(state_cookie):
            raise errors.ApiError(400, "OAuth state mismatch: start again at login", "state")
        verifier = hub.get_code_verifier(state)
        next_url = hub.get_next_url(state)
        hub.clear_oauth_state(state)
        try:
            token = await hub.token_for_code(code, code_verifier=verifier, sync=False)
        except Exception as exc:
            raise AuthError(401, f"the hub refused the login: {exc}") from exc
        resp = RedirectResponse(next_url or prefix, status_code=302)
        resp.delete_cookie(state_cookie, path=prefix)
        resp.set_cookie(
            COOKIE, token, httponly=True, path=prefix, secure=_secure(request), samesite="lax"
        )
        return resp

    @app.get(prefix, include_in_schema=False)
    async def landing(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        who: Any = None
        if token:
            with contextlib.suppress(AuthError):
                who = await ctx.auth.principal(token)
        if who is None:
            return RedirectResponse(f"{prefix}login?{urlencode({'next': prefix})}", status_code=302)
        sites = [
            s
            for s in ctx.registry.sites.values()
            if ctx.access.allowed(who, s, Right.view, anywhere=True)
        ]
        items = "".join(
            f"<li>{html.escape(s.config.site.name)} — <code>{s.id}</code></li>" for s in sites
        )
        api = ctx.settings.api_prefix
        return HTMLResponse(
            f"<!doctype html><title>obshub</title><h1>obshub</h1>"
            f"<p>Signed in as <b>{html.escape(who.name)}</b>.</p><ul>{items}</ul>"
            f'<p><a href="{api}/docs">API documentation</a> · '
            f'<a href="{api}/me">me</a></p>'
        )
