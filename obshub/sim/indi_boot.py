"""Run ``indiserver`` and, once it listens, send it the simulators' start-up settings.

Some INDI simulators (the CCD's sensor and sky settings) do not read their configuration file
on their own; a client has to send them. This runs as ``python indi_boot.py BOOT_XML PORT --
indiserver ...``: it starts indiserver as its child (in its own process group, so stopping
the group stops everything), sends the ``new*Vector`` elements of BOOT_XML once the port
answers, and then waits for indiserver to exit.

Only the standard library is used, so it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time


def send_when_up(port: int, payload: bytes, timeout: float = 20.0) -> bool:
    """Connect to 127.0.0.1:port and send ``payload`` once its devices are defined.

    indiserver routes a request by device name, which it learns from the drivers' definitions:
    a request sent before the driver has defined its device would be dropped.
    """
    devices = set(re.findall(rb'device="([^"]+)"', payload))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"<getProperties version='1.7'/>\n")
                seen = b""
                while not all(b'device="' + d + b'"' in seen for d in devices):
                    if time.monotonic() > deadline:
                        return False
                    chunk = s.recv(65536)
                    if not chunk:
                        raise OSError("closed")
                    seen = seen[-100_000:] + chunk
                s.sendall(payload)
                time.sleep(0.2)
                return True
        except OSError:
            time.sleep(0.1)
    return False


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: indi_boot.py BOOT_XML PORT -- indiserver ...", file=sys.stderr)
        return 2
    boot, port, cmd = argv[0], int(argv[1]), argv[3:]
    child = subprocess.Popen(cmd)

    def forward(signum: int, frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    with open(boot, "rb") as f:
        payload = f.read()
    if payload.strip() and not send_when_up(port, payload):
        print(f"indi_boot: could not reach indiserver on port {port}", file=sys.stderr)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
