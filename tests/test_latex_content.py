"""What the LaTeX documents say, checked against the seed's text and independent loops.

Expected values are written here from the seed (Appendix A's rep.1 and rep.2, the worked
entries eq.a1-2 and eq.a2-2, Appendix B's rep.2 and eq.b-2) or computed with plain loops
and SymPy's own ``Matrix.jacobian``, never copied from symconv's output.  The seed's
kernel entries ``beta_rs`` are symconv's ``k_rs``.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import symconv
from symconv.config import load_config
from symconv.golden import GOLDEN_CONFIGS
from symconv.latex.document import Options, document, fragment, layer_context
from symconv.layers.conv import latex as conv_doc
from symconv.layers.pool import latex as pool_doc

GOLDEN = {f"{name}/derivation.tex": name for name in GOLDEN_CONFIGS}

# -- helpers: reading matrices back out of LaTeX -----------------------------------------------


def split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside nested environments and braces."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if text.startswith("\\begin{", i):
            depth += 1
        elif text.startswith("\\end{", i):
            depth -= 1
        elif text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
        if depth == 0 and text.startswith(sep, i) and not text.startswith("\\\\", i - 1 if sep == "\\\\" else i + 1):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def first_matrix(text: str) -> list[list[str]]:
    """The cells of the first top-level ``bmatrix`` in ``text`` (whitespace removed)."""
    start = text.index("\\begin{bmatrix}") + len("\\begin{bmatrix}")
    depth, i = 1, start
    while depth:
        if text.startswith("\\begin{", i):
            depth += 1
        elif text.startswith("\\end{", i):
            depth -= 1
            if depth == 0:
                break
        i += 1
    body = text[start:i]
    rows = [r for r in split_top(body, "\\\\") if r.strip()]
    return [[re.sub(r"\s+", "", c) for c in split_top(re.sub(r"^\[[0-9.]+pt\]", "", r.strip()), "&")] for r in rows]


def seed_names(text: str) -> str:
    """``a22 b11`` (the seed's a_22 beta_11) as symconv prints it, without spaces."""
    text = re.sub(r"a(\d)(\d)", r"a_{\1\2}", text)
    text = re.sub(r"b(\d)(\d)", r"k_{\1\2}", text)
    text = re.sub(r"I(\d)(\d)", r"I_{\1\2}", text)
    return text.replace(" ", "")


def tagged(lines: list, tag: str):
    return next(line for line in lines if line.tag == tag)


@pytest.fixture(scope="module")
def appendix_a():
    spec = load_config("appendix_a")
    d = symconv.derive(spec)
    return spec, d, layer_context(d, Options()), document(d)


# The seed's Appendix A, rep.1 (the padded windows) and rep.2 (the sums), typed from the text.
SEED_REP1 = [
    ["0 0; 0 a11", "0 0; a12 a13", "0 0; a14 0"],
    ["0 a11; 0 a21", "a12 a13; a22 a23", "a14 0; a24 0"],
    ["0 a21; 0 a31", "a22 a23; a32 a33", "a24 0; a34 0"],
    ["0 a31; 0 0", "a32 a33; 0 0", "a34 0; 0 0"],
]
SEED_REP2 = [
    ["a11 b22", "a12 b21 + a13 b22", "a14 b21"],
    ["a11 b12 + a21 b22", "a12 b11 + a13 b12 + a22 b21 + a23 b22", "a14 b11 + a24 b21"],
    ["a21 b12 + a31 b22", "a22 b11 + a23 b12 + a32 b21 + a33 b22", "a24 b11 + a34 b21"],
    ["a31 b12", "a32 b11 + a33 b12", "a34 b11"],
]


def _seed_z():
    """Appendix A's Z by the seed's definition, with plain loops: z_pq = sum_rs
    Apad[(p-1) s_h + r, (q-1) s_w + s] beta_rs, padding 1, stride (1, 2)."""
    a = sp.Matrix(3, 4, lambda r, c: sp.Symbol(f"a_{{{r + 1}{c + 1}}}", real=True))
    k = sp.Matrix(2, 2, lambda r, c: sp.Symbol(f"k_{{{r + 1}{c + 1}}}", real=True))
    pad = sp.zeros(5, 6)
    pad[1:4, 1:5] = a
    z = sp.Matrix(4, 3, lambda p, q: sum(pad[p + r, 2 * q + s] * k[r, s] for r in range(2) for s in range(2)))
    vec = lambda m: sp.Matrix([m[r, c] for c in range(m.cols) for r in range(m.rows)])  # noqa: E731
    return a, k, z, vec


def test_appendix_a_rep1_windows_match_the_seed(appendix_a):
    _, _, ctx, text = appendix_a
    line = tagged(ctx["forward"], "(rep.1)")
    assert line.rhs in text
    cells = first_matrix(line.rhs)
    for p, row in enumerate(SEED_REP1):
        for q, window in enumerate(row):
            rows = "\\\\".join("&".join(seed_names(x) for x in part.split()) for part in window.split(";"))
            expected = "\\begin{bmatrix}" + rows
            assert cells[p][q].startswith(expected + "\\end{bmatrix}*"), (p, q, cells[p][q])


def test_appendix_a_rep2_sums_match_the_seed(appendix_a):
    spec, _, ctx, text = appendix_a
    line = tagged(ctx["forward"], "(rep.2)")
    assert line.rhs in text
    cells = first_matrix(line.rhs)
    bias = "+b" if spec.bias else ""
    assert [[c for c in row] for row in cells] == [[seed_names(s) + bias for s in row] for row in SEED_REP2]


def test_appendix_a_worked_entry_eq_a1_2(appendix_a):
    spec, _, ctx, text = appendix_a
    lines = ctx["a1_2"]
    first = lines[0]
    assert first.lhs == "\\frac{\\partial z_{32}}{\\partial k_{21}}"
    bias = "+b" if spec.bias else ""
    assert seed_names("a22 b11 + a23 b12 + a32 b21 + a33 b22") + bias in first.rhs.replace(" ", "")
    assert lines[1].rhs == "= a_{32}"  # the seed: = a_32
    last = tagged(lines, "eq.a1-2")
    assert last.rhs.replace(" ", "").endswith("*\\begin{bmatrix}0&0\\\\1&0\\end{bmatrix}")
    for line in lines:
        assert line.rhs in text


def test_appendix_a_worked_entry_eq_a2_2(appendix_a):
    _, _, ctx, text = appendix_a
    lines = ctx["a2_2"]
    assert lines[0].lhs == "\\frac{\\partial z_{32}}{\\partial a_{23}}"
    # the seed writes a_23 A_12 in this sum, a typo for a_23 beta_12; the right sum is printed
    assert seed_names("a22 b11 + a23 b12 + a32 b21 + a33 b22") in lines[0].rhs.replace(" ", "")
    assert lines[1].rhs == "= k_{12}"  # the seed: = beta_12
    last = tagged(lines, "eq.a2-2")
    assert "=\\begin{bmatrix}0&1\\\\0&0\\end{bmatrix}*" in last.rhs.replace(" ", "")
    for line in lines:
        assert line.rhs in text


def test_appendix_a_unit_matrix_columns_eq_a1_3_and_a2_3(appendix_a):
    _, _, ctx, text = appendix_a
    a, k, z, vec = _seed_z()
    col_k = vec(z.diff(k[1, 0]))
    col_a = vec(z.diff(a[1, 2]))
    printed_k = first_matrix(tagged(ctx["a1_3"], "eq.a1-3").rhs)
    printed_a = first_matrix(tagged(ctx["a2_3"], "eq.a2-3").rhs)
    assert [r[0] for r in printed_k] == [sp.latex(e).replace(" ", "") for e in col_k]
    assert [r[0] for r in printed_a] == [sp.latex(e).replace(" ", "") for e in col_a]
    # dA/da_23 is the seed's 3x4 unit matrix with its 1 at (2, 3)
    assert "\\begin{bmatrix}0&0&0&0\\\\0&0&1&0\\\\0&0&0&0\\end{bmatrix}*" in ctx["a2_3"][0].rhs.replace(" ", "")
    for line in ctx["a1_3"] + ctx["a2_3"]:
        assert line.rhs in text


def test_appendix_a_whole_jacobians_equal_sympy(appendix_a):
    _, _, ctx, _ = appendix_a
    a, k, z, vec = _seed_z()
    for key, wrt in (("jac_K", vec(k)), ("jac_A", vec(a))):
        expected = vec(z).jacobian(wrt)
        printed = first_matrix(ctx[key][-1].rhs)
        assert len(printed) == expected.rows and all(len(r) == expected.cols for r in printed)
        assert printed == [
            [sp.latex(expected[r, c]).replace(" ", "") for c in range(expected.cols)] for r in range(expected.rows)
        ]


def test_appendix_a_vec_forms_are_column_major(appendix_a):
    _, _, ctx, _ = appendix_a
    rhs = ctx["vecs"][0].rhs
    va = first_matrix(rhs)
    assert [r[0] for r in va] == [seed_names(f"a{r}{c}") for c in range(1, 5) for r in range(1, 4)]
    vk = first_matrix(rhs[rhs.index("{}_v\\mathbf{K}") :])
    assert [r[0] for r in vk] == ["k_{11}", "k_{21}", "k_{12}", "k_{22}"]


def test_appendix_a_output_size_numbers(appendix_a):
    _, _, ctx, _ = appendix_a
    h, w = ctx["size_lines"]
    # the seed: h_z = floor((3 + 2*1 - 2)/1 + 1) = 4, w_z = floor((4 + 2*1 - 2)/2 + 1) = 3
    assert h.rhs.replace(" ", "").endswith("\\frac{3+2\\cdot1-2}{1}+1\\right\\rfloor=4")
    assert w.rhs.replace(" ", "").endswith("\\frac{4+2\\cdot1-2}{2}+1\\right\\rfloor=3")


@pytest.mark.parametrize(
    ("entry", "wrt", "value"),
    [
        # from the seed's rep.2: z_22 = a12 b11 + a13 b12 + a22 b21 + a23 b22
        ((2, 2, 1, 1), "k_{11}", "a_{12}"),
        ((2, 2, 2, 2), "k_{22}", "a_{23}"),
        # z_11 = a11 b22: its window's k_11 sits on padding, so the derivative is 0
        ((1, 1, 1, 1), "k_{11}", "0"),
    ],
)
def test_user_entry_is_worked(entry, wrt, value):
    d = symconv.derive(load_config("appendix_a"))
    ctx = conv_doc.context(d, entry)
    p, q = entry[:2]
    assert ctx["a1_2"][0].lhs == f"\\frac{{\\partial z_{{{p}{q}}}}}{{\\partial {wrt}}}"
    assert ctx["a1_2"][1].rhs == f"= {value}"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ((5, 1, 1, 1), "P must be in 1..4"),
        ((1, 4, 1, 1), "Q must be in 1..3"),
        ((1, 1, 3, 1), "R must be in 1..2"),
        ((1, 1, 1, 0), "S must be in 1..2"),
        ((1, 1, 1), "takes P,Q,R,S or J,I,P,Q,R,S"),
        ((2, 1, 1, 1, 1, 1), "J must be in 1..1"),
    ],
)
def test_bad_entries_name_the_parameter(entry, message):
    d = symconv.derive(load_config("appendix_a"))
    with pytest.raises(symconv.SpecError, match=re.escape(message)) as err:
        document(d, entry=entry)
    assert err.value.parameter == "entry"


