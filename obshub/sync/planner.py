"""Planning exposure trains so that dithers land in the gaps.

Several cameras on one mount share its dithers: while the mount moves, nobody may expose. Each
camera wants a dither at least every ``dither_every`` of its frames and accepts exposure times
within bounds. The planner chooses a dither period ``P`` and, for each camera, how many frames
``n`` and which exposure ``e`` to take between two dithers, maximising the summed integration
time. One cycle::

    |<-- dither D -->|<-- frames: e, readout r, e, r, ..., e -->|(readout overlaps next dither)
    0                max(D, r)                                   P

A camera's constraint is ``n·e + (n-1)·r + max(D, r) <= P``, with ``n <= dither_every`` and
``e`` within its bounds: its last readout overlaps the next dither, which the strict barrier
(every camera finishes its frames and downloads, then the mount moves) cannot do. For a fixed
choice of ``n`` per camera the efficiency ``sum(n·e)/P`` is monotonic between the periods
where some camera's exposure reaches a bound, so the optimum is at one of those periods: the
planner evaluates them all (a few hundred at most) — exact, and instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CameraSpec:
    """What one camera wants.

    Parameters
    ----------
    name
        The camera's name.
    exposure
        Nominal exposure time, seconds.
    readout
        Time from shutter close until the camera can start again (readout, download), seconds.
    dither_every
        At most this many frames between two dithers.
    min_exposure, max_exposure
        Allowed exposure bounds; the nominal exposure (no freedom) by default.
    """

    name: str
    exposure: float
    readout: float = 0.0
    dither_every: int = 1
    min_exposure: float | None = None
    max_exposure: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.exposure > 0:
            problems.append(f"exposure must be > 0, got {self.exposure}")
        if self.readout < 0:
            problems.append(f"readout must be >= 0, got {self.readout}")
        if int(self.dither_every) != self.dither_every or self.dither_every < 1:
            problems.append(f"dither_every must be an integer >= 1, got {self.dither_every}")
        if not self.lo <= self.exposure <= self.hi:
            problems.append(f"exposure {self.exposure} outside its bounds [{self.lo}, {self.hi}]")
        if self.lo <= 0:
            problems.append(f"min_exposure must be > 0, got {self.lo}")
        if problems:
            raise ValueError(f"camera {self.name!r}: " + "; ".join(problems))

    @property
    def lo(self) -> float:
        return self.exposure if self.min_exposure is None else float(self.min_exposure)

    @property
    def hi(self) -> float:
        return self.exposure if self.max_exposure is None else float(self.max_exposure)


@dataclass(frozen=True)
class Train:
    """One camera's frames within a cycle: ``frames`` exposures of ``exposure`` seconds."""

    camera: str
    frames: int
    exposure: float
    readout: float
    first_start: float

    @property
    def exposing(self) -> float:
        return self.frames * self.exposure

    def intervals(self) -> list[tuple[float, float]]:
        """``(open, close)`` of each frame, relative to the cycle's start (the dither's)."""
        out = []
        t = self.first_start
        for _ in range(self.frames):
            out.append((t, t + self.exposure))
            t += self.exposure + self.readout
        return out


