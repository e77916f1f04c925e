"""Specs: validation (one table of invalid specs with their exact messages), shapes,
the output-size rule and network chaining."""

from __future__ import annotations

import itertools
import math

import pytest
from seed_reference import seed_output_size

import symconv as sc
from symconv.config import parse_config
from symconv.geometry import output_size

# (constructor, kwargs, exact message)
INVALID = [
    (sc.Conv2D, {"input": (3, 4), "kernel": (0, 2)}, "kernel: must be a positive integer, got 0"),
    (sc.Conv2D, {"input": (3, 4), "kernel": (2, -1)}, "kernel: must be a positive integer, got -1"),
    (sc.Conv2D, {"input": (3, -4), "kernel": 1}, "input: must be an integer >= 0, got -4"),
    (sc.Conv2D, {"input": (3, 4), "kernel": 2, "stride": 0}, "stride: must be a positive integer, got 0"),
    (sc.MaxPool2D, {"input": (3, 4), "window": 2, "padding": -1}, "padding: must be an integer >= 0, got -1"),
    (
        sc.Conv2D,
        {"input": (3, 4), "kernel": 2, "padding": (0, 0, -3, -2)},
        "padding: crops 5 entries along axis 2, more than the 4 the (dilated) input has",
    ),
    (
        sc.Conv2D,
        {"input": (3, 4), "kernel": 2, "padding": (1, 1, 1)},
        "padding: must have 1, 2 or 4 entries (P, PH,PW or TOP,BOTTOM,LEFT,RIGHT), got 3",
    ),
    (sc.Conv2D, {"input": (3, 4), "kernel": 2.5}, "kernel: must be an integer or a pair (height, width), got 2.5"),
    (sc.Conv2D, {"input": (3, 4), "kernel": (2.0, 2)}, "kernel: must be an integer, got 2.0"),
    (sc.Conv2D, {"input": (3, 4), "kernel": True}, "kernel: must be an integer, got True"),
    (sc.Conv2D, {"input": "3x4", "kernel": 2}, "input: must be an integer or a pair (height, width), got '3x4'"),
    (
        sc.Conv2D,
        {"input": (3, 4, 5), "kernel": 2},
        "input: must be an integer or a pair (height, width), got (3, 4, 5)",
    ),
    (sc.Conv2D, {"input": (3, 4), "kernel": 2, "out_channels": 0}, "out_channels: must be a positive integer, got 0"),
    (sc.Conv2D, {"input": (3, 4), "kernel": 2, "in_channels": -2}, "in_channels: must be a positive integer, got -2"),
    (sc.Conv2D, {"input": (3, 4), "kernel": 2, "bias": 1}, "bias: must be true or false, got 1"),
    (sc.Conv2D, {"input": (3, 4), "kernel": 2, "groups": 0}, "groups: must be a positive integer, got 0"),
    (sc.Conv2D, {"input": (3, 4), "kernel": 2, "groups": 2.0}, "groups: must be an integer, got 2.0"),
    (
        sc.Conv2D,
        {"input": (3, 4), "kernel": 2, "in_channels": 4, "out_channels": 6, "groups": 3},
        "groups: must divide in_channels (4), got 3",
    ),
    (
        sc.Conv2D,
        {"input": (3, 4), "kernel": 2, "in_channels": 4, "out_channels": 6, "groups": 4},
        "groups: must divide out_channels (6), got 4",
    ),
    (
        sc.Conv2D,
        {"input": (3, 4), "kernel": 2, "groups": 2},
        "groups: must divide in_channels (1), got 2",
    ),
    (
        sc.Conv2D,
        {"input": (3, 4), "kernel": 2, "padding": "same", "stride": (1, 2)},
        "padding: 'same' needs stride 1 (as in PyTorch), got stride 1x2",
    ),
    (
        sc.Conv2D,
        {"input": (3, 4), "kernel": 2, "padding": "full"},
        "padding: must be integers (P, PH,PW, TOP,BOTTOM,LEFT,RIGHT), 'same' or 'valid', got 'full'",
    ),
    (
        sc.MaxPool2D,
        {"input": (3, 4), "window": 2, "padding": 2},
        "padding: leaves window 1 along axis 1 wholly outside the input (every window must meet at least one "
        "input entry), got 2,2,2,2",
    ),
    (
        sc.AvgPool2D,
        {"input": (3, 4), "window": (5, 1)},
        "window: 5x1 is larger than the padded input 3x4, so the output would be empty",
    ),
    (
        sc.MaxPool2D,
        {"input": (3, 4), "window": 2, "pad_value": math.nan},
        "pad_value: must be 0 (the seed's) or -inf (PyTorch's), got nan",
    ),
    (
        sc.MaxPool2D,
        {"input": (3, 4), "window": 2, "pad_value": 5},
        "pad_value: must be 0 (the seed's) or -inf (PyTorch's), got 5",
    ),
    (
        sc.MaxPool2D,
        {"input": (3, 4), "window": 2, "pad_value": "1e0"},
        "pad_value: must be 0 (the seed's) or -inf (PyTorch's), got '1e0'",
    ),
    (sc.MaxPool2D, {"input": (3, 4), "window": 2, "pad_value": [0]}, "pad_value: must be 0 or -inf, got (0,)"),
    (sc.MaxPool2D, {"input": (3, 4), "window": 2, "channels": 0}, "channels: must be a positive integer, got 0"),
    (sc.MaxPool2D, {"input": (3, 4), "window": 2, "ceil_mode": 1}, "ceil_mode: must be true or false, got 1"),
    (
        sc.MaxPool2D,
        {"input": (3, 4), "window": 2, "tie_order": "diag"},
        "tie_order: must be one of 'column', 'row', got 'diag'",
    ),
    (
        sc.AvgPool2D,
        {"input": (3, 4), "window": 2, "divisor_override": 0},
        "divisor_override: must be a nonzero integer, got 0",
    ),
    (
        sc.AvgPool2D,
        {"input": (3, 4), "window": 2, "divisor_override": 1.5},
        "divisor_override: must be an integer, got 1.5",
    ),
    (
        sc.AvgPool2D,
        {"input": (3, 4), "window": 2, "count_include_pad": "no"},
        "count_include_pad: must be true or false, got 'no'",
    ),
    (
        sc.AvgPool2D,
        {"input": (1, 1), "window": (2, 1), "dilation": (2, 1), "padding": (1, 1, 0, 0), "count_include_pad": False},
        "padding: leaves window 1 along axis 1 wholly outside the input (every window must meet at least one "
        "input entry), got 1,1,0,0",
    ),
    (sc.AdaptiveAvgPool2D, {"input": (3, 4), "output": 0}, "output: must be a positive integer, got 0"),
    (sc.AdaptiveAvgPool2D, {"input": (3, 4), "output": (None, -1)}, "output: must be a positive integer, got -1"),
    (
        sc.AdaptiveMaxPool2D,
        {"input": (3, 4), "output": (2, 2), "tie_order": "last"},
        "tie_order: must be one of 'column', 'row', got 'last'",
    ),
    (
        sc.AdaptiveMaxPool2D,
        {"input": (3, 4), "output": 2, "channels": 0},
        "channels: must be a positive integer, got 0",
    ),
    (
        sc.ConvTranspose2D,
        {"input": (3, 3), "kernel": 3, "stride": 2, "output_padding": (1, 2)},
        "output_padding: must be smaller than the stride or the dilation along each axis (PyTorch's rule), "
        "got 1x2 with stride 2x2 and dilation 1x1",
    ),
    (
        sc.ConvTranspose2D,
        {"input": (3, 3), "kernel": 3, "output_padding": 1},
        "output_padding: must be smaller than the stride or the dilation along each axis (PyTorch's rule), "
        "got 1x1 with stride 1x1 and dilation 1x1",
    ),
    (
        sc.ConvTranspose2D,
        {"input": (3, 3), "kernel": 3, "output_padding": -1},
        "output_padding: must be an integer >= 0, got -1",
    ),
    (
        sc.ConvTranspose2D,
        {"input": (3, 3), "kernel": 3, "in_channels": 4, "out_channels": 6, "groups": 4},
        "groups: must divide out_channels (6), got 4",
    ),
    (
        sc.ConvTranspose2D,
        {"input": (3, 3), "kernel": 3, "in_channels": 3, "out_channels": 6, "groups": 2},
        "groups: must divide in_channels (3), got 2",
    ),
    (sc.ConvTranspose2D, {"input": (3, 3), "kernel": 3, "groups": 0}, "groups: must be a positive integer, got 0"),
    (sc.ConvTranspose2D, {"input": (3, 3), "kernel": (2, 0)}, "kernel: must be a positive integer, got 0"),
    (sc.ConvTranspose2D, {"input": (3, 3), "kernel": 2, "stride": 0}, "stride: must be a positive integer, got 0"),
    (
        sc.ConvTranspose2D,
        {"input": (1, 3), "kernel": 1, "padding": (1, 0)},
        "padding: 1,1,0,0 trims the output to -1x3: (n - 1) s - before - after + d (k - 1) + output_padding + 1 "
        "must be at least 0",
    ),
    (
        sc.ConvTranspose2D,
        {"input": (3, 3), "kernel": 2, "padding": "same"},
        "padding: must be integers (P, PH,PW or TOP,BOTTOM,LEFT,RIGHT), got 'same'",
    ),
    (
        sc.MaxPool2D,
        {"input": (4, 4), "window": 2, "padding": "valid"},
        "padding: must be integers (P, PH,PW or TOP,BOTTOM,LEFT,RIGHT), got 'valid'",
    ),
    (sc.Dense, {"in_features": 4, "out_features": 0}, "out_features: must be a positive integer, got 0"),
    (sc.SoftmaxCrossEntropy, {"classes": 1}, "classes: must be an integer >= 2, got 1"),
    (
        sc.ReLU,
        {"input": (2, 2), "features": 3},
        "features: give either input (an image) or features (a vector), not both",
    ),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"), INVALID, ids=[m.split(":")[0] + str(i) for i, (_, _, m) in enumerate(INVALID)]
)
def test_invalid_spec_has_exact_message(cls, kwargs, message):
    with pytest.raises(sc.SpecError) as info:
        cls(**kwargs)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


