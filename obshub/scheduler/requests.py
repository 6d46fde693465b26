"""Observing requests: the model, reading them from YAML, and validation at submission.

A request says which target, what is wanted of it (instrument, filters, exposures), under which
constraints, when (a window, a cadence, an urgency), how much it matters (priority) and whose it
is (owner, program). Bad input is reported with the key path of every problem; a request that
no registered telescope could ever observe is refused with "this request can never be observed:
<reason>".
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import yaml
from astropy.time import Time
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from obshub.errors import ConfigError, ObshubError
from obshub.scheduler.constraints import (
    AirmassConstraint,
    AltitudeConstraint,
    AtNightConstraint,
    Constraint,
    MoonIlluminationConstraint,
    MoonSeparationConstraint,
    SkyBrightnessConstraint,
)
from obshub.scheduler.targets import Target, TargetCatalog, UnknownTarget, default_catalog

#: Nominal per-frame readout and per-change filter time folded into a request's duration.
READOUT_S = 2.0
FILTER_CHANGE_S = 5.0


class UnobservableRequest(ObshubError):
    """The request can never be observed with the registered telescopes."""

    def __init__(self, request_id: str, reason: str):
        self.request_id = request_id
        self.reason = reason
        super().__init__(f"request {request_id!r}: this request can never be observed: {reason}")


class Urgency(enum.StrEnum):
    """How hard a request may push into a running plan."""

    normal = "normal"  # planned with the rest
    next = "next"  # inserted after the block now running
    interrupt = "interrupt"  # may pre-empt the running block where the site allows


@dataclass(frozen=True)
class Exposure:
    filter: str | None
    seconds: float
    count: int = 1


@dataclass(frozen=True)
class Cadence:
    """Monitoring: ``visits`` visits, ``period`` seconds apart, each within ± ``tolerance``."""

    period_s: float
    tolerance_s: float
    visits: int


@dataclass(frozen=True)
class Request:
    """One observing request (immutable; the scheduler never edits requests)."""

    id: str
    target: Target
    exposures: tuple[Exposure, ...]
    instrument: str = "imaging"
    constraints: tuple[Constraint, ...] = ()
    window: tuple[Time, Time] | None = None
    cadence: Cadence | None = None
    urgency: Urgency = Urgency.normal
    priority: float = 5.0
    owner: str = "anonymous"
    program: str = "default"
    together: int = 1
    telescopes: tuple[str, ...] = ()  # restrict to these telescope ids (empty: any capable)

    @property
    def filters(self) -> set[str]:
        return {e.filter for e in self.exposures if e.filter}

    @property
    def duration_s(self) -> float:
        """Exposures, readouts and filter changes (not the acquisition slew)."""
        frames = sum(e.count * (e.seconds + READOUT_S) for e in self.exposures)
        return frames + FILTER_CHANGE_S * max(0, len(self.exposures) - 1)

    def constraint(self, cls: type[Constraint]) -> Constraint | None:
        for c in self.constraints:
            if isinstance(c, cls):
                return c
        return None


# ---------------------------------------------------------------------------------------------
# YAML schema


def _quantity(value: Any, unit: u.Unit, what: str) -> float:
    """A number in ``unit`` or a string with a unit ("2 h", "30 deg")."""
    if isinstance(value, int | float):
        return float(value)
    try:
        q = u.Quantity(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a {what}: {value!r}") from exc
    if q.unit == u.dimensionless_unscaled:
        return float(q.value)
    if not q.unit.is_equivalent(unit):
        raise ValueError(f"not a {what}: {value!r}")
    return float(q.to_value(unit))


def _time(value: Any) -> Time:
    try:
        return Time(str(value) if not isinstance(value, Time) else value, scale="utc")
    except ValueError as exc:
        raise ValueError(f"not a time: {value!r} (use ISO, e.g. 2026-03-15T21:00:00)") from exc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class TargetSpec(_Strict):
    name: str = Field(min_length=1)
    ra: str | float | None = None
    dec: str | float | None = None

    @model_validator(mode="after")
    def _both(self) -> TargetSpec:
        if (self.ra is None) != (self.dec is None):
            raise ValueError("give both 'ra' and 'dec', or neither (to look the name up)")
        return self


class ExposureSpec(_Strict):
    filter: str | None = None
    seconds: float = Field(gt=0, le=24 * 3600)
    count: int = Field(1, ge=1, le=10000)

    @field_validator("seconds", mode="before")
    @classmethod
    def _secs(cls, v: Any) -> float:
        return _quantity(v, u.s, "duration")


class ConstraintsSpec(_Strict):
    min_altitude: float | None = Field(None, ge=0, lt=90)
    max_altitude: float | None = Field(None, gt=0, le=90)
    max_airmass: float | None = Field(None, ge=1, le=40)
    min_moon_separation: float | None = Field(None, ge=0, le=180)
    max_moon_illumination: float | None = Field(None, ge=0, le=1)
    twilight: str | None = Field(None, description="civil, nautical, astronomical, night or any")
    max_sun_altitude: float | None = Field(None, ge=-90, le=90)
    min_sky_brightness: float | None = Field(None, ge=10, le=23, description="V mag/arcsec²")

    @field_validator("min_altitude", "max_altitude", "min_moon_separation", mode="before")
    @classmethod
    def _deg(cls, v: Any) -> Any:
        return None if v is None else _quantity(v, u.deg, "angle")

    @field_validator("twilight")
    @classmethod
    def _tw(cls, v: str | None) -> str | None:
        from obshub.scheduler.constraints import TWILIGHT

        if v is not None and v not in TWILIGHT:
            raise ValueError(f"twilight must be one of {sorted(TWILIGHT)}")
        return v

    def build(self) -> tuple[Constraint, ...]:
        out: list[Constraint] = []
        if self.min_altitude is not None or self.max_altitude is not None:
            out.append(
                AltitudeConstraint(
                    self.min_altitude or 0.0,
                    self.max_altitude if self.max_altitude is not None else np.inf,
                )
            )
        if self.max_airmass is not None:
            out.append(AirmassConstraint(hi=self.max_airmass))
        if self.min_moon_separation is not None:
            out.append(MoonSeparationConstraint(lo=self.min_moon_separation))
        if self.max_moon_illumination is not None:
            out.append(MoonIlluminationConstraint(hi=self.max_moon_illumination))
        if self.max_sun_altitude is not None:
            out.append(AtNightConstraint(hi=self.max_sun_altitude))
        elif self.twilight is not None:
            out.append(AtNightConstraint.twilight(self.twilight))
        if self.min_sky_brightness is not None:
            out.append(SkyBrightnessConstraint(lo=self.min_sky_brightness))
        return tuple(out)


#: Defaults when a request gives no constraints: above 30°, astronomical night.
DEFAULT_CONSTRAINTS = ConstraintsSpec(min_altitude=30, twilight="astronomical")


class WindowSpec(_Strict):
    start: Any
    end: Any

    @model_validator(mode="after")
    def _order(self) -> WindowSpec:
        self.start, self.end = _time(self.start), _time(self.end)
        if self.end <= self.start:
            raise ValueError("window end must be after its start")
        return self


class CadenceSpec(_Strict):
    period: float | str
    tolerance: float | str
    visits: int = Field(ge=1, le=1000)

    @field_validator("period", "tolerance", mode="before")
    @classmethod
    def _dur(cls, v: Any) -> float:
        # Bare numbers are minutes here: cadences are written in minutes or hours.
        if isinstance(v, int | float):
            return float(v) * 60
        return _quantity(v, u.s, "duration")

    @model_validator(mode="after")
    def _sane(self) -> CadenceSpec:
        if float(self.period) <= 0:
            raise ValueError("period must be positive")
        if float(self.tolerance) < 0 or float(self.tolerance) * 2 >= float(self.period):
            raise ValueError("tolerance must be ≥ 0 and less than half the period")
        return self


class RequestSpec(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:\-]+$")
    target: str | TargetSpec
    instrument: str = Field("imaging", pattern="^(imaging|spectroscopy)$")
    exposures: list[ExposureSpec] = Field(min_length=1)
    constraints: ConstraintsSpec | None = None
    window: WindowSpec | None = None
    cadence: CadenceSpec | None = None
    urgency: Urgency = Urgency.normal
    priority: float = Field(5.0, ge=1, le=10)
    owner: str = "anonymous"
    program: str = "default"
    together: int = Field(1, ge=1, le=10, description="telescopes observing at once")
    telescopes: list[str] = Field(default_factory=list)


class ProgramSpec(_Strict):
    share: float = Field(1.0, gt=0)
    allocation_hours: float | None = Field(None, ge=0)
    used_hours: float = Field(0.0, ge=0)


class DowntimeSpec(_Strict):
    telescope: str | None = None
    site: str | None = None
    start: Any
    end: Any
    reason: str = Field("maintenance", pattern="^(weather|reserved|maintenance|fault)$")

    @model_validator(mode="after")
    def _order(self) -> DowntimeSpec:
        self.start, self.end = _time(self.start), _time(self.end)
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RequestFile(_Strict):
    """A requests file: requests plus, optionally, programs' shares and downtime."""

    night: str | None = None
    programs: dict[str, ProgramSpec] = Field(default_factory=dict)
    downtime: list[DowntimeSpec] = Field(default_factory=list)
    catalogs: list[str] = Field(default_factory=list, description="extra target CSV files")
    requests: list[RequestSpec] = Field(default_factory=list)

    @field_validator("night", mode="before")
    @classmethod
    def _night(cls, v: Any) -> Any:
        import datetime as dt

        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, str):
            try:
                dt.date.fromisoformat(v)
            except ValueError:
                raise ValueError(f"night must be YYYY-MM-DD, got {v!r}") from None
        return v