# -- Appendix B --------------------------------------------------------------------------------

SEED_B_REP2 = [
    ["0, I11, I21", "0, I12, I22, I13, I23", "0, I14, I24"],
    ["0, I11, I21, I31", "I12, I22, I32, I13, I23, I33", "0, I14, I24, I34"],
    ["0, I21, I31", "0, I22, I23, I32, I33", "0, I24, I34"],
]


def _seed_switches(values: np.ndarray, spec) -> dict:
    """Appendix B with plain loops: windows of the zero-padded input, vΩ column-major,
    the first maximum, then eq.b-2.1 to eq.b-2.3."""
    (h, w), (hl, wl) = spec.input, spec.window
    t, _, left, _ = spec.padding
    sh, sw = spec.stride
    pad = np.zeros((h + 2 * t, w + 2 * left))
    pad[t : t + h, left : left + w] = values
    hz = (h + 2 * t - hl) // sh + 1
    wz = (w + 2 * left - wl) // sw + 1
    out = {}
    for p in range(1, hz + 1):
        for q in range(1, wz + 1):
            block = pad[(p - 1) * sh : (p - 1) * sh + hl, (q - 1) * sw : (q - 1) * sw + wl]
            omega = [block[r, c] for c in range(wl) for r in range(hl)]
            i = omega.index(max(omega)) + 1
            c_b = math.ceil(i / hl)
            r_b = i - (c_b - 1) * hl
            t_r = 1 + sh * (p - 1) - t
            t_c = 1 + sw * (q - 1) - left
            r_i, c_i = r_b + t_r - 1, c_b + t_c - 1
            inside = 1 <= r_i <= h and 1 <= c_i <= w
            out[(p, q)] = (i, c_b, r_b, t_r, t_c, r_i, c_i, (c_i - 1) * h + r_i if inside else 0)
    return out


