"""Claims in LaTeX: the whitelist rewrite, SymPy's lark parser, and what is refused."""

from __future__ import annotations

import pytest
import sympy as sp
from sympy.parsing.latex import parse_latex
from test_verify_common import APPENDIX_B, SMALL_NET, one

from symconv.verify.latex import tokens
from symconv.verify.values import ClaimError


def latex(lhs: str, rhs: str, **kw: object):  # type: ignore[no-untyped-def]
    return one(lhs, rhs, latex=True, **kw)  # type: ignore[arg-type]


def test_sympy_lark_backend_is_available() -> None:
    """The reader depends on SymPy's lark LaTeX parser (SymPy >= 1.12 with lark)."""
    q = sp.Symbol("Q_{ab}")
    assert parse_latex(r"\frac{Q_{ab}}{2} + 1", backend="lark") == q / 2 + 1
    assert parse_latex(r"\left\lfloor \frac{7}{2} \right\rfloor", backend="lark") == 3


HOLDS = [
    (r"z_{32}", r"a_{22}\beta_{11} + a_{23}\beta_{12} + a_{32}\beta_{21} + a_{33}\beta_{22}"),
    (r"z_{32}", r"a_{22} \cdot \beta_{11} + a_{23} \times \beta_{12} + a_{32}\beta_{21} + a_{33}\beta_{22}"),
    (r"z_{3,2}", r"z_{32}"),
    (r"\frac{\partial z_{32}}{\partial \beta_{21}}", r"a_{32}"),
    (r"\frac{dz_{32}}{d\beta_{21}}", r"a_{32}"),
    (r"\frac{\partial z_{32}}{\partial A_{23}}", r"\beta_{12}"),
    (r"\frac{d\mathbf{Z}}{d\beta_{21}}", r"\mathbf{A} * \begin{bmatrix} 0 & 0 \\ 1 & 0 \end{bmatrix}"),
    (r"\frac{d_v\mathbf{Z}}{d\beta_{21}}", r"\text{vec}\left(\mathbf{A} * \frac{d\beta}{d\beta_{21}}\right)"),
    (r"\frac{d{}_v\mathbf{Z}}{d{}_v\beta}", r"\frac{d_v\mathbf{Z}}{d_v\beta}"),
    (r"\begin{bmatrix} a_{22} & a_{23} \\ a_{32} & a_{33} \end{bmatrix} * \beta", r"z_{32}"),
    (r"\begin{pmatrix} 1 & 2 \end{pmatrix}^\top", r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}"),
    (r"\beta^{\top}", r"\begin{bmatrix} \beta_{11} & \beta_{21} \\ \beta_{12} & \beta_{22} \end{bmatrix}"),
    (r"\mathbf{1}_{(2, 3)}", r"\begin{bmatrix} 1 & 1 & 1 \\ 1 & 1 & 1 \end{bmatrix}"),
    (r"h_z", r"\left\lfloor \frac{h_a + 2h_p - h_k}{h_s} + 1 \right\rfloor"),
    (r"w_z", r"\lceil \frac{w_a + 2 w_p - w_k + 1}{w_s} \rceil"),
    (r"2^{3} - 1", r"7"),
    (r"\frac{1}{2} + 0.5", r"1"),
    (r"(a_{11} + 1)^{2}", r"a_{11}^{2} + 2a_{11} + 1"),
    (r"\max(a_{11}, a_{11})", r"a_{11}"),
]


@pytest.mark.parametrize(("lhs", "rhs"), HOLDS)
def test_latex_claims_hold(lhs: str, rhs: str) -> None:
    r = latex(lhs, rhs)
    assert r.holds, r.message


def test_latex_and_expression_agree() -> None:
    """The same statement in both languages gives the same verdict and correct value."""
    a = latex(r"\frac{\partial(a_{22}\beta_{11} + a_{23}A_{12})}{\partial A_{23}}", r"\beta_{12}")
    b = one("diff(a[2,2]*beta[1,1] + a[2,3]*A[1,2], A[2,3])", "beta[1,2]")
    assert a.fails and b.fails
    assert a.correct == b.correct == sp.Symbol("a_{12}", real=True)


