#!/usr/bin/env python3
"""PyTorch reference fixture for a tiny T5 v1.0 encoder-decoder, used to pin the TypeScript port
(packages/models/src/t5.ts).

Usage (from the repository root):

    python3 tools/reference/t5.py            # writes the fixture
    python3 tools/reference/t5.py --out DIR  # write it somewhere else

Writes:

    packages/models/src/fixtures/t5-tiny.json

Only torch (plain modules, no `transformers`) and the standard library are needed.
CI never runs this script: it reads the committed JSON fixture.

The model is T5 v1.0 (Raffel et al. 2020; "t5-small"-like) written from the paper and the
public Hugging Face / Mesh TensorFlow descriptions. Parameter NAMES are Hugging Face's T5, but
every projection weight is stored [in, out] and applied as ``x @ W`` (our Linear's layout;
Hugging Face's nn.Linear stores [out, in], so an HF checkpoint needs a transpose of these).
The embedding and the relative-attention-bias tables keep HF's layout.

    shared.weight                                               [V, C]   (encoder, decoder, output)
    encoder.block.{i}.layer.0.SelfAttention.{q,k,v}.weight      [C, H*D]
    encoder.block.{i}.layer.0.SelfAttention.o.weight            [H*D, C]
    encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight  [numBuckets, H]
    encoder.block.{i}.layer.0.layer_norm.weight                 [C]
    encoder.block.{i}.layer.1.DenseReluDense.wi.weight          [C, dFF]
    encoder.block.{i}.layer.1.DenseReluDense.wo.weight          [dFF, C]
    encoder.block.{i}.layer.1.layer_norm.weight                 [C]
    encoder.final_layer_norm.weight                             [C]
    decoder.block.{i}.layer.0.SelfAttention.*                   (as the encoder; bias table in block 0)
    decoder.block.{i}.layer.1.EncDecAttention.{q,k,v,o}.weight  (no position bias)
    decoder.block.{i}.layer.1.layer_norm.weight
    decoder.block.{i}.layer.2.DenseReluDense.{wi,wo}.weight
    decoder.block.{i}.layer.2.layer_norm.weight
    decoder.final_layer_norm.weight

No biases anywhere. Forward and loss are described in NOTES below (written into the fixture).
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

TINY = dict(
    vocabSize=50,
    dModel=16,
    numLayers=2,
    numDecoderLayers=2,
    numHeads=2,
    dKV=8,
    dFF=32,
    numBuckets=8,
    maxDistance=16,
    eps=1e-6,
    padId=0,
    decoderStartId=0,
    eosId=1,
)
BATCH = 2
ENC_LEN = 9
ENC_LENGTHS = [9, 6]  # real tokens per row (the last one is EOS); the rest is padding
DEC_LEN = 5
DEC_LENGTHS = [5, 3]  # real label tokens per row (the last one is EOS); the rest is -100

MASK_BIAS = -1e9  # additive bias for masked scores (as packages/runtime's attention)
IGNORE = -100
# Relative positions at which the bucket function is pinned, for two (numBuckets, maxDistance).
BUCKET_RANGE = 300
BUCKET_CONFIGS = [(8, 16), (32, 128)]


def relative_position_bucket(relative_position: torch.Tensor, bidirectional: bool, num_buckets: int, max_distance: int) -> torch.Tensor:
    """T5's _relative_position_bucket. relative_position = key position - query position.

    Bidirectional: half the buckets for keys after the query (rel > 0), half for the rest.
    Within a half, the first max_exact = half/2 buckets hold distances 0..max_exact-1 exactly;
    the rest are log-spaced up to max_distance, and farther distances share the last bucket.
    Unidirectional (decoder): future keys (rel > 0) all map to bucket 0 (they are masked anyway).
    The log is taken in float32, as T5 and Hugging Face do.
    """
    buckets = torch.zeros_like(relative_position)
    n = relative_position
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (n > 0).to(torch.long) * num_buckets
        n = torch.abs(n)
    else:
        n = -torch.min(n, torch.zeros_like(n))
    max_exact = num_buckets // 2
    is_small = n < max_exact
    if_large = max_exact + (
        torch.log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).to(torch.long)
    if_large = torch.min(if_large, torch.full_like(if_large, num_buckets - 1))
    return buckets + torch.where(is_small, n, if_large)


class Linear(nn.Module):
    """Bias-free projection with weight [in, out], y = x @ W (our Linear's layout, not nn.Linear's)."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight


