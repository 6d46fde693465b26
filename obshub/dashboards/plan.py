"""The plan and night report as dashboards see them: plain records, normalised and filtered.

A plan (JSON or the scheduler's object) becomes::

    {"generated": iso, "night": {"start": iso, "end": iso},
     "blocks": [{"telescope", "site", "request", "target", "owner", "program",
                 "priority", "start", "end", "state"}],
     "queue": [{"request", "target", "owner", "program", "priority", "state",
                "site", "telescope"}],
     "unscheduled": [{"request", "target", "owner", "reason"}],
     "programs": [{"program", "owner", "done", "total"}]}

and a night report::

    {"night": iso, "telescopes": {name: {"exposing_s", "slewing_s", "waiting_safety_s",
                                         "lost_to_sync_s", "idle_s", "frames"}}}
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any

from astropy.time import Time

PLAN_KEYS = ("blocks", "queue", "unscheduled", "programs")
REPORT_FIELDS = [
    ("exposing_s", "Exposing"),
    ("slewing_s", "Slewing"),
    ("waiting_safety_s", "Waiting for safety"),
    ("lost_to_sync_s", "Lost to sync"),
    ("idle_s", "Idle / other"),
]
ALL = "All"


def to_datetime(v: Any) -> datetime:
    """An ISO string, epoch seconds, astropy Time or datetime as an aware UTC datetime."""
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, Time):
        return v.utc.to_datetime(timezone=UTC)
    if isinstance(v, int | float):
        return datetime.fromtimestamp(float(v), UTC)
    if isinstance(v, str):
        try:
            d = datetime.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"not an ISO time: {v!r}") from None
        return d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)
    raise ValueError(f"not a time: {v!r}")


def _as_dict(obj: Any) -> dict[str, Any]:
    for name in ("to_dict", "as_dict", "model_dump"):
        fn = getattr(obj, name, None)
        if callable(fn):
            return dict(fn())
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, dict):
        return dict(obj)
    raise TypeError(f"plan: cannot read a {type(obj).__name__}")


def normalise_plan(plan: Any) -> dict[str, Any]:
    """Check and complete a plan; raises ``ValueError`` naming the bad entry."""
    p = _as_dict(plan)
    if "entries" in p and "blocks" not in p:
        p = from_scheduler(p)
    out: dict[str, Any] = {"generated": p.get("generated"), "night": p.get("night")}
    for key in PLAN_KEYS:
        items = p.get(key) or []
        if not isinstance(items, list):
            raise ValueError(f"plan.{key}: expected a list, got {type(items).__name__}")
        out[key] = [_as_dict(i) for i in items]
    for i, b in enumerate(out["blocks"]):
        for k in ("telescope", "start", "end"):
            if b.get(k) in (None, ""):
                raise ValueError(f"plan.blocks[{i}]: missing {k!r}")
        try:
            b["start_dt"], b["end_dt"] = to_datetime(b["start"]), to_datetime(b["end"])
        except ValueError as exc:
            raise ValueError(f"plan.blocks[{i}]: {exc}") from None
        b.setdefault("state", "scheduled")
        b.setdefault("owner", "")
        b.setdefault("site", "")
        b.setdefault("target", b.get("request", ""))
    return out


def from_scheduler(d: dict[str, Any], site: str = "") -> dict[str, Any]:
    """A :class:`obshub.scheduler.plan.Plan` dict (``entries``, ``unscheduled``) as blocks."""
    blocks = []
    for e in d.get("entries", []):
        b = dict(e)
        b.setdefault("site", site)
        b["state"] = {"planned": "scheduled"}.get(str(b.get("state")), b.get("state"))
        blocks.append(b)
    unscheduled = [
        {
            "request": x.get("request"),
            "target": x.get("target"),
            "owner": x.get("owner"),
            "site": site,
            "reason": x.get("message") or x.get("reason"),
        }
        for x in d.get("unscheduled", [])
    ]
    # Monitoring requests (cadences) come as one entry per visit: tonight's progress per request.
    visits: dict[str, dict[str, Any]] = {}
    for b in blocks:
        if b.get("visit") is None:
            continue
        v = visits.setdefault(
            str(b.get("request")),
            {
                "program": f"{b.get('request')} ({b.get('target')})",
                "owner": b.get("owner"),
                "done": 0,
                "total": 0,
            },
        )
        v["total"] += 1
        v["done"] += str(b.get("state")) in ("done", "completed")
    return {
        "generated": d.get("created") or d.get("generated"),
        "night": d.get("night"),
        "blocks": blocks,
        "queue": list(d.get("queue", [])),
        "unscheduled": unscheduled,
        "programs": list(d.get("programs", [])) + list(visits.values()),
    }


def merge_plans(plans: list[dict[str, Any]]) -> dict[str, Any]:
    """Several sites' normalised-shape plans as one (for the all-sites queue view)."""
    out: dict[str, Any] = {
        "generated": None,
        "night": None,
        "blocks": [],
        "queue": [],
        "unscheduled": [],
        "programs": [],
    }
    for p in plans:
        for k in PLAN_KEYS:
            out[k].extend(p.get(k, []))
        out["generated"] = max(filter(None, [out["generated"], p.get("generated")]), default=None)
        out["night"] = out["night"] or p.get("night")
    return out


