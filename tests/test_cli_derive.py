"""``symconv derive``, the main job, and the CLI's error contract: one line on stderr,
exit code 2, no traceback, no half-written file."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from symconv.cli import main
from symconv.latex.compile import have_pdflatex


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SYMCONV_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "symconv", *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def test_default_is_the_seeds_appendix_a_layer(tmp_path):
    done = run("derive", "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "conv2d: A 1x3x4 -> Z 1x4x3; kernel 2x2, padding 1,1,1,1, stride 1,2, no bias" in out
    assert "d vec(Z_1) / d vec(K_1,1): 12 x 4, 24 nonzeros" in out
    assert "d vec(Z_1) / d vec(A_1): 12 x 12, 24 nonzeros" in out
    assert "all checks passed" in out
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"appendix_a.tex", "appendix_a.py"} <= files
    assert ("appendix_a.pdf" in files) == have_pdflatex()


def test_derive_a_network_config_prints_every_layer(tmp_path):
    done = run("derive", "--config", "seed_cnn", "--no-tex", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n[") == 9  # one line per layer, each after a newline
    assert "[8] dense (layer 3): B 128 -> Z 10" in done.stdout
    assert "d vec(Z^[1]_j) / d vec(K^[1]_j,i) for j=1..4, i=1..3 (12 Jacobians): 256 x 9" in done.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["seed_cnn.py"]  # the job's name: the config's


def test_layer_flags_build_the_layer(tmp_path):
    done = run(
        "derive",
        "--layer",
        "maxpool2d",
        "--input",
        "3x4",
        "--window",
        "3x2",
        "--padding",
        "1,1",
        "--stride",
        "1,2",
        "--pad-value",
        "-inf",
        "--no-tex",
        "-o",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "maxpool2d: I 1x3x4 -> A 1x3x3; window 3x2, padding 1,1,1,1, stride 1,2, pad value -inf" in done.stdout


BAD = [
    (["derive", "--layer", "conv2d", "--input", "3x4"], "symconv: error: --kernel: is required for conv2d"),
    (
        ["derive", "--layer", "conv2d", "--input", "3x4", "--kernel", "2x2", "--window", "2"],
        "symconv: error: --window: does not apply to conv2d",
    ),
    (
        ["derive", "--layer", "conv2d", "--input", "3*4", "--kernel", "2"],
        "symconv: error: --input: must be integers separated by 'x' or ',', got '3*4'",
    ),
    (
        ["derive", "--layer", "conv2d", "--input", "3x4", "--kernel", "2", "--padding", "1,2,3"],
        "symconv: error: --padding: takes 1 or 2 or 4 numbers, got 3 in '1,2,3'",
    ),
    (
        ["derive", "--layer", "maxpool2d", "--input", "3x4", "--window", "2", "--pad-value", "__import__('os')"],
        "symconv: error: --pad-value: must be 0 (the seed's) or -inf (PyTorch's), got \"__import__('os')\"",
    ),
    (
        ["derive", "--config", "no/such/file.toml"],
        "symconv: error: config: no such file: no/such/file.toml (built-in configs: appendix_a, appendix_b, seed_cnn, "
        "hand_sign)",
    ),
    (
        ["derive", "--config", "appendix_a", "--kernel", "2"],
        "symconv: error: --config: give either --config or layer flags, not both",
    ),
    (
        ["derive", "--kernel", "2", "--window", "2"],
        "symconv: error: --layer: is needed with --kernel, --window, and no layer kind takes them all together",
    ),
    (["derive", "--bogus"], "symconv: error: unrecognized arguments: --bogus"),
    (["frobnicate"], None),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, argv, message):
    done = run(*argv, "-o", str(tmp_path / "out")) if argv[0] == "derive" else run(*argv)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    if message is not None:
        assert lines[0] == message
    else:
        assert lines[0].startswith("symconv: error: ")
    assert not (tmp_path / "out").exists()


def test_bad_config_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[layer]\ntype = 'conv2d'\ninput = [3, 4]\nkernel = [2, 0]\n")
    done = run("derive", "--config", str(bad), "-o", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.strip() == "symconv: error: layer.kernel: must be a positive integer, got 0"
    broken = tmp_path / "broken.toml"
    broken.write_bytes(b"\xff\xfe[layer")
    done = run("derive", "--config", str(broken))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "is not UTF-8 text" in done.stderr


def test_main_returns_codes_in_process(capsys):
    assert main(["derive", "--no-tex", "--no-code"]) == 0
    assert main(["derive", "--layer", "relu"]) == 2
    assert capsys.readouterr().err.strip() == "symconv: error: --input: is required for relu"


def test_every_spec_field_has_its_flag():
    """The layer flags come from the spec fields' own Flag metadata: every parameter of every
    registered kind can be given on the command line, and the parser has each flag."""
    import argparse
    import dataclasses

    from symconv.cli.common import OPTIONS, add_layer_flags
    from symconv.registry import LAYER_TYPES

    parser = argparse.ArgumentParser()
    add_layer_flags(parser)
    flags = {s for a in parser._actions for s in a.option_strings}
    for name, cls in LAYER_TYPES.items():
        for f in dataclasses.fields(cls):
            assert "flag" in f.metadata, f"{name}.{f.name} has no command-line flag"
            assert OPTIONS[f.name].flag in flags
            assert name in {k for _, kinds in OPTIONS[f.name].helps for k in kinds}


def test_switches_are_refused_where_layer_flags_do_not_apply(tmp_path):
    """codegen --all takes no layer flags, switches included (--ceil-mode was let through)."""
    done = run("codegen", "--all", "--ceil-mode", "-o", str(tmp_path))
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "symconv: error: --ceil-mode: does not apply to --all, which makes the built-in configs' files"
    )
