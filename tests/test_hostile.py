"""Hostile and careless use of the command line (issue 11): every case ends in bounded time
with the exit code and the one error line the contract names, and writes no file.

The cases that could hang or eat memory (sizes, FIFOs, devices, sparse files, deep TOML,
running out of memory) run in a subprocess with 1 GB of address space
(``resource.setrlimit`` in ``preexec_fn``) and a timeout; each takes 1-3 s, mostly
Python and SymPy starting up.  The cases that only check arguments run in-process through
``symconv.cli.main``, with the same assertions, to keep the suite fast."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from symconv import limits
from symconv.cli import main
from symconv.config import read_toml
from symconv.errors import SpecError
from symconv.io import write_atomic
from symconv.text import escape, plural

MEMORY = 1 << 30  # bytes of address space for each case
TIMEOUT = 60  # seconds; each case takes 1-3 s alone, the margin is for a loaded machine


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def symconv(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symconv", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit,
        input=stdin,
        check=False,
    )


LAYER = '[layer]\ntype = "conv2d"\n'
CLAIM = '[[claims]]\nid = "x"\nlhs = "1"\nrhs = "1"\n'
NETWORK = """[network]
input = [64, 64]
channels = 3
[[network.layers]]
type = "conv2d"
kernel = [3, 3]
out_channels = 64
[[network.layers]]
type = "conv2d"
kernel = [3, 3]
out_channels = 64
[[network.layers]]
type = "flatten"
[[network.layers]]
type = "dense"
out_features = 1000
"""


def _files(tmp: Path) -> None:
    """The hostile files the table names."""
    (tmp / "existing_file").write_text("x")
    os.mkfifo(tmp / "fifo.toml")
    os.mkfifo(tmp / "fifo.py")
    with open(tmp / "sparse.toml", "wb") as fh:  # 3 GB that takes no space: must not be read
        fh.truncate(3 << 30)
    (tmp / "deep.toml").write_text(LAYER + "x = " + "[" * 50_000 + "]" * 50_000 + "\n")
    (tmp / "dotted.toml").write_text("a" + ".a" * 100_000 + " = 1\n")
    (tmp / "wide.toml").write_text(LAYER + "input = [3000, 3000]\nkernel = [1, 1]\n" + CLAIM)
    (tmp / "channels.toml").write_text(LAYER + "input = [3, 3]\nkernel = [1, 1]\nout_channels = 1000000000\n" + CLAIM)
    (tmp / "network.toml").write_text(NETWORK + CLAIM)
    (tmp / "limits.toml").write_text("[limits]\nmax_symbols = -1\n" + LAYER + "input = [3, 3]\nkernel = [1, 1]\n")


# argv, exit code, the start of the one stderr line (after "symconv: error: "); the cases of
# SUBPROCESS run in a subprocess under the limits, the others in-process
CASES = [
    (
        ["derive", "--layer", "conv2d", "--input", "100000x100000", "--kernel", "3x3"],
        2,
        "size: the derivation of conv2d",
    ),
    (["verify", "wide.toml"], 2, "size: the derivation of conv2d needs 18000002 symbols"),
    (["verify", "channels.toml"], 2, "size: the derivation of conv2d needs"),
    (["verify", "network.toml"], 2, "size: the derivation of network of 4 layers needs"),
    (["derive", "--config", "fifo.toml"], 2, "config: fifo.toml is not a regular file"),
    (["verify", "fifo.toml"], 2, "claims: fifo.toml is not a regular file"),
    (["check", "fifo.py"], 2, "module: fifo.py is not a regular file"),  # it hung reading the module
    (["check", "sparse.toml"], 2, "module: sparse.toml is larger than 536870912 bytes"),  # read whole before
    (["derive", "--config", "/dev/zero"], 2, "config: /dev/zero is not a regular file"),
    (["verify", "sparse.toml"], 2, "claims: sparse.toml is larger than 1000000 bytes"),
    (["derive", "--config", "deep.toml"], 2, "config: deep.toml nests arrays or tables deeper than 32"),
    (["verify", "dotted.toml"], 2, "config: dotted.toml has a key of more than 32 dotted parts"),
    (["derive", "--config", "limits.toml"], 2, "limits.max_symbols: must be an integer from 1"),
    (["derive", "-o", "existing_file"], 2, "--output: existing_file exists and is not a folder"),
    (["derive", "-o", "existing_file/sub"], 2, "--output: existing_file/sub is inside existing_file, a file"),
    (["derive", "-o", "/proc/x"], 2, "--output: cannot write into /proc/x"),
    (["latex", "-o", "/proc/x"], 2, "--output: cannot write into /proc/x"),
    (["latex", "-o", "/proc/x.tex"], 2, "--output: is the folder to write into; for the file name use --name"),
    (["codegen", "-o", "/proc/x"], 2, "--output: cannot write into /proc/x"),
    (["codegen", "--name", "my-layer.py"], 2, "--name: must be a Python module name"),
    (["derive", "--layer", "maxpool2d", "--input", "3x4", "--window", "2", "--pad-value", "5"], 2, "--pad-value:"),
    (["codegen", "--all", "--layer", "conv2d"], 2, "--layer: does not apply to --all"),
    (["codegen", "--check", "--input", "3x4"], 2, "--input: does not apply to --check"),
    (["codegen", "--check", "--root", "/nonexistent"], 2, "--root: no such folder: /nonexistent"),
    (["derive", "--layer", "conv2d", "--input", "-3x4", "--kernel", "2"], 2, "--input: must not be negative"),
    (["derive", "--layer", "conv2d", "--input", "3x4", "--kernel", "-2"], 2, "--kernel: must not be negative"),
    (["derive", "--layer", "conv2d", "--input", "4x4", "--kernel", "2", "--max-symbols", "10"], 2, "size:"),
    (["derive", "--max-nonzeros", "0"], 2, "--max-nonzeros: must be an integer from 1"),
    (
        ["derive", "--layer", "conv_transpose2d", "--input", "3000x3000", "--kernel", "3", "--stride", "2"],
        2,
        # 3000^2 inputs + 6001^2 outputs ((3000 - 1) 2 + 3 = 6001) + 9 kernel + 1 bias, from the shapes alone
        "size: the derivation of conv_transpose2d needs 45012011 symbols",
    ),
    (
        ["codegen", "--layer", "conv_transpose2d", "--input", "7000x7000", "--kernel", "3", "--stride", "2"],
        2,
        # the convolution it is: 14001^2 windows (over the input with zeros between its entries) of 3x3
        "size: conv_transpose2d has a window map of 1764252009 entries",
    ),
    (
        ["derive", "--layer", "conv_transpose2d", "--input", "3x3", "--kernel", "3", "--output-padding", "1e9"],
        2,
        "--output-padding: must be integers separated by 'x' or ','",
    ),
    (["check", "no_such.py"], 2, "module: no such file: no_such.py"),
    (
        ["codegen", "--layer", "conv2d", "--input", "14000x14000", "--kernel", "3", "-o", "huge"],
        2,
        "size: conv2d has a window map of 1763496036 entries",  # refused before any work
    ),
    (
        ["codegen", "--layer", "adaptive_avgpool2d", "--input", "8000x8000", "--output-size", "3000x3000"],
        2,
        # 3000^2 windows of at most 4x4 (8000/3000 rounded up, plus one): ran 300 s into 24 GB before
        "size: adaptive_avgpool2d has a window map of 144000000 entries",
    ),
    (
        ["derive", "--layer", "adaptive_maxpool2d", "--input", "8000x8000", "--output-size", "3000x3000"],
        2,
        "size: the derivation of adaptive_maxpool2d",
    ),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    _files(tmp)
    return tmp


#: words of the cases that run in a subprocess: what could hang or eat memory
SUBPROCESS = (
    "100000x",
    "wide",
    "channels.toml",
    "network.toml",
    "fifo",
    "/dev/zero",
    "sparse",
    "deep",
    "dotted",
    "14000x",
)


def _in_process(argv: list[str]) -> bool:
    return not any(word in " ".join(argv) for word in SUBPROCESS)


@pytest.mark.parametrize(("argv", "code", "line"), CASES, ids=[" ".join(a)[:50] for a, _, _ in CASES])
def test_hostile_case_is_one_line_in_bounded_time(argv, code, line, hostile, monkeypatch, capsys):
    before = sorted(p.name for p in hostile.iterdir())
    if _in_process(argv):
        monkeypatch.chdir(hostile)
        returncode = main(argv)
        stderr = capsys.readouterr().err
    else:
        done = symconv(*argv, cwd=hostile)
        returncode, stderr = done.returncode, done.stderr
    assert returncode == code, stderr
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("symconv: error: " + line), stderr
    assert "internal error" not in stderr
    assert sorted(p.name for p in hostile.iterdir()) == before  # nothing written, not even a folder


def test_an_edited_module_is_exit_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["codegen", "--layer", "relu", "--input", "3x3"]) == 0
    module = tmp_path / "relu.py"
    module.write_text(module.read_text() + "\n\ndef forward(*args):\n    raise ValueError('edited')\n")
    capsys.readouterr()
    assert main(["check", "relu.py"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "relu.py failed while being checked (ValueError: edited)" in err, err


def test_a_closed_pipe_loses_no_file(tmp_path):
    script = f"{sys.executable} -m symconv derive --no-pdf -o out | head -n 1"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "symconv derive: conv2d\n"
    assert done.stderr == ""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["appendix_a.py", "appendix_a.tex"]


def test_files_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "a.txt", "x")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        os.umask(0o077)
        path2 = write_atomic(tmp_path / "b.txt", "x")
        assert stat.S_IMODE(path2.stat().st_mode) == 0o600
        os.chmod(path, 0o640)  # an existing file keeps its mode (codegen --all and tracked files)
        write_atomic(path, "y")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text() == "y"
    finally:
        os.umask(old)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_a_write_error_names_the_users_path(tmp_path):
    with pytest.raises(SpecError, match=r"^output: cannot write /proc/x/a.tex: "):
        write_atomic(Path("/proc/x/a.tex"), "x")


def test_control_characters_are_escaped_in_the_verify_report(tmp_path):
    claims = (
        'title = "evil\\u001b[2J"\n'
        + LAYER
        + "input = [3, 4]\nkernel = [2, 2]\n"
        + '[[claims]]\nid = "x"\nlhs = "diff(z[1,1], k[1,1])"\nrhs = "a[2,2]"\n'
        + 'note = "\\n0 claims: 0 hold, 0 fail, 0 invalid\\u001b[31m"\n'
    )
    (tmp_path / "evil.toml").write_text(claims)
    done = symconv("verify", "evil.toml", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stdout
    assert not any(line.startswith("0 claims") for line in done.stdout.splitlines())
    assert "evil\\x1b[2J" in done.stdout and "note: \\n0 claims" in done.stdout
    assert done.stdout.rstrip().endswith("1 claim: 0 hold, 1 fails, 0 invalid")


def test_memory_and_recursion_errors_are_exit_2(monkeypatch, capsys):
    for error in (MemoryError, RecursionError):

        def boom(_args, error=error):
            raise error()

        monkeypatch.setattr("symconv.cli.derive.run", boom)
        monkeypatch.setattr("symconv.cli.derive.add_parser", _parser_with(boom))
        assert main(["derive"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("symconv: error: ") and "internal" not in err


def _parser_with(run):
    def add_parser(sub):
        p = sub.add_parser("derive")
        p.set_defaults(run=run)

    return add_parser


def test_toml_shape_check_reads_strings_and_comments_as_text():
    deep = "[" * 40 + "]" * 40
    doc = read_toml(f'a = "{deep}"\nb = \'{deep}\'\nc = """\n{deep}\n"""\n# {deep}\nd.e.f = 1\n'.encode(), "t")
    assert doc["a"] == deep and doc["d"] == {"e": {"f": 1}}
    with pytest.raises(SpecError, match="deeper than 32"):
        read_toml(("x = " + "[" * 33 + "]" * 33).encode(), "t")
    with pytest.raises(SpecError, match="deeper than 32"):
        read_toml(("x = " + "{a = " * 33 + "1" + "}" * 33).encode(), "t")
    read_toml(("x = " + "[" * 32 + "]" * 32).encode(), "t")
    with pytest.raises(SpecError, match="more than 32 dotted parts"):
        read_toml(("[" + ".".join("a" * 33) + "]\n").encode(), "t")
    # dots in values and in inline-table values are not key parts
    assert read_toml(("x = [" + ", ".join(["1.5"] * 100) + "]\n").encode(), "t")["x"][0] == 1.5


def test_limits_table_raises_the_budget_and_flags_too():
    from symconv import Conv2D

    big = Conv2D(input=(800, 800), kernel=(1, 1))  # 1.28 M symbols
    with limits.raised():
        with pytest.raises(SpecError, match=r"symconv.derive\(spec, max_symbols=N\) \(or max_symbols = N"):
            limits.check(big)
        with limits.command_line(), pytest.raises(SpecError, match=r"--max-symbols N \(or max_symbols = N in"):
            limits.check(big)
        read_toml(b"[limits]\nmax_symbols = 2000000\n[layer]\n", "t")
        limits.check(big)
        read_toml(b"[limits]\nmax_symbols = 10\n", "t")  # a table raises, never lowers
        limits.check(big)
    with pytest.raises(SpecError):
        limits.check(big)


def test_wording():
    assert [plural(n, "check") for n in (0, 1, 2)] == ["0 checks", "1 check", "2 checks"]
    assert escape("a\u202eb\x7f") == "a\\u202eb\\x7f"


def test_version_and_help_for_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("symconv ")
    for command in ("derive", "latex", "codegen", "check", "verify"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "\nexample:\n  symconv " in out and f"symconv {command} " in out.split("example:")[1], command
        assert "``" not in out and "Exit codes:" in out, command
