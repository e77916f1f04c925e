"""Generated code for activations, flatten, dense and softmax cross-entropy (3.1.1 to 3.1.4)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ...codegen import plans as cg
from ...codegen.printer import code, tuple_text
from ...errors import require
from .rule import ActivationDerivation, DenseDerivation, FlattenDerivation, SoftmaxDerivation

_F = sp.Symbol("F", real=True)

#: cheaper forms of f' written with the forward value F = f(x); each is proved equal to
#: SymPy's derivative of f when a module is generated
CHEAPER: dict[str, sp.Expr] = {
    "sigmoid": _F * (1 - _F),
    "tanh": 1 - _F**2,
}


def _proved_derivative(d: ActivationDerivation) -> tuple[str, bool]:
    """``f'`` as code in ``Z`` (the input) or, when a cheaper form in ``F = f(Z)`` exists,
    that form after SymPy shows it equals the core's ``ActivationDerivation.derivative``."""
    (x,) = d.derivative.variables
    exact = d.derivative.expr
    cheap = CHEAPER.get(d.kind)
    if cheap is None:
        return code(exact, {x: "Z"}), False
    difference = sp.simplify(cheap.xreplace({_F: d.f.expr}) - exact)
    require(difference == 0, f"the cheaper derivative of {d.kind} is not f': {difference}")
    return code(cheap, {_F: "F"}), True


def plan_activation(d: ActivationDerivation, names: cg.Names) -> cg.Block:
    """3.1.4: ``I = f(Z)`` entrywise; ``d vI_j / d vZ_j = diag(f'(z_{j,pq}))``.  The core's
    Jacobian must be diagonal with entry ``k`` equal to ``f'(z_k)``."""
    jac = d.jacobian("Z", j=0)
    n = d.per_channel
    require(np.array_equal(jac.rows, np.arange(n)) and np.array_equal(jac.cols, np.arange(n)), "not diagonal")
    (x,) = d.derivative.variables
    z0 = d.input.flat[0]
    require(sp.simplify(jac[0, 0] - d.derivative.expr.xreplace({x: z0})) == 0, "diagonal entry is not f'(z)")
    derivative, uses_forward = _proved_derivative(d)
    (fx,) = d.f.variables
    shape = d.spec.in_shape
    entries, fits = cg.jacobian_size([(n, n)], 1)
    context = {
        "fn": names.fn,
        "c": names.const,
        "constants": [],
        "kind": d.kind,
        "forward_code": code(d.f.expr, {fx: "Z"}),
        "derivative_code": derivative,
        "derivative_uses_forward": uses_forward,
        "derivative_text": str(d.derivative.expr).replace(str(x), "z"),
        "in_shape": cg.shape_text(shape),
        "channels": d.channels,
        "per_channel": n,
        "image": len(shape) >= 2,
        "fits": fits,
        "jacobian_entries": entries,
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    return cg.Block(
        "activation.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g", names.x_in)),
    )


def plan_flatten(d: FlattenDerivation, names: cg.Names) -> cg.Block:
    """3.1.2: ``B = [vec(A_1); ...; vec(A_c)]``.  ``B`` shares its symbols with ``A`` in the
    core, so position ``m`` of ``B`` is the input entry at vec position ``m``; the generated
    ``A.transpose(0, 1, 3, 2).reshape(N, -1)`` is checked to give that order, and
    ``dB/d vA`` must be the identity."""
    shape = d.spec.in_shape
    size = math.prod(shape)
    jac = d.jacobian("A")
    require(np.array_equal(jac.rows, jac.cols) and jac.nnz == size, "dB/dvA is not the identity")
    require(d.output.flat == d.input.flat, "B is not the stacked channel vecs of A")
    labels = np.arange(size).reshape(shape)  # C-order position of each entry
    # per example: the channel, then the other axes reversed (the first fastest), read row-major
    axes = (0, *range(len(shape) - 1, 0, -1))
    require(np.array_equal(labels.transpose(axes).reshape(-1), d.input.vec_order(labels)), "flatten order")
    entries, fits = cg.jacobian_size([(size, size)], 1)
    context = {
        "fn": names.fn,
        "c": names.const,
        "constants": [],
        "in_shape": cg.shape_text(shape),
        "axes": tuple_text((0, *(a + 1 for a in axes))),
        "unaxes": tuple_text((0, *(int(a) + 1 for a in np.argsort(axes)))),
        "swapped": cg.shape_text(tuple(shape[a] for a in axes)),
        "size": size,
        "fits": fits,
        "jacobian_entries": entries,
        "spec": d.spec,
    }
    return cg.Block(
        "flatten.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g",)),
    )