NET_INVALID = [
    (
        {"input": (5, 5), "channels": 2, "layers": [sc.Conv2D(kernel=2, in_channels=3)]},
        "layers[0].in_channels: is 3 but the previous layer gives 2 channels",
    ),
    (
        {"input": (5, 5), "layers": [sc.Conv2D(kernel=2), sc.Dense(out_features=2)]},
        "layers[1].input: a dense layer needs a vector input, got 1 channel of 4x4; put a flatten layer before it",
    ),
    (
        {"input": (5, 5), "layers": [sc.Flatten(), sc.Conv2D(kernel=2)]},
        "layers[1].input: a conv2d layer needs an image input (channels x height x width), got a vector of 25",
    ),
    (
        {"input": (4, 4), "layers": [sc.Conv2D(kernel=2, input=(5, 5))]},
        "layers[0].input: is 5x5 but the previous layer gives 4x4 as input size",
    ),
    (
        {"input": (4, 4), "layers": [sc.Flatten(), sc.SoftmaxCrossEntropy(), sc.ReLU()]},
        "layers[1]: softmax_cross_entropy must be the last layer",
    ),
    (
        {"input": (4, 4), "channels": 3, "layers": [sc.Conv2D(kernel=3, out_channels=4, groups=2)]},
        "layers[0].groups: must divide in_channels (3), got 2",
    ),
    ({"input": (4, 4), "layers": []}, "layers: must be a non-empty list of layers"),
    (
        {"input": (4, 4), "layers": [sc.Flatten(), sc.Dense(in_features=3, out_features=2)]},
        "layers[1].in_features: is 3 but the previous layer gives 16 features",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), NET_INVALID)
