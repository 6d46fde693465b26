"""Night-sky brightness at a target: dark sky, moonlight and twilight, vectorised.

Moonlight follows Krisciunas & Schaefer (1991, PASP 103, 1033). Twilight is a simple fit to the
zenith V brightness brightening about 0.6 mag per degree of solar altitude above −18°. The model
is for deciding "dark enough", not for photometry.
"""

from __future__ import annotations

import numpy as np

DARK_SKY_V = 21.5  # V mag/arcsec² at the zenith on a moonless night at a decent site
EXTINCTION_V = 0.172  # mag/airmass


def _nl(v):
    """V mag/arcsec² → nanoLamberts."""
    return 34.08 * np.exp(20.7233 - 0.92104 * v)


def _mag(b):
    """nanoLamberts → V mag/arcsec²."""
    return (20.7233 - np.log(np.maximum(b, 1e-30) / 34.08)) / 0.92104


def _x(zenith_deg):
    """K&S airmass for scattering (finite at the horizon)."""
    s = np.sin(np.radians(np.minimum(zenith_deg, 90.0)))
    return 1.0 / np.sqrt(1.0 - 0.96 * s * s)


def sky_brightness(
    target_alt,
    moon_alt,
    moon_separation,
    moon_phase_angle,
    sun_alt,
    *,
    dark_sky: float = DARK_SKY_V,
    k: float = EXTINCTION_V,
):
    """V sky brightness (mag/arcsec²) at the target; larger is darker.

    All angles in degrees; arrays broadcast (targets × times with per-time moon and sun).
    ``moon_phase_angle`` is 0 at full Moon, 180 at new Moon.
    """
    z = 90.0 - np.clip(target_alt, 0.0, 90.0)
    xz = _x(z)
    b = _nl(dark_sky) * xz * 10 ** (-0.4 * k * (xz - 1.0))
    alpha = np.abs(moon_phase_angle)
    istar = 10 ** (-0.4 * (3.84 + 0.026 * alpha + 4e-9 * alpha**4))
    rho = np.clip(moon_separation, 10.0, 180.0)
    f = 10**5.36 * (1.06 + np.cos(np.radians(rho)) ** 2) + 10 ** (6.15 - rho / 40.0)
    zm = 90.0 - np.clip(moon_alt, 0.0, 90.0)
    bm = f * istar * 10 ** (-0.4 * k * _x(zm)) * (1.0 - 10 ** (-0.4 * k * xz))
    b = b + np.where(moon_alt > 0.0, bm, 0.0)
    tw = np.where(sun_alt > -18.0, _nl(dark_sky - 0.6 * (np.minimum(sun_alt, 0.0) + 18.0)), 0.0)
    return _mag(b + tw)
