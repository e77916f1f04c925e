"""Generated code for the pad layer (``F.pad``): the plan record of ``pad_kernel.py`` and the
data ``templates/numpy/pad.py.j2`` lays out, checked entry by entry against the core's
``d vZ/d vA`` (which input entry each output entry holds)."""

from __future__ import annotations

import numpy as np

from ...codegen import plans as cg
from ...codegen.printer import record_lines
from ...errors import require
from ...geometry import vec_strides
from .. import pad_kernel, window_plan
from ..pad_kernel import PadPlan
from .home import SPECS
from .rule import PadDerivation


def pad_record(d: PadDerivation) -> PadPlan:
    """The planes hold the whole input and the whole output: along each axis from
    ``min(0, before)`` (output coordinates) on; the copies are the output entries that hold an
    input entry other than the one placed there (:meth:`Pad.sources`), read from the planes."""
    spec = d.spec
    size = tuple(spec.in_shape[1:])
    planes, start, places, copies = [], [], [], []
    for a, (n, out) in enumerate(zip(size, spec.output_size, strict=True)):
        before = spec.padding[2 * a]
        low = min(0, before)
        planes.append(max(out, before + n) - low)
        start.append(-low)
        places.append((0, n, before - low, before - low + n))
        src = spec.sources(a)
        copies.append(tuple((y - low, int(s) + before - low) for y, s in enumerate(src) if s >= 0 and s + before != y))
    return PadPlan(
        size=size,
        out=spec.output_size,
        planes=tuple(planes),
        start=tuple(start),
        places=tuple(places),
        copies=tuple(copies) if any(copies) else (),
        value=float(spec.value or 0.0),
    )


def _check(d: PadDerivation, record: PadPlan) -> None:
    """What the planes hold at the output's window (the places and the copies) must be the
    core's: the input entry each output entry holds, ``-1`` for the value."""
    holds = window_plan.holding(record.places, record.copies, record.planes, (1,) * len(record.size))
    total = np.zeros((), np.int64)
    inside = np.ones((), bool)
    steps = vec_strides(record.size)
    for a in reversed(range(len(record.size))):
        held = holds[a][record.start[a] : record.start[a] + record.out[a]]
        total = total[..., None] + held * steps[a]
        inside = inside[..., None] & (held >= 0)
    got = np.where(inside, total, -1).reshape(-1)
    require(np.array_equal(got, d.held), "the padded planes do not hold what d vZ/d vA says")


def plan_pad(d: PadDerivation, names: cg.Names) -> cg.Block:
    record = pad_record(d)
    _check(d, record)
    nz, na = int(np.prod(record.out)), int(np.prod(record.size))
    jac = d.jacobian("A", j=0, i=0)
    entries, small = cg.jacobian_size([(nz, na)], 1)
    c = names.const
    context = {
        "fn": names.fn,
        "c": c,
        "ndim": len(record.size),
        "mode": d.spec.mode,
        "plan": record_lines(f"{c}PLAN = ", record),
        "in_shape": cg.shape_text(tuple(d.spec.in_shape)),
        "out_shape": cg.shape_text(tuple(d.spec.out_shape)),
        "jacobian_shape": cg.shape_text((nz, na)),
        "tables": cg.index_tables(c, small, jac.nnz, {"JAC_OUT": jac.rows, "JAC_INP": jac.cols}),
        "jacobian_entries": entries,
        "spec": d.spec,
    }
    return cg.Block(
        "pad.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g",)),
        kernels=(pad_kernel.__name__,),
        records={"PLAN": record},
    )


PLANS = {spec.kind: plan_pad for spec in SPECS}
