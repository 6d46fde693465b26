"""Alpaca error numbers → obshub exceptions."""

from __future__ import annotations

from alpaca import exceptions as ax

from obshub import errors as oe

# Keyed by alpyca's own exception classes' numbers so the two stay in step.
_BY_NUMBER: dict[int, type[oe.DeviceError]] = {
    ax.NotImplementedException("").number: oe.NotImplementedByDevice,
    ax.ActionNotImplementedException("").number: oe.InvalidOperation,
    ax.InvalidValueException("").number: oe.InvalidValue,
    ax.ValueNotSetException("").number: oe.InvalidOperation,
    ax.NotConnectedException("").number: oe.DeviceNotConnected,
    ax.ParkedException("").number: oe.InvalidOperation,
    ax.SlavedException("").number: oe.InvalidOperation,
    ax.InvalidOperationException("").number: oe.InvalidOperation,
    ax.OperationCancelledException("").number: oe.InvalidOperation,
}


def error_for(number: int, message: str, device: str, operation: str) -> oe.DeviceError:
    """The obshub exception for an Alpaca ``ErrorNumber``; driver errors (0x500+) are generic."""
    cls = _BY_NUMBER.get(number, oe.DeviceError)
    return cls(device, operation, message or "no message from the device", code=number)
