"""A refresh loop for dashboards: update widgets in place, no page reloads."""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Awaitable, Callable

import ipywidgets as w

log = logging.getLogger(__name__)


class LiveLoop:
    """Call ``update()`` every ``interval`` seconds on the kernel's loop.

    A failed update is shown in ``banner`` and retried; the loop ends by itself after
    ``max_age`` seconds so that a forgotten page does not poll devices forever (Voila also
    shuts the kernel down when the page closes, and culls idle kernels).
    """

    def __init__(
        self,
        update: Callable[[], Awaitable[None]],
        interval: float = 3.0,
        max_age: float = 12 * 3600,
    ):
        if interval <= 0:
            raise ValueError(f"refresh interval must be positive, got {interval}")
        self.update = update
        self.interval = interval
        self.max_age = max_age
        self.banner = w.HTML()
        self.updates = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> LiveLoop:
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())
        return self

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def once(self) -> None:
        try:
            await self.update()
        except Exception as exc:  # the page stays up and says why it is stale
            log.debug("dashboard update failed", exc_info=True)
            self.banner.value = (
                '<div class="obshub-stale" style="color:#b3261e">'
                f"Update failed ({html.escape(str(exc) or type(exc).__name__)}); retrying.</div>"
            )
        else:
            self.updates += 1
            self.banner.value = ""

    async def _run(self) -> None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < self.max_age:
            await self.once()
            await asyncio.sleep(self.interval)
        self.banner.value = "<div>Live updates stopped after a long time: reload the page.</div>"
