#!/usr/bin/env python3
"""PyTorch reference fixture for SpanBERT's span boundary objective head (Joshi et al. 2020,
section 3.2), used to pin packages/models/src/span-boundary.ts: for each span token i of a span
s..e, h0 = [h_{s-1}; h_{e+1}; p_{i-s+1}], h1 = LN(GeLU(W1 h0 + b1)), h2 = LN(GeLU(W2 h1 + b2)),
logits = h2 @ E^T + bias, loss = mean cross-entropy against the original tokens. GeLU is the tanh
form (as the project's); positions are 1-based and clipped to the table.

Usage (from the repository root):

    python3 tools/reference/span_boundary.py            # writes the fixture
    python3 tools/reference/span_boundary.py --out DIR  # write it somewhere else

Writes packages/models/src/fixtures/span-boundary.json: the head's parameters, the encoder
states h [B, T, C], the tied table E [V, E'], the flat SBO targets (left, right, position,
targets; one position past the table to check the clipping), the loss and d loss / d every
parameter, h and E. Only torch and the standard library are needed. CI never runs this script.
"""

from __future__ import annotations

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py
from common import deterministic, f32, f32_list, f32_tensor, gelu_tanh, int_tensor, parse_args, versions, write_fixture  # noqa: E402

CONFIG = dict(dModel=8, embeddingSize=6, vocabSize=30, maxSpanLength=4, layerNormEps=1e-12, B=2, T=9)


def head_loss(p: dict, h: torch.Tensor, table: torch.Tensor, sbo: dict, eps: float) -> torch.Tensor:
    C = h.shape[-1]
    rows = h.reshape(-1, C)
    pos = sbo["position"].clamp(1, p["position_embeddings"].shape[0]) - 1
    h0 = torch.cat([rows[sbo["left"]], rows[sbo["right"]], p["position_embeddings"][pos]], dim=1)
    h1 = F.layer_norm(gelu_tanh(h0 @ p["dense1.weight"] + p["dense1.bias"]), (C,), p["LayerNorm1.weight"], p["LayerNorm1.bias"], eps)
    E = table.shape[1]
    h2 = F.layer_norm(gelu_tanh(h1 @ p["dense2.weight"] + p["dense2.bias"]), (E,), p["LayerNorm2.weight"], p["LayerNorm2.bias"], eps)
    return F.cross_entropy(h2 @ table.t() + p["bias"], sbo["targets"])


def build_fixture() -> dict:
    c = CONFIG
    g = torch.Generator().manual_seed(3)
    C, E, V, P = c["dModel"], c["embeddingSize"], c["vocabSize"], c["maxSpanLength"]
    n = lambda *s, std=1.0, mean=0.0: (torch.randn(*s, generator=g) * std + mean).requires_grad_(True)  # noqa: E731
    params = {
        "position_embeddings": n(P, C, std=0.5),
        "dense1.weight": n(3 * C, C, std=(3 * C) ** -0.5),
        "dense1.bias": n(C, std=0.1),
        "LayerNorm1.weight": n(C, std=0.1, mean=1.0),
        "LayerNorm1.bias": n(C, std=0.1),
        "dense2.weight": n(C, E, std=C**-0.5),
        "dense2.bias": n(E, std=0.1),
        "LayerNorm2.weight": n(E, std=0.1, mean=1.0),
        "LayerNorm2.bias": n(E, std=0.1),
        "bias": n(V, std=0.1),
    }
    h = n(c["B"], c["T"], C)
    table = n(V, E)
    # Row 0: span 2..4 (boundaries 1, 5); row 1: span 1..1 and span 3..7 (5 tokens: the last
    # position, 5, is past the 4-entry table and is clipped to 4).
    T = c["T"]
    left, right, position = [], [], []
    for s, e, off in ((2, 4, 0), (1, 1, T), (3, 7, T)):
        for i in range(s, e + 1):
            left.append(off + s - 1)
            right.append(off + e + 1)
            position.append(i - s + 1)
    M = len(left)
    sbo = {
        "left": torch.tensor(left),
        "right": torch.tensor(right),
        "position": torch.tensor(position),
        "targets": torch.randint(0, V, (M,), generator=g),
    }
    loss = head_loss(params, h, table, sbo, c["layerNormEps"])
    names = list(params)
    grads = torch.autograd.grad(loss, [params[k] for k in names] + [h, table])
    return {
        "name": "span-boundary",
        "notes": [__doc__.split("\n\n")[0].replace("\n", " ")],
        "versions": versions("tools/reference/span_boundary.py"),
        "config": c,
        "params": {k: f32_tensor(v) for k, v in params.items()},
        "h": f32_tensor(h),
        "table": f32_tensor(table),
        "sbo": {k: int_tensor(v) for k, v in sbo.items()},
        "loss": f32(loss),
        "grads": {**{k: f32_list(gr) for k, gr in zip(names, grads)}, "h": f32_list(grads[-2]), "table": f32_list(grads[-1])},
    }


def main(argv: list[str]) -> int:
    args = parse_args(__doc__, argv)
    deterministic()
    fx = build_fixture()
    write_fixture(fx, os.path.join(args.out, "span-boundary.json"), f"loss {fx['loss']:.4f}, {len(fx['sbo']['targets']['data'])} targets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
