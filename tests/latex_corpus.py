r"""LaTeX as people write it in notes, textbooks and papers about back-propagation, with
what each form means in the expression language.

A form is *accepted* when the LaTeX reader reads it and the claim ``latex == meaning``
holds: reading it is not enough, it must be read right.  ``REFUSED`` lists the forms that
are not accepted today, each with the reason; the acceptance rate in the README is
computed from this file by ``tests/test_verify_latex_corpus.py``.
"""

from __future__ import annotations

from typing import Any

from test_verify_common import APPENDIX_A, APPENDIX_B, SMALL_NET

CONV: dict[str, Any] = {"layer": APPENDIX_A}  # the seed's Appendix A layer
CHANNELS: dict[str, Any] = {
    "layer": {
        "type": "conv2d",
        "input": [4, 4],
        "kernel": [2, 2],
        "padding": [1, 1],
        "stride": [2, 2],
        "in_channels": 2,
        "out_channels": 3,
    },
    "symbols": {"G": [3, 3, 3], "delta": [3, 3]},
    "define": {"L": "sum_for(j, 1, 3, sum_entries(hadamard(G[j], Z[j])))"},
}
WIDE: dict[str, Any] = {"layer": {"type": "conv2d", "input": [12, 12], "kernel": [3, 3], "bias": False}}
POOL: dict[str, Any] = {"layer": APPENDIX_B}  # the seed's Appendix B layer
NET: dict[str, Any] = {"network": SMALL_NET, "layout": "numerator"}  # the seed's chain rule (3.2)
SUBJECTS = {"conv": CONV, "channels": CHANNELS, "wide": WIDE, "pool": POOL, "net": NET}

