"""Turning a camera frame into something a browser can show: stretch, downsample, PNG."""

from __future__ import annotations

import struct
import zlib

import numpy as np

STRETCHES = ("linear", "asinh", "log", "sqrt")


def stretch(data: np.ndarray, kind: str = "asinh", lo: float = 1.0, hi: float = 99.7) -> np.ndarray:
    """Map pixel values to 0..255 for display.

    Parameters
    ----------
    data
        The frame, ``[y, x]``.
    kind
        One of :data:`STRETCHES`.
    lo, hi
        Percentiles mapped to black and white; the sky sits near black, stars near white.
    """
    if kind not in STRETCHES:
        raise ValueError(f"stretch {kind!r}: unknown (choose from {', '.join(STRETCHES)})")
    if not 0 <= lo < hi <= 100:
        raise ValueError(f"stretch percentiles: need 0 <= lo < hi <= 100, got {lo}, {hi}")
    a = np.asarray(data, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"stretch: need a 2-D frame, got shape {a.shape}")
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return np.zeros(a.shape, np.uint8)
    vmin, vmax = np.percentile(finite, [lo, hi])
    if vmax <= vmin:
        vmax = vmin + 1.0
    x = np.clip((np.nan_to_num(a, nan=vmin) - vmin) / (vmax - vmin), 0.0, 1.0)
    if kind == "asinh":
        x = np.arcsinh(10 * x) / np.arcsinh(10)
    elif kind == "log":
        x = np.log1p(1000 * x) / np.log1p(1000)
    elif kind == "sqrt":
        x = np.sqrt(x)
    return (x * 255 + 0.5).astype(np.uint8)


def downsample(data: np.ndarray, max_side: int = 512) -> np.ndarray:
    """Block-average so that neither side exceeds ``max_side`` (thumbnails, live views)."""
    a = np.asarray(data)
    f = max(1, int(np.ceil(max(a.shape) / max_side)))
    if f == 1:
        return a
    h, w = (a.shape[0] // f) * f, (a.shape[1] // f) * f
    return a[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))


def encode_png(gray: np.ndarray) -> bytes:
    """An 8-bit greyscale PNG from a ``uint8`` array (no imaging library needed)."""
    g = np.ascontiguousarray(gray, dtype=np.uint8)
    if g.ndim != 2:
        raise ValueError(f"encode_png: need a 2-D array, got shape {g.shape}")
    h, w = g.shape
    raw = b"".join(b"\x00" + g[y].tobytes() for y in range(h))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + tag
            + body
            + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def frame_png(data: np.ndarray, kind: str = "asinh", max_side: int = 512) -> bytes:
    """Stretched, downsampled PNG of a frame, flipped so north is up as FITS viewers show it."""
    return encode_png(stretch(downsample(data, max_side), kind)[::-1])