FINISHED = {"done", "completed", "failed", "aborted", "skipped", "cancelled"}


def running_now(
    plan: dict[str, Any], station: str | None = None, now: datetime | None = None
) -> dict[str, Any] | None:
    """The block under way now (at ``station``'s site when given), as ``observing`` info."""
    now = now or datetime.now(UTC)
    for b in plan.get("blocks", []):
        if str(b.get("state")) in FINISHED or not b["start_dt"] <= now < b["end_dt"]:
            continue
        if station and b.get("site") and str(b["site"]) != station:
            continue
        return {
            "target": b.get("target"),
            "owner": b.get("owner") or None,
            "telescope": b.get("telescope"),
            "progress": f"until {b['end_dt'].strftime('%H:%M')} UTC",
        }
    return None


def options(plan: dict[str, Any], key: str) -> list[str]:
    """The filter choices for ``key`` (site, telescope or owner), ``All`` first."""
    seen = {
        str(r.get(key))
        for part in ("blocks", "queue", "unscheduled")
        for r in plan.get(part, [])
        if r.get(key)
    }
    return [ALL, *sorted(seen)]


def filtered(
    plan: dict[str, Any], site: str = ALL, telescope: str = ALL, owner: str = ALL
) -> dict[str, Any]:
    """The plan restricted to one site, telescope and/or owner (``All`` keeps everything)."""

    def keep(r: dict[str, Any]) -> bool:
        return all(
            want == ALL or str(r.get(k)) == want
            for k, want in (("site", site), ("telescope", telescope), ("owner", owner))
        )

    out = dict(plan)
    for part in ("blocks", "queue", "unscheduled"):
        out[part] = [r for r in plan.get(part, []) if keep(r)]
    out["programs"] = [
        r for r in plan.get("programs", []) if owner == ALL or r.get("owner") == owner
    ]
    return out


def from_executor(report: dict[str, Any]) -> dict[str, Any]:
    """The executor's report (:func:`obshub.executor.report.night_report`) per station.

    Its blocks are named ``station/block``; their activities are summed per station:
    exposing (and calibrating), slewing (with settling and flips), waiting for safety, lost to
    sync (cameras waiting for each other plus spoiled frames), and the rest.
    """
    groups = {
        "exposing_s": ("exposing", "calibrating"),
        "slewing_s": ("slewing", "settling", "flipping"),
        "waiting_safety_s": ("waiting_safety",),
        "idle_s": ("dithering", "focusing", "waiting_flip", "waiting_window", "recovering"),
    }
    out: dict[str, dict[str, float]] = {}
    for key, block in (report.get("blocks") or {}).items():
        station = str(key).split("/", 1)[0]
        row = out.setdefault(station, {})
        secs = block.get("seconds", {})
        for name, parts in groups.items():
            row[name] = row.get(name, 0.0) + sum(float(secs.get(p, 0.0)) for p in parts)
        row["frames"] = row.get("frames", 0.0) + float(block.get("frames_saved", 0))
        sync = block.get("sync") or {}
        if sync:
            lost = sum(
                float(c.get("waiting", 0.0)) + float(c.get("spoiled", 0.0)) for c in sync.values()
            )
            row["lost_to_sync_s"] = row.get("lost_to_sync_s", 0.0) + lost
    nights = sorted((report.get("nights") or {}).keys())
    return {"night": nights[-1] if nights else None, "telescopes": out}


def normalise_report(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Telescope → seconds per activity; missing figures are absent, not zero."""
    if "telescopes" not in report and "blocks" in report:
        report = from_executor(report)
    tels = report.get("telescopes")
    if not isinstance(tels, dict):
        raise ValueError("night report: 'telescopes' must map telescope names to figures")
    out: dict[str, dict[str, float]] = {}
    for name, figs in tels.items():
        if not isinstance(figs, dict):
            raise ValueError(f"night report.telescopes.{name}: expected an object")
        row: dict[str, float] = {}
        for k, v in figs.items():
            if v is None:
                continue
            try:
                row[k] = float(v)
            except (TypeError, ValueError):
                raise ValueError(
                    f"night report.telescopes.{name}.{k}: not a number: {v!r}"
                ) from None
        out[str(name)] = row
    return out
