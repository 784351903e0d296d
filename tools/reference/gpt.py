#!/usr/bin/env python3
"""PyTorch reference fixtures for a tiny GPT-2, used to pin the TypeScript port.

Usage (from the repository root):

    python3 tools/reference/gpt.py            # writes both fixtures
    python3 tools/reference/gpt.py --out DIR  # write them somewhere else

Writes:

    packages/models/src/fixtures/gpt-tiny-tied.json    (logits = h @ wte^T)
    packages/models/src/fixtures/gpt-tiny-untied.json  (logits = h @ lm_head.weight^T)

Only torch (plain modules, no `transformers`) and the standard library are needed.
CI never runs this script: it reads the committed JSON fixtures.

The model is GPT-2 with exactly the Hugging Face GPT-2 parameter names and layouts:
Conv1D weights are stored [in, out] and applied as ``x @ W + b``.

    transformer.wte.weight            [V, C]
    transformer.wpe.weight            [T, C]
    transformer.h.{i}.ln_1.weight     [C]        .ln_1.bias [C]
    transformer.h.{i}.attn.c_attn.weight [C, 3C] .attn.c_attn.bias [3C]  (q | k | v along out dim)
    transformer.h.{i}.attn.c_proj.weight [C, C]  .attn.c_proj.bias [C]
    transformer.h.{i}.ln_2.weight     [C]        .ln_2.bias [C]
    transformer.h.{i}.mlp.c_fc.weight [C, 4C]    .mlp.c_fc.bias [4C]
    transformer.h.{i}.mlp.c_proj.weight [4C, C]  .mlp.c_proj.bias [C]
    transformer.ln_f.weight [C]  transformer.ln_f.bias [C]
    lm_head.weight [V, C]        (untied variant only)

Forward: x = wte[idx] + wpe[0:T]; per block (pre-norm)
x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)); then ln_f; logits = h @ W_out^T.
LayerNorm eps 1e-5 (biased variance). GELU = tanh approximation
0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3))). Attention: qkv = x @ c_attn.weight + b,
split into q, k, v (each C wide), heads via view(B, T, H, C/H).transpose(1, 2),
scores = q @ k^T / sqrt(C/H), strictly-future positions set to -inf, softmax over the
last axis, y = att @ v, heads merged back to [B, T, C], then c_proj. No dropout.
Loss: mean cross-entropy over all B*T positions.
"""

from __future__ import annotations

import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py, also when imported from elsewhere
from common import (  # noqa: E402
    DATA_SEED,
    NOISE_STD,
    PARAM_SEED,
    add_vector_noise,
    deterministic,
    f32,
    f32_tensor,
    gelu_tanh,
    grads_at,
    int_tensor,
    named_params,
    optimizer_record,
    param_generator,
    params_record,
    parse_args,
    train_adamw,
    train_record,
    versions,
    write_fixture,
)
from common import Dense as Conv1D  # noqa: E402  HF GPT-2 Conv1D: weight [in, out], y = x @ W + b

TINY = dict(
    vocabSize=37,
    blockSize=8,
    nEmbd=16,
    nLayer=2,
    nHead=2,
    mlpRatio=4,
    batchSize=3,
    lnEps=1e-5,
)


