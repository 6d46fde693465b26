"""What every panel shares: running device coroutines from callbacks and showing the outcome."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import ipywidgets as w

log = logging.getLogger(__name__)

_COLOURS = {"info": "#555", "ok": "#1b7f3b", "error": "#b3261e"}


class Panel:
    """Base of the control panels: a widget tree, a message line and a task runner.

    Attributes
    ----------
    widget
        The panel's root widget (what a notebook displays).
    message
        One line saying what the panel last did, or what went wrong.
    """

    title = "panel"

    def __init__(self) -> None:
        self.message = w.HTML(layout=w.Layout(min_height="1.6em"))
        self.widget: w.Widget = w.VBox()
        self._buttons: list[w.Button] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refresher: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    # -- display -----------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def say(self, text: str, level: str = "info") -> None:
        """Show one line in the panel (``level``: info, ok or error)."""
        colour = _COLOURS.get(level, _COLOURS["info"])
        self.message.value = f'<span style="color:{colour}">{html.escape(text)}</span>'
        if level == "error":
            self.last_error = text

    def button(
        self, description: str, handler: Callable[[], Awaitable[Any]], **kw: Any
    ) -> w.Button:
        """A button whose click runs ``handler()`` as a task (see :meth:`run`)."""
        b = w.Button(description=description, **kw)
        b.on_click(lambda _b: self.run(description, handler))
        self._buttons.append(b)
        return b

    # -- running device calls ----------------------------------------------------------------
    def run(self, label: str, handler: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        """Run ``handler()`` on the kernel's loop and report its outcome in the panel.

        Returns the task, so that code (and tests) can await it. Errors never escape: a
        callback's exception would otherwise vanish into the kernel log.
        """

        async def runner() -> Any:
            self.say(f"{label}…")
            try:
                result = await handler()
            except asyncio.CancelledError:
                self.say(f"{label}: cancelled", "error")
                raise
            except Exception as exc:  # shown to the user, who can act on it
                log.debug("%s failed", label, exc_info=True)
                self.say(f"{label}: {describe(exc)}", "error")
                return None
            self.say(f"{label}: done" if result is None else f"{label}: {result}", "ok")
            try:
                await self.refresh()
            except Exception as exc:
                self.say(f"refresh: {describe(exc)}", "error")
            return result

        task = asyncio.ensure_future(runner())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_idle(self) -> None:
        """Wait until every action started from the panel is over."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def refresh(self) -> None:
        """Read the devices and update the readouts (panels override)."""

    def start_auto_refresh(self, interval: float = 2.0) -> asyncio.Task[None]:
        """Refresh the readouts every ``interval`` seconds until :meth:`stop_auto_refresh`."""
        if interval <= 0:
            raise ValueError(f"{self.title}: refresh interval must be positive, got {interval}")
        self.stop_auto_refresh()

        async def loop() -> None:
            while True:
                try:
                    await self.refresh()
                except Exception as exc:
                    self.say(f"refresh: {describe(exc)}", "error")
                await asyncio.sleep(interval)

        self._refresher = asyncio.ensure_future(loop())
        return self._refresher

    def stop_auto_refresh(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            self._refresher = None


def describe(exc: BaseException) -> str:
    """A one-line account of an error for the message line."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    return text


def readout(label: str, width: str = "9em") -> w.HTML:
    """A labelled read-only value."""
    return w.HTML(description=label, value="–", style={"description_width": width})
