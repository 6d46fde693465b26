"""A deliberately simple star counter for the contract tests: threshold, then label."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def count_stars(data: np.ndarray, nsigma: float = 8.0, min_adu: float = 15.0) -> int:
    """Connected groups of pixels well above the background (median, MAD noise)."""
    d = np.asarray(data, dtype=float)
    bg = float(np.median(d))
    noise = 1.4826 * float(np.median(np.abs(d - bg)))
    _, n = ndimage.label(d > bg + max(nsigma * noise, min_adu))
    return int(n)
