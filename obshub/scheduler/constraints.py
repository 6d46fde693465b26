"""Observing constraints, one class each, evaluated for many requests at once.

Every constraint bounds one observable quantity (altitude, airmass, moon separation, moon
illumination, sun altitude, sky brightness) between ``lo`` and ``hi``. That uniform shape lets the
scheduler evaluate all requests carrying a constraint class in one numpy expression over
targets × times, even when each request has its own limit, and lets the validator re-check the
same limits against quantities it computed independently with astropy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

TWILIGHT = {"civil": -6.0, "nautical": -12.0, "astronomical": -18.0, "any": 90.0, "night": -0.833}


def _n_times(quantities: Mapping[str, np.ndarray]) -> int:
    return int(quantities["sun_altitude"].shape[-1])


def _within(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if np.isfinite(lo) and np.isfinite(hi):
        return (values >= lo) & (values <= hi)
    if np.isfinite(lo):
        return values >= lo
    if np.isfinite(hi):
        return values <= hi
    return ~np.isnan(values)


@dataclass(frozen=True)
class Constraint:
    """Base class: ``lo <= quantity <= hi``.

    Subclasses set ``quantity`` (the name of the array in a visibility table) and ``per_target``
    (False when the quantity depends only on time, like the sun's altitude).
    """

    lo: float = -np.inf
    hi: float = np.inf

    quantity: ClassVar[str] = ""
    per_target: ClassVar[bool] = True
    unit: ClassVar[str] = ""

    def ok(self, values: np.ndarray, tol: float = 0.0) -> np.ndarray:
        """Where ``values`` satisfy the constraint (within ``tol``)."""
        return (values >= self.lo - tol) & (values <= self.hi + tol)

    def describe(self) -> str:
        parts = []
        if np.isfinite(self.lo):
            parts.append(f"{self.quantity} ≥ {self.lo:g}{self.unit}")
        if np.isfinite(self.hi):
            parts.append(f"{self.quantity} ≤ {self.hi:g}{self.unit}")
        return " and ".join(parts) or f"{self.quantity} unconstrained"

    @classmethod
    def mask_many(
        cls, quantities: Mapping[str, np.ndarray], rows: np.ndarray, instances: Sequence[Constraint]
    ) -> np.ndarray:
        """Vectorised evaluation for one instance per row.

        Parameters
        ----------
        quantities
            Visibility arrays: per-target ones are (n_targets, n_times), per-time ones (n_times,).
        rows
            For each instance, the row of its target in the per-target arrays.
        instances
            Instances of this class, one per row.

        Returns
        -------
        numpy.ndarray
            Boolean (len(rows), n_times).
        """
        rows = np.asarray(rows)
        out = np.empty((len(rows), _n_times(quantities)), dtype=bool)
        groups: dict[tuple[float, float], list[int]] = {}
        for i, c in enumerate(instances):
            groups.setdefault((c.lo, c.hi), []).append(i)
        if len(groups) > 8:  # many distinct limits: one pass with per-row bounds
            lo = np.array([c.lo for c in instances], dtype=float)[:, None]
            hi = np.array([c.hi for c in instances], dtype=float)[:, None]
            name, lo, hi = cls._fast(lo, hi)
            values = quantities[name]
            values = values[rows] if cls.per_target else values[None, :]
            return (values >= lo) & (values <= hi)
        for (lo, hi), idx in groups.items():
            name, flo, fhi = cls._fast(np.array(lo, dtype=float), np.array(hi, dtype=float))
            values = quantities[name]
            # Compare the whole table, then pick rows: indexing booleans is 8× cheaper than
            # indexing floats, and shared targets are compared once.
            m = _within(values, float(flo), float(fhi))
            out[idx] = m[rows[idx]] if cls.per_target else m[None, :]
        return out

    @classmethod
    def _fast(cls, lo: np.ndarray, hi: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
        """The same bounds on a cheaper, monotonically related quantity (default: itself)."""
        return cls.quantity, lo, hi


@dataclass(frozen=True)
class AltitudeConstraint(Constraint):
    """Target altitude between ``lo`` and ``hi`` degrees (the site's horizon always applies too)."""

    quantity: ClassVar[str] = "altitude"
    unit: ClassVar[str] = "°"

    @classmethod
    def _fast(cls, lo, hi):
        # sin is increasing on [-90°, 90°]: compare sin(alt) and skip the arcsin
        return (
            "sin_altitude",
            np.sin(np.radians(np.clip(lo, -90, 90))),
            np.sin(np.radians(np.clip(hi, -90, 90))),
        )


@dataclass(frozen=True)
class AirmassConstraint(Constraint):
    """Airmass at most ``hi`` (and at least ``lo``, 1 by default); target must be up."""

    lo: float = 1.0
    quantity: ClassVar[str] = "airmass"

    @classmethod
    def _fast(cls, lo, hi):
        # airmass = 1/sin(alt) for a target above the horizon: bounds on sin(alt) instead
        with np.errstate(divide="ignore"):
            return "sin_altitude", 1.0 / np.where(hi > 1, hi, 1.0), 1.0 / np.maximum(lo, 1.0)


@dataclass(frozen=True)
class MoonSeparationConstraint(Constraint):
    """At least ``lo`` degrees from the Moon."""

    quantity: ClassVar[str] = "moon_separation"
    unit: ClassVar[str] = "°"

    @classmethod
    def _fast(cls, lo, hi):
        # cos is decreasing on [0°, 180°]
        r = np.radians
        return "cos_moon_separation", np.cos(r(np.clip(hi, 0, 180))), np.cos(r(np.clip(lo, 0, 180)))


@dataclass(frozen=True)
class MoonIlluminationConstraint(Constraint):
    """Moon illuminated fraction at most ``hi`` (0-1); a Moon below the horizon counts as 0."""

    quantity: ClassVar[str] = "moon_illumination"
    per_target: ClassVar[bool] = False


@dataclass(frozen=True)
class AtNightConstraint(Constraint):
    """Sun altitude at most ``hi`` degrees (−18 astronomical, −12 nautical, −6 civil)."""

    quantity: ClassVar[str] = "sun_altitude"
    per_target: ClassVar[bool] = False
    unit: ClassVar[str] = "°"

    @classmethod
    def twilight(cls, name: str) -> AtNightConstraint:
        try:
            return cls(hi=TWILIGHT[name])
        except KeyError:
            raise ValueError(f"twilight must be one of {sorted(TWILIGHT)}, got {name!r}") from None


@dataclass(frozen=True)
class SkyBrightnessConstraint(Constraint):
    """Sky at the target at least ``lo`` V mag/arcsec² (darker is larger)."""

    quantity: ClassVar[str] = "sky_brightness"
    unit: ClassVar[str] = " mag/arcsec²"


ALL: tuple[type[Constraint], ...] = (
    AltitudeConstraint,
    AirmassConstraint,
    MoonSeparationConstraint,
    MoonIlluminationConstraint,
    AtNightConstraint,
    SkyBrightnessConstraint,
)


def combined_mask(
    quantities: Mapping[str, np.ndarray],
    rows: np.ndarray,
    constraint_lists: Sequence[Sequence[Constraint]],
    n_times: int,
) -> np.ndarray:
    """AND of every request's constraints, grouped by class so each class is one numpy pass.

    Parameters
    ----------
    rows
        Target row of each request.
    constraint_lists
        The constraints of each request.

    Returns
    -------
    numpy.ndarray
        Boolean (len(rows), n_times).
    """
    out = np.ones((len(rows), n_times), dtype=bool)
    groups: dict[type[Constraint], tuple[list[int], list[Constraint]]] = {}
    for i, cons in enumerate(constraint_lists):
        for c in cons:
            idx, inst = groups.setdefault(type(c), ([], []))
            idx.append(i)
            inst.append(c)
    for cls, (idx, inst) in groups.items():
        ia = np.asarray(idx)
        out[ia] &= cls.mask_many(quantities, np.asarray(rows)[ia], inst)
    return out
