"""Debian's Chromium as the page tests and ``benchmarks/bench_html.py`` drive it, through
Playwright (the ``browser`` extra).  Playwright's own browser download cannot work on a
machine without the open internet, so the system's ``/usr/bin/chromium`` is launched headless
with everything that would reach the network switched off.  symconv itself never imports this.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: the system's Chromium (``apt-get install chromium``)
CHROMIUM = Path("/usr/bin/chromium")
#: switches for a headless run in a container, with no background network use
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def launch(playwright: Any) -> Any:
    """A Chromium browser from a running ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(ARGS))
