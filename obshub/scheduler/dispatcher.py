"""The fast tier: a greedy dispatcher that always has an answer.

Units are taken in order of weight per minute (priority × fair share), scarce ones first among
equals; each goes to the capable telescope and start that keep the night packed (the block
touches an existing block or the edge of its visibility) with the target highest. Each placement
is a few numpy passes over one night's grid, so thousands of units take well under a second and
re-dispatching mid-night is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from obshub.scheduler.problem import Problem


@dataclass
class Placement:
    unit: int  # index into Problem.units
    telescopes: tuple[int, ...]
    start: int  # global grid index
    group: str | None = None

    def end(self, p: Problem) -> int:
        return self.start + p.units[self.unit].length


class Dispatcher:
    """Greedy placement over a :class:`Problem`, keeping each telescope's busy grid.

    Also used by the re-planner to re-place units one at a time.
    """

    def __init__(
        self,
        problem: Problem,
        placements: list[Placement] | None = None,
        *,
        contention: bool = False,
    ):
        self.p = problem
        self.busy = problem.static_busy.copy()
        self._free: dict[int, np.ndarray] = {}
        self.placements: dict[int, Placement] = {}
        self.contention = self._contention() if contention else None
        for pl in placements or []:
            self.commit(pl)

    def _contention(self) -> dict:
        """Demand per telescope and step: how much weight could still use each minute.

        Each unit spreads its weight over every (telescope, step) its feasible placements
        cover. As units are placed (or given up) their demand is withdrawn, so the demand seen
        when placing a unit is that of the units still waiting; putting the block where it is
        smallest leaves the contested time to them.
        """
        p = self.p
        n = p.grid.n
        diff = np.zeros((len(p.telescopes), n + 2))
        contrib: dict[int, list] = {}
        for ui, un in enumerate(p.units):
            if un.excluded is not None:
                continue
            runs = []
            total = 0
            for k in np.nonzero(p.capable[un.req])[0]:
                js = p.unit_starts(un, int(k))
                if len(js) == 0:
                    continue
                brk = np.nonzero(np.diff(js) != 1)[0]
                a = np.concatenate([js[[0]], js[brk + 1]])
                b = np.minimum(np.concatenate([js[brk], js[[-1]]]) + un.length, n)
                runs.append((int(k), a, b))
                total += int((b - a).sum())
            if not runs:
                continue
            share = un.weight / max(1, total)
            contrib[ui] = [(k, a, b, share) for k, a, b in runs]
            for k, a, b, _ in contrib[ui]:
                np.add.at(diff[k], a, share)
                np.add.at(diff[k], b, -share)
        return {"diff": diff, "contrib": contrib, "cum": {}, "n": n}

    def _withdraw(self, ui: int) -> None:
        c = self.contention
        if c is None:
            return
        for k, a, b, share in c["contrib"].pop(ui, []):
            np.add.at(c["diff"][k], a, -share)
            np.add.at(c["diff"][k], b, share)
            c["cum"].pop(k, None)

    def _cum_demand(self, k: int) -> np.ndarray:
        c = self.contention
        if k not in c["cum"]:
            demand = np.cumsum(c["diff"][k][: c["n"]])
            cum = np.zeros(c["n"] + 1)
            np.cumsum(demand, out=cum[1:])
            c["cum"][k] = cum
        return c["cum"][k]

    def commit(self, pl: Placement) -> None:
        L = self.p.units[pl.unit].length
        for k in pl.telescopes:
            self.busy[k, pl.start : pl.start + L] = True
            self._free.pop(k, None)
        self.placements[pl.unit] = pl

    def free_cumsum(self, k: int) -> np.ndarray:
        """Cumulative count of free steps on telescope ``k`` (cached until its busy grid changes)."""
        if k not in self._free:
            c = np.zeros(self.busy.shape[1] + 1, dtype=np.int64)
            np.cumsum(~self.busy[k], out=c[1:])
            self._free[k] = c
        return self._free[k]

    def block(self, k: int, a: int, b: int) -> None:
        """Mark steps [a, b) of telescope ``k`` busy (downtime arriving mid-night)."""
        self.busy[k, a:b] = True
        self._free.pop(k, None)

    def release(self, ui: int) -> Placement | None:
        pl = self.placements.pop(ui, None)
        if pl is not None:
            L = self.p.units[ui].length
            for k in pl.telescopes:
                self.busy[k, pl.start : pl.start + L] = False
                # downtime stays busy
                self.busy[k, pl.start : pl.start + L] |= self.p.static_busy[
                    k, pl.start : pl.start + L
                ]
        return pl

    def feasible(self, ui: int, k: int, *, not_before: int = 0) -> np.ndarray:
        """Starts of unit ``ui`` on telescope ``k`` free of other blocks."""
        u = self.p.units[ui]
        js = self.p.unit_starts(u, k)
        if not_before:
            js = js[js >= not_before]
        if len(js) == 0:
            return js
        c = self.free_cumsum(k)
        return js[c[js + u.length] - c[js] == u.length]

    def place(self, ui: int, *, not_before: int = 0, earliest: bool = False) -> Placement | None:
        """Find and commit a placement for unit ``ui``; None if it fits nowhere."""
        u = self.p.units[ui]
        if u.excluded is not None:
            return None
        self._withdraw(ui)
        req = self.p.request(u)
        ks = np.nonzero(self.p.capable[u.req])[0]
        if req.together > 1:
            return self._place_together(ui, ks, req.together, not_before)
        best = None
        for k in ks:
            js = self.feasible(ui, int(k), not_before=not_before)
            if len(js) == 0:
                continue
            if earliest:
                cand = js[:1]
                score = -cand.astype(float)
            else:
                # Packed starts: the first and last of each run of feasible starts.
                brk = np.nonzero(np.diff(js) != 1)[0]
                cand = np.unique(np.concatenate([js[[0]], js[brk + 1], js[brk], js[[-1]]]))
                score = self.p.altitude(u, int(k), cand + u.length // 2)
                if self.contention is not None:
                    # Least wanted time first (altitude, in degrees, only breaks near-ties).
                    c = self._cum_demand(int(k))
                    score = -(c[cand + u.length] - c[cand]) * 1e3 + score * 1e-3
            i = int(np.argmax(score))
            if best is None or score[i] > best[0]:
                best = (float(score[i]), int(k), int(cand[i]))
        if best is None:
            return None
        pl = Placement(ui, (best[1],), best[2])
        self.commit(pl)
        return pl

    def _place_together(self, ui: int, ks: np.ndarray, n: int, not_before: int) -> Placement | None:
        u = self.p.units[ui]
        count = np.zeros(self.p.grid.n, dtype=int)
        feas = {}
        for k in ks:
            js = self.feasible(ui, int(k), not_before=not_before)
            feas[int(k)] = set(js.tolist())
            count[js] += 1
        starts = np.nonzero(count >= n)[0]
        if len(starts) == 0:
            return None
        s = int(starts[0])
        chosen = self._team([k for k in feas if s in feas[k]], n)
        pl = Placement(ui, chosen, s, group=u.uid)
        self.commit(pl)
        return pl

    def _team(self, free: list[int], n: int) -> tuple[int, ...]:
        """``n`` of the ``free`` telescopes, preferring mounts declared to cooperate
        (``cooperates_with`` in the station file), then the same site: the sync primitives
        start those together to the second."""
        tels = self.p.telescopes
        for k in free:
            mates = [
                j
                for j in free
                if j != k
                and (tels[j].id in tels[k].cooperates_with or tels[k].id in tels[j].cooperates_with)
            ]
            if len(mates) >= n - 1:
                return (k, *mates[: n - 1])
        for k in free:
            same = [j for j in free if j != k and tels[j].site.name == tels[k].site.name]
            if len(same) >= n - 1:
                return (k, *same[: n - 1])
        return tuple(free[:n])

    def order(self, units: list[int] | None = None) -> list[int]:
        """Units by weight per minute (desc), then fewest candidate starts, then longest."""
        idx = list(range(len(self.p.units))) if units is None else list(units)
        counts = self.p.start_counts(idx)
        scarcity = dict(zip(idx, counts.tolist(), strict=True))
        return sorted(
            idx,
            key=lambda ui: (
                -self.p.units[ui].weight / max(1, self.p.units[ui].length),
                scarcity[ui],
                -self.p.units[ui].length,
            ),
        )

    def run(self, units: list[int] | None = None) -> list[Placement]:
        """Place every unit it can (in :meth:`order`); returns all placements."""
        for ui in self.order(units):
            if ui not in self.placements:
                self.place(ui)
        return list(self.placements.values())


def best_dispatch(problem: Problem) -> Dispatcher:
    """Both greedy variants (altitude-first, then contention-aware); the better one.

    Contention-aware placement wins when the network has spare time to share out (+9 % on
    300 requests for 10 telescopes), altitude-first when the night is oversubscribed; running
    both costs two greedy passes, still about a second for 2,000 requests.
    """
    plain = Dispatcher(problem)
    plain.run()
    other = Dispatcher(problem, contention=True)
    other.run()

    def w(d: Dispatcher) -> float:
        return sum(problem.units[ui].weight for ui in d.placements)

    return other if w(other) > w(plain) + 1e-9 else plain


def dispatch(problem: Problem) -> list[Placement]:
    """Greedy plan of the whole problem (the better of both variants)."""
    return list(best_dispatch(problem).placements.values())
