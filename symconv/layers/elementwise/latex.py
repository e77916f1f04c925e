"""Activation (3.1.4), flatten (3.1.2), fully-connected and softmax cross-entropy
(3.1.1) layers' document data."""

from __future__ import annotations

import math
from typing import Any

import sympy as sp

from ...latex import common
from ...latex.layout import FRACTIONS, LINE, Line, aligned_row, chunks, column, matrix, row, row_room
from ...latex.notation import dfrac_partial, dims, frac_d, frac_partial, is_vector, mat, space, vname
from ...latex.printer import join_sum, product, short_sum, tex
from ..kind import LatexKind
from .rule import ActivationDerivation, DenseDerivation, FlattenDerivation, SoftmaxDerivation

#: terms of a dense layer's sum shown before eliding
DENSE_TERMS = 4
#: terms of the worked entry of a dense layer shown before eliding
WORKED_TERMS = 40


def _shape_text(shape: tuple[int, ...]) -> str:
    return space(*shape[1:]) if len(shape) == 3 and shape[0] == 1 else space(*shape)


def activation_context(d: ActivationDerivation) -> dict[str, Any]:
    """``I = f(Z)``; ``d vI_j / d vZ_j = diag(f'(z_{j,pq}))`` (3.1.4)."""
    x = d.f.variables[0]
    image = not is_vector(d.input)
    j = 0
    lead = (j,) if image else ()
    z, i = mat(d.input, *lead), mat(d.output, *lead)
    vz, vi = vname(d.input, *lead), vname(d.output, *lead)
    jac = d.jacobian("Z", j=j)
    n = jac.shape[0]
    k = n // 2
    ins = d.input.vec(*lead) if image else d.input.flat
    outs = d.output.vec(*lead) if image else d.output.flat

    def diag(r: int, c: int) -> str:
        return f"f'({tex(ins[r])})" if r == c else "0"

    shown: list[int | None] = []
    operators = common.Mapped(ins, lambda s: dfrac_partial("", tex(s)))
    partials = matrix(
        lambda r, c: dfrac_partial(tex(outs[r]), tex(ins[c])),
        (n, n),
        keep_rows=[k],
        keep_cols=[k],
        rows=8,
        budget=LINE - 40,
        gap=FRACTIONS,
        shown=shown,
        above=[(operators, row_room(frac_d(vi, vz), f" \\otimes {vi}"))],
    )
    lines = [
        *aligned_row(frac_d(vi, vz), operators, shown, suffix=f" \\otimes {vi}"),
        Line("", "= " + partials),
        Line("", "= " + matrix(diag, (n, n), keep_rows=[k], keep_cols=[k], rows=10, budget=LINE - 40)),
    ]
    worked = [
        Line(
            frac_partial(tex(outs[k]), tex(ins[k])),
            f"= f'({tex(ins[k])}) = {tex(jac[k, k])}",
        ),
        Line(
            frac_partial(tex(outs[k]), f"{tex(ins[(k + 1) % n])}") if n > 1 else "",
            "= 0" if n > 1 else "",
        ),
    ]
    if n == 1:
        worked = worked[:1]
    s = common.sized
    many = image and d.channels > 1
    zj, ij = vname(d.input, *(("j",) if many else ()), show=many), vname(d.output, *(("j",) if many else ()), show=many)
    chain = [Line(s(frac_d("J", zj), 1, n), "= " + s(frac_d("J", ij), 1, n) + s(frac_d(ij, zj), n, n))]
    if many:
        stacked = column([frac_d("J", vname(d.input, c, show=True)) for c in range(d.channels)], rows=4)
        chain.append(Line(s(frac_d("J", vname(d.input, show=False)), d.channels, n), "= " + stacked))
    return {
        "name": d.kind,
        "Z": z,
        "I": i,
        "vZ": vz,
        "vI": vi,
        "Z_all": mat(d.input, show=False),
        "I_all": mat(d.output, show=False),
        "Z_space": _shape_text(d.spec.in_shape),
        "image": image,
        "many": many,
        "c": d.channels,
        "n": n,
        "f": tex(d.f.expr),
        "df": tex(d.derivative.expr),
        "x": tex(x),
        "jacobian": lines,
        "worked": worked,
        "chain": chain,
        "summary": [
            Line(i, f"= f({z}), \\quad f({tex(x)}) = {tex(d.f.expr)}"),
            Line(frac_d(vi, vz), "= " + matrix(diag, (n, n), keep_rows=[k], keep_cols=[k], rows=6, budget=300)),
        ],
    }


