"""The HTML pages (``symconv html``, ``_repr_html_``) without a browser: every kind gets a page
from its LaTeX document with no code of its own, the page says what the document says, holds
nothing from outside, and its pictures carry the derivation's own window map and triplets.
The browser tests are ``tests/test_html_browser.py``."""

from __future__ import annotations

import html as htmllib
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import symconv
from symconv.cli import main
from symconv.errors import SpecError
from symconv.html import mathml, svg, tex
from symconv.html.page import page, write_page
from symconv.latex.document import document
from symconv.latex.pictures import LONG_SIDE, Box
from symconv.pictures import MAX_CELLS
from symconv.registry import KINDS

#: one small layer of every registered kind: a new kind needs a row here, and nothing else,
#: to get its page (the page is built from its LaTeX document)
EXAMPLES = {
    "conv1d": symconv.Conv1D(input=7, kernel=3, stride=2, padding=(1, 2), padding_mode="reflect"),
    "conv2d": symconv.Conv2D(input=(3, 4), kernel=(2, 2), padding=(1, 1), stride=(1, 2)),
    "conv3d": symconv.Conv3D(input=(2, 3, 2), kernel=(2, 2, 1), padding=(1, 0, 0, 1, 0, 0), stride=(1, 2, 1)),
    "conv_transpose1d": symconv.ConvTranspose1D(input=3, kernel=3, stride=2, padding=1, output_padding=1),
    "conv_transpose3d": symconv.ConvTranspose3D(input=(2, 1, 2), kernel=2, stride=(1, 2, 2), out_channels=2),
    "conv_transpose2d": symconv.ConvTranspose2D(input=(3, 3), kernel=2, stride=2, padding=1, output_padding=1),
    "pad1d": symconv.Pad1D(input=5, padding=(2, -1), mode="reflect"),
    "pad2d": symconv.Pad2D(input=(3, 3), padding=(1, 0, 2, 1), mode="circular", channels=2),
    "pad3d": symconv.Pad3D(input=(2, 2, 3), padding=1, value=0.5),
    "maxpool2d": symconv.MaxPool2D(input=(3, 4), window=(3, 2), padding=(1, 1), stride=(1, 2)),
    "avgpool2d": symconv.AvgPool2D(input=(4, 4), window=(2, 2), padding=(0, 1), stride=(2, 2)),
    "adaptive_avgpool2d": symconv.AdaptiveAvgPool2D(input=(5, 7), output=(2, 3)),
    "adaptive_maxpool2d": symconv.AdaptiveMaxPool2D(input=(5, 7), output=(2, 3), channels=2),
    "maxpool1d": symconv.MaxPool1D(input=9, window=3, stride=2, padding=1),
    "maxpool3d": symconv.MaxPool3D(input=(2, 3, 4), window=2, stride=(1, 2, 2), input_dilation=(1, 1, 2)),
    "avgpool1d": symconv.AvgPool1D(input=8, window=3, stride=2, padding=1, ceil_mode=True),
    "avgpool3d": symconv.AvgPool3D(input=(2, 3, 3), window=2, stride=1, count_include_pad=False, padding=1),
    "lppool1d": symconv.LPPool1D(input=7, window=3, stride=2, norm=2),
    "lppool2d": symconv.LPPool2D(input=(3, 4), window=2, norm=1.5, ceil_mode=True),
    "lppool3d": symconv.LPPool3D(input=(2, 2, 3), window=2, norm=3),
    "adaptive_avgpool1d": symconv.AdaptiveAvgPool1D(input=7, output=3),
    "adaptive_avgpool3d": symconv.AdaptiveAvgPool3D(input=(2, 3, 4), output=(1, 2, 3)),
    "adaptive_maxpool1d": symconv.AdaptiveMaxPool1D(input=7, output=3, tie_order="row"),
    "adaptive_maxpool3d": symconv.AdaptiveMaxPool3D(input=(2, 3, 4), output=(1, 2, 2)),
    "maxunpool1d": symconv.MaxUnpool1D(input=3, window=2),
    "maxunpool2d": symconv.MaxUnpool2D(input=(2, 2), window=2, stride=2),
    "maxunpool3d": symconv.MaxUnpool3D(input=(1, 2, 2), window=2),
    "relu": symconv.ReLU(input=(2, 3), channels=2),
    "sigmoid": symconv.Sigmoid(features=4),
    "tanh": symconv.Tanh(input=(2, 2)),
    "flatten": symconv.Flatten(input=(2, 3), channels=2),
    "dense": symconv.Dense(in_features=5, out_features=3),
    "softmax_cross_entropy": symconv.SoftmaxCrossEntropy(classes=4),
}


def test_every_registered_kind_has_an_example():
    assert set(EXAMPLES) == set(KINDS)


