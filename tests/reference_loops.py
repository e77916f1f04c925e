# ruff: noqa: N803, E741 - the seed's names (A, K, Z, dZ, I, W, B) and its layer index l
"""An independent reference: the seed's equations as plain loops, one entry at a time.

Nothing here comes from symconv: every function is written straight from the seed
(section 2, 3.1.1 to 3.1.5, Appendix A and B) with Python loops over plain nested
indices, so it can disagree with the generated code.  Arrays use the PyTorch layouts the
generated modules use: images ``(N, C, H, W)``, kernels ``(C_out, C_in, h_k, w_k)``,
dense weights ``(n_in, n_out)``.  Padding is ``(top, bottom, left, right)``.
Slow on purpose: use small shapes.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp


def out_size(n: int, k: int, before: int, after: int, stride: int, dilation: int) -> int:
    """Section 2's ``floor((h_a + 2 h_p - h_k) / h_s) + 1`` with per-side padding and dilation."""
    return (n + before + after - dilation * (k - 1) - 1) // stride + 1


def _source(p: int, r: int, stride: int, dilation: int, before: int) -> int:
    """Unpadded (0-based) input row read by output row ``p`` at kernel row ``r`` (rep.1)."""
    return p * stride + r * dilation - before


# -- convolution (section 2, Appendix A rep.1/rep.2, 3.1.5) ----------------------------------


