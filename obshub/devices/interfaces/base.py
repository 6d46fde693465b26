"""What every device is, whatever it does."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar


class Device(ABC):
    """A device of a station, reached over IP.

    Attributes
    ----------
    name
        The device's name in the station (``"main.imaging.camera"``); every error names it.
    kind
        The capability family (``"mount"``, ``"camera"``, …).
    """

    kind: ClassVar[str] = "device"

    def __init__(self, name: str):
        self.name = name

    @abstractmethod
    async def connect(self) -> None:
        """Ask the driver to connect to its hardware."""

    @abstractmethod
    async def disconnect(self) -> None:
        """Ask the driver to release its hardware."""

    @abstractmethod
    async def status(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the device's state, read in one go.

        Never raises for a device that is down: the snapshot then says
        ``{"ok": False, "error": "..."}`` so a status page can show every device.
        """

    async def aclose(self) -> None:
        """Release client-side resources (connections); the device itself is untouched.

        Not ``close``: a dome's ``close()`` closes its shutter.
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
