"""The night loop: plan each station's requests, save the plan, and follow it with the executor.

:class:`~obshub.night.loop.NightLoop` ties the scheduler (:mod:`obshub.scheduler`), the
executor (:mod:`obshub.executor`) and the service's request queue together; ``obshub night``
runs it, and ``obshub demo`` runs it as a hub-managed service. See docs/night.md.
"""

from obshub.night.loop import NightLoop, StationNight, night_of

__all__ = ["NightLoop", "StationNight", "night_of"]
