"""Hostile claims: nothing is executed, every one gets one clear message, and the caps keep
the work bounded (checked through the deterministic work count each result carries, not
with a clock)."""

from __future__ import annotations

import ast
import builtins
import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sympy.parsing.sympy_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy.parsing.latex import parse_latex  # noqa: F401  (loads lark's grammar before files are locked)
from test_verify_common import APPENDIX_A

from symconv.cli import main
from symconv.verify import verify_document
from symconv.verify.claims import check_document
from symconv.verify.values import Budget

KNOWN = "lhs: unknown name"
CONV_NAMES = (
    "A, J_A, J_K, K, Z, a, beta, groups, h_a, h_k, h_p, h_s, h_z, k, p_bottom, p_left, p_right, p_top, "
    "w_a, w_k, w_p, w_s, w_z, z"
)
FUNCTIONS = (
    "Max, Min, argmax, ceil, col2im, conv, crop, diag, diff, dilate, exp, eye, flat, floor, grad, hadamard, "
    "heaviside, hstack, hstack_for, im2col, indicator, kron, log, mask, max, min, ones, pad, relu, reshape, rot180, "
    "selected, shape, sigmoid, sign, stack_for, subs, sum_entries, sum_for, switches, tanh, trace, transpose, unit, "
    "uses, vec, vstack, vstack_for, where, window, zeros"
)
TOO_LARGE = "the claim is too large to decide exactly (its expansion is too big); split it into smaller claims"

