"""Observation blocks: what to observe and how, from YAML, validated with clear errors.

A block names a target, the frames to take (per filter: exposure, count, binning, gain), a
dither pattern and cadence, a focus policy, calibration frames and constraints. Every problem
in a file is reported at once with its key path (``exposures[1].count: …``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import astropy.units as u
import yaml
from astropy.coordinates import Angle, SkyCoord
from astropy.time import Time
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from obshub.errors import ConfigError
from obshub.station.load import _pydantic_problems
from obshub.station.model import Seconds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _angle(value: Any, unit: u.UnitBase) -> float:
    """Degrees from a number (degrees) or a sexagesimal / unit string ("16h41m41s")."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(
            Angle(value, unit=unit if ":" in str(value) or " " in str(value) else None).deg
        )
    except (u.UnitsError, ValueError, TypeError) as exc:
        raise ValueError(f"not an angle: {value!r} (degrees, or e.g. '16h41m41s')") from exc


class Target(_Strict):
    """Where to point."""

    name: str = Field(min_length=1)
    ra: float | str = Field(description="degrees, or '16h41m41.2s' / '16:41:41.2' (hours)")
    dec: float | str = Field(description="degrees, or '+36d27m35s' / '+36:27:35'")
    pm_ra_cosdec: float = Field(0.0, description="mas/yr")
    pm_dec: float = Field(0.0, description="mas/yr")
    epoch: str = Field("J2000", description="epoch of the coordinates (with proper motion)")

    @field_validator("ra")
    @classmethod
    def _ra(cls, v: float | str) -> float:
        deg = _angle(v, u.hourangle)
        if not 0 <= deg < 360:
            raise ValueError(f"right ascension must be in [0, 360) degrees, got {deg:g}")
        return deg

    @field_validator("dec")
    @classmethod
    def _dec(cls, v: float | str) -> float:
        deg = _angle(v, u.deg)
        if not -90 <= deg <= 90:
            raise ValueError(f"declination must be in [-90, 90] degrees, got {deg:g}")
        return deg

    @field_validator("epoch")
    @classmethod
    def _epoch(cls, v: str) -> str:
        try:
            Time(v)
        except ValueError as exc:
            raise ValueError(f"not an epoch: {v!r} (e.g. J2000 or J2016.0)") from exc
        return v

    def coord(self, when: Time | None = None) -> SkyCoord:
        """ICRS position at ``when`` (now by default), proper motion applied."""
        c = SkyCoord(ra=float(self.ra) * u.deg, dec=float(self.dec) * u.deg, frame="icrs")
        if not (self.pm_ra_cosdec or self.pm_dec):
            return c
        c = SkyCoord(
            ra=c.ra,
            dec=c.dec,
            pm_ra_cosdec=self.pm_ra_cosdec * u.mas / u.yr,
            pm_dec=self.pm_dec * u.mas / u.yr,
            obstime=Time(self.epoch),
            frame="icrs",
        )
        moved = c.apply_space_motion(new_obstime=when or Time.now())
        return SkyCoord(ra=moved.ra, dec=moved.dec, frame="icrs")


Binning = Annotated[int, Field(ge=1, le=16)]


class Exposure(_Strict):
    """One line of the exposure plan."""

    filter: str | None = None
    exposure: Annotated[float, Field(ge=0)] = Field(description="seconds")
    count: int = Field(ge=1, le=100_000)
    binning: Binning = 1
    gain: int | None = None

    @field_validator("exposure", mode="before")
    @classmethod
    def _secs(cls, v: Any) -> Any:
        from obshub.station.model import _seconds

        return _seconds(v)


class DitherPattern(enum.StrEnum):
    none = "none"
    random = "random"
    spiral = "spiral"


class Dither(_Strict):
    pattern: DitherPattern = DitherPattern.none
    every: int = Field(1, ge=1, description="dither after this many light frames")
    amount: float = Field(10.0, gt=0, le=3600, description="arcsec")
    settle: Annotated[float, Field(ge=0)] = Field(2.0, description="seconds after a dither")


class FocusPolicy(enum.StrEnum):
    never = "never"
    start = "start"  # at the start of every run (after a slew to the target)
    auto = "auto"  # at start, and again on a temperature change or a filter change


class Focus(_Strict):
    policy: FocusPolicy = FocusPolicy.never
    temperature_delta: float = Field(1.0, gt=0, description="deg C change that triggers a refocus")
    refocus_on_filter_change: bool = Field(
        False, description="refocus on a filter change; otherwise apply the wheel's offsets"
    )
    range: int = Field(400, gt=0, description="steps either side of the current position")
    steps: int = Field(7, ge=3, le=31, description="positions sampled")
    exposure: Seconds = 1.0
    filter: str | None = Field(None, description="filter to focus in; the frame's by default")
    model: str = Field("hyperbola", pattern="^(hyperbola|parabola)$")
    measure: str = Field("hfr", pattern="^(hfr|fwhm)$")
    binning: Binning = 1


class DarkSet(_Strict):
    exposure: Seconds
    count: int = Field(ge=1, le=10_000)
    binning: Binning = 1


