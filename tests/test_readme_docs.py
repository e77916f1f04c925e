"""Every page of docs/ runs as printed: each ``python`` block, ``pycon`` session and shell command,
each block in a fresh folder (``tests/docblocks.py`` says how; the README's run in
``tests/test_readme.py``, on the other worker)."""

from __future__ import annotations

from pathlib import Path

import pytest
from docblocks import ROOT, RUN, SHOWN, Block, blocks, params, run

PAGES = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "docs").glob("*.md"))]


def test_every_page_of_docs_is_run():
    assert {"docs/guide.md", "docs/layers.md", "docs/verify.md", "docs/development.md"} <= set(PAGES)
    runnable = [b for page in PAGES for b in blocks(page) if b.lang in RUN]
    assert len(runnable) >= 20
    for page in PAGES:
        for b in blocks(page):
            assert b.lang in (*RUN, *SHOWN), f"{b.id}: a block in a language these tests do not know"


@pytest.mark.parametrize("block", params(PAGES, RUN))
def test_docs_block_runs_as_printed(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: Path):
    run(block, tmp_path, monkeypatch, command)
