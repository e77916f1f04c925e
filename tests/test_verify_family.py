"""Claims over families of shapes: every claim on every combination of a ``[family]``
table, where it holds, and the smallest configuration where it fails -- held to a
brute-force search that checks each configuration as a claims file of its own."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from symconv.cli import main
from symconv.errors import SpecError
from symconv.verify import verify_document, verify_file

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "textbook_stride_family.toml"

LAYER: dict[str, Any] = {"type": "conv2d", "input": [5, 5], "kernel": [3, 3], "bias": False}
#: values listed out of order on purpose: "smallest" is by size, not by position
FAMILY: dict[str, Any] = {"stride": [2, 1], "padding": [1, 0], "input": [[6, 7], [5, 5], [4, 4]]}
CLAIMS: list[dict[str, Any]] = [
    {  # the stride-1 input gradient: fails from stride 2 (mostly)
        "id": "dA.rot180",
        "latex": True,
        "lhs": r"\frac{\partial L}{\partial a_{ij}}",
        "rhs": r"\sum_{m}\sum_{n} g_{i-m+1+p_{top},\, j-n+1+p_{left}}\, k_{mn}",
    },
    {  # the kernel gradient without the padding offset: fails where there is padding
        "id": "dK.unpadded",
        "latex": True,
        "lhs": r"\frac{\partial L}{\partial k_{mn}}",
        "rhs": r"\sum_{p,q} g_{pq}\, a_{s(p-1)+m,\, s(q-1)+n}",
    },
    {"id": "square", "lhs": "h_a", "rhs": "w_a"},  # fails for the 6x7 input only
    {  # holds everywhere
        "id": "dK",
        "latex": True,
        "lhs": r"\frac{\partial L}{\partial k_{mn}}",
        "rhs": r"\sum_{p,q} g_{pq}\, a_{s(p-1)+m-p_{top},\, s(q-1)+n-p_{left}}",
    },
]
TABLES: dict[str, Any] = {
    "symbols": {"G": ["h_z", "w_z"]},
    "define": {"L": "sum_entries(hadamard(G, Z))", "s": "h_s"},
}


def _magnitude(v: Any) -> tuple[Any, ...]:
    flat = v if isinstance(v, list) else [v]
    return (sum(flat), tuple(flat))


def _smallest(configs: list[dict[str, Any]]) -> dict[str, Any]:
    """The documented order, written again: rank each key's values by size (numbers by value,
    lists by their sum, then entry by entry); the smallest configuration has the least sum
    of ranks, ties broken key by key in the table's order."""
    ranks = {k: {repr(v): sorted(vals, key=_magnitude).index(v) for v in vals} for k, vals in FAMILY.items()}

    def key(c: dict[str, Any]) -> tuple[int, tuple[int, ...]]:
        each = tuple(ranks[k][repr(c[k])] for k in FAMILY)
        return sum(each), each

    return min(configs, key=key)


