"""The station file's schema.

A station file describes one site: where it is, which device servers it reaches, its mounts,
each mount's ports and the instrument on each port, and the site's shared kit (dome or roof,
cover, safety monitor, weather station, power switches). Devices are named by server and
device number (Alpaca) or device name (INDI), so a station can mix protocols.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any

import astropy.units as u
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

_ADDRESS = re.compile(r"^(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")


def _seconds(value: Any) -> Any:
    """Accept ``10``, ``2.5`` or a string with a unit (``"500 ms"``, ``"2 min"``)."""
    if isinstance(value, str):
        try:
            q = u.Quantity(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"not a duration: {value!r} (write seconds, or e.g. '500 ms')"
            ) from exc
        if q.unit == u.dimensionless_unscaled:
            return float(q.value)
        if not q.unit.is_equivalent(u.s):
            raise ValueError(f"not a duration: {value!r}")
        return float(q.to_value(u.s))
    return value


Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0)]


class _Strict(BaseModel):
    # A misspelt key is an error, not silently ignored: a typo in a timeout must not vanish.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Protocol(enum.StrEnum):
    alpaca = "alpaca"
    indi = "indi"


class SimulatorConfig(_Strict):
    """How ``obshub sim`` runs a simulator behind a server entry."""

    focal_length: float = Field(0.4, gt=0, description="metres; 0.4 gives a field of about 1.5 deg")
    slew_rate: float = Field(90.0, gt=0, description="degrees per second (Alpaca simulators)")
    cameras: int = Field(1, ge=1, le=8, description="how many cameras the simulator serves")
    cooling_time: float = Field(0.0, ge=0, description="seconds for the sensor to cool")


class ServerConfig(_Strict):
    """A device server: an Alpaca server or an INDI server."""

    protocol: Protocol
    address: str = Field(description="host:port")
    timeout: Seconds = 10.0
    simulator: SimulatorConfig | None = None

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        m = _ADDRESS.match(v)
        if not m or not 0 < int(m["port"]) < 65536:
            raise ValueError(f"address must be host:port, got {v!r}")
        return v

    @property
    def host(self) -> str:
        return self.address.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])


class DeviceRef(_Strict):
    """Where one device lives: a server, and a device number (Alpaca) or name (INDI)."""

    server: str
    number: int | None = Field(None, ge=0, description="Alpaca device number")
    device: str | None = Field(None, min_length=1, description="INDI device name")
    timeout: Seconds | None = Field(None, description="per-call timeout; the server's by default")
    motion_timeout: Seconds | None = Field(
        None, description="bound on one motion (slew, move, shutter); 300 s by default"
    )


class CameraRef(DeviceRef):
    download_timeout: Seconds = Field(120.0, description="time allowed to download one frame")
    gain: int | None = None


class FilterWheelRef(DeviceRef):
    filters: list[str] | None = Field(None, description="names by slot; the device's by default")
    focus_offsets: dict[str, int] | None = None


class PortKind(enum.StrEnum):
    imaging = "imaging"
    guide = "guide"
    spectroscopy = "spectroscopy"


class PortConfig(_Strict):
    """A port on a mount and the instrument it carries."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    kind: PortKind = PortKind.imaging
    camera: CameraRef
    filter_wheel: FilterWheelRef | None = None
    focuser: DeviceRef | None = None
    rotator: DeviceRef | None = None
    script: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="acquisition script overriding the default, as 'package.module:Class'",
    )
    focal_length: Annotated[float, Field(gt=0)] | None = Field(None, description="mm")
    aperture: Annotated[float, Field(gt=0)] | None = Field(None, description="mm")


class MountType(enum.StrEnum):
    german_equatorial = "german_equatorial"
    fork = "fork"
    altaz = "altaz"


class MeridianConfig(_Strict):
    """German equatorial meridian limits, in minutes of hour angle past the meridian."""

    flip_after: float = Field(5.0, description="flip this many minutes past the meridian")
    max_past: float = Field(15.0, description="never track further than this past it")


class MountConfig(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    type: MountType = MountType.german_equatorial
    device: DeviceRef
    ports: list[PortConfig] = Field(min_length=1)
    meridian: MeridianConfig = MeridianConfig()
    cooperates_with: list[str] = Field(
        default_factory=list, description="other mounts that may observe one target together"
    )


class HorizonConfig(_Strict):
    min_altitude: float = Field(20.0, ge=0, lt=90, description="degrees")
    profile: list[tuple[float, float]] | None = Field(
        None, description="(azimuth, altitude) pairs in degrees, azimuth increasing"
    )

    @field_validator("profile")
    @classmethod
    def _profile(cls, v: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if v is None:
            return v
        azs = [a for a, _ in v]
        if any(not 0 <= a < 360 for a in azs):
            raise ValueError("azimuths must be in [0, 360)")
        if azs != sorted(azs):
            raise ValueError("azimuths must increase")
        if any(not 0 <= alt < 90 for _, alt in v):
            raise ValueError("altitudes must be in [0, 90)")
        return v


class SiteConfig(_Strict):
    name: str = Field(min_length=1)
    latitude: float = Field(ge=-90, le=90, description="degrees north")
    longitude: float = Field(ge=-180, le=360, description="degrees east")
    elevation: float = Field(ge=-500, le=9000, description="metres")
    timezone: str = "UTC"
    horizon: HorizonConfig = HorizonConfig()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {v!r}") from exc
        return v


class SwitchConfig(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    device: DeviceRef
    outlets: dict[str, int] = Field(
        default_factory=dict, description="what each switch powers: name → switch index"
    )


class StationConfig(_Strict):
    """A whole station file."""

    site: SiteConfig
    observer: str = ""
    servers: dict[str, ServerConfig] = Field(min_length=1)
    mounts: list[MountConfig] = Field(min_length=1)
    dome: DeviceRef | None = None
    cover: DeviceRef | None = None
    safety_monitor: DeviceRef | None = None
    observing_conditions: DeviceRef | None = None
    switches: list[SwitchConfig] = Field(default_factory=list)

    def device_refs(self) -> list[tuple[str, str, DeviceRef]]:
        """Every device with its station name, kind and reference, mounts first.

        Returns
        -------
        list of (name, kind, ref)
            ``kind`` is the interface family (``"mount"``, ``"camera"``, …).
        """
        out: list[tuple[str, str, DeviceRef]] = []
        for m in self.mounts:
            out.append((m.name, "mount", m.device))
            for p in m.ports:
                base = f"{m.name}.{p.name}"
                out.append((f"{base}.camera", "camera", p.camera))
                for attr, kind in (
                    ("filter_wheel", "filterwheel"),
                    ("focuser", "focuser"),
                    ("rotator", "rotator"),
                ):
                    ref = getattr(p, attr)
                    if ref is not None:
                        out.append((f"{base}.{attr}", kind, ref))
        for attr, kind in (
            ("dome", "dome"),
            ("cover", "cover"),
            ("safety_monitor", "safetymonitor"),
            ("observing_conditions", "observingconditions"),
        ):
            ref = getattr(self, attr)
            if ref is not None:
                out.append((attr, kind, ref))
        for s in self.switches:
            out.append((f"switch.{s.name}", "switch", s.device))
        return out
