"""Where obshub keeps its run-time state (simulator configs, pid files, logs, catalogs)."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """``$OBSHUB_HOME``, else ``~/.obshub``; created on first use."""
    root = Path(os.environ.get("OBSHUB_HOME") or Path.home() / ".obshub")
    root.mkdir(parents=True, exist_ok=True)
    return root
