"""``python -m obshub.dashboards.voila_main ARGS``: Voila with obshub's template and clean stops.

- obshub's Voila template (``share/voila/templates/obshub``: the lab template without CDN
  links) is put on ``JUPYTER_PATH`` so ``--VoilaConfiguration.template=obshub`` finds it.
- Voila stops cleanly on SIGTERM only; JupyterHub stops its services with SIGINT first (and a
  process started in the background of a shell may even ignore SIGINT), so SIGINT is turned
  into SIGTERM: a hub then stops in seconds, not after its kill timeouts.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

SHARE = Path(__file__).resolve().parent / "share"


def _sigint_as_sigterm(signum: int, frame: object) -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def main() -> int:
    paths = [str(SHARE), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    signal.signal(signal.SIGINT, _sigint_as_sigterm)
    from voila.app import main as voila

    return voila() or 0


if __name__ == "__main__":
    sys.exit(main())