class T5LayerNorm(nn.Module):
    """RMS norm: x / sqrt(mean(x^2) + eps) * weight. No bias, no mean subtraction."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


class T5Attention(nn.Module):
    def __init__(self, cfg: dict, has_relative_bias: bool, bidirectional: bool):
        super().__init__()
        C, H, D = cfg["dModel"], cfg["numHeads"], cfg["dKV"]
        self.H, self.D = H, D
        self.bidirectional = bidirectional
        self.num_buckets = cfg["numBuckets"]
        self.max_distance = cfg["maxDistance"]
        self.q = Linear(C, H * D)
        self.k = Linear(C, H * D)
        self.v = Linear(C, H * D)
        self.o = Linear(H * D, C)
        if has_relative_bias:
            self.relative_attention_bias = nn.Embedding(self.num_buckets, H)  # [numBuckets, H]

    def position_bias(self, T: int, S: int) -> torch.Tensor:
        """[1, H, T, S] from the bucket of (key position - query position)."""
        rel = torch.arange(S, dtype=torch.long)[None, :] - torch.arange(T, dtype=torch.long)[:, None]  # [T, S]
        buckets = relative_position_bucket(rel, self.bidirectional, self.num_buckets, self.max_distance)
        values = self.relative_attention_bias(buckets)  # [T, S, H]
        return values.permute(2, 0, 1).unsqueeze(0)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None, bias: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        kv = x if memory is None else memory
        S = kv.shape[1]
        q = self.q(x).view(B, T, self.H, self.D).transpose(1, 2)  # [B, H, T, D]
        k = self.k(kv).view(B, S, self.H, self.D).transpose(1, 2)  # [B, H, S, D]
        v = self.v(kv).view(B, S, self.H, self.D).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) + bias  # no 1/sqrt(D): T5 folds it into the init of q
        probs = F.softmax(scores.float(), dim=-1)
        y = (probs @ v).transpose(1, 2).contiguous().view(B, T, self.H * self.D)
        return self.o(y)


class DenseReluDense(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.wi = Linear(cfg["dModel"], cfg["dFF"])
        self.wo = Linear(cfg["dFF"], cfg["dModel"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.wo(F.relu(self.wi(x)))


class SelfAttentionLayer(nn.Module):
    def __init__(self, cfg: dict, has_relative_bias: bool, bidirectional: bool):
        super().__init__()
        self.SelfAttention = T5Attention(cfg, has_relative_bias, bidirectional)
        self.layer_norm = T5LayerNorm(cfg["dModel"], cfg["eps"])

    def forward(self, x, bias):
        return x + self.SelfAttention(self.layer_norm(x), None, bias)


class CrossAttentionLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.EncDecAttention = T5Attention(cfg, False, False)
        self.layer_norm = T5LayerNorm(cfg["dModel"], cfg["eps"])

    def forward(self, x, memory, bias):
        return x + self.EncDecAttention(self.layer_norm(x), memory, bias)


class FFLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.DenseReluDense = DenseReluDense(cfg)
        self.layer_norm = T5LayerNorm(cfg["dModel"], cfg["eps"])

    def forward(self, x):
        return x + self.DenseReluDense(self.layer_norm(x))


class Block(nn.Module):
    def __init__(self, cfg: dict, is_decoder: bool, has_relative_bias: bool):
        super().__init__()
        self.is_decoder = is_decoder
        layers = [SelfAttentionLayer(cfg, has_relative_bias, bidirectional=not is_decoder)]
        if is_decoder:
            layers.append(CrossAttentionLayer(cfg))
        layers.append(FFLayer(cfg))
        self.layer = nn.ModuleList(layers)

    def forward(self, x, self_bias, memory=None, cross_bias=None):
        x = self.layer[0](x, self_bias)
        if self.is_decoder:
            x = self.layer[1](x, memory, cross_bias)
        return self.layer[-1](x)


def padding_bias(mask: torch.Tensor) -> torch.Tensor:
    """mask [B, S] (1 keep, 0 pad) -> additive [B, 1, 1, S]."""
    return ((1.0 - mask.float()) * MASK_BIAS)[:, None, None, :]


class Stack(nn.Module):
    def __init__(self, cfg: dict, n_layers: int, is_decoder: bool):
        super().__init__()
        self.is_decoder = is_decoder
        self.block = nn.ModuleList([Block(cfg, is_decoder, has_relative_bias=(i == 0)) for i in range(n_layers)])
        self.final_layer_norm = T5LayerNorm(cfg["dModel"], cfg["eps"])

    def forward(self, x, self_mask=None, memory=None, memory_mask=None):
        T = x.shape[1]
        # The bias table of block 0 serves every block of the stack (as T5).
        bias = self.block[0].layer[0].SelfAttention.position_bias(T, T)  # [1, H, T, T]
        if self.is_decoder:
            causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            bias = bias + causal.float() * MASK_BIAS
        if self_mask is not None:
            bias = bias + padding_bias(self_mask)
        cross = padding_bias(memory_mask) if memory_mask is not None else None
        for blk in self.block:
            x = blk(x, bias, memory, cross)
        return self.final_layer_norm(x)


class T5(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = cfg
        self.shared = nn.Embedding(cfg["vocabSize"], cfg["dModel"])
        self.encoder = Stack(cfg, cfg["numLayers"], is_decoder=False)
        self.decoder = Stack(cfg, cfg["numDecoderLayers"], is_decoder=True)

    def encode(self, input_ids, attention_mask):
        return self.encoder(self.shared(input_ids), self_mask=attention_mask)

    def decode(self, decoder_input_ids, enc, attention_mask):
        h = self.decoder(self.shared(decoder_input_ids), memory=enc, memory_mask=attention_mask)
        h = h * (self.cfg["dModel"] ** -0.5)  # T5 v1.0 rescales before the tied projection
        return h @ self.shared.weight.t()

    def forward(self, input_ids, attention_mask, labels):
        enc = self.encode(input_ids, attention_mask)
        logits = self.decode(shift_right(labels, self.cfg), enc, attention_mask)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE, reduction="mean")
        return enc, logits, loss


def shift_right(labels: torch.Tensor, cfg: dict) -> torch.Tensor:
    """Decoder inputs: [decoderStartId, labels[:, :-1]] with ignored labels (-100) replaced by padId."""
    start = torch.full((labels.shape[0], 1), cfg["decoderStartId"], dtype=labels.dtype)
    shifted = torch.cat([start, labels[:, :-1]], dim=1)
    return shifted.masked_fill(shifted == IGNORE, cfg["padId"])


def init_weights(model: T5, gen: torch.Generator, gain_noise: bool = True) -> None:
    """T5 init (Mesh TF / HF _init_weights with factor 1), in named_parameters() order, then (for
    the fixtures) noise on the RMS-norm gains so they are not all 1."""
    cfg = model.cfg
    C, H, D, FF = cfg["dModel"], cfg["numHeads"], cfg["dKV"], cfg["dFF"]
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.split(".")[-2]
            if name == "shared.weight":
                std = 1.0
            elif leaf == "q":
                std = (C * D) ** -0.5
            elif leaf in ("k", "v"):
                std = C**-0.5
            elif leaf == "o":
                std = (H * D) ** -0.5
            elif leaf == "relative_attention_bias":
                std = C**-0.5
            elif leaf == "wi":
                std = C**-0.5
            elif leaf == "wo":
                std = FF**-0.5
            else:  # layer_norm / final_layer_norm gains
                p.fill_(1.0)
                continue
            p.copy_(torch.normal(0.0, std, size=p.shape, generator=gen))
    if gain_noise:
        add_vector_noise(model, gen)  # the norm gains


def make_batch(cfg: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Token ids drawn from [2, V) (never pad 0 or EOS 1), each real sequence ends with EOS."""
    gen = torch.Generator().manual_seed(DATA_SEED)
    V = cfg["vocabSize"]
    inputs = torch.full((BATCH, ENC_LEN), cfg["padId"], dtype=torch.long)
    mask = torch.zeros((BATCH, ENC_LEN), dtype=torch.long)
    labels = torch.full((BATCH, DEC_LEN), IGNORE, dtype=torch.long)
    for b in range(BATCH):
        n = ENC_LENGTHS[b]
        inputs[b, : n - 1] = torch.randint(2, V, (n - 1,), generator=gen)
        inputs[b, n - 1] = cfg["eosId"]
        mask[b, :n] = 1
        m = DEC_LENGTHS[b]
        labels[b, : m - 1] = torch.randint(2, V, (m - 1,), generator=gen)
        labels[b, m - 1] = cfg["eosId"]
    return inputs, mask, labels


