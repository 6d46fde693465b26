"""The night loop: per station, plan the requests, save the plan, follow it with the executor.

One :class:`StationNight` per station file owns a :class:`~obshub.scheduler.Scheduler` for the
night and one task per mount. Each task asks the plan for its next entry
(``Plan.next_for(telescope, now)``), waits for its start, runs it through the executor (frames
under ``<frames>/<site-id>/<night>/``, events in the store) and tells the scheduler how it went.
Re-planning happens on events: a block that fails is placed again later
(``Scheduler.frame_failed``), an unsafe site is closed for a while (``site_closed``), new
requests are inserted (``submit``), and an entry whose slot passed unexecuted is placed again.
After each change the plan is written to ``<plans>/<site-id>.json``, which the service serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import astropy.units as u
from astropy.time import Time

from obshub.client.http import LeaseError
from obshub.errors import ObshubError
from obshub.executor.motion import LocalMotion
from obshub.night.blocks import AttributedRunner, entry_block
from obshub.night.sources import Incoming, RequestSource
from obshub.scheduler import Scheduler, UnobservableRequest
from obshub.scheduler.plan import PlanEntry
from obshub.scheduler.telescopes import _slug as station_slug
from obshub.scheduler.telescopes import telescopes_from_station
from obshub.service.stations import slug as site_slug
from obshub.station import Station, load_station
from obshub.store import Store

log = logging.getLogger("obshub.night")


def night_of(longitude: float, now: datetime | None = None) -> str:
    """The night (local evening date) whose noon-to-noon grid holds ``now`` at ``longitude``."""
    now = now or datetime.now(UTC)
    local_mean = now + timedelta(hours=((longitude + 180) % 360 - 180) / 15.0)
    return (local_mean - timedelta(hours=12)).date().isoformat()


class StationNight:
    """One station's night: its scheduler, its plan file and one executor task per mount.

    Parameters
    ----------
    path
        The station file.
    sources
        Where requests come from (polled every ``poll_s``).
    store
        The executor's store.
    frames_root, plans_dir
        ``$OBSHUB_FRAMES_DIR`` and ``$OBSHUB_PLANS_DIR``.
    lead_s
        An idle telescope may start its next entry this much before the planned start (the
        plan's grid is one minute; the demo uses it so the first block starts at once).
    unsafe_hold_s
        When the site is unsafe before a block, it is closed in the plan for this long.
    emit
        Called with one JSON-ready dict per event (the CLI prints them).
    lease
        A :class:`~obshub.night.lease.ServiceLease`: each block runs holding the telescope's
        scheduler lease in the service (None: no service to tell).
    """

    def __init__(
        self,
        path: str | Path,
        sources: list[RequestSource],
        store: Store,
        frames_root: Path,
        plans_dir: Path,
        *,
        lead_s: float = 0.0,
        poll_s: float = 10.0,
        safe_period: float = 120.0,
        unsafe_hold_s: float = 300.0,
        emit: Callable[[dict[str, Any]], None] | None = None,
        lease: Any = None,
    ):
        self.path = Path(path)
        self.cfg = load_station(self.path)
        self.site_id = site_slug(self.cfg.site.name)
        self.station_id = station_slug(self.cfg.site.name)
        self.telescopes = telescopes_from_station(self.cfg)
        self.sources = sources
        self.store = store
        self.frames_root = Path(frames_root)
        self.plans_dir = Path(plans_dir)
        self.lead_s = lead_s
        self.poll_s = poll_s
        self.safe_period = safe_period
        self.unsafe_hold_s = unsafe_hold_s
        self.emit = emit or (lambda ev: None)
        self.lease = lease
        self.items: dict[str, Incoming] = {}
        self.finished: set[str] = set()
        self.running: dict[str, str] = {}  # telescope → unit being executed
        self.cancelled: set[str] = set()
        self.sched: Scheduler | None = None
        self.night = ""
        self.station: Station | None = None
        self.motion = LocalMotion()
        self._lock = asyncio.Lock()
        self._last_poll = 0.0
        self.results: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ planning

    def _event(self, kind: str, **data: Any) -> None:
        ev = {"at": Time.now().utc.isot[:19], "site": self.site_id, "event": kind, **data}
        log.info("%s", ev)
        self.emit(ev)

    def _poll(self) -> list[Incoming]:
        new = []
        for src in self.sources:
            for item in src.poll(self.site_id):
                if item.site not in (None, self.site_id) or item.request.id in self.items:
                    continue
                item.source = src  # type: ignore[attr-defined]
                self.items[item.request.id] = item
                new.append(item)
        return new

    def save(self) -> Path:
        """Write the plan where the service reads it, with the loop's own states.

        Beyond the scheduler's ``planned``/``done``, an entry being executed is ``running`` and
        one whose request was cancelled in the service is ``cancelled`` (the dashboards show
        both). Written atomically: the service may read it at any moment.
        """
        assert self.sched is not None
        self.plans_dir.mkdir(parents=True, exist_ok=True)
        doc = self.sched.plan.to_dict()
        running = set(self.running.values())
        for e in doc["entries"]:
            if e["unit"] in self.cancelled:
                e["state"] = "cancelled"
            elif e["unit"] in running and e["state"] == "planned":
                e["state"] = "running"
        path = self.plans_dir / f"{self.site_id}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=1))
        tmp.replace(path)
        return path

    async def plan(self) -> None:
        """Build tonight's plan from every source's requests and save it.

        On a new night (after local noon) the requests not finished yet are planned again.
        """
        now = Time.now()
        self.night = night_of(self.cfg.site.longitude)
        self._poll()
        first = [i for rid, i in self.items.items() if rid not in self.finished]
        self._last_poll = now.unix
        self.sched = await Scheduler.create(
            self.telescopes, [i.request for i in first], self.night, now=now
        )
        self.save()
        plan = self.sched.plan
        self._event(
            "planned",
            night=self.night,
            requests=len(first),
            entries=len(plan.entries),
            unscheduled=len(plan.unscheduled),
        )

    async def refresh(self, *, force: bool = False) -> None:
        """Insert requests that arrived since the last poll (re-plan), at most every poll_s."""
        now = Time.now()
        if not force and now.unix - self._last_poll < self.poll_s:
            return
        self._last_poll = now.unix
        new = await asyncio.to_thread(self._poll)
        if not new:
            return
        assert self.sched is not None
        placed = 0
        for item in new:
            try:
                ins = self.sched.submit(item.request, now=now)
                placed += bool(ins.entries)
            except UnobservableRequest as exc:
                self._event("refused", request=item.request.id, reason=str(exc))
                self._finish(item, "failed")
        self.save()
        self._event("replanned", cause="new requests", new=len(new), placed=placed)

    def _finish(self, item: Incoming, state: str) -> None:
        self.finished.add(item.request.id)
        src = getattr(item, "source", None)
        if src is not None:
            with contextlib.suppress(Exception):
                src.finished(item, state)

    def _request_finished(self, request_id: str, ok: bool) -> None:
        """A request is over when none of its units is still planned."""
        assert self.sched is not None
        plan = self.sched.plan
        left = [e for e in plan.entries if e.request == request_id and e.state == "planned"]
        item = self.items.get(request_id)
        if item and not left:
            self._finish(item, "done" if ok else "failed")

    def _replace_missed(self, telescope: str, now: Time) -> None:
        """Entries whose slot ended while the telescope was busy: place them again later."""
        assert self.sched is not None
        missed = [
            e
            for e in self.sched.plan.for_telescope(telescope)
            if e.state == "planned" and e.end <= now
        ]
        for e in missed:
            self.sched.frame_failed(e.unit, now)
            self._event("replanned", cause="slot passed", unit=e.unit)
        if missed:
            self.save()

    # ------------------------------------------------------------------ executing

    def _wanted(self, entry: PlanEntry) -> bool:
        item = self.items.get(entry.request)
        src = getattr(item, "source", None)
        return item is None or src is None or bool(src.active(item))

    async def _site_safe(self) -> bool:
        assert self.station is not None
        sm = self.station.safety_monitor
        if sm is None:
            return True
        try:
            return bool(await sm.is_safe())
        except ObshubError as exc:
            log.warning("%s: safety monitor unreadable: %s", self.site_id, exc)
            return False

    async def _run_entry(self, entry: PlanEntry) -> dict[str, Any]:
        assert self.sched is not None and self.station is not None
        item = self.items.get(entry.request)
        block = entry_block(
            entry, item.request if item else None, self.cfg, safe_period=self.safe_period
        )
        out = self.frames_root / self.site_id / self.night
        out.mkdir(parents=True, exist_ok=True)
        runner = AttributedRunner(
            self.station,
            block,
            self.store,
            out,
            motion=self.motion,
            owner=entry.owner,
            project=entry.program,
        )
        self._event(
            "block_started",
            unit=entry.unit,
            telescope=entry.telescope,
            target=entry.target,
            owner=entry.owner,
        )
        try:
            summary = await runner.run()
        except ObshubError as exc:
            summary = {"block": block.name, "status": "failed", "reason": str(exc)}
        self._event(
            "block_ended",
            unit=entry.unit,
            status=summary.get("status"),
            reason=summary.get("reason"),
            frames=summary.get("frames_saved"),
        )
        return summary

    def _leased(self, entry: PlanEntry) -> contextlib.AbstractAsyncContextManager:
        if self.lease is None:
            return contextlib.nullcontext(False)
        slot = (entry.end - entry.start).to_value(u.s)
        return self.lease.hold(entry.telescope.split("/", 1)[-1], 2 * slot + 120)

    async def follow(self, telescope: str, stop: asyncio.Event) -> None:
        """Follow the plan on one telescope until ``stop`` is set."""
        assert self.sched is not None

        async def pause(seconds: float) -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.05, seconds))

        while not stop.is_set():
            async with self._lock:
                if night_of(self.cfg.site.longitude) != self.night:
                    await self.plan()  # local noon passed: the next night's plan
                await self.refresh()
                now = Time.now()
                self._replace_missed(telescope, now)
                entry = self.sched.plan.next_for(telescope, now)
            if entry is None:
                await pause(self.poll_s)
                continue
            wait = (entry.start - now).to_value(u.s) - self.lead_s
            if wait > 0:
                await pause(min(wait, self.poll_s))
                continue
            if not await asyncio.to_thread(self._wanted, entry):
                async with self._lock:
                    self.sched.mark_done(entry.unit)  # never offered again
                    self.cancelled.add(entry.unit)
                    self.save()
                self._event("skipped", unit=entry.unit, reason="cancelled in the service")
                continue
            if not await self._site_safe():
                async with self._lock:
                    end = now + self.unsafe_hold_s * u.s
                    self.sched.site_closed(self.cfg.site.name, now, end, reason="weather", now=now)
                    self.save()
                self._event("replanned", cause="unsafe", closed_until=end.utc.isot[:19])
                await pause(self.poll_s)
                continue
            self.running[telescope] = entry.unit
            self.save()
            try:
                async with self._leased(entry):
                    summary = await self._run_entry(entry)
            except LeaseError as exc:
                self._event("waiting", cause="lease", telescope=telescope, reason=str(exc))
                await pause(self.poll_s)
                continue
            finally:
                self.running.pop(telescope, None)
            self.results.append(summary)
            async with self._lock:
                if summary.get("status") == "completed":
                    self.sched.mark_done(entry.unit)
                    self._request_finished(entry.request, True)
                else:
                    self.sched.frame_failed(entry.unit, Time.now())
                    self._event("replanned", cause="block " + str(summary.get("status")))
                    self._request_finished(entry.request, False)
                self.save()

    async def run(self, stop: asyncio.Event) -> None:
        """Plan, then follow the plan on every telescope until ``stop`` is set; park at the end."""
        await self.plan()
        self.station = Station.from_file(self.path)
        try:
            await self.station.connect()
            tasks = [
                asyncio.create_task(self.follow(t.id, stop), name=f"night {t.id}")
                for t in self.telescopes
            ]
            try:
                await asyncio.gather(*tasks)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await self._park()
        finally:
            await self.station.aclose()

    async def _park(self) -> None:
        """End of the night (or stop): park every mount, best effort, bounded in time."""
        assert self.station is not None
        for name, unit in self.station.mounts.items():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(unit.mount.park(), timeout=20)
                self._event("parked", mount=name)


class NightLoop:
    """Every station's night, concurrently (one :class:`StationNight` each)."""

    def __init__(self, stations: list[StationNight]):
        self.stations = stations

    async def run(self, stop: asyncio.Event | None = None, duration: float = 0.0) -> None:
        stop = stop or asyncio.Event()
        if duration > 0:
            asyncio.get_running_loop().call_later(duration, stop.set)
        await asyncio.gather(*(s.run(stop) for s in self.stations))
