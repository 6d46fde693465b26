"""Autofocus: star sizes measured on real frames, a curve fitted through them.

The measurement is deliberately plain numpy (no source-extraction dependency): find local
maxima well above the sky noise, then take the flux-weighted mean radius of each star
(the half-flux radius estimate N.I.N.A. and others use). The best focus is the vertex of a
hyperbola through (position, HFR): ``HFR² = a² + b²(x - c)²`` is a parabola in ``HFR²``,
so a linear least-squares fit gives it; a plain parabola is the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass
class StarSizes:
    """Star sizes measured on one frame (pixels)."""

    hfr: float
    fwhm: float
    stars: int


def measure_hfr(data: np.ndarray, *, radius: int = 7, max_stars: int = 200) -> StarSizes | None:
    """Median half-flux radius and FWHM of the stars in ``data``.

    Parameters
    ----------
    data
        A frame, ``[y, x]``.
    radius
        Half-size of the box measured around each star, in pixels.
    max_stars
        Only the brightest stars are measured (saturated ones are skipped).

    Returns
    -------
    StarSizes or None
        ``None`` when no star stands out of the noise.
    """
    img = np.asarray(data, dtype=np.float64)
    if img.ndim != 2 or min(img.shape) < 2 * radius + 3:
        return None
    sky = float(np.median(img))
    noise = 1.4826 * float(np.median(np.abs(img - sky))) or 1.0
    # Local maxima over a 3x3 neighbourhood, well above the noise.
    win = sliding_window_view(img, (3, 3)).max(axis=(-1, -2))
    core = img[1:-1, 1:-1]
    mask = (core >= win) & (core > sky + 8 * noise)
    ys, xs = np.nonzero(mask)
    ys, xs = ys + 1, xs + 1
    keep = (ys >= radius) & (xs >= radius) & (ys < img.shape[0] - radius)
    keep &= xs < img.shape[1] - radius
    ys, xs = ys[keep], xs[keep]
    if ys.size == 0:
        return None
    peaks = img[ys, xs]
    # A clipped (saturated) star has a flat top: several neighbours equal to its peak. Its
    # size is a lie, so it is left out.
    plateau = np.zeros(ys.size, dtype=int)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                plateau += img[ys + dy, xs + dx] == peaks
    unsat = plateau < 2
    order = np.argsort(-peaks[unsat])[:max_stars]
    ys, xs = ys[unsat][order], xs[unsat][order]
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    hfrs, fwhms = [], []
    for y, x in zip(ys, xs, strict=True):
        box = img[y - radius : y + radius + 1, x - radius : x + radius + 1] - sky
        box = np.clip(box, 0, None)
        total = box.sum()
        if total <= 0:
            continue
        cy = (box * yy).sum() / total
        cx = (box * xx).sum() / total
        rr = np.hypot(yy - cy, xx - cx)
        hfrs.append(float((box * rr).sum() / total))
        var = float((box * rr**2).sum() / total) / 2.0
        fwhms.append(2.3548 * np.sqrt(max(var, 0.0)))
    if not hfrs:
        return None
    return StarSizes(float(np.median(hfrs)), float(np.median(fwhms)), len(hfrs))


@dataclass
class FocusFit:
    """A fitted focus curve."""

    best: float
    min_size: float
    model: str
    bracketed: bool
    coefficients: tuple[float, ...]


def fit_focus(positions: list[float], sizes: list[float], model: str = "hyperbola") -> FocusFit:
    """Fit a focus curve and return its best position.

    Parameters
    ----------
    positions
        Focuser positions sampled.
    sizes
        Star size (HFR or FWHM) at each position.
    model
        ``"hyperbola"`` (default) or ``"parabola"``.

    Raises
    ------
    ValueError
        Fewer than three points, or a curve that opens downwards (no minimum).
    """
    x = np.asarray(positions, dtype=float)
    y = np.asarray(sizes, dtype=float)
    if x.size < 3 or x.size != y.size:
        raise ValueError(f"need at least three (position, size) pairs, got {x.size}")
    if model not in ("hyperbola", "parabola"):
        raise ValueError(f"unknown focus model {model!r} (hyperbola or parabola)")
    # Centre x for a well-conditioned fit.
    x0 = float(x.mean())
    target = y**2 if model == "hyperbola" else y
    a, b, c = np.polyfit(x - x0, target, 2)
    if a <= 0:
        raise ValueError("focus curve has no minimum (samples do not bracket focus)")
    vertex = -b / (2 * a)
    value = c - b * b / (4 * a)
    min_size = float(np.sqrt(max(value, 0.0))) if model == "hyperbola" else float(value)
    best = vertex + x0
    bracketed = bool(x.min() < best < x.max())
    best = float(np.clip(best, x.min(), x.max()))
    return FocusFit(best, min_size, model, bracketed, (float(a), float(b), float(c), x0))
