"""Where each camera's time went: exposing, waiting for sync, lost to spoiled frames.

The figure observers now count by hand ("14% of my time is overhead for dithering"), read from
a :class:`~obshub.sync.log.SyncLog`, per night, per block and per camera.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from obshub.sync.log import ExposureRecord, SyncLog, WaitRecord, night_of


@dataclass
class Tally:
    """One camera's time in one night and block, in seconds.

    ``other`` is the rest of the camera's span: readout, download, the camera's own overheads
    and time outside any request.
    """

    night: str
    block: str | None
    camera: str
    exposing: float = 0.0
    waiting: float = 0.0
    spoiled: float = 0.0
    frames: int = 0
    spoiled_frames: int = 0
    first: float | None = None
    last: float | None = None

    @property
    def span(self) -> float:
        return 0.0 if self.first is None or self.last is None else self.last - self.first

    @property
    def other(self) -> float:
        return max(0.0, self.span - self.exposing - self.waiting - self.spoiled)

    @property
    def efficiency(self) -> float:
        return self.exposing / self.span if self.span > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("first")
        d.pop("last")
        d.update(span=self.span, other=self.other, efficiency=self.efficiency)
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in d.items()}

    def _touch(self, a: float, b: float) -> None:
        self.first = a if self.first is None else min(self.first, a)
        self.last = b if self.last is None else max(self.last, b)


class Accounting:
    """Per night, block and camera tallies of a sync log.

    Examples
    --------
    >>> acc = Accounting(coord.log)  # doctest: +SKIP
    >>> print(acc)  # doctest: +SKIP
    >>> acc.to_dataframe()  # doctest: +SKIP
    """

    def __init__(self, log: SyncLog):
        self.log = log
        self.tallies = self._tally()

    def _tally(self) -> list[Tally]:
        out: dict[tuple[str, str | None, str], Tally] = {}

        def get(t: float, block: str | None, camera: str) -> Tally:
            key = (night_of(t), block, camera)
            if key not in out:
                out[key] = Tally(*key)
            return out[key]

        for r in self.log.records:
            if isinstance(r, ExposureRecord):
                t = get(r.start, r.block, r.camera)
                t._touch(r.requested, r.end)
                # Counted as the exposure time; the shutter-watch slack is overhead ("other").
                if r.spoiled:
                    t.spoiled += r.duration
                    t.spoiled_frames += 1
                else:
                    t.exposing += r.duration
                    t.frames += 1
            elif isinstance(r, WaitRecord):
                t = get(r.start, r.block, r.camera)
                t._touch(r.start, r.end)
                t.waiting += r.end - r.start
        return sorted(out.values(), key=lambda t: (t.night, t.block or "", t.camera))

    def per_camera(self, block: str | None = None, night: str | None = None) -> dict[str, Tally]:
        """Tallies summed over blocks and nights (or for one), by camera."""
        acc: dict[str, Tally] = {}
        for t in self.tallies:
            if (block is not None and t.block != block) or (night is not None and t.night != night):
                continue
            s = acc.setdefault(t.camera, Tally(night or "*", block, t.camera))
            s.exposing += t.exposing
            s.waiting += t.waiting
            s.spoiled += t.spoiled
            s.frames += t.frames
            s.spoiled_frames += t.spoiled_frames
            if t.first is not None and t.last is not None:
                s._touch(t.first, t.last)
        return acc

    def motions(self) -> dict[str, dict[str, float]]:
        """Mount events by mount and kind: how many, and seconds spent."""
        out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for m in self.log.motions():
            out[m.mount][f"{m.kind}_count"] += 1
            out[m.mount][f"{m.kind}_s"] += m.end - m.start
        return {k: dict(v) for k, v in out.items()}

    def to_dicts(self) -> list[dict[str, Any]]:
        return [t.to_dict() for t in self.tallies]

    def to_dataframe(self) -> Any:
        """The tallies as a pandas DataFrame (pandas is an optional dependency)."""
        import pandas as pd

        return pd.DataFrame(self.to_dicts())

    def __str__(self) -> str:
        if not self.tallies:
            return "no exposures recorded"
        w = max(len("camera"), *(len(t.camera) for t in self.tallies))
        b = max(len("block"), *(len(t.block or "-") for t in self.tallies))
        lines = [
            f"{'night':<10}  {'block':<{b}}  {'camera':<{w}}  exposing  waiting  spoiled"
            "  other   frames  spoiled  efficiency"
        ]
        for t in self.tallies:
            lines.append(
                f"{t.night:<10}  {t.block or '-':<{b}}  {t.camera:<{w}}  {t.exposing:7.1f}s"
                f" {t.waiting:7.1f}s {t.spoiled:7.1f}s {t.other:6.1f}s  {t.frames:6d}"
                f"  {t.spoiled_frames:7d}  {t.efficiency:9.1%}"
            )
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))
