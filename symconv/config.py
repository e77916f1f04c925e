"""TOML configs: one ``[layer]`` table or a ``[network]``; shared by every subcommand
and by claims files.

```toml
[layer]
type = "conv2d"
input = [3, 4]
kernel = [2, 2]
padding = [1, 1]      # or [top, bottom, left, right]
stride = [1, 2]
```

Built-in configs (``symconv/configs/*.toml``) can be named instead of a path.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from . import limits
from .errors import SpecError
from .registry import LAYER_TYPES, layer_params, make_layer
from .specs import Layer, Network
from .text import escape

BUILTINS = ("appendix_a", "appendix_b", "seed_cnn", "hand_sign")
MAX_CONFIG_BYTES = 1_000_000


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("symconv.configs").joinpath(f"{name}.toml")))


def load_config(source: str | Path) -> Layer | Network:
    """A spec from a TOML file, or from the name of a built-in config."""
    if isinstance(source, str) and source in BUILTINS:
        path = builtin_path(source)
    else:
        path = Path(source)
    return parse_config(read_file(path, "config", f"built-in configs: {', '.join(BUILTINS)}"), str(path))


def read_file(path: Path, parameter: str, builtins: str) -> bytes:
    """The bytes of a TOML file, at most ``MAX_CONFIG_BYTES``; errors name ``parameter``
    (a config here, a claims file in symconv.verify) and list the built-in names."""
    return limits.read_capped(path, MAX_CONFIG_BYTES, parameter, builtins)


def read_toml(data: bytes, name: str) -> dict[str, Any]:
    """Parse TOML after :func:`symconv.limits.check_toml_shape`; a top-level ``[limits]``
    table is taken out and raises the size budget (:func:`symconv.limits.apply_table`)."""
    shown = escape(name, 200)
    try:
        text = data.decode("utf-8")
        limits.check_toml_shape(text, shown)
        doc = tomllib.loads(text)
    except UnicodeDecodeError:
        raise SpecError("config", f"{shown} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError("config", f"{shown} is not valid TOML: {escape(err, 300)}") from None
    except RecursionError:
        raise SpecError("config", f"{shown} nests too deeply to parse") from None
    limits.apply_table(doc.pop("limits", None))
    return doc


def parse_config(data: bytes, name: str = "config") -> Layer | Network:
    return spec_from_document(read_toml(data, name))


def spec_from_document(doc: dict[str, Any]) -> Layer | Network:
    """The spec of a parsed TOML document holding ``[layer]`` or ``[network]``, and nothing else."""
    has_layer, has_net = "layer" in doc, "network" in doc
    if has_layer and has_net:
        raise SpecError("config", "must have exactly one of a [layer] table and a [network] table")
    for key, value in doc.items():
        if key not in ("layer", "network"):
            what = "table" if isinstance(value, dict) else "key"
            raise SpecError("config", f"unknown {what} {escape(key, 60)!r}; expected [layer] or [network]")
    if not (has_layer or has_net):
        raise SpecError("config", "must have a [layer] table or a [network] table")
    if has_layer:
        return layer_from_table(doc["layer"], "layer", bound=True)
    return network_from_table(doc["network"])


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(where, "must be a table")
    return value


def layer_from_table(table: Any, where: str, *, bound: bool) -> Layer:
    """A layer spec from a table whose keys are the API's argument names plus ``type``."""
    table = dict(_table(table, where))
    kind = table.pop("type", None)
    if kind not in LAYER_TYPES:
        raise SpecError(f"{where}.type", f"must be one of {', '.join(LAYER_TYPES)}, got {kind!r}")
    names = layer_params(kind)
    for key in table:
        if key not in names:
            raise SpecError(f"{where}.{key}", f"is not a parameter of {kind}; expected one of {', '.join(names)}")
    spec = make_layer(kind, table, lambda param: f"{where}.{param}")
    if bound and not spec.is_bound:
        raise SpecError(f"{where}.input", f"is required for a {kind} layer outside a network")
    return spec


def network_from_table(table: Any) -> Network:
    table = _table(table, "network")
    for key in table:
        if key not in ("input", "channels", "layers"):
            raise SpecError(f"network.{key}", "is not a network parameter; expected input, channels, layers")
    if "input" not in table:
        raise SpecError("network.input", "is required")
    layers = table.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError("network.layers", "must be a non-empty list of layer tables ([[network.layers]])")
    # positions are 1-based, as symconv derive numbers the layers
    specs = [layer_from_table(t, f"network.layers[{n}]", bound=False) for n, t in enumerate(layers, start=1)]
    try:
        return Network(input=table["input"], channels=table.get("channels", 1), layers=tuple(specs))
    except SpecError as err:
        raise SpecError(f"network.{_one_based(err.parameter)}", err.rule) from None


def _one_based(parameter: str) -> str:
    """``layers[0].kernel`` (the Python API's 0-based position) as ``layers[1].kernel``."""
    m = re.match(r"layers\[(\d+)\]", parameter)
    return f"layers[{int(m.group(1)) + 1}]{parameter[m.end() :]}" if m else parameter
