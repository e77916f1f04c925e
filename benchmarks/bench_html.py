"""What a derivation's HTML page costs, and how long Chromium takes to load it (not a test).

    python benchmarks/bench_html.py [--configs appendix_a,hand_sign] [--reps 5] [--screenshot docs/html_appendix_a.png]

For each built-in config: the median time to build the page (``symconv.html.page.page``, from
a fresh ``derive``), its size in bytes, and the median time Chromium takes to load it from a
file until its ``load`` event has fired and the page's script has made the pictures live
(Playwright driving Debian's chromium, the ``browser`` extra).  The issue's goals are absolute
(the hand-sign page at most 5 MB, loading in under 10 s), so the times are reported as they
are, medians of ``--reps`` runs; tests never assert times.  ``--screenshot`` saves the
README's picture of the Appendix A page: its window map with the window of z_32 lit.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import symconv
from symconv.html.browser import launch
from symconv.html.page import page

LIVE = "document.querySelectorAll('figure[data-live]').length"


def build(config: str, reps: int) -> tuple[str, float]:
    times, text = [], ""
    for _ in range(reps):
        start = time.perf_counter()
        text = page(symconv.derive(symconv.load_config(config)))
        times.append(time.perf_counter() - start)
    return text, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="appendix_a,appendix_b,seed_cnn,hand_sign")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = launch(p)
        print("| page | build (median) | size | load in Chromium (median, min-max) | live pictures |")
        print("| --- | --- | --- | --- | --- |")
        for config in args.configs.split(","):
            text, built = build(config, max(1, args.reps // 2))
            path = Path(tmp) / f"{config}.html"
            path.write_text(text, encoding="utf-8")
            loads, live = [], 0
            for _ in range(args.reps):
                tab = browser.new_page()
                start = time.perf_counter()
                tab.goto(path.as_uri(), wait_until="load")
                live = tab.evaluate(LIVE)
                loads.append(time.perf_counter() - start)
                tab.close()
            size = len(text.encode())
            print(
                f"| {config} | {built:.2f} s | {size / 1e6:.2f} MB | {statistics.median(loads):.2f} s "
                f"({min(loads):.2f}-{max(loads):.2f}) | {live} |"
            )
            if args.screenshot is not None and config == "appendix_a":
                tab = browser.new_page(viewport={"width": 1000, "height": 760}, device_scale_factor=1)
                tab.goto(path.as_uri(), wait_until="load")
                fig = tab.locator("figure.windowmap").first
                fig.scroll_into_view_if_needed()
                tab.locator('[data-entry="z_32"]').first.hover()
                box = fig.bounding_box()
                assert box is not None
                top = max(0.0, box["y"] - 330)
                tab.screenshot(path=str(args.screenshot), clip={"x": 0, "y": top, "width": 1000, "height": 760})
                tab.close()
        browser.close()


if __name__ == "__main__":
    main()