class Attention(nn.Module):
    def __init__(self, c: int, n_head: int, block_size: int):
        super().__init__()
        self.n_head = n_head
        self.c_attn = Conv1D(c, 3 * c)
        self.c_proj = Conv1D(c, c)
        mask = torch.tril(torch.ones(block_size, block_size, dtype=torch.bool))
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        H = self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, H, C // H).transpose(1, 2)
        k = k.view(B, T, H, C // H).transpose(1, 2)
        v = v.view(B, T, H, C // H).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // H))
        att = att.masked_fill(~self.mask[:T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, c: int, ratio: int):
        super().__init__()
        self.c_fc = Conv1D(c, ratio * c)
        self.c_proj = Conv1D(ratio * c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(gelu_tanh(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        c = cfg["nEmbd"]
        self.ln_1 = nn.LayerNorm(c, eps=cfg["lnEps"])
        self.attn = Attention(c, cfg["nHead"], cfg["blockSize"])
        self.ln_2 = nn.LayerNorm(c, eps=cfg["lnEps"])
        self.mlp = MLP(c, cfg["mlpRatio"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, cfg: dict, tied: bool):
        super().__init__()
        self.cfg = cfg
        self.tied = tied
        V, T, C = cfg["vocabSize"], cfg["blockSize"], cfg["nEmbd"]
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(V, C),
                wpe=nn.Embedding(T, C),
                h=nn.ModuleList([Block(cfg) for _ in range(cfg["nLayer"])]),
                ln_f=nn.LayerNorm(C, eps=cfg["lnEps"]),
            )
        )
        if not tied:
            self.lm_head = nn.Linear(C, V, bias=False)  # weight [V, C]

    def out_weight(self) -> torch.Tensor:
        return self.transformer.wte.weight if self.tied else self.lm_head.weight

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        pos = torch.arange(T, dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = x @ self.out_weight().t()
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), reduction="mean")
        return logits, loss


def init_weights(model: GPT, gen: torch.Generator) -> None:
    """nanoGPT-style init, then noise on biases / LN params. Order = named_parameters() order."""
    n_layer = model.cfg["nLayer"]
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim >= 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj.weight") else 0.02
                p.copy_(torch.normal(0.0, std, size=p.shape, generator=gen))
            elif name.endswith(".weight"):  # LayerNorm gain
                p.fill_(1.0)
            else:
                p.zero_()
    add_vector_noise(model, gen)


def build_fixture(tied: bool) -> dict:
    cfg = dict(TINY, tied=tied)
    gen = param_generator()
    model = GPT(cfg, tied=tied)
    init_weights(model, gen)
    model.train()  # no dropout anywhere, so train/eval is identical

    # Same batch for both variants: seq of length T+1, inputs = seq[:, :-1], targets = seq[:, 1:].
    dgen = torch.Generator().manual_seed(DATA_SEED)
    B, T, V = cfg["batchSize"], cfg["blockSize"], cfg["vocabSize"]
    seq = torch.randint(0, V, (B, T + 1), generator=dgen)
    idx, targets = seq[:, :-1].contiguous(), seq[:, 1:].contiguous()

    params = named_params(model)
    param_out = params_record(params)

    logits, loss = model(idx, targets)
    grads = grads_at(model, params, loss)
    loss0 = f32(loss)

    losses, grad_norms = train_adamw(model, params, lambda: model(idx, targets)[1])
    assert losses[0] == loss0

    return {
        "name": f"gpt-tiny-{'tied' if tied else 'untied'}",
        "notes": NOTES,
        "versions": versions("tools/reference/gpt.py"),
        "config": cfg,
        "seeds": {"params": PARAM_SEED, "data": DATA_SEED, "biasLnNoiseStd": NOISE_STD},
        "paramOrder": list(params.keys()),
        "params": param_out,
        "inputs": int_tensor(idx),
        "targets": int_tensor(targets),
        "logits": f32_tensor(logits),
        "loss": loss0,
        "grads": grads,
        "optimizer": optimizer_record(
            "ndim >= 2 only (all matrices and embeddings, incl. wte/wpe/lm_head); biases and LayerNorm params use 0"
        ),
        "train": train_record(losses, grad_norms, params),
    }


NOTES = [
    "All floats are float32 values written as the shortest decimal that round-trips through float32; "
    "compare after Math.fround / Float32Array. Arrays are flat, row-major (C order).",
    "Parameter names/layouts are Hugging Face GPT-2: Conv1D weights are [in, out] and applied as x @ W + b; "
    "c_attn output columns are [q | k | v], each C wide; heads split as view(B,T,H,C/H).transpose(1,2). "
    "lm_head.weight is [V, C] (logits = h @ lm_head.weight^T) and exists only when config.tied is false; "
    "when tied, logits = h @ transformer.wte.weight^T.",
    "Forward: x = wte[inputs] + wpe[0..T-1]; per block x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)); h = ln_f(x). "
    "LayerNorm uses biased variance and eps = config.lnEps (1e-5). GELU is the tanh approximation. "
    "Attention scale 1/sqrt(C/H), future positions -inf before softmax. No dropout.",
    "inputs/targets: int token ids [B, T]; a sequence of length T+1 was drawn, inputs = seq[:, :-1], targets = seq[:, 1:].",
    "logits: [B, T, V] for params at init. loss: mean cross-entropy over all B*T positions at init.",
    "grads: d loss / d param at init (same loss as 'loss'), before any clipping; same names/layout as params.",
    "train.losses has steps+1 = 6 entries: losses[k] (k = 0..4) is the loss computed just before AdamW update k+1 "
    "(so losses[0] == loss); losses[5] is the loss after the 5th update. Every step uses the same batch.",
    "Each step: zero grads, forward, backward, clip_grad_norm_(all params, max_norm=gradClip) (global L2 norm over all "
    "grads; grads *= min(1, max_norm/(norm+1e-6))), then AdamW.step(). train.gradNorms[k] is the pre-clip global norm "
    "returned by clip_grad_norm_ at step k+1 (gradNorms[0] is the norm of 'grads').",
    "AdamW (torch.optim.AdamW, foreach=False, t = 1-based step): p *= 1 - lr*wd; m = b1*m + (1-b1)*g; "
    "v = b2*v + (1-b2)*g^2; p -= (lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps). lr constant (no schedule). "
    "wd = weightDecay for params with ndim >= 2, 0 for biases and LayerNorm weights/biases. "
    "When tied, wte is a single parameter receiving the sum of embedding and output gradients.",
    "train.paramsAfter: every parameter after the 5th update (name -> flat data).",
    "Init: torch.Generator seeded with seeds.params, in paramOrder: ndim>=2 ~ N(0, 0.02) except *.c_proj.weight ~ "
    "N(0, 0.02/sqrt(2*nLayer)); LN weights 1, biases 0; then every ndim<2 param += N(0, seeds.biasLnNoiseStd). "
    "The data uses a separate generator seeded with seeds.data, so both variants see the same batch.",
]


def main(argv: list[str]) -> int:
    args = parse_args(__doc__, argv)
    deterministic()
    for tied in (True, False):
        fx = build_fixture(tied)
        path = os.path.join(args.out, f"gpt-tiny-{'tied' if tied else 'untied'}.json")
        write_fixture(fx, path, f"loss={fx['loss']:.6f} losses={fx['train']['losses']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
