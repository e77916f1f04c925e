"""Every document compiles with a real pdflatex, reproducibly, and failures are one line.

Without pdflatex these tests skip with a reason, except under ``CI=true`` where a missing
pdflatex is a failure (``.ci/run`` installs texlive-latex-base, texlive-latex-recommended
and poppler-utils).
"""

from __future__ import annotations

import os
import random
import re
import shlex
from pathlib import Path

import pytest
from pdf_pages import page_fill
from tools import require

import symconv
from symconv.cli import main
from symconv.config import load_config
from symconv.errors import SpecError
from symconv.golden import GOLDEN_CONFIGS
from symconv.latex.compile import LatexError, compile_pdf, first_error, have_pdflatex, run_pdflatex
from symconv.latex.document import document

GOLDEN = {f"{name}/derivation.tex": name for name in GOLDEN_CONFIGS}

#: the widest overfull box a document may have, in points (a rough width estimate decides
#: how much of a large matrix is shown; this bounds how far it may be off)
OVERFULL_PT = 20.0


def require_pdflatex() -> None:
    """Skip without pdflatex, but fail under CI=true, where it must be installed."""
    require(have_pdflatex(), "pdflatex is not on PATH (install texlive-latex-base and texlive-latex-recommended)")


@pytest.fixture
def tex() -> None:
    require_pdflatex()


def test_missing_pdflatex_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_pdflatex()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require_pdflatex()


def overfull(log: str) -> float:
    """The widest ``Overfull \\hbox`` in a pdflatex log, in points (0 when none)."""
    return max((float(m) for m in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)), default=0.0)


def compile_text(text: str) -> tuple[bytes, str]:
    pdf, log = run_pdflatex(text.encode("utf-8"))
    assert pdf.startswith(b"%PDF")
    assert "LaTeX Warning: Reference" not in log
    return pdf, log


#: the least share of its text area a page other than the last fills (a fifth of a page)
LEAST_FILL = 0.2


def boxes(log: str) -> list[str]:
    """Every overfull box pdflatex reports (a line too wide, a page too tall)."""
    return re.findall(r"Overfull \\[hv]box \([\d.]+pt too (?:wide|high)\)[^\n]*", log)


def near_empty_pages(pdf: bytes, tmp: Path) -> list[tuple[int, float]]:
    """The pages before the last whose text reaches less than :data:`LEAST_FILL` of the page."""
    path = tmp / "document.pdf"
    path.write_bytes(pdf)
    fill = page_fill(path)
    return [(n + 1, round(f, 2)) for n, f in enumerate(fill[:-1]) if f < LEAST_FILL]


def test_the_fill_check_sees_a_near_empty_page(tex, tmp_path):
    """The page check is not vacuous: a page holding one line is found."""
    text = (
        "\\documentclass{article}\\usepackage[a4paper,margin=2cm]{geometry}"
        "\\begin{document}one line\\newpage two\\par\\end{document}"
    )
    pdf, _ = run_pdflatex(text.encode())
    (found,) = near_empty_pages(pdf, tmp_path)
    assert found[0] == 1 and found[1] < 0.05


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_documents_compile_with_no_overfull_box_and_no_near_empty_page(tex, golden, name, tmp_path):
    pdf, log = compile_text(golden[name])
    assert boxes(log) == [], name
    assert near_empty_pages(pdf, tmp_path) == [], name


def readme_latex_commands() -> list[list[str]]:
    """The ``symconv latex`` commands of the bash blocks of the README and docs/, as argument lists."""
    root = Path(__file__).resolve().parent.parent
    text = "\n".join(p.read_text(encoding="utf-8") for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))])
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("symconv latex "):
                out.append(shlex.split(line.split("#")[0])[1:])
    return out


def test_readme_has_latex_commands():
    assert len(readme_latex_commands()) >= 3


