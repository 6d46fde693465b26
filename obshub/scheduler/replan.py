"""The night's scheduler: a plan kept current as events arrive.

:class:`Scheduler` owns tonight's :class:`~obshub.scheduler.problem.Problem` and the placements.
Events re-plan locally with the dispatcher, in milliseconds: a site closes for weather, a
telescope faults, a frame fails, an urgent request arrives (inserted at the earliest start any
capable telescope can give it, displacing lower-priority blocks as the request's urgency and the
site's pre-emption policy allow; displaced blocks are re-placed where they still fit). The CP-SAT
optimiser improves the plan in a worker thread (:meth:`Scheduler.improve`), never on the event
loop, and its result is dropped if an event changed the plan meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np
from astropy.time import Time

from obshub.scheduler.dispatcher import Dispatcher, Placement, best_dispatch
from obshub.scheduler.fairshare import FairShare
from obshub.scheduler.plan import Plan, PlanEntry, Unscheduled
from obshub.scheduler.problem import Problem
from obshub.scheduler.requests import Request, Urgency, check_observable
from obshub.scheduler.schedule import make_plan, placement_entries, plan_value
from obshub.scheduler.telescopes import Downtime, Telescope


@dataclass
class Insertion:
    """What inserting an urgent request did."""

    request: str
    entries: list[PlanEntry]
    preempted: list[str] = field(default_factory=list)  # units displaced and not re-placed
    moved: list[str] = field(default_factory=list)  # units displaced and re-placed elsewhere
    seconds: float = 0.0

    @property
    def scheduled(self) -> bool:
        return bool(self.entries)


class Scheduler:
    """Tonight's plan for a set of telescopes, re-planned on events.

    Parameters
    ----------
    telescopes, requests
        The network and tonight's requests.
    night
        ``YYYY-MM-DD`` (the local evening date).
    now
        Planning starts here (default: the start of the night's grid).
    """

    def __init__(
        self,
        telescopes: list[Telescope],
        requests: list[Request],
        night: str,
        *,
        fairshare: FairShare | None = None,
        now: Time | None = None,
        step_s: float = 60.0,
    ):
        self.problem = Problem(
            list(requests),
            list(telescopes),
            night,
            fairshare or FairShare(),
            now=now,
            step_s=step_s,
        )
        self.dispatcher = best_dispatch(self.problem)
        self.method = "dispatcher"
        self.done: set[int] = set()
        self.preempted: dict[str, str] = {}
        self.version = 0
        self._plan: Plan | None = None

    @classmethod
    async def create(cls, *args, **kwargs) -> Scheduler:
        """Build (visibility + dispatch, seconds for a big network) in a worker thread."""
        return await asyncio.to_thread(cls, *args, **kwargs)

    # ------------------------------------------------------------------ state

    @property
    def placements(self) -> list[Placement]:
        return list(self.dispatcher.placements.values())

    @property
    def value(self) -> float:
        return plan_value(self.problem, self.placements)

    @property
    def plan(self) -> Plan:
        """The current plan with explanations (built on demand: explaining costs more than planning)."""
        if self._plan is None:
            plan = make_plan(self.problem, self.placements, self.method)
            for x in plan.unscheduled:
                if x.unit in self.preempted and x.reason == "outranked":
                    x.message = f"pre-empted by urgent {self.preempted[x.unit]}; " + x.message
            done_units = {self.problem.units[i].uid for i in self.done}
            for e in plan.entries:
                if e.unit in done_units:
                    e.state = "done"
            self._plan = plan
        return self._plan

    def _changed(self) -> None:
        self.version += 1
        self._plan = None

    def _now_idx(self, now: Time | None) -> int:
        if now is None:
            return self.problem.now_idx
        i = max(self.problem.now_idx, self.problem.grid.index_ceil(now))
        self.problem.now_idx = i
        return i

    def _unit(self, uid: str) -> int:
        for i, un in enumerate(self.problem.units):
            if un.uid == uid:
                return i
        raise KeyError(f"no unit {uid!r}")

    def _locked(self, now_idx: int) -> set[int]:
        """Units done or already started: no planner may move them."""
        return set(self.done) | {
            ui for ui, pl in self.dispatcher.placements.items() if pl.start < now_idx
        }

    # ------------------------------------------------------------------ planning

    def optimize(self, *, time_limit: float = 5.0, now: Time | None = None) -> dict:
        """Improve the plan with CP-SAT (blocking; see :meth:`improve` for the async form)."""
        from obshub.scheduler.optimizer import optimize_auto as optimize

        version = self.version
        now_idx = self._now_idx(now)
        hint = self.placements
        better, stats = optimize(
            self.problem, hint, time_limit=time_limit, locked=self._locked(now_idx)
        )
        self._adopt(version, hint, better)
        return stats

    async def improve(self, *, time_limit: float = 5.0, now: Time | None = None) -> dict:
        """Run CP-SAT in a worker thread; adopt its plan if better and nothing changed meanwhile."""
        from obshub.scheduler.optimizer import optimize_auto as optimize

        version = self.version
        now_idx = self._now_idx(now)
        hint = self.placements
        locked = self._locked(now_idx)
        better, stats = await asyncio.to_thread(
            optimize, self.problem, hint, time_limit=time_limit, locked=locked
        )
        stats["adopted"] = self._adopt(version, hint, better)
        return stats

    def _adopt(self, version: int, hint: list[Placement], better: list[Placement]) -> bool:
        w = lambda pls: sum(self.problem.units[pl.unit].weight for pl in pls)  # noqa: E731
        if self.version != version or w(better) <= w(hint) + 1e-9:
            return False
        self.dispatcher = Dispatcher(self.problem, better)
        self.method = "cp-sat"
        self._changed()
        return True

    def redispatch(self, units: list[int] | None = None, *, now_idx: int | None = None) -> None:
        """Place unplaced units (all by default) greedily from ``now_idx``."""
        nb = self.problem.now_idx if now_idx is None else now_idx
        todo = (
            [ui for ui in range(len(self.problem.units)) if ui not in self.dispatcher.placements]
            if units is None
            else units
        )
        for ui in self.dispatcher.order(todo):
            if ui not in self.dispatcher.placements:
                self.dispatcher.place(ui, not_before=nb)
        self._changed()

    def what_if(
        self,
        *,
        add: list[Request] = (),
        remove: list[str] = (),
        downtime: dict[str, list[Downtime]] | None = None,
        time_limit: float = 0.0,
    ) -> Plan:
        """The plan tonight would have with other requests or downtime; this plan is untouched.

        Parameters
        ----------
        add, remove
            Requests to add, request ids to drop.
        downtime
            Extra downtime by telescope id.
        time_limit
            Seconds of CP-SAT after the dispatcher (0: dispatcher only).
        """
        import copy

        from obshub.scheduler.schedule import schedule

        tels = [t.with_downtime(*(downtime or {}).get(t.id, [])) for t in self.problem.telescopes]
        reqs = [r for r in self.problem.requests if r.id not in set(remove)] + list(add)
        now = self.problem.time(self.problem.now_idx) if self.problem.now_idx else None
        plan, _ = schedule(
            reqs,
            tels,
            self.problem.night,
            fairshare=copy.deepcopy(self.problem.fairshare),
            now=now,
            optimize=time_limit > 0,
            time_limit=time_limit or 1.0,
            step_s=self.problem.step_s,
        )
        return plan

    # ------------------------------------------------------------------ events

    def mark_done(self, uid: str) -> None:
        """The executor finished this unit: it is locked and charged to its program."""
        ui = self._unit(uid)
        if ui not in self.done:
            self.done.add(ui)
            req = self.problem.request(self.problem.units[ui])
            self.problem.fairshare.program(req.program).used_hours += req.duration_s / 3600.0
        self._changed()

    def _close(
        self, ks: list[int], start: Time, end: Time | None, reason: str, now: Time | None
    ) -> Plan:
        now_idx = self._now_idx(now if now is not None else start)
        d = Downtime(start, end or self.problem.grid.end, reason)
        a = max(0, self.problem.grid.index(d.start))
        b = min(self.problem.grid.n, self.problem.grid.index_ceil(d.end))
        hit = []
        for k in ks:
            self.problem.add_downtime(k, d)
            self.dispatcher.block(k, a, b)
            for ui, pl in list(self.dispatcher.placements.items()):
                if (
                    k in pl.telescopes
                    and ui not in self.done
                    and pl.start < b
                    and pl.end(self.problem) > a
                ):
                    self.dispatcher.release(ui)
                    hit.append(ui)
        for k in ks:  # release() clears busy: re-apply this downtime
            self.dispatcher.block(k, a, b)
        self.redispatch(now_idx=now_idx)
        return self.plan

    def site_closed(
        self,
        site: str,
        start: Time,
        end: Time | None = None,
        *,
        reason: str = "weather",
        now: Time | None = None,
    ) -> Plan:
        """Every telescope at ``site`` is closed from ``start`` to ``end`` (end of night if None)."""
        ks = [k for k, t in enumerate(self.problem.telescopes) if t.site.name == site]
        if not ks:
            raise KeyError(f"no telescope at site {site!r}")
        return self._close(ks, start, end, reason, now)

    def telescope_fault(
        self, telescope: str, start: Time, end: Time | None = None, *, now: Time | None = None
    ) -> Plan:
        """``telescope`` is out of service from ``start`` to ``end`` (end of night if None)."""
        return self._close([self.problem.tel_index[telescope]], start, end, "fault", now)

    def frame_failed(self, uid: str, now: Time) -> Plan:
        """A frame of unit ``uid`` failed: its block is given up and the unit placed again later."""
        now_idx = self._now_idx(now)
        ui = self._unit(uid)
        self.dispatcher.release(ui)
        if self.dispatcher.place(ui, not_before=now_idx) is None:
            self.preempted.pop(uid, None)
        self._changed()
        return self.plan

    def submit(self, request: Request, now: Time | None = None) -> Insertion:
        """Add a request mid-night: urgent ones pre-empt as allowed, others fill free time."""
        t0 = time.perf_counter()
        check_observable(request, self.problem.telescopes, now=now)
        now_idx = self._now_idx(now)
        units = self.problem.add_requests([request])
        first = len(self.problem.units) - len(units)
        ins = Insertion(request.id, [])
        for j in range(len(units)):
            ui = first + j
            if request.urgency is Urgency.normal:
                pl = self.dispatcher.place(ui, not_before=now_idx)
            else:
                pl = self._insert_urgent(ui, now_idx, ins)
            if pl is not None:
                ins.entries += self._entries(pl)
        self._changed()
        ins.seconds = time.perf_counter() - t0
        return ins

    insert_urgent = submit

    def _entries(self, pl: Placement) -> list[PlanEntry]:
        return placement_entries(self.problem, pl)

    def _insert_urgent(self, ui: int, now_idx: int, ins: Insertion) -> Placement | None:
        p, d = self.problem, self.dispatcher
        u = p.units[ui]
        req = p.request(u)
        if req.together > 1:
            return d.place(ui, not_before=now_idx, earliest=True)
        best = None
        for k in np.nonzero(p.capable[u.req])[0]:
            k = int(k)
            js = p.unit_starts(u, k)
            js = js[js >= now_idx]
            if len(js) == 0:
                continue
            policy = p.telescopes[k].preemption
            hard = p.static_busy[k].copy()
            for oi, pl in d.placements.items():
                if k not in pl.telescopes:
                    continue
                o = p.units[oi]
                running = pl.start < now_idx
                keep = (
                    oi in self.done
                    or policy == "never"
                    or (running and (policy != "interrupt" or req.urgency is not Urgency.interrupt))
                    or (
                        p.request(o).urgency is not Urgency.normal
                        and p.request(o).priority >= req.priority
                    )
                    or len(pl.telescopes) > 1
                )
                if keep:
                    hard[pl.start : pl.start + o.length] = True
            c = np.concatenate([[0], np.cumsum(hard)])
            ok = js[c[js + u.length] - c[js] == 0]
            if len(ok) == 0:
                continue
            j = int(ok[0])
            soft = [
                oi
                for oi, pl in d.placements.items()
                if k in pl.telescopes
                and pl.start < j + u.length
                and pl.start + p.units[oi].length > j
            ]
            key = (j, len(soft))
            if best is None or key < best[0]:
                best = (key, k, j, soft)
        if best is None:
            return None
        _, k, j, soft = best
        for oi in soft:
            d.release(oi)
        pl = Placement(ui, (k,), j)
        d.commit(pl)
        for oi in sorted(soft, key=lambda oi: -p.units[oi].weight):
            if d.place(oi, not_before=now_idx) is not None:
                ins.moved.append(p.units[oi].uid)
            else:
                ins.preempted.append(p.units[oi].uid)
                self.preempted[p.units[oi].uid] = u.uid
        return pl


__all__ = ["Insertion", "Scheduler", "Unscheduled"]