def conv_forward(A, K, b, padding, stride, dilation=(1, 1)):
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1``: every output the window of the zero-padded input
    times the kernel, entry by entry (rep.2)."""
    n_, cin, h, w = A.shape
    cout, _, hk, wk = K.shape
    t, bo, le, ri = padding
    hz = out_size(h, hk, t, bo, stride[0], dilation[0])
    wz = out_size(w, wk, le, ri, stride[1], dilation[1])
    Z = np.zeros((n_, cout, hz, wz), dtype=np.result_type(A, K))
    for n in range(n_):
        for j in range(cout):
            for p in range(hz):
                for q in range(wz):
                    total = 0.0 if b is None else float(b[j])
                    for i in range(cin):
                        for r in range(hk):
                            for s in range(wk):
                                row = _source(p, r, stride[0], dilation[0], t)
                                col = _source(q, s, stride[1], dilation[1], le)
                                if 0 <= row < h and 0 <= col < w:  # padded entries are zeros
                                    total += float(A[n, i, row, col]) * float(K[j, i, r, s])
                    Z[n, j, p, q] = total
    return Z


def conv_backward(dZ, A, K, padding, stride, dilation=(1, 1)):
    """``dJ/dK_{j,i,rs} = sum_pq dJ/dz_{j,pq} a_{i, window(p,q) at (r,s)}`` (eq.a1-3),
    ``dJ/db_j = sum_pq dJ/dz_{j,pq}``, ``dJ/dA_{i,kl} = sum_j sum_pq dJ/dz_{j,pq} dz_{j,pq}/dA_{i,kl}``
    (eq.a2-3): each term of rep.2 routes its product back to both factors."""
    n_, cin, h, w = A.shape
    cout, _, hk, wk = K.shape
    t, _, le, _ = padding
    _, _, hz, wz = dZ.shape
    dA = np.zeros(A.shape)
    dK = np.zeros(K.shape)
    db = np.zeros(cout)
    for n in range(n_):
        for j in range(cout):
            for p in range(hz):
                for q in range(wz):
                    g = float(dZ[n, j, p, q])
                    db[j] += g
                    for i in range(cin):
                        for r in range(hk):
                            for s in range(wk):
                                row = _source(p, r, stride[0], dilation[0], t)
                                col = _source(q, s, stride[1], dilation[1], le)
                                if 0 <= row < h and 0 <= col < w:
                                    dK[j, i, r, s] += g * float(A[n, i, row, col])
                                    dA[n, i, row, col] += g * float(K[j, i, r, s])
    return dA, dK, db


# -- pooling (3.1.3, Appendix B) ---------------------------------------------------------------


def avgpool_forward(I, window, padding, stride, dilation=(1, 1)):
    """``A_j = I_j * P``, ``P`` all ``1/(h_l w_l)``; padded entries are zeros (3.1.3)."""
    hl, wl = window
    n_, c, h, w = I.shape
    t, bo, le, ri = padding
    hz = out_size(h, hl, t, bo, stride[0], dilation[0])
    wz = out_size(w, wl, le, ri, stride[1], dilation[1])
    out = np.zeros((n_, c, hz, wz))
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                for q in range(wz):
                    total = 0.0
                    for r in range(hl):
                        for s in range(wl):
                            row = _source(p, r, stride[0], dilation[0], t)
                            col = _source(q, s, stride[1], dilation[1], le)
                            if 0 <= row < h and 0 <= col < w:
                                total += float(I[n, j, row, col])
                    out[n, j, p, q] = total / (hl * wl)
    return out


def avgpool_backward(dA, input_shape, window, padding, stride, dilation=(1, 1)):
    """``dJ/dI_kl = sum over the windows holding I_kl of dJ/dA_pq / (h_l w_l)`` (3.1.3)."""
    hl, wl = window
    n_, c, h, w = input_shape
    t, _, le, _ = padding
    _, _, hz, wz = dA.shape
    dI = np.zeros(input_shape)
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                for q in range(wz):
                    for r in range(hl):
                        for s in range(wl):
                            row = _source(p, r, stride[0], dilation[0], t)
                            col = _source(q, s, stride[1], dilation[1], le)
                            if 0 <= row < h and 0 <= col < w:
                                dI[n, j, row, col] += float(dA[n, j, p, q]) / (hl * wl)
    return dI


def maxpool_forward(I, window, padding, stride, dilation=(1, 1), pad_value=0.0):
    """Appendix B: ``A_pq = max`` over ``vΩ`` of window ``(p, q)`` (stacked columns), padded
    entries taking part as ``pad_value``; ``i_pq`` is the 1-based position of the first maximum."""
    hl, wl = window
    n_, c, h, w = I.shape
    t, bo, le, ri = padding
    hz = out_size(h, hl, t, bo, stride[0], dilation[0])
    wz = out_size(w, wl, le, ri, stride[1], dilation[1])
    A = np.zeros((n_, c, hz, wz))
    switches = np.zeros((n_, c, hz, wz), dtype=np.int64)
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                for q in range(wz):
                    best, best_i = None, 0
                    position = 0
                    for s in range(wl):  # vΩ: column by column
                        for r in range(hl):
                            position += 1
                            row = _source(p, r, stride[0], dilation[0], t)
                            col = _source(q, s, stride[1], dilation[1], le)
                            value = float(I[n, j, row, col]) if 0 <= row < h and 0 <= col < w else pad_value
                            if best is None or value > best:  # ties: the first maximum stays
                                best, best_i = value, position
                    A[n, j, p, q] = best
                    switches[n, j, p, q] = best_i
    return A, switches


def maxpool_backward(dA, switches, input_shape, window, padding, stride, dilation=(1, 1)):
    """eq.b-2.1 to eq.b-2.3: from ``i_pq`` the block position, the window's top-left entry and
    the input entry ``(r_i, c_i)`` that receives ``dJ/dA_pq`` (none when it is padding)."""
    hl, _ = window
    n_, c, h, w = input_shape
    _, _, hz, wz = dA.shape
    dI = np.zeros(input_shape)
    for n in range(n_):
        for j in range(c):
            for p in range(1, hz + 1):
                for q in range(1, wz + 1):
                    i_pq = int(switches[n, j, p - 1, q - 1])
                    c_b = math.ceil(i_pq / hl)  # eq.b-2.1
                    r_b = i_pq - (c_b - 1) * hl
                    top_r = 1 + stride[0] * (p - 1) - padding[0]  # eq.b-2.2
                    top_c = 1 + stride[1] * (q - 1) - padding[2]
                    r_i = top_r + (r_b - 1) * dilation[0]  # eq.b-2.3 (dilated window)
                    c_i = top_c + (c_b - 1) * dilation[1]
                    if 1 <= r_i <= h and 1 <= c_i <= w:
                        dI[n, j, r_i - 1, c_i - 1] += float(dA[n, j, p - 1, q - 1])
    return dI


# -- activations (3.1.4), flatten (3.1.2), dense and softmax cross-entropy (3.1.1) --------------


def _relu(z: float) -> float:
    return z if z > 0 else 0.0


def _relu_prime(z: float) -> float:
    return 1.0 if z > 0 else 0.0


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def _sigmoid_prime(z: float) -> float:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _tanh_prime(z: float) -> float:
    return 1.0 / math.cosh(z) ** 2 if abs(z) < 350 else 0.0


ACTIVATIONS = {
    "relu": (_relu, _relu_prime),
    "sigmoid": (_sigmoid, _sigmoid_prime),
    "tanh": (math.tanh, _tanh_prime),
}


def activation_forward(kind, Z):
    f, _ = ACTIVATIONS[kind]
    out = np.zeros(Z.shape)
    for idx in np.ndindex(*Z.shape):
        out[idx] = f(float(Z[idx]))
    return out


def activation_backward(kind, dI, Z):
    """``dJ/dz = dJ/dI f'(z)`` entry by entry (the diagonal Jacobian of 3.1.4)."""
    _, fp = ACTIVATIONS[kind]
    out = np.zeros(Z.shape)
    for idx in np.ndindex(*Z.shape):
        out[idx] = float(dI[idx]) * fp(float(Z[idx]))
    return out


def flatten_forward(A):
    """``B = [vec(A_1); ...; vec(A_c)]``: channel by channel, each column by column (3.1.2)."""
    n_, c, h, w = A.shape
    B = np.zeros((n_, c * h * w))
    for n in range(n_):
        m = 0
        for j in range(c):
            for col in range(w):
                for row in range(h):
                    B[n, m] = A[n, j, row, col]
                    m += 1
    return B


