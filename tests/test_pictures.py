"""Pictures (symconv.pictures, the documents' LaTeX pictures, symconv.plot) and what keeps
large documents cheap: symbols made one at a time, sparse entries found by binary search."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from seed_reference import correlate, vec
from test_latex_compile import require_pdflatex

import symconv as sc
from symconv import limits, ops, pictures
from symconv.binding import derive_layer
from symconv.latex import pictures as latex_pictures
from symconv.latex.compile import run_pdflatex
from symconv.latex.document import document
from symconv.symbols import Tensor

SMALL = sc.Conv2D(input=(5, 4), kernel=(2, 3), padding=(1, 0, 2, 1), stride=(2, 1), dilation=(1, 2))
STEM = sc.Conv2D(input=(224, 224), kernel=(7, 7), padding=(3, 3), stride=(2, 2), in_channels=3, out_channels=64)


def _stem():
    """The stem layer's derivation: past the default symbolic budget (its full Jacobians
    hold 237 M nonzeros), so the budget is raised for it, as a user would."""
    with limits.raised(max_symbols=10**6, max_nonzeros=3 * 10**8):
        return sc.derive(STEM)


def _sympy_pattern(wrt: str) -> np.ndarray:
    """Where SymPy's own Jacobian of an independently written forward pass is nonzero."""
    d = sc.derive(SMALL)
    z = correlate(d.input.matrix(0), d.kernel.matrix(0, 0), SMALL.padding, SMALL.stride, SMALL.dilation)
    x = d.kernel.matrix(0, 0) if wrt == "K" else d.input.matrix(0)
    jac = vec(z).jacobian(vec(sp.Matrix(x)))
    return np.array([[jac[r, c] != 0 for c in range(jac.cols)] for r in range(jac.rows)])


@pytest.mark.parametrize("wrt", ["K", "A"])
def test_pattern_is_where_sympys_jacobian_is_nonzero(wrt):
    expected = _sympy_pattern(wrt)
    pat = pictures.pattern(sc.derive(SMALL).jacobian(wrt), max_cells=100)
    assert pat.exact and pat.shape == expected.shape
    assert np.array_equal(pat.counts, expected.astype(int))
    assert set(np.unique(pat.levels())) <= {0, 4}


@pytest.mark.parametrize("cells", [1, 2, 3, 5])
def test_block_pattern_counts_the_nonzeros_of_each_block(cells):
    expected = _sympy_pattern("A")
    pat = pictures.pattern(sc.derive(SMALL).jacobian("A"), max_cells=cells)
    br, bc = pat.block
    assert pat.counts.shape[0] <= cells and pat.counts.shape[1] <= cells
    for r in range(pat.counts.shape[0]):
        for c in range(pat.counts.shape[1]):
            assert pat.counts[r, c] == expected[r * br : (r + 1) * br, c * bc : (c + 1) * bc].sum()
    assert pat.nnz == expected.sum()
    levels = pat.levels()
    assert ((levels > 0) == (pat.counts > 0)).all() and levels.max() == 4
    # the density divides by the entries a cell really covers (the last ones may be cut short)
    for r in range(pat.counts.shape[0]):
        for c in range(pat.counts.shape[1]):
            block = expected[r * br : (r + 1) * br, c * bc : (c + 1) * bc]
            assert pat.density()[r, c] == pytest.approx(block.mean())


def test_a_full_jacobian_is_drawn_in_one_shade_whatever_its_blocks():
    d = sc.derive(sc.Conv2D(input=(9, 9), kernel=(3, 3), padding=(1, 1)))
    full = sc.derive(sc.Dense(in_features=7, out_features=5)).jacobian("B")
    for cells in (2, 3, 4):
        assert set(np.unique(pictures.pattern(full, max_cells=cells).levels())) == {4}
    assert pictures.pattern(d.jacobian("K"), max_cells=4).levels().min() >= 1


