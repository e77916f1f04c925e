"""Generated code for conv2d: the plan record of ``conv_kernel.py`` and the data
``templates/numpy/conv.py.j2`` lays out (Appendix A, 3.1.5)."""

from __future__ import annotations

import numpy as np

from ...codegen import plans as cg
from ...codegen.printer import literal_lines
from ...codegen.slices import check_input_jacobian, check_kernel_jacobian
from ...errors import require
from . import conv_kernel
from .conv_kernel import ConvPath, ConvPlan
from .rule import ConvDerivation


def plan_conv(d: ConvDerivation, names: cg.Names) -> cg.Block:
    """Appendix A / 3.1.5.  The slices come from the window map and are checked against
    ``d vZ/d vK`` (eq.a1-3) and ``d vZ/d vA`` (eq.a2-3) of the core; ``d vZ/d b`` must be
    a column of ones (3.1.5)."""
    m = d.geometry
    jac_k = d.jacobian("K", j=0, i=0)
    check_kernel_jacobian(m, jac_k)
    check_input_jacobian(m, d.jacobian("A", j=0, i=0))
    if d.bias is not None:
        ones = d.jacobian("b", j=0).to_numpy()
        require(np.array_equal(ones, np.ones_like(ones)), "d vZ/d b is not a column of ones")
    cin, cout = d.cin, d.cout
    grouped = d.groups > 1
    if grouped:
        _check_groups(d)
    hk, wk = d.spec.kernel
    nz = m.output[0] * m.output[1]
    na = m.input[0] * m.input[1]
    entries, small = cg.jacobian_size([(nz, hk * wk), (nz, na)], 1)
    bias = d.bias is not None
    c = names.const
    # stride 1: the windows are read in flat padded coordinates (see conv_kernel.py)
    flat = m.stride == (1, 1)
    # depthwise at stride 1: each kernel position's shifted planes are used in place
    shifted = flat and grouped and d.cout == d.cin == d.groups
    # few channels per group at stride 1: one product per kernel row (see conv_kernel.py)
    rowwise = flat and grouped and not shifted and d.ck <= cg.ROWWISE_CHANNELS
    per_example = cin * hk * wk * (m.padded[0] * m.padded[1] if flat else nz) * 8
    if rowwise:
        _check_rows(d)
        # the row-wise path gathers w_k copies of the padded planes of its input (A, then dZ)
        per_example = max(cin, d.cout) * wk * m.padded[0] * m.padded[1] * 8
        chunk = max(1, cg.CHUNK_BYTES // per_example)
    elif flat:
        columns = min(cg.FLAT_COLUMNS, cg.FLAT_BYTES // (cin * hk * wk * 8))
        chunk = max(1, round(columns / (m.padded[0] * m.padded[1])))
    else:
        chunk = max(1, cg.CHUNK_BYTES // per_example)
    offsets = cg.offsets(m)
    path: ConvPath = "shifted" if shifted else "rowwise" if rowwise else "flat" if flat else "strided"
    record = ConvPlan(
        window=cg.window(m),
        cin=cin,
        cout=cout,
        groups=d.groups,
        chunk=chunk,
        offsets=tuple(offsets),
        # the same slices' starts in flat padded coordinates: kernel position (r, s) starts r d_h w_p + s d_w on
        shifts=tuple(r0 * m.padded[1] + c0 for _, _, r0, _, c0, _ in offsets),
        path=path,
        one_kernel_per_group=grouped and d.cout == d.groups,
        bias=bias,
    )
    context = {
        "grouped": grouped,
        "path": path,
        "fn": names.fn,
        "c": c,
        "chunk_bytes": chunk * per_example,
        "offsets": literal_lines(offsets),
        "plan": cg.window_plan_lines(c, record, {"offsets": f"{c}OFFSETS"}),
        "bias": bias,
        "in_shape": cg.shape_text((cin, *m.input)),
        "k_shape": cg.shape_text((cout, d.ck, hk, wk)),
        "out_shape": cg.shape_text((cout, *m.output)),
        "groups": d.groups,
        "og": cout // d.groups,
        "cg": d.ck,
        "nz": nz,
        "k_jacobian_shape": cg.shape_text((nz, hk * wk)),
        "a_jacobian_shape": cg.shape_text((nz, na)),
        "tables": cg.index_tables(
            c, small, jac_k.nnz, {"JAC_OUT": jac_k.rows, "JAC_KER": jac_k.cols, "JAC_INP": jac_k.ids}
        ),
        "jacobian_entries": entries,
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    k, b = names.param("K"), names.param("b")
    fwd_args = (names.x_in, k, b) if bias else (names.x_in, k)
    bwd_outs = ("g", names.grad("K"), names.grad("b")) if bias else ("g", names.grad("K"))
    return cg.Block(
        "conv.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", fwd_args),
        cg.Call(bwd_outs, f"{names.fn}backward", ("g", names.x_in, k)),
        params={"K": names.keys.get("K", "K"), **({"b": names.keys.get("b", "b")} if bias else {})},
        kernels=(conv_kernel.__name__,),
        records={"PLAN": record},
    )


def _check_groups(d: ConvDerivation) -> None:
    """The kernels' groups are consecutive blocks: the windows of ``CIN`` channels reshape
    to ``(GROUPS, GKK, ...)`` and the kernels to ``(GROUPS, OG, GKK)``, so kernel ``j`` meets
    input channels ``j // OG * CG`` to ``j // OG * CG + CG - 1``.  The core's rule must say
    the same for every kernel."""
    cg, og = d.ck, d.cout // d.groups
    for j in range(d.cout):
        layout = range(j // og * cg, j // og * cg + cg)
        require(d.group_inputs(j) == layout, f"kernel {j} meets input channels other than its group's block")


def _check_rows(d: ConvDerivation) -> None:
    """The row-wise path (stride 1, ``conv_kernel.py``) reads kernel position ``(r, s)`` as the
    padded planes in flat coordinates, ``r d_h`` rows and ``s d_w`` columns on: its products
    take kernel row ``r`` at ``r d_h w_p`` flat positions on, from the ``w_k`` copies of the
    planes shifted by ``s d_w`` columns (``s = 0 .. w_k - 1``); the backward reads ``dZ``'s
    planes at the rotated positions ``(h_k - 1 - r, w_k - 1 - s)``, which is the same table.
    Every window of the window map (``OFFSETS``, checked against eq.a1-3 and eq.a2-3) must
    be that slice, ``h_z`` rows and ``w_z`` columns long."""
    m = d.geometry
    dh, dw = m.dilation
    hz, wz = m.output
    require(m.stride == (1, 1), "the row-wise path is for stride 1")
    for r, s, r0, r1, c0, c1 in cg.offsets(m):
        require((r0, c0) == (r * dh, s * dw), f"kernel position ({r}, {s}) starts elsewhere than ({r * dh}, {s * dw})")
        require((r1 - r0, c1 - c0) == (hz, wz), f"kernel position ({r}, {s}) does not read h_z x w_z entries")
        require(r0 + hz <= m.padded[0] and c0 + wz <= m.padded[1], f"kernel position ({r}, {s}) leaves the planes")
