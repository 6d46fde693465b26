"""INDI weather stations as observing conditions and as the site's safety monitor."""

from __future__ import annotations

from typing import Any

import astropy.units as u

from obshub.devices.indi.base import IndiDevice
from obshub.devices.indi.props import PropState
from obshub.devices.interfaces.weather import ObservingConditions, SafetyMonitor

# INDI's standard weather parameter names → (interface key, unit as INDI reports it).
# INDI reports wind in km/h; the interface speaks m/s.
_PARAMETERS: dict[str, tuple[str, u.UnitBase]] = {
    "WEATHER_CLOUD_COVER": ("cloudcover", u.percent),
    "WEATHER_DEWPOINT": ("dewpoint", u.deg_C),
    "WEATHER_HUMIDITY": ("humidity", u.percent),
    "WEATHER_PRESSURE": ("pressure", u.hPa),
    "WEATHER_RAIN_HOUR": ("rainrate", u.mm / u.hour),
    "WEATHER_SKY_BRIGHTNESS": ("skyquality", u.dimensionless_unscaled),
    "WEATHER_SKY_TEMPERATURE": ("skytemperature", u.deg_C),
    "WEATHER_TEMPERATURE": ("temperature", u.deg_C),
    "WEATHER_WIND_DIRECTION": ("winddirection", u.deg),
    "WEATHER_WIND_GUST": ("windgust", u.km / u.hour),
    "WEATHER_WIND_SPEED": ("windspeed", u.km / u.hour),
}
_KEYS = (
    "cloudcover",
    "dewpoint",
    "humidity",
    "pressure",
    "rainrate",
    "skybrightness",
    "skyquality",
    "skytemperature",
    "starfwhm",
    "temperature",
    "winddirection",
    "windgust",
    "windspeed",
)
_SI = {"windgust": u.m / u.s, "windspeed": u.m / u.s}


class IndiObservingConditions(IndiDevice, ObservingConditions):
    async def read(self) -> dict[str, u.Quantity | None]:
        snap = await self._prop("WEATHER_PARAMETERS", "read")
        out: dict[str, u.Quantity | None] = dict.fromkeys(_KEYS)
        for element, value in snap.values.items():
            if element in _PARAMETERS:
                key, unit = _PARAMETERS[element]
                q = float(value) * unit
                out[key] = q.to(_SI[key]) if key in _SI else q
        return out

    async def _status(self) -> dict[str, Any]:
        return {
            k: None if v is None else round(float(v.value), 4)
            for k, v in (await self.read()).items()
        }


class IndiSafetyMonitor(IndiDevice, SafetyMonitor):
    """Safe while the driver's overall weather status is Ok (or only a warning, Busy).

    Alert (a parameter out of its limits) and Idle (no verdict yet) are unsafe.
    """

    async def is_safe(self) -> bool:
        snap = await self._prop("WEATHER_STATUS", "issafe")
        return snap.state in (PropState.OK, PropState.BUSY)

    async def _status(self) -> dict[str, Any]:
        snap = await self._prop("WEATHER_STATUS", "status")
        return {
            "safe": snap.state in (PropState.OK, PropState.BUSY),
            "lights": {k: PropState(v).name.lower() for k, v in snap.values.items()},
        }