def flatten_context(d: FlattenDerivation) -> dict[str, Any]:
    """``B = [vec(A_1); ...; vec(A_c)]`` and the reshape of ``dJ/dB`` (3.1.2)."""
    c, *size = d.spec.in_shape
    hw = math.prod(size)
    n = c * hw
    b = mat(d.output)
    jac = d.jacobian()
    flat = d.input.flat
    stacked = column([f"\\operatorname{{vec}}\\left({mat(d.input, j, show=True)}\\right)" for j in range(c)], rows=6)
    entries = column([tex(s) for s in flat], rows=14)
    partial_row = row([dfrac_partial("J", tex(s)) for s in flat], budget=LINE - 60)
    grid = matrix(
        lambda r, col: dfrac_partial("J", tex(flat[r * hw + col])),
        (c, hw),
        rows=8,
        budget=LINE - 60,
        gap=FRACTIONS,
    )
    s = common.sized
    return {
        "A_all": mat(d.input, show=False),
        "B": b,
        "c": c,
        "sizes": " \\cdot ".join(str(x) for x in (c, *size)),
        "n": n,
        "hw": hw,
        "A_space": space(c, *size),
        "forward": [Line(b, f"= {stacked} = {entries}")],
        "jacobian": [
            Line(frac_d(b, vname(d.input, show=False)), f"= \\mathbf{{I}}_{{{n}}} = " + common.jac_matrix(jac, rows=8))
        ],
        "reshape": [
            Line(s(frac_d("J", b), 1, n), "= " + partial_row),
            Line(s(frac_d("J", vname(d.input, show=False)), c, hw), "= " + grid),
        ],
        "summary": [
            Line(b, f"= {stacked}"),
            Line(frac_d("J", vname(d.input, show=False)), "= " + grid),
        ],
    }


def dense_context(d: DenseDerivation) -> dict[str, Any]:
    """``Z = W^T B + b`` and 3.1.1's three derivatives."""
    n_in, n_out = d.n_in, d.n_out
    b_in, z, w = mat(d.input), mat(d.output), mat(d.weights)
    bias = mat(d.bias) if d.bias is not None else ""
    ins = d.input.flat
    k0 = n_out // 2

    def entry(k: int) -> str:
        terms = [product(d.W[i, k], ins[i]) for i in range(n_in)]
        text = short_sum(terms, DENSE_TERMS)
        return f"{text} + {tex(d.bias.flat[k])}" if d.bias is not None else text

    zs = column([entry(k) for k in range(n_out)], keep=[k0], rows=10)
    every = [product(d.W[i, k0], ins[i]) for i in range(n_in)] + ([tex(d.bias.flat[k0])] if d.bias else [])
    if len(every) > WORKED_TERMS:  # very long: the first terms, the dots, the last ones
        every = [*every[: WORKED_TERMS - 3], "\\cdots", *every[-2:]]
    parts = chunks(every, LINE - 80)
    worked = [
        Line(tex(d.output.flat[k0]) if n == 0 else "", ("= " if n == 0 else "\\quad + ") + join_sum(part))
        for n, part in enumerate(parts)
    ]
    s = common.sized
    dz = frac_d("J", z)
    lines = {
        "forward": [
            Line(z, f"= ({w})^\\top {b_in}" + (f" + {bias}" if bias else "") + f" = {zs}"),
        ],
        "worked": worked,
        "W_lines": [Line(w, "= " + common.sym_matrix(d.W, rows=10, budget=LINE - 60))],
        "jac_B": [
            Line(frac_d(z, b_in), f"= ({w})^\\top = " + common.jac_matrix(d.jacobian("B"), rows=10, budget=LINE - 80))
        ],
        "jac_W": [
            Line(
                frac_d(z, f"\\operatorname{{vec}}({w})"),
                "= " + common.jac_matrix(d.jacobian("W"), rows=10, budget=LINE - 100),
            )
        ],
        "jac_b": [Line(frac_d(z, bias), f"= \\mathbf{{I}}_{{{n_out}}}")] if bias else [],
        "chain": [
            Line(
                s(frac_d("J", w), n_out, n_in),
                "= " + s(f"\\left({dz}\\right)^\\top", n_out, 1) + s(f"({b_in})^\\top", 1, n_in),
            ),
            *([Line(s(frac_d("J", bias), 1, n_out), "= " + s(dz, 1, n_out))] if bias else []),
            Line(s(frac_d("J", b_in), 1, n_in), "= " + s(dz, 1, n_out) + s(f"({w})^\\top", n_out, n_in)),
        ],
    }
    return {
        "B": b_in,
        "Z": z,
        "W": w,
        "b": bias,
        "n_in": n_in,
        "n_out": n_out,
        "W_space": space(n_in, n_out),
        **lines,
        "summary": [
            *lines["forward"],
            Line(frac_d(z, b_in), f"= ({w})^\\top = " + common.jac_matrix(d.jacobian("B"), rows=6, budget=300)),
        ],
    }