def build_request(spec: RequestSpec, catalog: TargetCatalog | None = None) -> Request:
    """A :class:`Request` from a validated spec (resolving the target name)."""
    t = spec.target
    if isinstance(t, str):
        target = (catalog or default_catalog()).resolve(t)
    elif t.ra is None:
        target = (catalog or default_catalog()).resolve(t.name)
    else:
        from astropy.coordinates import SkyCoord

        unit = (u.hourangle, u.deg) if isinstance(t.ra, str) and "h" in t.ra else (u.deg, u.deg)
        target = Target.from_coord(t.name, SkyCoord(t.ra, t.dec, unit=unit, frame="icrs"))
    cons = (spec.constraints or DEFAULT_CONSTRAINTS).build()
    window = (spec.window.start, spec.window.end) if spec.window else None
    cadence = None
    if spec.cadence:
        c = spec.cadence
        cadence = Cadence(float(c.period), float(c.tolerance), c.visits)
    return Request(
        id=spec.id,
        target=target,
        exposures=tuple(Exposure(e.filter, e.seconds, e.count) for e in spec.exposures),
        instrument=spec.instrument,
        constraints=cons,
        window=window,
        cadence=cadence,
        urgency=spec.urgency,
        priority=spec.priority,
        owner=spec.owner,
        program=spec.program,
        together=spec.together,
        telescopes=tuple(spec.telescopes),
    )