def bucket_goldens() -> list[dict]:
    rel = torch.arange(-BUCKET_RANGE, BUCKET_RANGE + 1, dtype=torch.long)
    out = []
    for num_buckets, max_distance in BUCKET_CONFIGS:
        for bidirectional in (True, False):
            b = relative_position_bucket(rel, bidirectional, num_buckets, max_distance)
            out.append(
                {
                    "numBuckets": num_buckets,
                    "maxDistance": max_distance,
                    "bidirectional": bidirectional,
                    "relativePositions": [-BUCKET_RANGE, BUCKET_RANGE],
                    "buckets": b.tolist(),
                }
            )
    return out


def build_fixture() -> dict:
    cfg = dict(TINY)
    gen = param_generator()
    model = T5(cfg)
    init_weights(model, gen)
    model.train()  # no dropout anywhere, so train/eval is identical

    inputs, mask, labels = make_batch(cfg)
    params = named_params(model)
    param_out = params_record(params)

    enc, logits, loss = model(inputs, mask, labels)
    grads = grads_at(model, params, loss)
    loss0 = f32(loss)

    losses, grad_norms = train_adamw(model, params, lambda: model(inputs, mask, labels)[2])
    assert losses[0] == loss0

    return {
        "name": "t5-tiny",
        "notes": NOTES,
        "versions": versions("tools/reference/t5.py"),
        "config": cfg,
        "seeds": {"params": PARAM_SEED, "data": DATA_SEED, "normNoiseStd": NOISE_STD},
        "paramOrder": list(params.keys()),
        "params": param_out,
        "inputIds": int_tensor(inputs),
        "attentionMask": int_tensor(mask),
        "labels": int_tensor(labels),
        "decoderInputIds": int_tensor(shift_right(labels, cfg)),
        "encoderOut": f32_tensor(enc),
        "logits": f32_tensor(logits),
        "loss": loss0,
        "grads": grads,
        "buckets": bucket_goldens(),
        "optimizer": optimizer_record(
            "ndim >= 2 only (projections, shared.weight, relative_attention_bias); RMS-norm gains use 0"
        ),
        "train": train_record(losses, grad_norms, params),
    }


