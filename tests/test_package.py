"""The templates and configs ship inside the wheel and are found from it, outside the
source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow(reason="builds a wheel with pip and imports it in another process: 5-8 s")
def test_wheel_carries_templates_and_configs_and_finds_them(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("symconv-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for template in (ROOT / "templates").rglob("*.j2"):
        rel = template.relative_to(ROOT / "templates").as_posix()
        assert f"symconv/templates/{rel}" in names
    for config in ("appendix_a", "appendix_b", "seed_cnn", "hand_sign"):
        assert f"symconv/configs/{config}.toml" in names
    assert "symconv/claims/seed_audit.toml" in names
    assert "_symconv_entry.py" in names  # the command's entry point, outside the package
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    probe = (
        "import symconv, symconv.templating as t, symconv.config as c;"
        "from symconv.latex.document import document; from symconv.codegen.render import generate;"
        "print(symconv.__file__); print(t.templates_dir());"
        "s = c.load_config('appendix_a'); document(s); generate(s); print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=work, env=env, check=False)
    assert done.returncode == 0, done.stderr
    module, templates, ok = done.stdout.split()
    assert Path(module).is_relative_to(site)
    assert Path(templates).is_relative_to(site) and (Path(templates) / "latex" / "document.tex.j2").exists()
    assert ok == "ok"
