"""Cameras: exposures that come back as images with their metadata."""

from __future__ import annotations

import enum
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import astropy.units as u
import numpy as np
from astropy.time import Time

from obshub.devices.interfaces.base import Device


class CameraState(enum.IntEnum):
    """ASCOM camera states."""

    IDLE = 0
    WAITING = 1
    EXPOSING = 2
    READING = 3
    DOWNLOAD = 4
    ERROR = 5


@dataclass
class Image:
    """One frame as it left the camera.

    Attributes
    ----------
    data
        Pixel values indexed ``[y, x]`` (FITS order).
    start
        When the exposure started (UTC), as the camera reported it where it can.
    duration
        Exposure time.
    light
        False for darks and bias frames (shutter closed).
    binning
        ``(x, y)`` binning.
    origin
        ``(x, y)`` of the subframe's first pixel, in binned pixels.
    camera
        The camera's name in the station.
    meta
        Everything else the camera said (gain, sensor temperature, …), FITS-keyword-ready.
    """

    data: np.ndarray
    start: Time
    duration: u.Quantity
    light: bool = True
    binning: tuple[int, int] = (1, 1)
    origin: tuple[int, int] = (0, 0)
    camera: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class Cooled(Device):
    """A sensor with a thermo-electric cooler."""

    @abstractmethod
    async def temperature(self) -> u.Quantity:
        """The sensor's temperature."""

    @abstractmethod
    async def set_cooling(self, on: bool, target: u.Quantity | None = None) -> None:
        """Switch the cooler and, optionally, set its target temperature."""


class Camera(Cooled):
    """An imaging camera."""

    kind: ClassVar[str] = "camera"

    @abstractmethod
    async def expose(
        self,
        duration: u.Quantity,
        light: bool = True,
        *,
        binning: tuple[int, int] | None = None,
        subframe: tuple[int, int, int, int] | None = None,
        gain: int | None = None,
    ) -> Image:
        """Take one exposure and return the image once downloaded.

        Parameters
        ----------
        duration
            Exposure time.
        light
            Open the shutter (False for darks and bias).
        binning
            ``(x, y)`` binning for this and later frames; ``None`` keeps the current one.
        subframe
            ``(x, y, width, height)`` in binned pixels; ``None`` keeps the current one.
        gain
            Sensor gain; ``None`` keeps the current one.
        """

    def exposure_seconds(self, duration: u.Quantity) -> float:
        """``duration`` in seconds, refused clearly when negative."""
        seconds = float(duration.to_value(u.s))
        if seconds < 0:
            raise ValueError(f"{self.name}: exposure time must not be negative, got {duration}")
        return seconds

    async def apply_settings(
        self,
        binning: tuple[int, int] | None = None,
        subframe: tuple[int, int, int, int] | None = None,
        gain: int | None = None,
    ) -> None:
        """Set what an exposure asks for before it starts; ``None`` keeps the current value."""
        if binning is not None:
            await self.set_binning(*binning)
        if subframe is not None:
            await self.set_subframe(*subframe)
        if gain is not None:
            await self.set_gain(gain)

    @abstractmethod
    async def abort(self) -> None:
        """Abort the exposure under way, if any; the frame is lost."""

    @abstractmethod
    async def state(self) -> CameraState: ...

    @abstractmethod
    async def sensor_size(self) -> tuple[int, int]:
        """Unbinned ``(width, height)`` in pixels."""

    @abstractmethod
    async def set_binning(self, x: int, y: int | None = None) -> None: ...

    @abstractmethod
    async def set_subframe(self, x: int, y: int, width: int, height: int) -> None:
        """Read out only this window, in binned pixels."""

    @abstractmethod
    async def full_frame(self) -> None:
        """Read out the whole sensor at the current binning."""

    @abstractmethod
    async def gain(self) -> int: ...

    @abstractmethod
    async def set_gain(self, gain: int) -> None: ...
