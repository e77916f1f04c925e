"""One table of layers and networks whose generated modules, between them, take every kind and
every path of the code generation: the kernel tests' tables (every conv path in 1-D, 2-D and
3-D, transposed, every padding mode, cropping, input dilation; every average- and max-pooling
branch; adaptive pooling with bands of one and two lengths, global, both tie orders), empty
layers, pooling in 1-D and 3-D, Lp pooling, max unpooling, padding in every mode (``test_pad.py``'s cases), the
activations, flatten, dense, softmax cross-entropy, layers whose dense Jacobians are too large
to return, and networks.  ``tests/test_codegen_entered.py`` runs each module and
``benchmarks/bench_specialized.py`` compares them with the modules of another checkout.

``SPECS`` maps a name to the spec; ``QUICK`` names a subset that still takes every kind and
every path (the test suite's)."""

from __future__ import annotations

import math

import test_kernel_adaptive
import test_kernel_avgpool
import test_kernel_conv
import test_kernel_maxpool
import test_pad

import symconv as sc
from symconv.config import BUILTINS, load_config
from symconv.specs import Layer, Network

INF = -math.inf

#: layers where no input entry meets an output (the empty passes)
EMPTY = {
    "conv2d-empty-input": sc.Conv2D(input=(0, 4), kernel=2, padding=1, in_channels=2, out_channels=3),
    "conv1d-empty-output": sc.Conv1D(input=3, kernel=5, in_channels=2, out_channels=2),
    "conv3d-empty-both": sc.Conv3D(input=(2, 0, 3), kernel=2, in_channels=1, out_channels=2, bias=False),
    "convt1d-empty-input": sc.ConvTranspose1D(input=0, kernel=3, padding=1, in_channels=2, out_channels=2),
    "convt2d-empty-output": sc.ConvTranspose2D(
        input=(2, 2), kernel=2, padding=(2, 0), stride=2, in_channels=1, out_channels=1
    ),
}

POOLS_ND = {
    "maxpool1d": sc.MaxPool1D(input=9, window=3, padding=(1, 1), stride=2, pad_value=INF, channels=2),
    "maxpool1d-dilated-ceil": sc.MaxPool1D(
        input=8, window=2, padding=(2, 3), stride=2, dilation=2, input_dilation=2, ceil_mode=True, tie_order="row"
    ),
    "maxpool3d-row": sc.MaxPool3D(
        input=(2, 3, 4),
        window=(2, 2, 3),
        padding=(1, 0, 0, 1, 1, 1),
        stride=(1, 2, 2),
        ceil_mode=True,
        pad_value=INF,
        tie_order="row",
        channels=2,
    ),
    "maxpool3d-tiles": sc.MaxPool3D(input=(4, 4, 4), window=2, stride=2),
    "avgpool1d": sc.AvgPool1D(input=7, window=3, padding=(1, 1), stride=2, ceil_mode=True, count_include_pad=False),
    "avgpool1d-wide-tiles": sc.AvgPool1D(input=12, window=4, stride=4, channels=2),
    "avgpool3d": sc.AvgPool3D(
        input=(3, 2, 3),
        window=(2, 1, 2),
        padding=(1, 0, 0, 0, 1, 1),
        stride=(1, 1, 2),
        ceil_mode=True,
        divisor_override=3,
    ),
    "avgpool3d-wide-tiles": sc.AvgPool3D(input=(2, 4, 8), window=(1, 2, 4), stride=(1, 2, 4), channels=2),
    "lppool1d": sc.LPPool1D(input=6, window=3, stride=2, ceil_mode=True, norm=2),
    "lppool2d": sc.LPPool2D(input=(3, 4), window=2, stride=(1, 2), norm=1.5, channels=2),
    "lppool2d-n1": sc.LPPool2D(input=(4, 4), window=2, norm=1),
    "lppool3d": sc.LPPool3D(input=(2, 2, 3), window=(1, 2, 2), stride=(1, 1, 2), ceil_mode=True, norm=3),
    "adaptive-avg1d": sc.AdaptiveAvgPool1D(input=9, output=4, channels=2),
    "adaptive-avg1d-global": sc.AdaptiveAvgPool1D(input=9, output=1),
    "adaptive-avg3d": sc.AdaptiveAvgPool3D(input=(3, 5, 4), output=(2, 3, 2)),
    "adaptive-max1d": sc.AdaptiveMaxPool1D(input=9, output=4, channels=2),
    "adaptive-max1d-global-row": sc.AdaptiveMaxPool1D(input=7, output=1, tie_order="row"),
    "adaptive-max3d": sc.AdaptiveMaxPool3D(input=(3, 5, 4), output=(2, 3, 2), tie_order="row"),
    "adaptive-max3d-global": sc.AdaptiveMaxPool3D(input=(2, 3, 3), output=(1, 1, 1), channels=2),
}

