"""The Alpaca backend: device objects over one transport per server."""

from __future__ import annotations

from typing import Any

from obshub.devices.alpaca.base import AlpacaDevice
from obshub.devices.alpaca.camera import AlpacaCamera
from obshub.devices.alpaca.enclosure import AlpacaCover, AlpacaDome
from obshub.devices.alpaca.mount import AlpacaMount
from obshub.devices.alpaca.optics import AlpacaFilterWheel, AlpacaFocuser, AlpacaRotator
from obshub.devices.alpaca.sensors import (
    AlpacaObservingConditions,
    AlpacaSafetyMonitor,
    AlpacaSwitch,
)
from obshub.devices.alpaca.transport import AlpacaTransport
from obshub.devices.backend import Backend
from obshub.devices.interfaces import Device
from obshub.station.model import DeviceRef, ServerConfig

CLASSES: dict[str, type[AlpacaDevice]] = {
    "mount": AlpacaMount,
    "camera": AlpacaCamera,
    "filterwheel": AlpacaFilterWheel,
    "focuser": AlpacaFocuser,
    "rotator": AlpacaRotator,
    "dome": AlpacaDome,
    "cover": AlpacaCover,
    "switch": AlpacaSwitch,
    "observingconditions": AlpacaObservingConditions,
    "safetymonitor": AlpacaSafetyMonitor,
}


class AlpacaBackend(Backend):
    """Makes Alpaca device objects; devices on one server share its connection pool."""

    protocol = "alpaca"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._transports: dict[str, AlpacaTransport] = {}

    def transport(self, address: str) -> AlpacaTransport:
        if address not in self._transports:
            self._transports[address] = AlpacaTransport(address)
        return self._transports[address]

    def create(
        self, kind: str, name: str, server: ServerConfig, ref: DeviceRef, **extra: Any
    ) -> Device:
        cls = CLASSES[kind]
        kwargs = self.device_options(server, ref, **extra)
        device = cls(name, self.transport(server.address), ref.number or 0, **kwargs)
        return device  # type: ignore[return-value]

    async def aclose(self) -> None:
        for t in self._transports.values():
            await t.aclose()
