"""Devices reached over IP: one small interface per capability, one backend per protocol.

``obshub.devices.interfaces`` holds the interfaces (what a mount, a camera, … can do);
``obshub.devices.alpaca`` (and later ``indi``) implement them. Nothing above this layer knows
which protocol a device speaks.
"""

from obshub.devices.interfaces import (
    Camera,
    CameraState,
    Cover,
    CoverState,
    Device,
    Dome,
    FilterWheel,
    Focuser,
    Image,
    Mount,
    ObservingConditions,
    PierSide,
    Rotator,
    SafetyMonitor,
    ShutterState,
    Switch,
)

__all__ = [
    "Camera",
    "CameraState",
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
    "Rotator",
    "SafetyMonitor",
    "ShutterState",
    "Switch",
]