HOSTILE = [
    ("__import__('os').system('touch /tmp/pwned')", "lhs: only named functions can be called, e.g. diff(y, x)"),
    ("__import__('os')", "lhs: names starting with '_' are not allowed ('__import__')"),
    ("().__class__.__bases__[0].__subclasses__()", "lhs: only named functions can be called, e.g. diff(y, x)"),
    ("a.__class__", "lhs: attribute access ('.') is not allowed"),
    ("A.T", "lhs: attribute access ('.') is not allowed"),
    ("__builtins__", "lhs: names starting with '_' are not allowed ('__builtins__')"),
    ("_", "lhs: names starting with '_' are not allowed ('_')"),
    ("lambda: 1", "lhs: lambda is not allowed"),
    ("(lambda x: x)(1)", "lhs: only named functions can be called, e.g. diff(y, x)"),
    ("[x for x in (1, 2)]", "lhs: comprehensions are not allowed; use sum_for, hstack_for or vstack_for"),
    ("sum(x for x in (1, 2))", "lhs: comprehensions are not allowed; use sum_for, hstack_for or vstack_for"),
    ("{x: 1 for x in (1,)}", "lhs: comprehensions are not allowed; use sum_for, hstack_for or vstack_for"),
    ("9**9**9", "lhs: exponent 387420489 is larger than 64 in absolute value"),
    ("2**64**64", "lhs: exponent with 116 digits is larger than 64 in absolute value"),
    ("(a[1,1] + a[1,2])**17", "lhs: exponent 17 is larger than 16 in absolute value"),
    ("(" * 100 + "1" + ")" * 100, "lhs: brackets are nested 100 deep; the limit is 40"),
    ("-" * 5000 + "1", "lhs: is too long or too deeply nested to read"),
    ("x" * 1_000_000, "lhs: is 1000000 characters long; the limit is 20000"),
    ("open('/etc/passwd')", "lhs: only numbers are allowed as constants, got str '/etc/passwd'"),
    ("eval(1)", f"lhs: unknown function 'eval'; functions: {FUNCTIONS}"),
    ("globals", f"{KNOWN} 'globals'; this conv2d layer knows: {CONV_NAMES}"),
    ("a[1,1] if 1 else 2", "lhs: 'if ... else' is not allowed"),
    (
        "1 < 2",
        "lhs: a side is a comparison; comparisons are read inside indicator(...) and where(...) "
        "(LaTeX: \\mathbb{1}[...], [...], cases), e.g. indicator(z[1,1] > 0)",
    ),
    ("1 and 2", "lhs: 'and' / 'or' must be a comparison such as z > 0 or a == b, got a scalar"),
    ("not 1", "lhs: 'not' must be a comparison such as z > 0 or a == b, got a scalar"),
    ("'full'", 'lhs: the string "full" is read only as a padding: conv(X, Y, padding="full")'),
    ("conv(A, beta, padding='x')", "lhs: only numbers are allowed as constants, got str 'x'"),
    ("a is 1", "lhs: 'is' is not allowed; compare with == inside indicator(...)"),
    ("~1", "lhs: '~' is not allowed"),
    ("1 << 2", "lhs: shift operators are not allowed"),
    ("f'{1}'", "lhs: strings are not allowed"),
    ("b'x'", "lhs: only numbers are allowed as constants, got bytes \"b'x'\""),
    ("None", "lhs: only numbers are allowed as constants, got NoneType 'None'"),
    ("True", "lhs: only numbers are allowed as constants, got bool 'True'"),
    ("1j", "lhs: only numbers are allowed as constants, got complex '1j'"),
    ("{1: 2}", "lhs: dictionaries are not allowed"),
    ("{1}", "lhs: sets are not allowed"),
    ("(x := 1)", "lhs: ':=' is not allowed"),
    ("*a", "lhs: cannot be read: invalid syntax at column 1"),
    ("diff(*[a])", "lhs: '*' unpacking is not allowed"),
    ("ones(**{})", "lhs: '**' unpacking is not allowed"),
    ("1e400", "lhs: the number 1e400 is not a finite number of at most 40 digits"),
    ("1e-5000", "lhs: the number 1e-5000 is not a finite number of at most 40 digits"),
    ("1" * 41, "lhs: numbers may have at most 40 digits"),
    ("ones(100000, 100000)", "lhs: a 100000x100000 matrix is larger than the limit of 10000 entries"),
    ("ones(10**6, 1)", "lhs: a 1000000x1 matrix is larger than the limit of 10000 entries"),
    ("sum_for(i, 1, 10**9, i)", "lhs: sum_for would run 1000000000 times; the limit is 1000"),
    ("sum_for(a, 1, 2, 1)", "lhs: the loop variable 'a' is already a name; choose another one"),
    (
        "sum_for(i, 1, 1000, sum_for(j, 1, 1000, sum_for(m, 1, 1000, 1)))",
        "lhs: the claim needs more than 2000000 steps of work (sum_for turns); split it into smaller claims",
    ),
    ("Max(" + ", ".join(["a[1,1]"] * 300) + ")", "lhs: Max/Min take at most 256 arguments"),
    ("1/0", "lhs: division by zero"),
    ("a[0, 0]", "lhs: index 0 is out of range 1..3 for index 2 of A"),
    ("[[1, 2], [3]]", "lhs: the rows of a matrix must all have the same, non-zero length"),
    ("[[[1]]]", "lhs: matrices are nested only two levels deep: [[row 1], [row 2], ...]"),
    ("[]", "lhs: an empty list is not a matrix"),
    ("shape", "lhs: shape is a function: call it, e.g. shape(X): its dimensions, e.g. (4, 3)"),
    (
        "diff(A, A)",
        "lhs: diff of a 3x4 matrix by a 3x4 matrix is not defined (a matrix by a matrix); "
        "vectorise both sides: diff(vec(Y), vec(X))",
    ),
    (
        "diff(z[1,1], 2*a[1,1])",
        "lhs: the second argument of diff must be a variable (an entry such as a[2,3]), got 2*a_{11}",
    ),
    ("conv(A, beta, padding=-1)", "lhs: padding: must be an integer >= 0, got -1"),
    ("conv(A, ones(9, 9))", "lhs: conv: 9x9 is larger than the padded input 3x4, so the output would be empty"),
    ("ones(2, 2, color=1)", "lhs: ones has no keyword 'color': ones(m, n): the seed's 1_(m, n)"),
    ("", "lhs: is empty"),
    ("\x00", "lhs: cannot be read: source code string cannot contain null bytes"),
]


