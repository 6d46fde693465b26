"""The INDI backend: device objects over one PyIndi client per server."""

from __future__ import annotations

from typing import Any

from obshub.devices.backend import Backend
from obshub.devices.indi.base import IndiDevice
from obshub.devices.indi.camera import IndiCamera
from obshub.devices.indi.client import IndiConnection
from obshub.devices.indi.enclosure import IndiCover, IndiDome
from obshub.devices.indi.mount import IndiMount
from obshub.devices.indi.optics import IndiFilterWheel, IndiFocuser, IndiRotator
from obshub.devices.indi.sensors import IndiObservingConditions, IndiSafetyMonitor
from obshub.devices.interfaces import Device
from obshub.errors import NotImplementedByDevice
from obshub.station.model import DeviceRef, ServerConfig

CLASSES: dict[str, type[IndiDevice]] = {
    "mount": IndiMount,
    "camera": IndiCamera,
    "filterwheel": IndiFilterWheel,
    "focuser": IndiFocuser,
    "rotator": IndiRotator,
    "dome": IndiDome,
    "cover": IndiCover,
    "observingconditions": IndiObservingConditions,
    "safetymonitor": IndiSafetyMonitor,
}


class IndiBackend(Backend):
    """Makes INDI device objects; the devices of one server share one PyIndi client."""

    protocol = "indi"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._connections: dict[str, IndiConnection] = {}

    def connection(self, server: ServerConfig) -> IndiConnection:
        if server.address not in self._connections:
            self._connections[server.address] = IndiConnection(
                server.host, server.port, timeout=server.timeout
            )
        return self._connections[server.address]

    def create(
        self, kind: str, name: str, server: ServerConfig, ref: DeviceRef, **extra: Any
    ) -> Device:
        cls = CLASSES.get(kind)
        if cls is None:
            raise NotImplementedByDevice(
                name,
                "create",
                f"the INDI backend has no {kind} devices (supported: {sorted(CLASSES)})",
            )
        if not ref.device:
            raise ValueError(f"{name}: an INDI device needs 'device' (the INDI device name)")
        kwargs = self.device_options(server, ref, **extra)
        return cls(name, self.connection(server), ref.device, **kwargs)  # type: ignore[return-value]

    async def aclose(self) -> None:
        for c in self._connections.values():
            await c.aclose()