def test_invalid_network_has_exact_message(kwargs, message):
    with pytest.raises(sc.SpecError) as info:
        sc.Network(**kwargs)
    assert str(info.value) == message


def test_output_size_is_the_seeds_formula_for_symmetric_padding():
    for n, k, p, s in itertools.product(range(1, 9), range(1, 6), range(0, 3), range(1, 4)):
        if k > n + 2 * p:
            continue
        assert output_size(n, k, p, p, s) == seed_output_size(n, k, p, s)


def test_output_size_with_per_side_padding_and_dilation_counts_window_positions():
    for n, k, t, b, s, d in itertools.product(range(1, 7), range(1, 4), range(3), range(3), range(1, 4), range(1, 3)):
        span = d * (k - 1) + 1
        if span > n + t + b:
            continue
        positions = [start for start in range(0, n + t + b) if start % s == 0 and start + span <= n + t + b]
        assert output_size(n, k, t, b, s, d) == len(positions)


def test_seed_examples_shapes():
    conv = sc.Conv2D(input=(3, 4), kernel=(2, 2), padding=(1, 1), stride=(1, 2))
    assert conv.out_shape == (1, 4, 3)
    assert sc.derive(conv).output_shape == (4, 3)
    pool = sc.MaxPool2D(input=(3, 4), window=(3, 2), padding=(1, 1), stride=(1, 2))
    assert pool.out_shape == (1, 3, 3)


