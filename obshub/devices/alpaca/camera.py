"""Alpaca cameras as :class:`~obshub.devices.interfaces.Camera`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import astropy.units as u
from astropy.time import Time

from obshub.devices.alpaca.base import AlpacaDevice
from obshub.devices.interfaces.camera import Camera, CameraState, Image
from obshub.errors import DeviceError, DeviceTimeout, ObshubError


class AlpacaCamera(AlpacaDevice, Camera):
    alpaca_type = "camera"

    def __init__(self, *args: Any, download_timeout: float = 120.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.download_timeout = download_timeout
        # One exposure at a time per camera; status reads still go through meanwhile.
        self._exposing = asyncio.Lock()
        self._sensor: tuple[int, int] | None = None

    async def state(self) -> CameraState:
        return CameraState(int(await self._get("camerastate")))

    async def sensor_size(self) -> tuple[int, int]:
        if self._sensor is None:
            r = await self._gather(x=self._get("cameraxsize"), y=self._get("cameraysize"))
            self._sensor = (int(r["x"]), int(r["y"]))
        return self._sensor

    async def set_binning(self, x: int, y: int | None = None) -> None:
        y = x if y is None else y
        w, h = await self.sensor_size()
        await self._put("binx", BinX=int(x))
        await self._put("biny", BinY=int(y))
        # A new binning invalidates the old window; keep the whole sensor.
        await self._put("startx", StartX=0)
        await self._put("starty", StartY=0)
        await self._put("numx", NumX=w // int(x))
        await self._put("numy", NumY=h // int(y))

    async def set_subframe(self, x: int, y: int, width: int, height: int) -> None:
        await self._put("startx", StartX=int(x))
        await self._put("starty", StartY=int(y))
        await self._put("numx", NumX=int(width))
        await self._put("numy", NumY=int(height))

    async def full_frame(self) -> None:
        r = await self._gather(bx=self._get("binx"), by=self._get("biny"))
        w, h = await self.sensor_size()
        await self.set_subframe(0, 0, w // int(r["bx"]), h // int(r["by"]))

    async def gain(self) -> int:
        return int(await self._get("gain"))

    async def set_gain(self, gain: int) -> None:
        await self._put("gain", Gain=int(gain))

    async def temperature(self) -> u.Quantity:
        return float(await self._get("ccdtemperature")) * u.deg_C

    async def set_cooling(self, on: bool, target: u.Quantity | None = None) -> None:
        if target is not None:
            await self._put(
                "setccdtemperature",
                SetCCDTemperature=float(target.to_value(u.deg_C, equivalencies=u.temperature())),
            )
        await self._put("cooleron", CoolerOn=bool(on))

    async def abort(self) -> None:
        await self._put("abortexposure")

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
            state = await self.state()
            if state is CameraState.ERROR:
                # The simulator (and some drivers) refuse every exposure until an abort.
                await self.abort()
            start = Time.now()
            await self._put("startexposure", Duration=seconds, Light=bool(light))
            try:
                await self._wait_for_image(seconds)
            except (asyncio.CancelledError, ObshubError):
                # Whoever cancelled us (a safety close, a user) wants the shutter shut.
                with contextlib.suppress(ObshubError, asyncio.CancelledError):
                    await asyncio.shield(self.abort())
                raise
            data = await self.transport.call(
                "GET",
                f"camera/{self.number}/imagearray",
                device=self.name,
                timeout=self.download_timeout,
                image=True,
            )
            meta = await self._frame_meta()
        started = meta.pop("start", None) or start
        return Image(
            data=data,
            start=started,
            duration=float(meta.pop("duration", seconds)) * u.s,
            light=light,
            binning=(int(meta.pop("binx")), int(meta.pop("biny"))),
            origin=(int(meta.pop("startx")), int(meta.pop("starty"))),
            camera=self.name,
            meta=meta,
        )

    async def _wait_for_image(self, seconds: float) -> None:
        # Sleep through most of the exposure, then poll: no request storm on long frames.
        t0 = time.monotonic()
        if seconds > 1.0:
            await asyncio.sleep(seconds - 0.5)
        deadline = t0 + seconds + self.download_timeout
        while True:
            r = await self._gather(ready=self._get("imageready"), state=self._get("camerastate"))
            if r["ready"]:
                return
            if int(r["state"]) == CameraState.ERROR:
                raise DeviceError(
                    self.name, "startexposure", "the camera went into its error state"
                )
            if time.monotonic() > deadline:
                raise DeviceTimeout(
                    self.name,
                    "imageready",
                    f"no image {seconds + self.download_timeout:g} s after start",
                )
            await asyncio.sleep(min(self.poll_interval, 0.05))

    async def _frame_meta(self) -> dict[str, Any]:
        r = await self._gather(
            binx=self._get("binx"),
            biny=self._get("biny"),
            startx=self._get("startx"),
            starty=self._get("starty"),
            gain=self._optional("gain"),
            ccd_temp=self._optional("ccdtemperature"),
            start=self._optional("lastexposurestarttime"),
            duration=self._optional("lastexposureduration"),
            pixel_x=self._optional("pixelsizex"),
            pixel_y=self._optional("pixelsizey"),
            sensor=self._optional("sensorname", ""),
        )
        if r["start"]:
            try:
                # ASCOM says UTC without a zone; some servers (the simulator) add "+00:00".
                stamp = str(r["start"]).rstrip("Z").removesuffix("+00:00")
                r["start"] = Time(stamp, format="isot", scale="utc")
            except ValueError:
                r["start"] = None
        if r["duration"] is None:
            r.pop("duration")
        return r

    async def _status(self) -> dict[str, Any]:
        r = await self._gather(
            state=self._get("camerastate"),
            ccd_temp=self._optional("ccdtemperature"),
            cooler_on=self._optional("cooleron"),
            cooler_power=self._optional("coolerpower"),
            binx=self._get("binx"),
            biny=self._get("biny"),
            gain=self._optional("gain"),
            percent=self._optional("percentcompleted"),
        )
        return {
            "state": CameraState(int(r["state"])).name.lower(),
            "ccd_temp_c": r["ccd_temp"],
            "cooler_on": r["cooler_on"],
            "cooler_power": r["cooler_power"],
            "binning": [int(r["binx"]), int(r["biny"])],
            "gain": r["gain"],
            "percent_completed": r["percent"],
        }