#: (subject, LaTeX, the same in the expression language)
FORMS: list[tuple[str, str, str]] = [
    # entries and the seed's rep.2
    ("conv", r"z_{32}", "z[3,2]"),
    ("conv", r"z_{3,2}", "z[3,2]"),
    ("conv", r"Z_{32}", "z[3,2]"),
    ("conv", r"a_{22}\beta_{11} + a_{23}\beta_{12} + a_{32}\beta_{21} + a_{33}\beta_{22}", "z[3,2]"),
    ("conv", r"a_{11} \cdot \beta_{22}", "z[1,1]"),
    ("conv", r"a_{11} \times \beta_{22}", "z[1,1]"),
    ("conv", r"\sum_{r=1}^{2}\sum_{s=1}^{2} a_{1+r,1+s}\beta_{rs}", "z[3,2]"),
    (
        "conv",
        r"\sum_{r=1}^{2} \sum_{s=1}^{2} a_{rs} \, \beta_{rs}",
        "a[1,1]*k[1,1] + a[1,2]*k[1,2] + a[2,1]*k[2,1] + a[2,2]*k[2,2]",
    ),
    ("conv", r"\sum_{i=1}^{4} a_{1i}", "a[1,1] + a[1,2] + a[1,3] + a[1,4]"),
    ("conv", r"\sum_{q=1}^{w_z} z_{1q}", "z[1,1] + z[1,2] + z[1,3]"),
    ("conv", r"\sum_{i=1}^{3}\sum_{j=1}^{4} a_{ij}", "sum_entries(A)"),
    ("conv", r"\sum_{i=1}^{3} \delta_{i2} a_{i1}", "a[2,1]"),
    ("conv", r"\sum_{p=1}^{4}\sum_{q=1}^{3} \delta_{p,q} z_{pq}", "z[1,1] + z[2,2] + z[3,3]"),
    # derivatives
    ("conv", r"\frac{\partial z_{32}}{\partial \beta_{21}}", "a[3,2]"),
    ("conv", r"\frac{dz_{32}}{d\beta_{21}}", "a[3,2]"),
    ("conv", r"\dfrac{\partial z_{11}}{\partial \beta_{22}}", "a[1,1]"),
    ("conv", r"\partial z_{32} / \partial \beta_{21}", "a[3,2]"),
    ("conv", r"\frac{\partial z_{32}}{\partial A_{23}}", "beta[1,2]"),
    ("conv", r"\frac{\partial}{\partial \beta_{21}} z_{32}", "a[3,2]"),
    ("conv", r"\frac{\partial \mathbf{Z}}{\partial \beta_{21}}", "conv(A, unit(2, 2, 2, 1), padding=1, stride=(1, 2))"),
    ("conv", r"\frac{\partial z_{32}}{\partial \beta}", "diff(z[3,2], beta)"),
    ("conv", r"\nabla_{\beta} z_{32}", "grad(z[3,2], beta)"),
    ("conv", r"\frac{\partial\, \mathrm{vec}(\mathbf{Z})}{\partial\, \mathrm{vec}(\beta)}", "J_K"),
    ("conv", r"\frac{d_v \mathbf{Z}}{d_v \mathbf{A}}", "J_A"),
    ("conv", r"\frac{d{}_v\mathbf{Z}}{d{}_v\beta}", "J_K"),
    ("conv", r"\left(\frac{\partial {}_v \mathbf{Z}}{\partial {}_v \beta}\right)^\top", "transpose(J_K)"),
    # products and the chain rule
    ("conv", r"\frac{d_v\mathbf{Z}}{d_v\beta} \cdot {}_v\beta", "vec(Z)"),
    ("conv", r"\frac{d_v\mathbf{Z}}{d_v\beta} {}_v\beta", "vec(Z)"),
    ("conv", r"\frac{d_v\mathbf{Z}}{d_v\beta} \times \mathrm{vec}(\beta)", "vec(Z)"),
    ("conv", r"\mathbf{A}^\top \cdot \mathbf{A}", "transpose(A) @ A"),
    ("conv", r"\mathbf{A}^{T}\mathbf{A}", "transpose(A) @ A"),
    # convolution, flips, vec
    ("conv", r"\mathbf{A} * \beta", "Z"),
    ("conv", r"\mathbf{A} \ast \beta", "Z"),
    ("conv", r"\mathbf{A} \star \mathbf{K}", "Z"),
    ("conv", r"\mathbf{A} \circledast \mathbf{K}", "Z"),
    ("conv", r"\begin{bmatrix} a_{22} & a_{23} \\ a_{32} & a_{33} \end{bmatrix} * \beta", "z[3,2]"),
    ("conv", r"\text{vec}(\mathbf{Z})", "vec(Z)"),
    ("conv", r"\mathrm{vec}(\mathbf{Z})", "vec(Z)"),
    ("conv", r"\operatorname{vec}\left(\mathbf{Z}\right)", "vec(Z)"),
    ("conv", r"{}_v\mathbf{Z}", "vec(Z)"),
    ("conv", r"\operatorname{rot180}(\beta)", "rot180(beta)"),
    ("conv", r"\mathrm{rot180}(\mathbf{K})", "rot180(K)"),
    ("conv", r"\operatorname{rot}_{180}(\beta)", "rot180(beta)"),
    ("conv", r"\operatorname{flip}(\beta)", "rot180(beta)"),
    ("conv", r"\beta \odot \beta", "hadamard(beta, beta)"),
    ("conv", r"\beta \circ \beta", "hadamard(beta, beta)"),
    ("conv", r"\beta^\top", "transpose(beta)"),
    ("conv", r"\mathbf{K}^{\intercal}", "transpose(K)"),
    ("conv", r"\mathbf{K}^{\mathsf{T}}", "transpose(K)"),
    ("conv", r"\operatorname{tr}(\beta)", "trace(beta)"),
    ("conv", r"\mathbf{1}_{(2,3)}", "ones(2, 3)"),
    ("conv", r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}", "eye(2)"),
    # sizes and numbers
    ("conv", r"\left\lfloor \frac{h_a + 2 h_p - h_k}{h_s} \right\rfloor + 1", "h_z"),
    ("conv", r"\lfloor (w_a + 2w_p - w_k)/w_s \rfloor + 1", "w_z"),
    ("conv", r"\left( a_{11} + a_{12} \right)^2", "(a[1,1] + a[1,2])**2"),
    ("conv", r"\frac{1}{2} a_{11}", "a[1,1]/2"),
    ("conv", r"0.5 a_{11}", "a[1,1]/2"),
    ("conv", r"0.1 + 0.2", "3/10"),
    ("conv", r"\max(a_{11}, a_{12})", "Max(a[1,1], a[1,2])"),
    ("conv", r"\max\{0, a_{11}\}", "relu(a[1,1])"),
    ("conv", r"\exp(a_{11})", "exp(a[1,1])"),
    ("conv", r"e^{a_{11}}", "exp(a[1,1])"),
    ("conv", r"\ln(a_{11}^2)", "log(a[1,1]**2)"),
    ("conv", r"\sigma(a_{11})", "sigmoid(a[1,1])"),
    # channels, an upstream gradient and multi-digit subscripts
    ("channels", r"z_{121}", "z[1,2,1]"),
    ("channels", r"z_{1,21}", "z[1,2,1]"),
    ("channels", r"k_{1,2,11}", "k[1,2,1,1]"),
    ("channels", r"\mathbf{Z}_{2}", "Z[2]"),
    ("channels", r"\frac{\partial z_{1,11}}{\partial b_{1}}", "1"),
    ("channels", r"\sum_{i=1}^{2} \mathbf{A}_{i} * \mathbf{K}_{1,i}", "Z[1] - b[1]*ones(3, 3)"),
    ("channels", r"\frac{\partial z_{1,11}}{\partial \mathbf{K}_{1,2}}", "diff(z[1,1,1], K[1,2])"),
    ("channels", r"\sum_{p=1}^{3}\sum_{q=1}^{3} g_{1,pq}", "sum_entries(G[1])"),
    ("channels", r"\frac{\partial L}{\partial b_{1}}", "sum_entries(G[1])"),
    ("channels", r"\frac{\partial L}{\partial b_1}", "sum_entries(G[1])"),
    ("channels", r"\mathbf{G}_{1} \odot \mathbf{Z}_{1}", "hadamard(G[1], Z[1])"),
    ("channels", r"\delta_{23}", "delta[2,3]"),
    ("channels", r"\boldsymbol{\delta}^\top", "transpose(delta)"),
    ("channels", r"\operatorname{rot180}(\mathbf{K}_{1,1})", "rot180(K[1,1])"),
    ("wide", r"a_{31}", "a[3,1]"),
    ("wide", r"a_{3,1}", "a[3,1]"),
    ("wide", r"a_{10,2}", "a[10,2]"),
    ("wide", r"a_{102}", "a[10,2]"),
    ("wide", r"a_{111}", "a[1,11]"),
    ("wide", r"z_{1010}", "z[10,10]"),
    # max pooling (Appendix B)
    ("pool", r"\max\{0, I_{11}, I_{21}, I_{31}\}", "A[2,1]"),
    ("pool", r"\max \begin{bmatrix} 0 & I_{11} \\ 0 & I_{21} \\ 0 & I_{31} \end{bmatrix}", "A[2,1]"),
    ("pool", r"\frac{\partial A_{21}}{\partial I_{21}}", "diff(A[2,1], I[2,1])"),
    ("pool", r"\left\lfloor \frac{h_i + 2 \times {}^l h_p - h_l}{{}^l h_s} + 1 \right\rfloor", "h_a"),
    # a network (section 3)
    ("net", r"z_{1,11}^{[1]}", "z1[1,1,1]"),
    ("net", r"h_z^{[1]}", "h_z1"),
    ("net", r"c^{[1]}", "c1"),
    ("net", r"\frac{\partial J}{\partial \mathbf{b}^{[2]}}", "diff(J, b2)"),
    ("net", r"\left(\mathbf{W}^{[2]}\right)^\top", "transpose(W2)"),
    (
        "net",
        r"\frac{\partial J}{\partial \mathbf{Z}^{[2]}} \cdot "
        r"\frac{\partial \mathbf{Z}^{[2]}}{\partial \mathbf{B}^{[1]}}",
        "diff(J, B1)",
    ),
    (
        "net",
        r"\frac{\partial J}{\partial \mathbf{Z}^{[2]}} \frac{\partial \mathbf{Z}^{[2]}}{\partial \mathbf{b}^{[2]}}",
        "diff(J, b2)",
    ),
]

#: forms not accepted, and why (each is refused with a message, never misread)
REFUSED = {
    r"\operatorname{flip}(\beta)": "flip is not a name the reader knows (rot180 is)",
    r"\sigma(a_{11})": "\\sigma is not read as the sigmoid",
    r"a_{111}": "ambiguous on a 12x12 tensor: (1, 11) or (11, 1); the error asks for a_{1,11} or a_{11,1}",
}
