"""Real device simulators for a station file, run in the background (``obshub sim``)."""

from obshub.sim.catalog import default_catalog, make_catalog
from obshub.sim.manager import SimManager

__all__ = ["SimManager", "default_catalog", "make_catalog"]
