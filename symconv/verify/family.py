"""Claims over families of shapes: a ``[family]`` table lists values for the layer's sizes
(``stride = [1, 2, 3]``, ``padding = [0, 1, 2]``, ``input = [[5, 5], [6, 7]]``) and every
claim is checked on every combination.

The report gives, per claim, where it holds and the *smallest* configuration where it
fails.  Configurations are ordered by size: each key's values are ranked from the smallest
(numbers by value, lists by the sum of their entries, then entry by entry), and a
configuration's size is the sum of its ranks, ties broken key by key in the table's order.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

from ..config import spec_from_document
from ..errors import SpecError
from ..specs import Layer, Network
from .model import ClaimResult, Family, show_value

MAX_CONFIGURATIONS = 256
MAX_VALUES = 50


def read_family(table: Any, subject: dict[str, Any], where: str) -> Family:
    """A ``[family]`` table against the part's ``[layer]`` (or ``[network]``) table."""
    if not isinstance(table, dict) or not table:
        raise SpecError(where, "must be a table of layer keys and their values, e.g. stride = [1, 2]")
    keys, values = [], []
    for key, vals in table.items():
        w = f"{where}.{key[:40]}"
        if not isinstance(vals, list) or not vals:
            raise SpecError(w, "must be a non-empty list of the values to check, e.g. stride = [1, 2, 3]")
        if len(vals) > MAX_VALUES:
            raise SpecError(w, f"has more than {MAX_VALUES} values")
        if any(vals[k] == vals[j] for k in range(len(vals)) for j in range(k)):
            raise SpecError(w, "repeats a value")
        keys.append(key)
        values.append(tuple(vals))
    family = Family(tuple(keys), tuple(values), subject)
    if family.count > MAX_CONFIGURATIONS:
        raise SpecError(where, f"makes {family.count} configurations; the limit is {MAX_CONFIGURATIONS}")
    which = "layer" if "layer" in subject else "network"
    for key in keys:
        if key == "type":
            raise SpecError(f"{where}.type", "a family varies the sizes of one layer type, not the type")
        if key not in subject[which] and which == "network" and key not in ("input", "channels"):
            raise SpecError(f"{where}.{key}", "a network's family varies its input and channels")
    return family


def configurations(family: Family) -> list[dict[str, Any]]:
    """Every combination, in the table's order (the last key fastest)."""
    return [dict(zip(family.keys, combo, strict=True)) for combo in itertools.product(*family.values)]


def spec_for(family: Family, config: dict[str, Any]) -> Layer | Network:
    """The layer (or network) of one configuration; a SpecError if it is not a valid one."""
    which = "layer" if "layer" in family.subject else "network"
    table = {**family.subject[which], **config}
    return spec_from_document({which: table})


def describe(config: dict[str, Any]) -> str:
    """``input 5x5, stride 2, padding 0``."""
    return ", ".join(f"{k} {show_value(v)}" for k, v in config.items())


def _magnitude(v: Any) -> tuple[Any, ...]:
    flat = list(_flatten(v))
    return (sum(flat), tuple(flat))


def _flatten(v: Any) -> Sequence[Any]:
    if isinstance(v, list):
        return [x for item in v for x in _flatten(item)]
    return [v if isinstance(v, int | float) else 0]


def ranks(family: Family) -> dict[str, dict[str, int]]:
    """Each key's values ranked from the smallest (by the module docstring's order)."""
    out: dict[str, dict[str, int]] = {}
    for key, vals in zip(family.keys, family.values, strict=True):
        order = sorted(vals, key=_magnitude)
        out[key] = {repr(v): order.index(v) for v in vals}
    return out


def size(family: Family, config: dict[str, Any]) -> tuple[int, tuple[int, ...]]:
    """The order in which configurations count as smaller: the sum of their values' ranks,
    then the ranks key by key."""
    r = ranks(family)
    each = tuple(r[k][repr(config[k])] for k in family.keys)
    return (sum(each), each)


