"""Shared look of the dashboards: one stylesheet, small HTML helpers."""

from __future__ import annotations

import html
from typing import Any

CSS = """
<style>
.obshub-dash { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2433; }
.obshub-dash h2 { margin: 0.2em 0 0.4em 0; font-weight: 600; }
.obshub-cards { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.obshub-card { border: 1px solid #d5dae3; border-radius: 8px; padding: 8px 12px; min-width: 200px;
  background: #fbfcfe; box-shadow: 0 1px 2px rgba(0,0,0,.05); }
.obshub-card h4 { margin: 0 0 6px 0; font-size: 0.95em; color: #44506a; text-transform: uppercase;
  letter-spacing: .04em; }
.obshub-card table { border-collapse: collapse; font-size: 0.92em; }
.obshub-card td { padding: 1px 8px 1px 0; vertical-align: top; }
.obshub-card td.k { color: #6b7488; }
.obshub-down { border-color: #e3a8a3; background: #fff6f5; }
.obshub-badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600;
  color: white; font-size: 0.9em; }
.obshub-ok { background: #1b7f3b; } .obshub-bad { background: #b3261e; }
.obshub-idle { background: #6b7488; } .obshub-warn { background: #c27c0e; }
.obshub-table { border-collapse: collapse; font-size: 0.9em; }
.obshub-table th { text-align: left; border-bottom: 2px solid #d5dae3; padding: 3px 10px 3px 0; }
.obshub-table td { border-bottom: 1px solid #eef0f4; padding: 3px 10px 3px 0; }
.obshub-muted { color: #6b7488; }
</style>
"""


def esc(v: Any) -> str:
    return html.escape("–" if v is None else str(v))


def badge(text: str, level: str, key: str | None = None) -> str:
    """A coloured pill; ``level`` is ok, bad, warn or idle."""
    attr = f' data-key="{html.escape(key)}"' if key else ""
    return f'<span class="obshub-badge obshub-{level}"{attr}>{esc(text)}</span>'


def value(v: Any, key: str) -> str:
    """A value with a ``data-key`` so tests and scripts can find it."""
    return f'<span data-key="{html.escape(key)}">{esc(v)}</span>'


def table(headers: list[str], rows: list[list[str]], key: str) -> str:
    """An HTML table whose cells are already HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="obshub-table" data-key="{key}"><tr>{head}</tr>{body}</table>'
