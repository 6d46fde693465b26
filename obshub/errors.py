"""The exceptions obshub raises: one base class, so callers can catch everything at once."""

from __future__ import annotations


class ObshubError(Exception):
    """Base class of every error obshub raises on purpose."""


class ConfigError(ObshubError):
    """A configuration file (station, block, …) is invalid.

    Parameters
    ----------
    source
        The file (or other source) that was read.
    problems
        One ``(key_path, message)`` pair for each problem found; all are reported at once.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"]
        lines += [f"  {path or '<top>'}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


class DeviceError(ObshubError):
    """A device operation failed.

    Parameters
    ----------
    device
        The device's name as the station knows it (``"main.imaging.camera"``, say).
    operation
        What was being done (``"startexposure"``, ``"slew"``, …).
    message
        What went wrong, as the device or the transport said it.
    code
        The Alpaca error number, where there is one.
    """

    def __init__(self, device: str, operation: str, message: str, code: int | None = None):
        self.device = device
        self.operation = operation
        self.message = message
        self.code = code
        where = f"{device}: {operation}"
        suffix = f" (Alpaca error 0x{code:X})" if code is not None else ""
        super().__init__(f"{where}: {message}{suffix}")


class DeviceTimeout(DeviceError):
    """The device did not answer within its timeout."""


class DeviceDisconnected(DeviceError):
    """The device's server cannot be reached (refused, reset or gone)."""


class NotImplementedByDevice(DeviceError):
    """The device does not implement this operation (Alpaca 0x400)."""


class InvalidValue(DeviceError):
    """The device refused a value as out of range or invalid (Alpaca 0x401)."""


class InvalidOperation(DeviceError):
    """The device cannot do this now: parked, busy, not idle, … (Alpaca 0x40B and kin)."""


class DeviceNotConnected(DeviceError):
    """The driver says the device is not connected (Alpaca 0x407)."""
