"""Generated code for max unpooling: the data ``templates/numpy/maxunpool.py.j2`` lays out, its
routes checked against the core's Jacobian."""

from __future__ import annotations

import numpy as np

from ...codegen import plans as cg
from ...errors import require
from . import unpool_kernel
from .home import SPECS
from .rule import MaxUnpoolDerivation
from .unpool_kernel import MaxUnpool


def plan_maxunpool(d: MaxUnpoolDerivation, names: cg.Names) -> cg.Block:
    """The module scatters ``A``'s entry ``k`` to the flat row-major place ``indices[k]``: for
    indices naming every place in turn, that must be the column the core's ``d vU/d vA`` (the
    max-pool mask's transpose) gives each entry of ``A``."""
    size, out = d.spec.in_shape[1:], d.spec.output_size
    nz, n = d._sizes
    record = MaxUnpool(d.channels, tuple(size), tuple(out))
    draw = np.random.default_rng(0).choice(nz, n, replace=n > nz).reshape(size)
    jac = d.at({"indices": np.broadcast_to(draw, d.spec.in_shape)}).input_jacobian(None, j=0)
    # the kernel's places (row-major in U, for A's entries in row-major order), the last writer kept
    routed = unpool_kernel.maxunpool_targets(draw[None, None], (1, 1, *size), record._replace(channels=1))
    last = {int(t): k for k, t in enumerate(routed)}
    writers = np.array(sorted(last.values()), np.int64)
    a_vec = np.ravel_multi_index(np.unravel_index(writers, size), size, order="F")
    u_vec = np.ravel_multi_index(np.unravel_index(routed[writers], out), out, order="F")
    require(
        cg.sorted_rows(u_vec, a_vec) == cg.sorted_rows(jac.rows, jac.cols),
        "the scatter does not put A where d vU/d vA (the max-pool mask's transpose) says",
    )
    c = names.const
    entries, _ = cg.jacobian_size([(nz, n)], 1)
    context = {
        "fn": names.fn,
        "c": c,
        "in_shape": cg.shape_text((d.channels, *size)),
        "out_shape": cg.shape_text((d.channels, *out)),
        "jacobian_shape": cg.shape_text((nz, n)),
        "record": repr(record),
        "jacobian_entries": entries,
        "spec": d.spec,
    }
    return cg.Block(
        "maxunpool.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in, "indices")),
        cg.Call(("g",), f"{names.fn}backward", ("g", "indices")),
        kernels=(unpool_kernel.__name__,),
        records={"PLAN": record},
    )


PLANS = {spec.kind: plan_maxunpool for spec in SPECS}