@dataclass
class RequestSet:
    """What a requests file holds, built."""

    requests: list[Request]
    programs: dict[str, ProgramSpec] = field(default_factory=dict)
    downtime: list[DowntimeSpec] = field(default_factory=list)
    night: str | None = None


def _pydantic_problems(err: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for e in err.errors():
        loc = prefix
        for p in e["loc"]:
            loc += f"[{p}]" if isinstance(p, int) else (f".{p}" if loc else str(p))
        msg = {
            "extra_forbidden": "unknown key (misspelt?)",
            "missing": "required key is missing",
        }.get(e["type"], e["msg"])
        out.append((loc, msg))
    return out


def parse_requests(data: Any, source: str = "<requests>") -> RequestSet:
    """Validate a requests document (already parsed YAML) and build its requests.

    Raises
    ------
    ConfigError
        Listing every problem with its key path (unknown targets included).
    """
    if isinstance(data, list):
        data = {"requests": data}
    try:
        doc = RequestFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, _pydantic_problems(exc)) from None
    problems: list[tuple[str, str]] = []
    try:
        catalog = TargetCatalog(doc.catalogs) if doc.catalogs else default_catalog()
    except (OSError, UnknownTarget) as exc:
        raise ConfigError(source, [("catalogs", str(exc))]) from None
    requests = []
    seen: set[str] = set()
    for i, spec in enumerate(doc.requests):
        if spec.id in seen:
            problems.append((f"requests[{i}].id", f"duplicate request id {spec.id!r}"))
        seen.add(spec.id)
        try:
            requests.append(build_request(spec, catalog))
        except (UnknownTarget, ValueError) as exc:
            problems.append((f"requests[{i}].target", str(exc)))
    if problems:
        raise ConfigError(source, problems)
    return RequestSet(requests, doc.programs, doc.downtime, doc.night)


