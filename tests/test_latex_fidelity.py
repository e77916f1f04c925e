"""Fidelity of the documents to the seed: its own examples, visible remarks where the
documents depart from it, the closed-form backward, and the typesetting fixes.

The built-in documents are read from ``generated/`` (``tests/test_golden.py`` checks that
they are what the code makes today); expected values are typed from the seed's text or
computed here with plain loops."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import symconv
from symconv.config import load_config
from symconv.latex.layout import matrix
from symconv.latex.remarks import REMARKS
from symconv.layers.conv import latex as conv_doc
from symconv.layers.pool import latex as pool_doc

ROOT = Path(__file__).resolve().parents[1]


def golden(name: str) -> str:
    return (ROOT / "generated" / name / "derivation.tex").read_text(encoding="utf-8")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- Appendix B: the seed's own example, its names, tie-free numbers ---------------------------------


def test_appendix_b_reproduces_the_seeds_switch_example_first() -> None:
    text = golden("appendix_b")
    seed_part = text.split("The seed's example", 1)[1].split("A worked example", 1)[0]
    s = flat(seed_part)
    # "let A_21 = max{0, a_11, a_21, a_31} = a_21, then i_21 = 5, the 5th entry of
    # vOmega = [0, 0, 0, a_11, a_21, a_31]^T" -- with I for the seed's a
    assert "A_{21}&=\\max\\{0,I_{11},I_{21},I_{31}\\}=I_{21}" in s
    assert "i_{21}&=5" in s
    assert "0&0&0&I_{11}&I_{21}&I_{31}" in s
    # the seed's example comes before the worked example on numbers
    assert text.index("The seed's example") < text.index("A worked example")


def test_appendix_b_numbers_agree_with_the_seeds_example_and_have_no_ties() -> None:
    d = symconv.derive(load_config("appendix_b"))
    for seed in (0, 1, 5):
        values, _ = pool_doc.example_input(d, None, seed)
        x = values[0]
        assert len(set(x.ravel())) == x.size and (x != 0).all()  # distinct, and none ties a padded 0
        # the seed's example: the window of A_21 is [0 I_11; 0 I_21; 0 I_31] and I_21 is its maximum
        assert x[1, 0] > max(x[0, 0], x[2, 0], 0)
        ctx = pool_doc.max_context(d, seed=seed)
        assert ctx["out"] == "A_{21}"  # the worked output is the seed's
        assert "i_{21}=5" in flat(" ".join(f"{line.lhs}{line.rhs}" for line in ctx["block"]))


def test_appendix_b_names_the_pooled_entries_a_capital() -> None:
    text = golden("appendix_b")
    assert "A_{11}" in text and "A_{33}" in text
    # no a_pq anywhere but in the remark that quotes the seed's own a_11, a_21, a_31
    body = text.replace(REMARKS["switch-bound"].seed, "")
    assert not re.search(r"(?<![A-Za-z\\])a_\{", body)


def test_hand_sign_max_pool_examples_have_no_ties() -> None:
    net = symconv.derive(load_config("hand_sign"))
    pools = [(n, d) for n, d in enumerate(net.layers) if d.kind == "maxpool2d"]
    assert pools
    for n, d in pools:
        values, _ = pool_doc.example_input(d, None, n)
        assert len(np.unique(values)) == values.size and (values != 0).all()
        hl, wl = d.geometry.kernel
        for c in range(values.shape[0]):
            for p in range(d.geometry.output[0]):
                for q in range(d.geometry.output[1]):
                    win = values[c, p * hl : (p + 1) * hl, q * wl : (q + 1) * wl]  # stride = window here
                    assert (win == win.max()).sum() == 1


# -- remarks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "remarks"),
    [
        ("appendix_a", ["beta", "rep1", "eq-a2-2"]),
        ("appendix_b", ["omega", "switch-bound", "top-left", "assigned-to", "empty-row"]),
        ("seed_cnn", ["layer-input", "kernel-index", "kernel-1", "grad-b"]),
        ("hand_sign", ["mask-channels", "layer-input", "kernel-index", "kernel-1", "grad-b"]),
    ],
)
def test_every_departure_from_the_seed_is_remarked_with_its_claims(name: str, remarks: list[str]) -> None:
    """Each remark once, in the order the document reaches its passage, with its claims."""
    text = golden(name)
    assert text.count("Where this departs from the seed.") == len(remarks)
    at = []
    for key in remarks:
        r = REMARKS[key]
        assert r.seed in text and r.correct in text
        assert r.audit in text if r.audit else "Seed audit" not in text.split(r.seed, 1)[1].split("\\end{quote}")[0]
        at.append(text.index(r.seed))
    assert at == sorted(at)


def test_the_kernel_is_renamed_before_a_remark_uses_beta() -> None:
    text = golden("appendix_a")
    remarks = text.split("Where this departs from the seed.")[1:]
    assert "The seed calls the kernel" in remarks[0]
    assert all("k_{12}" in r for r in remarks if "\\beta_{12}" in r)


def test_layer_1s_kernel_gradient_carries_the_remark_on_3_1_6() -> None:
    text = golden("seed_cnn")
    layer1 = text.split("Layer 1 ($l = 1$, convolution)", 1)[1].split("\\subsection*", 1)[0]
    assert REMARKS["kernel-1"].seed in layer1 and "N.3.1.6.dJ-dK-as-written" in layer1


# -- the closed-form backward ---------------------------------------------------------------------


def test_the_conv_documents_derive_the_closed_form_and_say_the_code_takes_it() -> None:
    for name in ("appendix_a", "seed_cnn", "hand_sign"):
        text = golden(name)
        assert "The closed-form backward" in text
        assert "\\tilde{\\mathbf{A}" in text and "\\operatorname{rot180}" in text
        assert "This is the route the generated code takes." in text
    s = flat(golden("appendix_a"))
    # Appendix A: stride (1, 2) puts one zero column between the columns of G
    assert "g_{11}&0&g_{12}&0&g_{13}" in s
    # (grad_K J)_21 collects g_pq times the a that meets beta_21 (rep.2): z_12, z_13, z_22, z_23, z_32, z_33
    entry = s.split("\\left(\\nabla_{\\mathbf{K}}J\\right)_{21}&=", 1)[1].split("\\end{align*}", 1)[0]
    assert sorted(entry.split("+")) == sorted(
        ["g_{12}a_{12}", "g_{13}a_{14}", "g_{22}a_{22}", "g_{23}a_{24}", "g_{32}a_{32}", "g_{33}a_{34}"]
    )


# -- typesetting ----------------------------------------------------------------------------------


def test_pooling_output_size_reads_two_times_the_padding() -> None:
    text = golden("appendix_b")
    assert "2 \\times {}^{l}h_p" in text and "2 \\times {}^{l}w_p" in text
    assert "2{}^{l}" not in text


def test_rep1_blocks_have_room_between_them() -> None:
    d = symconv.derive(load_config("appendix_a"))
    rep1 = next(line for line in conv_doc.context(d)["forward"] if line.tag == "(rep.1)")
    assert "\\\\[10pt]" in rep1.rhs


def test_jacobian_fractions_are_display_size() -> None:
    """Inside a matrix \\frac shrinks the indices to script size; the Jacobians use \\dfrac."""
    ctx = conv_doc.context(symconv.derive(load_config("appendix_a")))
    for key in ("a2_1", "a2_1", "jac_K", "jac_A"):
        rows = " ".join(line.rhs for line in ctx[key])
        assert "\\dfrac" in rows and "\\frac" not in rows.replace("\\dfrac", ""), key
    maxpool = pool_doc.max_context(symconv.derive(load_config("appendix_b")))
    rows = " ".join(line.rhs for line in maxpool["eq_b1"])
    assert "\\dfrac{\\partial A_{11}}{\\partial I_{11}}" in rows and "\\frac" not in rows.replace("\\dfrac", "")


def _row_cells(lines: list) -> list[str]:
    """The cells of a row vector written by ``aligned_row`` over one or more lines."""
    text = " & ".join(line.rhs for line in lines).split("\\otimes")[0]  # a new line starts a new cell
    for token in ("\\begin{bmatrix}", "\\end{bmatrix}", "\\left[", "\\left.", "\\right]", "\\right.", "\\qquad"):
        text = text.replace(token, " ")
    text = text.strip().removeprefix("=")
    return [c.strip() for c in re.split(r"&|\\quad(?![a-z])", text) if c.strip()]


def _matrix_columns(line) -> list[str]:
    first_row = line.rhs.split("\\begin{bmatrix}", 1)[1].split("\\\\", 1)[0]
    return [c.strip() for c in first_row.split("&")]


@pytest.mark.parametrize("shape", [(3, 4), (9, 9)])  # every column fits; columns elided
def test_operator_and_label_rows_show_the_columns_the_matrix_shows(shape: tuple[int, int]) -> None:
    d = symconv.derive(symconv.Conv2D(input=shape, kernel=(2, 2), padding=(1, 1), stride=(1, 2)))
    ctx = conv_doc.context(d)
    a2_1, jac_a = ctx["a2_1"], ctx["jac_A"]
    columns = _matrix_columns(a2_1[-1])
    elided = [c == "\\cdots" for c in columns]
    ops_end = next(n for n, line in enumerate(a2_1) if "\\otimes" in line.rhs) + 1
    for row_lines in (a2_1[:ops_end], a2_1[ops_end:-1]):
        cells = _row_cells(row_lines)
        assert [c == "\\cdots" for c in cells] == elided
    whole = _matrix_columns(jac_a[-1])
    labels = _row_cells(jac_a[:-1])
    # every bracketed row is one line (never broken inside its brackets); the whole Jacobian's
    # labels are wider than its entries, so where they do not all fit they show fewer columns,
    # the first and the last among them
    assert len(a2_1) == 3 and len(jac_a) == 2
    shown_whole = [c for c in whole if c != "\\cdots"]
    assert labels[0] != "\\cdots" and labels[-1] != "\\cdots" and len(labels) <= len(whole)
    assert len([c for c in labels if c != "\\cdots"]) <= len(shown_whole)
    # the labels name the columns shown: the k-th shown label is the column's own entry
    names = [tex for tex in (str(s.name) for s in d.input.vec(0))]
    shown_names = [
        re.search(r"\\partial (a_\{\d+\})", c).group(1) for c in _row_cells(a2_1[:ops_end]) if c != "\\cdots"
    ]
    assert all(n in names for n in shown_names) and shown_names == sorted(shown_names, key=names.index)
    if shape == (3, 4):  # Appendix A's whole 12 x 12 Jacobian is shown whole
        assert "\\cdots" not in whole and len(whole) == 12
    else:
        assert any(elided)


def test_matrix_reports_the_columns_it_shows() -> None:
    shown: list[int | None] = []
    text = matrix(lambda r, c: "x", (2, 40), keep_cols=[20], budget=200, shown=shown)
    assert 20 in shown and None in shown
    first_row = text.split("\\begin{bmatrix}", 1)[1].split("\\\\", 1)[0]
    assert first_row.count("&") + 1 == len(shown)
