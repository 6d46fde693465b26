"""Device backends: one per protocol, found by entry point, configurable with traitlets.

A backend turns a station file's device reference into a live device object implementing
the capability interfaces. Third parties add a protocol by registering a
:class:`Backend` subclass under the ``obshub.backends`` entry-point group.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from traitlets import Float
from traitlets.config import LoggingConfigurable

if TYPE_CHECKING:
    from obshub.devices.interfaces import Device
    from obshub.station.model import DeviceRef, ServerConfig

# Used when obshub runs from a source tree whose entry points are not installed.
_BUILTIN = {
    "alpaca": "obshub.devices.alpaca.backend:AlpacaBackend",
    "indi": "obshub.devices.indi.backend:IndiBackend",
}


class Backend(LoggingConfigurable):
    """Base class of device backends."""

    protocol: str = ""

    poll_interval = Float(0.1, help="Seconds between polls while waiting for a motion to end.").tag(
        config=True
    )
    motion_timeout = Float(300.0, help="Default bound on any one motion, in seconds.").tag(
        config=True
    )

    def create(
        self, kind: str, name: str, server: ServerConfig, ref: DeviceRef, **extra: Any
    ) -> Device:
        """Make the device object for ``ref`` on ``server``.

        Parameters
        ----------
        kind
            Interface family: ``"mount"``, ``"camera"``, ``"filterwheel"``, ``"focuser"``,
            ``"rotator"``, ``"dome"``, ``"cover"``, ``"switch"``, ``"observingconditions"``
            or ``"safetymonitor"``.
        name
            The device's name in the station.
        """
        raise NotImplementedError

    def device_options(self, server: ServerConfig, ref: DeviceRef, **extra: Any) -> dict[str, Any]:
        """The keyword arguments every backend's device classes take, from the station file.

        Timeouts (the device's, else the server's or the backend's), the poll interval, and
        what cameras and filter wheels add; ``extra`` (switch outlets, …) goes on top.
        """
        from obshub.station.model import CameraRef, FilterWheelRef

        options: dict[str, Any] = {
            "timeout": ref.timeout or server.timeout,
            "motion_timeout": ref.motion_timeout or self.motion_timeout,
            "poll_interval": self.poll_interval,
        }
        if isinstance(ref, CameraRef):
            options["download_timeout"] = ref.download_timeout
        if isinstance(ref, FilterWheelRef):
            options["filters"] = ref.filters
            options["focus_offsets"] = ref.focus_offsets
        options.update(extra)
        return options

    async def aclose(self) -> None:
        """Release whatever the backend holds (connections, threads)."""


def _load(spec: str) -> type[Backend]:
    import importlib

    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def backend_class(protocol: str) -> type[Backend]:
    """The backend class for ``protocol``, from entry points or the built-in list."""
    for ep in entry_points(group="obshub.backends"):
        if ep.name == protocol:
            return ep.load()
    if protocol in _BUILTIN:
        return _load(_BUILTIN[protocol])
    raise KeyError(f"no obshub backend for protocol {protocol!r}")
