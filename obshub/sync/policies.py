"""Who may start an exposure while a mount event is pending.

A policy answers one question for the coordinator: camera C wants to expose for D seconds now;
may it start, and for how long? Whatever the policy, a negotiated motion never starts while a
shutter on its mount is open (except an urgent one, which spoils and flags the open frames):
policies differ only in how much exposing they allow before the motion.

- :class:`Strict` — once a motion is asked for, no camera starts a frame: every camera reaches
  the barrier (finishes the frame it has), then the mount moves (N.I.N.A.'s sync, APT strict).
- :class:`Loose` — the mount moves when the leader is ready; a camera may still start a frame
  if it will end before the motion's expected time (APT loose).
- :class:`Planned` — like loose, and a frame may be shortened, within its allowed bounds, to
  end before the motion: the planner (:mod:`obshub.sync.planner`) lays the trains out so
  that this is rarely needed.
- :class:`Independent` — no negotiation at all: the cameras ignore each other (the baseline
  that spoils frames); the coordinator still flags every frame a motion overlapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from obshub.sync.state import Lease, MotionRequest


class Policy:
    """Base class: admission of exposures against pending motions.

    Parameters
    ----------
    margin
        Seconds kept free between a frame's expected end and a motion's expected start
        (shutter close latency, the coordinator's polling).
    """

    name: ClassVar[str] = "policy"
    #: Whether a motion waits for open exposures; only the baseline does not.
    motion_waits: ClassVar[bool] = True

    def __init__(self, margin: float = 0.25):
        if margin < 0:
            raise ValueError(f"{type(self).__name__}: margin must be >= 0, got {margin}")
        self.margin = margin

    def admit(
        self,
        camera: str,
        t: float,
        duration: float,
        pending: Iterable[MotionRequest],
        leases: Mapping[str, Lease],
        min_duration: float | None = None,
    ) -> float | None:
        """The exposure time ``camera`` may start with at time ``t``, or ``None`` to wait.

        Parameters
        ----------
        camera
            Who asks.
        t
            Now, on the coordinator's clock.
        duration
            The exposure time wanted, in seconds.
        pending
            Motions asked for and not yet started (running ones always block).
        leases
            Open exposures by camera.
        min_duration
            The shortest exposure acceptable instead, if any.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(margin={self.margin})"


class Strict(Policy):
    """Barrier: nothing starts while any motion affecting the camera is pending."""

    name = "strict"

    def admit(self, camera, t, duration, pending, leases, min_duration=None):
        if any(camera in m.cameras for m in pending):
            return None
        return duration


def _expected_time(m: MotionRequest, camera: str, leases: Mapping[str, Lease]) -> float | None:
    """When a pending motion will run: its announced time, else when the open frames end."""
    if m.eta is not None:
        return m.eta
    ends = [lease.expected_end for c, lease in leases.items() if c != camera and c in m.cameras]
    # A frame of unknown length (taken outside the coordinator) gives no expected time.
    return max(ends) if ends and max(ends) < float("inf") else None


class Loose(Policy):
    """The mount moves when the leader is ready; others start only frames that end in time.

    Parameters
    ----------
    leader
        The camera whose frames set the mount's pace (used by :func:`obshub.sync.trains.run_loose`
        and in reports; admission itself looks at every open frame).
    margin
        See :class:`Policy`.
    """

    name = "loose"
    shrink: ClassVar[bool] = False

    def __init__(self, leader: str | None = None, margin: float = 0.25):
        super().__init__(margin)
        self.leader = leader

    def admit(self, camera, t, duration, pending, leases, min_duration=None):
        allowed = duration
        for m in pending:
            if camera not in m.cameras:
                continue
            eta = _expected_time(m, camera, leases)
            if eta is None:
                # Nothing holds the mount back: it moves as soon as it can.
                return None
            room = eta - self.margin - t
            if room >= allowed:
                continue
            if self.shrink and min_duration is not None and room >= min_duration:
                allowed = room
                continue
            return None
        return allowed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(leader={self.leader!r}, margin={self.margin})"


class Planned(Loose):
    """Loose admission, plus frames shortened within their bounds to end before a motion.

    Parameters
    ----------
    plan
        The :class:`~obshub.sync.planner.Plan` being run, if any (kept for reports).
    """

    name = "planned"
    shrink = True

    def __init__(self, plan: object | None = None, margin: float = 0.25):
        super().__init__(leader=None, margin=margin)
        self.plan = plan

    def __repr__(self) -> str:
        return f"Planned(margin={self.margin})"


class Independent(Policy):
    """No negotiation: the cameras and the mount ignore each other (a baseline)."""

    name = "independent"
    motion_waits = False

    def admit(self, camera, t, duration, pending, leases, min_duration=None):
        return duration


POLICIES: dict[str, type[Policy]] = {p.name: p for p in (Strict, Loose, Planned, Independent)}


def policy_from(spec: str | Policy, **kwargs: object) -> Policy:
    """A policy from its name (``"strict"``, ``"loose"``, ``"planned"``, ``"independent"``).

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    if isinstance(spec, Policy):
        return spec
    try:
        cls = POLICIES[str(spec).lower()]
    except KeyError:
        raise ValueError(
            f"unknown sync policy {spec!r}; known: {', '.join(sorted(POLICIES))}"
        ) from None
    return cls(**kwargs)  # type: ignore[arg-type]