@pytest.mark.slow(reason="compiles each README document with pdflatex: 2-6 s each")
@pytest.mark.parametrize("argv", readme_latex_commands(), ids=lambda a: " ".join(a)[:60])
def test_readme_documents_compile_with_no_overfull_box_and_no_near_empty_page(tex, argv, tmp_path, capsys):
    kept = [a for a in argv if a not in ("--pdf", "--png")]
    if "-o" in kept:
        k = kept.index("-o")
        del kept[k : k + 2]
    assert main([*kept, "-o", str(tmp_path)]) == 0
    (written,) = [Path(p) for p in capsys.readouterr().out.split()]
    pdf, log = compile_text(written.read_text(encoding="utf-8"))
    assert boxes(log) == []
    assert near_empty_pages(pdf, tmp_path) == []


def _random_layer(kind: str, rng: random.Random) -> symconv.Layer:
    """A random valid layer of ``kind`` (may raise SpecError for an invalid draw)."""
    h, w = rng.randint(1, 12), rng.randint(1, 12)
    if kind == "conv2d":
        return symconv.Conv2D(
            input=(h, w),
            kernel=(rng.randint(1, min(h + 2, 4)), rng.randint(1, min(w + 2, 4))),
            padding=tuple(rng.randint(0, 2) for _ in range(4)),
            stride=(rng.randint(1, 3), rng.randint(1, 3)),
            dilation=(rng.choice([1, 1, 2]), 1),
            in_channels=rng.randint(1, 3),
            out_channels=rng.randint(1, 3),
            bias=rng.random() < 0.7,
        )
    if kind == "conv_transpose2d":
        groups = rng.choice([1, 1, 2])
        stride, dil = (rng.randint(1, 3), rng.randint(1, 3)), (rng.choice([1, 1, 2]), 1)
        return symconv.ConvTranspose2D(
            input=(rng.randint(1, 6), rng.randint(1, 6)),
            kernel=(rng.randint(1, 4), rng.randint(1, 4)),
            padding=tuple(rng.randint(0, 2) for _ in range(4)),
            stride=stride,
            dilation=dil,
            output_padding=tuple(rng.randint(0, max(s, d) - 1) for s, d in zip(stride, dil, strict=True)),
            groups=groups,
            in_channels=groups * rng.randint(1, 2),
            out_channels=groups * rng.randint(1, 2),
            bias=rng.random() < 0.7,
        )
    if kind in ("maxpool2d", "avgpool2d"):
        window = (rng.randint(1, min(h, 4)), rng.randint(1, min(w, 4)))
        cls = symconv.MaxPool2D if kind == "maxpool2d" else symconv.AvgPool2D
        extra: dict = {"ceil_mode": rng.random() < 0.3}
        if kind == "maxpool2d":
            extra |= {"pad_value": rng.choice([0.0, float("-inf")]), "tie_order": rng.choice(["column", "row"])}
        else:
            extra |= {"count_include_pad": rng.random() < 0.7, "divisor_override": rng.choice([None, None, 5])}
        return cls(
            input=(h, w),
            window=window,
            padding=(rng.randint(0, window[0] - 1), rng.randint(0, window[1] - 1)),
            stride=(rng.randint(1, 3), rng.randint(1, 3)),
            channels=rng.randint(1, 3),
            **extra,
        )
    if kind in ("adaptive_avgpool2d", "adaptive_maxpool2d"):
        cls = symconv.AdaptiveMaxPool2D if kind == "adaptive_maxpool2d" else symconv.AdaptiveAvgPool2D
        return cls(input=(h, w), output=(rng.randint(1, h + 1), rng.randint(1, w + 1)), channels=rng.randint(1, 3))
    if kind in ("relu", "sigmoid", "tanh"):
        cls = {"relu": symconv.ReLU, "sigmoid": symconv.Sigmoid, "tanh": symconv.Tanh}[kind]
        if rng.random() < 0.5:
            return cls(features=rng.randint(1, 20))
        return cls(input=(h, w), channels=rng.randint(1, 3))
    if kind == "flatten":
        return symconv.Flatten(input=(h, w), channels=rng.randint(1, 3))
    if kind == "dense":
        return symconv.Dense(in_features=rng.randint(1, 30), out_features=rng.randint(1, 12), bias=rng.random() < 0.8)
    if kind == "softmax_cross_entropy":
        return symconv.SoftmaxCrossEntropy(classes=rng.randint(2, 12))
    raise AssertionError(kind)


