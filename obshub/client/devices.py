"""Remote devices: the device interfaces, implemented by calls to the obshub service.

A ``RemoteMount`` is a :class:`~obshub.devices.interfaces.Mount`: notebook code written for a
local station runs unchanged. Each interface method becomes one ``POST .../call`` with the
vocabulary of :mod:`obshub.service.codec`; results come back as astropy objects and enums, and
errors as the same exceptions (``DeviceError`` and kin). Methods that change the device need
the telescope's control lease (:meth:`RemoteStation.lease`).
"""

from __future__ import annotations

import enum
import inspect
import io
from typing import Any

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.time import Time

from obshub.client.http import ServiceClient
from obshub.devices import interfaces as I
from obshub.devices.interfaces.camera import Image
from obshub.errors import ObshubError
from obshub.service.codec import METHODS, decode_result, encode_args

# The enum each enum-returning method gives back.
_ENUMS: dict[tuple[str, str], type[enum.Enum]] = {
    ("mount", "side_of_pier"): I.PierSide,
    ("camera", "state"): I.CameraState,
    ("dome", "shutter"): I.ShutterState,
    ("cover", "cover_state"): I.CoverState,
}

# Calls that may wait for motion: give them the service's motion time.
_SLOW = {
    "slew",
    "park",
    "unpark",
    "open",
    "close",
    "open_cover",
    "close_cover",
    "move_to",
    "move_by",
    "slew_to_azimuth",
    "set_filter",
    "expose",
    "pulse_guide",
}


class RemoteDevice(I.Device):
    """A device of a station the service drives; ``name`` is the station's name for it."""

    kind = "device"

    def __init__(self, name: str, client: ServiceClient, site: str):
        super().__init__(name)
        self.client = client
        self.site = site

    @property
    def _path(self) -> str:
        return f"sites/{self.site}/devices/{self.name}"

    async def _call(self, method: str, **kwargs: Any) -> Any:
        args = encode_args(self.kind, method, kwargs)
        timeout = 900.0 if method in _SLOW else None
        body = await self.client.post(
            f"{self._path}/call", {"method": method, "args": args}, timeout=timeout
        )
        return body["result"]

    async def status(self) -> dict[str, Any]:
        try:
            return await self.client.get(self._path)
        except (ObshubError, OSError, Exception) as exc:  # status never raises
            return {"name": self.name, "kind": self.kind, "ok": False, "error": str(exc)}


def _make_method(kind: str, name: str, iface: type) -> Any:
    spec = METHODS[kind][name]
    params = list(spec.params)
    enum_type = _ENUMS.get((kind, name))
    original = getattr(iface, name, None)

    async def method(self: RemoteDevice, *args: Any, **kwargs: Any) -> Any:
        if len(args) > len(params):
            raise TypeError(f"{name}() takes {len(params)} positional arguments")
        call = dict(zip(params, args, strict=False))
        for k, v in kwargs.items():
            if k not in params:
                raise TypeError(f"{name}() got an unexpected keyword argument {k!r}")
            call[k] = v
        result = await self._call(name, **call)
        return decode_result(spec.returns, result, enum_type)

    method.__name__ = name
    method.__qualname__ = f"Remote{iface.__name__}.{name}"
    if original is not None:
        method.__doc__ = original.__doc__
        method.__signature__ = inspect.signature(original)  # type: ignore[attr-defined]
    return method


def _remote_class(iface: type, kind: str) -> type:
    ns: dict[str, Any] = {"kind": kind, "__doc__": f"A remote {iface.__name__} (via the service)."}
    for name in METHODS[kind]:
        ns[name] = _make_method(kind, name, iface)
    return type(f"Remote{iface.__name__}", (RemoteDevice, iface), ns)


RemoteMount = _remote_class(I.Mount, "mount")
RemoteFilterWheel = _remote_class(I.FilterWheel, "filterwheel")
RemoteFocuser = _remote_class(I.Focuser, "focuser")
RemoteRotator = _remote_class(I.Rotator, "rotator")
RemoteDome = _remote_class(I.Dome, "dome")
RemoteCover = _remote_class(I.Cover, "cover")
RemoteSwitch = _remote_class(I.Switch, "switch")
RemoteObservingConditions = _remote_class(I.ObservingConditions, "observingconditions")
RemoteSafetyMonitor = _remote_class(I.SafetyMonitor, "safetymonitor")
_RemoteCameraBase = _remote_class(I.Camera, "camera")


class RemoteCamera(_RemoteCameraBase):  # type: ignore[misc, valid-type]
    """A remote camera: ``expose`` has the service write the frame, then downloads it."""

    last_frame: dict[str, Any] | None = None

    async def expose(
        self,
        duration: u.Quantity,
        light: bool = True,
        *,
        binning: tuple[int, int] | None = None,
        subframe: tuple[int, int, int, int] | None = None,
        gain: int | None = None,
    ) -> Image:
        """Take one exposure; the service keeps the FITS file (your frame) and returns it."""
        frame = await self._call(
            "expose", duration=duration, light=light, binning=binning, subframe=subframe, gain=gain
        )
        self.last_frame = frame
        resp = await self.client.request("GET", frame["url"], timeout=300.0)
        with fits.open(io.BytesIO(resp.content)) as hdul:
            h = hdul[0].header
            data = np.asarray(hdul[0].data)
        return Image(
            data=data,
            start=Time(h.get("DATE-OBS") or frame["start"], scale="utc"),
            duration=float(h.get("EXPTIME", frame["duration"])) * u.s,
            light=light,
            binning=(int(h.get("XBINNING", 1)), int(h.get("YBINNING", 1))),
            origin=(int(h.get("XORGSUBF", 0)), int(h.get("YORGSUBF", 0))),
            camera=self.name,
            meta={k: h[k] for k in h if k and k not in ("COMMENT", "HISTORY", "")},
        )


CLASSES: dict[str, type[RemoteDevice]] = {
    "mount": RemoteMount,
    "camera": RemoteCamera,
    "filterwheel": RemoteFilterWheel,
    "focuser": RemoteFocuser,
    "rotator": RemoteRotator,
    "dome": RemoteDome,
    "cover": RemoteCover,
    "switch": RemoteSwitch,
    "observingconditions": RemoteObservingConditions,
    "safetymonitor": RemoteSafetyMonitor,
}