@contextlib.contextmanager
def refuse_execution() -> Iterator[None]:
    """Make every way of running code or touching files fail loudly while claims are checked."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"user text reached an executing function: {args[:1]!r}")

    real_compile = builtins.compile

    def only_ast(source: Any, filename: Any, mode: str, flags: int = 0, *args: Any, **kwargs: Any) -> Any:
        if not flags & ast.PyCF_ONLY_AST:
            refuse(source)
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    with contextlib.ExitStack() as stack:
        for target, name, repl in (
            (builtins, "eval", refuse),
            (builtins, "exec", refuse),
            (builtins, "open", refuse),
            (builtins, "compile", only_ast),
            (os, "system", refuse),
            (subprocess, "Popen", refuse),
            (sympy.parsing.sympy_parser, "parse_expr", refuse),
        ):
            stack.enter_context(mock.patch.object(target, name, repl))
        yield


def _check(texts: list[str], latex: bool = False) -> list[Any]:
    claims = [{"id": f"c{n}", "lhs": t, "rhs": "1", "latex": latex} for n, t in enumerate(texts)]
    with refuse_execution():
        return list(verify_document({"layer": APPENDIX_A, "claims": claims}).results)


def test_hostile_expressions_are_refused_with_their_message() -> None:
    results = _check([t for t, _ in HOSTILE])
    for (text, message), r in zip(HOSTILE, results, strict=True):
        assert r.status == "invalid", text[:60]
        assert r.message == message, text[:60]
        assert r.work <= Budget().limit + 1_000  # the caps stopped it


def test_a_huge_polynomial_is_invalid_not_sampled() -> None:
    (r,) = _check(["(a[1,1]+a[1,2]+a[1,3]+a[1,4]+a[2,1]+a[2,2]+a[2,3]+a[2,4]+a[3,1]+a[3,2])**16"])
    assert r.status == "invalid"
    assert r.message == TOO_LARGE


def test_hostile_latex_is_refused() -> None:
    texts = [
        r"\input{/etc/passwd}",
        r"\immediate\write18{rm -rf /}",
        r"\def\a{\a}\a",
        r"\catcode`\^^=7",
        r"\csname input\endcsname{/etc/passwd}",
        r"\newcommand{\x}{\input{/etc/passwd}}\x",
        r"\makeatletter\@@input /etc/passwd",
        r"\begin{bmatrix}" + " & ".join(["1"] * 3000) + r"\end{bmatrix}",
        "(" * 500 + ")" * 500,
        "a_{11}" * 2000,
    ]
    results = _check(texts, latex=True)
    messages = [r.message for r in results]
    assert messages[:7] == [
        r"lhs: the LaTeX command \input is not allowed in claims (it could read files or redefine TeX)",
        r"lhs: the LaTeX command \immediate is not allowed in claims (it could read files or redefine TeX)",
        r"lhs: the LaTeX command \def is not allowed in claims (it could read files or redefine TeX)",
        r"lhs: the LaTeX command \catcode is not allowed in claims (it could read files or redefine TeX)",
        r"lhs: the LaTeX command \csname is not allowed in claims (it could read files or redefine TeX)",
        r"lhs: the LaTeX command \newcommand is not allowed in claims (it could read files or redefine TeX)",
        r"lhs: the LaTeX command \makeatletter is not allowed in claims (it could read files or redefine TeX)",
    ]
    assert messages[7] == f"lhs: is {len(texts[7])} characters long; the limit for LaTeX is 5000"
    assert messages[8] == "lhs: the LaTeX is nested more than 30 levels deep"
    assert messages[9] == "lhs: is 12000 characters long; the limit for LaTeX is 5000"
    assert all(r.status == "invalid" for r in results)


def test_a_large_latex_side_hits_the_lark_cap() -> None:
    text = " + ".join(["a_{11}"] * 400)  # within the text and token caps, too long for one lark call
    (r,) = _check([text], latex=True)
    assert r.status == "invalid"
    assert (
        r.message == "lhs: this LaTeX is too long for the LaTeX reader; split the claim or use the expression language"
    )


# -- fuzzing -------------------------------------------------------------------------------
_PY_TOKENS = (
    "a z beta A Z J_K J_A h_a w_z [ ] ( ) , 1 2 3 0 + - * / ** @ // % : . _ __ diff vec conv ones shape Max sum_for i "
    "lambda import os 'x' = == if else for in not { } 9 **9 padding="
).split()
_TEX_TOKENS = (
    r"a_{32} A_{23} \beta_{21} \beta \mathbf{Z} z_{11} \frac { } \partial d ( ) + - * \cdot ^ _ 2 3 \begin{bmatrix} "
    r"\end{bmatrix} & \\ \max \{ \} , \lfloor \rfloor \left \right \input \def x {}_v \top \text{vec} h_a % # $"
).split()


FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _run_one(text: str, latex: bool) -> None:
    (r,) = _check([text], latex=latex)
    assert r.status in ("holds", "fails", "invalid")
    if r.status == "invalid":
        assert r.message and "\n" not in r.message
    assert r.work <= Budget().limit + 1_000


@FUZZ
@given(st.lists(st.sampled_from(_PY_TOKENS), min_size=1, max_size=30).map(" ".join))
def test_fuzz_expressions(text: str) -> None:
    _run_one(text, latex=False)


@FUZZ
@given(st.lists(st.sampled_from(_TEX_TOKENS), min_size=1, max_size=25).map(" ".join))
def test_fuzz_latex(text: str) -> None:
    _run_one(text, latex=True)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_fuzz_arbitrary_text(text: str) -> None:
    _run_one(text, latex=False)
    _run_one(text, latex=True)


def test_the_guard_itself_catches_execution() -> None:
    """The guard above is able to fail: with it in place, eval and file access raise."""
    with refuse_execution(), pytest.raises(AssertionError, match="executing function"):
        eval("1")
    with refuse_execution(), pytest.raises(AssertionError, match="executing function"):
        open("/etc/hostname")


# -- work budgets: every operation is charged by its cost before it runs --------------------
def _work(what: str) -> str:
    return f"lhs: the claim needs more than 2000000 steps of work ({what}); split it into smaller claims"


_MAX_100 = "Max(" + ", ".join(f"{k}*a[{p},{q}]" for k in range(1, 10) for p in (1, 2, 3) for q in (1, 2, 3, 4))
BOUNDED = [
    ("floor(exp(10**39))", "lhs: floor and ceil take numbers below 2**4096 in absolute value"),
    ("ceil(-exp(exp(100)))", "lhs: floor and ceil take numbers below 2**4096 in absolute value"),
    ("sum_for(j, 1, 1000, ones(100, 100))", _work("a 100x100 matrix")),
    ("J_A**16", _work("the product of a 12x12 matrix and a 12x12 matrix")),
    (" @ ".join(["J_A"] * 16), _work("the product of a 12x12 matrix and a 12x12 matrix")),
    (", ".join(_MAX_100.split(", ")[:100]) + ")", _work("Max/Min of 100 entries")),
    ("rot180(" * 30 + "ones(100, 100)" + ")" * 30, _work("a 100x100 matrix")),
    ("dilate(A, 10**6)", "lhs: a 2000001x3000001 matrix is larger than the limit of 10000 entries"),
    ("dilate(ones(100, 100), (100, 1))", "lhs: a 9901x100 matrix is larger than the limit of 10000 entries"),
    ("crop(A, (1, 4), (1, 1))", "lhs: crop: rows 1..4 are not inside 1..3 of a 3x4 matrix"),
    ("crop(A, (2, 1), (1, 1))", "lhs: crop: rows 2..1 are not inside 1..3 of a 3x4 matrix"),
    ("rot180(ones(10**4, 10**4))", "lhs: a 10000x10000 matrix is larger than the limit of 10000 entries"),
    ("pad(A, 10**9)", "lhs: a 2000000003x2000000004 matrix is larger than the limit of 10000 entries"),
    (
        "conv(A, beta, dilation=10**9)",
        "lhs: conv: 2x2 (dilated to 1000000001x1000000001) is larger than the padded input 3x4, "
        "so the output would be empty",
    ),
]


@pytest.mark.slow(reason="each costly claim runs up to its budget before it is refused: 3-6 s")
def test_costly_claims_are_refused_by_their_cost() -> None:
    """Each case (issue 11's list and the new functions) is refused with one line naming
    the limit; the work count shows it stopped at the budget, not after the work."""
    results = _check([t for t, _ in BOUNDED])
    for (text, message), r in zip(BOUNDED, results, strict=True):
        assert r.status == "invalid", text[:60]
        assert r.message == message, text[:60]
        assert "\n" not in r.message
        assert r.work <= Budget().limit, text[:60]


def test_wall_clock_limits_of_a_claim_and_a_file() -> None:
    with Budget(seconds=0).active() as budget, pytest.raises(Exception, match="its time limit of 0 s"):
        budget.spend()
    doc = {"layer": APPENDIX_A, "claims": [{"id": f"c{n}", "lhs": "z[1,1]", "rhs": "z[1,1]"} for n in range(3)]}
    report = check_document(doc, seconds=0)
    assert [r.status for r in report.results] == ["invalid"] * 3
    assert {r.message for r in report.results} == {"lhs: not checked: the file's time limit of 0 s was reached"}
    assert check_document(doc).exit_code == 0


def test_huge_symbols_table_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(
        '[layer]\ntype = "relu"\ninput = [2, 2]\n[symbols]\nG = [100000, 100000]\n'
        '[[claims]]\nid = "x"\nlhs = "1"\nrhs = "1"\n',
        encoding="utf-8",
    )
    assert main(["verify", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "symconv: error: symbols.G: has more than 10000 entries; the limit for one symbol is 10000\n"


NEW_BOUNDS = [
    (r"\sum_{i=1}^{100000} a_{11}", True, {}, r"lhs: a \sum from 1 to 100000 has more than 1000 terms"),
    (
        "a_{" + "+".join(["1"] * 40) + ",1}",
        True,
        {},
        "lhs: the subscript {1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+} is longer than 60 tokens; "
        "write a shorter index ([define] its pieces)",
    ),
    (
        "kron(ones(100, 100), ones(100, 100))",
        False,
        {},
        "lhs: a 10000x10000 matrix is larger than the limit of 10000 entries",
    ),
    (
        "im2col(ones(100, 100), (1, 1), 1, 0)",
        False,
        {},
        "lhs: a 1x10000 matrix is larger than the limit of 10000 entries",
    ),
    (
        "a[m, n]",
        False,
        {"for": {"m": [1, 1000], "n": [1, 1000]}},
        "the free indices (m = 1..1000, n = 1..1000) take 1000000 values together; the limit is 4096: "
        "give smaller ranges with for = {...}",
    ),
    (
        "col2im(ones(1, 1), (1000, 1000), (1, 1), 1, 0)",
        False,
        {},
        "lhs: col2im would build more than 10000 entries; write the claim for a smaller input",
    ),
    (
        r"\operatorname{dilate}_{1000}(\mathbf{A})",
        True,
        {},
        "lhs: a 2001x3001 matrix is larger than the limit of 10000 entries",
    ),
    (
        "stack_for(i, 1, 1000, ones(10, 10))",
        False,
        {},
        "lhs: a tensor of 100000 entries is larger than the limit of 10000 entries",
    ),
]


def test_index_notation_and_the_new_operators_are_bounded() -> None:
    """Free-index grids, sums, subscripts, Kronecker products, im2col/col2im, dilations and
    stacked tensors: each refused by its cap, in one line, before the work."""
    claims = [
        {"id": f"c{n}", "lhs": t, "rhs": "1", "latex": latex, **extra}
        for n, (t, latex, extra, _) in enumerate(NEW_BOUNDS)
    ]
    with refuse_execution():
        results = verify_document({"layer": APPENDIX_A, "claims": claims}).results
    for (text, _, _, message), r in zip(NEW_BOUNDS, results, strict=True):
        assert r.status == "invalid" and r.message == message, text[:60]
        assert r.work <= Budget().limit
