"""Targets and offline name resolution.

Names resolve from a CSV catalog shipped with obshub (``obshub/data/targets.csv``) or one the user
supplies; the network is never asked (a remote observatory may have none, and a name service
answering differently mid-night must not change a plan).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import astropy.units as u
from astropy.coordinates import SkyCoord

from obshub.errors import ObshubError

_NORMALISE = re.compile(r"[\s._\-]+")


class UnknownTarget(ObshubError):
    """A target name is in none of the catalogs searched."""


def _key(name: str) -> str:
    return _NORMALISE.sub("", name).lower()


@dataclass(frozen=True)
class Target:
    """A fixed sidereal target.

    Parameters
    ----------
    name
        What users call it; also the label in plans.
    ra, dec
        ICRS coordinates in degrees.
    """

    name: str
    ra: float
    dec: float

    @property
    def coord(self) -> SkyCoord:
        """The ICRS position as a SkyCoord."""
        return SkyCoord(self.ra * u.deg, self.dec * u.deg, frame="icrs")

    @classmethod
    def from_coord(cls, name: str, coord: SkyCoord) -> Target:
        icrs = coord.icrs
        return cls(name, float(icrs.ra.deg), float(icrs.dec.deg))


class TargetCatalog:
    """Name → :class:`Target` lookup over one or more CSV files.

    The CSV has columns ``name, aliases, ra, dec[, kind]``; ``aliases`` is ``|``-separated and
    ``ra``/``dec`` are anything SkyCoord parses (``06h45m08.9s``, ``-16d42m58s`` or degrees).
    Lines starting with ``#`` are comments.
    """

    def __init__(self, paths: list[str | Path] | None = None, *, include_default: bool = True):
        self._by_key: dict[str, Target] = {}
        if include_default:
            with resources.files("obshub.data").joinpath("targets.csv").open() as fh:
                self._load(fh, "obshub/data/targets.csv")
        for path in paths or []:
            with open(path, newline="") as fh:
                self._load(fh, str(path))

    def _load(self, fh, source: str) -> None:
        rows = csv.DictReader(line for line in fh if line.strip() and not line.startswith("#"))
        for lineno, row in enumerate(rows, start=2):
            try:
                coord = SkyCoord(row["ra"], row["dec"], frame="icrs", unit=(u.hourangle, u.deg))
            except (KeyError, ValueError, TypeError) as exc:
                raise UnknownTarget(f"{source}: row {lineno}: bad coordinates ({exc})") from exc
            target = Target.from_coord(row["name"].strip(), coord)
            for name in [row["name"], *(row.get("aliases") or "").split("|")]:
                if name.strip():
                    self._by_key[_key(name)] = target

    def __contains__(self, name: str) -> bool:
        return _key(name) in self._by_key

    def __len__(self) -> int:
        return len({id(t) for t in self._by_key.values()})

    def resolve(self, name: str) -> Target:
        """The target called ``name`` (case, spaces and punctuation ignored).

        Raises
        ------
        UnknownTarget
            With the closest names known, when it is in no catalog.
        """
        try:
            return self._by_key[_key(name)]
        except KeyError:
            import difflib

            near = difflib.get_close_matches(_key(name), list(self._by_key), n=3)
            hint = f" (did you mean: {', '.join(near)}?)" if near else ""
            raise UnknownTarget(
                f"unknown target {name!r}: not in the target catalog{hint}; "
                "give 'ra' and 'dec' or add it to a catalog file"
            ) from None


@lru_cache(maxsize=1)
def default_catalog() -> TargetCatalog:
    """The catalog shipped with obshub (bright stars, Messier objects, well-known variables)."""
    return TargetCatalog()
