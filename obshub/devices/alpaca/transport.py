"""HTTP to one Alpaca server: bounded, concurrent, and honest about failures.

Each server gets its own connection pool, so a hung server only holds its own connections;
every request is bounded as a whole by ``asyncio.timeout`` (httpx's timeouts bound each read,
not the request, and a server that drips bytes would never time out).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import weakref
from typing import Any

import httpx

from obshub.devices.alpaca.errors import error_for
from obshub.devices.alpaca.imagebytes import ImageBytesError, decode
from obshub.errors import DeviceDisconnected, DeviceError, DeviceTimeout

# One client id per process, as the Alpaca spec asks; transaction ids count up per process.
_CLIENT_ID = os.getpid() % 65536 + 1
_TRANSACTIONS = itertools.count(1)

_DISCONNECTS = (
    httpx.ConnectError,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.CloseError,
)


class AlpacaTransport:
    """Requests to one Alpaca server at ``host:port``.

    Parameters
    ----------
    address
        ``host:port`` of the server.
    """

    def __init__(self, address: str):
        self.address = address
        self.base_url = f"http://{address}/api/v1"
        # httpx clients belong to the event loop that made them; a notebook and a CLI run
        # use different loops, so keep one per loop.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()
        #: False after a transport failure until a request succeeds again.
        self.reachable = True

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
                headers={"User-Agent": "obshub"},
            )
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close this loop's connections."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        device: str,
        timeout: float,
        params: dict[str, Any] | None = None,
        image: bool = False,
    ) -> Any:
        """Send one request and return its ``Value`` (or the decoded image).

        Parameters
        ----------
        method
            ``"GET"`` or ``"PUT"``.
        path
            ``"{type}/{number}/{operation}"``.
        device
            The station's name for the device, for error messages.
        timeout
            The whole request's bound, in seconds.
        params
            Query parameters (GET) or form fields (PUT).
        image
            Ask for ImageBytes and decode the answer to an array.

        Raises
        ------
        DeviceTimeout, DeviceDisconnected, DeviceError
            And the subclasses of ``DeviceError`` for Alpaca error numbers.
        """
        operation = path.rsplit("/", 1)[-1]
        fields = {"ClientID": _CLIENT_ID, "ClientTransactionID": next(_TRANSACTIONS)}
        if params:
            fields.update({k: _wire(v) for k, v in params.items()})
        url = f"{self.base_url}/{path}"
        t = httpx.Timeout(timeout)
        try:
            async with asyncio.timeout(timeout):
                if method == "GET":
                    headers = {"Accept": "application/imagebytes"} if image else None
                    resp = await self._client().get(url, params=fields, timeout=t, headers=headers)
                else:
                    resp = await self._client().put(url, data=fields, timeout=t)
        except TimeoutError:
            self.reachable = False
            raise DeviceTimeout(
                device, operation, f"no answer from {self.address} within {timeout:g} s"
            ) from None
        except httpx.TimeoutException:
            self.reachable = False
            raise DeviceTimeout(
                device, operation, f"no answer from {self.address} within {timeout:g} s"
            ) from None
        except _DISCONNECTS as exc:
            self.reachable = False
            raise DeviceDisconnected(
                device, operation, f"server {self.address} unreachable: {type(exc).__name__}: {exc}"
            ) from None
        except httpx.HTTPError as exc:
            self.reachable = False
            raise DeviceError(
                device, operation, f"HTTP failure talking to {self.address}: {exc}"
            ) from None
        self.reachable = True
        return _value(resp, device, operation, image)


def _wire(value: Any) -> Any:
    # Alpaca wants booleans as True/False, not Python's repr of numpy scalars etc.
    if isinstance(value, bool):
        return "True" if value else "False"
    return value


def _value(resp: httpx.Response, device: str, operation: str, image: bool) -> Any:
    if resp.status_code != 200:
        text = resp.text.strip()[:200] or resp.reason_phrase
        if resp.status_code == 400:
            from obshub.errors import InvalidValue

            raise InvalidValue(device, operation, f"rejected by the server: {text}")
        if resp.status_code == 404:
            from obshub.errors import NotImplementedByDevice

            raise NotImplementedByDevice(device, operation, f"no such endpoint: {text}")
        raise DeviceError(device, operation, f"HTTP {resp.status_code}: {text}")
    ctype = resp.headers.get("content-type", "")
    if image and ctype.startswith("application/imagebytes"):
        try:
            return decode(resp.content)
        except ImageBytesError as exc:
            if exc.number:
                raise error_for(exc.number, str(exc), device, operation) from None
            raise DeviceError(device, operation, f"bad image from the server: {exc}") from None
    try:
        body = resp.json()
    except ValueError:
        raise DeviceError(device, operation, f"answer is not JSON: {resp.text[:200]!r}") from None
    if not isinstance(body, dict):
        raise DeviceError(device, operation, f"answer is not an Alpaca response: {body!r:.200}")
    number = body.get("ErrorNumber", 0) or 0
    if number:
        raise error_for(int(number), str(body.get("ErrorMessage", "")), device, operation)
    value = body.get("Value")
    if image:
        import numpy as np

        if value is None:
            raise DeviceError(device, operation, "no image in the answer")
        # JSON ImageArray is [x][y]; FITS and numpy users expect [y, x].
        arr = np.asarray(value)
        return np.ascontiguousarray(np.swapaxes(arr, 0, 1))
    return value