@dataclass
class Plan:
    """A periodic plan: dither, then every camera's train, repeated.

    Attributes
    ----------
    cycle
        The dither period ``P``, seconds.
    dither
        The dither's duration (motion and settling), seconds.
    trains
        Each camera's train by name.
    specs
        What the cameras asked for.
    kind
        ``"planned"``, or ``"strict"`` for the barrier's equivalent (see :func:`strict_plan`).
    """

    cycle: float
    dither: float
    trains: dict[str, Train]
    specs: dict[str, CameraSpec] = field(default_factory=dict)
    kind: str = "planned"

    def efficiency(self, camera: str | None = None) -> float:
        """Exposing time / wall time, for one camera or averaged over the cameras."""
        if camera is not None:
            return self.trains[camera].exposing / self.cycle
        return sum(t.exposing for t in self.trains.values()) / (len(self.trains) * self.cycle)

    def limit(self) -> float:
        """The physical limit for these cameras (see :func:`limit_efficiency`)."""
        return limit_efficiency(list(self.specs.values()), self.dither)

    def timeline(self, cycles: int = 2) -> list[tuple[str, float, float]]:
        """``(who, start, end)`` of every dither (``who = "mount"``) and exposure."""
        out: list[tuple[str, float, float]] = []
        for k in range(cycles):
            t0 = k * self.cycle
            out.append(("mount", t0, t0 + self.dither))
            for name, train in self.trains.items():
                out += [(name, t0 + a, t0 + b) for a, b in train.intervals()]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "cycle_s": round(self.cycle, 4),
            "dither_s": round(self.dither, 4),
            "efficiency": round(self.efficiency(), 4),
            "limit": round(self.limit(), 4) if self.specs else None,
            "trains": {
                n: {"frames": t.frames, "exposure_s": round(t.exposure, 4), "readout_s": t.readout}
                for n, t in self.trains.items()
            },
        }

    def __str__(self) -> str:
        head = (
            f"{self.kind} plan: dither every {self.cycle:.2f} s (dither {self.dither:.2f} s); "
            f"efficiency {self.efficiency():.1%}"
        )
        if self.specs:
            head += f", physical limit {self.limit():.1%}"
        width = max([len("camera")] + [len(n) for n in self.trains])
        lines = [
            head,
            f"{'camera':<{width}}  frames  exposure (allowed)      readout  efficiency",
        ]
        for name, t in self.trains.items():
            spec = self.specs.get(name)
            bounds = f"({spec.lo:g}-{spec.hi:g} s)" if spec else ""
            lines.append(
                f"{name:<{width}}  {t.frames:>6}  {t.exposure:7.2f} s {bounds:<13}  "
                f"{t.readout:5.2f} s  {self.efficiency(name):9.1%}"
            )
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

    def plot(self, ax: Any = None, cycles: int = 3) -> Any:
        """Draw the timeline (mount and cameras) with matplotlib; returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(10, 1 + 0.5 * (len(self.trains) + 1)))
        rows = ["mount", *self.trains]
        for y, who in enumerate(rows):
            spans = [(a, b - a) for w, a, b in self.timeline(cycles) if w == who]
            color = "tab:red" if who == "mount" else "tab:blue"
            ax.broken_barh(spans, (y - 0.35, 0.7), color=color)
        ax.set_yticks(range(len(rows)), rows)
        ax.invert_yaxis()
        ax.set_xlabel("seconds")
        ax.set_title(f"{self.kind}: efficiency {self.efficiency():.1%} (dithers in red)")
        return ax


#: Plans whose efficiencies differ by less than this are ties, broken in favour of exposures
#: nearest the nominal ones: a millionth of integration is not worth changing what the
#: observer asked for.
EFFICIENCY_TIE = 1e-6


def _train(spec: CameraSpec, period: float, dither: float) -> Train | None:
    """The best train for ``spec`` within one period, or None if none fits."""
    best: Train | None = None
    gap = max(dither, spec.readout)
    for n in range(1, spec.dither_every + 1):
        room = period - gap - (n - 1) * spec.readout
        e = min(spec.hi, room / n)
        if e < spec.lo - 1e-9:
            break
        cand = Train(spec.name, n, e, spec.readout, first_start=gap)
        # More integration first; then the exposure nearest the nominal one.
        key = (round(cand.exposing, 9), -abs(e - spec.exposure))
        if best is None or key > (round(best.exposing, 9), -abs(best.exposure - spec.exposure)):
            best = cand
    return best


def plan_trains(specs: list[CameraSpec], dither: float) -> Plan:
    """The periodic plan with the most integration (see the module's docstring).

    Parameters
    ----------
    specs
        Every camera on the mount.
    dither
        Seconds one dither takes (pulse or offset slew, and settling).

    Raises
    ------
    ValueError
        No cameras, duplicate names or a negative dither.
    """
    _check(specs, dither)
    candidates: set[float] = set()
    for s in specs:
        gap = max(dither, s.readout)
        for n in range(1, s.dither_every + 1):
            for e in (s.lo, s.exposure, s.hi):
                candidates.add(round(n * e + (n - 1) * s.readout + gap, 9))
    best: Plan | None = None
    best_key: tuple[float, float, float] | None = None
    for period in sorted(candidates):
        trains = {s.name: _train(s, period, dither) for s in specs}
        if any(t is None for t in trains.values()):
            continue
        plan = Plan(period, dither, trains, {s.name: s for s in specs})  # type: ignore[arg-type]
        off_nominal = sum(
            abs(plan.trains[s.name].exposure - s.exposure) / s.exposure for s in specs
        )
        key = (round(plan.efficiency() / EFFICIENCY_TIE) * EFFICIENCY_TIE, -off_nominal, -period)
        if best_key is None or key > best_key:
            best, best_key = plan, key
    assert best is not None  # the largest candidate period always fits every camera
    return best


def strict_plan(specs: list[CameraSpec], dither: float) -> Plan:
    """What the strict barrier does, as a plan: nominal exposures, every camera takes its
    ``dither_every`` frames and downloads them, then the mount dithers."""
    _check(specs, dither)
    period = max(s.dither_every * (s.exposure + s.readout) for s in specs) + dither
    trains = {s.name: Train(s.name, s.dither_every, s.exposure, s.readout, dither) for s in specs}
    return Plan(period, dither, trains, {s.name: s for s in specs}, kind="strict")


def limit_efficiency(specs: list[CameraSpec], dither: float) -> float:
    """The physical limit: each camera loses only its readouts and the dithers it needs.

    Camera by camera, as if it had the mount to itself, with its longest allowed exposure and
    its last readout hidden in the dither: ``n·e / (n·e + (n-1)·r + max(D, r))`` with
    ``n = dither_every`` and ``e = max_exposure``; averaged over the cameras. No policy on a
    shared mount can do better.
    """
    _check(specs, dither)
    effs = []
    for s in specs:
        n, e = s.dither_every, s.hi
        effs.append(n * e / (n * e + (n - 1) * s.readout + max(dither, s.readout)))
    return sum(effs) / len(effs)


def _check(specs: list[CameraSpec], dither: float) -> None:
    if not specs:
        raise ValueError("planning needs at least one camera")
    names = [s.name for s in specs]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f"camera names must be unique, repeated: {', '.join(dups)}")
    if dither < 0:
        raise ValueError(f"dither duration must be >= 0, got {dither}")
