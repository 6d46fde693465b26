"""ipywidgets control panels for a station's devices, for notebooks.

Every panel talks to devices only through :mod:`obshub.devices.interfaces`, so the same panel
drives a local :class:`~obshub.station.Station` and the service's remote station (with a lease).
Button callbacks schedule coroutines on the kernel's event loop with ``asyncio.ensure_future``;
what goes wrong is shown in the panel's message line, never raised into the void.

Examples
--------
>>> from obshub.widgets import control_panel  # doctest: +SKIP
>>> panel = control_panel(station)  # doctest: +SKIP
>>> panel  # doctest: +SKIP
"""

from obshub.widgets.base import Panel
from obshub.widgets.camera import CameraPanel
from obshub.widgets.image import encode_png, stretch
from obshub.widgets.mount import MountPad
from obshub.widgets.optics import FocuserControl, RotatorControl
from obshub.widgets.panel import ControlPanel, control_panel
from obshub.widgets.targets import resolve_target

__all__ = [
    "CameraPanel",
    "ControlPanel",
    "FocuserControl",
    "MountPad",
    "Panel",
    "RotatorControl",
    "control_panel",
    "encode_png",
    "resolve_target",
    "stretch",
]