def test_padding_forms_normalise_to_four_sides():
    assert sc.Conv2D(input=(3, 4), kernel=2, padding=1).padding == (1, 1, 1, 1)
    assert sc.Conv2D(input=(3, 4), kernel=2, padding=(1, 2)).padding == (1, 1, 2, 2)
    assert sc.Conv2D(input=(3, 4), kernel=2, padding=(0, 1, 2, 3)).padding == (0, 1, 2, 3)


def test_specs_are_immutable():
    conv = sc.Conv2D(input=(3, 4), kernel=2)
    with pytest.raises(AttributeError):
        conv.kernel = (3, 3)  # type: ignore[misc]


def test_pool_stride_defaults_to_window():
    assert sc.MaxPool2D(input=(4, 4), window=2).stride == (2, 2)


def test_network_chains_and_config_round_trips():
    net = sc.Network(
        input=(8, 8),
        channels=2,
        layers=[
            sc.Conv2D(kernel=3, out_channels=3, padding=1),
            sc.ReLU(),
            sc.AvgPool2D(window=2),
            sc.Flatten(),
            sc.Dense(out_features=4),
            sc.SoftmaxCrossEntropy(),
        ],
    )
    assert [layer.out_shape for layer in net.layers] == [(3, 8, 8), (3, 8, 8), (3, 4, 4), (48,), (4,), (4,)]
    import tomllib

    text = _to_toml({"network": net.config()})
    again = parse_config(text.encode())
    assert again == net
    assert tomllib.loads(text)


def _to_toml(doc: dict) -> str:
    """A tiny TOML writer for the test (network config only)."""
    net = doc["network"]
    lines = ["[network]", f"input = {net['input']}", f"channels = {net['channels']}"]
    for layer in net["layers"]:
        lines.append("[[network.layers]]")
        for key, value in layer.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            else:
                lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


