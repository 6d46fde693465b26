"""Writing frames as FITS: standard headers, and never a partial file on disk."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits

from obshub.devices.interfaces.camera import Image


def _dms(angle_deg: float) -> str:
    sign = "-" if angle_deg < 0 else "+"
    a = abs(angle_deg)
    d, rem = divmod(a * 3600.0, 3600.0)
    m, s = divmod(rem, 60.0)
    return f"{sign}{int(d):02d} {int(m):02d} {s:05.2f}"


def _hms(angle_deg: float) -> str:
    h, rem = divmod((angle_deg % 360.0) / 15.0 * 3600.0, 3600.0)
    m, s = divmod(rem, 60.0)
    return f"{int(h):02d} {int(m):02d} {s:06.3f}"


def build_header(image: Image, context: dict[str, Any] | None = None) -> fits.Header:
    """The FITS header for ``image``.

    Parameters
    ----------
    image
        The frame and what the camera said about it.
    context
        What the station knew when the frame was taken, all optional: ``object``, ``imagetyp``,
        ``filter``, ``pointing`` (a ``SkyCoord``), ``airmass``, ``telescope``, ``instrument``,
        ``observer``, ``site`` (``(lat_deg, lon_deg, elev_m)``), ``focus_position``,
        ``pier_side``, ``extra`` (more keywords).
    """
    ctx = context or {}
    h = fits.Header()
    # ISO 8601 UTC with milliseconds, as every reduction package parses it.
    h["DATE-OBS"] = (image.start.utc.isot[:23], "exposure start, UTC")
    h["EXPTIME"] = (round(float(image.duration.to_value(u.s)), 6), "[s] exposure time")
    h["EXPOSURE"] = (h["EXPTIME"], "[s] exposure time")
    h["IMAGETYP"] = (
        ctx.get("imagetyp") or ("Light Frame" if image.light else "Dark Frame"),
        "frame type",
    )
    if ctx.get("object"):
        h["OBJECT"] = (str(ctx["object"]), "target name")
    if ctx.get("filter") is not None:
        h["FILTER"] = (str(ctx["filter"]), "filter in the light path")
    pointing: SkyCoord | None = ctx.get("pointing")
    if pointing is not None:
        ra, dec = float(pointing.icrs.ra.deg), float(pointing.icrs.dec.deg)
        h["RA"] = (round(ra, 6), "[deg] telescope pointing, ICRS")
        h["DEC"] = (round(dec, 6), "[deg] telescope pointing, ICRS")
        h["OBJCTRA"] = (_hms(ra), "[h m s] pointing RA")
        h["OBJCTDEC"] = (_dms(dec), "[d m s] pointing Dec")
        h["EQUINOX"] = (2000.0, "ICRS ~ J2000")
    if ctx.get("airmass") is not None:
        h["AIRMASS"] = (round(float(ctx["airmass"]), 4), "at exposure start")
    if ctx.get("altitude") is not None:
        h["OBJCTALT"] = (round(float(ctx["altitude"]), 4), "[deg] altitude at exposure start")
    if ctx.get("telescope"):
        h["TELESCOP"] = (str(ctx["telescope"]), "mount / telescope")
    h["INSTRUME"] = (str(ctx.get("instrument") or image.camera), "camera")
    if ctx.get("observer"):
        h["OBSERVER"] = (str(ctx["observer"]), "")
    site = ctx.get("site")
    if site is not None:
        h["SITELAT"] = (round(float(site[0]), 6), "[deg] site latitude")
        h["SITELONG"] = (round(float(site[1]), 6), "[deg] site longitude, east positive")
        h["SITEELEV"] = (round(float(site[2]), 1), "[m] site elevation")
    if ctx.get("focus_position") is not None:
        h["FOCUSPOS"] = (int(ctx["focus_position"]), "[step] focuser position")
    meta = image.meta
    if meta.get("ccd_temp") is not None:
        h["CCD-TEMP"] = (round(float(meta["ccd_temp"]), 2), "[C] sensor temperature")
    h["XBINNING"] = (int(image.binning[0]), "binning in x")
    h["YBINNING"] = (int(image.binning[1]), "binning in y")
    h["XORGSUBF"] = (int(image.origin[0]), "subframe origin x")
    h["YORGSUBF"] = (int(image.origin[1]), "subframe origin y")
    if meta.get("gain") is not None:
        h["GAIN"] = (meta["gain"], "sensor gain setting")
    if meta.get("pixel_x") is not None:
        h["XPIXSZ"] = (float(meta["pixel_x"]) * image.binning[0], "[um] binned pixel size x")
        h["YPIXSZ"] = (float(meta.get("pixel_y") or meta["pixel_x"]) * image.binning[1], "[um] y")
    if ctx.get("pier_side") is not None:
        h["PIERSIDE"] = (str(ctx["pier_side"]).upper(), "side of pier")
    h["SWCREATE"] = ("obshub", "software that wrote the file")
    for key, value in (ctx.get("extra") or {}).items():
        h[key] = value
    return h


def write_fits(path: str | Path, image: Image, header: fits.Header) -> tuple[Path, str]:
    """Write ``image`` to ``path`` atomically and return ``(path, sha256)``.

    The file is written to a temporary name in the same directory, flushed and fsynced, then
    renamed: a crash leaves either no file or the whole file, never a partial one. An existing
    file is never overwritten.

    Raises
    ------
    FileExistsError
        ``path`` exists already.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(image.data)
    hdu = fits.PrimaryHDU(data=data, header=header)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            hdu.writeto(f)
            f.flush()
            os.fsync(f.fileno())
        digest = _sha256(Path(tmp))
        # os.link fails if the target exists, unlike os.replace: a frame is never overwritten.
        os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return path, digest


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


sha256_file = _sha256
