"""astropy never reaches the network: proven with the network really gone."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

SCRIPT = r"""
import socket, warnings
import obshub  # configures astropy offline
import astropy.units as u
from astropy.coordinates import AltAz, EarthLocation, SkyCoord, get_body, get_sun
from astropy.time import Time
from astropy.utils import iers

loc = EarthLocation.from_geodetic(5.7 * u.deg, 43.9 * u.deg, 650 * u.m)
t = Time("2026-11-25T22:00:00") + [0, 1, 2] * u.hour
frame = AltAz(obstime=t, location=loc)
star = SkyCoord(83.82 * u.deg, -5.39 * u.deg).transform_to(frame)
sun = get_sun(t).transform_to(frame)
moon = get_body("moon", t, loc).transform_to(frame)
print("ok", float(star.alt[0].deg), float(sun.alt[0].deg), float(moon.alt[0].deg), iers.conf.auto_download)
"""


def _run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_astropy_offline_with_network_blocked():
    # Preferred: a private network namespace with no interfaces at all.
    if shutil.which("unshare") and _run(["unshare", "-n", "true"]).returncode == 0:
        r = _run(["unshare", "-n", sys.executable, "-c", SCRIPT])
    else:  # pragma: no cover - only where namespaces are not allowed
        guard = (
            "import socket\n"
            "def _no(*a, **k): raise OSError('network blocked by test')\n"
            "socket.socket.connect = _no\nsocket.create_connection = _no\n"
        )
        r = _run([sys.executable, "-c", guard + SCRIPT])
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout.split()
    assert out[0] == "ok" and out[-1] == "False"
    assert -90 <= float(out[1]) <= 90
    assert "download" not in r.stderr.lower(), r.stderr[-2000:]


def test_socket_guard_in_process(monkeypatch):
    """Same in this process with connect() made to fail: nothing tries it."""
    import socket

    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord
    from astropy.time import Time

    import obshub  # noqa: F401

    def no_network(*args, **kwargs):
        pytest.fail(f"network used: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    loc = EarthLocation.from_geodetic(-70.7 * u.deg, -30.2 * u.deg, 2200 * u.m)
    c = SkyCoord(10 * u.deg, -60 * u.deg).transform_to(
        AltAz(obstime=Time("2027-03-01T03:00:00"), location=loc)
    )
    assert -90 < c.alt.deg < 90
