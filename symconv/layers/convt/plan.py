"""Generated code for conv_transpose2d: the data ``templates/numpy/conv_transpose.py.j2`` lays out.

The module scatters each input entry times the kernel (the forward pass) and gathers the
windows of ``dZ`` (the backward pass) with one strided slice of the padded output per kernel
position.  Those slices are checked, entry by entry, against the core's ``d vZ/d vA`` and
``d vZ/d vK`` (:class:`ConvTransposeDerivation`), and ``d vZ/d b`` must be a column of ones.
"""

from __future__ import annotations

import numpy as np

from ...codegen import plans as cg
from ...codegen.printer import literal_lines
from ...errors import require
from . import convt_kernel
from .convt_kernel import ConvTransposePlan
from .rule import ConvTransposeDerivation

#: bytes (float64) of the products, padded output and input a chunk of examples takes
CHUNK_BYTES = 1 << 24


def offsets(d: ConvTransposeDerivation) -> list[tuple[int, int, int, int, int, int]]:
    """``(r, s, row start, row stop, column start, column stop)`` of the strided slice of the
    padded output (``p_top`` rows above, ``p_left`` columns left of it) that kernel position
    ``(r, s)`` meets for every input entry: row ``r d_h + p s_h`` for input row ``p``."""
    (ha, wa), (hk, wk) = d.input_size, d.spec.kernel
    (sh, sw), (dh, dw) = d.spec.stride, d.spec.dilation
    return [
        (r, s, r * dh, r * dh + sh * (ha - 1) + 1, s * dw, s * dw + sw * (wa - 1) + 1)
        for r in range(hk)
        for s in range(wk)
    ]


def _check_slices(d: ConvTransposeDerivation, slices: list[tuple[int, int, int, int, int, int]]) -> None:
    """The (output, kernel position, input) triplets the slices give inside the output must be
    the core's, each once: the pattern of ``d vZ_j/d vK_{i,j}`` and ``d vZ_j/d vA_i``."""
    (ha, wa), (hz, wz), hk = d.input_size, d.spec.output_size, d.spec.kernel[0]
    t, _, left, _ = d.spec.padding
    found = []
    for r, s, r0, r1, c0, c1 in slices:
        rows, cols = np.arange(r0, r1, d.spec.stride[0]) - t, np.arange(c0, c1, d.spec.stride[1]) - left
        require(rows.size == ha and cols.size == wa, f"the slice of kernel position ({r}, {s}) misses input entries")
        p, q = np.meshgrid(np.arange(ha), np.arange(wa), indexing="ij")
        y, x = rows[p], cols[q]
        inside = (y >= 0) & (y < hz) & (x >= 0) & (x < wz)
        found.append(np.stack([(x * hz + y)[inside], np.full(inside.sum(), s * hk + r), (q * ha + p)[inside]]))
    got = np.concatenate(found, axis=1)
    jac_k = d.jacobian("K", j=0, i=0)
    jac_a = d.jacobian("A", j=0, i=0)
    want_k = np.stack([jac_k.rows, jac_k.cols, jac_k.ids])
    want_a = np.stack([jac_a.rows, jac_a.ids, jac_a.cols])
    for name, want in (("d vZ/d vK", want_k), ("d vZ/d vA", want_a)):
        same = got.shape == want.shape and np.array_equal(
            got[:, np.lexsort(got[::-1])], want[:, np.lexsort(want[::-1])]
        )
        require(same, f"the scatter slices differ from {name} of the core")


def plan_conv_transpose(d: ConvTransposeDerivation, names: cg.Names) -> cg.Block:
    """The slices of :func:`offsets`, checked against the core; the per-group layout of the
    kernel; chunk sizes; the Jacobian index tables of one ``(j, i)`` block."""
    slices = offsets(d)
    _check_slices(d, slices)
    if d.bias is not None:
        ones = d.jacobian("b", j=0).to_numpy()
        require(np.array_equal(ones, np.ones_like(ones)), "d vZ/d b is not a column of ones")
    (ha, wa), (hz, wz), (hk, wk) = d.input_size, d.spec.output_size, d.spec.kernel
    hp, wp = d.adjoint.padded
    nz, na, nk = hz * wz, ha * wa, hk * wk
    entries, small = cg.jacobian_size([(nz, nk), (nz, na)], 1)
    jac_k = d.jacobian("K", j=0, i=0)
    # a chunk's products (C_out h_k w_k h_a w_a), padded output and input stay near CHUNK_BYTES:
    # few, wide products, so the BLAS is called (and its threads meet) a few times per pass
    per_example = (d.cout * nk * na + d.cout * hp * wp + d.cin * na) * 8
    bias = d.bias is not None
    # the adjoint convolution's windows that meet the input: (h_a, w_a) of them, its first ones
    # (with an output_padding past the stride the adjoint has more)
    window = cg.window(d.adjoint)._replace(hz=ha, wz=wa)
    views = [
        (r, s, r * window.dh, r * window.dh + window.row_span, s * window.dw, s * window.dw + window.col_span)
        for r in range(window.hl)
        for s in range(window.wl)
    ]
    fits = all(r1 <= window.hp and c1 <= window.wp for _, _, _, r1, _, c1 in slices)
    require(views == slices and fits, "the windows of the backward pass differ from the checked scatter slices")
    record = ConvTransposePlan(
        window=window,
        cin=d.cin,
        cout=d.cout,
        groups=d.groups,
        cin_g=d.cin_g,
        cout_g=d.cout_g,
        chunk=max(1, CHUNK_BYTES // per_example),
        offsets=tuple(slices),
        bias=bias,
    )
    c = names.const
    context = {
        "fn": names.fn,
        "c": c,
        "plan": cg.window_plan_lines(c, record, {"offsets": f"{c}OFFSETS"}),
        "offsets": literal_lines(slices),
        "bias": bias,
        "in_shape": cg.shape_text((d.cin, ha, wa)),
        "k_shape": cg.shape_text(d.kernel.shape),
        "out_shape": cg.shape_text((d.cout, hz, wz)),
        "out_size": str(nz),
        "k_jacobian_shape": cg.shape_text((nz, nk)),
        "a_jacobian_shape": cg.shape_text((nz, na)),
        "tables": cg.index_tables(
            c, small, jac_k.nnz, {"JAC_OUT": jac_k.rows, "JAC_KER": jac_k.cols, "JAC_INP": jac_k.ids}
        ),
        "jacobian_entries": entries,
        "spec": d.spec,
    }
    k, b = names.param("K"), names.param("b")
    fwd_args = (names.x_in, k, b) if bias else (names.x_in, k)
    bwd_outs = ("g", names.grad("K"), names.grad("b")) if bias else ("g", names.grad("K"))
    return cg.Block(
        "conv_transpose.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", fwd_args),
        cg.Call(bwd_outs, f"{names.fn}backward", ("g", names.x_in, k)),
        params={"K": names.keys.get("K", "K"), **({"b": names.keys.get("b", "b")} if bias else {})},
        kernels=(convt_kernel.__name__,),
        records={"PLAN": record},
    )