class Outline(HTMLParser):
    """The parts of a page the tests read: tags, resources, scripts, headings, text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.urls: list[str] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._heading: list[str] | None = None
        self.entries: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.urls.append(value)
        if tag in ("h1", "h2", "h3", "h4", "h5"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4", "h5") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)


def outline(text: str) -> Outline:
    parser = Outline()
    parser.feed(text)
    parser.close()
    return parser


def latex_headings(source: str) -> list[str]:
    """The section titles of a LaTeX document, as plain words (math left out)."""
    titles = re.findall(r"\\(?:sub)*section\*?\{((?:[^{}]|\{[^{}]*\})*)\}", source)
    return [re.sub(r"\$[^$]*\$", "", t).strip() for t in titles]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_kind_gets_a_page_with_the_documents_sections(name):
    spec = EXAMPLES[name]
    text = page(spec)
    o = outline(text)
    assert o.urls == []  # nothing from outside
    assert o.tags.get("math", 0) > 0
    headings = [re.sub(r"\s+", " ", h) for h in o.headings[1:]]
    wanted = latex_headings(document(spec))
    assert len(headings) == len(wanted)
    for got, want in zip(headings, wanted, strict=True):
        assert got.startswith(want.split("(")[0].strip()), (got, want)
    assert "\\begin{" not in text and "\\VAR" not in text and "\\symconvfigure" not in text
    # the math of a line's note (``\\text{... $a$ ...}``) is MathML too, not dollar signs
    assert [m for m in re.findall(r"<math.*?</math>", text, re.S) if "$" in m] == []


@pytest.mark.slow(reason="the hand-sign network's page: every layer's pictures and documents, 5-10 s")
@pytest.mark.parametrize("config", ["appendix_a", "appendix_b", "seed_cnn", "hand_sign"])
def test_built_in_pages_are_self_contained_and_carry_every_picture(config):
    spec = symconv.load_config(config)
    text = page(spec)
    o = outline(text)
    assert o.urls == []
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert o.tags.get("link", 0) == 0 and o.tags.get("img", 0) == 0 and o.tags.get("iframe", 0) == 0
    # every picture of the PDF is an SVG on the page, and every window map is live
    assert o.tags["svg"] == document(spec).count("\\begin{picture}")
    assert text.count('class="windowmap"') == document(spec).count("rep.1 drawn")
    assert len(text.encode()) <= 5_000_000


def _data(text: str, attribute: str) -> list[dict]:
    return [json.loads(htmllib.unescape(m)) for m in re.findall(rf'{attribute}="([^"]*)"', text)]


def test_window_map_data_is_the_geometry_of_rep1():
    spec = EXAMPLES["conv2d"]
    d = symconv.derive(spec)
    (m,) = _data(page(d), "data-map")
    assert m["padded"] == [5, 6] and m["input"] == [1, 1, 3, 4] and m["output"] == [4, 3]
    assert m["letter"] == "z" and not m["wide"]
    # the window of every output entry is the one behind it in rep.1: its padded cells hold
    # exactly the input symbols of the window (zeros where it covers padding)
    padded = np.zeros((5, 6), dtype=object)
    padded[1:4, 1:5] = np.array(d.A[0].tolist(), dtype=object)
    for p in range(4):
        for q in range(3):
            cells = padded[np.ix_(m["rows"][p], m["cols"][q])]
            assert (cells == np.array(d.window(p, q).tolist(), dtype=object)).all()
    assert m["worked"] == [2, 1]  # the seed's z_32, as the document's worked entry


def test_pattern_data_is_the_jacobians_triplets():
    d = symconv.derive(EXAMPLES["conv2d"])
    patterns = _data(page(d), "data-pattern")
    jac = d.jacobian("K", j=0, i=0)
    first = patterns[0]
    assert first["shape"] == [12, 4] and first["block"] == [1, 1]
    dense = np.array(first["counts"]).reshape(first["grid"])
    expected = np.zeros(jac.shape, dtype=int)
    expected[jac.rows, jac.cols] = 1
    assert (dense == expected).all()
    values = {(r, c): v for r, c, v in first["values"]}
    assert len(values) == jac.nnz
    for r, c in zip(jac.rows, jac.cols, strict=True):
        assert values[(int(r), int(c))] == str(jac[int(r), int(c)]).replace("{", "").replace("}", "")


def test_large_patterns_are_summarised_and_carry_no_values():
    net = symconv.load_config("seed_cnn")
    patterns = _data(page(net), "data-pattern")
    big = [p for p in patterns if p["block"] != [1, 1]]
    assert big and all(p["values"] is None and max(p["grid"]) <= MAX_CELLS * LONG_SIDE for p in big)
    for p in big:  # each cell counts the nonzeros of its block
        assert sum(p["counts"]) <= p["shape"][0] * p["shape"][1]


def test_worked_entry_and_values_reach_the_page():
    text = page(EXAMPLES["conv2d"], entry=(1, 1, 2, 2))
    (m,) = _data(text, "data-map")
    assert m["worked"] == [0, 0]
    mp = page(EXAMPLES["maxpool2d"], values=np.array([1, 2, 3, 4, 5, 6, 7, 8, 2, 3, 4, 1.0]))
    assert "<math" in mp and 'class="windowmap"' in mp


def test_wide_outputs_are_named_with_a_comma():
    text = page(symconv.Conv2D(input=(12, 11), kernel=(3, 2), padding=(0, 2, 1, 0)))
    (m,) = _data(text, "data-map")
    assert m["wide"] and m["output"] == [12, 11]


def test_page_is_deterministic():
    assert page(EXAMPLES["maxpool2d"]) == page(EXAMPLES["maxpool2d"])


def test_repr_html_is_the_page_without_its_frame():
    d = symconv.derive(EXAMPLES["conv2d"])
    shown = d._repr_html_()
    assert shown.lstrip().startswith("<style>") and "<html" not in shown and "<math" in shown
    assert 'class="windowmap"' in shown and "<script>" in shown
    net = symconv.derive(symconv.load_config("appendix_b"))
    assert "<math" in net._repr_html_()


# -- the reading of the LaTeX --------------------------------------------------------------


def test_text_is_escaped_and_math_becomes_mathml():
    got = tex.inline("a <b> & c, $x_{1} < y$ and \\texttt{seed\\_audit} -- \\emph{it}")
    assert got.startswith("a &lt;b&gt; &amp; c, <math")
    assert "<code>seed_audit</code> \u2013 <em>it</em>" in got
    assert "<script" not in tex.inline("<script>alert(1)</script>")


def test_math_inside_a_text_box_becomes_mathml():
    got = mathml.mathml(r"r_a \qquad \text{along axis $a$, before $p_a^{-}$}", display=True)
    assert "$" not in got and "<mi>a</mi>" in got and "along&#x000A0;axis" in got
    assert "$5" in mathml.mathml(r"\text{costs $5}")  # one dollar: no math, left as text


def test_displays_keep_their_tags_and_sides():
    lines = tex.display_lines(
        "z &= \\begin{bmatrix} a & b \\\\[10pt] c & d \\end{bmatrix} \\tag*{(rep.1)} \\\\\n"
        " &= w \\qquad \\text{by eq.a1-2}"
    )
    assert [(line.lhs, line.tag) for line in lines] == [("z", "(rep.1)"), ("", "")]
    assert lines[0].rhs.startswith("= \\begin{bmatrix} a & b")
    html = tex.display(lines)
    assert html.count("<tr>") == 2 and '<td class="tag">(rep.1)</td>' in html
    assert "10pt" not in html  # the row gap is dropped, not printed


def test_tables_have_a_head_and_rows():
    html = tex.table("{rl}\n\\toprule\n a & b \\\\\n\\midrule\n1 & $x$ \\\\\n2 & y \\\\\n\\bottomrule\n"[4:])
    assert html.count("<th>") == 2 and html.count("<tr>") == 3 and "<math" in html


def test_latex_outside_the_documents_part_is_refused():
    with pytest.raises(tex.TexError, match="no HTML for the text command \\\\footnote"):
        tex.inline("text\\footnote{x}")
    with pytest.raises(tex.TexError, match="environment 'tikzpicture'"):
        tex.blocks("\\begin{tikzpicture}x\\end{tikzpicture}", lambda n: "")
    with pytest.raises(mathml.MathError, match="cannot convert"):
        mathml.mathml("\\begin{bmatrix} a")


def test_colours_follow_xcolor():
    assert svg.color("black") == "#000000"
    assert svg.color("blue!55") == "#7373ff"
    assert svg.color("black!12") == "#e0e0e0"
    with pytest.raises(ValueError, match="no CSS"):
        svg.color("green!3")


def test_static_picture_flips_to_svg_coordinates():
    from symconv.latex.pictures import Picture

    pic = Picture("1pt", 4, 3, (Box(0, 0, 2, 1, "black"),), (Box(0, 0, 4, 3, "red"),), True, "c")
    out = svg.static_svg(pic, 120)
    assert '<rect x="0" y="2" width="2" height="1" fill="#000000"/>' in out  # bottom row in SVG's top-down y
    assert 'width="120.0" height="90.0"' in out and 'class="grid"' in out


# -- the command ---------------------------------------------------------------------------


def test_cli_writes_one_page(tmp_path, capsys):
    assert main(["html", "--config", "appendix_b", "-o", str(tmp_path), "--name", "b.html"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(tmp_path / "b.html")
    assert [p.name for p in tmp_path.iterdir()] == ["b.html"]
    assert "<math" in (tmp_path / "b.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--config", "hand_sign", "--entry", "1,1"], "--entry: picks a worked entry of a single layer"),
        (["--name", "../x"], "--name: must be a plain file name"),
        (["--layer", "dense", "--in-features", "3", "--out-features", "2", "--values", "1"], "--values: gives"),
        (["--layer", "conv2d", "--input", "3x4", "--kernel", "2x2", "--entry", "9,9,9,9"], "--entry: P must be in"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2_and_no_file(argv, message, tmp_path, capsys):
    assert main(["html", *argv, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_write_page_refuses_a_bad_stem(tmp_path):
    with pytest.raises(SpecError, match="stem"):
        write_page(EXAMPLES["dense"], tmp_path, stem="a/b")
