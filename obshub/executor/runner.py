"""Running one observation block to completion, safely, resumably.

The runner decides *when*: it keeps the station safe (park and close when unsafe, reopen
after the safe period), flips at the meridian, dithers on cadence, refocuses when needed and
works through the frames the store says are still missing. *How* is the instrument script's
(:mod:`obshub.executor.scripts`). Every step is an event in the store, written before the
next step starts, so a ``SIGKILL`` at any moment loses at most the frame under way.

Crash safety rests on three rules:

1. ``frame_started`` is recorded before the shutter opens, ``frame_saved`` (path, sha256)
   only after the file is fsynced and linked into place (:func:`obshub.frames.write_fits`).
2. On restart, a run without ``run_ended`` is a crash: files of its open frame that made
   it to disk (found by their ``OBSFRKEY`` header) are adopted, never retaken; temporary
   ``.part`` files are removed; then ``interrupted`` is recorded and a new run starts.
3. The database refuses a second ``frame_saved`` for one frame key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from astropy.coordinates import AltAz, SkyCoord
from astropy.io import fits
from astropy.time import Time

from obshub.devices.interfaces import CameraState
from obshub.errors import (
    ConfigError,
    DeviceError,
    InvalidValue,
    NotImplementedByDevice,
    ObshubError,
)
from obshub.executor.blocks import Block, DomeControl, OnUnsafe, PlannedFrame, plan_frames
from obshub.executor.meridian import decide, hour_angle
from obshub.executor.motion import LocalMotion, MotionCoordinator
from obshub.executor.power import set_power
from obshub.executor.report import activity_totals
from obshub.executor.safety import SafetyWatcher, Verdict
from obshub.executor.scripts import FrameSpoiled, InstrumentScript, ScriptContext, script_class
from obshub.frames.capture import add_airmass, frame_context, frame_filename
from obshub.frames.fits import build_header, sha256_file, write_fits
from obshub.station.station import Station
from obshub.store.db import Store
from obshub.store.derive import BlockState, derive_state

log = logging.getLogger("obshub.executor")

#: FITS keywords that tie a file to its block and frame (crash recovery reads them back).
KEY_BLOCK = "OBSBLOCK"
KEY_FRAME = "OBSFRKEY"


class BlockEnded(ObshubError):
    """The block cannot go on; ``status`` is ``failed`` or ``stopped``."""

    def __init__(self, status: str, reason: str):
        self.status = status
        self.reason = reason
        super().__init__(reason)


class SafetyInterrupt(Exception):
    """The frame under way was aborted because it became unsafe."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by its parent) is not running the block.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


