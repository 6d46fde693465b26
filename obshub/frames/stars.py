"""Finding stars in a frame and measuring their size (for tests, focus and quality checks)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class Star:
    x: float
    y: float
    flux: float
    peak: float
    hfr: float  # half-flux radius, pixels
    pixels: int


def background(data: np.ndarray) -> tuple[float, float]:
    """Median and robust sigma (scaled MAD) of the frame."""
    d = np.asarray(data, dtype=np.float64)
    med = float(np.median(d))
    sigma = float(np.median(np.abs(d - med)) * 1.4826) or 1.0
    return med, sigma


def detect_stars(
    data: np.ndarray, nsigma: float = 8.0, min_pixels: int = 4, max_stars: int = 500
) -> list[Star]:
    """Stars as connected groups of pixels above ``nsigma`` robust sigmas, brightest first.

    Saturated blobs and single hot pixels are kept out by ``min_pixels``; each star's
    half-flux radius is measured in a box around it.
    """
    d = np.asarray(data, dtype=np.float64)
    med, _ = background(d)
    # Detect on a lightly smoothed copy: single-pixel noise and hot pixels fall below the
    # threshold while a star's blob keeps its peak.
    smooth = ndimage.gaussian_filter(d, 1.0)
    smed, sigma = background(smooth)
    labels, n = ndimage.label(smooth > smed + nsigma * max(sigma, 1.0))
    if n == 0:
        return []
    index = np.arange(1, n + 1)
    sizes = ndimage.sum_labels(np.ones_like(d), labels, index)
    keep = index[sizes >= min_pixels]
    if keep.size == 0:
        return []
    sub = d - med
    fluxes = ndimage.sum_labels(sub, labels, keep)
    order = np.argsort(fluxes)[::-1][:max_stars]
    keep, fluxes = keep[order], fluxes[order]
    centres = ndimage.center_of_mass(sub, labels, keep)
    peaks = ndimage.maximum(sub, labels, keep)
    stars = []
    for (cy, cx), flux, peak, lab in zip(centres, fluxes, peaks, keep, strict=True):
        stars.append(
            Star(
                float(cx),
                float(cy),
                float(flux),
                float(peak),
                _hfr(sub, cx, cy),
                int(sizes[lab - 1]),
            )
        )
    return stars


def _hfr(sub: np.ndarray, cx: float, cy: float, box: int = 12) -> float:
    y0, y1 = max(0, int(cy) - box), min(sub.shape[0], int(cy) + box + 1)
    x0, x1 = max(0, int(cx) - box), min(sub.shape[1], int(cx) + box + 1)
    cut = np.clip(sub[y0:y1, x0:x1], 0, None)
    total = cut.sum()
    if total <= 0:
        return float("nan")
    yy, xx = np.mgrid[y0:y1, x0:x1]
    r = np.hypot(xx - cx, yy - cy)
    return float((r * cut).sum() / total)


def median_hfr(data: np.ndarray, **kwargs: object) -> float:
    """The median half-flux radius of the stars found, NaN without stars."""
    stars = detect_stars(data, **kwargs)  # type: ignore[arg-type]
    vals = [s.hfr for s in stars if np.isfinite(s.hfr)]
    return float(np.median(vals)) if vals else float("nan")
