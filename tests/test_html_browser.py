"""The pages in a real browser: Debian's Chromium driven by Playwright (the ``browser`` extra,
part of ``test``).  Each page loads with no console error, its math is laid out as math, its
pictures are drawn, hovering or focusing an output entry of a window map highlights exactly
that entry's window, and a Jacobian pattern tells which entry a cell is.  Screenshots go to
the test's tmp dir.

Without Chromium (``/usr/bin/chromium``) or Playwright these tests skip, except under
``CI=true``, where ``.ci/run`` installs both and a missing one is a failure.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tools import require

import symconv
from symconv.html import browser as browser_module
from symconv.html.page import write_page

pytestmark = pytest.mark.browser


def require_browser() -> None:
    """Skip without Chromium or Playwright, but fail under CI=true, where both are installed."""
    missing = []
    if not browser_module.CHROMIUM.exists():
        missing.append("chromium (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (pip install -e '.[test]')")
    require(not missing, "no " + " and no ".join(missing))


def test_a_missing_browser_is_named(monkeypatch):
    """Skipping (or failing under CI=true) is tools.require's, tested with pdflatex; here the
    message names what is missing."""
    monkeypatch.setattr(browser_module, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no chromium \(apt-get install chromium\)"):
        require_browser()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = browser_module.launch(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    return {name: write_page(symconv.load_config(name), folder, stem=name) for name in ("appendix_a", "hand_sign")}


class Opened:
    """A page open in the browser, with every console message and page error it caused."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1100, "height": 900})
        self.messages: list[tuple[str, str]] = []
        self.page.on("console", lambda m: self.messages.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.messages.append(("pageerror", str(e))))
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri(), wait_until="load")

    def errors(self) -> list[tuple[str, str]]:
        return [(t, text) for t, text in self.messages if t in ("error", "warning", "pageerror")]

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)


@pytest.fixture(scope="module", params=["appendix_a", "hand_sign"])
def opened(request: pytest.FixtureRequest, browser: Any, pages: dict[str, Path]) -> Iterator[tuple[str, Opened]]:
    o = Opened(browser, pages[request.param])
    yield request.param, o
    o.page.close()


def test_loads_with_no_console_error_and_fetches_nothing(opened):
    _, o = opened
    assert o.errors() == []
    assert [u for u in o.requests if not u.startswith("file://")] == []
    assert o.js("document.querySelectorAll('figure[data-live]').length") == o.js(
        "document.querySelectorAll('figure.windowmap, figure.pattern').length"
    )


MATH_LAYOUT = """() => {
  const maths = [...document.querySelectorAll('math')];
  const drawn = maths.filter(m => { const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  const fracs = [...document.querySelectorAll('mfrac')].slice(0, 50).map(f => {
    const [num, den] = f.children;
    return num.getBoundingClientRect().bottom <= den.getBoundingClientRect().top + 1;
  });
  const tables = [...document.querySelectorAll('mtable')].slice(0, 20).map(t => {
    const rows = [...t.children];
    return rows.length < 2 || rows[0].getBoundingClientRect().bottom <= rows[1].getBoundingClientRect().top + 1;
  });
  return {count: maths.length, drawn: drawn.length, display: getComputedStyle(maths[0]).display,
          fracs, tables};
}"""


def test_math_is_laid_out_as_math(opened):
    """MathML, not text: every formula has a box, fractions put the numerator above the
    denominator and matrices stack their rows."""
    _, o = opened
    got = o.js(MATH_LAYOUT)
    assert got["count"] > 100 and got["drawn"] == got["count"]
    assert "math" in got["display"]
    assert got["fracs"] and all(got["fracs"])
    assert got["tables"] and all(got["tables"])


PICTURES = """() => [...document.querySelectorAll('figure svg:not(.hidden)')].map(s => {
  const r = s.getBoundingClientRect();
  return [r.width, r.height, s.querySelectorAll('rect').length];
})"""


def test_pictures_are_drawn_as_svg(opened):
    _, o = opened
    drawn = o.js(PICTURES)
    assert len(drawn) >= 3
    assert all(w > 20 and h > 20 and rects > 0 for w, h, rects in drawn)


def _window_cells(config: str, p: int, q: int) -> set[str]:
    """The padded cells (1-based ``r,c``) of output (p, q)'s window in the first window map,
    from the core's geometry."""
    spec = symconv.load_config(config)
    first = symconv.derive(spec)
    layer = first.layers[0] if hasattr(first, "layers") else first
    rows, cols = layer.geometry.cells
    return {f"{r + 1},{c + 1}" for r in rows[p] for c in cols[q]}


HIGHLIGHTED = """(fig) => [...fig.querySelectorAll('.highlight')].map(e => e.getAttribute('data-cell')).sort()"""