def test_latex_max_pool_and_network_names() -> None:
    assert latex(r"A_{21}", r"\max\{0, I_{11}, I_{21}, I_{31}\}", layer=APPENDIX_B).holds
    assert latex(
        r"A_{21}", r"\max \begin{bmatrix} 0 & I_{11} \\ 0 & I_{21} \\ 0 & I_{31} \end{bmatrix}", layer=APPENDIX_B
    ).holds
    assert latex(
        r"h_a", r"\left\lfloor \frac{h_i + 2 \times {}^l h_p - h_l}{{}^l h_s} + 1 \right\rfloor", layer=APPENDIX_B
    ).holds
    assert latex(
        r"{}_v\Omega",
        r"\begin{bmatrix} \Omega_{11} \\ \Omega_{21} \\ \Omega_{31} \\ "
        r"\Omega_{12} \\ \Omega_{22} \\ \Omega_{32} \end{bmatrix}",
        layer=APPENDIX_B,
    ).holds
    assert latex(
        r"h_z^{[1]}",
        r"\left\lfloor \frac{h_a^{[0]} + 2h_p^{[1]} - h_k^{[1]}}{h_s^{[1]}} + 1 \right\rfloor",
        network=SMALL_NET,
    ).holds
    assert latex(r"c^{[1]}", "2", network=SMALL_NET).holds
    assert latex(r"z_{1,11}^{[1]}", r"z^{[1]}_{1,11}", network=SMALL_NET).holds
    assert latex(r"\frac{dJ}{d\mathbf{b}^{[2]}}", r"\frac{dJ}{d\mathbf{Z}^{[2]}}", network=SMALL_NET).holds


def test_latex_rep2_as_the_seed_writes_it_fails_at_eq_a2_2() -> None:
    r = latex(r"z_{32}", r"a_{22}\beta_{11} + a_{23}A_{12} + a_{32}\beta_{21} + a_{33}\beta_{22}")
    assert r.fails
    cx = r.counterexample
    assert cx is not None
    v = {str(s): x for s, x in cx.values}
    true = v["a_{22}"] * v["k_{11}"] + v["a_{23}"] * v["k_{12}"] + v["a_{32}"] * v["k_{21}"] + v["a_{33}"] * v["k_{22}"]
    written = (
        v["a_{22}"] * v["k_{11}"] + v["a_{23}"] * v["a_{12}"] + v["a_{32}"] * v["k_{21}"] + v["a_{33}"] * v["k_{22}"]
    )
    assert (cx.lhs, cx.rhs) == (true, written) and true != written