class BlockRunner:
    """Run one block on one instrument of a station.

    Parameters
    ----------
    station
        The station (connected by :meth:`run` if it is not).
    block
        The validated block.
    store
        Where the night is recorded.
    out_dir
        Where frames are written.
    motion
        The mount-motion hook (:class:`~obshub.executor.motion.LocalMotion` by default); the
        sync layer passes its own to coordinate several cameras on one mount.
    """

    #: Whether this runner takes blocks with several ``instruments`` (the multi runner does).
    several_instruments = False

    def __init__(
        self,
        station: Station,
        block: Block,
        store: Store,
        out_dir: str | Path,
        *,
        motion: MotionCoordinator | None = None,
    ):
        if block.instruments is not None and not self.several_instruments:
            raise ConfigError(
                f"block {block.name!r}",
                [
                    (
                        "instruments",
                        "several instruments: run it with obshub.executor.multi.make_runner",
                    )
                ],
            )
        self.station = station
        self.block = block
        self.settings = block.executor
        self.store = store
        self.out_dir = Path(out_dir)
        self.motion = motion or LocalMotion()
        try:
            self.unit, self.inst = station.instrument(block.instrument)
        except KeyError as exc:
            raise ConfigError(f"block {block.name!r}", [("instrument", exc.args[0])]) from None
        self.plan = plan_frames(block)
        self.block_id: int | None = None
        self.state = BlockState()
        cls = script_class(self.inst.config.script, self.inst.kind)
        self.ctx = ScriptContext(station, self.unit, self.inst, block, self.motion, self.record)
        self.script: InstrumentScript = cls(self.ctx)
        self.watcher: SafetyWatcher | None = None
        # Per-run pointing state: forgotten on every park, recovery and restart.
        self.acquired = False
        self.flipped = False
        self.closed_by_us = False
        self.safety_closed = False
        self.flat_on = False
        self.filter: str | None = None
        self.focused = False
        self.last_dither: int | None = None
        self.target: SkyCoord | None = None

    # Recording ---------------------------------------------------------------------------

    def record(self, event: str, /, **data: Any) -> None:
        """Append one event to the block's log (durably, before anything else happens)."""
        assert self.block_id is not None
        self.store.append(self.block_id, event, **data)
        log.info("%s %s %s", self.block.name, event, data)

    # Entry point -------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        """Run (or resume) the block to its end and return the summary."""
        spec = self.block.model_dump(mode="json")
        self.block_id = self.store.block_id(self.station.name, self.block.name, spec)
        self.state = derive_state(self.store.events(self.block_id))
        if self.state.status == "completed" and all(f.key in self.state.saved for f in self.plan):
            return self.summary()
        if self.state.status == "running":
            self._take_over()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._remove_partials()
        left = sum(f.key not in self.state.saved for f in self.plan)
        self.record(
            "run_started",
            pid=os.getpid(),
            host=socket.gethostname(),
            out_dir=str(self.out_dir.resolve()),
            frames_expected=len(self.plan),
            frames_left=left,
        )
        status, reason = "completed", None
        try:
            await self._start_station()
            await self._observe()
        except BlockEnded as exc:
            status, reason = exc.status, exc.reason
        except ObshubError as exc:
            status, reason = "failed", str(exc)
        except Exception as exc:  # a bug must still leave the station closed and a reason
            log.exception("block %s: internal error", self.block.name)
            status, reason = "failed", f"internal error: {exc!r}"
        except asyncio.CancelledError:
            self.record("run_ended", status="stopped", reason="cancelled")
            with contextlib.suppress(Exception):
                await asyncio.shield(self._end_station())
            raise
        await self._end_station()
        self.record("run_ended", status=status, reason=reason)
        return self.summary()

    def _take_over(self) -> None:
        """A run without an end: alive elsewhere (refuse) or crashed (recover)."""
        last = self.state.last_run or {}
        pid, host = last.get("pid"), last.get("host")
        if (
            host == socket.gethostname()
            and isinstance(pid, int)
            and pid != os.getpid()
            and _pid_alive(pid)
        ):
            raise ObshubError(f"block {self.block.name!r} is being run by process {pid}")
        adopted = self._adopt_orphans()
        self.record(
            "interrupted",
            cause="crash",
            reason=f"run of process {pid} ended without closing the block",
            open_frames=sorted(self.state.open_frames),
            adopted=adopted,
        )
        self.state = derive_state(self.store.events(self.block_id))

    def _adopt_orphans(self) -> list[str]:
        """Record frames that reached the disk just before a crash, instead of retaking them."""
        open_keys = set(self.state.open_frames)
        if not open_keys or not self.out_dir.is_dir():
            return []
        known = {d.get("path") for d in self.state.saved.values()}
        adopted = []
        for path in sorted(self.out_dir.glob("*.fits")):
            if str(path) in known:
                continue
            try:
                h = fits.getheader(path)
            except (OSError, ValueError):
                continue
            key = h.get(KEY_FRAME)
            if h.get(KEY_BLOCK) == self.block.name and key in open_keys:
                self.record(
                    "frame_saved",
                    key=key,
                    path=str(path),
                    sha256=sha256_file(path),
                    bytes=path.stat().st_size,
                    recovered=True,
                )
                open_keys.discard(key)
                adopted.append(key)
        return adopted

    def _remove_partials(self) -> None:
        # write_fits's temporaries of a killed run: never a frame, never recorded.
        for p in self.out_dir.glob(".*.part"):
            p.unlink(missing_ok=True)

    # Station up and down -----------------------------------------------------------------

    async def _start_station(self) -> None:
        power_on = self.settings.power_on
        if power_on is None:
            power_on = [f"{sw.name}.{o}" for sw in self.station.config.switches for o in sw.outlets]
        if power_on:
            await set_power(self.station, power_on, True, self.record)
        errors = await self.station.connect()
        for name, err in errors.items():
            if err:
                self.record("warning", message=f"{name} did not connect: {err}")
        # A killed run can leave the camera mid-exposure: free it for our first frame.
        with contextlib.suppress(ObshubError):
            if await self.inst.camera.state() not in (CameraState.IDLE, CameraState.ERROR):
                await self.inst.camera.abort()
        needed = [self.unit.name, self.inst.camera.name]
        down = [n for n in needed if errors.get(n)]
        if down and self.block.target is not None:
            await self._recover(DeviceError(down[0], "connect", str(errors[down[0]])))
        was_unsafe = self._last_verdict_unsafe()
        self.watcher = SafetyWatcher(
            self.station,
            self.settings,
            self.block.constraints.sun_max_altitude,
            on_change=self._on_safety_change,
            was_unsafe=was_unsafe,
        )
        await self.watcher.start()
        self.target = self.block.target.coord() if self.block.target else None

    def _last_verdict_unsafe(self) -> bool:
        evs = self.store.events(self.block_id, kinds=("safety",))
        return bool(evs) and not evs[-1].data.get("safe", True)

    def _on_safety_change(self, v: Verdict) -> None:
        self.record("safety", safe=v.safe, reasons=v.reasons, roof=v.roof, sun=v.sun_altitude)

    async def _end_station(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()
        if self.flat_on:
            with contextlib.suppress(ObshubError):
                await self.script.flat_panel(None)
        if self.settings.park_at_end or self.settings.close_at_end:
            with contextlib.suppress(ObshubError):
                await self._shutdown(
                    "end of block", park=self.settings.park_at_end, close=self.settings.close_at_end
                )
        if self.settings.power_off:
            await set_power(self.station, self.settings.power_off, False, self.record)

    async def _shutdown(self, why: str, *, park: bool = True, close: bool = True) -> None:
        """Park the mount, then close the dome (in that order: a roof must not hit the tube)."""
        done: dict[str, Any] = {"why": why}
        if park:
            try:
                async with self.motion.mount_motion(self.unit.name, "park"):
                    if not await self.unit.mount.is_parked():
                        await self.script.call("park", self.unit.mount.park)
                done["parked"] = True
            except ObshubError as exc:
                done["park_error"] = str(exc)
        dome = self.station.dome
        if close and dome is not None and self.settings.dome is DomeControl.executor:
            try:
                await self.script.call("close dome", dome.close)
                done["closed"] = True
                self.closed_by_us = True
            except ObshubError as exc:
                done["close_error"] = str(exc)
        self.acquired = False
        self.record("park", **done)

    # The plan ----------------------------------------------------------------------------

    async def _observe(self) -> None:
        for frame in self.plan:
            if frame.key in self.state.saved:
                continue
            await self._take_with_retries(frame)

    async def _take_with_retries(self, frame: PlannedFrame) -> None:
        failures = 0
        while True:
            try:
                await self._prepare(frame)
                await self._take(frame)
                return
            except SafetyInterrupt:
                continue
            except FrameSpoiled as exc:
                self.record("frame_failed", key=frame.key, error=str(exc), spoiled=True)
                failures += 1
                if failures >= self.settings.frame_attempts:
                    raise BlockEnded(
                        "failed", f"frame {frame.key} spoiled {failures} times"
                    ) from exc
            except (NotImplementedByDevice, InvalidValue) as exc:
                # Asking again will not help: the device cannot do this at all.
                raise BlockEnded("failed", f"frame {frame.key}: {exc}") from exc
            except DeviceError as exc:
                failures += 1
                if failures >= self.settings.frame_attempts:
                    raise BlockEnded(
                        "failed", f"frame {frame.key} failed {failures} times: {exc}"
                    ) from exc
                await self._recover(exc)

    async def _recover(self, exc: DeviceError) -> None:
        """Wait, with back-off, until the instrument and mount answer again."""
        s = self.settings
        t0 = time.monotonic()
        delay = s.backoff
        last: Exception = exc
        attempts = 0
        while True:
            try:
                await self.inst.camera.state()
                await self.unit.mount.is_parked()
                if self.inst.filter_wheel is not None:
                    await self.inst.filter_wheel.position()
                break
            except ObshubError as e:
                last = e
                attempts += 1
            if time.monotonic() - t0 > s.device_down_after:
                device = getattr(last, "device", None) or getattr(exc, "device", "?")
                self.record("device_down", device=device, error=str(last), attempts=attempts)
                raise BlockEnded(
                    "failed", f"{device} down for {s.device_down_after:g} s: {last}"
                ) from last
            await asyncio.sleep(delay)
            delay = min(delay * 2, s.max_backoff)
        self.record(
            "activity",
            kind="recovering",
            seconds=round(time.monotonic() - t0, 3),
            error=str(exc),
        )
        # Whatever the device forgot (pointing, filter, panel), we forget too.
        self.acquired = False
        self.filter = None
        self.flat_on = False

    # One frame ---------------------------------------------------------------------------

    async def _prepare(self, frame: PlannedFrame) -> None:
        if frame.is_sky:
            if self.flat_on:
                await self.script.flat_panel(None)
                self.flat_on = False
            await self._wait_for_window()
            await self._ensure_open()
            assert self.target is not None
            self._check_constraints()
            if not self.acquired:
                await self._acquire(frame)
            await self._meridian(frame)
            await self._filter(frame.filter)
            await self._maybe_refocus(frame)
            await self._maybe_dither()
            return
        # Calibration frames need no sky, but an open station must still close when unsafe.
        v = self.watcher.verdict if self.watcher else None
        if v is not None and not v.safe:
            await self._close_for_safety(v)
        if frame.imagetyp == "Flat Field":
            await self._filter(frame.filter)
            if not self.flat_on:
                await self.script.flat_panel(frame.brightness)
                self.flat_on = True
        elif self.flat_on:
            await self.script.flat_panel(None)
            self.flat_on = False

    async def _ensure_open(self) -> None:
        """Return once safe and open; park, close, wait and reopen as needed."""
        w = self.watcher
        assert w is not None
        dome = self.station.dome
        mine = dome is not None and self.settings.dome is DomeControl.executor
        t0 = time.monotonic()
        waited = False
        interrupted = self.safety_closed
        while True:
            v = w.verdict or await w.poll_once()
            if v.safe and w.safe_for() >= self.settings.safe_period:
                if dome is None or v.roof == "open":
                    break
                if mine and v.roof in ("closed", "moving"):
                    await self.script.call("open dome", dome.open)
                    self.closed_by_us = False
                    await w.poll_once()
                    continue
            if not v.safe and not self.safety_closed:
                await self._close_for_safety(v)
                interrupted = True
            elif v.safe and not mine and v.roof != "open" and not interrupted:
                # The host's roof is shut: wait for it, but this is not bad weather.
                self.record("interrupted", cause="roof", reason="roof closed by the host")
                interrupted = True
                await self._shutdown("roof closed by the host", close=False)
            waited = True
            w.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(w.changed.wait(), self.settings.poll_interval)
        if waited:
            self.record("activity", kind="waiting_safety", seconds=round(time.monotonic() - t0, 3))
        if interrupted:
            self.record("resumed", after="safe period" if mine else "roof open")
        self.safety_closed = False
        if waited:
            self.acquired = False

    async def _close_for_safety(self, v: Verdict) -> None:
        """Record the interruption, park and close, once per unsafe spell."""
        if self.safety_closed:
            return
        why = "; ".join(v.reasons)
        self.record("interrupted", cause="unsafe", reason=why)
        self.safety_closed = True
        await self._shutdown("unsafe: " + why)

    async def _wait_for_window(self) -> None:
        start = self.block.constraints.not_before
        if start is None:
            return
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        delay = (start - datetime.now(UTC)).total_seconds()
        if delay > 0:
            async with self.ctx.activity("waiting_window", until=start.isoformat()):
                await asyncio.sleep(delay)

    def _check_constraints(self) -> None:
        c = self.block.constraints
        now = Time.now()
        end = c.not_after
        if end is not None and end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        if end is not None and datetime.now(UTC) > end:
            raise BlockEnded("stopped", f"window ended at {end.isoformat()}")
        assert self.target is not None
        altaz = self.target.transform_to(AltAz(obstime=now, location=self.station.location))
        alt = float(altaz.alt.deg)
        min_alt = (
            c.min_altitude
            if c.min_altitude is not None
            else self.station.config.site.horizon.min_altitude
        )
        if alt < min_alt:
            raise BlockEnded(
                "stopped", f"{self.block.target.name} at {alt:.1f} deg, below {min_alt:g}"
            )
        if c.max_airmass is not None and float(altaz.secz) > c.max_airmass:
            raise BlockEnded("stopped", f"airmass {float(altaz.secz):.2f} > {c.max_airmass:g}")

    async def _acquire(self, frame: PlannedFrame) -> None:
        assert self.target is not None
        await self.script.acquire(self.target)
        ha = hour_angle(self.target, self.station.location)
        # A goto once past the flip point lands on the post-meridian side already.
        self.flipped = ha * 60 >= self.unit.config.meridian.flip_after
        self.acquired = True
        self.last_dither = None
        if self.block.focus.policy.value != "never" and not self.focused:
            await self._autofocus(self.block.focus.filter or frame.filter)

    async def _meridian(self, frame: PlannedFrame) -> None:
        assert self.target is not None
        cfg = self.unit.config.meridian
        ha = hour_angle(self.target, self.station.location)
        d = decide(self.unit.config.type, cfg, ha, frame.exposure, self.flipped)
        if d.action == "none":
            return
        if d.action == "stop":
            raise BlockEnded("stopped", f"meridian: {d.reason}")
        if d.action == "wait":
            async with self.ctx.activity("waiting_flip", reason=d.reason):
                await asyncio.sleep(max(d.wait_seconds, 0.0) + 1.0)
        ha = hour_angle(self.target, self.station.location)
        result = await self.script.flip(self.target)
        self.record("flip", ha_hours=round(ha, 5), **result)
        if not result["ok"]:
            self.record("interrupted", cause="flip", reason=result["detail"])
            raise BlockEnded("failed", f"meridian flip failed: {result['detail']}")
        self.flipped = True
        self.last_dither = None

    async def _filter(self, name: str | None) -> None:
        if name is None or name == self.filter:
            return
        old = self.filter
        await self.script.select_filter(name)
        self.filter = name
        foc = self.inst.focuser
        if old is None or foc is None or not self.focused:
            return
        f = self.block.focus
        if f.policy.value != "never" and f.refocus_on_filter_change:
            await self._autofocus(name)
            return
        offsets = await self.script.focus_offsets()
        delta = offsets.get(name, 0) - offsets.get(old, 0)
        if delta:
            await self.script.call("focus offset", lambda: foc.move_by(delta))
            self.record("focus_offset", filter_from=old, filter_to=name, steps=delta)

    async def _maybe_refocus(self, frame: PlannedFrame) -> None:
        f = self.block.focus
        if f.policy.value != "auto" or self.state.last_focus is None:
            return
        t_then = self.state.last_focus.get("temperature")
        t_now = await self.script.temperature()
        if t_then is not None and t_now is not None and abs(t_now - t_then) >= f.temperature_delta:
            await self._autofocus(f.filter or frame.filter, why=f"temperature {t_then}→{t_now}")

    async def _autofocus(self, filter_name: str | None, why: str = "start") -> None:
        if self.inst.focuser is None:
            self.record("warning", message="focus policy set but the instrument has no focuser")
            self.focused = True
            return
        if filter_name is not None:
            await self._filter(filter_name)
        temp = await self.script.temperature()
        try:
            res = await self.script.autofocus(self.block.focus)
        except ObshubError as exc:
            self.record("warning", message=str(exc))
            self.focused = True
            return
        data = {
            "position": res.position,
            "size": round(res.size, 4),
            "measure": self.block.focus.measure,
            "model": res.fit.model,
            "bracketed": res.fit.bracketed,
            "filter": self.filter,
            "temperature": temp,
            "why": why,
            "samples": [[p, None if s is None else round(s, 4)] for p, s in res.samples],
        }
        self.record("focus", **data)
        self.state.last_focus = data
        self.focused = True

    async def _maybe_dither(self) -> None:
        d = self.block.dither
        if d.pattern.value == "none" or not self.script.dithers:
            return
        n_light = sum(1 for k in self.state.saved if k.startswith("light:"))
        if n_light == 0 or n_light % d.every or self.last_dither == n_light:
            return
        assert self.target is not None
        await self.script.dither(self.target, n_light // d.every)
        self.last_dither = n_light

    async def _take(self, frame: PlannedFrame) -> None:
        values = await self.script.call(
            "frame context", lambda: frame_context(self.station, self.unit, self.inst)
        )
        self.record(
            "frame_started",
            key=frame.key,
            imagetyp=frame.imagetyp,
            filter=frame.filter,
            exposure=frame.exposure,
            binning=frame.binning,
            gain=frame.gain,
        )
        task = asyncio.create_task(self._expose(frame))
        try:
            if frame.is_sky and self.settings.on_unsafe is OnUnsafe.abort:
                assert self.watcher is not None
                unsafe = asyncio.create_task(self.watcher.unsafe.wait())
                done, _ = await asyncio.wait({task, unsafe}, return_when=asyncio.FIRST_COMPLETED)
                unsafe.cancel()
                if task not in done:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, ObshubError):
                        await task
                    self.record("frame_aborted", key=frame.key, reason="unsafe")
                    raise SafetyInterrupt()
            image = await task
        except DeviceError as exc:
            self.record("frame_failed", key=frame.key, error=str(exc))
            raise
        except asyncio.CancelledError:
            task.cancel()
            raise
        values["object"] = self.block.target.name if self.block.target else None
        values["imagetyp"] = frame.imagetyp
        values["extra"] = {
            KEY_BLOCK: (self.block.name, "obshub observation block"),
            KEY_FRAME: (frame.key, "frame within the block"),
            **self._extra_keywords(frame),
        }
        add_airmass(values, image, self.station)
        header = build_header(image, values)
        path = self.out_dir / frame_filename(image, values)
        path, digest = await asyncio.to_thread(write_fits, path, image, header)
        data = {"key": frame.key, "path": str(path), "sha256": digest, "bytes": path.stat().st_size}
        self.record("frame_saved", **data)
        self.state.saved[frame.key] = data

    async def _expose(self, frame: PlannedFrame) -> Any:
        """Take the frame's image (the multi-instrument runner may start it with others)."""
        return await self.script.expose(frame)

    def _extra_keywords(self, frame: PlannedFrame) -> dict[str, Any]:
        """More FITS keywords for the frame just taken (the sync layer's, in a subclass)."""
        return {}

    # Summary -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """What the block has: expected, saved, verified on disk, interruptions, time spent."""
        events = self.store.events(self.block_id)
        st = derive_state(events)
        keys = {f.key for f in self.plan}
        saved = {k: d for k, d in st.saved.items() if k in keys}
        on_disk = 0
        for d in saved.values():
            p = Path(d["path"])
            if p.is_file() and sha256_file(p) == d["sha256"]:
                on_disk += 1
        return {
            "block": self.block.name,
            "station": self.station.name,
            "status": st.status,
            "reason": st.reason,
            "frames_expected": len(self.plan),
            "frames_saved": len(saved),
            "frames_on_disk": on_disk,
            "interruptions": st.interruptions,
            "runs": st.runs,
            "flips": sum(e.kind == "flip" for e in events),
            "focus_runs": sum(e.kind == "focus" for e in events),
            "seconds": activity_totals(events),
        }
