"""The shipped audit of the seed: the verdict expected for every claim, derived by reading
the seed (each failing one names the passage and why it is wrong), then checked."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from test_verify_common import arrays_from, reference_conv

from symconv.verify import Report, builtin_path, verify
from symconv.verify.report import format_report

# Claims expected to FAIL, with the reason read off the seed.
SEED_ERRORS = {
    # rep.1 draws the block behind z_41 as [[0, 0], [0, a_31]]; the window at rows 3-4
    # (row 4 is padding), columns 0-1 (column 0 is padding) is [[0, a_31], [0, 0]]; rep.2's
    # own z_41 = a_31 beta_12 agrees with the latter, not with rep.1.
    "A.rep1": "rep.1 block (4, 1)",
    "A.rep1.window-41": "rep.1 block (4, 1)",
    # eq.a2-2 writes the rep.2 sum with a_23 A_12 instead of a_23 beta_12 ...
    "A.eq-a2-2.rep2-as-written": "a_23 A_12",
    # ... so its first line is not dz_32/dA_23 (= beta_12) but A_12 ...
    "A.eq-a2-2.step1": "a_23 A_12",
    # ... and the step from that line to beta_12 is wrong.
    "A.eq-a2-2.step1-to-2": "a_23 A_12",
    # Appendix B says Omega is (h_l, w_l) but draws it with entries up to Omega_{h_a w_a}.
    "B.setup.omega-displayed": "Omega drawn h_a x w_a",
    # 'since A_pq = I_kl ... each row has one entry equal to 1': with the padded zeros in the
    # max (the seed's own max{0, ...}), a negative input makes A_pq the padded 0, no I_kl.
    "B.eq-b-1.one-per-row.padding-max": "padding can be the maximum",
    # '1 <= l <= w_l': l is a column of I, up to w_i (A_13 can be I_14, l = 4 > w_l = 2).
    "B.eq-b-1.range-l": "l <= w_l",
    # 3.1.5: 'depends only on the entries of i-th channel of A^[2]' -- it is A^[1].
    "N.3.1.5.dZ-dK-uses-A2": "A^[2] for A^[1]",
    # 3.1.5: dJ/db^[2] = [... dJ/d vZ_{c^[1]}^[2] 1]: the list must run to c^[2].
    "N.3.1.5.dJ-db.list": "c^[1] for c^[2]",
    # 3.1.5: 'h_z^[2] w_z^[2] x h_a^[2] w_a^[2]' -- the columns are the entries of A^[1].
    "N.3.1.5.dZ-dA-shape": "A^[2] for A^[1]",
    # 3.1.5: the display differentiates by vA_i^[2]; its columns are those of A^[1].
    "N.3.1.5.dZ-dA-display": "A^[2] for A^[1]",
    # 3.2: grad_b J = (d vZ^[2] / d vb^[l])^T has no J in it; it should be (dJ/db)^T.
    "N.3.2.grad-b": "gradient of b",
    # N1: 'the 1 is at j = (c_i - 1) h_i + r_i' -- for a padded maximum the row has no 1, but
    # the formula still names a column (3, 9 and 7 for A_12, A_13 and A_32 of a negative input).
    "B.mask.position.all.padded-max": "j for a padded maximum",
    # 3.1.3: one d vA/d vI for every channel; a max-pooling mask depends on the channel's values.
    "N.3.1.3.same-for-channels.max": "one mask for all channels",
    # 3.1.6 computes dJ/d vK^[1] with layer 2's formula (K^[2], Z^[2], i up to c^[1]).
    "N.3.1.6.dJ-dK-as-written": "layer 2 for layer 1",
}
SEED = "the seed as written"
OURS = "symconv's checks and corrections"


@pytest.fixture(scope="module")
def report() -> Report:
    return verify("seed_audit")


def test_every_claim_is_valid_and_the_verdicts_are_the_seeds(report: Report) -> None:
    assert not [r.id for r in report.results if r.invalid]
    failing = {r.id for r in report.results if r.fails}
    assert failing == set(SEED_ERRORS)
    assert report.exit_code == 1
    assert len(report.results) >= 100


def test_the_seed_as_written_is_counted_apart_from_symconvs_own_claims(report: Report) -> None:
    groups = {r.id: r.claim.group for r in report.results if r.claim is not None}
    assert set(groups.values()) == {SEED, OURS}  # every claim is in one of the two groups
    ours = {cid for cid, g in groups.items() if g == OURS}
    # symconv's self-checks, its readings of notation slips and its corrections all hold
    assert all(report.result(cid).holds for cid in ours)
    assert {"A.eq-a1-1.core", "A.eq-a2-1.core", "N.3.2.grad-b.corrected", "B.switch.A21"} <= ours
    assert {cid for cid in SEED_ERRORS if groups[cid] != SEED} == set()
    counts = report.group_counts()
    assert list(counts) == [SEED, OURS]
    assert counts[SEED]["fails"] == len(SEED_ERRORS) and counts[OURS]["fails"] == 0
    text = format_report(report)
    for group, c in counts.items():
        n = sum(c.values())
        assert f"{group}: {n} claims, {c['holds']} hold, {c['fails']} fail, 0 invalid" in text


def _seed_positions(x: np.ndarray, window: tuple[int, int], pad: tuple[int, int], stride: tuple[int, int]):
    """Appendix B's steps, written here from the seed's text with plain loops: for every
    output, the switch (first maximum in the window's column-major order, padding as 0),
    eq.b-2.1 to eq.b-2.3, j, and whether the maximum is a padded entry."""
    (h, w), (hl, wl), (ph, pw), (sh, sw) = x.shape, window, pad, stride
    padded = np.zeros((h + 2 * ph, w + 2 * pw))
    padded[ph : ph + h, pw : pw + w] = x
    ha, wa = (h + 2 * ph - hl) // sh + 1, (w + 2 * pw - wl) // sw + 1
    out = {}
    for p in range(1, ha + 1):
        for q in range(1, wa + 1):
            block = padded[(p - 1) * sh : (p - 1) * sh + hl, (q - 1) * sw : (q - 1) * sw + wl]
            v_omega = block.T.ravel()
            i = int(np.argmax(v_omega)) + 1
            c_b = -(-i // hl)
            r_b = i - (c_b - 1) * hl
            tr, tc = 1 + sh * (p - 1) - ph, 1 + sw * (q - 1) - pw
            r_i, c_i = r_b + tr - 1, c_b + tc - 1
            on_padding = not (1 <= r_i <= h and 1 <= c_i <= w)
            out[(p, q)] = ((c_i - 1) * h + r_i, on_padding, (tr, tc))
    return out


def test_n1_the_mask_position_sends_a_padded_maximum_to_a_wrong_input(report: Report) -> None:
    x = -np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 1, 2, 3]], dtype=float)
    steps = _seed_positions(x, (3, 2), (1, 1), (1, 2))
    h = x.shape[0]
    wrong = {}
    for (p, q), (j, on_padding, (tr, tc)) in steps.items():
        if on_padding and 1 <= j <= x.size:
            r, c = (j - 1) % h + 1, (j - 1) // h + 1  # the entry of I that j names
            inside = tr <= r <= tr + 2 and tc <= c <= tc + 1
            assert not inside
            wrong[(p, q)] = j
    assert wrong == {(1, 2): 3, (1, 3): 9, (3, 2): 7}
    r = report.result("B.mask.position.all.padded-max")
    assert r.fails
    # the claim's right side is j for every output: it agrees with the loops above
    rhs = np.array(r.claimed.tolist(), dtype=int).ravel()
    expected = [steps[(k % 3 + 1, k // 3 + 1)][0] for k in range(9)]
    assert list(rhs) == expected
    # the true mask: one 1 (at the centre window) and eight empty rows
    assert np.array_equal(np.array(r.correct.tolist(), dtype=int).ravel(), [0, 0, 0, 0, 6, 0, 0, 0, 0])
    # on ties and on maxima inside I the formula is right for every output
    assert report.result("B.mask.position.all.ties").holds
    assert report.result("B.mask.position.all").holds


def _listed(text: str) -> tuple[set[str], int]:
    """The claim ids a list of the seed's errors gives as failing, and how many of its items
    are 'not decidable'."""
    failing: set[str] = set()
    for ids in re.findall(r"((?:`[A-Za-z0-9_.:+-]+`(?:, )?)+)(?::| \|) fails", text):
        failing |= set(re.findall(r"`([^`]+)`", ids))
    return failing, len(re.findall(r"not decidable", text))


def test_the_findings_document_lists_exactly_the_audits_errors(report: Report) -> None:
    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "seed_audit.md").read_text(encoding="utf-8")
    table = doc.split("### The seed's errors", 1)[1].split("###", 1)[0]
    failing = {r.id for r in report.results if r.fails}
    c = report.group_counts()
    listed, undecidable = _listed(table)
    assert listed == failing
    assert undecidable >= 4
    seed, ours = c[SEED], c[OURS]
    flat = " ".join(doc.split())
    assert f"{sum(seed.values())} claims on " in flat and "statements of the seed" in flat
    assert f"{seed['holds']} hold and {seed['fails']} fail" in flat
    assert f"{sum(ours.values())} claims, all holding" in flat


@pytest.mark.parametrize(
    "claim_id",
    [
        "A.rep2",  # rep.2 is right entry by entry
        "A.eq-a1-2.step1",
        "A.eq-a1-2.step4",
        "A.eq-a1-2.step6",
        "A.eq-a1-3",
        "A.eq-a2-2.step2",  # the value beta_12 is right
        "A.eq-a2-2.step5",
        "A.dZ-dA23.unit",
        "A.eq-a2-3.all-columns",
        "B.rep1",
        "B.rep2",
        "B.output-size.h",
        "B.output-size.w",
        "B.switch.i21",
        "B.eq-b-2.1",
        "B.eq-b-2.3",
        "B.mask.position",
        "B.eq-b-1.mask-is-derivative",
        "N.2.output-size.l1",
        "N.3.1.1.dJ-dW3",
        "N.3.1.1.dJ-dB2",
        "N.3.1.2.reshape",
        "N.3.1.3.shape",  # 'h_a w_a x h_z w_z' is right in 3.1.3
        "N.3.1.5.dJ-db",  # (dJ/d vZ 1)^T is right
        "N.3.1.6.dJ-db1",
        "N.3.2.grad-K",
    ],
)
def test_statements_the_seed_gets_right_hold(report: Report, claim_id: str) -> None:
    r = report.result(claim_id)
    assert r.holds, r.message


def test_rep1_counterexample_against_the_reference_convolution(report: Report) -> None:
    r = report.result("A.rep1")
    assert [d.entry for d in r.differing] == [(4, 1)]
    cx = r.counterexample
    assert cx is not None and cx.entry == (4, 1)
    v = arrays_from(cx.values, {"a": (3, 4), "k": (2, 2)})
    z = reference_conv(v["a"], v["k"], (1, 1), (1, 2))
    drawn = v["a"][2, 0] * v["k"][1, 1]  # [[0, 0], [0, a_31]] * beta
    assert z[3, 0] == cx.lhs and drawn == cx.rhs and z[3, 0] != drawn


def test_eq_a2_2_counterexample(report: Report) -> None:
    r = report.result("A.eq-a2-2.step1-to-2")
    cx = r.counterexample
    assert cx is not None
    v = arrays_from(cx.values, {"a": (3, 4), "k": (2, 2)})
    assert cx.lhs == v["a"][0, 1]  # d/dA_23 of a_23 A_12 is A_12
    assert cx.rhs == v["k"][0, 1]  # beta_12
    assert cx.lhs != cx.rhs


def test_shape_findings_give_the_true_dimensions(report: Report) -> None:
    assert tuple(report.result("B.setup.omega-displayed").correct.items) == (3, 2)  # (h_l, w_l)
    # the network: h_z^[2] w_z^[2] = 9 rows, h_a^[1] w_a^[1] = 4 columns (not h_a^[2] w_a^[2] = 2)
    assert tuple(report.result("N.3.1.5.dZ-dA-shape").correct.items) == (9, 4)
    assert report.result("B.eq-b-1.range-l").correct == 4


def test_padding_max_lists_the_rows_without_a_one(report: Report) -> None:
    r = report.result("B.eq-b-1.one-per-row.padding-max")
    # every window of the 3x3 output except the centre one includes padding
    assert sorted(d.entry for d in r.differing[:8]) == [(k, 1) for k in (1, 2, 3, 4, 6, 7, 8, 9)]
    assert np.array_equal(np.array(r.correct.tolist(), dtype=int).ravel(), [0, 0, 0, 0, 1, 0, 0, 0, 0])


def test_the_findings_document_names_every_failing_claim() -> None:
    doc = Path(__file__).resolve().parents[1] / "docs" / "seed_audit.md"
    text = doc.read_text(encoding="utf-8")
    for claim_id in SEED_ERRORS:
        assert claim_id in text, claim_id


def test_builtin_claims_ship_as_package_data() -> None:
    assert builtin_path("seed_audit").is_file()


def test_every_documents_remark_names_failing_claims_of_the_seed(report: Report) -> None:
    from symconv.latex.remarks import REMARKS

    named = {cid for r in REMARKS.values() for cid in r.claims}
    # each remark points at the seed's version, which fails, and every error is remarked on
    assert named == set(SEED_ERRORS)
    for r in REMARKS.values():
        for cid in r.claims:
            assert report.result(cid).claim.group == SEED
        # the claims that check the form a document uses instead hold
        for cid in r.checks:
            assert report.result(cid).holds, cid
    # the slips the seed's words cannot state as a claim are remarked on too, each with the
    # claims that decide the form used (issue 23: no correction without a remark)
    silent = {"kernel-index", "assigned-to", "top-left", "switch-bound"}
    assert all(REMARKS[name].checks or name == "switch-bound" for name in silent)
    assert all(REMARKS[name].audit for name in REMARKS if name != "beta")


def test_the_headline_counts_places_of_the_seed_as_well_as_claims(report: Report) -> None:
    """A place is one statement of the seed (an equation, a displayed matrix, a sentence):
    claims that check it on several inputs or entries share its ``where``."""
    seed = [r for r in report.results if r.claim is not None and r.claim.group == SEED]
    places = {r.claim.where for r in seed}
    assert len(places) < len(seed)
    by_place: dict[str, int] = {}
    for r in seed:
        by_place[r.claim.where] = by_place.get(r.claim.where, 0) + 1
    assert by_place["Appendix B, eq.b-2.2"] == 4
    assert by_place["Appendix B, step 1: the 1 of the row of A_pq is at j = (c_i - 1) h_i + r_i"] == 5
    assert by_place["Appendix B, after eq.b-1: each row of the mask has a single 1"] == 3
    root = Path(__file__).resolve().parents[1]
    doc = " ".join((root / "docs" / "seed_audit.md").read_text(encoding="utf-8").split())
    headline = f"{len(seed)} claims on {len(places)} statements of the seed"
    assert headline in doc
    # a statement read more narrowly than the seed wrote it is listed with its narrowing
    narrowed = [r.id for r in seed if "narrowed" in (r.claim.note or "")]
    assert narrowed == ["N.2.I-shape"]
    assert "`N.2.I-shape`" in doc and "one channel" in doc


def test_a_claim_group_must_be_a_short_string() -> None:
    from symconv.errors import SpecError
    from symconv.verify import verify

    base = '[layer]\ntype = "relu"\ninput = [1, 1]\n[[claims]]\nid = "x"\nlhs = "shape(Z)"\nrhs = "(1, 1)"\n'
    assert verify(base + 'group = "mine"\n').group_counts() == {"mine": {"holds": 1, "fails": 0, "invalid": 0}}
    r = verify(base + "group = 3\n").results[0]  # this claim is invalid; a file's other claims would still run
    assert r.invalid and r.message == "claims[0].group: must be a string, got int"
    r = verify(base + f'group = "{"g" * 81}"\n').results[0]
    assert r.invalid and r.message == "claims[0].group: must be at most 80 characters long"
    with pytest.raises(SpecError, match="layout: must be one of"):
        verify('layout = "column"\n' + base)