CONV_NAMES = (
    "A, J_A, J_K, K, Z, a, beta, groups, h_a, h_k, h_p, h_s, h_z, k, p_bottom, p_left, p_right, p_top, "
    "w_a, w_k, w_p, w_s, w_z, z"
)
INVALID = [
    (
        r"\input{/etc/passwd}",
        r"lhs: the LaTeX command \input is not allowed in claims (it could read files or redefine TeX)",
    ),
    (r"\include{x}", r"lhs: the LaTeX command \include is not allowed in claims (it could read files or redefine TeX)"),
    (r"\def\x{1}", r"lhs: the LaTeX command \def is not allowed in claims (it could read files or redefine TeX)"),
    (
        r"\catcode`\^=7",
        r"lhs: the LaTeX command \catcode is not allowed in claims (it could read files or redefine TeX)",
    ),
    (r"\write18{ls}", r"lhs: the LaTeX command \write is not allowed in claims (it could read files or redefine TeX)"),
    (
        r"\sqrt{2}",
        r"lhs: the LaTeX command \sqrt is not supported in claims; exponents are integers in claims: "
        "write the claim squared instead",
    ),
    (
        r"\prod_{i=1}^{3} i",
        r"lhs: the LaTeX command \prod is not supported in claims; "
        "write the product out, or use the expression language",
    ),
    (
        r"\delta_{1}",
        r"lhs: \delta_{ij} (the Kronecker delta) takes two indices, e.g. \delta_{i,j} or \delta_{12}",
    ),
    (r"w_{11}", "lhs: unknown name 'w'; this conv2d layer knows: " + CONV_NAMES),
    (r"\sum_{i=1}^{2000} i", r"lhs: a \sum from 1 to 2000 has more than 1000 terms"),
    (r"\sum_{ii=1}^{3} i", r"lhs: a sum is written \sum_{i=1}^{n}, \sum_{i} or \sum_{i,j} with one-letter indices"),
    (r"\sum_{i=1}^{3}", r"lhs: a \sum needs something to add up after its bounds"),
    ("a_{11} % comment", "lhs: the character '%' is not allowed in a LaTeX claim; write the claim without it"),
    ("$a_{11}$", "lhs: the character '$' is not allowed in a LaTeX claim; write the claim without it"),
    (
        "a_{11} = 1",
        "lhs: a comparison outside a condition; comparisons are read inside indicator(...) and where(...) "
        r"(LaTeX: \mathbb{1}[...], [...], cases), e.g. \mathbb{1}[z_{11} > 0]",
    ),
    ("x_{11}", f"lhs: unknown name 'x'; this conv2d layer knows: {CONV_NAMES}"),
    (
        "a_{i+}",
        "lhs: the subscript {i+} cannot be read as indices: write numbers, index letters and arithmetic, "
        "e.g. a_{32}, k_{mn}, a_{i+m-1,j+n-1} or a_{s(p-1)+m}",
    ),
    ("a_{45}", "lhs: index 4 is out of range 1..3 for index 2 of A"),
    (
        r"\frac{\partial}{\partial a_{11}}",
        r"lhs: write the function inside the derivative: \frac{\partial y}{\partial x}",
    ),
    (
        r"\frac{\partial z_{11}}{\partial (a_{11} + a_{12})}",
        "lhs: the second argument of diff must be a variable (an entry such as a[2,3]), got a_{11} + a_{12}",
    ),
    (
        r"\mathbf{A} * \mathbf{Z}",
        "lhs: no padding gives '*' of a 3x4 by a 4x3 matrix the other side's shape, 1x1 (full gives 6x6, "
        r"same gives 3x4); write the padding: \ast_{\text{full}} or conv(X, Y, padding=...), with crop(...) or "
        "pad(...) for the rest",
    ),
    (
        r"\begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}",
        "lhs: the rows of a bmatrix must all have the same number of entries",
    ),
    (
        r"\begin{align} 1 \end{align}",
        "lhs: the environment 'align' is not supported (use bmatrix, or cases for a piecewise value)",
    ),
    (
        r"a_{11} +",
        "lhs: cannot read this LaTeX (UnexpectedEOF): every operator needs something on each side; "
        r"add parentheses or \cdot",
    ),
    (r"\frac{1}{", "lhs: expected '}' before the end of the LaTeX"),
    ("a_{11} &", "lhs: '&' belongs inside a \\begin{bmatrix} ... \\end{bmatrix} or cases"),
    ("", "lhs: is empty"),
    ("a" * 6000, "lhs: is 6000 characters long; the limit for LaTeX is 5000"),
    ("{" * 40 + "1" + "}" * 40, "lhs: the LaTeX is nested more than 30 levels deep"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_latex_is_reported_not_guessed(text: str, message: str) -> None:
    r = latex(text, "1")
    assert r.invalid
    assert r.message == message


def test_forbidden_commands_are_refused_before_parsing() -> None:
    for cmd in ("input", "include", "def", "catcode", "csname", "openin", "read", "usepackage", "newcommand", "let"):
        with pytest.raises(ClaimError, match=rf"\\{cmd} is not allowed"):
            tokens(rf"a_{{11}} + \{cmd}{{x}}")


def test_lark_never_sees_user_names() -> None:
    """Only whitelisted tokens reach lark: every name the user wrote is replaced by a
    placeholder first, and no placeholder survives into a result."""
    r = latex(r"z_{32}", r"a_{22}\beta_{11} + a_{23}\beta_{12} + a_{32}\beta_{21} + a_{33}\beta_{22} + 0")
    assert r.holds
    r = latex(r"\frac{\partial(a_{22}\beta_{11} + a_{23}A_{12})}{\partial A_{23}}", r"\beta_{12}")
    names = {str(s) for s in r.correct.free_symbols}
    assert names == {"a_{12}"}