def softmax_context(d: SoftmaxDerivation) -> dict[str, Any]:
    """``a = softmax(z)``, ``J = -sum y_k log a_k`` and ``dJ/dZ = (a - y)^T`` (3.1.1)."""
    n = d.n
    z, a = mat(d.input), mat(d.output)
    k = 0
    jac = d.jacobian()
    s = common.sized
    grad = d.loss_gradient()
    a_flat = d.output.flat
    da = row([tex(g) for g in grad], budget=LINE - 80)
    # the chain rule on the core's objects: dJ/dA times the softmax Jacobian, entry by entry
    product_row = [sp.collect(sp.expand(e), a_flat[m]) for m, e in enumerate(jac.rmul_symbolic(grad))]
    dj_dz = row([tex(e) for e in product_row], budget=LINE - 120)
    num, den = sp.fraction(d.softmax[k])
    exps = _ordered(den, d.input.flat)
    loss_terms = _ordered(d.loss(), d.labels.flat)
    lines = {
        "forward": [
            Line(tex(a_flat[k]), f"= \\frac{{{tex(num)}}}{{{short_sum([tex(t) for t in exps], 4)}}}"),
            Line("J", f"= {short_sum([tex(t) for t in loss_terms], 4)}"),
        ],
        "dJ_dA": [Line(s(frac_d("J", a), 1, n), f"= {da}")],
        "dA_dZ": [Line(s(frac_d(a, z), n, n), "= " + common.jac_matrix(jac, rows=8, budget=LINE - 60))],
        "dJ_dZ": [
            Line(s(frac_d("J", z), 1, n), "= " + s(frac_d("J", a), 1, n) + s(frac_d(a, z), n, n)),
            Line("", f"= {dj_dz}"),
            Line("", f"= ({a} - \\mathbf{{y}})^\\top \\qquad \\text{{for a one-hot }} \\mathbf{{y}}"),
        ],
    }
    return {
        "Z": z,
        "A": a,
        "n": n,
        "k": k + 1,
        **lines,
        "summary": [*lines["forward"], Line(frac_d("J", z), f"= ({a} - \\mathbf{{y}})^\\top")],
        "dims": dims(n, n),
    }


def _ordered(expr: sp.Expr, symbols: list[sp.Symbol]) -> list[sp.Expr]:
    """The terms of a sum in the order of the symbols they hold (``y_1`` before ``y_2``),
    not SymPy's printing order, which puts ``y_10`` before ``y_2``."""
    terms = list(sp.Add.make_args(expr))
    rank = {s: n for n, s in enumerate(symbols)}
    return sorted(terms, key=lambda t: min((rank[s] for s in t.free_symbols if s in rank), default=len(rank)))


