"""Synchronised acquisition: several cameras on one mount, several mounts on one target.

- :class:`MountCoordinator` — mount events negotiated with every camera on the mount
  (the executor's ``mount_motion`` hook); frames that would be spoiled are not started, those
  spoiled anyway are flagged.
- Policies :class:`Strict`, :class:`Loose`, :class:`Planned`, :class:`Independent`.
- :func:`plan_trains` — exposure trains with the dithers in the gaps, as a printable,
  plottable :class:`Plan`.
- :class:`MultiMount` — several mounts starting together, start skew measured and recorded.
- :class:`Accounting` — per night, block and camera: exposing, waiting for sync, spoiled.
- :class:`StationSync` — all of it behind the night executor's motion hook.
"""

from obshub.sync.accounting import Accounting
from obshub.sync.coordinator import MountCoordinator, SyncedFrame, SyncError
from obshub.sync.hook import StationSync
from obshub.sync.log import SyncLog
from obshub.sync.multimount import ClockCheck, MultiMount, check_clock
from obshub.sync.planner import CameraSpec, Plan, limit_efficiency, plan_trains, strict_plan
from obshub.sync.policies import Independent, Loose, Planned, Policy, Strict, policy_from

__all__ = [
    "Accounting",
    "CameraSpec",
    "ClockCheck",
    "Independent",
    "Loose",
    "MountCoordinator",
    "MultiMount",
    "Plan",
    "Planned",
    "Policy",
    "StationSync",
    "Strict",
    "SyncError",
    "SyncLog",
    "SyncedFrame",
    "check_clock",
    "limit_efficiency",
    "plan_trains",
    "policy_from",
    "strict_plan",
]