class FlatSet(_Strict):
    filter: str | None = None
    count: int = Field(ge=1, le=10_000)
    exposure: Seconds = 1.0
    brightness: int = Field(100, ge=1)
    binning: Binning = 1


class Calibration(_Strict):
    bias: int = Field(0, ge=0, le=10_000)
    bias_binning: Binning = 1
    darks: list[DarkSet] = Field(default_factory=list)
    flats: list[FlatSet] = Field(default_factory=list)


class Constraints(_Strict):
    min_altitude: float | None = Field(
        None, ge=-5, lt=90, description="degrees; station's if unset"
    )
    max_airmass: float | None = Field(None, ge=1)
    sun_max_altitude: float = Field(-12.0, ge=-90, le=90, description="degrees (90 = ignore)")
    not_before: datetime | None = None
    not_after: datetime | None = None

    @model_validator(mode="after")
    def _window(self) -> Constraints:
        if self.not_before and self.not_after and self.not_after <= self.not_before:
            raise ValueError("not_after must be later than not_before")
        return self


class OnUnsafe(enum.StrEnum):
    finish = "finish"  # let the frame under way end, then park and close
    abort = "abort"  # abort it at once (the frame is lost and taken again later)


class DomeControl(enum.StrEnum):
    executor = "executor"  # we open and close it
    host = "host"  # the site opens and closes it; closed means "wait", not "unsafe"


class ExecutorSettings(_Strict):
    """How the executor behaves; defaults suit a real night."""

    safe_period: Seconds = Field(600.0, description="safe this long before reopening")
    on_unsafe: OnUnsafe = OnUnsafe.finish
    poll_interval: Seconds = Field(2.0, description="how often safety is read")
    dome: DomeControl = DomeControl.executor
    max_cloudcover: float | None = Field(None, description="percent; unsafe above")
    max_windspeed: float | None = Field(None, description="m/s; unsafe above")
    max_humidity: float | None = Field(None, description="percent; unsafe above")
    rain_is_unsafe: bool = True
    slew_settle: Annotated[float, Field(ge=0)] = Field(2.0, description="seconds after a slew")
    retries: int = Field(4, ge=0, le=20, description="retries of a failed device call")
    backoff: Seconds = Field(1.0, description="first retry delay, doubled each time")
    max_backoff: Seconds = 30.0
    device_down_after: Seconds = Field(
        120.0, description="a device down this long ends the block with the reason"
    )
    frame_attempts: int = Field(5, ge=1, description="attempts at one frame before giving up")
    power_on: list[str] | None = Field(
        None,
        description="'switch.outlet' names to turn on before observing; every outlet the "
        "station file names by default",
    )
    power_off: list[str] = Field(
        default_factory=list, description="'switch.outlet' names to turn off at the end"
    )
    park_at_end: bool = True
    close_at_end: bool = True
    order: str = Field("grouped", pattern="^(grouped|cycled)$", description="light frame order")