def load_requests(path: str | Path) -> RequestSet:
    """Read and validate a requests YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), [("", f"cannot read: {exc}")]) from None
    return parse_requests(data or {}, str(path))


def make_request(
    id: str,
    target: Any,
    exposures: list[Any],
    *,
    instrument: str = "imaging",
    min_altitude: u.Quantity | None = 30 * u.deg,
    max_altitude: u.Quantity | None = None,
    max_airmass: float | None = None,
    min_moon_separation: u.Quantity | None = None,
    max_moon_illumination: float | None = None,
    twilight: str | None = "astronomical",
    min_sky_brightness: float | None = None,
    window: tuple[Time, Time] | None = None,
    cadence: tuple[u.Quantity, u.Quantity, int] | None = None,
    urgency: Urgency | str = Urgency.normal,
    priority: float = 5.0,
    owner: str = "anonymous",
    program: str = "default",
    together: int = 1,
    telescopes: tuple[str, ...] = (),
    name: str | None = None,
    catalog: TargetCatalog | None = None,
) -> Request:
    """A validated :class:`Request` from astropy objects (the Python side of a request file).

    Parameters
    ----------
    target
        A ``SkyCoord``, a catalog name, or a :class:`Target`.
    exposures
        :class:`Exposure` objects or ``(filter, duration Quantity, count)`` tuples.
    window
        ``(start, end)`` Times.
    cadence
        ``(period, tolerance, visits)`` with Quantity durations.

    Raises
    ------
    ConfigError
        With every problem, as for a file.
    """
    from astropy.coordinates import SkyCoord

    def deg(q):
        return None if q is None else float(u.Quantity(q, u.deg).value)

    def sec(q):
        return float(u.Quantity(q, u.s).value)

    if isinstance(target, SkyCoord):
        icrs = target.icrs
        tspec: Any = {"name": name or id, "ra": float(icrs.ra.deg), "dec": float(icrs.dec.deg)}
    elif isinstance(target, Target):
        tspec = {"name": name or target.name, "ra": target.ra, "dec": target.dec}
    else:
        tspec = str(target)
    exps = []
    for e in exposures:
        if isinstance(e, Exposure):
            exps.append({"filter": e.filter, "seconds": e.seconds, "count": e.count})
        else:
            f, d, *c = e
            exps.append({"filter": f, "seconds": sec(d), "count": c[0] if c else 1})
    spec: dict[str, Any] = {
        "id": id,
        "target": tspec,
        "instrument": instrument,
        "exposures": exps,
        "constraints": {
            k: v
            for k, v in {
                "min_altitude": deg(min_altitude),
                "max_altitude": deg(max_altitude),
                "max_airmass": max_airmass,
                "min_moon_separation": deg(min_moon_separation),
                "max_moon_illumination": max_moon_illumination,
                "twilight": twilight,
                "min_sky_brightness": min_sky_brightness,
            }.items()
            if v is not None
        },
        "urgency": Urgency(urgency),
        "priority": priority,
        "owner": owner,
        "program": program,
        "together": together,
        "telescopes": list(telescopes),
    }
    if window is not None:
        spec["window"] = {"start": window[0], "end": window[1]}
    if cadence is not None:
        spec["cadence"] = {
            "period": f"{sec(cadence[0])} s",
            "tolerance": f"{sec(cadence[1])} s",
            "visits": cadence[2],
        }
    try:
        rs = RequestSpec.model_validate(spec)
    except ValidationError as exc:
        raise ConfigError(f"request {id!r}", _pydantic_problems(exc)) from None
    try:
        return build_request(rs, catalog)
    except UnknownTarget as exc:
        raise ConfigError(f"request {id!r}", [("target", str(exc))]) from None


# ---------------------------------------------------------------------------------------------
# "Can this ever be observed?"


def _min_altitude(req: Request) -> float:
    """The lowest altitude (deg) the request's altitude and airmass constraints allow."""
    lo = 0.0
    alt = req.constraint(AltitudeConstraint)
    if alt is not None:
        lo = max(lo, alt.lo)
    am = req.constraint(AirmassConstraint)
    if am is not None and np.isfinite(am.hi):
        lo = max(lo, math.degrees(math.asin(min(1.0, 1.0 / am.hi))))
    return lo