def summary(family: Family, outcomes: list[tuple[dict[str, Any], str]]) -> str:
    """Where a claim holds and fails, in words: ``holds for stride 1; fails from stride 2``
    when one key decides, else counts."""
    checked = [(c, s) for c, s in outcomes if s in ("holds", "fails")]
    holds = [c for c, s in checked if s == "holds"]
    fails = [c for c, s in checked if s == "fails"]
    invalid = len(outcomes) - len(checked)
    if not checked:
        return f"invalid on all {len(outcomes)} configurations"
    if invalid:
        counts = f"holds on {len(holds)}, fails on {len(fails)} and is invalid on {invalid}"
        return f"{counts} of {len(outcomes)} configurations"
    if not fails:
        return f"holds on all {len(checked)} configurations"
    if not holds:
        return f"fails on all {len(checked)} configurations checked"
    r = ranks(family)
    best: tuple[int, int, str] | None = None
    for k, (key, vals) in enumerate(zip(family.keys, family.values, strict=True)):
        text, mixed = _by_key(key, sorted(vals, key=_magnitude), holds, fails, r[key])
        if best is None or (mixed, k) < best[:2]:
            best = (mixed, k, text)
    assert best is not None
    if best[0] > 1:
        return f"holds on {len(holds)} of {len(checked)} configurations, fails on {len(fails)}"
    return best[2]


def _by_key(
    key: str, order: list[Any], holds: list[dict[str, Any]], fails: list[dict[str, Any]], rank: dict[str, int]
) -> tuple[str, int]:
    """Where the claim holds, value by value of ``key``, and how many values are mixed."""
    good = [v for v in order if any(c[key] == v for c in holds) and not any(c[key] == v for c in fails)]
    bad = [v for v in order if any(c[key] == v for c in fails) and not any(c[key] == v for c in holds)]
    mixed = [v for v in order if v not in good and v not in bad and any(c[key] == v for c in holds + fails)]
    parts = []
    if good:
        parts.append(f"holds for {key} {', '.join(show_value(v) for v in good)}")
    if bad:
        upward = len(bad) > 1 and all(rank[repr(v)] > rank[repr(g)] for v in bad for g in good + mixed)
        if upward and not mixed:
            parts.append(f"fails from {key} {show_value(bad[0])} up")
        else:
            parts.append(f"fails for {key} {', '.join(show_value(v) for v in bad)}")
    for v in mixed:
        here = [c for c in holds if c[key] == v]
        total = len(here) + len([c for c in fails if c[key] == v])
        only = f" ({describe({k: x for k, x in here[0].items() if k != key})})" if len(here) == 1 else ""
        parts.append(f"for {key} {show_value(v)} it holds on {len(here)} of {total}{only}")
    return "; ".join(parts), len(mixed)


def combine(
    family: Family, results: list[tuple[dict[str, Any], ClaimResult]], skipped: int
) -> tuple[ClaimResult, dict[str, Any] | None]:
    """One result for a claim checked on every configuration: a failure (at the smallest
    failing configuration, with its details), else an invalid one, else holds."""
    outcomes = [(c, r.status) for c, r in results]
    shown = tuple((describe(c), status) for c, status in outcomes)
    text = summary(family, outcomes)
    total = f"{len(results)} configurations" + (
        f" ({skipped} more are not valid layers, or empty ones, and were skipped)" if skipped else ""
    )
    for status in ("fails", "invalid"):
        bad = [(c, r) for c, r in results if r.status == status]
        if bad:
            config, worst = min(bad, key=lambda cr: size(family, cr[0]))
            where = describe(config)
            label = (
                "smallest failing configuration" if status == "fails" else "smallest configuration where it is invalid"
            )
            notes = (f"family of {total}: {text}", f"{label}: {where}", *worst.notes)
            return _replace(worst, notes=notes, outcomes=shown, smallest=where), config
    first = results[0][1]
    methods = sorted({r.method for _, r in results})
    method = methods[0] if len(methods) == 1 else "; ".join(methods)
    layout = [n for _, r in results for n in r.notes if n.startswith("layout:")][:1]  # never silent
    notes = (f"family of {total}: {text}", *layout)
    holds = _replace(
        first, message=f"holds on all {len(results)} configurations", method=method, notes=notes, outcomes=shown
    )
    return holds, None


def _replace(r: ClaimResult, **changes: Any) -> ClaimResult:
    return dataclasses.replace(r, **changes)
