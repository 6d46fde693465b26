"""Weather sensors and the site's safety verdict."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import astropy.units as u

from obshub.devices.interfaces.base import Device


class ObservingConditions(Device):
    """A weather station / sky monitor."""

    kind: ClassVar[str] = "observingconditions"

    @abstractmethod
    async def read(self) -> dict[str, u.Quantity | None]:
        """Every sensor the device has; a missing sensor is ``None``.

        Keys: ``cloudcover`` (%), ``dewpoint``, ``temperature``, ``skytemperature`` (deg_C),
        ``humidity`` (%), ``pressure`` (hPa), ``rainrate`` (mm/h), ``skybrightness`` (lux),
        ``skyquality`` (mag/arcsec², as a dimensionless number), ``starfwhm`` (arcsec),
        ``winddirection`` (deg), ``windgust`` and ``windspeed`` (m/s).
        """


class SafetyMonitor(Device):
    """The site's one-bit verdict: is it safe to be open?"""

    kind: ClassVar[str] = "safetymonitor"

    @abstractmethod
    async def is_safe(self) -> bool: ...