def test_appendix_b_rep2_sets_match_the_seed():
    d = symconv.derive(load_config("appendix_b"))
    ctx = layer_context(d, Options())
    cells = first_matrix(tagged(ctx["forward"], "(rep.2)").rhs)
    for p, row in enumerate(SEED_B_REP2):
        for q, items in enumerate(row):
            printed = cells[p][q]
            assert printed.startswith("\\max\\{") and printed.endswith("\\}")
            got = set(printed[len("\\max\\{") : -2].split(","))
            assert got == {seed_names(x) for x in items.split(", ")}, (p, q)


def test_appendix_b_seed_example_worked_with_given_values():
    """The seed's example: A_21 = max{0, I11, I21, I31} = I21, so i_21 = 5."""
    spec = load_config("appendix_b")
    values = np.array([[1.0, 2, 3, 4], [9, 1, 1, 1], [2, 1, 1, 1]])
    d = symconv.derive(spec)
    ctx = pool_doc.max_context(d, entry=(2, 1), values=values)
    text = " ".join(f"{line.lhs} {line.rhs}" for line in ctx["block"] + ctx["steps"]).replace(" ", "")
    assert "i_{21}=5" in text
    assert "\\left\\lceil\\frac{5}{3}\\right\\rceil=2" in text  # eq.b-2.1: c_b
    assert "=5-(2-1)\\cdot3=2" in text  # r_b
    assert "=1+1\\cdot(2-1)-1=1" in text  # eq.b-2.2: top-left row
    assert "=1+2\\cdot(1-1)-1=0" in text  # top-left column
    assert "=2+1-1=2" in text and "=2+0-1=1" in text  # eq.b-2.3
    assert "=(1-1)\\cdot3+2=2" in text  # the column of the 1


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_appendix_b_switch_table_and_mask_match_loops(seed):
    spec = load_config("appendix_b")
    d = symconv.derive(spec)
    ctx = pool_doc.max_context(d, seed=seed)
    values, _ = pool_doc.example_input(d, None, seed)
    expected = _seed_switches(values[0], spec)
    rows = [r for r in ctx["table"].split("\\hline")[1].split("\\\\") if "&" in r]
    parsed = {}
    for r in rows:
        cells = [c.strip() for c in r.replace("\\end{array}", "").split("&")]
        if len(cells) < 9:
            continue
        name = re.fullmatch(r"A_\{(\d)(\d)\}", cells[0])  # Appendix B names the pooled entries A_pq
        parsed[(int(name.group(1)), int(name.group(2)))] = tuple(0 if c == "-" else int(c) for c in cells[1:])
    assert parsed == expected
    mask = first_matrix(ctx["mask"][0].rhs)
    for (p, q), row in expected.items():
        ones = [c for c, v in enumerate(mask[(q - 1) * 3 + (p - 1)]) if v == "1"]
        assert ones == ([row[-1] - 1] if row[-1] else [])


