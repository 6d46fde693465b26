"""Finding Alpaca servers on the local network and listing their devices.

Servers are found with alpyca's implementation of the Alpaca discovery protocol (UDP
broadcast on port 32227). Devices are listed with the Alpaca management API; a server that
does not implement it (``alpaca-simulators`` does not) is probed device type by device type.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from dataclasses import asdict, dataclass

import httpx

DISCOVERY_PORT = 32227
DEVICE_TYPES = (
    "telescope",
    "camera",
    "filterwheel",
    "focuser",
    "rotator",
    "dome",
    "covercalibrator",
    "switch",
    "observingconditions",
    "safetymonitor",
)


@dataclass
class FoundDevice:
    device_type: str
    number: int
    name: str
    unique_id: str | None = None


@dataclass
class FoundServer:
    address: str
    devices: list[FoundDevice]
    source: str  # "management" or "probe"
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def find_servers(timeout: float = 2.0, queries: int = 2) -> list[str]:
    """``host:port`` of every server that answers a discovery broadcast (alpyca's search)."""
    from alpaca.discovery import search_ipv4

    return sorted(set(search_ipv4(numquery=queries, timeout=timeout)))


async def list_devices(address: str, timeout: float = 3.0, max_number: int = 8) -> FoundServer:
    """Ask a server which devices it serves."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        try:
            r = await client.get(f"http://{address}/management/v1/configureddevices")
            if r.status_code == 200:
                body = r.json()
                devices = [
                    FoundDevice(
                        d["DeviceType"].lower(),
                        int(d["DeviceNumber"]),
                        d.get("DeviceName", ""),
                        d.get("UniqueID"),
                    )
                    for d in body.get("Value") or []
                ]
                return FoundServer(address, devices, "management")
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass
        try:
            devices = await _probe(client, address, max_number)
        except httpx.HTTPError as exc:
            return FoundServer(address, [], "probe", error=f"{type(exc).__name__}: {exc}")
        return FoundServer(address, devices, "probe")


async def _probe(client: httpx.AsyncClient, address: str, max_number: int) -> list[FoundDevice]:
    async def one(dtype: str, n: int) -> FoundDevice | None:
        r = await client.get(f"http://{address}/api/v1/{dtype}/{n}/name", params={"ClientID": 1})
        if r.status_code != 200:
            return None
        try:
            body = r.json()
        except ValueError:
            return None
        if body.get("ErrorNumber"):
            return None
        return FoundDevice(dtype, n, str(body.get("Value", "")))

    found: list[FoundDevice] = []
    for dtype in DEVICE_TYPES:
        # Device numbers are dense from 0: stop at the first gap.
        for n in range(max_number):
            dev = await one(dtype, n)
            if dev is None:
                break
            found.append(dev)
    return found


async def discover(timeout: float = 2.0) -> list[FoundServer]:
    """Find servers and list each one's devices."""
    addresses = await asyncio.to_thread(find_servers, timeout)
    return list(await asyncio.gather(*(list_devices(a) for a in addresses)))


class DiscoveryResponder:
    """Answers Alpaca discovery queries for a server that does not (``alpaca-simulators``).

    Parameters
    ----------
    alpaca_port
        The HTTP port to announce.
    host
        Where to listen; ``0.0.0.0`` receives broadcasts. Run it only inside a network you own
        (a private network namespace in tests).
    """

    def __init__(self, alpaca_port: int, host: str = "0.0.0.0", port: int = DISCOVERY_PORT):
        self.alpaca_port = alpaca_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="alpaca-discovery")

    def _serve(self) -> None:
        answer = json.dumps({"AlpacaPort": self.alpaca_port}).encode()
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(1024)
            except TimeoutError:
                continue
            except OSError:
                return
            if data.strip().lower().startswith(b"alpacadiscovery1"):
                self.sock.sendto(answer, peer)

    def start(self) -> DiscoveryResponder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
