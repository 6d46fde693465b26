"""The HTTP side of the client: where the service is, the caller's token, errors as exceptions.

In a JupyterHub kernel everything comes from the environment: ``OBSHUB_SERVICE_URL`` (the hub
sets it for every user server) and ``JUPYTERHUB_API_TOKEN`` (the user's own token, limited to
the scopes the user holds). Outside a hub pass ``url`` and ``token`` yourself, or set
``OBSHUB_SERVICE_URL`` and ``OBSHUB_TOKEN``.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from obshub import errors as E


class ServiceError(E.ObshubError):
    """The service refused a call.

    Attributes
    ----------
    status
        HTTP status.
    message
        The service's explanation.
    field
        The argument or body field at fault, if one is.
    type
        The service's error type (``forbidden``, ``lease_required``, ``validation_error``…).
    """

    def __init__(self, status: int, message: str, field: str | None = None, type: str = "error"):
        self.status = status
        self.message = message
        self.field = field
        self.type = type
        where = f" [{field}]" if field else ""
        super().__init__(f"HTTP {status} {type}{where}: {message}")


class PermissionDenied(ServiceError):
    """401/403: not authenticated, or no role or grant for this."""


class LeaseError(ServiceError):
    """409: the telescope's control lease is needed, or someone else holds it."""


_DEVICE_ERRORS: dict[str, type[E.DeviceError]] = {
    "invalid_value": E.InvalidValue,
    "invalid_operation": E.InvalidOperation,
    "not_implemented_by_device": E.NotImplementedByDevice,
    "device_timeout": E.DeviceTimeout,
    "device_unreachable": E.DeviceDisconnected,
    "device_error": E.DeviceError,
}


def raise_for(resp: httpx.Response) -> None:
    """Turn an error answer into the exception a local station would raise."""
    if resp.status_code < 400:
        return
    try:
        body: dict[str, Any] = resp.json()
    except ValueError:
        body = {"message": resp.text[:500] or resp.reason_phrase}
    msg = str(body.get("message") or body.get("detail") or resp.reason_phrase)
    kind = str(body.get("type") or "error")
    if kind in _DEVICE_ERRORS and body.get("device"):
        # Same exception classes as a local station: notebooks catch them the same way.
        raise _DEVICE_ERRORS[kind](str(body["device"]), str(body.get("operation", "")), msg)
    cls = ServiceError
    if resp.status_code in (401, 403):
        cls = PermissionDenied
    elif kind in ("lease_required", "lease_held"):
        cls = LeaseError
    raise cls(resp.status_code, msg, body.get("field"), kind)


def service_url(url: str | None = None) -> str:
    """The service's base URL (ending in ``/``), from the argument or the environment."""
    url = url or os.environ.get("OBSHUB_SERVICE_URL")
    if not url:
        raise E.ObshubError(
            "where is the obshub service? set OBSHUB_SERVICE_URL (the hub sets it in user "
            "servers) or pass url="
        )
    return url.rstrip("/") + "/"


def service_token(token: str | None = None) -> str:
    token = token or os.environ.get("OBSHUB_TOKEN") or os.environ.get("JUPYTERHUB_API_TOKEN")
    if not token:
        raise E.ObshubError(
            "no API token: set JUPYTERHUB_API_TOKEN or OBSHUB_TOKEN, or pass token="
        )
    return token


class ServiceClient:
    """An authenticated async client for ``<url>api/v1``.

    Parameters
    ----------
    url
        The service's base URL (``https://hub.example.org/services/obshub/``).
    token
        The caller's API token.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        verify: bool | str = True,
    ):
        self.url = service_url(url)
        self.api = self.url + "api/v1"
        self._http = httpx.AsyncClient(
            headers={"Authorization": f"token {service_token(token)}"},
            timeout=httpx.Timeout(timeout),
            verify=verify,
        )

    async def request(
        self, method: str, path: str, *, timeout: float | None = None, **kwargs: Any
    ) -> httpx.Response:
        url = path if path.startswith("http") else self._abs(path)
        kw: dict[str, Any] = dict(kwargs)
        if timeout is not None:
            kw["timeout"] = httpx.Timeout(10.0, read=timeout)
        resp = await self._http.request(method, url, **kw)
        raise_for(resp)
        return resp

    def _abs(self, path: str) -> str:
        """API paths are relative to ``<url>api/v1``; the service's own URLs keep their path."""
        base = httpx.URL(self.url)
        if path.startswith(base.path + "api/v1/"):
            return str(base.copy_with(path=path))
        return self.api + "/" + path.lstrip("/")

    async def get(self, path: str, **kw: Any) -> Any:
        return (await self.request("GET", path, **kw)).json()

    async def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return (await self.request("POST", path, json=json, **kw)).json()

    async def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return (await self.request("PUT", path, json=json, **kw)).json()

    async def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return (await self.request("PATCH", path, json=json, **kw)).json()

    async def delete(self, path: str, **kw: Any) -> Any:
        return (await self.request("DELETE", path, **kw)).json()

    async def aclose(self) -> None:
        await self._http.aclose()
