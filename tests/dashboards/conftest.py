"""Fixtures for dashboard tests: plan and report files, a real Voila server, a real browser."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from obshub.dashboards.samples import SAMPLE_REPORT, sample_plan

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def dashboard_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("dash")
    plan, report, frames = d / "plan.json", d / "report.json", d / "frames"
    plan.write_text(json.dumps(sample_plan()))
    report.write_text(json.dumps(SAMPLE_REPORT))
    frames.mkdir()
    return {"plan": plan, "report": report, "frames": frames}


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's chromium through Playwright's sync API.

    Module-scoped: the sync API holds this thread's event loop while it runs, so async tests in
    other modules must not share a session with it.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()
