"""Generated code for the general convolution, every dimension, the transposed one included:
the plan record of ``conv_kernel.py`` and the data ``templates/numpy/conv.py.j2`` lays out
(Appendix A, 3.1.5)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...codegen import plans as cg
from ...codegen.printer import kernel_function, literal_lines, record_lines
from ...codegen.slices import check_input_jacobian, check_kernel_jacobian, check_scatter
from ...errors import require
from ...geometry import Geometry
from .. import window_plan
from . import conv_kernel
from .conv_kernel import ConvPath, ConvPlan, conv_passes
from .home import SPECS
from .rule import ConvDerivation
from .spec import ConvTranspose

#: the conv passes gather the windows of this many bytes (float64) at a time, to stay in cache
CHUNK_BYTES = 1 << 21
#: a stride-1 conv takes about this many (padded) output positions per chunk, its products
#: then being wide enough for the BLAS; fewer when its windows would take more than FLAT_BYTES
#: (float64), so that a many-channel layer's work space stays near the CPU cache
FLAT_COLUMNS = 4096
FLAT_BYTES = 1 << 23
#: a grouped stride-1 conv with at most this many input channels per group (and not depthwise)
#: takes the row-wise path of ``conv_kernel.py`` (``h_k`` products per group on ``w_k`` copies of
#: the planes) instead of gathering ``h_k w_k`` copies of every window.  Measured forward +
#: backward, N=8, 3x3 (128x28x28 and 64x56x56): row-wise was 1.28 to 2.6 times faster from 2
#: to 32 channels per group, and 0.94 to 1.4 times at 64 (slower once); with one channel per
#: group and 2 or 4 kernels each (a channel multiplier), 1.7 to 2.1 times, and 0.97
ROWWISE_CHANNELS = 32

#: the scatter path (input dilation at stride 1, the transposed convolution) takes about this
#: many bytes (float64) of products, output buffer and input per chunk of examples: few, wide
#: products, so the BLAS is called (and its threads meet) a few times per pass
SCATTER_BYTES = 1 << 24


def plan_conv(d: ConvDerivation, names: cg.Names) -> cg.Block:
    """Appendix A / 3.1.5.  The slices come from the window map and are checked against
    ``d vZ/d vK`` (eq.a1-3) and ``d vZ/d vA`` (eq.a2-3) of the core; ``d vZ/d b`` must be
    a column of ones (3.1.5)."""
    m = d.geometry
    jac_k = d.jacobian("K", j=0, i=d.input_channel(0, 0) if d.transposed else 0)
    jac_a = d.jacobian("A", j=0, i=d.input_channel(0, 0))
    if d.bias is not None:
        ones = d.jacobian("b", j=0).to_numpy()
        require(np.array_equal(ones, np.ones_like(ones)), "d vZ/d b is not a column of ones")
    cin, cout = d.cin, d.cout
    grouped = d.groups > 1
    if grouped:
        _check_groups(d)
    nd = m.ndim
    nk, nz, na = math.prod(m.kernel), math.prod(m.output), math.prod(m.input)
    padded = math.prod(m.padded)
    bias = d.bias is not None
    places, copies = window_plan.placement(m)
    stride1 = m.stride == (1,) * nd
    dilated = m.input_dilation != (1,) * nd
    # the transposed convolution, and any input dilation at stride 1: the scatter
    scatter = stride1 and (d.transposed or dilated)
    # stride 1: the windows are read in flat padded coordinates (see conv_kernel.py)
    flat = stride1 and not scatter
    # depthwise at stride 1: each kernel position's shifted planes are used in place
    shifted = flat and grouped and d.cout == d.cin == d.groups
    # few channels per group at stride 1: one product per kernel row (see conv_kernel.py)
    rowwise = flat and grouped and not shifted and d.ck <= ROWWISE_CHANNELS
    per_example = cin * nk * (padded if flat else nz) * 8
    buffer, lead = m.padded, (0,) * nd
    if scatter:
        # a transposed convolution's buffer is the padded output of the convolution it is the
        # adjoint of (the older conv_transpose2d code's, whose chunks it keeps)
        least = d.spec.adjoint.padded if isinstance(d.spec, ConvTranspose) else (0,) * nd
        offsets, buffer, lead = _scatter(m, least)
        check_scatter(m, jac_k, jac_a, offsets, lead, d.transposed)
        per_example = (cout * nk * na + cout * math.prod(buffer) + cin * na) * 8
        chunk = max(1, SCATTER_BYTES // per_example)
    else:
        holds = window_plan.holding(places, copies, m.padded, m.input_dilation)
        check_kernel_jacobian(m, jac_k, holds, d.transposed)
        check_input_jacobian(m, jac_a, True, holds, d.transposed)
        offsets = tuple(window_plan.offsets(m))
        if rowwise:
            _check_rows(d)
            # the row-wise path gathers prod(k_2..k_d) copies of the padded planes of its input (A, then dZ)
            per_example = max(cin, d.cout) * math.prod(m.kernel[1:]) * padded * 8
            chunk = max(1, CHUNK_BYTES // per_example)
        elif flat:
            columns = min(FLAT_COLUMNS, FLAT_BYTES // (cin * nk * 8))
            chunk = max(1, round(columns / padded)) if padded else 1
        else:
            chunk = max(1, CHUNK_BYTES // per_example) if per_example else 1
    path: ConvPath = (
        "scatter" if scatter else "shifted" if shifted else "rowwise" if rowwise else "flat" if flat else "strided"
    )
    steps = [int(np.prod(m.padded[a + 1 :])) for a in range(nd)]
    record = ConvPlan(
        frame=window_plan.frame(m),
        cin=cin,
        cout=cout,
        groups=d.groups,
        chunk=chunk,
        places=places,
        copies=copies,
        offsets=offsets,
        # the same slices' starts in flat padded coordinates: kernel position r starts sum_a r_a d_a steps_a on
        shifts=tuple(sum(o[nd + 2 * a] * steps[a] for a in range(nd)) for o in offsets),
        path=path,
        one_kernel_per_group=grouped and d.cout == d.groups,
        bias=bias,
        transposed=d.transposed,
        buffer=buffer,
        lead=lead,
    )
    context = _context(d, names, record, chunk * per_example, jac_k)
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


def _context(d: ConvDerivation, names: cg.Names, record: ConvPlan, chunk_bytes: int, jac_k: Any) -> dict[str, Any]:
    """What ``conv.py.j2`` lays out for the plan ``record`` (its path's passes by name)."""
    m, nd, c, cin, cout = d.geometry, d.geometry.ndim, names.const, d.cin, d.cout
    nk, nz, na = math.prod(m.kernel), math.prod(m.output), math.prod(m.input)
    entries, small = cg.jacobian_size([(nz, nk), (nz, na)], 1)
    offsets, bias = record.offsets, record.bias
    in_shape, k_shape, out_shape = (cin, *m.input), tuple(d.kernel.shape), (cout, *m.output)
    forward_pass, backward_pass = conv_passes(record)
    return {
        "forward_pass": kernel_function(forward_pass),
        "backward_pass": kernel_function(backward_pass),
        "grouped": d.groups > 1,
        "transposed": d.transposed,
        "ndim": nd,
        "path": record.path,
        "fn": names.fn,
        "c": c,
        "chunk_bytes": chunk_bytes,
        "offsets": literal_lines(list(offsets)),
        "plan": record_lines(f"{c}FRAME = ", record.frame)
        + record_lines(f"{c}PLAN = ", record, {"frame": f"{c}FRAME", "offsets": f"{c}OFFSETS"}),
        "bias": bias,
        "in_shape": cg.shape_text(in_shape),
        "k_shape": cg.shape_text(k_shape),
        "out_shape": cg.shape_text(out_shape),
        "groups": d.groups,
        "og": cout // d.groups,
        "cg": d.ck,
        "nz": nz,
        "k_jacobian_shape": cg.shape_text((nz, nk)),
        "a_jacobian_shape": cg.shape_text((nz, na)),
        "tables": cg.index_tables(
            c, small, jac_k.nnz, {"JAC_OUT": jac_k.rows, "JAC_KER": jac_k.cols, "JAC_INP": jac_k.ids}
        ),
        "jacobian_entries": entries,
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }


def _scatter(
    m: Geometry, least: tuple[int, ...]
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...], tuple[int, ...]]:
    """The scatter path's slices, output buffer and output start, per axis: input entry ``p``
    reaches the padded coordinate ``before + p u``, which window ``y`` reads at kernel position
    ``r`` when ``y = before + p u - r d``; with ``r' = k - 1 - r`` (the turned kernel) that is
    ``y = r' d + p u - lead``, ``lead = d (k - 1) - before``.  The buffer holds every
    ``r' d + p u`` and every output, from ``min(0, lead)`` on, and is at least ``least`` long."""
    starts, buffer, lead = [], [], []
    for a, at_least in zip(m.axes, least, strict=True):
        span = a.dilation * (a.window - 1) + a.input_dilation * (a.size - 1) + 1
        first = a.dilation * (a.window - 1) - a.before
        low = min(0, first)
        buffer.append(max(span, first + a.output, at_least) - low)
        lead.append(first - low)
        starts.append([r * a.dilation - low for r in range(a.window)])
    offsets = tuple(
        (
            *r,
            *(
                v
                for x, a in enumerate(m.axes)
                for v in (starts[x][r[x]], starts[x][r[x]] + a.input_dilation * (a.size - 1) + 1)
            ),
        )
        for r in np.ndindex(*m.kernel)
    )
    return offsets, tuple(buffer), tuple(lead)


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
    """The row-wise path (stride 1, ``conv_kernel.py``) reads kernel position ``r`` as the
    padded planes in flat coordinates, ``r_a d_a`` entries on along each axis: its products
    take kernel row ``r_1`` at ``r_1 d_1 stride_1`` flat positions on, from the copies of the
    planes shifted along the other axes; the backward reads ``dZ``'s planes at the turned
    positions, which is the same table.  Every window of the window map (``OFFSETS``, checked
    against eq.a1-3 and eq.a2-3) must be that slice, the output's extent long."""
    m = d.geometry
    nd = m.ndim
    require(m.stride == (1,) * nd, "the row-wise path is for stride 1")
    for o in window_plan.offsets(m):
        r = o[:nd]
        starts = tuple(o[nd + 2 * a] for a in range(nd))
        stops = tuple(o[nd + 2 * a + 1] for a in range(nd))
        want = tuple(x * dil for x, dil in zip(r, m.dilation, strict=True))
        require(starts == want, f"kernel position {r} starts elsewhere than {want}")
        require(
            tuple(b - a for a, b in zip(starts, stops, strict=True)) == m.output,
            f"kernel position {r} does not read the output's extent",
        )
        require(
            all(a + o <= p for a, o, p in zip(starts, m.output, m.padded, strict=True)),
            f"kernel position {r} leaves the planes",
        )


PLANS = {spec.kind: plan_conv for spec in SPECS}
