"""The run algebra of the average-pool backward pass: an axis's spread as write-once runs of
input rows (:func:`spread_runs`), whole residue classes written at once (:func:`whole_classes`)
and the terms the runs add (:func:`run_terms`, checked against the core's Jacobian)."""

from __future__ import annotations

Run = tuple[int, int, tuple[int, ...]]


def spread_runs(lines: list[tuple[int, ...]], size: int, step: int) -> list[Run]:
    """The backward spread along one axis as write-once runs ``(i0, i1, starts)``: the input
    rows ``i0, i0 + step, ... < i1`` (``m`` of them) receive the sum, over ``p0`` in ``starts``
    (in window-row order), of the output rows ``p0 .. p0 + m - 1``; no starts: no window reads
    those rows.  ``lines[r][p]`` is the input row window row ``r`` of output row ``p`` holds
    (-1 in the padding).  Every input row is in exactly one run, so each is written once."""
    terms: list[list[tuple[int, int]]] = [[] for _ in range(size)]  # (r, p) reading input row i
    for r, line in enumerate(lines):
        for p, i in enumerate(line):
            if i >= 0:
                terms[i].append((r, p))

    def continues(head: list[tuple[int, int]], here: list[tuple[int, int]], shift: int) -> bool:
        """Whether ``here`` reads the same window rows as ``head``, each ``shift`` outputs on."""
        return [r for r, _ in here] == [r for r, _ in head] and all(
            p == p0 + shift for (_, p), (_, p0) in zip(here, head, strict=True)
        )

    runs: list[Run] = []
    for residue in range(min(step, size)):
        rows = range(residue, size, step)
        start = 0
        for k in range(1, len(rows) + 1):
            if k < len(rows) and continues(terms[rows[start]], terms[rows[k]], k - start):
                continue
            runs.append((rows[start], rows[k - 1] + 1, tuple(p for _, p in terms[rows[start]])))
            start = k
    return sorted(runs)


def whole_classes(
    runs: list[Run], size: int, step: int, source: int
) -> tuple[list[tuple[int, tuple[int, ...]]], list[Run]]:
    """When ``size == step * source`` (each row of the target holds ``step`` entries per source
    entry), a run's entries ``e, e + step, ...`` form, over all the rows of a chunk, one evenly
    spaced slice of the flattened target, and its sources shifted slices of the flattened
    source.  For each residue class ``e`` its longest run is so written over the whole class
    at once: ``(e, shifts)``, shift ``p0 - i0 // step`` per start (entries of other runs get
    wrong sums there); the runs left are written after it and overwrite those entries."""
    if size != step * source:
        return [], runs
    classes, rest = [], []
    for e in range(step):
        mine = [run for run in runs if run[0] % step == e]
        longest = max(mine, key=lambda run: len(range(run[0], run[1], step)))
        classes.append((e, tuple(p0 - longest[0] // step for p0 in longest[2])))
        rest += [run for run in mine if run is not longest]
    return classes, sorted(rest)


def run_terms(runs: list[Run], size: int, step: int) -> list[list[int]]:
    """``[i]``: the output rows the runs add into input row ``i`` (to check them against the core)."""
    out: list[list[int]] = [[] for _ in range(size)]
    for i0, i1, starts in runs:
        for k, i in enumerate(range(i0, i1, step)):
            out[i] += [p0 + k for p0 in starts]
    return out