def _random_network(rng: random.Random) -> symconv.Network:
    c = rng.randint(1, 2)
    pool = rng.choice([symconv.MaxPool2D, symconv.AvgPool2D])
    return symconv.Network(
        input=(rng.randint(6, 10), rng.randint(6, 10)),
        channels=c,
        layers=(
            symconv.Conv2D(kernel=(3, 3), padding=(1, 1), out_channels=rng.randint(1, 3)),
            rng.choice([symconv.ReLU, symconv.Sigmoid, symconv.Tanh])(),
            pool(window=(2, 2)),
            symconv.Flatten(),
            symconv.Dense(out_features=rng.randint(2, 5)),
            symconv.SoftmaxCrossEntropy(),
        ),
    )


def random_specs(per_kind: int = 3, seed: int = 20220405) -> list:
    rng = random.Random(seed)
    kinds = [
        "conv2d",
        "conv_transpose2d",
        "maxpool2d",
        "avgpool2d",
        "relu",
        "sigmoid",
        "tanh",
        "flatten",
        "dense",
        "softmax_cross_entropy",
    ]
    out = []
    for kind in kinds:
        made = 0
        while made < per_kind:
            try:
                spec = _random_layer(kind, rng)
            except SpecError:
                continue
            out.append(pytest.param(spec, id=f"{kind}-{made}"))
            made += 1
    out += [pytest.param(_random_network(rng), id=f"network-{n}") for n in range(2)]
    return out


