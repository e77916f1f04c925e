"""Generated code for adaptive average and max pooling in any number of axes: the data
``templates/numpy/adaptive_avgpool.py.j2`` and ``adaptive_maxpool.py.j2`` lay out and the plan
records of their kernel modules (``avg_kernel.py``, ``max_kernel.py``), each window checked
against the core's Jacobian or switch rule (3.1.3, Appendix B)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ...codegen import plans as cg
from ...codegen.printer import call_lines, kernel_function, literal_lines
from ...errors import require
from ...geometry import vec_strides
from ..pool import plan as pool_plan
from . import avg_kernel, max_kernel
from .avg_kernel import adaptive_avg_plan
from .home import SPECS
from .max_kernel import adaptive_max_plan
from .rule import AdaptiveAvgDerivation, AdaptiveMaxDerivation, _AdaptiveDerivation
from .spec import AdaptiveMaxPool

Band = list[tuple[int, int]]


def _overlap(band: Band) -> bool:
    """Whether neighbouring windows of a band share entries (a backward pass must then add)."""
    return any(a < b for (_, b), (a, _) in itertools.pairwise(band))


def _windows(d: _AdaptiveDerivation) -> list[Band]:
    """``(start, end)`` of every window band along each axis, as the module writes them."""
    bands = [[(int(a), int(b)) for a, b in zip(s, e, strict=True)] for s, e in d.bands]
    require(all(a < b for band in bands for a, b in band), "an adaptive window is empty")
    return bands


def _whole(d: _AdaptiveDerivation, bands: list[Band]) -> bool:
    """Whether the output is 1 along every axis, global pooling, which the module computes over
    each whole block at once: its one window must then be the whole block."""
    whole = all(n == 1 for n in d.spec.output_size)
    if whole:
        require(
            all(band == [(0, n)] for band, n in zip(bands, d.input_size, strict=True)),
            "output 1 is not the whole block",
        )
    return whole


def _common(d: _AdaptiveDerivation, names: cg.Names, bands: list[Band]) -> dict[str, object]:
    return {
        "fn": names.fn,
        "c": names.const,
        "bands": [literal_lines(band) for band in bands],
        "in_shape": cg.shape_text((d.channels, *d.input_size)),
        "out_shape": cg.shape_text((d.channels, *d.spec.output_size)),
        "jacobian_shape": cg.shape_text(d._sizes),
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }


def _plan_lines(c: str, args: dict[str, Any], text: dict[str, str]) -> list[str]:
    """The arguments of the module's call that builds the plan record from ``args``, one
    ``name=value,`` line each, the value a literal or the source ``text`` gives (the window tables
    written before it)."""
    given = {"bands": f"{c}BANDS", **text}
    return [f"{k}={given.get(k, str(v))}," for k, v in args.items()]


def _chunk(per_plane: int) -> int:
    """Planes at a time (``per_plane`` entries each): enough that each NumPy call does real work,
    few enough that a chunk's work arrays stay small (larger ones come fresh from the system,
    page by page, on every call), whatever the batch."""
    return max(1, pool_plan.POOL_FORWARD_CHUNK_BYTES // (per_plane * 8))


def _window_entries(bands: list[Band], size: tuple[int, ...]) -> bytes:
    """Every (output, input entry, divisor) triple the band tables give, window ``p`` dividing by
    its size, sorted, as bytes (vec indices)."""
    out_steps, in_steps = vec_strides(tuple(len(b) for b in bands)), vec_strides(size)
    outs, inps, divs = [], [], []
    for p in itertools.product(*[range(len(b)) for b in bands]):
        ranges = [range(*band[k]) for band, k in zip(bands, p, strict=True)]
        count = math.prod(len(r) for r in ranges)
        o = sum(k * int(s) for k, s in zip(p, out_steps, strict=True))
        for at in itertools.product(*ranges):
            outs.append(o)
            inps.append(sum(i * int(s) for i, s in zip(at, in_steps, strict=True)))
            divs.append(count)
    return cg.sorted_rows(np.array(outs, np.int64), np.array(inps, np.int64), np.array(divs, np.int64))


def _core_entries(jac: Any) -> bytes:
    """The same triples read off the core's ``d vA/d vI``: its stored values must all be ``1/D``
    for whole ``D`` (0 marks one that is not)."""
    return cg.sorted_rows(jac.rows, jac.cols, cg.unit_divisors(jac.table)[np.asarray(jac.ids)])


def plan_adaptive_avgpool(d: AdaptiveAvgDerivation, names: cg.Names) -> cg.Block:
    """The module builds its band weight matrices from the window tables (row ``p`` holds ``1/n_p``
    on band ``p``), and their outer products are the windows' weights in both passes.  The
    windows must give the core's ``d vA/d vI`` entry for entry: the pairs (output, input entry),
    each with its window's weight.  Output 1 along every axis is one sum over the whole block:
    its one window must be the block."""
    bands = _windows(d)
    jac = d.jacobian("I", j=0)
    require(_window_entries(bands, d.input_size) == _core_entries(jac), "the averaging matrices differ from d vA/d vI")
    whole = _whole(d, bands)
    nz, n = d._sizes
    entries, small = cg.jacobian_size([(nz, n)], 1)
    c = names.const
    args: dict[str, Any] = {"channels": d.channels, "size": d.input_size, "bands": tuple(tuple(b) for b in bands)}
    args |= {"chunk": _chunk(n)}  # adaptive_avg_plan's
    record = adaptive_avg_plan(**args)
    forward_pass, backward_pass = avg_kernel.adaptive_avg_passes(record)
    context = {
        **_common(d, names, bands),
        "plan": _plan_lines(c, args, {}),
        "forward_pass": kernel_function(forward_pass),
        "backward_pass": kernel_function(backward_pass),
        "whole": whole,
        "tables": cg.index_tables(c, small, jac.nnz, {"JAC_OUT": jac.rows, "JAC_INP": jac.cols}),
        "jacobian_entries": entries,
    }
    return cg.Block(
        "adaptive_avgpool.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g",)),
        kernels=(avg_kernel.__name__,),
        records={"PLAN": record},
    )


def plan_adaptive_maxpool(d: AdaptiveMaxDerivation, names: cg.Names) -> cg.Block:
    """The module routes switch ``i`` of window ``p`` to the window's entry ``i - 1`` counted the
    first axis fastest (in 2-D row ``rs_p + (i - 1) mod h_p``, column ``cs_q + floor((i - 1) /
    h_p)``); for every ``i`` up to the largest window, that must be the input entry the core's
    :meth:`AdaptiveMaxDerivation.selected` gives, wherever ``i`` fits."""
    bands = _windows(d)
    size, out = d.input_size, d.spec.output_size
    sizes = np.ones((), np.int64)
    for band in bands:
        sizes = np.multiply.outer(sizes, np.array([b - a for a, b in band], np.int64))
    window = int(sizes.max())
    routes = max_kernel.adaptive_max_routes(tuple(tuple(b) for b in bands), size, window).reshape(*out, window + 1)
    for i in range(1, window + 1):
        row_major = routes[..., i]
        routed = np.ravel_multi_index(np.unravel_index(row_major, size), size, order="F") + 1
        fits = i <= sizes
        require(
            np.array_equal(routed[fits], d.selected(np.full(out, i))[fits]),
            f"switch {i} is not routed where eq.b-2.3 says",
        )
    overlapping = any(_overlap(band) for band in bands)
    nz, n = d._sizes
    entries, _ = cg.jacobian_size([(nz, n)], 1)
    _whole(d, bands)  # global pooling: its one window is the whole block
    # the sweeps' keys run from 0 to the window's size - 1; the gathered windows are nz x window per plane
    key_type = "int8" if window <= 2**7 else "int16" if window <= 2**15 else "int64"
    c = names.const
    chunk, row_ties, table = _chunk(max(n, nz * window)), d.spec.tie_order == "row", tuple(tuple(b) for b in bands)
    args: dict[str, Any] = {"channels": d.channels, "size": size, "bands": table}
    args |= {"window": window, "chunk": chunk, "row_ties": row_ties}
    args |= {"overlapping": overlapping, "key_type": getattr(np, key_type), "sweeps": None}  # adaptive_max_plan's
    record = adaptive_max_plan(**args)
    forward_pass = max_kernel.adaptive_max_pass(record)
    sweeps_lines = []
    if forward_pass is max_kernel.adaptive_max_bands_forward:  # its tables, built as the module builds them
        args["sweeps"] = max_kernel.adaptive_max_sweeps(size, table, chunk, row_ties, getattr(np, key_type))  # type: ignore[arg-type]
        record = record._replace(sweeps=args["sweeps"])
        given = [("size", str(size)), ("bands", f"{c}BANDS"), ("chunk", str(chunk)), ("row_ties", str(row_ties))]
        sweeps_lines = call_lines(f"{c}SWEEPS = ", "adaptive_max_sweeps", [*given, ("key_type", f"np.{key_type}")])
    text = {"key_type": f"np.{key_type}", "sweeps": f"{c}SWEEPS" if sweeps_lines else "None"}
    context = {
        **_common(d, names, bands),
        "plan": _plan_lines(c, args, text),
        "forward_pass": kernel_function(forward_pass),
        "sweeps": sweeps_lines,
        "row_ties": record.row_ties,
        "jacobian_entries": entries,
    }
    saved = names.saved
    return cg.Block(
        "adaptive_maxpool.py.j2",
        context,
        cg.Call((names.x_out, saved), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g", saved)),
        kernels=(max_kernel.__name__,),
        records={"PLAN": record},
    )


PLANS = {
    spec.kind: plan_adaptive_maxpool if issubclass(spec, AdaptiveMaxPool) else plan_adaptive_avgpool for spec in SPECS
}
