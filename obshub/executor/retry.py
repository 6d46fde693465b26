"""Retrying device calls with exponential back-off."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from obshub.errors import DeviceDisconnected, DeviceTimeout

T = TypeVar("T")
log = logging.getLogger("obshub.executor")

#: Failures worth another try: the link, not the request, was the problem.
TRANSIENT: tuple[type[BaseException], ...] = (DeviceDisconnected, DeviceTimeout, OSError)


async def retry(
    op: Callable[[], Awaitable[T]],
    what: str,
    *,
    retries: int = 4,
    backoff: float = 1.0,
    max_backoff: float = 30.0,
    transient: tuple[type[BaseException], ...] = TRANSIENT,
) -> T:
    """Call ``op`` until it succeeds, at most ``retries`` more times on a transient failure.

    The Alpaca transport reconnects (and re-asserts ``Connected``) on its own when a server
    comes back, so a retry after a back-off is also the reconnect.

    Raises
    ------
    Exception
        The last failure, once the retries are spent; non-transient failures at once.
    """
    delay = backoff
    for attempt in range(retries + 1):
        try:
            return await op()
        except transient as exc:
            if attempt == retries:
                raise
            log.warning(
                "%s failed (%s); retry %d/%d in %.1f s", what, exc, attempt + 1, retries, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_backoff)
    raise AssertionError("unreachable")