EDGE_CASES = [
    pytest.param(symconv.Conv2D(input=(3, 3), kernel=(1, 1)), id="conv-1x1-kernel"),
    pytest.param(symconv.Conv2D(input=(2, 3), kernel=(4, 5), padding=(1, 1)), id="conv-kernel-as-large-as-padded"),
    pytest.param(symconv.Conv2D(input=(7, 7), kernel=(2, 2), stride=(3, 3)), id="conv-stride-past-kernel"),
    pytest.param(symconv.Conv2D(input=(12, 11), kernel=(3, 2), padding=(0, 2, 1, 0)), id="conv-wide-names-asymmetric"),
    pytest.param(symconv.Conv2D(input=(6, 6), kernel=(5, 5), in_channels=4, out_channels=2), id="conv-5x5-4-channels"),
    pytest.param(symconv.Conv2D(input=(3, 3), kernel=(1, 1), padding=(1, 1)), id="conv-window-all-padding"),
    pytest.param(
        symconv.Conv2D(input=(4, 5), kernel=(2, 3), padding=1, in_channels=4, out_channels=6, groups=2),
        id="conv-groups-2",
    ),
    pytest.param(
        symconv.Conv2D(input=(6, 6), kernel=3, padding=1, in_channels=12, out_channels=12, groups=12),
        id="conv-depthwise-12",
    ),
    pytest.param(
        symconv.Network(
            input=(5, 5),
            channels=4,
            layers=(
                symconv.Conv2D(kernel=3, padding=1, out_channels=8, groups=4),
                symconv.ReLU(),
                symconv.Conv2D(kernel=2, out_channels=2, groups=2),
                symconv.Flatten(),
                symconv.Dense(out_features=3),
                symconv.SoftmaxCrossEntropy(),
            ),
        ),
        id="network-grouped",
    ),
    pytest.param(
        symconv.MaxPool2D(input=(20, 20), window=(5, 5), pad_value=float("-inf"), padding=(2, 2)), id="max-large"
    ),
    pytest.param(symconv.AvgPool2D(input=(9, 9), window=(4, 4), stride=(1, 1)), id="avg-overlapping-4x4"),
    pytest.param(
        symconv.ConvTranspose2D(input=(16, 16), kernel=4, stride=2, padding=1, in_channels=3, out_channels=2),
        id="convt-large-elided",
    ),
    pytest.param(
        symconv.ConvTranspose2D(input=(2, 2), kernel=(3, 2), dilation=(4, 4), output_padding=(2, 3), stride=(3, 2)),
        id="convt-output-padding-past-stride",
    ),
    pytest.param(
        symconv.Network(
            input=(4, 4),
            channels=2,
            layers=(
                symconv.ConvTranspose2D(kernel=3, stride=2, padding=1, output_padding=1, out_channels=2),
                symconv.ReLU(),
                symconv.Flatten(),
                symconv.Dense(out_features=3),
                symconv.SoftmaxCrossEntropy(),
            ),
        ),
        id="network-with-convt",
    ),
    # the general convolution in 1-D and 3-D, with input dilation, cropping and padding modes
    pytest.param(symconv.Conv1D(input=40, kernel=5, dilation=2, in_channels=2, out_channels=3), id="conv1d-40"),
    pytest.param(
        symconv.Conv1D(input=7, kernel=3, stride=2, padding=(2, 2), padding_mode="reflect"), id="conv1d-reflect"
    ),
    pytest.param(symconv.Conv3D(input=(12, 12, 12), kernel=3, in_channels=2, out_channels=4), id="conv3d-12"),
    pytest.param(symconv.Conv3D(input=(3, 4, 5), kernel=(2, 3, 2), padding=1, stride=(1, 2, 1)), id="conv3d-small"),
    pytest.param(
        symconv.Conv2D(input=(6, 5), kernel=3, input_dilation=2, padding=(-1, 2, 0, 1), stride=2), id="conv-lhs-crop"
    ),
    pytest.param(
        symconv.Conv2D(input=(4, 3), kernel=(2, 3), padding=(1, 0, 2, 1), padding_mode="circular"), id="conv-circular"
    ),
    pytest.param(symconv.ConvTranspose1D(input=5, kernel=3, stride=2, padding=1, output_padding=1), id="convt1d"),
    pytest.param(symconv.ConvTranspose3D(input=(2, 3, 2), kernel=2, stride=(1, 2, 2), out_channels=2), id="convt3d"),
    pytest.param(
        symconv.Network(
            input=10,
            channels=2,
            layers=(
                symconv.Conv1D(kernel=3, out_channels=3, padding=1, padding_mode="circular"),
                symconv.ReLU(),
                symconv.Flatten(),
                symconv.Dense(out_features=3),
                symconv.SoftmaxCrossEntropy(),
            ),
        ),
        id="network-1d",
    ),
    # pooling in 1-D and 3-D, Lp pooling and max unpooling
    pytest.param(symconv.MaxPool1D(input=40, window=3, stride=2, padding=1, channels=3), id="maxpool1d-40"),
    pytest.param(symconv.MaxPool3D(input=(8, 9, 10), window=3, stride=2, padding=1), id="maxpool3d-8"),
    pytest.param(
        symconv.MaxPool3D(input=(2, 3, 4), window=2, input_dilation=(1, 2, 1), padding=1, tie_order="row"),
        id="maxpool3d-base-dilation",
    ),
    pytest.param(symconv.AvgPool1D(input=9, window=3, stride=2, padding=1, ceil_mode=True), id="avgpool1d-ceil"),
    pytest.param(symconv.AvgPool3D(input=(6, 6, 6), window=3, stride=2, padding=1), id="avgpool3d-6"),
    pytest.param(symconv.LPPool2D(input=(5, 6), window=2, norm=1.5, ceil_mode=True), id="lppool2d"),
    pytest.param(symconv.LPPool3D(input=(3, 4, 4), window=2, norm=3), id="lppool3d"),
    pytest.param(symconv.AdaptiveMaxPool3D(input=(4, 5, 6), output=(2, 3, 2)), id="adaptive-max3d"),
    pytest.param(symconv.AdaptiveAvgPool1D(input=30, output=7, channels=2), id="adaptive-avg1d"),
    pytest.param(symconv.MaxUnpool2D(input=(3, 4), window=2), id="maxunpool2d"),
    pytest.param(symconv.MaxUnpool3D(input=(2, 2, 2), window=2), id="maxunpool3d"),
]


