"""One INDI server connection, shared by every device on that server.

PyIndi runs every callback on one listener thread, shares its property objects with that
thread, has no timeouts, and stops calling back for good once a callback raises. So:

* each callback body is wrapped: nothing escapes into PyIndi, errors are logged and counted;
* callbacks copy the property into an immutable :class:`~obshub.devices.indi.props.Snapshot`
  and wake the event loop with ``call_soon_threadsafe``; the loop only ever reads snapshots;
* requests are private vectors built from the element names (never a live property set and
  then sent), after the property has left Busy;
* every wait has a timeout and fails fast when the server goes away;
* a dead server is noticed (``serverDisconnected``) and reconnected on the next use, with
  ``disconnectServer()`` first, and the devices we had connected are connected again.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import PyIndi

from obshub.devices.indi.props import (
    PropState,
    PropType,
    Snapshot,
    number_vector,
    snapshot,
    switch_vector,
    text_vector,
)
from obshub.errors import DeviceDisconnected, DeviceError, DeviceTimeout, NotImplementedByDevice

log = logging.getLogger(__name__)

T = TypeVar("T")
Watcher = Callable[[Snapshot], None]


def guarded(method: Callable[..., None]) -> Callable[..., None]:
    """Run a PyIndi callback so that no exception can ever reach PyIndi."""

    @functools.wraps(method)
    def wrapper(self: _Listener, *args: Any) -> None:
        try:
            method(self, *args)
        except BaseException:  # noqa: BLE001 - an escaping exception kills every later callback
            try:
                self.conn._callback_failed(method.__name__)
            except BaseException:  # noqa: BLE001, S110 - e.g. logging torn down at exit
                pass

    return wrapper


# Every PyIndi client ever made, kept alive until the interpreter exits. A client destroyed on
# its own socket thread (the last reference dropped, or a garbage collection run, inside one of
# its callbacks) joins that thread from itself and aborts the process ("Resource deadlock
# avoided"); kept here, clients are only ever destroyed by the main thread at exit, after
# _disconnect_all has stopped their threads.
_LISTENERS: list[_Listener] = []


@atexit.register
def _disconnect_all() -> None:
    for client in _LISTENERS:
        with contextlib.suppress(Exception):
            if client.isServerConnected():
                client.disconnectServer()


def _disable_nagle(port: int) -> int:
    """Set TCP_NODELAY on this process's TCP connections to ``port``; return how many.

    PyIndi writes each request in several small writes without TCP_NODELAY, so Nagle's
    algorithm holds the tail until the server's delayed ACK: every request then takes about
    40 ms more (measured: a set-and-acknowledge round trip drops from 44 ms to about 1.3 ms).
    PyIndi does not expose its socket; find it among our file descriptors (Linux ``/proc``).
    A socket option set through a duplicate descriptor applies to the shared socket.
    """
    done = 0
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return 0
    for name in fds:
        try:
            dup = os.dup(int(name))
        except (OSError, ValueError):
            continue
        try:
            s = socket.socket(fileno=dup)
        except OSError:
            os.close(dup)
            continue
        try:
            if (
                s.family in (socket.AF_INET, socket.AF_INET6)
                and s.type == socket.SOCK_STREAM
                and s.getpeername()[1] == port
            ):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done += 1
        except OSError:
            pass
        finally:
            s.close()
    return done


class _Listener(PyIndi.BaseClient):
    """The PyIndi client; its methods run on PyIndi's listener thread."""

    def __init__(self, conn: IndiConnection):
        super().__init__()
        self.conn = conn

    @guarded
    def newDevice(self, device: Any) -> None:
        self.conn._notify()

    @guarded
    def removeDevice(self, device: Any) -> None:
        self.conn._forget_device(str(device.getDeviceName()))

    @guarded
    def newProperty(self, prop: Any) -> None:
        self.conn._store(prop)

    @guarded
    def updateProperty(self, prop: Any) -> None:
        self.conn._store(prop)

    @guarded
    def removeProperty(self, prop: Any) -> None:
        self.conn._forget(str(prop.getDeviceName()), str(prop.getName()))

    @guarded
    def newMessage(self, device: Any, message_id: int) -> None:
        self.conn._message(str(device.getDeviceName()), str(device.messageQueue(message_id)))

    @guarded
    def serverConnected(self) -> None:
        self.conn._server_state(True)

    @guarded
    def serverDisconnected(self, code: int) -> None:
        self.conn._server_state(False)


