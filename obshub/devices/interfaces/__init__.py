"""The capability interfaces every backend implements.

Each interface is small and names one capability, after pyobs' ``I*`` interfaces, so that a
device offers exactly what it can do and code above can ask ``isinstance(dev, PulseGuider)``.
All methods are coroutines: they work with top-level ``await`` in a notebook, from ipywidgets
callbacks (``asyncio.ensure_future``) and in the executor's event loop. Quantities, times and
coordinates cross this boundary as astropy ``Quantity``, ``Time`` and ``SkyCoord``.
"""

from obshub.devices.interfaces.base import Device
from obshub.devices.interfaces.camera import Camera, CameraState, Cooled, Image
from obshub.devices.interfaces.enclosure import Cover, CoverState, Dome, ShutterState
from obshub.devices.interfaces.focus import Focuser
from obshub.devices.interfaces.mount import Mount, PierSide, PulseGuider
from obshub.devices.interfaces.optics import FilterWheel, Rotator
from obshub.devices.interfaces.power import Switch
from obshub.devices.interfaces.weather import ObservingConditions, SafetyMonitor

__all__ = [
    "Camera",
    "CameraState",
    "Cooled",
    "Cover",
    "CoverState",
    "Device",
    "Dome",
    "FilterWheel",
    "Focuser",
    "Image",
    "Mount",
    "ObservingConditions",
    "PierSide",
    "PulseGuider",
    "Rotator",
    "SafetyMonitor",
    "ShutterState",
    "Switch",
]