@pytest.mark.parametrize("spec", random_specs() + EDGE_CASES)
def test_random_layers_compile(tex, spec):
    _, log = compile_text(document(spec))
    assert overfull(log) <= OVERFULL_PT


def test_pdf_is_byte_identical_across_compiles(tex, tmp_path):
    text = document(load_config("appendix_a"))
    first = tmp_path / "one" / "a.tex"
    second = tmp_path / "two" / "other-name.tex"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    one, two = compile_pdf(first), compile_pdf(second)
    assert one == first.with_suffix(".pdf") and two == second.with_suffix(".pdf")
    assert one.read_bytes() == two.read_bytes()


def test_latex_error_is_one_line_with_the_first_error(tex, tmp_path):
    broken = tmp_path / "broken.tex"
    broken.write_text("\\documentclass{article}\n\\begin{document}\nfine\n\\undefinedmacro\n\\end{document}\n")
    with pytest.raises(LatexError) as err:
        compile_pdf(broken)
    message = str(err.value)
    assert "\n" not in message
    assert "broken.tex" in message and "Undefined control sequence" in message and "line 4" in message
    assert not broken.with_suffix(".pdf").exists()


def test_pdflatex_cannot_read_outside_or_run_commands(tex, tmp_path):
    marker = tmp_path / "ran"
    reads = tmp_path / "reads.tex"
    reads.write_text("\\documentclass{article}\n\\begin{document}\n\\input{/etc/passwd}\n\\end{document}\n")
    with pytest.raises(LatexError):
        compile_pdf(reads)
    shell = tmp_path / "shell.tex"
    shell.write_text(
        "\\documentclass{article}\n\\begin{document}\n\\immediate\\write18{touch "
        + str(marker)
        + "}\nx\n\\end{document}\n"
    )
    compile_pdf(shell)
    assert not marker.exists()


def test_cli_latex_error_exits_1_with_one_line(tex, tmp_path, monkeypatch, capsys):
    import symconv.latex.document as latex_document

    monkeypatch.setattr(
        latex_document, "document", lambda *a, **k: "\\documentclass{article}\\begin{document}\\oops\\end{document}"
    )
    code = main(["latex", "--pdf", "-o", str(tmp_path), "--name", "x"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("symconv: error: pdflatex failed on x.tex")
    assert "Undefined control sequence" in err


def test_cli_pdf_and_png(tex, tmp_path, capsys):
    if not Path("/usr/bin/pdftoppm").exists() and not os.environ.get("CI"):
        import shutil

        if shutil.which("pdftoppm") is None:
            pytest.skip("pdftoppm is not on PATH (install poppler-utils)")
    out = tmp_path / "b" / "doc.tex"
    code = main(["latex", "--config", "appendix_b", "--png", "-o", str(out.parent), "--name", "doc"])
    assert code == 0
    printed = capsys.readouterr().out.split()
    pages = sorted(out.parent.glob("doc-*.png"))
    assert out.exists() and out.with_suffix(".pdf").exists() and pages
    assert printed == [
        str(out),
        str(out.with_suffix(".pdf")),
        *(str(p) for p in sorted(pages, key=lambda p: int(p.stem.split("-")[1]))),
    ]
    assert pages[0].read_bytes().startswith(b"\x89PNG")


def test_first_error_reads_a_log():
    log = "stuff\n! Missing $ inserted.\n<inserted text>\n $\nl.12 a_\n             b\n! Another\n"
    assert first_error(log) == "Missing $ inserted. at line 12 (a_)"