CONFIG_INVALID = [
    (
        b"[layer]\ntype = 'conv4d'\n",
        "layer.type: must be one of conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, "
        "maxpool1d, maxpool2d, maxpool3d, avgpool1d, avgpool2d, avgpool3d, lppool1d, lppool2d, lppool3d, "
        "adaptive_avgpool1d, adaptive_avgpool2d, adaptive_avgpool3d, adaptive_maxpool1d, adaptive_maxpool2d, "
        "adaptive_maxpool3d, maxunpool1d, maxunpool2d, maxunpool3d, pad1d, pad2d, pad3d, relu, sigmoid, tanh, "
        "flatten, dense, softmax_cross_entropy, got 'conv4d'",
    ),
    (
        b"[layer]\ntype = 'maxpool2d'\ninput = [3, 4]\nwindow = 2\ncount_include_pad = false\n",
        "layer.count_include_pad: is not a parameter of maxpool2d; expected one of input, padding, dilation, "
        "window, stride, channels, ceil_mode, input_dilation, pad_value, tie_order",
    ),
    (
        b"[layer]\ntype = 'avgpool2d'\ninput = [3, 4]\nwindow = 2\ntie_order = 'row'\n",
        "layer.tie_order: is not a parameter of avgpool2d; expected one of input, padding, dilation, "
        "window, stride, channels, ceil_mode, input_dilation, count_include_pad, divisor_override",
    ),
    (
        b"[layer]\ntype = 'avgpool2d'\ninput = [3, 4]\nwindow = 2\ndivisor_override = 0\n",
        "layer.divisor_override: must be a nonzero integer, got 0",
    ),
    (b"[layer]\ntype = 'adaptive_avgpool2d'\ninput = [3, 4]\n", "layer.output: is required for adaptive_avgpool2d"),
    (
        b"[layer]\ntype = 'conv2d'\ninput = [3, 4]\nkernel = 2\nin_channels = 2\nout_channels = 3\ngroups = 2\n",
        "layer.groups: must divide out_channels (3), got 2",
    ),
    (
        b"[layer]\ntype = 'adaptive_maxpool2d'\ninput = [3, 4]\noutput = [2, 2]\ntie_order = 'Row'\n",
        "layer.tie_order: must be one of 'column', 'row', got 'Row'",
    ),
    (
        b"[layer]\ntype = 'conv2d'\ninput = [3, 4]\nkernal = [2, 2]\n",
        "layer.kernal: is not a parameter of conv2d; expected one of input, padding, dilation, kernel, stride, "
        "in_channels, out_channels, groups, bias, input_dilation, padding_mode",
    ),
    (b"[layer]\ntype = 'conv2d'\ninput = [3, 4]\n", "layer.kernel: is required for conv2d"),
    (
        b"[layer]\ntype = 'conv_transpose2d'\ninput = [3, 4]\nkernel = 3\nstride = 2\noutput_padding = [0, 2]\n",
        "layer.output_padding: must be smaller than the stride or the dilation along each axis (PyTorch's rule), "
        "got 0x2 with stride 2x2 and dilation 1x1",
    ),
    (b"[layer]\ntype = 'conv2d'\nkernel = [2, 2]\n", "layer.input: is required for a conv2d layer outside a network"),
    (b"[layer]\ntype = 'conv2d'\ninput = [3, 4]\nkernel = [2, 0]\n", "layer.kernel: must be a positive integer, got 0"),
    (b"x = ", None),  # not TOML: message starts with "config: config is not valid TOML"
    (b"[network]\ninput = [4, 4]\n", "network.layers: must be a non-empty list of layer tables ([[network.layers]])"),
    (
        b"[network]\ninput = [4, 4]\n[[network.layers]]\ntype = 'dense'\nout_features = 2\n",
        "network.layers[1].input: a dense layer needs a vector input, got 1 channel of 4x4; "
        "put a flatten layer before it",
    ),
    (b"[layr]\ntype = 'conv2d'\n", "config: unknown table 'layr'; expected [layer] or [network]"),
    (b"[layer]\n[network]\n", "config: must have exactly one of a [layer] table and a [network] table"),
    (b"title = 'x'\n", "config: unknown key 'title'; expected [layer] or [network]"),
    (b"", "config: must have a [layer] table or a [network] table"),
]


@pytest.mark.parametrize(("text", "message"), CONFIG_INVALID)
def test_invalid_config_has_exact_message(text, message):
    with pytest.raises(sc.SpecError) as info:
        parse_config(text)
    if message is None:
        assert str(info.value).startswith("config: config is not valid TOML")
    else:
        assert str(info.value) == message


