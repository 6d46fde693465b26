"""Taking one frame with a station: the camera's image plus what the station knew, to FITS."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import astropy.units as u
from astropy.coordinates import AltAz

from obshub.devices.interfaces.camera import Image
from obshub.errors import ObshubError
from obshub.frames.fits import build_header, write_fits

if TYPE_CHECKING:  # an import cycle otherwise: obshub.station uses frames
    from obshub.station.station import Instrument, MountUnit, Station


@dataclass
class FrameContext:
    """What the station reads around an exposure, for the header."""

    values: dict[str, Any]


async def _maybe(coro: Any) -> Any:
    # A header value we cannot read must not cost the frame: leave the keyword out.
    try:
        return await coro
    except ObshubError:
        return None


async def frame_context(station: Station, unit: MountUnit, inst: Instrument) -> dict[str, Any]:
    """Read, concurrently, what the header needs from the mount, wheel and focuser."""
    reads: dict[str, Any] = {
        "pointing": _maybe(unit.mount.coordinates()),
        "pier_side": _maybe(unit.mount.side_of_pier()),
    }
    if inst.filter_wheel is not None:
        reads["filter"] = _maybe(inst.filter_wheel.filter())
    if inst.focuser is not None:
        reads["focus_position"] = _maybe(inst.focuser.position())
    values = dict(zip(reads, await asyncio.gather(*reads.values()), strict=True))
    if values.get("pier_side") is not None:
        values["pier_side"] = values["pier_side"].name
    site = station.config.site
    values["site"] = (site.latitude, site.longitude, site.elevation)
    values["telescope"] = unit.name
    values["instrument"] = inst.name
    values["observer"] = station.config.observer or None
    return values


def add_airmass(values: dict[str, Any], image: Image, station: Station) -> None:
    """Altitude and airmass of the pointing at exposure start (for light frames)."""
    pointing = values.get("pointing")
    if pointing is None or not image.light:
        return
    altaz = pointing.transform_to(AltAz(obstime=image.start, location=station.location))
    alt = altaz.alt
    values["altitude"] = float(alt.deg)
    if alt > 1 * u.deg:
        values["airmass"] = float(altaz.secz)


def frame_filename(image: Image, values: dict[str, Any]) -> str:
    """``<object>_<filter>_<UTC start>_<camera>.fits``, safe on every filesystem."""
    stamp = (
        image.start.utc.strftime("%Y%m%dT%H%M%S")
        + f"{image.start.utc.datetime.microsecond // 1000:03d}"
    )
    parts = [
        values.get("object") or values.get("imagetyp") or "frame",
        values.get("filter") or "",
        stamp,
        image.camera,
    ]
    name = "_".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9._+-]", "-", name) + ".fits"


async def capture_frame(
    station: Station,
    out_dir: str | Path,
    *,
    instrument: str | None = None,
    duration: u.Quantity,
    filter: str | None = None,
    object: str | None = None,
    light: bool = True,
    imagetyp: str | None = None,
    binning: tuple[int, int] | None = None,
    extra_header: dict[str, Any] | None = None,
) -> tuple[Path, str, Image]:
    """Take one frame and save it as FITS.

    Parameters
    ----------
    station
        A connected station.
    out_dir
        Where the file goes.
    instrument
        ``mount.port`` or camera name; the first imaging instrument by default.
    duration
        Exposure time.
    filter
        Filter to move to first (by name); the current one by default.

    Returns
    -------
    (path, sha256, image)
    """
    unit, inst = station.instrument(instrument)
    if filter is not None:
        if inst.filter_wheel is None:
            raise ObshubError(f"{inst.name}: has no filter wheel, cannot select filter {filter!r}")
        await inst.filter_wheel.set_filter(filter)
    # Pointing is read just before the shutter opens: that is where the frame looks.
    values = await frame_context(station, unit, inst)
    image = await inst.camera.expose(duration, light=light, binning=binning)
    values["object"] = object
    values["imagetyp"] = imagetyp
    values["extra"] = extra_header
    add_airmass(values, image, station)
    header = build_header(image, values)
    path = Path(out_dir) / frame_filename(image, values)
    # Writing is blocking I/O (fsync): keep the event loop free for the other devices.
    path, digest = await asyncio.to_thread(write_fits, path, image, header)
    return path, digest, image
