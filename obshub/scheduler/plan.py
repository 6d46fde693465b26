"""Plans: what each telescope does when, and why the rest is not done.

A :class:`Plan` is what the executor follows (``Plan.next_for(telescope, now)``), what a notebook
prints or plots, and what is stored (JSON). Entries carry everything the executor needs without
the request store: target name and ICRS coordinates, UTC start and end, the acquisition slot
length and the exposures.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
from astropy.time import Time


@dataclass
class PlanEntry:
    """One block on one telescope.

    The first ``setup_s`` seconds from ``start`` are for slewing, settling and the first filter;
    exposures follow. ``group`` links the entries of a *together* request (one per telescope,
    same start) for the synchronisation primitives.
    """

    unit: str
    request: str
    telescope: str
    target: str
    ra: float
    dec: float
    start: Time
    end: Time
    setup_s: float
    exposures: list[dict[str, Any]]
    instrument: str = "imaging"
    priority: float = 5.0
    owner: str = ""
    program: str = ""
    visit: int | None = None
    group: str | None = None
    state: str = "planned"  # planned, done, failed

    @property
    def minutes(self) -> float:
        return (self.end - self.start).to_value(u.min)

    def block_spec(self) -> dict[str, Any]:
        """This entry as an executor block document (``obshub.executor.blocks.Block`` shape).

        The block name is the unit id with characters a block name may not have replaced.
        """
        import re

        return {
            "name": re.sub(r"[^A-Za-z0-9_.+\-]", "-", self.unit)[:200],
            "target": {"name": self.target, "ra": self.ra, "dec": self.dec},
            "exposures": [
                {"filter": x.get("filter"), "exposure": x["seconds"], "count": x["count"]}
                for x in self.exposures
            ],
            "priority": int(round(self.priority)),
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = self.start.utc.isot
        d["end"] = self.end.utc.isot
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PlanEntry:
        d = dict(d)
        d["start"] = Time(d["start"], scale="utc")
        d["end"] = Time(d["end"], scale="utc")
        return cls(**d)


@dataclass
class Unscheduled:
    """Why a request (or one visit of it) is not in the plan."""

    unit: str
    request: str
    reason: str  # never_visible, window_passed, outranked, no_capable_telescope, share_used_up, weather, unavailable
    message: str
    target: str = ""
    owner: str = ""
    program: str = ""
    priority: float = 0.0


@dataclass
class Plan:
    """A night's plan for a set of telescopes."""

    night: str
    entries: list[PlanEntry] = field(default_factory=list)
    unscheduled: list[Unscheduled] = field(default_factory=list)
    telescopes: list[str] = field(default_factory=list)
    method: str = "dispatcher"
    created: Time = field(default_factory=Time.now)
    value: float = 0.0  # Σ priority × requested minutes of the scheduled units
    stats: dict[str, Any] = field(default_factory=dict)

    # ----- queries

    def for_telescope(self, telescope: str) -> list[PlanEntry]:
        """The telescope's entries in time order."""
        return sorted(
            (e for e in self.entries if e.telescope == telescope), key=lambda e: e.start.jd
        )

    def next_for(self, telescope: str, now: Time) -> PlanEntry | None:
        """The entry to execute at ``now``: the one running, else the next one; None if none.

        Entries already marked done or failed are skipped.
        """
        for e in self.for_telescope(telescope):
            if e.state == "planned" and e.end > now:
                return e
        return None

    def entry(self, unit: str) -> list[PlanEntry]:
        return [e for e in self.entries if e.unit == unit]

    def why(self, request: str) -> list[Unscheduled]:
        """The explanations for ``request``'s units that are not scheduled."""
        return [x for x in self.unscheduled if x.request == request]

    # ----- storage

    def to_dict(self) -> dict[str, Any]:
        return {
            "night": self.night,
            "method": self.method,
            "created": self.created.utc.isot,
            "value": self.value,
            "telescopes": self.telescopes,
            "stats": self.stats,
            "entries": [
                e.to_dict() for e in sorted(self.entries, key=lambda e: (e.telescope, e.start.jd))
            ],
            "unscheduled": [asdict(x) for x in self.unscheduled],
        }

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        return cls(
            night=d["night"],
            entries=[PlanEntry.from_dict(e) for e in d.get("entries", [])],
            unscheduled=[Unscheduled(**x) for x in d.get("unscheduled", [])],
            telescopes=list(d.get("telescopes", [])),
            method=d.get("method", ""),
            created=Time(d["created"], scale="utc") if d.get("created") else Time.now(),
            value=float(d.get("value", 0.0)),
            stats=dict(d.get("stats", {})),
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> Path:
        """Write atomically (a crash mid-write must not leave half a plan for the executor)."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json(indent=1))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        return cls.from_json(Path(path).read_text())

    # ----- display

    def __str__(self) -> str:
        lines = [
            f"Plan for night {self.night} ({self.method}): {len(self.entries)} block(s), "
            f"{len(self.unscheduled)} not scheduled, value {self.value:.0f} (priority × minutes)"
        ]
        for tel in self.telescopes or sorted({e.telescope for e in self.entries}):
            entries = self.for_telescope(tel)
            busy = sum(e.minutes for e in entries)
            lines.append(f"  {tel}: {len(entries)} block(s), {busy:.0f} min")
            for e in entries:
                filt = ",".join(
                    f"{x.get('filter') or '-'}×{x['count']}×{x['seconds']:g}s" for x in e.exposures
                )
                extra = f" visit {e.visit + 1}" if e.visit is not None else ""
                extra += f" together[{e.group}]" if e.group else ""
                lines.append(
                    f"    {e.start.utc.isot[11:16]}–{e.end.utc.isot[11:16]} {e.request:<18} "
                    f"{e.target:<16} p{e.priority:g} {e.owner}/{e.program} {filt}{extra}"
                )
        if self.unscheduled:
            lines.append("  not scheduled:")
            for x in self.unscheduled:
                lines.append(f"    {x.unit}: [{x.reason}] {x.message}")
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle) -> None:  # IPython
        p.text(str(self))

    def plot(self, ax=None, *, show_labels: bool = True):
        """A timeline per telescope (matplotlib); returns the Axes."""
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt

        tels = self.telescopes or sorted({e.telescope for e in self.entries})
        if ax is None:
            _, ax = plt.subplots(figsize=(12, 0.6 + 0.5 * max(1, len(tels))))
        cmap = plt.get_cmap("viridis")
        for row, tel in enumerate(tels):
            for e in self.for_telescope(tel):
                s, en = e.start.utc.datetime, e.end.utc.datetime
                width = (en - s).total_seconds() / 86400.0
                ax.barh(
                    row,
                    width,
                    left=mdates.date2num(s),
                    height=0.6,
                    color=cmap((e.priority - 1) / 9.0),
                    edgecolor="black",
                    linewidth=0.4,
                )
                if show_labels and width * 1440 > 20:
                    ax.text(
                        mdates.date2num(s) + width / 2,
                        row,
                        e.request,
                        ha="center",
                        va="center",
                        fontsize=6,
                    )
        ax.set_yticks(range(len(tels)), tels)
        ax.xaxis_date()
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
        ax.set_xlabel("UTC")
        ax.set_title(f"obshub plan {self.night} — colour: priority")
        ax.invert_yaxis()
        return ax
