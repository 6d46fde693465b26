"""Turning what an observer types ("M31", "10:42:44 +41:16:09", "160.5 41.3") into a SkyCoord.

Name lookups must work offline (``SkyCoord.from_name`` asks Sesame over the internet), so names
come from the scheduler's target list when it exists and from a small built-in list of bright
objects otherwise.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

import astropy.units as u
from astropy.coordinates import SkyCoord

# ICRS degrees; enough for a demo and for testing the pad without a network.
BUILTIN_TARGETS: dict[str, tuple[float, float]] = {
    "M1": (83.6331, 22.0145),
    "M3": (205.5484, 28.3773),
    "M5": (229.6384, 2.0810),
    "M8": (270.9042, -24.3867),
    "M13": (250.4217, 36.4597),
    "M16": (274.7000, -13.8167),
    "M27": (299.9013, 22.7211),
    "M31": (10.6847, 41.2690),
    "M33": (23.4621, 30.6602),
    "M42": (83.8221, -5.3911),
    "M45": (56.7500, 24.1167),
    "M51": (202.4696, 47.1952),
    "M57": (283.3962, 33.0292),
    "M81": (148.8882, 69.0653),
    "M92": (259.2808, 43.1359),
    "M101": (210.8024, 54.3488),
    "NGC7000": (314.7500, 44.5200),
    "ALGOL": (47.0422, 40.9556),
    "ALTAIR": (297.6958, 8.8683),
    "ARCTURUS": (213.9153, 19.1824),
    "BETELGEUSE": (88.7929, 7.4071),
    "CAPELLA": (79.1723, 45.9980),
    "DELTA CEP": (337.2928, 58.4152),
    "DENEB": (310.3580, 45.2803),
    "MIRA": (34.8366, -2.9776),
    "POLARIS": (37.9546, 89.2641),
    "RR LYR": (291.3663, 42.7844),
    "SIRIUS": (101.2872, -16.7161),
    "VEGA": (279.2347, 38.7837),
}

_SEXAGESIMAL = re.compile(r"[hms:]|\d\s+\d+\s+\d", re.IGNORECASE)


def _key(name: str) -> str:
    k = re.sub(r"\s+", " ", name.strip().upper())
    # "M 31" and "M31", "NGC 7000" and "NGC7000" are the same object.
    return re.sub(r"^(M|NGC|IC)\s+(\d)", r"\1\2", k)


@lru_cache(maxsize=1)
def known_targets() -> dict[str, SkyCoord]:
    """Every name the resolver knows: the built-in list, then the scheduler's target list."""
    table = {_key(n): SkyCoord(ra * u.deg, dec * u.deg) for n, (ra, dec) in BUILTIN_TARGETS.items()}
    try:
        text = resources.files("obshub").joinpath("data/targets.csv").read_text()
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return table
    for row in csv.DictReader(text.splitlines()):
        low = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        name = low.get("name") or low.get("target")
        ra = low.get("ra_deg") or low.get("ra")
        dec = low.get("dec_deg") or low.get("dec")
        if not (name and ra and dec):
            continue
        try:
            table.setdefault(_key(name), parse_coordinates(f"{ra} {dec}"))
        except ValueError:
            continue
    return table


def parse_coordinates(text: str) -> SkyCoord:
    """ICRS coordinates from ``"RA Dec"``: sexagesimal hours/degrees or decimal degrees.

    Raises
    ------
    ValueError
        Naming the text and what a valid entry looks like.
    """
    t = text.strip().replace(",", " ")
    try:
        if _SEXAGESIMAL.search(t):
            c = SkyCoord(t, unit=(u.hourangle, u.deg))
        else:
            parts = t.split()
            if len(parts) != 2:
                raise ValueError("need two numbers")
            c = SkyCoord(float(parts[0]) * u.deg, float(parts[1]) * u.deg)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"target {text!r}: not coordinates ({exc}); give e.g. '10:42:44 +41:16:09' "
            "(RA hours, Dec degrees) or '160.68 41.27' (degrees), or a known name"
        ) from exc
    return c


def resolve_target(text: str) -> SkyCoord:
    """A known name or coordinates as an ICRS ``SkyCoord``.

    Raises
    ------
    ValueError
        When the text is empty, not a known name and not coordinates.
    """
    if not text or not text.strip():
        raise ValueError("target: empty; type a name (e.g. M31) or coordinates")
    hit = known_targets().get(_key(text))
    if hit is not None:
        return hit
    if not re.search(r"\d", text):
        some = ", ".join(sorted(known_targets())[:8])
        raise ValueError(f"target {text!r}: unknown name (known offline: {some}, …)")
    try:
        return parse_coordinates(text)
    except ValueError:
        if re.match(r"^[A-Za-z]", text.strip()):
            raise ValueError(f"target {text!r}: unknown name and not coordinates") from None
        raise