# -- networks -------------------------------------------------------------------------------------


def _hand_sign_shapes():
    """The hand-sign network's shapes worked out by hand from its config."""
    conv1 = (64 + 1 + 2 - 4) // 1 + 1  # 64
    pool1 = conv1 // 8  # 8
    conv2 = (pool1 + 0 + 1 - 2) // 1 + 1  # 8
    pool2 = conv2 // 4  # 2
    return [
        ((3, 64, 64), (8, conv1, conv1)),
        ((8, conv1, conv1), (8, conv1, conv1)),
        ((8, conv1, conv1), (8, pool1, pool1)),
        ((8, pool1, pool1), (16, conv2, conv2)),
        ((16, conv2, conv2), (16, conv2, conv2)),
        ((16, conv2, conv2), (16, pool2, pool2)),
        ((16, pool2, pool2), (16 * pool2 * pool2,)),
        ((64,), (6,)),
        ((6,), (6,)),
    ]


@pytest.fixture(scope="module")
def hand_sign_text():
    return document(load_config("hand_sign"))


def _dims(shape):
    return " \\times ".join(str(n) for n in shape)


def test_network_architecture_dimensions_match_the_spec(hand_sign_text):
    table = hand_sign_text[
        hand_sign_text.index("\\section{Network architecture}") : hand_sign_text.index("\\section{Forward")
    ]
    rows = re.findall(r"(?m)^\d+ & \d+ & .*$", table)
    assert len(rows) == 9
    for row, (shape_in, shape_out) in zip(rows, _hand_sign_shapes(), strict=True):
        before, after = row.split("$\\to$")
        assert before.strip().endswith(f"\\in \\mathbb{{R}}^{{{_dims(shape_in)}}}$")
        assert after.split("&")[0].strip().endswith(f"\\in \\mathbb{{R}}^{{{_dims(shape_out)}}}$")


