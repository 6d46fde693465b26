"""FITS frames: the headers observers expect, and writes that never leave partial files."""

from __future__ import annotations

import re

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.time import Time

from obshub.devices.interfaces import Image
from obshub.frames import build_header, capture_frame, write_fits
from obshub.frames.fits import sha256_file
from obshub.station import Station

EXPECTED = [
    "DATE-OBS",
    "EXPTIME",
    "IMAGETYP",
    "OBJECT",
    "FILTER",
    "RA",
    "DEC",
    "OBJCTRA",
    "OBJCTDEC",
    "AIRMASS",
    "TELESCOP",
    "INSTRUME",
    "OBSERVER",
    "SITELAT",
    "SITELONG",
    "SITEELEV",
    "FOCUSPOS",
    "CCD-TEMP",
    "XBINNING",
    "YBINNING",
    "GAIN",
    "PIERSIDE",
]


def _image() -> Image:
    return Image(
        data=np.arange(12, dtype=np.uint16).reshape(3, 4),
        start=Time("2026-11-25T21:03:04.5678", scale="utc"),
        duration=30 * u.s,
        camera="cam",
        meta={"ccd_temp": -10.0, "gain": 100},
    )


def test_header_values():
    h = build_header(
        _image(),
        {
            "object": "M 42",
            "filter": "Ha",
            "pointing": SkyCoord(83.8221, -5.3911, unit="deg"),
            "airmass": 1.234567,
            "telescope": "main",
            "instrument": "main.imaging",
            "observer": "Ann",
            "site": (43.9, 5.7, 650.0),
            "focus_position": 12000,
            "pier_side": "WEST",
        },
    )
    assert h["DATE-OBS"] == "2026-11-25T21:03:04.568"  # rounded to the millisecond
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", h["DATE-OBS"])
    assert h["EXPTIME"] == 30.0 and h["IMAGETYP"] == "Light Frame"
    assert h["OBJCTRA"] == "05 35 17.304" and h["OBJCTDEC"] == "-05 23 27.96"
    assert h["AIRMASS"] == 1.2346 and h["PIERSIDE"] == "WEST" and h["FOCUSPOS"] == 12000
    assert all(k in h for k in EXPECTED)


def test_write_is_atomic_and_never_overwrites(tmp_path, monkeypatch):
    img = _image()
    path, digest = write_fits(tmp_path / "a.fits", img, build_header(img))
    assert digest == sha256_file(path)
    np.testing.assert_array_equal(fits.getdata(path), img.data)
    with pytest.raises(FileExistsError):
        write_fits(tmp_path / "a.fits", img, build_header(img))
    assert sha256_file(path) == digest

    # A crash in the middle of writing leaves neither the file nor a temporary behind.
    def boom(self, f, *a, **k):
        f.write(b"SIMPLE  =                    T")
        raise OSError("disk full")

    monkeypatch.setattr(fits.PrimaryHDU, "writeto", boom)
    with pytest.raises(OSError, match="disk full"):
        write_fits(tmp_path / "b.fits", img, build_header(img))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.fits"]


async def test_capture_frame_on_simulator(station_file, tmp_path):
    from astropy.coordinates import AltAz

    st = Station.from_file(station_file)
    try:
        await st.connect()
        unit, _ = st.instrument()
        target = SkyCoord(
            alt=60 * u.deg, az=200 * u.deg, frame=AltAz(obstime=Time.now(), location=st.location)
        ).icrs
        await unit.mount.unpark()
        await unit.mount.slew(target)
        path, digest, image = await capture_frame(
            st, tmp_path, duration=0.5 * u.s, filter="B", object="Zenith field"
        )
        h = fits.getheader(path)
        assert all(k in h for k in EXPECTED), [k for k in EXPECTED if k not in h]
        assert h["FILTER"] == "B" and h["OBJECT"] == "Zenith field"
        assert h["OBSERVER"] == "obshub tests" and h["INSTRUME"] == "main.imaging"
        assert 1.0 < h["AIRMASS"] < 1.3
        assert abs(h["RA"] - target.ra.deg) < 1e-3 and abs(h["DEC"] - target.dec.deg) < 1e-3
        assert digest == sha256_file(path)
        assert fits.getdata(path).shape == image.data.shape
    finally:
        await st.aclose()
