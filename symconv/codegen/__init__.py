"""Generated NumPy code: for the shapes of a layer or network, a self-contained module
whose forward and backward passes follow from the core's derivation.

* :func:`generate` gives the module source, :func:`write_module` writes it atomically;
* :func:`check_module` runs the numeric checks on a generated module file;
* :func:`golden_files` gives the modules of the built-in configs for ``generated/``.
"""

from __future__ import annotations

from .checks import CheckReport, CheckResult, check_module
from .render import generate, module_name, write_module

GOLDEN_CONFIGS = {
    "appendix_a": "appendix_a",
    "appendix_b": "appendix_b",
    "seed_cnn": "seed_cnn",
    "hand_sign": "hand_sign",
}


def golden_files() -> dict[str, str]:
    """The modules of the four built-in configs, by path under ``generated/``:
    ``appendix_a/conv.py``, ``appendix_b/maxpool.py``, ``seed_cnn/network.py``,
    ``hand_sign/network.py``."""
    from ..config import load_config
    from ..golden import GOLDEN_COMMAND

    out = {}
    for folder, config in GOLDEN_CONFIGS.items():
        spec = load_config(config)
        out[f"{folder}/{module_name(spec)}.py"] = generate(spec, GOLDEN_COMMAND)
    return dict(sorted(out.items()))


__all__ = ["CheckReport", "CheckResult", "check_module", "generate", "golden_files", "module_name", "write_module"]