def _conv_nnz(n, k, before, stride):
    """Nonzeros of one conv Jacobian along one axis: (output, kernel) pairs inside the input."""
    out = 0
    for p in range(n):
        for r in range(k):
            if 0 <= p * stride + r - before < n:
                out += 1
    return out


def test_network_jacobian_sizes_match_the_spec(hand_sign_text):
    jac = hand_sign_text[hand_sign_text.index("All the Jacobians") :]
    rows = [r.rstrip(" \\") for r in re.findall(r"(?m)^\d+ & \$\\dfrac.*$", jac)]
    nnz1 = _conv_nnz(64, 4, 1, 1) ** 2
    nnz2 = _conv_nnz(8, 2, 0, 1) ** 2
    expected = [
        ("1", "{}_v\\mathbf{K}_{j,i}^{[1]}", "4096 \\times 16", str(nnz1)),
        ("1", "b_{j}^{[1]}", "4096 \\times 1", "4096"),
        ("1", "{}_v\\mathbf{A}_{i}^{[0]}", "4096 \\times 4096", str(nnz1)),
        ("2", "{}_v\\mathbf{Z}_{j}^{[1]}", "4096 \\times 4096", "4096"),
        ("3", "{}_v\\mathbf{I}_{j}^{[1]}", "64 \\times 4096", "at most 64"),
        ("4", "{}_v\\mathbf{K}_{j,i}^{[2]}", "64 \\times 4", str(nnz2)),
        ("4", "b_{j}^{[2]}", "64 \\times 1", "64"),
        ("4", "{}_v\\mathbf{A}_{i}^{[1]}", "64 \\times 64", str(nnz2)),
        ("5", "{}_v\\mathbf{Z}_{j}^{[2]}", "64 \\times 64", "64"),
        ("6", "{}_v\\mathbf{I}_{j}^{[2]}", "4 \\times 64", "at most 4"),
        ("7", "{}_v\\mathbf{A}^{[2]}", "64 \\times 64", "64"),
        ("8", "{}_v\\mathbf{W}^{[3]}", "6 \\times 384", "384"),
        ("8", "\\mathbf{b}^{[3]}", "6 \\times 6", "6"),
        ("8", "\\mathbf{B}^{[2]}", "6 \\times 64", "384"),
        ("9", "\\mathbf{Z}^{[3]}", "6 \\times 6", "36"),
    ]
    assert len(rows) == len(expected)
    for row, (layer, wrt, size, nnz) in zip(rows, expected, strict=True):
        cells = [c.strip() for c in row.split("&")]
        assert cells[0] == layer
        assert cells[1].endswith(f"{{d{wrt}}}$") or cells[1].endswith(f"{{d {wrt}}}$"), (cells[1], wrt)
        assert cells[3] == f"${size}$"
        assert cells[4].startswith(nnz)


