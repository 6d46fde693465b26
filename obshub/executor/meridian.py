"""Meridian flips of German equatorial mounts: when, from the hour angle and the limits."""

from __future__ import annotations

from dataclasses import dataclass

import astropy.units as u
from astropy.coordinates import EarthLocation, SkyCoord
from astropy.time import Time

from obshub.station.model import MeridianConfig, MountType


def hour_angle(target: SkyCoord, location: EarthLocation, when: Time | None = None) -> float:
    """Hour angle of ``target`` in hours, in [-12, 12): positive past the meridian (west)."""
    t = when or Time.now()
    lst = t.sidereal_time("apparent", longitude=location.lon)
    ha = (lst - target.icrs.ra).wrap_at(12 * u.hourangle)
    return float(ha.to_value(u.hourangle))


@dataclass(frozen=True)
class FlipDecision:
    """What to do before the next frame."""

    action: str  # "none", "flip", "wait" (until the flip point), "stop" (past the hard limit)
    ha_minutes: float
    wait_seconds: float = 0.0
    reason: str = ""


def decide(
    mount_type: MountType,
    cfg: MeridianConfig,
    ha_hours: float,
    exposure_s: float,
    flipped: bool,
) -> FlipDecision:
    """Decide whether the next frame needs a flip first.

    Parameters
    ----------
    ha_hours
        The target's hour angle now.
    exposure_s
        Length of the next frame: it must end before the hard limit (``max_past``).
    flipped
        Whether the mount is already on the post-meridian side for this target.
    """
    ha_min = ha_hours * 60.0
    if mount_type is not MountType.german_equatorial or flipped:
        return FlipDecision("none", ha_min)
    end_min = ha_min + exposure_s / 60.0
    if ha_min >= cfg.flip_after:
        return FlipDecision("flip", ha_min, reason=f"hour angle {ha_min:+.2f} min")
    if end_min > cfg.max_past:
        if cfg.flip_after > cfg.max_past:
            return FlipDecision("stop", ha_min, reason="frame longer than the meridian limits")
        # The frame would cross the hard limit before the flip point: wait and flip first.
        return FlipDecision(
            "wait",
            ha_min,
            wait_seconds=(cfg.flip_after - ha_min) * 60.0 / 1.0027379,
            reason=f"a {exposure_s:g} s frame would pass the limit of {cfg.max_past:g} min",
        )
    return FlipDecision("none", ha_min)