def _described(config: dict[str, Any]) -> str:
    return ", ".join(f"{k} {'x'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in config.items())


def test_the_smallest_failing_configuration_is_the_brute_force_ones() -> None:
    report = verify_document({"layer": LAYER, "family": FAMILY, **TABLES, "claims": CLAIMS})
    configs = [dict(zip(FAMILY, combo, strict=True)) for combo in itertools.product(*FAMILY.values())]
    assert len(configs) == 12
    by_claim: dict[str, dict[str, str]] = {c["id"]: {} for c in CLAIMS}
    for config in configs:  # every configuration on its own, without the family machinery
        single = verify_document({"layer": {**LAYER, **config}, **TABLES, "claims": CLAIMS})
        for r in single.results:
            by_claim[r.id][_described(config)] = r.status
    for r in report.results:
        statuses = by_claim[r.id]
        assert dict(r.outcomes) == statuses, r.id
        failing = [c for c in configs if statuses[_described(c)] == "fails"]
        if failing:
            assert r.fails and r.smallest == _described(_smallest(failing)), (r.id, r.smallest)
            assert f"smallest failing configuration: {r.smallest}" in r.notes
        else:
            assert r.holds and r.smallest == ""
    results = {r.id: r for r in report.results}
    assert results["square"].notes[0] == "family of 12 configurations: holds for input 4x4, 5x5; fails for input 6x7"
    assert results["dK"].holds and results["dK"].message == "holds on all 12 configurations"
    # the orders differ: the 6x7 input is listed first but is the largest
    assert results["square"].smallest == "stride 1, padding 0, input 6x7"


@pytest.mark.slow(reason="the shipped family: every stride and padding of the example derived and checked, 5-8 s")
def test_the_shipped_example_answers_the_stride_question() -> None:
    report = verify_file(EXAMPLE)
    assert report.exit_code == 1
    r = {x.id: x for x in report.results}
    assert r["dA.rot180"].fails
    assert r["dA.rot180"].notes[:2] == (
        "family of 18 configurations: holds for stride 1; fails for stride 2; for stride 3 it holds on 1 of 6 "
        "(input 5x5, padding 0)",
        "smallest failing configuration: input 5x5, stride 2, padding 0",
    )
    assert r["dA.rot180"].counterexample is not None and r["dA.rot180"].labels == ("i", "j")
    for name in ("dA.strided", "dA.dilated", "dK"):
        assert r[name].holds and r[name].notes == ("family of 18 configurations: holds on all 18 configurations",)


def test_configurations_that_are_not_layers_are_skipped_and_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = {"layer": LAYER, "family": {"input": [[2, 2], [5, 5]], "padding": [0, 1]}, **TABLES, "claims": CLAIMS[3:]}
    (r,) = verify_document(doc).results  # 2x2 input, 3x3 kernel, no padding: no output
    assert r.holds and r.notes == (
        "family of 3 configurations (1 more are not valid layers, or empty ones, and were skipped): holds on all 3 "
        "configurations",
    )
    path = tmp_path / "family.toml"
    path.write_text(
        '[layer]\ntype = "conv2d"\ninput = [5, 5]\nkernel = [3, 3]\n[family]\nstride = [1, 2]\n'
        '[[claims]]\nid = "size"\nlhs = "h_z"\nrhs = "3"\n',
        encoding="utf-8",
    )
    assert main(["verify", str(path), "--json"]) == 1
    (item,) = json.loads(capsys.readouterr().out)["results"]
    assert item["configurations"] == [
        {"configuration": "stride 1", "status": "holds"},
        {"configuration": "stride 2", "status": "fails"},
    ]
    assert item["smallest"] == "stride 2"


@pytest.mark.parametrize(
    ("family", "message"),
    [
        (
            {"stride": list(range(1, 51)), "padding": list(range(6))},
            "family: makes 300 configurations; the limit is 256",
        ),
        ({"stride": []}, "family.stride: must be a non-empty list of the values to check, e.g. stride = [1, 2, 3]"),
        ({"stride": [1, 1]}, "family.stride: repeats a value"),
        ({"type": ["relu"]}, "family.type: a family varies the sizes of one layer type, not the type"),
        (
            {"colour": [1]},
            "layer.colour: is not a parameter of conv2d",
        ),
    ],
)
def test_a_family_is_bounded_and_checked(family: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as err:
        verify_document({"layer": LAYER, "family": family, "claims": [{"id": "c", "lhs": "1", "rhs": "1"}]})
    assert str(err.value).startswith(message)


def test_claims_times_configurations_stay_within_the_claims_limit() -> None:
    claims = [{"id": f"c{n}", "lhs": "1", "rhs": "1"} for n in range(100)]
    family = {"stride": [1, 2, 3, 4, 5], "padding": [0, 1, 2, 3, 4]}
    limit = r"there are 2500 claim checks .claims times configurations.; the limit is 2000"
    with pytest.raises(SpecError, match=limit):
        verify_document({"layer": LAYER, "family": family, "claims": claims})


def test_a_family_claim_that_rests_on_the_default_layout_says_so() -> None:
    claim = {
        "id": "dK",
        "latex": True,
        "lhs": r"\frac{\partial L}{\partial \mathbf{K}}",
        "rhs": r"\mathbf{A} \ast \mathbf{G}",
    }
    (r,) = verify_document({"layer": LAYER, "family": {"input": [[5, 5], [6, 7]]}, **TABLES, "claims": [claim]}).results
    assert r.holds
    assert r.notes == (
        "family of 2 configurations: holds on all 2 configurations",
        "layout: read in the mixed layout, the default; in the numerator layout this claim fails "
        '(state layout = "mixed" to make it explicit)',
    )
