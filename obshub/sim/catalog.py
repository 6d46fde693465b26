"""An offline star catalog for the simulators, so that light frames show stars with no network.

The Alpaca simulators read a SQLite table ``gaia_sources(ra, dec, phot_g_mean_mag)``; the INDI
CCD simulator asks a ``gsc`` program, which obshub answers from the same file, so every
simulator sees the same sky. The sky is synthetic: uniform on the sphere, with a magnitude
distribution like the real one (about 2.2 times more stars per magnitude).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np

from obshub.sim.paths import state_dir

CATALOG_VERSION = 1


def make_catalog(
    path: str | Path,
    n_stars: int = 400_000,
    seed: int = 20261125,
    mag_range: tuple[float, float] = (4.0, 15.0),
    extra: list[tuple[float, float, float]] | None = None,
) -> Path:
    """Write a synthetic all-sky catalog to ``path`` atomically and return the path.

    Parameters
    ----------
    n_stars
        Stars on the whole sky; 400,000 gives about 20 stars in a 1.5-degree field.
    seed
        Random seed: the same seed gives the same sky.
    mag_range
        Brightest and faintest G magnitude.
    extra
        Additional ``(ra_deg, dec_deg, mag)`` stars (a test's known field, say).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0.0, 360.0, n_stars)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n_stars)))
    # Counts grow as 10**(k m); inverse-transform sampling of that density.
    k = 0.35
    lo, hi = 10 ** (k * mag_range[0]), 10 ** (k * mag_range[1])
    mag = np.log10(rng.uniform(lo, hi, n_stars)) / k
    rows = list(zip(ra.tolist(), dec.tolist(), mag.tolist(), strict=True))
    if extra:
        rows += [(float(a), float(d), float(m)) for a, d, m in extra]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE gaia_sources (ra REAL, dec REAL, phot_g_mean_mag REAL)")
        con.executemany("INSERT INTO gaia_sources VALUES (?, ?, ?)", rows)
        con.execute("CREATE INDEX gaia_sources_dec ON gaia_sources (dec)")
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        con.execute("INSERT INTO meta VALUES ('version', ?)", (str(CATALOG_VERSION),))
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def default_catalog() -> Path:
    """The shared catalog under the obshub state directory, made on first use."""
    path = state_dir() / "catalog" / f"synthetic-sky-v{CATALOG_VERSION}.sqlite"
    if not path.exists():
        make_catalog(path)
    return path


def query(
    path: str | Path,
    ra: float,
    dec: float,
    radius_deg: float,
    mag_min: float,
    mag_max: float,
    limit: int,
) -> list[tuple[float, float, float]]:
    """Stars within ``radius_deg`` of ``(ra, dec)``, brightest first (for the ``gsc`` stand-in)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT ra, dec, phot_g_mean_mag FROM gaia_sources WHERE dec BETWEEN ? AND ? "
            "AND phot_g_mean_mag BETWEEN ? AND ?",
            (dec - radius_deg, dec + radius_deg, mag_min, mag_max),
        ).fetchall()
    finally:
        con.close()
    if not rows:
        return []
    arr = np.asarray(rows)
    r1, d1 = np.radians(arr[:, 0]), np.radians(arr[:, 1])
    r0, d0 = np.radians(ra), np.radians(dec)
    cos_sep = np.sin(d1) * np.sin(d0) + np.cos(d1) * np.cos(d0) * np.cos(r1 - r0)
    keep = np.degrees(np.arccos(np.clip(cos_sep, -1, 1))) <= radius_deg
    sel = arr[keep]
    sel = sel[np.argsort(sel[:, 2])][:limit]
    return [tuple(map(float, r)) for r in sel]
