"""A stand-in for the Guide Star Catalog's ``gsc`` program, answering from obshub's catalog.

INDI's CCD simulator draws stars by running ``gsc -c RA DEC -r RADIUS_ARCMIN -m MIN MAX -n NMAX``
from its PATH and reading one star per line. Debian does not ship ``gsc``; ``obshub sim`` puts
a wrapper running this file on the INDI server's PATH, so INDI and Alpaca simulators show the
same sky.

This file runs as a plain script (``python gsc.py --catalog PATH -c ...``) and imports only the
standard library: it runs once per frame, and importing obshub (astropy) would take a second.
It mirrors :func:`obshub.sim.catalog.query`, which a test keeps it in agreement with.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import sys


def query(
    path: str, ra: float, dec: float, radius_deg: float, mag_min: float, mag_max: float, limit: int
) -> list[tuple[float, float, float, float]]:
    """Stars within ``radius_deg`` of ``(ra, dec)``, brightest first, with their distance (deg)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT ra, dec, phot_g_mean_mag FROM gaia_sources WHERE dec BETWEEN ? AND ? "
            "AND phot_g_mean_mag BETWEEN ? AND ?",
            (dec - radius_deg, dec + radius_deg, mag_min, mag_max),
        ).fetchall()
    finally:
        con.close()
    d0, r0 = math.radians(dec), math.radians(ra)
    out = []
    for sra, sdec, mag in rows:
        d1, r1 = math.radians(sdec), math.radians(sra)
        c = math.sin(d1) * math.sin(d0) + math.cos(d1) * math.cos(d0) * math.cos(r1 - r0)
        sep = math.degrees(math.acos(max(-1.0, min(1.0, c))))
        if sep <= radius_deg:
            out.append((sra, sdec, mag, sep))
    out.sort(key=lambda r: r[2])
    return out[:limit]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gsc", description=__doc__.splitlines()[0])
    p.add_argument("--catalog", default=os.environ.get("OBSHUB_GSC_CATALOG"))
    p.add_argument("-c", nargs=2, type=float, metavar=("RA", "DEC"), required=True)
    p.add_argument("-r", type=float, default=10.0, metavar="RADIUS_ARCMIN")
    p.add_argument("-m", nargs=2, type=float, default=(-5.0, 30.0), metavar=("MIN", "MAX"))
    p.add_argument("-n", type=int, default=3000, metavar="NMAX")
    args = p.parse_args(argv)
    if not args.catalog:
        print("gsc: no catalog (--catalog or OBSHUB_GSC_CATALOG)", file=sys.stderr)
        return 2
    ra, dec = args.c
    stars = query(args.catalog, ra % 360.0, dec, args.r / 60.0, args.m[0], args.m[1], args.n)
    trace = os.environ.get("OBSHUB_GSC_LOG")
    if trace:  # for debugging what the simulator asks
        with open(trace, "a") as f:
            f.write(f"{' '.join(argv or sys.argv[1:])} -> {len(stars)} stars\n")
    out = sys.stdout
    # The CCD simulator reads "%10s %f %f %f %f %f %d %d %4s %2s %f %d":
    # id, ra, dec, position error, magnitude, magnitude error, band, class, plate, origin,
    # distance (arcmin), direction.
    for i, (sra, sdec, mag, sep) in enumerate(stars):
        out.write(
            f"OBS{i:07d} {sra:10.6f} {sdec:+10.6f} 0.2 {mag:6.2f} 0.20 0 0 0000 00 {sep * 60:8.3f} 0\n"
        )
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
