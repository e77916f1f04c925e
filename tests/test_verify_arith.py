"""The fast reader of the LaTeX reader's rewritten arithmetic (symconv.verify.arith) gives
the very expression SymPy's lark parser gives, and hands everything else to lark."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy.parsing.latex import parse_latex

from symconv.verify import arith
from symconv.verify import latex as latex_reader
from symconv.verify.claims import check_document

M = r"\begin{bmatrix}Q_{%s}\end{bmatrix}"

#: texts the LaTeX reader writes for the seed audit and the LaTeX tests, one per form
#: (collected by recording what reached lark before the fast reader existed)
WRITTEN = [
    "Q_{a}",
    "Q_{a} + Q_{b}",
    "Q_{a} - Q_{b}",
    r"Q_{a} \cdot Q_{b}",
    r"Q_{a} \cdot Q_{b} + Q_{c} \cdot Q_{d}",
    r"Q_{a} + Q_{b} \cdot Q_{c} + Q_{d}",
    r"Q_{y} \cdot Q_{z} + Q_{aa} \cdot Q_{ab}",
    r"\frac{Q_{a}}{Q_{b}} + Q_{c}",
    r"\frac{Q_{a}}{Q_{b}} \cdot Q_{c}",
    r"\lfloor \frac{Q_{a} + Q_{b} \cdot Q_{c} - Q_{d}}{Q_{e}} + Q_{f} \rfloor",
    r"\lfloor (Q_{a} + Q_{b} \cdot Q_{c} - Q_{d}) / Q_{e} \rfloor + Q_{f}",
    r"\lceil \frac{Q_{a} + Q_{b} \cdot Q_{c} - Q_{d} + Q_{e}}{Q_{f}} \rceil",
    r"\max(Q_{a}, Q_{b})",
    r"\max(Q_{z}, Q_{aa}, Q_{ab})",
    rf"{M % 'a'} \cdot {M % 'b'}",
    rf"{M % 'a'} \cdot {M % 'b'} \cdot {M % 'c'}",
    # not written today, but in the forms read here
    r"- Q_{a} \cdot Q_{b} + Q_{c}",
    rf"- {M % 'a'} - {M % 'b'} + {M % 'c'}",
    rf"{M % 'a'} / Q_{{b}}",
    r"\min(Q_{a} / Q_{b}, - Q_{c})",
    r"+ Q_{a} - (Q_{b} - Q_{c})",
]

#: texts outside those forms: lark decides (here it refuses each)
REFUSED = [
    " - ",
    r" \cdot ",
    "Q_{a} + ",
    rf"{M % 'a'} \cdot  +  +  - {M % 'b'} + {M % 'c'}",
    "Q_{a} + - Q_{b}",
    r"Q_{a} \cdot - Q_{b}",
    rf"Q_{{a}} / {M % 'b'}",  # lark: cannot divide by a matrix
    rf"{M % 'a'} + Q_{{b}}",  # SymPy: a matrix and a scalar
    rf"\max({M % 'a'}, Q_{{b}})",
]


def lark(text: str) -> str:
    """``srepr`` of lark's result, or the name of its error."""
    try:
        return sp.srepr(parse_latex(text, backend="lark"))
    except Exception as err:
        return f"error {type(err).__name__}"


@pytest.mark.parametrize("text", WRITTEN)
def test_the_fast_reader_gives_larks_expression(text: str) -> None:
    fast = arith.parse(text)
    assert fast is not None  # read here, without the Earley parse
    assert sp.srepr(fast) == lark(text)


@pytest.mark.parametrize("text", REFUSED)
def test_what_lark_refuses_goes_to_lark(text: str) -> None:
    assert arith.parse(text) is None
    assert lark(text).startswith("error")


def test_texts_outside_the_forms_go_to_lark() -> None:
    """Juxtaposition, powers, numbers, other names and commands are lark's to read."""
    for text in ("Q_{a} Q_{b}", "Q_{a}^Q_{b}", "Q_{a} + 1", "x + Q_{a}", r"\sqrt{Q_{a}}", r"Q_{a}(Q_{b})", "Q_{A}"):
        assert arith.parse(text) is None, text


def _names() -> st.SearchStrategy[str]:
    return st.sampled_from("abc").map(lambda c: f"Q_{{{c}}}")


def _texts() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from([" + ", " - ", r" \cdot ", " / "]), inner).map("".join),
            st.tuples(st.sampled_from(["- ", "+ "]), inner).map("".join),
            inner.map(lambda x: f"({x})"),
            st.tuples(inner, inner).map(lambda p: rf"\frac{{{p[0]}}}{{{p[1]}}}"),
            inner.map(lambda x: rf"\lfloor {x} \rfloor"),
            inner.map(lambda x: rf"\lceil {x} \rceil"),
            st.tuples(st.sampled_from([r"\max", r"\min"]), st.lists(inner, min_size=1, max_size=3)).map(
                lambda p: f"{p[0]}({', '.join(p[1])})"
            ),
        )

    leaves = st.one_of(_names(), _names().map(lambda s: r"\begin{bmatrix}" + s + r"\end{bmatrix}"))
    return st.recursive(leaves, extend, max_leaves=6)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_texts())
def test_random_texts_read_as_lark_reads_them(text: str) -> None:
    fast = arith.parse(text)
    if fast is not None:
        assert sp.srepr(fast) == lark(text)


def test_the_seed_audits_latex_never_needs_the_earley_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every LaTeX claim of the shipped audit is read by the fast reader (so the audit stays
    quick); the verdicts are the lark reader's, which the tests above tie it to."""
    from symconv.config import read_toml
    from symconv.verify import builtin_path

    doc = read_toml(builtin_path("seed_audit").read_bytes(), "seed_audit")
    for part in doc["part"]:
        part["claims"] = [c for c in part["claims"] if c.get("latex")]
    doc["part"] = [part for part in doc["part"] if part["claims"]]
    assert sum(len(part["claims"]) for part in doc["part"]) >= 10

    def no_lark(text: str, backend: str = "") -> object:
        raise AssertionError(f"the Earley parser was asked to read {text!r}")

    monkeypatch.setattr("sympy.parsing.latex.parse_latex", no_lark)
    latex_reader._parsed.cache_clear()
    report = check_document(doc, "seed_audit")
    assert not [r.id for r in report.results if r.invalid], [r.message for r in report.results if r.invalid]