def test_pattern_marks_the_cell_of_an_entry_and_refuses_no_cells():
    jac = sc.derive(SMALL).jacobian("A")
    pat = pictures.pattern(jac, max_cells=3, mark=(7, 10))
    assert pat.mark == (7 // pat.block[0], 10 // pat.block[1])
    with pytest.raises(ValueError, match="max_cells"):
        pictures.pattern(jac, max_cells=0)


def test_window_map_is_rep1_over_the_padded_input():
    d = sc.derive(SMALL)
    padded = ops.padded(d.input.matrix(0), SMALL.geometry)
    hz, wz = SMALL.geometry.output
    for p in range(hz):
        for q in range(wz):
            wm = pictures.window_map(SMALL.geometry, p, q)
            grid = wm.grid()
            assert grid.shape == padded.shape
            # input where the padded matrix holds a symbol, padding where it holds the zero fill
            symbols = np.array([[padded[r, c] != 0 for c in range(padded.cols)] for r in range(padded.rows)])
            assert ((grid % 2 == 1) == symbols).all()
            window = d.window(p, q)
            cells = [(r, c) for r in range(grid.shape[0]) for c in range(grid.shape[1]) if grid[r, c] >= 2]
            assert len(cells) == window.rows * window.cols
            # the seed's formula: kernel entry (r, s) meets padded (p h_s + r d_h, q w_s + s d_w)
            for r in range(window.rows):
                for s in range(window.cols):
                    cell = (p * 2 + r, q * 1 + s * 2)
                    assert cell in cells and padded[cell] == window[r, s]
    with pytest.raises(IndexError):
        pictures.window_map(SMALL.geometry, hz, 0)


def test_runs_are_one_box_per_run_of_equal_nonzero_cells():
    assert pictures.runs([0, 2, 2, 1, 0, 0, 3]) == [(1, 2, 2), (3, 1, 1), (6, 1, 3)]
    assert pictures.runs([]) == [] and pictures.runs([0, 0]) == []


def _inside(pic: latex_pictures.Picture) -> bool:
    return all(0 <= b.x and 0 <= b.y and b.x + b.w <= pic.width and b.y + b.h <= pic.height for b in pic.boxes)


def test_latex_pictures_of_a_stem_layer_are_bounded_by_the_picture_not_the_layer():
    d = _stem()
    pic = latex_pictures.jacobian_picture(d.jacobian("A"), "J", mark=(6000, 25000))
    assert pic.width <= pictures.MAX_CELLS and pic.height <= pictures.MAX_CELLS
    assert len(pic.boxes) <= pic.width * pic.height and _inside(pic)
    win = latex_pictures.window_picture(STEM.geometry, 55, 55, "z")
    assert (win.width, win.height) == (230, 230) and _inside(win)
    assert len(win.boxes) <= 4 + 7  # four padding bands and one run per window row
    # the window's cells (blue) cover exactly the 7 x 7 window
    blue = sum(b.w * b.h for b in win.boxes if b.color.startswith("blue"))
    assert blue == 49


def test_exact_picture_has_one_black_cell_per_nonzero():
    d = sc.derive(sc.load_config("appendix_a"))
    pic = latex_pictures.jacobian_picture(d.jacobian("K"), "J")
    expected = np.array(d.jacobian("K").to_matrix().applyfunc(lambda e: int(e != 0)).tolist())
    drawn = np.zeros_like(expected)
    for b in pic.boxes:
        drawn[pic.height - b.y - 1, b.x : b.x + b.w] += 1
    assert np.array_equal(drawn, expected)


def test_documents_show_the_pictures_and_load_xcolor_only_then():
    conv = document(sc.load_config("appendix_a"))
    assert conv.count("\\begin{picture}") == 3 and "\\usepackage{xcolor}" in conv
    pool = document(sc.load_config("appendix_b"))
    assert pool.count("\\begin{picture}") == 2
    relu = document(sc.ReLU(input=(2, 2), channels=1))
    assert "\\begin{picture}" not in relu and "xcolor" not in relu


def test_a_stem_layer_document_names_only_the_entries_it_shows():
    d = derive_layer(STEM)  # a fresh derivation (derive shares one between callers)
    text = document(d)
    assert len(text) < 120_000
    for tensor in (d.input, d.kernel, d.output):
        assert "flat" not in tensor.__dict__  # no tensor was built whole
    made = len(d.input._made) + len(d.kernel._made) + len(d.output._made)
    assert made < 10_000  # of 150 528 + 9 408 + 802 816 entries


@pytest.mark.parametrize("kind", [sc.MaxPool2D, sc.AvgPool2D])
def test_a_large_pooling_document_names_only_the_entries_it_shows(kind):
    d = derive_layer(kind(input=(112, 112), window=(3, 3), stride=(2, 2), padding=(1, 1), channels=64))
    document(d)
    assert "flat" not in d.input.__dict__ and "flat" not in d.output.__dict__
    assert len(d.input._made) + len(d.output._made) < 10_000  # of 802 816 + 200 704 entries


# -- lazy symbols and sparse look-ups --------------------------------------------------------------


def test_symbols_made_one_at_a_time_equal_the_whole_tensor():
    lazy = Tensor("K", "k", (2, 3, 4, 11), layer=2, channel_index=True)
    whole = Tensor("K", "k", (2, 3, 4, 11), layer=2, channel_index=True)
    for k in (0, 5, 44, 131, 263):
        assert lazy.symbol(k) == whole.flat[k]
    assert list(lazy.view(1, 2)) == whole.vec(1, 2)
    assert lazy.view(1, 2)[-1] == whole.vec(1, 2)[-1] and lazy.view(0, 1)[3:6] == whole.vec(0, 1)[3:6]
    grid = lazy.grid(1, 0)
    assert all(grid[r, c] == whole.matrix(1, 0)[r, c] for r in range(4) for c in range(11))
    assert lazy.entry(1, 2, 3, 10) == whole.entry(1, 2, 3, 10)
    with pytest.raises(IndexError):
        lazy.symbol(264)
    with pytest.raises(IndexError):
        grid[4, 0]


def test_sparse_lookup_finds_every_entry():
    for wrt in ("K", "A"):
        jac = sc.derive(SMALL).jacobian(wrt)
        dense = jac.to_matrix()
        assert all(jac[r, c] == dense[r, c] for r in range(jac.shape[0]) for c in range(jac.shape[1]))


# -- matplotlib ------------------------------------------------------------------------------------


@pytest.fixture
def plt():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot

    yield matplotlib.pyplot
    matplotlib.pyplot.close("all")


def _drawn(ax) -> None:
    ax.figure.savefig(io.BytesIO(), format="png")  # every title's mathtext is parsed here


def test_plot_jacobian_shows_the_pattern(plt):
    from symconv import plot

    d = sc.derive(SMALL)
    ax = plot.jacobian(d, "K")
    _drawn(ax)
    assert np.array_equal(ax.images[0].get_array() > 0, _sympy_pattern("K"))
    big = plot.jacobian(_stem(), "A", max_cells=64)
    _drawn(big)
    assert max(big.images[0].get_array().shape) <= 64


def test_plot_windows_and_mask_and_chain(plt):
    from symconv import plot

    d = sc.derive(SMALL)
    ax = plot.windows(d, 1, 2)
    _drawn(ax)
    rgb = ax.images[0].get_array()
    codes = pictures.window_map(SMALL.geometry, 1, 2).grid()
    assert rgb.shape[:2] == codes.shape
    assert len({tuple(rgb[r, c]) for r, c in zip(*np.nonzero(codes == 0), strict=True)}) == 1  # one padding shade
    p = sc.derive(sc.load_config("appendix_b"))
    values = np.random.default_rng(1).standard_normal((3, 4))
    m = plot.mask(p, values)
    _drawn(m)
    assert (m.images[0].get_array() > 0).sum() == p.mask(values).nnz
    fig = plot.chain(sc.derive(sc.load_config("seed_cnn")))
    fig.savefig(io.BytesIO(), format="png")
    assert sum(1 for a in fig.axes if a.images) == len(sc.derive(sc.load_config("seed_cnn")).layers)


def test_plot_refuses_layers_without_windows_or_masks(plt):
    from symconv import plot

    with pytest.raises(sc.SpecError, match="no windows"):
        plot.windows(sc.derive(sc.ReLU(input=(2, 2), channels=1)))
    with pytest.raises(sc.SpecError, match="no mask"):
        plot.mask(sc.derive(SMALL), np.zeros((5, 4)))
    with pytest.raises(sc.SpecError, match="must pick an output"):
        plot.windows(sc.derive(SMALL), 99, 0)


# -- the documents compile and show them, without matplotlib -------------------------------------------


def test_documents_and_the_package_never_import_matplotlib():
    code = (
        "import sys, symconv, symconv.latex.document, symconv.pictures, symconv.plot\n"
        "symconv.latex.document.document(symconv.load_config('appendix_a'))\n"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _pages(pdf: bytes, tmp_path: Path) -> list[np.ndarray]:
    """The pages as RGB arrays, through pdftoppm's PPM output (no image library needed)."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm is not on PATH but CI=true")
        pytest.skip("pdftoppm is not on PATH (install poppler-utils)")
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)
    pages = []
    for path in sorted(tmp_path.glob("page-*.ppm")):
        data = path.read_bytes()
        magic, width, height, top, pixels = data.split(maxsplit=4)
        assert magic == b"P6" and top == b"255"
        pages.append(np.frombuffer(pixels, dtype=np.uint8).reshape(int(height), int(width), 3))
    return pages


@pytest.mark.slow(reason="compiles two documents, the ResNet stem's among them, and reads their pages: 3-6 s")
@pytest.mark.parametrize("spec", [sc.load_config("appendix_a"), STEM], ids=["appendix_a", "stem"])
def test_compiled_documents_show_the_window_in_blue(spec, tmp_path):
    require_pdflatex()
    pdf, _ = run_pdflatex(document(spec).encode())
    blue = sum(int(((page[..., 2].astype(int) - page[..., 0]) > 60).sum()) for page in _pages(pdf, tmp_path))
    assert blue > 0