class IndiConnection:
    """A client of one INDI server, bridged to asyncio.

    Parameters
    ----------
    host, port
        The server's address.
    timeout
        Bound on connecting to the server, in seconds.

    Attributes
    ----------
    callback_errors
        How many listener callbacks (or watchers) raised; each was logged and swallowed.
    reconnects
        How many times the server connection was re-established after being lost.
    watchers
        Functions called on the listener thread with every new snapshot (for tests and
        tracing). They must be quick; one that raises is logged, never fatal.
    """

    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.callback_errors = 0
        self.reconnects = 0
        self.watchers: list[Watcher] = []
        self._client: _Listener | None = None
        self._props: dict[tuple[str, str], Snapshot] = {}
        self._generations: collections.Counter[tuple[str, str]] = collections.Counter()
        self._messages: dict[str, collections.deque[str]] = {}
        self._connected = False
        self._ever_connected = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._thread_lock = threading.Lock()
        self._wanted: set[str] = set()
        self._blob_devices: set[str] = set()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._connected

    # ---- listener-thread side -------------------------------------------------------------

    def _callback_failed(self, where: str) -> None:
        self.callback_errors += 1
        with contextlib.suppress(Exception):
            log.exception("INDI %s: callback %s raised (swallowed)", self.address, where)

    def _store(self, prop: Any) -> None:
        key = (str(prop.getDeviceName()), str(prop.getName()))
        with self._thread_lock:
            self._generations[key] += 1
            gen = self._generations[key]
        snap = snapshot(prop, gen)
        self._props[key] = snap
        for w in list(self.watchers):
            try:
                w(snap)
            except Exception:  # noqa: BLE001 - a watcher must not stop the others
                self._callback_failed(f"watcher {getattr(w, '__name__', w)!r}")
        self._notify()

    def _forget(self, device: str, name: str) -> None:
        self._props.pop((device, name), None)
        self._notify()

    def _forget_device(self, device: str) -> None:
        for key in [k for k in self._props if k[0] == device]:
            self._props.pop(key, None)
        self._notify()

    def _message(self, device: str, text: str) -> None:
        self._messages.setdefault(device, collections.deque(maxlen=20)).append(text)

    def _server_state(self, up: bool) -> None:
        if not up:
            self._connected = False
            # Everything cached describes a server that is gone.
            self._props.clear()
        self._notify()

    def _notify(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._wake)

    # ---- event-loop side ------------------------------------------------------------------

    def _wake(self) -> None:
        ev = self._event
        self._event = asyncio.Event()
        if ev is not None:
            ev.set()

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._event = asyncio.Event()
            self._lock = asyncio.Lock()

    def last_message(self, device: str) -> str | None:
        q = self._messages.get(device)
        return q[-1] if q else None

    def get(self, device: str, name: str) -> Snapshot | None:
        """The latest snapshot of a property, ``None`` when the server has not defined it."""
        return self._props.get((device, name))

    def properties(self, device: str) -> list[str]:
        return [n for d, n in list(self._props) if d == device]

    def _connect_blocking(self) -> bool:
        # Runs in a worker thread: connectServer blocks for up to the connection timeout.
        if self._client is not None and self._ever_connected:
            # PyIndi cannot connect again until the dead connection has been torn down.
            with contextlib.suppress(Exception):
                self._client.disconnectServer()
        if self._client is None:
            self._client = _Listener(self)
            _LISTENERS.append(self._client)
        self._client.setServer(self.host, self.port)
        secs = max(self.timeout, 0.1)
        self._client.setConnectionTimeout(int(secs), int((secs % 1) * 1_000_000))
        ok = bool(self._client.connectServer())
        if ok:
            self._connected = True
            _disable_nagle(self.port)
        return ok

    async def ensure(self, who: str, operation: str) -> None:
        """Connect to the server if not connected (again), bounded by the timeout."""
        self._bind()
        if self._connected:
            return
        assert self._lock is not None
        async with self._lock:
            if self._connected:
                return
            try:
                ok = await asyncio.wait_for(
                    asyncio.to_thread(self._connect_blocking), self.timeout + 5
                )
            except TimeoutError:
                ok = False
            if not ok:
                raise DeviceDisconnected(
                    who, operation, f"INDI server {self.address} not reachable"
                )
            if self._ever_connected:
                self.reconnects += 1
                log.warning("INDI %s: reconnected", self.address)
            self._ever_connected = True
            await self._restore(who)

    async def _restore(self, who: str) -> None:
        # A restarted server's drivers start disconnected and forget BLOB modes.
        for device in sorted(self._wanted):
            try:
                await self.connect_device(device, who, self.timeout)
            except DeviceError as exc:
                log.warning("INDI %s: could not reconnect %s: %s", self.address, device, exc)

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float, who: str, operation: str, what: str
    ) -> T:
        """Wait until ``predicate()`` returns something truthy, and return it.

        Raises
        ------
        DeviceTimeout
            Not within ``timeout`` seconds.
        DeviceDisconnected
            The server went away meanwhile.
        """
        self._bind()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ev = self._event
            assert ev is not None
            if not self._connected:
                raise DeviceDisconnected(who, operation, f"INDI server {self.address} went away")
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise DeviceTimeout(who, operation, f"{what}: not within {timeout:g} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ev.wait(), remaining)

    async def prop(
        self, device: str, name: str, who: str, operation: str, timeout: float
    ) -> Snapshot:
        """The property's latest snapshot, waiting for the driver to define it.

        A connected device that has not defined the property within a second does not have it:
        that is :class:`~obshub.errors.NotImplementedByDevice`, not a timeout.
        """
        await self.ensure(who, operation)
        snap = self.get(device, name)
        if snap is not None:
            return snap
        conn = self.get(device, "CONNECTION")
        limit = min(timeout, 1.0) if conn is not None and conn.values.get("CONNECT") else timeout
        try:
            return await self.wait_for(
                lambda: self.get(device, name),
                limit,
                who,
                operation,
                f"INDI property {device}.{name}",
            )
        except DeviceTimeout:
            if limit < timeout:
                raise NotImplementedByDevice(
                    who, operation, f"INDI device {device!r} has no property {name}"
                ) from None
            raise

    def _raise_alert(self, snap: Snapshot, who: str, operation: str) -> None:
        msg = self.last_message(snap.device) or "no message from the driver"
        raise DeviceError(who, operation, f"{snap.device}.{snap.name} went to Alert: {msg}")

    async def send(
        self,
        device: str,
        name: str,
        values: dict[str, Any],
        who: str,
        operation: str,
        timeout: float,
        *,
        wait: bool = True,
        done: Callable[[Snapshot], bool] | None = None,
        idle_first: bool = True,
        ack: bool = False,
    ) -> Snapshot:
        """Send new values for a property and, by default, wait for the driver to finish.

        Parameters
        ----------
        values
            Element name → new value. Number vectors are completed with the current values
            of the other elements; a one-of-many switch turns every other switch off.
        wait
            Wait for an update after the request that is not Busy and satisfies ``done``
            (by default: shows the values sent). An Alert raises.
        done
            What "finished" means for this request.
        ack
            Return at the first update after the request, Busy or not (a setpoint taken on).
        idle_first
            First wait (bounded by ``timeout``) for the property to leave Busy, so a request
            never races one still in progress.
        """
        snap = await self.prop(device, name, who, operation, timeout)
        if idle_first and snap.busy:
            snap = await self.wait_for(
                lambda: (s := self.get(device, name)) is not None and not s.busy and s,
                timeout,
                who,
                operation,
                f"{device}.{name} to leave Busy",
            )
        unknown = sorted(set(values) - set(snap.values))
        if unknown:
            raise DeviceError(who, operation, f"{device}.{name} has no element(s) {unknown}")
        if snap.type is PropType.NUMBER:
            full = {k: float(values.get(k, v)) for k, v in snap.values.items()}
            vector = number_vector(device, name, full)
            expected = {k: float(v) for k, v in values.items()}

            def shows(s: Snapshot) -> bool:
                return all(
                    abs(s.values.get(k, float("nan")) - v) <= 1e-6 * max(1.0, abs(v))
                    for k, v in expected.items()
                )

        elif snap.type is PropType.SWITCH:
            if snap.rule in (0, 1) and any(values.values()):
                # One-of-many and at-most-one: the switch asked for, and no other, is on.
                full_s = {k: bool(values.get(k, False)) for k in snap.values}
            else:
                full_s = {k: bool(values.get(k, v)) for k, v in snap.values.items()}
            vector = switch_vector(device, name, full_s)

            def shows(s: Snapshot) -> bool:
                return all(s.values.get(k) == bool(v) for k, v in values.items())

        elif snap.type is PropType.TEXT:
            full_t = {k: str(values.get(k, v)) for k, v in snap.values.items()}
            vector = text_vector(device, name, full_t)

            def shows(s: Snapshot) -> bool:
                return all(s.values.get(k) == str(v) for k, v in values.items())

        else:
            raise DeviceError(
                who, operation, f"{device}.{name} is a {snap.type.name} property: cannot send"
            )
        check = done or shows
        gen0 = snap.generation
        client = self._client
        if client is None or not self._connected:
            raise DeviceDisconnected(who, operation, f"INDI server {self.address} went away")
        client.sendNewProperty(vector)
        if not wait:
            return snap

        def finished() -> Snapshot | None:
            s = self.get(device, name)
            if s is None or s.generation <= gen0:
                return None
            if s.state is PropState.ALERT:
                self._raise_alert(s, who, operation)
            if ack:
                return s
            return s if not s.busy and check(s) else None

        return await self.wait_for(finished, timeout, who, operation, f"{device}.{name} to finish")

    async def connect_device(self, device: str, who: str, timeout: float) -> None:
        """Ask the driver to connect ``device`` and wait until it says it is connected."""
        self._wanted.add(device)
        snap = await self.prop(device, "CONNECTION", who, "connect", timeout)
        if not (snap.values.get("CONNECT") and snap.state is PropState.OK):
            await self.send(device, "CONNECTION", {"CONNECT": True}, who, "connect", timeout)
        if device in self._blob_devices:
            self._set_blob_mode(device)

    async def disconnect_device(self, device: str, who: str, timeout: float) -> None:
        self._wanted.discard(device)
        await self.send(device, "CONNECTION", {"DISCONNECT": True}, who, "disconnect", timeout)

    def enable_blobs(self, device: str) -> None:
        """Have the server send ``device``'s BLOBs to us (as well as everything else)."""
        if device in self._blob_devices:
            return  # already asked; a reconnect asks again (connect_device)
        self._blob_devices.add(device)
        if self._connected:
            self._set_blob_mode(device)

    def _set_blob_mode(self, device: str) -> None:
        if self._client is not None:
            self._client.setBLOBMode(PyIndi.B_ALSO, device, None)

    async def aclose(self) -> None:
        """Close the connection (devices stay as they are)."""
        client, self._client = self._client, None
        self._wanted.clear()
        self._connected = False
        if client is not None and self._ever_connected:
            await asyncio.to_thread(client.disconnectServer)
        self._ever_connected = False
        self._props.clear()
