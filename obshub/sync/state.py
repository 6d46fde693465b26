"""What a coordinator knows at any instant: open exposures and requested mount motions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Lease:
    """A camera's claim that its shutter is open (or about to be) until ``expected_end``.

    While any lease on a mount is open, no negotiated motion of that mount may start.
    """

    camera: str
    duration: float
    start: float
    expected_end: float
    spoiled: bool = False
    reason: str = ""
    closed: float | None = None
    #: An urgent motion asked for this frame to be aborted (or never started).
    aborted: bool = False


@dataclass(eq=False)
class MotionRequest:
    """A mount event asked for: a dither, offset, focus, meridian flip or slew.

    Attributes
    ----------
    kind
        ``"dither"``, ``"offset"``, ``"focus"``, ``"flip"``, ``"slew"``, … (free text, logged).
    requested
        When it was asked for.
    eta
        When it is expected to run, if known (an announced dither after the leader's frame).
        Exposures that would not end by then are not started under the loose and planned
        policies.
    cameras
        The cameras it would spoil; every camera on the mount by default.
    urgent
        Runs at once without waiting for exposures (a safety park); open frames are spoiled.
    """

    kind: str
    requested: float
    cameras: frozenset[str]
    requested_by: str | None = None
    eta: float | None = None
    urgent: bool = False
    start: float | None = None
    end: float | None = None
    spoiled: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.start is not None and self.end is None
