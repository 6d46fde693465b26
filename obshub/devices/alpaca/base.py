"""What every Alpaca device shares: addressing, timeouts, reconnection and status."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from obshub.devices.alpaca.transport import AlpacaTransport
from obshub.errors import DeviceDisconnected, DeviceError, DeviceTimeout, ObshubError


class AlpacaDevice:
    """Mixin implementing :class:`~obshub.devices.interfaces.Device` over Alpaca.

    Parameters
    ----------
    name
        The device's name in the station.
    transport
        The server's transport (shared by every device on that server).
    number
        Alpaca device number.
    timeout
        Bound on each call, in seconds.
    motion_timeout
        Bound on waiting for a motion (slew, move, shutter) to finish, in seconds.
    poll_interval
        How often to poll a motion's progress, in seconds.
    """

    alpaca_type: ClassVar[str] = ""

    def __init__(
        self,
        name: str,
        transport: AlpacaTransport,
        number: int = 0,
        *,
        timeout: float = 10.0,
        motion_timeout: float = 300.0,
        poll_interval: float = 0.1,
    ):
        self.name = name
        self.transport = transport
        self.number = number
        self.timeout = timeout
        self.motion_timeout = motion_timeout
        self.poll_interval = poll_interval
        self._wants_connection = False
        self._reconnecting: asyncio.Lock | None = None

    @property
    def address(self) -> str:
        return f"{self.transport.address}/{self.alpaca_type}/{self.number}"

    async def _request(self, method: str, op: str, timeout: float | None, **params: Any) -> Any:
        if self._wants_connection and not self.transport.reachable:
            await self._reconnect()
        return await self.transport.call(
            method,
            f"{self.alpaca_type}/{self.number}/{op}",
            device=self.name,
            timeout=timeout or self.timeout,
            params=params,
        )

    async def _get(self, op: str, timeout: float | None = None, **params: Any) -> Any:
        return await self._request("GET", op, timeout, **params)

    async def _put(self, op: str, timeout: float | None = None, **params: Any) -> Any:
        return await self._request("PUT", op, timeout, **params)

    async def _reconnect(self) -> None:
        # A restarted server forgets that we were connected; say it again once it answers.
        if self._reconnecting is None:
            self._reconnecting = asyncio.Lock()
        async with self._reconnecting:
            if self.transport.reachable:
                return
            await self.transport.call(
                "PUT",
                f"{self.alpaca_type}/{self.number}/connected",
                device=self.name,
                timeout=self.timeout,
                params={"Connected": True},
            )

    async def _optional(self, op: str, default: Any = None) -> Any:
        """Read a property the device may not implement."""
        from obshub.errors import NotImplementedByDevice

        try:
            return await self._get(op)
        except NotImplementedByDevice:
            return default

    async def _wait_until(
        self, what: str, done: Callable[[], Awaitable[bool]], timeout: float | None = None
    ) -> None:
        """Poll ``done`` until it is true, bounded by ``timeout`` (the motion timeout)."""
        limit = timeout if timeout is not None else self.motion_timeout
        deadline = time.monotonic() + limit
        while not await done():
            if time.monotonic() > deadline:
                raise DeviceTimeout(self.name, what, f"not finished within {limit:g} s")
            await asyncio.sleep(self.poll_interval)

    async def connect(self) -> None:
        await self._put("connected", Connected=True)
        self._wants_connection = True

    async def disconnect(self) -> None:
        self._wants_connection = False
        await self._put("connected", Connected=False)

    async def is_connected(self) -> bool:
        return bool(await self._get("connected"))

    async def status(self) -> dict[str, Any]:
        base: dict[str, Any] = {
            "name": self.name,
            "kind": getattr(self, "kind", self.alpaca_type),
            "protocol": "alpaca",
            "address": self.address,
        }
        try:
            base.update(await self._status())
            base["ok"] = True
        except ObshubError as exc:
            base["ok"] = False
            base["error"] = str(exc)
            base["reachable"] = not isinstance(exc, DeviceDisconnected | DeviceTimeout)
        return base

    async def _status(self) -> dict[str, Any]:
        return {"connected": bool(await self._get("connected"))}

    async def _gather(self, **reads: Awaitable[Any]) -> dict[str, Any]:
        """Run reads concurrently; the first failure is raised after all have finished."""
        keys = list(reads)
        values = await asyncio.gather(*reads.values(), return_exceptions=True)
        for v in values:
            if isinstance(v, BaseException):
                raise v
        return dict(zip(keys, values, strict=True))

    async def aclose(self) -> None:
        await self.transport.aclose()


def require(value: Any, device: str, operation: str, what: str) -> Any:
    """Raise a clear error when the device answers ``None`` where a value is needed."""
    if value is None:
        raise DeviceError(device, operation, f"device returned no {what}")
    return value