class InstrumentPlan(_Strict):
    """One instrument of a block with several (``instruments:``), and what it takes.

    Given as a bare name (``main.imaging2``) it takes the block's ``exposures``.
    """

    instrument: str = Field(min_length=1, description="'mount.port' (or the camera's name)")
    exposures: list[Exposure] | None = Field(
        None, description="this instrument's light frames; the block's 'exposures' if unset"
    )
    dither_every: int | None = Field(
        None, ge=1, description="at most this many of its frames between dithers"
    )
    readout: Seconds | None = Field(None, description="readout + download, for the planner")
    min_exposure: Seconds | None = Field(None, description="planned: shortest exposure allowed")
    max_exposure: Seconds | None = Field(None, description="planned: longest exposure allowed")

    @model_validator(mode="before")
    @classmethod
    def _name_only(cls, v: Any) -> Any:
        return {"instrument": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _bounds(self) -> InstrumentPlan:
        lo, hi = self.min_exposure, self.max_exposure
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_exposure {lo:g} s is longer than max_exposure {hi:g} s")
        return self


class SyncPolicyName(enum.StrEnum):
    strict = "strict"
    loose = "loose"
    planned = "planned"


class SyncSettings(_Strict):
    """How the cameras of a block share their mounts (see docs/sync.md)."""

    policy: SyncPolicyName = SyncPolicyName.strict
    leader: str | None = Field(
        None, description="loose: the instrument whose cadence dithers; first on each mount"
    )
    margin: Annotated[float, Field(ge=0)] = Field(
        0.25, description="seconds kept free before a motion"
    )
    readout: Seconds = Field(1.0, description="planned: readout estimate of every instrument")
    dither_seconds: Seconds | None = Field(
        None, description="planned: a dither's duration (motion + settle); settle + 1 s"
    )
    exposure_range: tuple[float, float] = Field(
        (0.5, 1.5), description="planned: allowed factors on each exposure time"
    )
    urgent: list[str] = Field(
        default_factory=list, description="motion kinds that do not wait for open frames"
    )
    lead: Annotated[float, Field(gt=0, le=10)] = Field(
        0.3, description="several mounts: seconds between agreeing and the common start"
    )

    @field_validator("exposure_range")
    @classmethod
    def _range(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 < v[0] <= 1 <= v[1]:
            raise ValueError(f"exposure_range must be [low <= 1, high >= 1] with low > 0, got {v}")
        return v


class Block(_Strict):
    """An observation block."""

    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.+\-]+$")
    instrument: str | None = Field(None, description="'mount.port'; the first imaging one if unset")
    instruments: list[InstrumentPlan] | None = Field(
        None, min_length=1, description="several cameras (one mount, or mounts that cooperate)"
    )
    sync: SyncSettings | None = Field(None, description="how the instruments synchronise")
    target: Target | None = None
    exposures: list[Exposure] = Field(default_factory=list)
    dither: Dither = Dither()
    focus: Focus = Focus()
    calibration: Calibration = Calibration()
    constraints: Constraints = Constraints()
    executor: ExecutorSettings = ExecutorSettings()
    priority: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> Block:
        lights = bool(self.exposures) or any(i.exposures for i in self.instruments or [])
        if lights and self.target is None:
            raise ValueError("light frames ('exposures') need a 'target'")
        if self.instruments is not None:
            if self.instrument is not None:
                raise ValueError("give 'instrument' or 'instruments', not both")
            names = [i.instrument for i in self.instruments]
            dups = sorted({n for n in names if names.count(n) > 1})
            if dups:
                raise ValueError(f"instruments named twice: {', '.join(dups)}")
            if self.calibration.flats and len(names) > 1:
                raise ValueError(
                    "flats in a block with several instruments share one panel: take them "
                    "in a block per instrument"
                )
            if self.sync and self.sync.leader and self.sync.leader not in names:
                raise ValueError(
                    f"sync.leader {self.sync.leader!r} is not one of the instruments "
                    f"({', '.join(names)})"
                )
        cal = self.calibration
        if not lights and not (cal.bias or cal.darks or cal.flats):
            raise ValueError("nothing to take: give 'exposures' or 'calibration' frames")
        return self

    @property
    def synchronised(self) -> bool:
        """Whether the block runs through the sync layer (several instruments or ``sync:``)."""
        return self.instruments is not None or self.sync is not None


@dataclass(frozen=True)
class PlannedFrame:
    """One frame of a block's plan; ``key`` is stable across restarts and edits."""

    key: str
    imagetyp: str
    filter: str | None
    exposure: float
    binning: int
    gain: int | None
    light: bool
    brightness: int | None = None

    @property
    def is_sky(self) -> bool:
        return self.imagetyp == "Light Frame"


def plan_frames(block: Block) -> list[PlannedFrame]:
    """Every frame the block asks for, in the order they are taken.

    Keys count frames of identical settings, so two plan lines asking for the same thing
    add up rather than collide, and reordering lines keeps frames already taken.
    """
    counters: dict[str, int] = {}

    def key(sig: str) -> str:
        n = counters.get(sig, 0) + 1
        counters[sig] = n
        return f"{sig}#{n:04d}"

    lights: list[list[PlannedFrame]] = []
    for e in block.exposures:
        sig = f"light:{e.filter or '-'}:{e.exposure:g}s:b{e.binning}:g{e.gain}"
        lights.append(
            [
                PlannedFrame(key(sig), "Light Frame", e.filter, e.exposure, e.binning, e.gain, True)
                for _ in range(e.count)
            ]
        )
    frames: list[PlannedFrame] = []
    if block.executor.order == "cycled":
        i = 0
        while any(i < len(g) for g in lights):
            frames += [g[i] for g in lights if i < len(g)]
            i += 1
    else:
        frames = [f for g in lights for f in g]
    cal = block.calibration
    for f in cal.flats:
        sig = f"flat:{f.filter or '-'}:{f.exposure:g}s:b{f.binning}"
        frames += [
            PlannedFrame(
                key(sig), "Flat Field", f.filter, f.exposure, f.binning, None, True, f.brightness
            )
            for _ in range(f.count)
        ]
    frames += [
        PlannedFrame(
            key(f"bias:b{cal.bias_binning}"), "Bias Frame", None, 0.0, cal.bias_binning, None, False
        )
        for _ in range(cal.bias)
    ]
    for d in cal.darks:
        sig = f"dark:{d.exposure:g}s:b{d.binning}"
        frames += [
            PlannedFrame(key(sig), "Dark Frame", None, d.exposure, d.binning, None, False)
            for _ in range(d.count)
        ]
    return frames


def parse_block(data: Any, source: str = "<block>") -> Block:
    """Validate a block given as a dict.

    Raises
    ------
    ConfigError
        With every problem and its key path.
    """
    if not isinstance(data, dict):
        raise ConfigError(source, [("", f"a block is a mapping, got {type(data).__name__}")])
    try:
        return Block.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, _pydantic_problems(exc)) from None


def load_block(path: str | Path) -> Block:
    """Read and validate a block file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(str(path), [("", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise ConfigError(str(path), [(where, f"not valid YAML: {exc}")]) from None
    return parse_block(data, str(path))