def test_new_pooling_options_round_trip_through_toml():
    """ceil_mode, tie_order, count_include_pad, divisor_override and adaptive output sizes are
    config keys: a spec's config() reads back as the same spec."""
    specs = [
        sc.MaxPool2D(input=(7, 8), window=3, stride=2, padding=1, ceil_mode=True, tie_order="row", pad_value=-math.inf),
        sc.AvgPool2D(input=(7, 8), window=3, stride=2, ceil_mode=True, count_include_pad=False, divisor_override=4),
        sc.AdaptiveAvgPool2D(input=(7, 8), output=(1, 1), channels=3),
        sc.AdaptiveMaxPool2D(input=(7, 8), output=(None, 3), tie_order="row"),
        sc.ConvTranspose2D(
            input=(5, 6),
            kernel=(3, 2),
            stride=2,
            padding=(1, 0, 2, 1),
            output_padding=(1, 0),
            dilation=(1, 2),
            in_channels=4,
            out_channels=6,
            groups=2,
            bias=False,
        ),
    ]
    for spec in specs:
        table = spec.config()
        if table.get("pad_value") == -math.inf:
            table["pad_value"] = "-inf"
        lines = ["[layer]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        assert parse_config(("\n".join(lines) + "\n").encode()) == spec
    assert specs[3].output == (7, 3)  # None keeps the input's size, as in PyTorch


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return str(list(v)) if isinstance(v, (list, tuple)) else str(v)


def test_ceil_mode_output_size_is_pytorchs():
    """ceil rounds up; a last window that would start in the padding after the input is
    dropped (5 rows, window 2, stride 3, padding 1: ceil gives 3, the third window would
    start at padded row 6, past the 5 rows and the 1 before them, so 2)."""
    assert sc.MaxPool2D(input=(5, 5), window=2, stride=3, padding=1, ceil_mode=True).out_shape == (1, 2, 2)
    assert sc.MaxPool2D(input=(5, 5), window=2, stride=2, ceil_mode=True).out_shape == (1, 3, 3)
    assert sc.MaxPool2D(input=(5, 5), window=2, stride=2).out_shape == (1, 2, 2)


def test_builtin_configs_load():
    from symconv.config import BUILTINS, load_config

    shapes = {name: load_config(name).out_shape for name in BUILTINS}
    assert shapes["appendix_a"] == (1, 4, 3)
    assert shapes["appendix_b"] == (1, 3, 3)
    assert shapes["hand_sign"] == (6,)
    hand = load_config("hand_sign")
    assert [layer.out_shape for layer in hand.layers][:6] == [
        (8, 64, 64),
        (8, 64, 64),
        (8, 8, 8),
        (16, 8, 8),
        (16, 8, 8),
        (16, 2, 2),
    ]


@pytest.mark.parametrize(("kernel", "dilation"), [(1, 1), (2, 1), (3, 1), (4, 1), (3, 2), (2, 3), ((2, 5), (3, 1))])
def test_same_padding_keeps_the_input_size_with_the_odd_row_at_the_end(kernel, dilation):
    """PyTorch's padding="same": d (k - 1) padded rows in all, the extra one at the bottom/right."""
    spec = sc.Conv2D(input=(7, 6), kernel=kernel, padding="same", dilation=dilation)
    assert spec.out_shape[1:] == (7, 6)
    (kh, kw), (dh, dw) = spec.kernel, spec.dilation
    t, b, left, right = spec.padding
    assert (t + b, left + right) == (dh * (kh - 1), dw * (kw - 1))
    assert 0 <= b - t <= 1 and 0 <= right - left <= 1
    assert sc.Conv2D(input=(7, 6), kernel=kernel, padding="valid", dilation=dilation).padding == (0, 0, 0, 0)


SETTINGS = [
    (sc.Conv2D(input=(3, 4), kernel=(2, 2), padding=(1, 1), stride=(1, 2)), "kernel 2x2, padding 1,1,1,1, stride 1,2"),
    (
        sc.Conv2D(input=(5, 5), kernel=3, dilation=2, bias=False, out_channels=4),
        "kernel 3x3, dilation 2,2, out channels 4, no bias",
    ),
    (
        sc.MaxPool2D(input=(4, 4), window=2, ceil_mode=True, pad_value=float("-inf"), tie_order="row"),
        "window 2x2, stride 2,2, ceil mode, pad value -inf, tie order row",
    ),
    (
        sc.AvgPool2D(input=(5, 5), window=2, count_include_pad=False, divisor_override=3),
        "window 2x2, stride 2,2, no count include pad, divisor override 3",
    ),
    (sc.AdaptiveMaxPool2D(input=(7, 7), output=(1, 1)), "output 1x1"),
    (sc.ReLU(input=(2, 2)), ""),
]


@pytest.mark.parametrize(("spec", "text"), SETTINGS)
def test_settings_show_what_is_not_a_default(spec, text):
    """One description of a layer's settings: the window first, defaults and shapes left out,
    flags as words."""
    assert spec.describe() == text


@pytest.mark.parametrize(
    ("text", "value"), [("-inf", -math.inf), (" -Infinity", -math.inf), ("0", 0.0), ("-0.00", 0.0)]
)
def test_pad_value_as_text(text, value):
    """TOML has no -inf literal and the command line gives text: the spec reads "0" and
    "-inf" itself (one place for the rule), never evaluating it."""
    assert sc.MaxPool2D(input=(3, 4), window=2, pad_value=text).pad_value == value