def check_observable(req: Request, telescopes: list, *, now: Time | None = None) -> None:
    """Refuse a request that no registered telescope could ever observe.

    Checks, in order: a capable telescope exists; the target rises above the request's (and the
    site's) altitude limit at some capable site; the window has not passed; the window contains
    dark time at some capable site. A window longer than two days is assumed to contain dark time.

    Raises
    ------
    UnobservableRequest
        With the reason.
    """
    capable = []
    why = []
    for t in telescopes:
        if req.telescopes and t.id not in req.telescopes:
            continue
        r = t.can_do(req.instrument, req.filters)
        if r is None:
            capable.append(t)
        else:
            why.append(f"{t.id}: {r}")
    if not capable:
        detail = "; ".join(why) if why else "no telescope named in 'telescopes' is registered"
        raise UnobservableRequest(req.id, f"no capable telescope ({detail})")
    if req.together > len(capable):
        raise UnobservableRequest(
            req.id, f"wants {req.together} telescopes at once but only {len(capable)} can do it"
        )
    need = _min_altitude(req)
    best = max(
        ((90.0 - abs(t.site.latitude - req.target.dec), t) for t in capable), key=lambda x: x[0]
    )  # culmination altitude
    reachable = [
        t
        for t in capable
        if 90.0 - abs(t.site.latitude - req.target.dec) >= max(need, t.site.min_altitude)
    ]
    if not reachable:
        raise UnobservableRequest(
            req.id,
            f"{req.target.name} (dec {req.target.dec:+.1f}°) culminates at {best[0]:.1f}° at best "
            f"({best[1].site.name}), below the altitude limit {max(need, best[1].site.min_altitude):.1f}°",
        )
    if req.window is not None:
        start, end = req.window
        if req.cadence is not None:
            end = max(end, start + (req.cadence.period_s * (req.cadence.visits - 1)) * u.s)
        if now is not None and end <= now:
            raise UnobservableRequest(req.id, f"its window ended at {end.isot} (now {now.isot})")
        if (end - start).to_value(u.s) < req.duration_s:
            raise UnobservableRequest(
                req.id,
                f"its window ({(end - start).to_value(u.min):.0f} min) is shorter than the "
                f"observation ({req.duration_s / 60:.0f} min)",
            )
        night = req.constraint(AtNightConstraint)
        if night is not None and (end - start).to_value(u.day) < 2:
            from obshub.scheduler.visibility import sun_altitude

            n = max(2, int((end - start).to_value(u.min) / 5) + 1)
            times = start + np.linspace(0, (end - start).to_value(u.s), n) * u.s
            dark = False
            for t in reachable:
                if np.any(sun_altitude(t.site, times) <= night.hi):
                    dark = True
                    break
            if not dark:
                raise UnobservableRequest(
                    req.id,
                    f"its window {start.isot}–{end.isot} has no dark time (sun above "
                    f"{night.hi:g}°) at any capable site",
                )