def plan_dense(d: DenseDerivation, names: cg.Names) -> cg.Block:
    """3.1.1: ``Z = W^T B + b``.  The core's ``dZ/dB`` must hold ``w_{ik}`` at row ``k``,
    column ``i`` (so a batch computes ``B @ W``), and ``dZ/d vec(W)`` the entry ``B_i``."""
    n_in, n_out = d.n_in, d.n_out
    jac_b = d.jacobian("B")
    expected = np.array([d.weights.flat_index(int(i), int(k)) for k, i in zip(jac_b.rows, jac_b.cols, strict=True)])
    require(np.array_equal(jac_b.ids, expected), "dZ/dB is not W^T")
    jac_w = d.jacobian("W")
    require(
        np.array_equal(jac_w.ids, jac_w.cols % n_in) and np.array_equal(jac_w.cols // n_in, jac_w.rows),
        "dZ/d vec(W) is not B in block k",
    )
    bias = d.bias is not None
    entries, small = cg.jacobian_size([(n_out, n_in * n_out)], 1)
    w, b = names.param("W"), names.param("b")
    c = names.const
    context = {
        "fn": names.fn,
        "c": c,
        "constants": cg.constants([("N_IN", str(n_in)), ("N_OUT", str(n_out))]),
        "n_in": n_in,
        "bias": bias,
        "tables": cg.index_tables(
            c,
            small,
            jac_w.nnz,
            {
                "JAC_B_ROWS": jac_b.rows,
                "JAC_B_COLS": jac_b.cols,
                "JAC_B_IDS": jac_b.ids,
                "JAC_W_ROWS": jac_w.rows,
                "JAC_W_COLS": jac_w.cols,
                "JAC_W_IDS": jac_w.ids,
            },
        ),
        "jacobian_entries": entries,
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    fwd_args = (names.x_in, w, b) if bias else (names.x_in, w)
    bwd_outs = ("g", names.grad("W"), names.grad("b")) if bias else ("g", names.grad("W"))
    return cg.Block(
        "dense.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", fwd_args),
        cg.Call(bwd_outs, f"{names.fn}backward", ("g", names.x_in, w)),
        params={"W": names.keys.get("W", "W"), **({"b": names.keys.get("b", "b")} if bias else {})},
    )


def plan_softmax(d: SoftmaxDerivation, names: cg.Names) -> cg.Block:
    """3.1.1: ``a = softmax(z)``, ``J = -sum_k y_k log a_k``.  Generation checks with SymPy
    that the core's chain ``dJ/dA dA/dZ`` is ``(a - y)^T`` for every one-hot ``y``, and that
    the shifted forms the code uses (``z - max z``, log-sum-exp) are the same functions."""
    n = d.n
    chain = d.jacobian("Z").rmul_symbolic(d.loss_gradient())
    a, y = d.output.flat, d.labels.flat
    for k in range(n):
        onehot = {y[m]: (1 if m == k else 0) for m in range(n)}
        for m in range(n):
            got = sp.expand(sp.cancel(chain[m].xreplace(onehot)))
            require(got == a[m] - (1 if m == k else 0), f"dJ/dz_{m + 1} for class {k + 1}: {got}")
    z = d.input.flat
    shift = sp.Symbol("m", real=True)
    total = sp.Add(*[sp.exp(zj) for zj in z])
    shifted = sp.exp(z[0] - shift) / sp.Add(*[sp.exp(zj - shift) for zj in z])
    # exp(a - b) = exp(a) exp(-b), then a rational function of the exponentials: exact, and
    # 30 times faster than simplify
    apart = sp.cancel(sp.expand(shifted - d.softmax[0], power_exp=True, mul=False, multinomial=False))
    require(apart == 0, "the shifted softmax differs")
    logsumexp = shift + sp.log(sp.Add(*[sp.exp(zj - shift) for zj in z]))
    require(sp.expand(sp.expand(sp.exp(logsumexp)) - total, power_exp=True) == 0, "log-sum-exp differs")
    loss = sp.expand_log(-sp.log(d.softmax[0]), force=True)
    require(sp.expand(loss - (sp.log(total) - z[0])) == 0, "-log a_k is not log-sum-exp minus z_k")
    context = {"fn": names.fn, "c": names.const, "constants": [], "classes": n, "last_class": n - 1, "spec": d.spec}
    return cg.Block(
        "softmax.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", (names.x_out, "labels")),
        loss=cg.Call(("J",), f"{names.fn}loss", (names.x_in, "labels")),
    )


PLANS = {
    "relu": plan_activation,
    "sigmoid": plan_activation,
    "tanh": plan_activation,
    "flatten": plan_flatten,
    "dense": plan_dense,
    "softmax_cross_entropy": plan_softmax,
}
