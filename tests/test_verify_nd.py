"""Claims about 1-D and 3-D layers: the names come from the registry (each kind's claim
constants and its tensors' axes), so a new kind needs no work in verify; index notation,
the layer's own '*' and the sizes by axis letter work in every dimension."""

from __future__ import annotations

from typing import Any

import pytest

from symconv.config import spec_from_document
from symconv.registry import KINDS
from symconv.verify import verify_document
from symconv.verify.namespace import Namespace


def results(layer: dict[str, Any], claims: list[dict[str, Any]], **tables: Any) -> dict[str, Any]:
    doc = {"layer": layer, **tables, "claims": [{"id": f"c{n}", **c} for n, c in enumerate(claims)]}
    return {r.id: r for r in verify_document(doc).results}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_registered_kind_has_names_in_claims(name: str) -> None:
    """Each kind's sizes are named by the axis letters the kinds use (n in 1-D, d h w in 3-D)."""
    spec = KINDS[name].spec
    layer = spec_from_document({"layer": {"type": name, **_example(name)}})
    ns = Namespace(layer)
    assert ns.tensors and spec.kind == name
    ndim = getattr(layer, "ndim", None) or len(getattr(layer, "stride", (1, 1)))
    letters = {1: ("n",), 2: ("h", "w"), 3: ("d", "h", "w")}[ndim]
    inp = ns.tensors[ns.layer.input.name] if ns.layer is not None else None
    assert inp is not None
    if len(inp.tensor.shape) > 1:
        x = inp.tensor.letter.lower()
        assert all(f"{a}_{x}" in ns.constants for a in letters), (name, sorted(ns.constants))


def _example(name: str) -> dict[str, Any]:
    """A small layer of each kind (by the kind's name only: a new kind of a known family and
    dimension needs nothing here)."""
    size = {"1d": [6], "3d": [3, 3, 3]}.get(name[-2:], [4, 4])
    window = [2] * len(size)
    if name.startswith("adaptive"):
        return {"input": size, "output": window}
    if "pool" in name:
        return {"input": size, "window": window}
    if name.startswith("conv"):
        return {"input": size, "kernel": window}
    if name.startswith("pad"):
        return {"input": size, "padding": 1, "mode": "reflect"}
    if name == "dense":
        return {"in_features": 3, "out_features": 2}
    if name == "softmax_cross_entropy":
        return {"classes": 3}
    return {"input": [2, 2]}


def test_a_1d_convolution_in_index_notation() -> None:
    layer = {"type": "conv1d", "input": [7], "kernel": [3], "stride": [2], "padding": [1], "bias": False}
    r = results(
        layer,
        [
            {"latex": True, "lhs": "z_{p}", "rhs": r"\sum_{m} a_{2(p-1)+m-p_{before}}\, k_{m}"},
            {"latex": True, "lhs": r"\frac{\partial L}{\partial k_{m}}", "rhs": r"\sum_{p} g_{p}\, a_{2(p-1)+m-1}"},
            {"latex": True, "lhs": r"\frac{\partial L}{\partial a_{i}}", "rhs": r"\sum_{p} g_{p}\, k_{i+1-2(p-1)}"},
            {"latex": True, "lhs": r"\mathbf{Z}", "rhs": r"\mathbf{A} \ast \mathbf{K}"},  # the layer's own
            {"lhs": "n_z", "rhs": "(n_a + p_before + p_after - n_k) // n_s + 1"},
            {"latex": True, "lhs": r"\frac{\partial L}{\partial a_{i}}", "rhs": r"\sum_{m} g_{i-m+2}\, k_{m}"},
        ],
        symbols={"G": ["n_z"]},
        define={"L": "sum_entries(hadamard(G, Z))"},
    )
    assert [r[f"c{n}"].status for n in range(6)] == ["holds"] * 5 + ["fails"]  # the stride-1 formula
    assert r["c0"].notes[0] == "for every p = 1..4 (from z)"


def test_a_3d_convolution_in_index_notation() -> None:
    layer = {"type": "conv3d", "input": [3, 3, 3], "kernel": [2, 2, 2]}
    r = results(
        layer,
        [
            {"latex": True, "lhs": "z_{rpq}", "rhs": r"\sum_{l,m,n} a_{r+l-1,p+m-1,q+n-1}\, k_{lmn} + b"},
            {
                "latex": True,
                "lhs": r"\frac{\partial L}{\partial k_{lmn}}",
                "rhs": r"\sum_{r,p,q} g_{rpq}\, a_{r+l-1,p+m-1,q+n-1}",
            },
            {
                "latex": True,
                "lhs": r"\frac{\partial L}{\partial a_{ijt}}",
                "rhs": r"\sum_{l,m,n} g_{i-l+1,j-m+1,t-n+1}\, k_{lmn}",
            },
            {"lhs": "grad(L, b)", "rhs": "sum_entries(G)"},
            {"lhs": "shape(A)", "rhs": "(d_a, h_a, w_a)"},
            {"lhs": "a[2, 1, 3]", "rhs": "A[1][2][1, 3]"},
        ],
        symbols={"G": ["d_z", "h_z", "w_z"]},
        define={"L": "sum_entries(hadamard(G, Z))"},
    )
    assert all(x.holds for x in r.values()), [(x.id, x.message) for x in r.values() if not x.holds]
    assert r["c2"].notes[0] == "for every i = 1..3 (from a), j = 1..3 (from a), t = 1..3 (from a)"
