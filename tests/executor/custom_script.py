"""An instrument script a station file names by import path (``custom_script:WarmingScript``).

It reports a temperature that rises after the first focus run, as a night cooling would
(sign aside), so the executor's temperature-triggered refocus can be seen on a simulator
whose sensors do not drift.
"""

from __future__ import annotations

from obshub.executor.scripts import InstrumentScript


class WarmingScript(InstrumentScript):
    calls = 0

    async def temperature(self) -> float | None:
        type(self).calls += 1
        return 10.0 if type(self).calls <= 2 else 12.5
