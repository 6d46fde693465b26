"""INDI CCDs as :class:`~obshub.devices.interfaces.Camera`; frames arrive as FITS BLOBs."""

from __future__ import annotations

import asyncio
import contextlib
import io
from typing import Any

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.time import Time

from obshub.devices.indi.base import IndiDevice
from obshub.devices.indi.props import PropState, Snapshot
from obshub.devices.interfaces.camera import Camera, CameraState, Image
from obshub.errors import DeviceError, InvalidValue, ObshubError

BLOB = "CCD1"


def decode_fits(payload: bytes, who: str) -> tuple[np.ndarray, fits.Header]:
    """Pixels (``[y, x]``, native byte order) and header of a FITS BLOB."""
    try:
        with fits.open(io.BytesIO(payload), memmap=False) as hdul:
            hdu = hdul[0]
            data = np.asarray(hdu.data)
            header = hdu.header.copy()
    except (OSError, ValueError, TypeError) as exc:
        raise DeviceError(who, "download", f"the frame is not a FITS file: {exc}") from exc
    if data.ndim != 2:
        raise DeviceError(who, "download", f"expected a 2-D frame, got shape {data.shape}")
    return data.astype(data.dtype.newbyteorder("=")), header


class IndiCamera(IndiDevice, Camera):
    def __init__(self, *args: Any, download_timeout: float = 120.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.download_timeout = download_timeout
        self._exposing = asyncio.Lock()

    async def connect(self) -> None:
        # BLOBs are off by default on a new connection; the client re-asks after a reconnect.
        self.conn.enable_blobs(self.device)
        await super().connect()

    async def state(self) -> CameraState:
        snap = await self._prop("CCD_EXPOSURE", "camerastate")
        if snap.state is PropState.ALERT:
            return CameraState.ERROR
        return CameraState.EXPOSING if snap.busy else CameraState.IDLE

    async def sensor_size(self) -> tuple[int, int]:
        info = await self._prop("CCD_INFO", "sensorsize")
        return int(info.number("CCD_MAX_X")), int(info.number("CCD_MAX_Y"))

    async def _binning(self) -> tuple[int, int]:
        b = await self._prop("CCD_BINNING", "binning")
        return int(b.number("HOR_BIN")), int(b.number("VER_BIN"))

    async def set_binning(self, x: int, y: int | None = None) -> None:
        y = x if y is None else y
        b = await self._prop("CCD_BINNING", "binning")
        for axis, v in (("HOR_BIN", x), ("VER_BIN", y)):
            lo, hi = b.limits.get(axis, (1, 1))
            if not lo <= v <= hi:
                raise InvalidValue(self.name, "binning", f"binning {v} outside {lo:g}..{hi:g}")
        await self._send("CCD_BINNING", {"HOR_BIN": int(x), "VER_BIN": int(y)}, "binning")
        # A new binning invalidates the old window, as on Alpaca: keep the whole sensor.
        await self.full_frame()

    async def set_subframe(self, x: int, y: int, width: int, height: int) -> None:
        # CCD_FRAME is in unbinned pixels; the interface speaks binned ones.
        bx, by = await self._binning()
        w, h = await self.sensor_size()
        X, Y, W, H = x * bx, y * by, width * bx, height * by
        if x < 0 or y < 0 or width < 1 or height < 1 or X + W > w or Y + H > h:
            raise InvalidValue(
                self.name,
                "subframe",
                f"window {(x, y, width, height)} (binned) outside the sensor {w}x{h}/{bx}x{by}",
            )
        await self._send("CCD_FRAME", {"X": X, "Y": Y, "WIDTH": W, "HEIGHT": H}, "subframe")

    async def full_frame(self) -> None:
        w, h = await self.sensor_size()
        await self._send("CCD_FRAME", {"X": 0, "Y": 0, "WIDTH": w, "HEIGHT": h}, "subframe")

    async def gain(self) -> int:
        return int(round(await self._number("CCD_GAIN", "GAIN", "gain")))

    async def set_gain(self, gain: int) -> None:
        snap = await self._prop("CCD_GAIN", "gain")
        lo, hi = snap.limits.get("GAIN", (float("-inf"), float("inf")))
        if not lo <= gain <= hi:
            raise InvalidValue(self.name, "gain", f"gain {gain} outside {lo:g}..{hi:g}")
        await self._send("CCD_GAIN", {"GAIN": int(gain)}, "gain")

    async def temperature(self) -> u.Quantity:
        return (
            await self._number("CCD_TEMPERATURE", "CCD_TEMPERATURE_VALUE", "ccdtemperature")
            * u.deg_C
        )

    async def set_cooling(self, on: bool, target: u.Quantity | None = None) -> None:
        if target is not None:
            t = float(target.to_value(u.deg_C, equivalencies=u.temperature()))
            # The driver stays Busy until the sensor gets there: a setpoint is only acknowledged.
            await self._send(
                "CCD_TEMPERATURE", {"CCD_TEMPERATURE_VALUE": t}, "setccdtemperature", ack=True
            )
        await self._send(
            "CCD_COOLER", {"COOLER_ON" if on else "COOLER_OFF": True}, "cooleron", ack=True
        )

    async def abort(self) -> None:
        await self._send(
            "CCD_ABORT_EXPOSURE", {"ABORT": True}, "abortexposure", idle_first=False, ack=True
        )

    async def _ensure_frame_type(self, light: bool) -> None:
        want = "FRAME_LIGHT" if light else "FRAME_DARK"
        snap = await self._prop("CCD_FRAME_TYPE", "startexposure")
        if not snap.values.get(want):
            await self._send("CCD_FRAME_TYPE", {want: True}, "startexposure")

    async def expose(
        self,
        duration: u.Quantity,
        light: bool = True,
        *,
        binning: tuple[int, int] | None = None,
        subframe: tuple[int, int, int, int] | None = None,
        gain: int | None = None,
    ) -> Image:
        seconds = self.exposure_seconds(duration)
        async with self._exposing:
            await self.apply_settings(binning, subframe, gain)
            await self._ensure_frame_type(light)
            exp = await self._prop("CCD_EXPOSURE", "startexposure")
            lo, hi = exp.limits.get("CCD_EXPOSURE_VALUE", (0.0, float("inf")))
            if seconds > hi:
                raise InvalidValue(
                    self.name,
                    "startexposure",
                    f"{seconds:g} s is longer than the camera's {hi:g} s",
                )
            # The driver's shortest exposure stands in for a zero-second bias.
            request = max(seconds, lo)
            bx, by = await self._binning()
            frame = await self._prop("CCD_FRAME", "startexposure")
            self.conn.enable_blobs(self.device)
            before = self.conn.get(self.device, BLOB)
            gen0 = before.generation if before is not None else 0
            start = Time.now()
            await self._send(
                "CCD_EXPOSURE", {"CCD_EXPOSURE_VALUE": request}, "startexposure", wait=False
            )
            try:
                blob = await self._wait_for_blob(gen0, request)
            except (asyncio.CancelledError, ObshubError):
                # Whoever cancelled us (a safety close, a user) wants the shutter shut.
                with contextlib.suppress(ObshubError, asyncio.CancelledError):
                    await asyncio.shield(self.abort())
                raise
        payload = next(iter(blob.values.values()))
        data, header = await asyncio.to_thread(decode_fits, payload.data, self.name)
        started = start
        with contextlib.suppress(KeyError, ValueError):
            started = Time(str(header["DATE-OBS"]), format="isot", scale="utc")
        meta: dict[str, Any] = {
            "gain": header.get("GAIN"),
            "ccd_temp": header.get("CCD-TEMP"),
            "pixel_x": header.get("PIXSIZE1"),
            "pixel_y": header.get("PIXSIZE2"),
            "sensor": header.get("INSTRUME", self.device),
        }
        return Image(
            data=data,
            start=started,
            duration=float(header.get("EXPTIME", request)) * u.s,
            light=light,
            binning=(bx, by),
            origin=(int(frame.number("X")) // bx, int(frame.number("Y")) // by),
            camera=self.name,
            meta=meta,
        )

    async def _wait_for_blob(self, gen0: int, seconds: float) -> Snapshot:
        def arrived() -> Snapshot | None:
            exp = self.conn.get(self.device, "CCD_EXPOSURE")
            if exp is not None and exp.state is PropState.ALERT:
                self.conn._raise_alert(exp, self.name, "startexposure")
            s = self.conn.get(self.device, BLOB)
            return s if s is not None and s.generation > gen0 else None

        return await self.conn.wait_for(
            arrived,
            seconds + self.download_timeout,
            self.name,
            "imageready",
            f"frame from {self.device}",
        )

    async def _status(self) -> dict[str, Any]:
        exp = await self._prop("CCD_EXPOSURE", "status")
        temp = await self._optional("CCD_TEMPERATURE")
        cooler = await self._optional("CCD_COOLER")
        gain = await self._optional("CCD_GAIN")
        bx, by = await self._binning()
        state = (
            CameraState.ERROR
            if exp.state is PropState.ALERT
            else (CameraState.EXPOSING if exp.busy else CameraState.IDLE)
        )
        return {
            "state": state.name.lower(),
            "ccd_temp_c": temp and temp.number("CCD_TEMPERATURE_VALUE"),
            "cooler_on": cooler and bool(cooler.values.get("COOLER_ON")),
            "cooler_power": None,
            "binning": [bx, by],
            "gain": gain and gain.number("GAIN"),
            "percent_completed": None,
            "exposure_left_s": exp.number("CCD_EXPOSURE_VALUE") if exp.busy else None,
        }