@pytest.mark.parametrize(("config", "entry", "p", "q"), [("appendix_a", "z_32", 2, 1), ("appendix_a", "z_41", 3, 0)])
def test_hover_highlights_the_window(config, entry, p, q, browser, pages, tmp_path):
    o = Opened(browser, pages[config])
    fig = o.page.locator("figure.windowmap").first
    fig.scroll_into_view_if_needed()
    o.page.locator(f'[data-entry="{entry}"]').first.hover()
    cells = o.js(HIGHLIGHTED, fig.element_handle())
    assert set(cells) == _window_cells(config, p, q) and len(cells) == 4
    assert entry in fig.locator(".readout").text_content()
    fig.screenshot(path=str(tmp_path / f"{config}-{entry}.png"))
    assert (tmp_path / f"{config}-{entry}.png").stat().st_size > 1000
    o.page.close()


def test_hover_and_focus_on_the_large_network(browser, pages, tmp_path):
    o = Opened(browser, pages["hand_sign"])
    fig = o.page.locator("figure.windowmap").first
    fig.scroll_into_view_if_needed()
    o.page.locator('[data-entry="z_10,12"]').first.hover()
    assert set(o.js(HIGHLIGHTED, fig.element_handle())) == _window_cells("hand_sign", 9, 11)
    # the keyboard: focus the entry and move down by one with the arrow key
    o.page.mouse.move(0, 0)
    o.page.locator('[data-entry="z_10,12"]').first.focus()
    o.page.keyboard.press("ArrowDown")
    assert o.js("document.activeElement.getAttribute('data-entry')") == "z_11,12"
    assert set(o.js(HIGHLIGHTED, fig.element_handle())) == _window_cells("hand_sign", 10, 11)
    fig.screenshot(path=str(tmp_path / "hand_sign-map.png"))
    o.page.screenshot(path=str(tmp_path / "hand_sign.png"))
    assert o.errors() == []
    o.page.close()


def test_leaving_the_map_shows_the_worked_entry_again(browser, pages):
    o = Opened(browser, pages["appendix_a"])
    fig = o.page.locator("figure.windowmap").first
    fig.scroll_into_view_if_needed()
    worked = _window_cells("appendix_a", 2, 1)
    assert set(o.js(HIGHLIGHTED, fig.element_handle())) == worked  # before any hover
    o.page.locator('[data-entry="z_11"]').first.hover()
    assert set(o.js(HIGHLIGHTED, fig.element_handle())) == _window_cells("appendix_a", 0, 0)
    o.page.mouse.move(0, 0)
    assert set(o.js(HIGHLIGHTED, fig.element_handle())) == worked
    o.page.close()


def test_a_pattern_cell_tells_which_entry_it_is(browser, pages, tmp_path):
    o = Opened(browser, pages["appendix_a"])
    d = symconv.derive(symconv.load_config("appendix_a"))
    jac = d.jacobian("K", j=0, i=0)
    fig = o.page.locator("figure.pattern").first
    fig.scroll_into_view_if_needed()
    box = fig.locator("svg").first.bounding_box()
    rows, cols = jac.shape
    for r, c in [(3, 2), (0, 3), (11, 0), (5, 1)]:
        o.page.mouse.move(box["x"] + (c + 0.5) * box["width"] / cols, box["y"] + (r + 0.5) * box["height"] / rows)
        value = str(jac[r, c]).replace("{", "").replace("}", "")
        assert fig.locator(".where").text_content() == f"row {r + 1}, column {c + 1}: {value}"
        assert fig.get_attribute("data-cell") == f"{r + 1},{c + 1}"
    fig.screenshot(path=str(tmp_path / "pattern.png"))
    o.page.close()


def test_a_block_cell_tells_its_rows_columns_and_nonzeros(browser, pages):
    o = Opened(browser, pages["hand_sign"])
    blocks = o.js("[...document.querySelectorAll('figure.pattern')].map(f => JSON.parse(f.dataset.pattern).block)")
    fig = o.page.locator("figure.pattern").nth(next(k for k, b in enumerate(blocks) if b != [1, 1]))
    fig.scroll_into_view_if_needed()
    data = o.js("(f) => JSON.parse(f.getAttribute('data-pattern'))", fig.element_handle())
    box = fig.locator("svg").first.bounding_box()
    gr, gc = data["grid"]
    counts = np.array(data["counts"]).reshape(gr, gc)
    r, c = np.argwhere(counts > 0)[len(np.argwhere(counts > 0)) // 2]
    o.page.mouse.move(box["x"] + (c + 0.5) * box["width"] / gc, box["y"] + (r + 0.5) * box["height"] / gr)
    br, bc = data["block"]
    text = fig.locator(".where").text_content()
    assert text.startswith(f"rows {r * br + 1}\u2013") and f"columns {c * bc + 1}\u2013" in text
    assert f": {counts[r, c]} nonzero" in text
    o.page.close()