# -- the kinds' documents --------------------------------------------------------------------


def _title(name: str) -> Any:
    def title(d: Any) -> str:
        shape = " \\times ".join(str(n) for n in d.spec.in_shape)
        return f"{name}: ${shape}$ input"

    return title


def _activation_forward(function: str) -> Any:
    def forward(d: ActivationDerivation) -> Line:
        return Line(mat(d.output, show=False), f"= {function}\\left({mat(d.input, show=False)}\\right)", "entrywise")

    return forward


def _flatten_forward(d: FlattenDerivation) -> Line:
    vecs = [f"\\operatorname{{vec}}\\left({mat(d.input, k, show=True)}\\right)" for k in range(d.channels)]
    return Line(mat(d.output, show=False), "= " + column(vecs, rows=5))


def _dense_forward(d: DenseDerivation) -> Line:
    bias = f" + {mat(d.bias)}" if d.bias is not None else ""
    return Line(mat(d.output), f"= \\left({mat(d.weights)}\\right)^\\top {mat(d.input)}{bias}")


def _dense_gradients(d: DenseDerivation) -> list[Line]:
    w, b_in, z = mat(d.weights), mat(d.input), mat(d.output)
    lines = [
        Line(
            f"\\nabla_{{{w}}} J",
            f"= \\left({frac_d('J', w)}\\right)^\\top = "
            + common.sized(b_in, d.n_in, 1)
            + common.sized(frac_d("J", z), 1, d.n_out)
            + f" \\in \\mathbb{{R}}^{{{d.n_in} \\times {d.n_out}}}",
        )
    ]
    if d.bias is not None:
        b = mat(d.bias)
        grad = f"= \\left({frac_d('J', b)}\\right)^\\top \\in \\mathbb{{R}}^{{{d.n_out}}}"
        lines.append(Line(f"\\nabla_{{{b}}} J", grad))
    return lines


def _dense_update(d: DenseDerivation) -> list[Line]:
    w = mat(d.weights)
    lines = [Line(w, f":= {w} - \\alpha \\nabla_{{{w}}} J")]
    if d.bias is not None:
        b = mat(d.bias, show=False)
        lines.append(Line(b, f":= {b} - \\alpha \\nabla_{{{b}}} J"))
    return lines


def _softmax_forward(d: SoftmaxDerivation) -> Line:
    loss = f"J = -\\sum_{{k=1}}^{{{d.n}}} y_k \\log a_k^{{[{d.layer}]}}"
    return Line(mat(d.output), f"= \\operatorname{{softmax}}\\left({mat(d.input)}\\right), \\quad {loss}")


def _activation_latex(title: str, function: str) -> LatexKind:
    return LatexKind(
        template="activation.tex.j2",
        build=lambda d, opts, position: activation_context(d),
        title=_title(title),
        forward=_activation_forward(function),
    )


LATEX = {
    "relu": _activation_latex("A ReLU activation", "\\operatorname{relu}"),
    "sigmoid": _activation_latex("A sigmoid activation", "\\sigma"),
    "tanh": _activation_latex("A tanh activation", "\\tanh"),
    "flatten": LatexKind(
        template="flatten.tex.j2",
        build=lambda d, opts, position: flatten_context(d),
        title=_title("Flattening"),
        forward=_flatten_forward,
        backward=lambda ctx, first: list(ctx["reshape"]),
    ),
    "dense": LatexKind(
        template="dense.tex.j2",
        build=lambda d, opts, position: dense_context(d),
        title=_title("A fully-connected layer"),
        forward=_dense_forward,
        gradients=_dense_gradients,
        update=_dense_update,
    ),
    "softmax_cross_entropy": LatexKind(
        template="softmax.tex.j2",
        build=lambda d, opts, position: softmax_context(d),
        title=_title("Softmax with cross-entropy"),
        forward=_softmax_forward,
        backward=lambda ctx, first: [*ctx["dJ_dA"], *ctx["dA_dZ"], *ctx["dJ_dZ"]],
    ),
}