NOTES = [
    "All floats are float32 values written as the shortest decimal that round-trips through float32. "
    "Arrays are flat, row-major (C order).",
    "Parameter names are Hugging Face T5's, but projection weights (q, k, v, o, wi, wo) are [in, out] and applied as "
    "x @ W (HF's nn.Linear stores [out, in]). shared.weight [V, C] and relative_attention_bias.weight [numBuckets, H] "
    "are HF's layout. No biases. Only block 0 of each stack has a relative_attention_bias; all blocks of that stack use it.",
    "Encoder: x = shared[inputIds]; per block x = x + SelfAttn(LN(x)); x = x + wo(relu(wi(LN(x)))); "
    "encoderOut = final_layer_norm(x). LN is T5's RMS norm: x * rsqrt(mean(x^2) + eps) * weight, eps = config.eps.",
    "Decoder: x = shared[decoderInputIds]; per block x = x + SelfAttn(LN(x)) (causal); x = x + EncDecAttn(LN(x), encoderOut); "
    "x = x + FF(LN(x)); h = final_layer_norm(x); logits = (h * dModel^-0.5) @ shared.weight^T.",
    "Attention: q, k, v = x @ W reshaped to [B, H, T, dKV]; scores = q k^T (no 1/sqrt(dKV) scaling) + bias; softmax over keys; "
    "heads merged to [B, T, H*dKV]; then @ o. Self-attention bias = position bias [1, H, T, T] "
    "(+ -1e9 above the diagonal in the decoder) (+ -1e9 at padded keys in the encoder, from attentionMask). "
    "Cross-attention bias = -1e9 at padded encoder keys only (no position bias). The decoder has no key padding mask.",
    "Position bias: relative_attention_bias.weight[bucket(s - t)] for query t, key s, permuted to [H, T, S]. "
    "bucket = T5's _relative_position_bucket (bidirectional in the encoder, unidirectional in the decoder) with "
    "config.numBuckets and config.maxDistance; the log is computed in float32. 'buckets' pins it for relative "
    "positions -300..300 (inclusive, in order) for (numBuckets, maxDistance) in (8, 16) and (32, 128), both directions.",
    "attentionMask: 1 = real token, 0 = padding. labels: -100 at padding positions. decoderInputIds = "
    "[decoderStartId, labels[:, :-1]] with -100 replaced by padId.",
    "loss: mean cross-entropy over label positions that are not -100. encoderOut, logits, loss and grads are at init; "
    "grads are d loss / d param before any clipping. shared.weight's gradient sums its three uses.",
    "train.losses has steps+1 entries: losses[k] (k < steps) is the loss just before AdamW update k+1 "
    "(losses[0] == loss); the last is the loss after the final update. Every step uses the same batch.",
    "Each step: zero grads, forward, backward, clip_grad_norm_(all params, gradClip) (grads *= min(1, max/(norm+1e-6))), "
    "then torch.optim.AdamW.step() (foreach=False): p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; "
    "p -= (lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps). wd applies to params with ndim >= 2 only. "
    "train.gradNorms[k] is the pre-clip global norm at step k+1.",
    "Init: torch.Generator seeded with seeds.params, in paramOrder: shared ~ N(0, 1); q ~ N(0, (dModel*dKV)^-0.5); "
    "k, v ~ N(0, dModel^-0.5); o ~ N(0, (H*dKV)^-0.5); relative_attention_bias ~ N(0, dModel^-0.5); "
    "wi ~ N(0, dModel^-0.5); wo ~ N(0, dFF^-0.5); norm gains 1, then each gain += N(0, seeds.normNoiseStd). "
    "The data uses a separate generator seeded with seeds.data: ids in [2, V), EOS (1) closes each real sequence.",
]


def main(argv: list[str]) -> int:
    args = parse_args(__doc__, argv)
    deterministic()
    fx = build_fixture()
    write_fixture(fx, os.path.join(args.out, "t5-tiny.json"), f"loss={fx['loss']:.6f} losses={fx['train']['losses']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