def test_network_chain_carries_dimensions(hand_sign_text):
    text = hand_sign_text.replace("\n", " ")
    # 3.1.5 for layer 2: dJ/dvK_{j,i} (1 x 4) = dJ/dvZ_j (1 x 64) dvZ_j/dvK_{j,i} (64 x 4)
    assert (
        "\\underbrace{\\frac{d J}{d{}_v\\mathbf{K}_{j,i}^{[2]}}}_{1 \\times 4} &= "
        "\\underbrace{\\frac{d J}{d{}_v\\mathbf{Z}_{j}^{[2]}}}_{1 \\times 64}"
        "\\underbrace{\\frac{d{}_v\\mathbf{Z}_{j}^{[2]}}{d{}_v\\mathbf{K}_{j,i}^{[2]}}}_{64 \\times 4}"
    ) in text
    # 3.1.1: dJ/dW^{[3]} = (dJ/dZ^{[3]})^T (B^{[2]})^T, 6 x 64
    assert "\\underbrace{\\frac{d J}{d\\mathbf{W}^{[3]}}}_{6 \\times 64}" in text
    # 3.1.2: dJ/dvA^{[2]} reshaped to c x h_a w_a = 16 x 4
    assert "\\underbrace{\\frac{d J}{d{}_v\\mathbf{A}^{[2]}}}_{16 \\times 4}" in text
    # in the chain of section 3 the network's input needs no gradient
    backprop = text[text.index("\\section{Back-propagation}") : text.index("All the Jacobians")]
    assert "d{}_v\\mathbf{A}_{i}^{[0]}}}_{1" not in backprop
    assert "d{}_v\\mathbf{A}_{i}^{[1]}}}_{1 \\times 64}" in backprop


# -- every document --------------------------------------------------------------------------------


def test_golden_files_are_the_four_documents_with_headers(golden):
    files = {rel: text for rel, text in golden.items() if rel.endswith(".tex")}
    assert sorted(files) == sorted(GOLDEN)
    assert sorted(GOLDEN) == sorted(
        [
            "appendix_a/derivation.tex",
            "appendix_b/derivation.tex",
            "seed_cnn/derivation.tex",
            "hand_sign/derivation.tex",
        ]
    )
    for rel, text in files.items():
        head = text.split("\\documentclass")[0]
        assert text.startswith("% ")
        assert "symconv codegen --all" in head and "templates/latex/document.tex.j2" in head
        assert "Do not edit" in head
        assert text == files[rel]