OTHERS = {
    "maxunpool1d": sc.MaxUnpool1D(input=4, window=2, channels=2),
    "maxunpool2d": sc.MaxUnpool2D(input=(3, 3), window=3, stride=2, padding=1, output=(6, 6)),
    "maxunpool3d": sc.MaxUnpool3D(input=(2, 2, 2), window=2, channels=2),
    **{
        f"pad{d}d-{mode}-{k}": getattr(sc, f"Pad{d}D")(input=inp, padding=pad, mode=mode, channels=2)
        for k, (d, inp, pad, mode) in enumerate(test_pad.CASES)
    },
    "relu": sc.ReLU(input=(3, 3), channels=2),
    "relu-3d": sc.ReLU(input=(2, 3, 2)),
    "sigmoid": sc.Sigmoid(features=5),
    "tanh": sc.Tanh(input=(2, 2)),
    "flatten": sc.Flatten(input=(3, 2), channels=2),
    "flatten-1d": sc.Flatten(input=(5,), channels=3),
    "dense": sc.Dense(in_features=6, out_features=3),
    "dense-no-bias": sc.Dense(in_features=4, out_features=2, bias=False),
    "softmax": sc.SoftmaxCrossEntropy(classes=4),
    # dense Jacobians too large to return (jacobians refuses)
    "relu-large": sc.ReLU(input=(40, 40)),
    "flatten-large": sc.Flatten(input=(40, 40)),
    "conv-large": sc.Conv2D(input=(40, 40), kernel=3, padding=1, in_channels=1, out_channels=1),
    "avgpool-large": sc.AvgPool2D(input=(64, 64), window=2),
    "adaptive-avg-large": sc.AdaptiveAvgPool2D(input=(64, 64), output=(32, 32)),
    "pad-large": sc.Pad2D(input=(40, 40), padding=(1, 1, 1, 1)),
    "lppool-large": sc.LPPool2D(input=(64, 64), window=2, norm=2),
    "dense-large": sc.Dense(in_features=1100, out_features=1),
}

NETWORKS: dict[str, Layer | Network] = {
    **{name: load_config(name) for name in BUILTINS},
    "network-every-kind": sc.Network(
        input=(9, 9),
        channels=2,
        layers=(
            sc.Pad2D(padding=(1, 1, 1, 1), mode="reflect"),
            sc.Conv2D(kernel=3, out_channels=4, groups=2),
            sc.Tanh(),
            sc.MaxPool2D(window=3, stride=2, padding=1, pad_value=INF),
            sc.ConvTranspose2D(kernel=2, stride=2, out_channels=2),
            sc.Sigmoid(),
            sc.AvgPool2D(window=2),
            sc.LPPool2D(window=2, norm=2, stride=1),
            sc.AdaptiveMaxPool2D(output=(2, 2)),
            sc.AdaptiveAvgPool2D(output=(2, 1)),
            sc.Flatten(),
            sc.Dense(out_features=5),
            sc.ReLU(),
            sc.Dense(out_features=3, bias=False),
            sc.SoftmaxCrossEntropy(),
        ),
    ),
    "network-no-loss": sc.Network(
        input=(6,), channels=1, layers=(sc.Conv1D(kernel=3, padding=1, out_channels=2), sc.AvgPool1D(window=2))
    ),
}


def _kernel_tables() -> dict[str, Layer]:
    """The kernel tests' tables, by their own ids."""
    out: dict[str, Layer] = {}
    for k, (spec, path) in enumerate(test_kernel_conv.CASES):
        out[f"conv-{path}-{k}-{spec.kind}"] = spec
    for case in test_kernel_avgpool.CASES:
        out[f"avgpool2d-{case[-1]}"] = test_kernel_avgpool._spec(*case[:-1])
    for case in test_kernel_maxpool.CASES:
        out[f"maxpool2d-{case[-1]}"] = test_kernel_maxpool._spec(*case[:-1])
    for inp, size, label in test_kernel_adaptive.CASES:
        out[f"adaptive-avg2d-{label}"] = test_kernel_adaptive._avg(inp, size)
        for ties in test_kernel_adaptive.TIES:
            out[f"adaptive-max2d-{label}-{ties}"] = test_kernel_adaptive._max(inp, size, ties)
    return out


SPECS: dict[str, Layer | Network] = {**_kernel_tables(), **EMPTY, **POOLS_ND, **OTHERS, **NETWORKS}

#: the kernel tests' tables thinned to a few rows each that still take every path (what a
#: module holds depends on its path, padding mode, bias and dimensions, not on its sizes)
QUICK = [
    name
    for name in SPECS
    if not name.startswith(("conv-", "avgpool2d-", "maxpool2d-", "adaptive-max2d-", "adaptive-avg2d-"))
] + [
    *(f"conv-{path}-{k}-{spec.kind}" for k, (spec, path) in enumerate(test_kernel_conv.CASES) if k % 3 == 0),
    "conv-scatter-20-conv2d",
    "conv-scatter-28-conv_transpose2d",
    "conv-flat-23-conv1d",
    *(f"avgpool2d-{case[-1]}" for case in test_kernel_avgpool.CASES[:3]),
    *(f"maxpool2d-{case[-1]}" for case in test_kernel_maxpool.CASES[::2]),
    f"adaptive-avg2d-{test_kernel_adaptive.CASES[0][-1]}",
    f"adaptive-avg2d-{test_kernel_adaptive.CASES[3][-1]}",
    *(f"adaptive-max2d-{test_kernel_adaptive.CASES[k][-1]}-{ties}" for k in (0, 3) for ties in ("column", "row")),
]
