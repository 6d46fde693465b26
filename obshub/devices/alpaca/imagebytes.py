"""Decode the Alpaca ``ImageBytes`` binary image format (ASCOM Alpaca API, section 8)."""

from __future__ import annotations

import struct

import numpy as np

HEADER = struct.Struct("<11i")
HEADER_SIZE = HEADER.size  # 44 bytes

# ImageElementType / TransmissionElementType codes.
_DTYPES: dict[int, str] = {
    1: "<i2",
    2: "<i4",
    3: "<f8",
    4: "<f4",
    5: "<u8",
    6: "u1",
    7: "<i8",
    8: "<u2",
    9: "<u4",
}


class ImageBytesError(ValueError):
    """The payload is not a valid ImageBytes image; ``number`` is the device's error, if any."""

    def __init__(self, message: str, number: int = 0):
        super().__init__(message)
        self.number = number


def decode(payload: bytes) -> np.ndarray:
    """Turn an ImageBytes payload into an array indexed ``[y, x]`` (``[y, x, plane]`` for colour).

    The wire order is column-major over ``[x, y(, plane)]``, which is exactly row-major over
    ``[(plane,) y, x]``: no copy is needed beyond the dtype conversion.
    """
    if len(payload) < HEADER_SIZE:
        raise ImageBytesError(f"image payload is {len(payload)} bytes, shorter than its header")
    (
        version,
        error_number,
        _ctid,
        _stid,
        data_start,
        _element_type,
        transmission_type,
        rank,
        d1,
        d2,
        d3,
    ) = HEADER.unpack_from(payload)
    if version != 1:
        raise ImageBytesError(f"unknown ImageBytes metadata version {version}")
    if error_number != 0:
        message = payload[data_start:].decode("utf-8", "replace")
        raise ImageBytesError(message or f"device error {error_number}", error_number)
    dtype = _DTYPES.get(transmission_type)
    if dtype is None:
        raise ImageBytesError(f"unknown ImageBytes transmission element type {transmission_type}")
    if rank not in (2, 3):
        raise ImageBytesError(f"unsupported image rank {rank}")
    shape = (d2, d1) if rank == 2 else (d3, d2, d1)
    count = int(np.prod(shape))
    itemsize = np.dtype(dtype).itemsize
    if len(payload) - data_start < count * itemsize:
        raise ImageBytesError(
            f"image payload truncated: {len(payload) - data_start} bytes for {count} pixels"
        )
    data = np.frombuffer(payload, dtype=dtype, count=count, offset=data_start).reshape(shape)
    if rank == 3:
        data = np.moveaxis(data, 0, -1)
    # A private, writable copy in native byte order: the payload buffer is read-only.
    return data.astype(data.dtype.newbyteorder("="))
