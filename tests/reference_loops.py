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

import math

import numpy as np


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
