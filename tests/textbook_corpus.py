r"""Back-propagation as course notes and textbooks write it -- index notation with free
indices, indicators, matrix forms in each layout, im2col -- each form with the verdict it
deserves, and a NumPy oracle that decides that verdict numerically on its own.

Every form is ``Form(subject, lhs, rhs, expected, oracle)``: ``expected`` is ``"holds"``,
``"fails"`` or ``"refused"`` (symconv declines to read it and says what to write instead);
``oracle`` names two NumPy functions of random arrays, the left side and the right side,
written here from the textbook definitions (finite differences of a forward pass for every
derivative, loops with zero outside for every index formula), sharing no code with
symconv.  ``tests/test_verify_textbook_corpus.py`` checks that the oracle agrees with
``expected`` and that symconv's verdict is ``expected``.  :func:`write_files` writes the
corpus as claims files (one per subject), for the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

Arrays = dict[str, Any]
Fn = Callable[[Arrays], Any]


# -- independent references (the textbook definitions, written out) ------------------------------
def at(x: np.ndarray, *idx: int) -> float:
    """``x`` at 1-based ``idx``; zero outside (the textbooks' zero padding)."""
    if all(1 <= i <= n for i, n in zip(idx, x.shape, strict=True)):
        return float(x[tuple(i - 1 for i in idx)])
    return 0.0


def correlate(x: np.ndarray, k: np.ndarray, pad: int = 0, stride: int = 1) -> np.ndarray:
    """Cross-correlation over the zero-padded input (no flip), with a stride."""
    xp = np.pad(x, pad)
    hz = (xp.shape[0] - k.shape[0]) // stride + 1
    wz = (xp.shape[1] - k.shape[1]) // stride + 1
    out = np.zeros((hz, wz))
    for p in range(hz):
        for q in range(wz):
            out[p, q] = np.sum(xp[p * stride : p * stride + k.shape[0], q * stride : q * stride + k.shape[1]] * k)
    return out


def dilate(x: np.ndarray, s: int) -> np.ndarray:
    out = np.zeros(((x.shape[0] - 1) * s + 1, (x.shape[1] - 1) * s + 1))
    out[::s, ::s] = x
    return out


def fd(f: Fn, arrays: Arrays, name: str, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f`` with respect to every entry of ``arrays[name]``."""
    x = np.array(arrays[name], dtype=float)
    out = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        out[idx] = (f({**arrays, name: plus}) - f({**arrays, name: minus})) / (2 * h)
    return out


def grid(shape: tuple[int, ...], f: Callable[..., float]) -> np.ndarray:
    """``f(i, j, ...)`` at every 1-based index of ``shape``."""
    out = np.zeros(shape)
    for idx in np.ndindex(*shape):
        out[idx] = f(*(i + 1 for i in idx))
    return out


# -- subjects: a layer, its claims-file tables, random arrays and the forward pass ---------------
@dataclass
class Subject:
    doc: dict[str, Any]
    shapes: dict[str, tuple[int, ...]]
    loss: Fn
    extra: Callable[[Arrays], Arrays] = field(default=lambda a: {})

    def draw(self, rng: np.random.Generator) -> Arrays:
        arrays: Arrays = {n: rng.normal(size=s) for n, s in self.shapes.items()}
        return {**arrays, **self.extra(arrays)}

    def grad(self, name: str) -> Fn:
        return lambda a: fd(self.loss, a, name)


def _conv5_loss(a: Arrays) -> float:
    return float(np.sum(a["G"] * (correlate(a["A"], a["K"], 1) + a["b"][0])))


CONV5 = Subject(
    {
        "layer": {"type": "conv2d", "input": [5, 5], "kernel": [3, 3], "padding": [1, 1]},
        "symbols": {"G": ["h_z", "w_z"]},
        "define": {
            "L": "sum_entries(hadamard(G, Z))",
            "X_col": "im2col(A, (h_k, w_k), (h_s, w_s), (p_top, p_bottom, p_left, p_right))",
            "W_row": "transpose(vec(K))",
            "dY_col": "transpose(vec(G))",
        },
        "layout": "mixed",
    },
    {"A": (5, 5), "K": (3, 3), "b": (1,), "G": (5, 5)},
    _conv5_loss,
)
CONV5_0 = Subject({**CONV5.doc, "index_base": 0}, CONV5.shapes, _conv5_loss)
CONV5_NUM = Subject({**CONV5.doc, "layout": "numerator"}, CONV5.shapes, _conv5_loss)


def _strided_loss(a: Arrays) -> float:
    return float(np.sum(a["G"] * correlate(a["A"], a["K"], 0, 2)))


STRIDED = Subject(
    {
        "layer": {"type": "conv2d", "input": [7, 7], "kernel": [3, 3], "stride": [2, 2], "bias": False},
        "symbols": {"G": ["h_z", "w_z"]},
        "define": {"L": "sum_entries(hadamard(G, Z))", "s": "h_s"},
        "layout": "denominator",
    },
    {"A": (7, 7), "K": (3, 3), "G": (3, 3)},
    _strided_loss,
)


def _maxpool(i: np.ndarray) -> np.ndarray:
    return i.reshape(2, 2, 2, 2).max(axis=(1, 3))


def _avgpool(i: np.ndarray) -> np.ndarray:
    return i.reshape(2, 2, 2, 2).mean(axis=(1, 3))


def _pool(kind: str, pool: Callable[[np.ndarray], np.ndarray]) -> Subject:
    """A 4x4 input pooled by 2x2 windows, stride 2, with an upstream gradient G."""
    return Subject(
        {
            "layer": {"type": kind, "input": [4, 4], "window": [2, 2], "stride": [2, 2]},
            "symbols": {"G": ["h_a", "w_a"]},
            "define": {"L": "sum_entries(hadamard(G, A))"},
        },
        {"I": (4, 4), "G": (2, 2)},
        lambda a: float(np.sum(a["G"] * pool(a["I"]))),
    )


MAXPOOL = _pool("maxpool2d", _maxpool)
AVGPOOL = _pool("avgpool2d", _avgpool)


def _avgpool_padded(i: np.ndarray) -> np.ndarray:
    """3x3 windows, stride 2, padding 1, padded zeros counted (divisor 9)."""
    return correlate(i, np.full((3, 3), 1 / 9), 1, 2)


AVGPOOL_PADDED = Subject(
    {
        "layer": {"type": "avgpool2d", "input": [5, 5], "window": [3, 3], "stride": [2, 2], "padding": [1, 1]},
        "symbols": {"G": ["h_a", "w_a"]},
        "define": {"L": "sum_entries(hadamard(G, A))", "s": "lh_s", "t": "lp_top"},
    },
    {"I": (5, 5), "G": (3, 3)},
    lambda a: float(np.sum(a["G"] * _avgpool_padded(a["I"]))),
)


def _dense_loss(a: Arrays) -> float:
    return float(a["G"] @ (a["W"].T @ a["B"] + a["b"]))


DENSE = Subject(
    {
        "layer": {"type": "dense", "in_features": 3, "out_features": 2},
        "symbols": {"G": ["n_z"]},
        "define": {"L": "sum_entries(hadamard(G, Z))"},
        "layout": "denominator",
    },
    {"B": (3,), "W": (3, 2), "b": (2,), "G": (2,)},
    _dense_loss,
)
DENSE_NUM = Subject({**DENSE.doc, "layout": "numerator"}, DENSE.shapes, _dense_loss)
DENSE_MIXED = Subject({k: v for k, v in DENSE.doc.items() if k != "layout"}, DENSE.shapes, _dense_loss)

RELU = Subject(
    {
        "layer": {"type": "relu", "input": [3, 3]},
        "symbols": {"G": ["h_i", "w_i"]},
        "define": {"L": "sum_entries(hadamard(G, I))"},
    },
    {"Z": (3, 3), "G": (3, 3)},
    lambda a: float(np.sum(a["G"] * np.maximum(a["Z"], 0))),
)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _onehot(a: Arrays) -> Arrays:
    y = np.zeros(3)
    y[int(abs(a["c"][0]) * 1000) % 3] = 1.0
    return {"y": y}


SOFTMAX = Subject(
    {"layer": {"type": "softmax_cross_entropy", "classes": 3}},
    {"Z": (3,), "c": (1,)},
    lambda a: float(-np.sum(a["y"] * np.log(_softmax(a["Z"])))),
    _onehot,
)
SOFTMAX_NUM = Subject({**SOFTMAX.doc, "layout": "numerator"}, SOFTMAX.shapes, SOFTMAX.loss, _onehot)

NET = Subject(
    {
        "network": {
            "input": [4, 4],
            "channels": 1,
            "layers": [
                {"type": "conv2d", "kernel": [2, 2], "out_channels": 1},
                {"type": "relu"},
                {"type": "flatten"},
                {"type": "dense", "out_features": 2},
                {"type": "softmax_cross_entropy"},
            ],
        }
    },
    {"A": (4, 4), "K": (2, 2), "b": (1,)},
    lambda a: 0.0,
)

SUBJECTS: dict[str, Subject] = {
    "conv5": CONV5,
    "conv5_0": CONV5_0,
    "conv5_num": CONV5_NUM,
    "strided": STRIDED,
    "maxpool": MAXPOOL,
    "avgpool": AVGPOOL,
    "avgpool_padded": AVGPOOL_PADDED,
    "dense": DENSE,
    "dense_num": DENSE_NUM,
    "dense_mixed": DENSE_MIXED,
    "relu": RELU,
    "softmax": SOFTMAX,
    "softmax_num": SOFTMAX_NUM,
    "net": NET,
}


# -- the oracle's two sides: quantities (left) and formulas (right) -----------------------------
def _conv5_dk(a: Arrays) -> np.ndarray:
    return grid(
        (3, 3),
        lambda m, n: sum(at(a["G"], i, j) * at(a["A"], i + m - 2, j + n - 2) for i in range(1, 6) for j in range(1, 6)),
    )


def _conv5_dk_unpadded(a: Arrays) -> np.ndarray:
    return grid(
        (3, 3),
        lambda m, n: sum(at(a["G"], i, j) * at(a["A"], i + m - 1, j + n - 1) for i in range(1, 6) for j in range(1, 6)),
    )


def _conv5_da(a: Arrays) -> np.ndarray:
    return grid(
        (5, 5),
        lambda i, j: sum(at(a["G"], i - m + 2, j - n + 2) * at(a["K"], m, n) for m in range(1, 4) for n in range(1, 4)),
    )


def _conv5_da_unflipped(a: Arrays) -> np.ndarray:
    return grid(
        (5, 5),
        lambda i, j: sum(at(a["G"], i + m - 2, j + n - 2) * at(a["K"], m, n) for m in range(1, 4) for n in range(1, 4)),
    )


def _conv5_z(a: Arrays) -> np.ndarray:
    return grid(
        (5, 5),
        lambda p, q: (
            sum(at(a["A"], p + m - 2, q + n - 2) * at(a["K"], m, n) for m in range(1, 4) for n in range(1, 4))
            + a["b"][0]
        ),
    )


def _conv5_z_unpadded(a: Arrays) -> np.ndarray:
    return grid(
        (5, 5),
        lambda p, q: (
            sum(at(a["A"], p + m - 1, q + n - 1) * at(a["K"], m, n) for m in range(1, 4) for n in range(1, 4))
            + a["b"][0]
        ),
    )


def _strided_da(a: Arrays) -> np.ndarray:
    return grid(
        (7, 7),
        lambda i, j: sum(
            at(a["G"], p, q) * at(a["K"], i - 2 * (p - 1), j - 2 * (q - 1)) for p in range(1, 4) for q in range(1, 4)
        ),
    )


def _strided_da_stride1(a: Arrays) -> np.ndarray:
    return grid(
        (7, 7),
        lambda i, j: sum(at(a["G"], i - m + 1, j - n + 1) * at(a["K"], m, n) for m in range(1, 4) for n in range(1, 4)),
    )


def _strided_dk(a: Arrays) -> np.ndarray:
    return grid(
        (3, 3),
        lambda m, n: sum(
            at(a["G"], p, q) * at(a["A"], 2 * (p - 1) + m, 2 * (q - 1) + n) for p in range(1, 4) for q in range(1, 4)
        ),
    )


def _strided_dk_stride1(a: Arrays) -> np.ndarray:
    return grid(
        (3, 3),
        lambda m, n: sum(at(a["G"], p, q) * at(a["A"], p + m - 1, q + n - 1) for p in range(1, 4) for q in range(1, 4)),
    )


def _strided_z(a: Arrays) -> np.ndarray:
    return correlate(a["A"], a["K"], 0, 2)


def _maxpool_route(a: Arrays) -> np.ndarray:
    out = np.zeros((4, 4))
    for p in range(2):
        for q in range(2):
            w = a["I"][2 * p : 2 * p + 2, 2 * q : 2 * q + 2]
            r, s = np.unravel_index(np.argmax(w), w.shape)
            out[2 * p + r, 2 * q + s] = a["G"][p, q]
    return out


def _maxpool_spread(a: Arrays, divisor: float) -> np.ndarray:
    return np.kron(a["G"], np.ones((2, 2))) / divisor


def _maxpool_mask(a: Arrays) -> np.ndarray:
    """d A_pq / d I_ij for every (i, j, p, q), the free indices in alphabetical order."""
    out = np.zeros((4, 4, 2, 2))
    for p in range(2):
        for q in range(2):
            w = a["I"][2 * p : 2 * p + 2, 2 * q : 2 * q + 2]
            r, s = np.unravel_index(np.argmax(w), w.shape)
            out[2 * p + r, 2 * q + s, p, q] = 1.0
    return out


def _maxpool_mask_fd(a: Arrays) -> np.ndarray:
    out = np.zeros((4, 4, 2, 2))
    for p in range(2):
        for q in range(2):
            out[:, :, p, q] = fd(lambda b, p=p, q=q: float(_maxpool(b["I"])[p, q]), a, "I")
    return out


def _avg_padded_spread(a: Arrays, divisor: float) -> np.ndarray:
    def f(i: int, j: int) -> float:
        total = 0.0
        for p in range(1, 4):
            for q in range(1, 4):
                if 0 < i + 1 - 2 * (p - 1) <= 3 and 0 < j + 1 - 2 * (q - 1) <= 3:
                    total += at(a["G"], p, q)
        return total / divisor

    return grid((5, 5), f)


def _softmax_jacobian(a: Arrays) -> np.ndarray:
    s = _softmax(a["Z"])
    return np.diag(s) - np.outer(s, s)


def _softmax_jacobian_fd(a: Arrays) -> np.ndarray:
    return np.stack([fd(lambda b, i=i: float(_softmax(b["Z"])[i]), a, "Z") for i in range(3)])


def _net_z(a: Arrays) -> np.ndarray:
    return correlate(a["A"], a["K"]) + a["b"][0]


def _col(v: np.ndarray) -> np.ndarray:
    return v.reshape(-1, 1)


def _vec(m: np.ndarray) -> np.ndarray:
    return m.reshape(-1, order="F")


def _im2col(a: np.ndarray, k: int, pad: int, stride: int) -> np.ndarray:
    xp = np.pad(a, pad)
    hz = (xp.shape[0] - k) // stride + 1
    wz = (xp.shape[1] - k) // stride + 1
    cols = []
    for q in range(wz):
        for p in range(hz):
            cols.append(_vec(xp[p * stride : p * stride + k, q * stride : q * stride + k]))
    return np.stack(cols, axis=1)


QUANTITIES: dict[str, Callable[[Subject], Fn]] = {
    "dK": lambda s: s.grad("K"),
    "dK^T": lambda s: lambda a: s.grad("K")(a).T,
    "dA": lambda s: s.grad("A"),
    "db": lambda s: s.grad("b"),
    "dI": lambda s: s.grad("I"),
    "dW": lambda s: s.grad("W"),
    "dW^T": lambda s: lambda a: s.grad("W")(a).T,
    "dB": lambda s: lambda a: _col(s.grad("B")(a)),
    "db_vec": lambda s: s.grad("b"),
    "dZ": lambda s: s.grad("Z"),
    "dZ_col": lambda s: lambda a: _col(s.grad("Z")(a)),
    "dZ_row": lambda s: lambda a: s.grad("Z")(a).reshape(1, -1),
    "dK_row": lambda s: lambda a: _vec(s.grad("K")(a)).reshape(1, -1),
    "Z5": lambda s: lambda a: correlate(a["A"], a["K"], 1) + a["b"][0],
    "Zs": lambda s: _strided_z,
    "Zd": lambda s: lambda a: a["W"].T @ a["B"] + a["b"],
    "relu": lambda s: lambda a: np.maximum(a["Z"], 0),
    "softmax": lambda s: lambda a: _softmax(a["Z"]),
    "softmax_jac": lambda s: _softmax_jacobian_fd,
    "mask": lambda s: _maxpool_mask_fd,
    "dmax": lambda s: lambda a: fd(lambda b: max(float(b["I"][0, 0]), float(b["I"][0, 1])), a, "I")[0, 0],
    "net_z": lambda s: _net_z,
}

FORMULAS: dict[str, Fn] = {
    "conv5_dk": _conv5_dk,
    "conv5_dk^T": lambda a: _conv5_dk(a).T,
    "conv5_dk_unpadded": _conv5_dk_unpadded,
    "conv5_da": _conv5_da,
    "conv5_da_unflipped": _conv5_da_unflipped,
    "conv5_db": lambda a: np.array([a["G"].sum()]),
    "conv5_db_mean": lambda a: np.array([a["G"].sum() / 25]),
    "conv5_z": _conv5_z,
    "conv5_z_unpadded": _conv5_z_unpadded,
    "conv5_dk_row": lambda a: _vec(a["G"]).reshape(1, -1) @ _im2col(a["A"], 3, 1, 1).T,
    "strided_da": _strided_da,
    "strided_da_stride1": _strided_da_stride1,
    "strided_da_undilated": lambda a: np.pad(correlate(a["G"], np.rot90(a["K"], 2), 2), 1),
    "strided_dk": _strided_dk,
    "strided_dk_stride1": _strided_dk_stride1,
    "strided_z": _strided_z,
    "strided_da_shape5": lambda a: correlate(a["G"], np.rot90(a["K"], 2), 2),
    "maxpool_route": _maxpool_route,
    "maxpool_spread": lambda a: _maxpool_spread(a, 1),
    "maxpool_spread4": lambda a: _maxpool_spread(a, 4),
    "maxpool_mask": _maxpool_mask,
    "max_indicator": lambda a: float(a["I"][0, 0] > a["I"][0, 1]),
    "half": lambda a: 0.5,
    "avg_spread4": lambda a: _maxpool_spread(a, 4),
    "avg_spread2": lambda a: _maxpool_spread(a, 2),
    "avg_spread1": lambda a: _maxpool_spread(a, 1),
    "avg_padded": lambda a: _avg_padded_spread(a, 9),
    "avg_padded3": lambda a: _avg_padded_spread(a, 3),
    "dense_dw": lambda a: np.outer(a["B"], a["G"]),
    "dense_dw^T": lambda a: np.outer(a["G"], a["B"]),
    "dense_dw_swapped": lambda a: grid((3, 2), lambda i, j: at(a["B"], j) * at(a["G"], i)),
    "dense_db": lambda a: _col(a["W"] @ a["G"]),
    "dense_bias": lambda a: a["G"],
    "dense_z": lambda a: a["W"].T @ a["B"] + a["b"],
    "dense_z_swapped": lambda a: grid(
        (2,), lambda j: sum(at(a["W"], j, i) * at(a["B"], i) for i in range(1, 4)) + at(a["b"], j)
    ),
    "relu_grad": lambda a: a["G"] * (a["Z"] > 0),
    "relu_grad_neg": lambda a: a["G"] * (a["Z"] < 0),
    "relu_grad_none": lambda a: a["G"],
    "relu": lambda a: np.maximum(a["Z"], 0),
    "identity": lambda a: a["Z"],
    "softmax_dz": lambda a: _softmax(a["Z"]) - a["y"],
    "softmax_dz_col": lambda a: _col(_softmax(a["Z"]) - a["y"]),
    "softmax_a": lambda a: _softmax(a["Z"]),
    "softmax_wrong": lambda a: np.exp(a["Z"]) / a["Z"].sum(),
    "softmax_jac": _softmax_jacobian,
    "softmax_jac_diag": lambda a: np.diag(_softmax(a["Z"])),
    "net_z": _net_z,
    "net_z_flipped": lambda a: correlate(a["A"], np.rot90(a["K"], 2)) + a["b"][0],
}


# -- the corpus -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Form:
    subject: str
    lhs: str
    rhs: str
    expected: str  # "holds", "fails" or "refused"
    #: (quantity, formula): the left side and the right side, numerically
    oracle: tuple[str, str] = ("", "")
    latex: bool = True
    options: tuple[tuple[str, Any], ...] = ()
    why: str = ""

    @property
    def stated(self) -> bool:
        return self.expected != "refused"


def F(subject: str, lhs: str, rhs: str, expected: str, oracle: tuple[str, str] = ("", ""), **kw: Any) -> Form:
    options = tuple(kw.pop("options", {}).items())
    return Form(subject, lhs, rhs, expected, oracle, options=options, **kw)


DL_DK = r"\frac{\partial L}{\partial k_{mn}}"
DL_DA = r"\frac{\partial L}{\partial a_{ij}}"
DL_DI = r"\frac{\partial L}{\partial I_{ij}}"
DL_DZ = r"\frac{\partial L}{\partial z_{ij}}"
CEIL = r"g_{\lceil i/2 \rceil, \lceil j/2 \rceil}"

FORMS: list[Form] = [
    # -- conv, 5x5 input, 3x3 kernel, padding 1: index notation --------------------------------
    F("conv5", DL_DK, r"\sum_{i}\sum_{j} g_{ij}\, a_{i+m-2,\,j+n-2}", "holds", ("dK", "conv5_dk")),
    F("conv5", DL_DK, r"\sum_{i,j} g_{ij}\, a_{i+m-2,\,j+n-2}", "holds", ("dK", "conv5_dk")),
    F("conv5", DL_DK, r"\sum_{i=1}^{h_z}\sum_{j=1}^{w_z} g_{ij} a_{i+m-2,j+n-2}", "holds", ("dK", "conv5_dk")),
    F("conv5", DL_DK, r"\sum_{p,q} g_{pq}\, a_{p+m-1-p_{top},\, q+n-1-p_{left}}", "holds", ("dK", "conv5_dk")),
    F("conv5", DL_DK, r"\sum_{i}\sum_{j} g_{ij} a_{i+m-2,j+n-2}, \quad \forall m, n", "holds", ("dK", "conv5_dk")),
    F(
        "conv5",
        DL_DK,
        r"\sum_{i}\sum_{j} g_{ij}\, a_{i+m-1,\,j+n-1}",
        "fails",
        ("dK", "conv5_dk_unpadded"),
        why="padding ignored",
    ),
    F("conv5", DL_DA, r"\sum_{m}\sum_{n} g_{i-m+2,\,j-n+2}\, k_{mn}", "holds", ("dA", "conv5_da")),
    F("conv5", DL_DA, r"\sum_{m,n} k_{mn}\, g_{i-m+1+p_{top},\, j-n+1+p_{left}}", "holds", ("dA", "conv5_da")),
    F(
        "conv5",
        DL_DA,
        r"\sum_{m}\sum_{n} g_{i+m-2,\,j+n-2}\, k_{mn}",
        "fails",
        ("dA", "conv5_da_unflipped"),
        why="no rot180",
    ),
    F("conv5", r"\frac{\partial L}{\partial b}", r"\sum_{p,q} g_{pq}", "holds", ("db", "conv5_db")),
    F("conv5", r"\frac{\partial L}{\partial b}", r"\frac{1}{25}\sum_{p,q} g_{pq}", "fails", ("db", "conv5_db_mean")),
    F("conv5", r"z_{pq}", r"\sum_{m}\sum_{n} a_{p+m-2,q+n-2} k_{mn} + b", "holds", ("Z5", "conv5_z")),
    F("conv5", r"z_{pq}", r"\sum_{m}\sum_{n} a_{p+m-1,q+n-1} k_{mn} + b", "fails", ("Z5", "conv5_z_unpadded")),
    # matrix forms: '*' takes the padding the other side's shape asks for
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\mathbf{G} \ast \operatorname{rot180}(\mathbf{K})",
        "holds",
        ("dA", "conv5_da"),
    ),
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\mathbf{G} \star \operatorname{rot180}(\mathbf{K})",
        "holds",
        ("dA", "conv5_da"),
    ),
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\mathbf{G} \circledast \operatorname{rot180}(\mathbf{K})",
        "holds",
        ("dA", "conv5_da"),
    ),
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\mathbf{G} \ast_{\text{same}} \operatorname{rot180}(\mathbf{K})",
        "holds",
        ("dA", "conv5_da"),
    ),
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\operatorname{crop}_{1}(\mathbf{G} \ast_{\text{full}} \operatorname{rot180}(\mathbf{K}))",
        "holds",
        ("dA", "conv5_da"),
    ),
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\mathbf{G} \ast \mathbf{K}",
        "fails",
        ("dA", "conv5_da_unflipped"),
        why="no rot180",
    ),
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{K}}",
        r"\operatorname{pad}_{1}(\mathbf{A}) \ast \mathbf{G}",
        "holds",
        ("dK", "conv5_dk"),
    ),
    F(
        "conv5",
        r"\nabla_{\mathbf{K}} L",
        r"\operatorname{pad}(\mathbf{A}, 1) \ast \mathbf{G}",
        "holds",
        ("dK", "conv5_dk"),
    ),
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{K}}",
        r"\mathbf{A} \ast \mathbf{G}",
        "refused",
        why="no padding gives 3x3 (valid 1x1, same 5x5, full 9x9): the refusal names them",
    ),
    # the expression language
    F(
        "conv5",
        "diff(L, k[m, n])",
        "sum_for(i, 1, 5, sum_for(j, 1, 5, g[i,j] * a[i+m-2, j+n-2]))",
        "holds",
        ("dK", "conv5_dk"),
        latex=False,
    ),
    F("conv5", "grad(L, A)", 'conv(G, rot180(K), padding="same")', "holds", ("dA", "conv5_da"), latex=False),
    F("conv5", "grad(L, A)", 'conv(G, K, padding="same")', "fails", ("dA", "conv5_da_unflipped"), latex=False),
    F("conv5", "grad(L, K)", "conv(pad(A, 1), G)", "holds", ("dK", "conv5_dk"), latex=False),
    F(
        "conv5",
        "diff(L, K)",
        "conv(pad(A, (p_top, p_bottom, p_left, p_right)), G)",
        "holds",
        ("dK", "conv5_dk"),
        latex=False,
    ),
    # im2col: dW = dY X_col^T, and vec(Z)^T = W X_col
    F(
        "conv5",
        "transpose(vec(grad(L, K)))",
        "dY_col @ transpose(X_col)",
        "holds",
        ("dK_row", "conv5_dk_row"),
        latex=False,
    ),
    F(
        "conv5",
        r"\frac{\partial L}{\partial \mathbf{W}_{\mathrm{row}}}",
        r"\mathbf{dY}_{\mathrm{col}} \mathbf{X}_{\mathrm{col}}^\top",
        "holds",
        ("dK_row", "conv5_dk_row"),
    ),
    F(
        "conv5",
        "grad(L, A)",
        "col2im(transpose(W_row) @ dY_col, (5, 5), (3, 3), 1, 1)",
        "holds",
        ("dA", "conv5_da"),
        latex=False,
    ),
    # 0-based indices
    F("conv5_0", DL_DK, r"\sum_{i}\sum_{j} g_{ij}\, a_{i+m-1,\,j+n-1}", "holds", ("dK", "conv5_dk")),
    F("conv5_0", DL_DK, r"\sum_{i=0}^{4}\sum_{j=0}^{4} g_{ij}\, a_{i+m-1,\,j+n-1}", "holds", ("dK", "conv5_dk")),
    F("conv5_0", DL_DK, r"\sum_{i}\sum_{j} g_{ij}\, a_{i+m,\,j+n}", "fails", ("dK", "conv5_dk_unpadded")),
    # the numerator layout (the seed's): dL/dK is the transpose of the gradient
    F(
        "conv5_num",
        r"\frac{\partial L}{\partial \mathbf{K}}",
        r"\operatorname{pad}_{1}(\mathbf{A}) \ast \mathbf{G}",
        "fails",
        ("dK^T", "conv5_dk"),
        why="layout",
    ),
    F(
        "conv5_num",
        r"\frac{\partial L}{\partial \mathbf{K}}",
        r"(\operatorname{pad}_{1}(\mathbf{A}) \ast \mathbf{G})^\top",
        "holds",
        ("dK^T", "conv5_dk^T"),
    ),
    F(
        "conv5_num",
        r"\nabla_{\mathbf{K}} L",
        r"\operatorname{pad}_{1}(\mathbf{A}) \ast \mathbf{G}",
        "holds",
        ("dK", "conv5_dk"),
    ),
    F("conv5_num", "diff(L, K)", "transpose(conv(pad(A, 1), G))", "holds", ("dK^T", "conv5_dk^T"), latex=False),
    # -- conv, 7x7 input, 3x3 kernel, stride 2 -------------------------------------------------
    F("strided", DL_DA, r"\sum_{p,q} g_{pq}\, k_{i-s(p-1),\, j-s(q-1)}", "holds", ("dA", "strided_da")),
    F("strided", DL_DA, r"\sum_{p,q} g_{pq}\, k_{i-h_s(p-1),\, j-w_s(q-1)}", "holds", ("dA", "strided_da")),
    F("strided", DL_DA, r"\sum_{p}\sum_{q} g_{pq}\, k_{i-2p+2,\, j-2q+2}", "holds", ("dA", "strided_da")),
    F(
        "strided",
        DL_DA,
        r"\sum_{m,n} g_{i-m+1,\, j-n+1}\, k_{mn}",
        "fails",
        ("dA", "strided_da_stride1"),
        why="stride not dilated",
    ),
    F(
        "strided",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\operatorname{dilate}_{2}(\mathbf{G}) \ast_{\text{full}} \operatorname{rot180}(\mathbf{K})",
        "holds",
        ("dA", "strided_da"),
    ),
    F(
        "strided",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\operatorname{dilate}_{s}(\mathbf{G}) \ast \operatorname{rot180}(\mathbf{K})",
        "holds",
        ("dA", "strided_da"),
    ),
    F(
        "strided",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\operatorname{pad}_{1}(\mathbf{G} \ast_{\text{full}} \operatorname{rot180}(\mathbf{K}))",
        "fails",
        ("dA", "strided_da_undilated"),
        why="stride not dilated",
    ),
    F(
        "strided",
        r"\frac{\partial L}{\partial \mathbf{A}}",
        r"\mathbf{G} \ast \operatorname{rot180}(\mathbf{K})",
        "refused",
        why="no padding gives 7x7 from 3x3 by 3x3: the refusal names the candidates",
    ),
    F(
        "strided",
        r"\frac{\partial L}{\partial \mathbf{K}}",
        r"\mathbf{A} \ast \operatorname{dilate}_{s}(\mathbf{G})",
        "holds",
        ("dK", "strided_dk"),
    ),
    F("strided", DL_DK, r"\sum_{p,q} g_{pq}\, a_{s(p-1)+m,\, s(q-1)+n}", "holds", ("dK", "strided_dk")),
    F("strided", DL_DK, r"\sum_{p,q} g_{pq}\, a_{p+m-1,\, q+n-1}", "fails", ("dK", "strided_dk_stride1")),
    F("strided", r"z_{pq}", r"\sum_{m,n} a_{s(p-1)+m,\, s(q-1)+n}\, k_{mn}", "holds", ("Zs", "strided_z")),
    F("strided", r"z_{pq}", r"\sum_{m,n} a_{2p-2+m,\, 2q-2+n}\, k_{mn}", "holds", ("Zs", "strided_z")),
    F(
        "strided",
        r"z_{pq}",
        r"\sum_{m,n} a_{2 \cdot (p-1)+m,\, 2 \cdot (q-1)+n}\, k_{mn}",
        "holds",
        ("Zs", "strided_z"),
    ),
    F(
        "strided",
        "diff(L, a[i, j])",
        "sum_for(p, 1, 3, sum_for(q, 1, 3, g[p,q] * k[i-2*(p-1), j-2*(q-1)]))",
        "holds",
        ("dA", "strided_da"),
        latex=False,
    ),
    F(
        "strided",
        "grad(L, A)",
        'conv(dilate(G, 2), rot180(K), padding="full")',
        "holds",
        ("dA", "strided_da"),
        latex=False,
    ),
    F(
        "strided",
        "grad(L, A)",
        'conv(G, rot180(K), padding="full")',
        "fails",
        ("dA", "strided_da_shape5"),
        latex=False,
        why="5x5, not 7x7",
    ),
    # -- max pooling 4x4 -> 2x2: routing to the maximum ------------------------------------------
    F("maxpool", DL_DI, r"\sum_{p,q} g_{pq}\, \mathbb{1}[I_{ij} = A_{pq}]", "holds", ("dI", "maxpool_route")),
    F("maxpool", DL_DI, r"\sum_{p,q} g_{pq}\, \mathbb{1}\{I_{ij} = A_{pq}\}", "holds", ("dI", "maxpool_route")),
    F("maxpool", DL_DI, r"\sum_{p,q} g_{pq}\, [I_{ij} = A_{pq}]", "holds", ("dI", "maxpool_route")),
    F(
        "maxpool",
        DL_DI,
        r"\sum_{p,q} g_{pq}\, \mathbb{1}[(i - 2(p-1),\, j - 2(q-1)) = "
        r"\operatorname{argmax}(\operatorname{window}(p, q))]",
        "holds",
        ("dI", "maxpool_route"),
    ),
    F(
        "maxpool",
        DL_DI,
        CEIL + r"\, \mathbb{1}[I_{ij} = A_{\lceil i/2 \rceil,\lceil j/2 \rceil}]",
        "holds",
        ("dI", "maxpool_route"),
    ),
    F("maxpool", DL_DI, CEIL, "fails", ("dI", "maxpool_spread"), why="spread to every window entry"),
    F("maxpool", DL_DI, r"\frac{1}{4} " + CEIL, "fails", ("dI", "maxpool_spread4"), why="average pooling's rule"),
    F(
        "maxpool",
        r"\frac{\partial A_{pq}}{\partial I_{ij}}",
        r"\mathbb{1}[I_{ij} = A_{pq}]",
        "holds",
        ("mask", "maxpool_mask"),
    ),
    F(
        "maxpool",
        "diff(L, I[i, j])",
        "sum_for(p, 1, 2, sum_for(q, 1, 2, g[p,q] * indicator(I[i,j] == A[p,q])))",
        "holds",
        ("dI", "maxpool_route"),
        latex=False,
    ),
    F(
        "maxpool",
        "diff(L, I[i, j])",
        "sum_for(p, 1, 2, sum_for(q, 1, 2, where(I[i,j] == A[p,q], g[p,q], 0)))",
        "holds",
        ("dI", "maxpool_route"),
        latex=False,
    ),
    F(
        "maxpool",
        r"\frac{\partial \max(I_{11}, I_{12})}{\partial I_{11}}",
        r"\mathbb{1}[I_{11} > I_{12}]",
        "holds",
        ("dmax", "max_indicator"),
    ),
    F(
        "maxpool",
        r"\frac{\partial \max(I_{11}, I_{12})}{\partial I_{11}}",
        r"H(I_{11} - I_{12})",
        "holds",
        ("dmax", "max_indicator"),
    ),
    F("maxpool", r"\frac{\partial \max(I_{11}, I_{12})}{\partial I_{11}}", r"\frac{1}{2}", "fails", ("dmax", "half")),
    # -- average pooling ------------------------------------------------------------------------------
    F("avgpool", DL_DI, r"\frac{1}{4} " + CEIL, "holds", ("dI", "avg_spread4")),
    F("avgpool", DL_DI, r"\frac{1}{h_l w_l} " + CEIL, "holds", ("dI", "avg_spread4")),
    F(
        "avgpool",
        DL_DI,
        r"\frac{1}{4} g_{\lfloor (i-1)/2 \rfloor + 1,\, \lfloor (j-1)/2 \rfloor + 1}",
        "holds",
        ("dI", "avg_spread4"),
    ),
    F("avgpool", DL_DI, r"\frac{1}{h_l} " + CEIL, "fails", ("dI", "avg_spread2"), why="1/k for 1/k^2"),
    F("avgpool", DL_DI, CEIL, "fails", ("dI", "avg_spread1")),
    F("avgpool", "grad(L, I)", "kron(G, ones(2, 2)) / 4", "holds", ("dI", "avg_spread4"), latex=False),
    F(
        "avgpool",
        r"\frac{\partial L}{\partial \mathbf{I}}",
        r"\frac{1}{4} \mathbf{G} \otimes \mathbf{1}_{(2,2)}",
        "holds",
        ("dI", "avg_spread4"),
    ),
    F(
        "avgpool",
        r"\frac{\partial L}{\partial \mathbf{I}}",
        r"\mathbf{G} \otimes \mathbf{1}_{(2,2)}",
        "fails",
        ("dI", "avg_spread1"),
    ),
    F(
        "avgpool_padded",
        DL_DI,
        r"\frac{1}{h_l w_l} \sum_{p,q} g_{pq}\, [0 < i + t - s(p-1) \le h_l]\, [0 < j + t - s(q-1) \le w_l]",
        "holds",
        ("dI", "avg_padded"),
    ),
    F(
        "avgpool_padded",
        DL_DI,
        r"\frac{1}{h_l} \sum_{p,q} g_{pq}\, [0 < i + t - s(p-1) \le h_l]\, [0 < j + t - s(q-1) \le w_l]",
        "fails",
        ("dI", "avg_padded3"),
    ),
    # -- dense: Z = W^T B + b ---------------------------------------------------------------------------
    F("dense", r"\frac{\partial L}{\partial w_{ij}}", r"B_{i}\, g_{j}", "holds", ("dW", "dense_dw")),
    F("dense", r"\frac{\partial L}{\partial w_{ij}}", r"B_{j}\, g_{i}", "fails", ("dW", "dense_dw_swapped")),
    F("dense", r"\frac{\partial L}{\partial \mathbf{W}}", r"\mathbf{B}\mathbf{G}^\top", "holds", ("dW", "dense_dw")),
    F(
        "dense",
        r"\frac{\partial L}{\partial \mathbf{W}}",
        r"\mathbf{G}\mathbf{B}^\top",
        "fails",
        ("dW", "dense_dw^T"),
        why="transposed",
    ),
    F("dense", r"\frac{\partial L}{\partial \mathbf{B}}", r"\mathbf{W}\mathbf{G}", "holds", ("dB", "dense_db")),
    F("dense", r"\frac{\partial L}{\partial b_{j}}", r"g_{j}", "holds", ("db_vec", "dense_bias")),
    F("dense", r"z_{j}", r"\sum_{i} w_{ij} B_{i} + b_{j}", "holds", ("Zd", "dense_z")),
    F("dense", r"z_{j}", r"\sum_{i=1}^{3} w_{ji} B_{i} + b_{j}", "fails", ("Zd", "dense_z_swapped")),
    F("dense", "diff(L, W)", "B @ transpose(G)", "holds", ("dW", "dense_dw"), latex=False),
    F(
        "dense_num",
        r"\frac{\partial L}{\partial \mathbf{W}}",
        r"\mathbf{B}\mathbf{G}^\top",
        "fails",
        ("dW^T", "dense_dw"),
        why="layout",
    ),
    F(
        "dense_num",
        r"\frac{\partial L}{\partial \mathbf{W}}",
        r"\mathbf{G}\mathbf{B}^\top",
        "holds",
        ("dW^T", "dense_dw^T"),
    ),
    F("dense_num", r"\nabla_{\mathbf{W}} L", r"\mathbf{B}\mathbf{G}^\top", "holds", ("dW", "dense_dw")),
    F("dense_num", "diff(L, W)", "transpose(B @ transpose(G))", "holds", ("dW^T", "dense_dw^T"), latex=False),
    F(
        "dense_mixed",
        r"\frac{\partial L}{\partial \mathbf{W}}",
        r"\mathbf{B}\mathbf{G}^\top",
        "holds",
        ("dW", "dense_dw"),
    ),
    # -- ReLU -------------------------------------------------------------------------------------------
    F("relu", DL_DZ, r"g_{ij}\, \mathbb{1}[z_{ij} > 0]", "holds", ("dZ", "relu_grad")),
    F("relu", DL_DZ, r"g_{ij}\, \mathbb{1}\{z_{ij} > 0\}", "holds", ("dZ", "relu_grad")),
    F("relu", DL_DZ, r"g_{ij}\, [z_{ij} > 0]", "holds", ("dZ", "relu_grad")),
    F("relu", DL_DZ, r"g_{ij}\, H(z_{ij})", "holds", ("dZ", "relu_grad")),
    F(
        "relu",
        DL_DZ,
        r"\begin{cases} g_{ij} & \text{if } z_{ij} > 0 \\ 0 & \text{otherwise} \end{cases}",
        "holds",
        ("dZ", "relu_grad"),
    ),
    F("relu", DL_DZ, r"\frac{1}{2} g_{ij} (\operatorname{sign}(z_{ij}) + 1)", "holds", ("dZ", "relu_grad")),
    F("relu", DL_DZ, r"g_{ij}", "fails", ("dZ", "relu_grad_none")),
    F("relu", DL_DZ, r"g_{ij}\, \mathbb{1}[z_{ij} < 0]", "fails", ("dZ", "relu_grad_neg")),
    F(
        "relu",
        r"\frac{\partial L}{\partial \mathbf{Z}}",
        r"\mathbf{G} \odot \mathbb{1}[\mathbf{Z} > 0]",
        "holds",
        ("dZ", "relu_grad"),
    ),
    F("relu", "grad(L, Z)", "hadamard(G, indicator(Z > 0))", "holds", ("dZ", "relu_grad"), latex=False),
    F("relu", "grad(L, Z)", "where(Z > 0, G, 0)", "holds", ("dZ", "relu_grad"), latex=False),
    F("relu", "grad(L, Z)", "hadamard(G, heaviside(Z))", "holds", ("dZ", "relu_grad"), latex=False),
    F("relu", "grad(L, Z)", "hadamard(G, indicator(Z < 0))", "fails", ("dZ", "relu_grad_neg"), latex=False),
    F("relu", r"I_{ij}", r"\max(0, z_{ij})", "holds", ("relu", "relu")),
    F("relu", r"I_{ij}", r"z_{ij}\, \mathbb{1}[z_{ij} > 0]", "holds", ("relu", "relu")),
    F("relu", r"I_{ij}", r"z_{ij}", "fails", ("relu", "identity")),
    # -- softmax and cross-entropy ------------------------------------------------------------------------
    F("softmax", r"\frac{\partial J}{\partial z_{k}}", r"a_{k} - y_{k}", "holds", ("dZ", "softmax_dz")),
    F("softmax", r"\frac{\partial J}{\partial z_{k}}", r"a_{k}", "fails", ("dZ", "softmax_a")),
    F(
        "softmax",
        r"\frac{\partial J}{\partial \mathbf{Z}}",
        r"\mathbf{A} - \mathbf{y}",
        "holds",
        ("dZ_col", "softmax_dz_col"),
    ),
    F(
        "softmax_num",
        r"\frac{\partial J}{\partial \mathbf{Z}}",
        r"\mathbf{A} - \mathbf{y}",
        "fails",
        ("dZ_row", "softmax_dz_col"),
        why="layout",
    ),
    F("softmax", r"a_{k}", r"\frac{e^{z_{k}}}{\sum_{j} e^{z_{j}}}", "holds", ("softmax", "softmax_a")),
    F("softmax", r"a_{k}", r"\frac{\exp(z_{k})}{\sum_{j} \exp(z_{j})}", "holds", ("softmax", "softmax_a")),
    F("softmax", r"a_{k}", r"\frac{e^{z_{k}}}{\sum_{j} z_{j}}", "fails", ("softmax", "softmax_wrong")),
    F(
        "softmax",
        r"\frac{\partial a_{i}}{\partial z_{j}}",
        r"a_{i} (\delta_{ij} - a_{j})",
        "holds",
        ("softmax_jac", "softmax_jac"),
    ),
    F(
        "softmax",
        r"\frac{\partial a_{i}}{\partial z_{j}}",
        r"a_{i} (\mathbb{1}[i = j] - a_{j})",
        "holds",
        ("softmax_jac", "softmax_jac"),
    ),
    F(
        "softmax",
        r"\frac{\partial a_{i}}{\partial z_{j}}",
        r"a_{i}\, \delta_{ij}",
        "fails",
        ("softmax_jac", "softmax_jac_diag"),
    ),
    # -- a network: the seed's z^{[l]}_{pq}, the channel left out of a one-channel layer -------------
    F(
        "net",
        r"z^{[1]}_{pq}",
        r"\sum_{m}\sum_{n} a^{[0]}_{p+m-1,q+n-1}\, k^{[1]}_{mn} + b^{[1]}",
        "holds",
        ("net_z", "net_z"),
    ),
    F(
        "net",
        r"z^{[1]}_{pq}",
        r"\sum_{m}\sum_{n} a^{[0]}_{p-m+2,q-n+2}\, k^{[1]}_{mn} + b^{[1]}",
        "fails",
        ("net_z", "net_z_flipped"),
    ),
    # -- refused, each with a line saying what to write --------------------------------------------------
    F(
        "relu",
        DL_DZ,
        r"g_{ij}\, \sigma'(z_{ij})",
        "refused",
        why="\\sigma is not read (the refusal says \\operatorname{sigmoid})",
    ),
]


def forms_by_subject() -> dict[str, list[tuple[int, Form]]]:
    out: dict[str, list[tuple[int, Form]]] = {}
    for n, form in enumerate(FORMS):
        out.setdefault(form.subject, []).append((n, form))
    return out


def claims_document(subject: str) -> dict[str, Any]:
    """The claims file of one subject: its tables and every form about it, one claim each."""
    claims = []
    for n, form in forms_by_subject()[subject]:
        claim: dict[str, Any] = {"id": f"form{n}", "lhs": form.lhs, "rhs": form.rhs, "latex": form.latex}
        claim.update(dict(form.options))
        claims.append(claim)
    return {**SUBJECTS[subject].doc, "claims": claims}


def write_files(folder: Path) -> list[Path]:
    """The corpus as claims files, one per subject (TOML written by hand: no extra package)."""
    out = []
    for subject in forms_by_subject():
        path = folder / f"{subject}.toml"
        path.write_text(_toml(claims_document(subject)), encoding="utf-8")
        out.append(path)
    return out


def _toml(doc: dict[str, Any]) -> str:
    lines = [f"{key} = {_value(value)}" for key, value in doc.items() if not isinstance(value, dict | list)]
    for key, value in doc.items():
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            lines.extend(f"{k} = {_value(v)}" for k, v in value.items())
    for claim in doc.get("claims", []):
        lines.append("\n[[claims]]")
        lines.extend(f"{k} = {_value(v)}" for k, v in claim.items())
    return "\n".join(lines) + "\n"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        if "'" not in v and "\n" not in v:
            return f"'{v}'"  # a literal string: backslashes stay as written
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def tolerance(expected: Any, got: Any) -> bool:
    """Whether two numeric sides agree (finite differences: 1e-5 relative)."""
    a, b = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
    if a.shape != b.shape and min(a.ndim, b.ndim) <= 1 and a.size == b.size:
        a, b = a.reshape(-1), b.reshape(-1)  # a number against a 1x1, a vector against a column
    if a.shape != b.shape:
        return False
    return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6))


def numeric_verdict(form: Form, trials: int = 3, seed: int = 0) -> str:
    """``holds`` if the oracle's two sides agree at ``trials`` random points, else ``fails``."""
    rng = np.random.default_rng(seed)
    subject = SUBJECTS[form.subject]
    quantity, formula = form.oracle
    left, right = QUANTITIES[quantity](subject), FORMULAS[formula]
    for _ in range(trials):
        arrays = subject.draw(rng)
        if not tolerance(left(arrays), right(arrays)):
            return "fails"
    return "holds"


__all__ = ["FORMS", "SUBJECTS", "Form", "claims_document", "numeric_verdict", "write_files"]
