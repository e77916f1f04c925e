"""Where a document departs from the seed's text: what the seed writes, what is correct,
and the claim of the seed audit (``symconv verify seed_audit``) that decides it.

Each remark is shown once, where the document reaches the passage; the builders pick them
by name.  ``tests/test_latex_content.py`` checks that every claim named here is a claim of
the audit, and that the seed's version fails there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Remark:
    """``seed``: what the seed writes; ``correct``: what is right (LaTeX text mode);
    ``claims``: the audit's claim ids for the seed's version (they fail); ``checks``: the
    audit's claims that check the form used here (they hold), for a slip whose words cannot
    be stated as a claim, or to show the reading the document takes."""

    seed: str
    correct: str
    claims: tuple[str, ...]
    checks: tuple[str, ...] = ()

    @property
    def ids(self) -> str:
        """The claim ids, typeset."""
        return _typeset(self.claims)

    @property
    def audit(self) -> str:
        """What the seed audit says about it, naming its claims (empty when no claim decides it)."""
        head = "Seed audit, \\texttt{symconv verify seed\\_audit}: "
        if self.claims and self.checks:
            return f"{head}{self.ids} (the seed's version, which fails); {_typeset(self.checks)} (the form used here)."
        if self.claims:
            return f"{head}{self.ids}."
        if self.checks:
            return (
                f"{head}the seed's words cannot be stated as a claim; {_typeset(self.checks)} check the form used here."
            )
        return ""


def _typeset(ids: tuple[str, ...]) -> str:
    return ", ".join("\\texttt{" + c.replace("_", "\\_") + "}" for c in ids)


REMARKS = {
    "rep1": Remark(
        "In Appendix A, rep.1 draws the block behind $z_{41}$ as "
        "$\\left[\\begin{smallmatrix} 0 & 0 \\\\ 0 & a_{31} \\end{smallmatrix}\\right]$.",
        "The block is $\\left[\\begin{smallmatrix} 0 & a_{31} \\\\ 0 & 0 \\end{smallmatrix}\\right]$, "
        "which gives $z_{41} = a_{31} k_{12}$ (the seed's $a_{31}\\beta_{12}$), as rep.2 says. Every block here is "
        "read off the window map.",
        ("A.rep1", "A.rep1.window-41"),
    ),
    "eq-a2-2": Remark(
        "In eq.a2-2 the sum from rep.2 is written "
        "$a_{22}\\beta_{11} + a_{23}A_{12} + a_{32}\\beta_{21} + a_{33}\\beta_{22}$, "
        "and its derivative with respect to $A_{23}$ would be $A_{12}$.",
        "The term is $a_{23}\\beta_{12}$ ($a_{23} k_{12}$ here), and the derivative is $\\beta_{12}$ ($k_{12}$), "
        "as the seed's next line says.",
        ("A.eq-a2-2.rep2-as-written", "A.eq-a2-2.step1", "A.eq-a2-2.step1-to-2"),
    ),
    "beta": Remark(
        "The seed calls the kernel of Appendix A $\\beta$, with entries $\\beta_{rs}$.",
        "Here the kernel is $\\mathbf{K}$ and its entries are $k_{rs}$ (the seed's $\\beta_{rs}$), the names of "
        "section 3; nothing else changes.",
        (),
    ),
    "omega": Remark(
        "Appendix B draws $\\Omega$ with entries $\\Omega_{11}$ to $\\Omega_{h_a w_a}$, an $h_a \\times w_a$ matrix.",
        "$\\Omega$ is the pooling window, $h_l \\times w_l$, as the seed's own text says.",
        ("B.setup.omega-displayed",),
    ),
    "switch-bound": Remark(
        "Appendix B writes ``an integer index $1 \\leq i_{pq} \\leq$'' with no upper bound, and in its example "
        "writes $a_{11}, a_{21}, a_{31}$ for the entries of $\\mathbf{I}$.",
        "$1 \\leq i_{pq} \\leq h_l w_l$, and the entries are $I_{11}, I_{21}, I_{31}$.",
        (),
        ("B.switch.bound", "B.switch.A21"),
    ),
    "empty-row": Remark(
        "Appendix B says each row of the mask has a single 1, at column $j = (c_i - 1)h_i + r_i$, "
        "and bounds the column of $\\mathbf{I}$ by $w_l$.",
        "When a window's maximum is a padded entry (the seed's own $\\max\\{0, \\ldots\\}$ allows it) the row is "
        "all zeros: the formula for $j$ then names a column outside the window, or outside $1, \\ldots, h_i w_i$, "
        "and would route the gradient to the wrong input. The column of $\\mathbf{I}$ runs to $w_i$.",
        ("B.eq-b-1.one-per-row.padding-max", "B.mask.position.all.padded-max", "B.eq-b-1.range-l"),
    ),
    "mask-channels": Remark(
        "Section 3.1.3 takes one $\\frac{d{}_v\\mathbf{A}}{d{}_v\\mathbf{I}}$ for all channels, "
        "and for max pooling calls the mask that matrix.",
        "That holds for average pooling only: a max-pooling mask depends on the channel's values, "
        "so the gradient is taken channel by channel, as below.",
        ("N.3.1.3.same-for-channels.max",),
    ),
    "layer-input": Remark(
        "Section 3.1.5 says $\\frac{d{}_v\\mathbf{Z}_j}{d{}_v\\mathbf{K}_{j,i}}$ depends on the $i$-th channel of "
        "$\\mathbf{A}^{[2]}$, and writes $\\frac{d{}_v\\mathbf{Z}_j^{[2]}}{d{}_v\\mathbf{A}_i^{[2]}}$ of size "
        "$h_z^{[2]} w_z^{[2]} \\times h_a^{[2]} w_a^{[2]}$; its bias list runs to $c^{[1]}$.",
        "A layer's Jacobians involve its own input, $\\mathbf{A}^{[l-1]}$ (here with $h_a^{[l-1]} w_a^{[l-1]}$ "
        "columns), and the bias list runs to $c^{[l]}$, as below.",
        ("N.3.1.5.dZ-dK-uses-A2", "N.3.1.5.dZ-dA-shape", "N.3.1.5.dZ-dA-display", "N.3.1.5.dJ-db.list"),
    ),
    "kernel-index": Remark(
        "Section 3.1.5 writes the kernel's Jacobian as "
        "$\\frac{d{}_v\\mathbf{Z}^{[2]}}{d{}_v\\mathbf{K}_{j,i}^{[2]}}$, the whole output by one kernel channel.",
        "${}_v\\mathbf{Z}^{[2]}$ is a matrix with one column per channel, and the seed's layout defines no "
        "derivative of a matrix by a vector; its dimensions, $h_z w_z \\times h_k w_k$, are those of one channel, "
        "so it is read as $\\frac{d{}_v\\mathbf{Z}_j^{[2]}}{d{}_v\\mathbf{K}_{j,i}^{[2]}}$, as below.",
        (),
        ("N.3.1.5.dJ-dK-all-kernels", "N.3.1.5.dZ-dK-shape"),
    ),
    "kernel-1": Remark(
        "Section 3.1.6 gives layer 1's kernel gradient with layer 2's formula: $\\mathbf{K}^{[2]}$, "
        "$\\mathbf{Z}^{[2]}$ and $i$ up to $c^{[1]}$.",
        "Layer 1 uses its own tensors, $\\mathbf{K}^{[1]}$, $\\mathbf{Z}^{[1]}$ and its input $\\mathbf{A}^{[0]}$, "
        "with $i$ up to $c^{[0]}$, as below.",
        ("N.3.1.6.dJ-dK-as-written",),
    ),
    "assigned-to": Remark(
        "Before eq.b-2.3 Appendix B calls the result ``the entry of the matrix $\\mathbf{I}$ that is assigned to "
        "$Z_{pq}$''.",
        "Appendix B has no $\\mathbf{Z}$: the entry is the one assigned to $A_{pq}$, as its other sentences say.",
        (),
        ("B.eq-b-2.3", "B.eq-b-2.3.all.padded-max", "B.eq-b-2.3.all.ties"),
    ),
    "top-left": Remark(
        "Before eq.b-2.2 Appendix B names the top-left position of the window "
        "$({}^{pq}r_i, {}^{pq}c_i)$, without the left subscript $t$ that eq.b-2.2 and eq.b-2.3 use, so that it "
        "reads as the position eq.b-2.3 computes.",
        "It is $({}^{pq}_{t}r_i, {}^{pq}_{t}c_i)$ here, as in eq.b-2.2.",
        (),
        ("B.eq-b-2.2.all", "B.eq-b-2.2.block-21", "B.eq-b-2.3"),
    ),
    "grad-b": Remark(
        "Section 3.2 writes "
        "$\\nabla_{b^{[l]}} J = \\bigl(\\frac{d{}_v\\mathbf{Z}^{[2]}}{d{}_v\\mathbf{b}^{[l]}}\\bigr)^\\top$, "
        "with no $J$ in it.",
        "$\\nabla_{\\mathbf{b}^{[l]}} J = \\bigl(\\frac{dJ}{d\\mathbf{b}^{[l]}}\\bigr)^\\top$.",
        ("N.3.2.grad-b",),
    ),
}


def remark(name: str) -> Remark:
    """The remark called ``name``."""
    return REMARKS[name]