def flatten_backward(dB, shape):
    n_, c, h, w = shape
    dA = np.zeros(shape)
    for n in range(n_):
        m = 0
        for j in range(c):
            for col in range(w):
                for row in range(h):
                    dA[n, j, row, col] = dB[n, m]
                    m += 1
    return dA


def dense_forward(B, W, b):
    """``Z = W^T B + b`` for each example: ``z_k = sum_i w_{ik} B_i + b_k``."""
    n_, n_in = B.shape
    n_out = W.shape[1]
    Z = np.zeros((n_, n_out))
    for n in range(n_):
        for k in range(n_out):
            total = 0.0 if b is None else float(b[k])
            for i in range(n_in):
                total += float(W[i, k]) * float(B[n, i])
            Z[n, k] = total
    return Z


def dense_backward(dZ, B, W):
    """``dJ/dW = (dJ/dZ)^T B^T`` transposed, ``dJ/db = dJ/dZ``, ``dJ/dB = dJ/dZ W^T`` (3.1.1),
    summed over the batch for the parameters."""
    n_, n_in = B.shape
    n_out = W.shape[1]
    dB = np.zeros(B.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(n_out)
    for n in range(n_):
        for k in range(n_out):
            g = float(dZ[n, k])
            db[k] += g
            for i in range(n_in):
                dW[i, k] += g * float(B[n, i])
                dB[n, i] += g * float(W[i, k])
    return dB, dW, db


def softmax_ce(Z, labels):
    """``a = softmax(z)``, ``J = mean_n -log a_label`` and ``dJ/dz = (a - y) / N`` (3.1.1)."""
    n_, k_ = Z.shape
    A = np.zeros(Z.shape)
    J = 0.0
    for n in range(n_):
        top = max(float(v) for v in Z[n])
        exps = [math.exp(float(v) - top) for v in Z[n]]
        total = sum(exps)
        for k in range(k_):
            A[n, k] = exps[k] / total
        J += -math.log(A[n, labels[n]])
    dZ = np.zeros(Z.shape)
    for n in range(n_):
        for k in range(k_):
            dZ[n, k] = (A[n, k] - (1.0 if k == labels[n] else 0.0)) / n_
    return A, J / n_, dZ


# -- a network, from its layer tables (a config's [[network.layers]]) --------------------------


def _pair(v, default):
    return tuple(v) if v is not None else default


def _pads(cfg):
    p = cfg.get("padding", [0, 0, 0, 0])
    return tuple(p) if len(p) == 4 else (p[0], p[0], p[1], p[1])


def network_loss_and_gradients(layers, X, labels, params):
    """``J`` and every gradient, layer tables in order; parameters keyed ``K1, b1, W3, ...``
    by the seed's layer numbering (a conv or dense layer starts a new layer)."""
    keys, number, seen = [], 1, False
    for cfg in layers:
        if cfg["type"] in ("conv2d", "dense"):
            number += 1 if seen else 0
            seen = True
        keys.append(number)
    xs, saved = [np.asarray(X, dtype=np.float64)], []
    for cfg, l in zip(layers, keys, strict=True):
        x, kind, extra = xs[-1], cfg["type"], None
        if kind == "conv2d":
            y = conv_forward(
                x,
                params[f"K{l}"],
                params.get(f"b{l}"),
                _pads(cfg),
                _pair(cfg.get("stride"), (1, 1)),
                _pair(cfg.get("dilation"), (1, 1)),
            )
        elif kind == "maxpool2d":
            pv = cfg.get("pad_value", 0.0)
            y, extra = maxpool_forward(
                x,
                tuple(cfg["window"]),
                _pads(cfg),
                _pair(cfg.get("stride"), tuple(cfg["window"])),
                _pair(cfg.get("dilation"), (1, 1)),
                -math.inf if pv == "-inf" else float(pv),
            )
        elif kind == "avgpool2d":
            y = avgpool_forward(
                x,
                tuple(cfg["window"]),
                _pads(cfg),
                _pair(cfg.get("stride"), tuple(cfg["window"])),
                _pair(cfg.get("dilation"), (1, 1)),
            )
        elif kind in ACTIVATIONS:
            y = activation_forward(kind, x)
        elif kind == "flatten":
            y = flatten_forward(x)
        elif kind == "dense":
            y = dense_forward(x, params[f"W{l}"], params.get(f"b{l}"))
        elif kind == "softmax_cross_entropy":
            y, J, g = softmax_ce(x, labels)
        else:
            raise ValueError(kind)
        xs.append(y)
        saved.append(extra)
    grads = {}
    for pos in range(len(layers) - 2, -1, -1):
        cfg, l, x, kind = layers[pos], keys[pos], xs[pos], layers[pos]["type"]
        if kind == "conv2d":
            g, grads[f"K{l}"], db = conv_backward(
                g, x, params[f"K{l}"], _pads(cfg), _pair(cfg.get("stride"), (1, 1)), _pair(cfg.get("dilation"), (1, 1))
            )
            if f"b{l}" in params:
                grads[f"b{l}"] = db
        elif kind == "maxpool2d":
            g = maxpool_backward(
                g,
                saved[pos],
                x.shape,
                tuple(cfg["window"]),
                _pads(cfg),
                _pair(cfg.get("stride"), tuple(cfg["window"])),
                _pair(cfg.get("dilation"), (1, 1)),
            )
        elif kind == "avgpool2d":
            g = avgpool_backward(
                g,
                x.shape,
                tuple(cfg["window"]),
                _pads(cfg),
                _pair(cfg.get("stride"), tuple(cfg["window"])),
                _pair(cfg.get("dilation"), (1, 1)),
            )
        elif kind in ACTIVATIONS:
            g = activation_backward(kind, g, x)
        elif kind == "flatten":
            g = flatten_backward(g, x.shape)
        elif kind == "dense":
            g, grads[f"W{l}"], db = dense_backward(g, x, params[f"W{l}"])
            if f"b{l}" in params:
                grads[f"b{l}"] = db
    return J, grads


# -- PyTorch's pooling options (ceil_mode, count_include_pad, divisor_override, tie order) and
# adaptive pooling, written from PyTorch's documented rules (its pooling_output_shape and the
# avg_pool2d / adaptive pooling kernels), one entry at a time.  No float(): these also run on
# object arrays of SymPy symbols, giving an independent symbolic forward pass.


def pool_out_size(n: int, k: int, before: int, after: int, stride: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: ``floor`` or ``ceil`` of
    ``(n + before + after - d(k - 1) - 1) / s``, plus 1; in ceil mode, one less when the last
    window would start at or past ``n + before`` (in the padding after the input)."""
    span = n + before + after - dilation * (k - 1) - 1
    size = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (size - 1) * stride >= n + before:
        size -= 1
    return size


def avgpool_forward_pt(I, window, padding, stride, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """PyTorch's avg_pool2d: window ``(p, q)`` sums the input entries in rows
    ``hstart .. hend - 1`` (clipped to the input), ``hstart = p s - top``,
    ``hend = min(hstart + k, h + bottom)``; it divides by ``divisor_override``, else by
    ``(hend - hstart)(wend - wstart)`` before clipping (``count_include_pad``) or after."""
    hl, wl = window
    n_, c, h, w = I.shape
    t, bo, le, ri = padding
    hz = pool_out_size(h, hl, t, bo, stride[0], 1, ceil_mode)
    wz = pool_out_size(w, wl, le, ri, stride[1], 1, ceil_mode)
    out = np.zeros((n_, c, hz, wz), dtype=I.dtype)
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                for q in range(wz):
                    hstart, wstart = p * stride[0] - t, q * stride[1] - le
                    hend, wend = min(hstart + hl, h + bo), min(wstart + wl, w + ri)
                    pool_size = (hend - hstart) * (wend - wstart)
                    hstart, wstart, hend, wend = max(hstart, 0), max(wstart, 0), min(hend, h), min(wend, w)
                    total = 0
                    for row in range(hstart, hend):
                        for col in range(wstart, wend):
                            total = total + I[n, j, row, col]
                    if divisor_override is not None:
                        divisor = divisor_override
                    elif count_include_pad:
                        divisor = pool_size
                    else:
                        divisor = (hend - hstart) * (wend - wstart)
                    out[n, j, p, q] = _divide(total, divisor)
    return out


def _divide(total, divisor: int):
    """``total / divisor``, exactly (a SymPy rational) when ``total`` is symbolic."""
    return total * sp.Rational(1, divisor) if isinstance(total, sp.Basic) else total / divisor


def maxpool_forward_pt(I, window, padding, stride, dilation=(1, 1), pad_value=0.0, ceil_mode=False, tie_order="column"):
    """Appendix B's max pooling with PyTorch's ``ceil_mode`` output size (window positions past
    the padded input take part as ``pad_value``, like padding) and a tie order: the first
    maximum scanning ``vΩ`` (``"column"``) or scanning rows (``"row"``); ``i_pq`` is always the
    position in ``vΩ``, ``s h_l + r + 1``."""
    hl, wl = window
    n_, c, h, w = I.shape
    t, bo, le, ri = padding
    hz = pool_out_size(h, hl, t, bo, stride[0], dilation[0], ceil_mode)
    wz = pool_out_size(w, wl, le, ri, stride[1], dilation[1], ceil_mode)
    A = np.zeros((n_, c, hz, wz))
    switches = np.zeros((n_, c, hz, wz), dtype=np.int64)
    order = [(r, s) for s in range(wl) for r in range(hl)]
    if tie_order == "row":
        order = [(r, s) for r in range(hl) for s in range(wl)]
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                for q in range(wz):
                    best, best_i = None, 0
                    for r, s in order:
                        row = _source(p, r, stride[0], dilation[0], t)
                        col = _source(q, s, stride[1], dilation[1], le)
                        value = float(I[n, j, row, col]) if 0 <= row < h and 0 <= col < w else pad_value
                        if best is None or value > best:
                            best, best_i = value, s * hl + r + 1
                    A[n, j, p, q] = best
                    switches[n, j, p, q] = best_i
    return A, switches


def adaptive_bounds(n: int, out: int, i: int) -> tuple[int, int]:
    """PyTorch's adaptive window ``i``: ``floor(i n / out)`` to ``ceil((i + 1) n / out)`` (exclusive)."""
    return (i * n) // out, math.ceil((i + 1) * n / out)


def adaptive_avg_forward(I, output):
    """PyTorch's adaptive_avg_pool2d: the mean of each adaptive window."""
    n_, c, h, w = I.shape
    hz, wz = output
    out = np.zeros((n_, c, hz, wz), dtype=I.dtype)
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                r0, r1 = adaptive_bounds(h, hz, p)
                for q in range(wz):
                    c0, c1 = adaptive_bounds(w, wz, q)
                    total = 0
                    for row in range(r0, r1):
                        for col in range(c0, c1):
                            total = total + I[n, j, row, col]
                    size = (r1 - r0) * (c1 - c0)
                    out[n, j, p, q] = _divide(total, size)
    return out


def adaptive_avg_backward(dA, input_shape):
    """``dJ/dI_kl = sum over the windows holding I_kl of dJ/dA_pq / (window size)``."""
    n_, c, h, w = input_shape
    _, _, hz, wz = dA.shape
    dI = np.zeros(input_shape)
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                r0, r1 = adaptive_bounds(h, hz, p)
                for q in range(wz):
                    c0, c1 = adaptive_bounds(w, wz, q)
                    for row in range(r0, r1):
                        for col in range(c0, c1):
                            dI[n, j, row, col] += float(dA[n, j, p, q]) / ((r1 - r0) * (c1 - c0))
    return dI


def adaptive_max_forward(I, output, tie_order="column"):
    """Adaptive max pooling: the maximum of each adaptive window, ``i_pq`` its 1-based position
    in the window's ``vΩ`` (``s h_p + r + 1``), ties to the first in ``tie_order``."""
    n_, c, h, w = I.shape
    hz, wz = output
    A = np.zeros((n_, c, hz, wz))
    switches = np.zeros((n_, c, hz, wz), dtype=np.int64)
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                r0, r1 = adaptive_bounds(h, hz, p)
                for q in range(wz):
                    c0, c1 = adaptive_bounds(w, wz, q)
                    hp = r1 - r0
                    cells = [(r, s) for s in range(c1 - c0) for r in range(hp)]
                    if tie_order == "row":
                        cells = [(r, s) for r in range(hp) for s in range(c1 - c0)]
                    best, best_i = None, 0
                    for r, s in cells:
                        value = float(I[n, j, r0 + r, c0 + s])
                        if best is None or value > best:
                            best, best_i = value, s * hp + r + 1
                    A[n, j, p, q] = best
                    switches[n, j, p, q] = best_i
    return A, switches


def adaptive_max_backward(dA, switches, input_shape, output):
    """eq.b-2.1 to eq.b-2.3 without padding: ``dJ/dA_pq`` goes to row ``r0 + r_b`` and column
    ``c0 + c_b`` of window ``(p, q)``, ``c_b = ceil(i / h_p)``, ``r_b = i - (c_b - 1) h_p``."""
    n_, c, h, w = input_shape
    hz, wz = output
    dI = np.zeros(input_shape)
    for n in range(n_):
        for j in range(c):
            for p in range(hz):
                r0, r1 = adaptive_bounds(h, hz, p)
                for q in range(wz):
                    c0, _ = adaptive_bounds(w, wz, q)
                    i_pq = int(switches[n, j, p, q])
                    c_b = math.ceil(i_pq / (r1 - r0))
                    r_b = i_pq - (c_b - 1) * (r1 - r0)
                    dI[n, j, r0 + r_b - 1, c0 + c_b - 1] += float(dA[n, j, p, q])
    return dI


# -- PyTorch's grouped convolution (conv2d's ``groups``), written from PyTorch's documented rule:
# the input channels and the kernels split into ``groups`` equal groups, kernel j (of
# C_in / groups channels) sees only its group's input channels.  No float(): these also run on
# object arrays of SymPy symbols.


def _grouped_conv_products(a_shape, k_shape, padding, stride, dilation, groups):
    """Every product of the grouped convolution: ``(z, a, k)``, the output ``[n, j, p, q]``,
    the input entry ``[n, g C_in/groups + c, row, col]`` and the kernel entry ``[j, c, r, s]``
    it multiplies (``g = j // (C_out / groups)``, rows and columns as in rep.1, entries in the
    padding left out), in the order ``n, j, p, q, c, r, s``."""
    n_, cin, h, w = a_shape
    cout, cg, hk, wk = k_shape
    assert cin == cg * groups and cout % groups == 0
    per_group = cout // groups
    t, bo, le, ri = padding
    hz = out_size(h, hk, t, bo, stride[0], dilation[0])
    wz = out_size(w, wk, le, ri, stride[1], dilation[1])
    for n in range(n_):
        for j in range(cout):
            first = (j // per_group) * cg  # the group's first input channel
            for p in range(hz):
                for q in range(wz):
                    for c in range(cg):
                        for r in range(hk):
                            for s in range(wk):
                                row = _source(p, r, stride[0], dilation[0], t)
                                col = _source(q, s, stride[1], dilation[1], le)
                                if 0 <= row < h and 0 <= col < w:
                                    yield (n, j, p, q), (n, first + c, row, col), (j, c, r, s)


def grouped_conv_forward(A, K, b, padding, stride, dilation=(1, 1), groups=1):
    """``Z[n, j] = b[j] + sum_{c < C_in/groups} sum_{r,s} A[n, g C_in/groups + c, row, col] K[j, c, r, s]``
    with ``g = j // (C_out / groups)`` (the group of output channel ``j``), rows and columns
    as in rep.1; padded entries are zeros."""
    n_, _, h, w = A.shape
    cout, _, hk, wk = K.shape
    t, bo, le, ri = padding
    hz = out_size(h, hk, t, bo, stride[0], dilation[0])
    wz = out_size(w, wk, le, ri, stride[1], dilation[1])
    Z = np.zeros((n_, cout, hz, wz), dtype=np.result_type(A, K))
    if b is not None:
        Z[...] = np.asarray(b).reshape(1, cout, 1, 1)
    for z, a, k in _grouped_conv_products(A.shape, K.shape, padding, stride, dilation, groups):
        Z[z] = Z[z] + A[a] * K[k]
    return Z


def grouped_conv_backward(dZ, A, K, padding, stride, dilation=(1, 1), groups=1):
    """Each product of :func:`grouped_conv_forward` routes ``dZ`` back to both factors:
    ``(dA, dK, db)``."""
    dA = np.zeros(A.shape)
    dK = np.zeros(K.shape)
    for z, a, k in _grouped_conv_products(A.shape, K.shape, padding, stride, dilation, groups):
        dK[k] += dZ[z] * A[a]
        dA[a] += dZ[z] * K[k]
    return dA, dK, dZ.sum(axis=(0, 2, 3))


# -- transposed convolution (PyTorch's conv_transpose2d, written from its definition) ----------


def conv_transpose_out_size(n: int, k: int, before: int, after: int, stride: int, dilation: int, extra: int) -> int:
    """PyTorch's ``(H_in - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1``,
    ``2 padding`` split into the two sides."""
    return (n - 1) * stride - before - after + dilation * (k - 1) + extra + 1


def _conv_transpose_products(a_shape, k_shape, out_hw, padding, stride, dilation, groups):
    """Every product of the scatter: ``(z, a, k)``, the output ``[n, g C_out/groups + l, y, x]``,
    the input entry ``[n, i, p, q]`` and the kernel entry ``[i, l, r, s]`` (``g`` the group of
    ``i``, ``y = p s_h - top + r d_h``, ``x`` alike), products landing outside the output left out."""
    n_, cin, h, w = a_shape
    _, cout_g, hk, wk = k_shape
    cin_g = cin // groups
    t, _, le, _ = padding
    hz, wz = out_hw
    for n in range(n_):
        for i in range(cin):
            g = i // cin_g
            for p in range(h):
                for q in range(w):
                    for l in range(cout_g):
                        for r in range(hk):
                            for s in range(wk):
                                y = p * stride[0] - t + r * dilation[0]
                                x = q * stride[1] - le + s * dilation[1]
                                if 0 <= y < hz and 0 <= x < wz:
                                    yield (n, g * cout_g + l, y, x), (n, i, p, q), (i, l, r, s)


def conv_transpose_forward(A, K, b, padding, stride, dilation=(1, 1), output_padding=(0, 0), groups=1):
    """The scatter: input entry ``A[n, i, h, w]`` adds ``A[n, i, h, w] K[i, l, r, s]`` to output
    ``[n, g C_out/groups + l, h s_h - top + r d_h, w s_w - left + s d_w]`` wherever that lies in
    the output (``g`` the group of ``i``); ``K`` is ``(C_in, C_out/groups, h_k, w_k)``."""
    n_, _, h, w = A.shape
    _, cout_g, hk, wk = K.shape
    t, bo, le, ri = padding
    hz = conv_transpose_out_size(h, hk, t, bo, stride[0], dilation[0], output_padding[0])
    wz = conv_transpose_out_size(w, wk, le, ri, stride[1], dilation[1], output_padding[1])
    Z = np.zeros((n_, cout_g * groups, hz, wz), dtype=np.result_type(A, K))
    if b is not None:
        Z[...] = np.asarray(b).reshape(1, -1, 1, 1)
    for z, a, k in _conv_transpose_products(A.shape, K.shape, (hz, wz), padding, stride, dilation, groups):
        Z[z] += A[a] * K[k]
    return Z


def conv_transpose_backward(dZ, A, K, padding, stride, dilation=(1, 1), groups=1):
    """Every product of the scatter routes ``dJ/dz`` back to both factors; ``dJ/db_o`` sums ``dZ_o``."""
    dA, dK = np.zeros(A.shape), np.zeros(K.shape)
    for z, a, k in _conv_transpose_products(A.shape, K.shape, dZ.shape[2:], padding, stride, dilation, groups):
        gz = float(dZ[z])
        dA[a] += gz * float(K[k])
        dK[k] += gz * float(A[a])
    return dA, dK, dZ.sum(axis=(0, 2, 3))


# -- the general convolution in any number of axes (JAX's conv_general_dilated with PyTorch's
# padding modes and groups; its transpose, PyTorch's conv_transposeNd), written from their
# definitions with plain loops over index tuples ------------------------------------------------


def general_out_size(n: int, k: int, before: int, after: int, stride: int, dilation: int, lhs: int) -> int:
    """JAX's output size along one axis: the input with ``lhs - 1`` zeros between its entries
    (``lhs (n - 1) + 1`` entries, none when ``n`` is 0), ``before`` and ``after`` more (negative:
    fewer), windows of ``dilation (k - 1) + 1`` entries ``stride`` apart; 0 when none fits."""
    spread = lhs * (n - 1) + 1 if n else 0
    room = spread + before + after - dilation * (k - 1) - 1
    return room // stride + 1 if room >= 0 else 0


def _held(t: int, n: int, lhs: int, mode: str) -> int:
    """The input entry at position ``t`` of the (lhs-dilated) input counted from its first entry
    (negative: in the padding before it), or -1 where a zero is: PyTorch's padding modes mirror
    without the edge (``reflect``), repeat the edge (``replicate``) or wrap (``circular``)."""
    if mode == "zeros" or n == 0:
        return t // lhs if 0 <= t <= lhs * (n - 1) and t % lhs == 0 else -1
    if mode == "reflect":
        while t < 0 or t >= n:
            t = -t if t < 0 else 2 * (n - 1) - t
        return t
    if mode == "replicate":
        return min(max(t, 0), n - 1)
    return t % n  # circular


def _general_products(a_shape, k_shape, padding, stride, dilation, lhs, mode, groups):
    """Every product of the general convolution: ``(z, a, k)``, output ``[n, j, *p]``, input
    ``[n, g C_in/groups + c, *x]`` and kernel ``[j, c, *r]`` entries, ``x`` held at padded
    position ``p s + r d`` (per axis) when that holds an input entry."""
    n_, _, *size = a_shape
    cout, cg, *kernel = k_shape
    per_group = cout // groups
    d = len(size)
    out = [
        general_out_size(size[a], kernel[a], padding[2 * a], padding[2 * a + 1], stride[a], dilation[a], lhs[a])
        for a in range(d)
    ]
    for n in range(n_):
        for j in range(cout):
            first = (j // per_group) * cg
            for p in itertools.product(*map(range, out)):
                for c in range(cg):
                    for r in itertools.product(*map(range, kernel)):
                        x = [
                            _held(p[a] * stride[a] + r[a] * dilation[a] - padding[2 * a], size[a], lhs[a], mode)
                            for a in range(d)
                        ]
                        if min(x, default=0) >= 0:
                            yield (n, j, *p), (n, first + c, *x), (j, c, *r)


def general_conv_forward(A, K, b, padding, stride, dilation, lhs, mode="zeros", groups=1):
    """``Z[n, j, *p] = b[j] + sum_c sum_r A[n, g CG + c, x(p, r)] K[j, c, *r]`` over any number
    of axes; ``padding`` is ``(before_1, after_1, ...)`` (negative crops)."""
    d = A.ndim - 2
    out = tuple(
        general_out_size(A.shape[2 + a], K.shape[2 + a], padding[2 * a], padding[2 * a + 1], stride[a],
                         dilation[a], lhs[a])
        for a in range(d)
    )  # fmt: skip
    Z = np.zeros((A.shape[0], K.shape[0], *out), dtype=np.result_type(A, K))
    if b is not None:
        Z[...] = np.asarray(b).reshape(1, -1, *(1,) * d)
    for z, a, k in _general_products(A.shape, K.shape, padding, stride, dilation, lhs, mode, groups):
        Z[z] += A[a] * K[k]
    return Z


def general_conv_backward(dZ, A, K, padding, stride, dilation, lhs, mode="zeros", groups=1):
    """Each product routes ``dZ`` back to both factors (a copied input entry collects every
    copy's share): ``(dA, dK, db)``."""
    dA, dK = np.zeros(A.shape), np.zeros(K.shape)
    for z, a, k in _general_products(A.shape, K.shape, padding, stride, dilation, lhs, mode, groups):
        dK[k] += float(dZ[z]) * float(A[a])
        dA[a] += float(dZ[z]) * float(K[k])
    return dA, dK, dZ.sum(axis=(0, *range(2, dZ.ndim)))


def _transpose_products(a_shape, k_shape, out, padding, stride, dilation, groups):
    """Every product of PyTorch's transposed convolution (any number of axes): input entry
    ``[n, i, *p]`` times kernel ``[i, l, *r]`` lands on output ``[n, g C_out/groups + l, *y]``,
    ``y = p s - before + r d``, when that lies in the output."""
    n_, cin, *size = a_shape
    _, cout_g, *kernel = k_shape
    cin_g = cin // groups
    d = len(size)
    for n in range(n_):
        for i in range(cin):
            for p in itertools.product(*map(range, size)):
                for l in range(cout_g):
                    for r in itertools.product(*map(range, kernel)):
                        y = [p[a] * stride[a] - padding[2 * a] + r[a] * dilation[a] for a in range(d)]
                        if all(0 <= y[a] < out[a] for a in range(d)):
                            yield (n, i // cin_g * cout_g + l, *y), (n, i, *p), (i, l, *r)


def transpose_forward(A, K, b, padding, stride, dilation, output_padding, groups=1):
    """PyTorch's ``conv_transposeNd``: each input entry times the kernel scattered into the output
    of size ``(n - 1) s - before - after + d (k - 1) + output_padding + 1``."""
    d = A.ndim - 2
    out = tuple(
        conv_transpose_out_size(A.shape[2 + a], K.shape[2 + a], padding[2 * a], padding[2 * a + 1], stride[a],
                                dilation[a], output_padding[a])
        for a in range(d)
    )  # fmt: skip
    Z = np.zeros((A.shape[0], K.shape[1] * groups, *out), dtype=np.result_type(A, K))
    if b is not None:
        Z[...] = np.asarray(b).reshape(1, -1, *(1,) * d)
    for z, a, k in _transpose_products(A.shape, K.shape, out, padding, stride, dilation, groups):
        Z[z] += A[a] * K[k]
    return Z


def transpose_backward(dZ, A, K, padding, stride, dilation, groups=1):
    """Each product of the scatter routes ``dJ/dz`` back to both factors: ``(dA, dK, db)``."""
    dA, dK = np.zeros(A.shape), np.zeros(K.shape)
    for z, a, k in _transpose_products(A.shape, K.shape, dZ.shape[2:], padding, stride, dilation, groups):
        dA[a] += float(dZ[z]) * float(K[k])
        dK[k] += float(dZ[z]) * float(A[a])
    return dA, dK, dZ.sum(axis=(0, *range(2, dZ.ndim)))


def pad_forward(A, padding, mode="constant", value=0.0):
    """``torch.nn.functional.pad`` on the spatial axes (``padding`` per side in axis order,
    negative crops): entry ``y`` of the output along an axis is input entry ``y - before`` read
    through the mode (``constant``: ``value`` outside the input)."""
    size = A.shape[2:]
    d = len(size)
    out = tuple(size[a] + padding[2 * a] + padding[2 * a + 1] for a in range(d))
    Z = np.zeros((*A.shape[:2], *out), dtype=A.dtype)
    for y in itertools.product(*map(range, out)):
        x = [_pad_held(y[a], size[a], padding[2 * a], padding[2 * a + 1], mode) for a in range(d)]
        Z[(slice(None), slice(None), *y)] = A[(slice(None), slice(None), *x)] if min(x, default=0) >= 0 else value
    return Z


def _pad_held(y: int, n: int, before: int, after: int, mode: str) -> int:
    """The input entry output entry ``y`` of ``F.pad`` holds along one axis, -1 for the value:
    reflect and replicate read the whole input (a negative side then crops the result), circular
    wraps around the input once cropped (PyTorch crops first there)."""
    if mode == "circular":
        first, last = max(0, -before), max(0, -after)
        kept = n - first - last
        return first + (y - max(0, before)) % kept if kept > 0 else -1
    return _held(y - before, n, 1, "zeros" if mode == "constant" else mode)


def pad_backward(dZ, in_shape, padding, mode="constant"):
    """Each output entry's gradient goes to the input entry it holds (a copy's too)."""
    size = in_shape[2:]
    d = len(size)
    dA = np.zeros(in_shape)
    for y in itertools.product(*map(range, dZ.shape[2:])):
        x = [_pad_held(y[a], size[a], padding[2 * a], padding[2 * a + 1], mode) for a in range(d)]
        if min(x, default=0) >= 0:
            dA[(slice(None), slice(None), *x)] += dZ[(slice(None), slice(None), *y)]
    return dA
