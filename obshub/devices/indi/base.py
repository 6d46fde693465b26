"""What every INDI device shares: its connection, timeouts, property access and status."""

from __future__ import annotations

from typing import Any

from obshub.devices.indi.client import IndiConnection
from obshub.devices.indi.props import PropState, Snapshot
from obshub.errors import DeviceDisconnected, DeviceError, DeviceTimeout, ObshubError


class IndiDevice:
    """Mixin implementing :class:`~obshub.devices.interfaces.Device` over INDI.

    Parameters
    ----------
    name
        The device's name in the station.
    conn
        The server's connection (shared by every device on that server).
    device
        The INDI device name (``"Telescope Simulator"``).
    timeout
        Bound on each request's acknowledgement, in seconds.
    motion_timeout
        Bound on waiting for a motion (slew, move, shutter) to finish, in seconds.
    """

    def __init__(
        self,
        name: str,
        conn: IndiConnection,
        device: str,
        *,
        timeout: float = 10.0,
        motion_timeout: float = 300.0,
        poll_interval: float = 0.1,
    ):
        self.name = name
        self.conn = conn
        self.device = device
        self.timeout = timeout
        self.motion_timeout = motion_timeout
        self.poll_interval = poll_interval

    @property
    def address(self) -> str:
        return f"indi://{self.conn.address}/{self.device}"

    async def _prop(self, name: str, operation: str) -> Snapshot:
        return await self.conn.prop(self.device, name, self.name, operation, self.timeout)

    async def _optional(self, name: str, operation: str = "status") -> Snapshot | None:
        """A property the driver may not define."""
        from obshub.errors import NotImplementedByDevice

        try:
            return await self._prop(name, operation)
        except NotImplementedByDevice:
            return None

    async def _number(self, prop: str, element: str, operation: str = "read") -> float:
        snap = await self._prop(prop, operation)
        if element not in snap.values:
            raise DeviceError(
                self.name, operation, f"{self.device}.{prop} has no element {element}"
            )
        return float(snap.values[element])

    async def _send(
        self,
        prop: str,
        values: dict[str, Any],
        operation: str,
        *,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Snapshot:
        return await self.conn.send(
            self.device, prop, values, self.name, operation, timeout or self.timeout, **kwargs
        )

    async def _wait_idle(self, prop: str, operation: str, timeout: float | None = None) -> Snapshot:
        """Wait until a property is neither Busy nor missing; Alert raises."""
        limit = timeout if timeout is not None else self.motion_timeout

        def idle() -> Snapshot | None:
            s = self.conn.get(self.device, prop)
            if s is None or s.busy:
                return None
            if s.state is PropState.ALERT:
                self.conn._raise_alert(s, self.name, operation)
            return s

        return await self.conn.wait_for(
            idle, limit, self.name, operation, f"{self.device}.{prop} to finish"
        )

    async def connect(self) -> None:
        await self.conn.connect_device(self.device, self.name, self.timeout)

    async def disconnect(self) -> None:
        await self.conn.disconnect_device(self.device, self.name, self.timeout)

    async def is_connected(self) -> bool:
        snap = await self._prop("CONNECTION", "connected")
        return bool(snap.values.get("CONNECT")) and snap.state is not PropState.ALERT

    async def status(self) -> dict[str, Any]:
        base: dict[str, Any] = {
            "name": self.name,
            "kind": getattr(self, "kind", "device"),
            "protocol": "indi",
            "address": self.address,
        }
        try:
            base.update(await self._status())
            base["ok"] = True
        except ObshubError as exc:
            base["ok"] = False
            base["error"] = str(exc)
            base["reachable"] = not isinstance(exc, DeviceDisconnected | DeviceTimeout)
        except (KeyError, ValueError, TypeError) as exc:
            # A driver whose properties lack an element obshub reads: report, never raise.
            base["ok"] = False
            base["error"] = f"{self.name}: status: unexpected answer from {self.device}: {exc!r}"
            base["reachable"] = True
        return base

    async def _status(self) -> dict[str, Any]:
        return {"connected": await self.is_connected()}

    async def aclose(self) -> None:
        await self.conn.aclose()