@pytest.mark.slow(reason="two documents made again in another process: 3-6 s")
def test_documents_are_byte_identical_across_processes():
    """Same input, same bytes: also in another process with another hash seed."""
    code = (
        "import sys; from symconv.latex.document import document; from symconv.config import load_config; "
        "sys.stdout.write(document(load_config('seed_cnn')) + document(load_config('appendix_b')))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    here = document(load_config("seed_cnn")) + document(load_config("appendix_b"))
    assert other == here
    assert document(load_config("seed_cnn")) == document(load_config("seed_cnn"))


def max_matrix_columns(text: str) -> int:
    """The most columns in any row of any matrix of ``text``."""
    most = 0
    for m in re.finditer(r"\\begin\{bmatrix\}", text):
        cells = first_matrix(text[m.start() :])
        most = max(most, *(len(r) for r in cells))
    return most


def test_no_matrix_passes_the_column_limit():
    limit_line = re.compile(r"\\setcounter\{MaxMatrixCols\}\{(\d+)\}")
    for name in ("appendix_a", "appendix_b", "seed_cnn"):
        text = document(load_config(name))
        limit = int(limit_line.search(text).group(1))
        assert max_matrix_columns(text) <= limit


# -- fragments for notebooks ---------------------------------------------------------------------------

MATHJAX_MACROS = {
    "begin", "end", "frac", "dfrac", "partial", "mathbf", "mathbb", "operatorname", "left", "right",
    "cdots", "vdots", "ddots", "ldots", "quad", "qquad", "text", "sum", "top", "otimes", "times", "in",
    "leq", "max", "log", "infty", "cdot", "underbrace", "bigl", "bigr", "Bigl", "Bigr", "lceil", "rceil",
    "lfloor", "rfloor", "sigma", "tanh", "neq", "implies", "Omega", "alpha", "nabla", "to",
}  # fmt: skip


@pytest.mark.parametrize(
    "spec",
    [
        load_config("appendix_a"),
        load_config("appendix_b"),
        load_config("hand_sign"),
        symconv.AvgPool2D(input=(4, 4), window=(2, 2)),
        symconv.ReLU(input=(3, 3)),
        symconv.Sigmoid(features=4),
        symconv.Tanh(input=(2, 2), channels=2),
        symconv.Flatten(input=(2, 2), channels=2),
        symconv.Dense(in_features=3, out_features=2),
        symconv.SoftmaxCrossEntropy(classes=3),
        symconv.Conv2D(input=(5, 5), kernel=(3, 3), in_channels=2, out_channels=2),
    ],
    ids=lambda s: getattr(s, "kind", "network"),
)
def test_repr_latex_is_mathjax_safe(spec):
    d = symconv.derive(spec)
    out = d._repr_latex_()
    assert out == d.latex() == fragment(d)
    body = out.strip()
    assert body.startswith("$$") and body.endswith("$$")
    assert body.count("$$") == 2
    inner = body[2:-2].strip()
    assert inner.startswith("\\begin{aligned}") and inner.endswith("\\end{aligned}")
    assert "\\bm" not in out and "\\tag" not in out and "\\newcommand" not in out
    macros = set(re.findall(r"\\([A-Za-z]+)", out))
    assert macros <= MATHJAX_MACROS, macros - MATHJAX_MACROS
    assert inner.count("{") == inner.count("}")
    assert inner.count("\\begin{") == inner.count("\\end{")


def test_max_pool_values_must_fit_the_input():
    d = symconv.derive(load_config("appendix_b"))
    with pytest.raises(symconv.SpecError, match="must hold 12 numbers"):
        document(d, values=np.arange(5.0))
    with pytest.raises(symconv.SpecError, match="finite"):
        document(d, values=np.array([np.nan] * 12))
