#!/usr/bin/env python3
"""PyTorch reference fixture for the runtime's fused block ops (packages/runtime/src/blocks.ts, ops.ts).

Usage (from the repository root):

    python3 tools/reference/fused_ops.py            # writes the fixture
    python3 tools/reference/fused_ops.py --out DIR  # write it somewhere else

Writes:

    packages/runtime/src/fixtures/fused-ops.json

read by packages/runtime/src/ops-fused.test.ts. CI never runs this script.

One case per (op, shape, options): the inputs, a fixed random upstream gradient dy for every
output that enters the loss, the forward outputs, and the gradient of
loss = sum_o sum(output_o * dy_o) (for a scalar op: loss = the op's output) with respect to every
float input listed in `wrt`. Ops: attentionCore, residualLayerNorm, linear, embed,
vocabCrossEntropy, the older layerNorm, gelu and crossEntropy, T5's rmsNorm and linear with relu. Exact semantics of each are
in NOTES (written into the fixture) and in the reference functions below.

Inputs and dy are drawn from seeded generators and quantised to multiples of 1/1000 before the
float32 cast (shorter decimals, so a smaller file; their float32 values are what the fixture
holds). The references are computed in float64 from those float32 values, then rounded to
float32: they carry no float32 accumulation error, so the test's tolerance measures only the
runtime's own error.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py, also when imported from elsewhere
from common import ROOT, deterministic, f32_tensor, gelu_tanh, int_tensor, versions, write_fixture  # noqa: E402

DEFAULT_OUT = os.path.join(ROOT, "packages", "runtime", "src", "fixtures")
SEED = 2024
MASK = -1e9  # additive mask value for causal and padded keys, as the runtime

NOTES = [
    "All floats are float32 values written as the shortest decimal that round-trips through float32; "
    "compare after Math.fround / Float32Array. Arrays are flat, row-major (C order).",
    "Each case: op (the runtime function in ops), name, attrs (op options), inputs (name -> {shape, dtype, data}; "
    "dtype 'int32' for ids/targets, else 'float32'), wrt (float inputs the gradients are taken with respect to), "
    "dy (output name -> upstream gradient, same shape as the output; null for scalar ops), outputs "
    "(output name -> {shape, data}; shape [] for a scalar), grads (name in wrt -> {shape, data}).",
    "loss = sum over the outputs named in dy of sum(output * dy); outputs absent from dy do not enter the loss "
    "(residualLayerNorm cases with only 'normed' or only 'sum' used). When dy is null the op is scalar-valued and "
    "loss = its output. grads[name] = d loss / d inputs[name]; zero where the loss does not depend on that input.",
    "Inputs and dy: seeded normal draws, quantised to multiples of 1/1000, then cast to float32. References "
    "(outputs, grads) are computed in float64 autograd from those float32 values, then rounded to float32.",
    "attentionCore: inputs {qkv} [B,T,3W] | {q [B,T,W], kv [B,S,2W]} | {q, k, v} (k, v [B,S,W]); W = H*D, "
    "H = attrs.numHeads. From qkv: q = cols [0,W), k = [W,2W), v = [2W,3W); from kv: k = [0,W), v = [W,2W); head h "
    "uses cols [h*D,(h+1)*D) within each. scores[b,h,t,s] = scale * <q[b,t,h], k[b,s,h]> + bias[b or 0,h,t,s] "
    "+ (-1e9 if attrs.causal and s > t + (S - T)) + (-1e9 if keyPadding[b,s] == 0); p = softmax over s; "
    "out[b,t,h*D+d] = sum_s p[b,h,t,s] v[b,s,h*D+d]. scale = attrs.scale when present, else 1/sqrt(D) (omit the "
    "option). Optional inputs: keyPadding [B,S] float32 1 keep / 0 pad (never in wrt), bias [1,H,T,S] or [B,H,T,S]. "
    "Output 'out' [B,T,W].",
    "residualLayerNorm(x, delta, gamma, beta, attrs.eps): outputs sum = x + delta (x when the case has no delta "
    "input: pass null) and normed = layer_norm(sum) over the last axis (biased variance) * gamma + beta.",
    "linear(x, w, b?, {activation: attrs.activation}): y = x @ w (+ b), w [in,out]; activation 'gelu' = "
    "0.5 u (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3))); no activation when attrs.activation is absent. Output 'y'.",
    "embed(tokenTable [V,C], ids int32 [B,T], posTable? [P>=T,C], typeTable? [G,C], typeIds? int32 [B,T]): "
    "out[b,t] = tokenTable[ids[b,t]] + posTable[t] + typeTable[typeIds[b,t]] (absent tables: pass null). "
    "ids repeat, so the gradient scatter-adds. Output 'out' [B,T,C].",
    "vocabCrossEntropy(h [...,C], table [V,C], targets int32 [...], bias? [V]): logits = h @ table^T (+ bias); "
    "loss = mean over positions with target >= 0 of -log_softmax(logits)[target]; 0 when no target is valid. "
    "Output 'loss' (scalar).",
    "layerNorm(x, gamma, beta, attrs.eps) -> 'y'; gelu(x) (tanh form) -> 'y'; crossEntropy(logits [N,V], "
    "targets int32 [N]) -> 'loss' (mean over targets >= 0, 0 if none).",
    "rmsNorm(x, w, attrs.eps) -> 'y' = x * rsqrt(mean(x^2 over the last axis) + eps) * w (T5's layer norm).",
]


# --- data -------------------------------------------------------------------------------------


class Data:
    """Seeded draws; every tensor is float32, quantised to multiples of 1/1000."""

    def __init__(self, seed: int):
        self.gen = torch.Generator().manual_seed(seed)

    def normal(self, *shape: int, std: float = 1.0, mean: float = 0.0) -> torch.Tensor:
        x = torch.randn(*shape, generator=self.gen, dtype=torch.float64) * std + mean
        return (torch.round(x * 1000.0) / 1000.0).to(torch.float32)

    def ints(self, high: int, *shape: int) -> torch.Tensor:
        return torch.randint(0, high, shape, generator=self.gen, dtype=torch.int64)


# --- references (float64) ---------------------------------------------------------------------


def attention_ref(q, k, v, *, heads: int, causal: bool, scale: float, key_padding=None, bias=None):
    B, T, W = q.shape
    S = k.shape[1]
    D = W // heads
    qh = q.reshape(B, T, heads, D).transpose(1, 2)
    kh = k.reshape(B, S, heads, D).transpose(1, 2)
    vh = v.reshape(B, S, heads, D).transpose(1, 2)
    scores = scale * (qh @ kh.transpose(-1, -2))  # [B, H, T, S]
    if bias is not None:
        scores = scores + bias
    if causal:
        t = torch.arange(T).view(T, 1)
        s = torch.arange(S).view(1, S)
        scores = scores + MASK * (s > t + (S - T)).to(scores.dtype)
    if key_padding is not None:
        scores = scores + MASK * (key_padding == 0).to(scores.dtype).view(B, 1, 1, S)
    p = torch.softmax(scores, dim=-1)
    return (p @ vh).transpose(1, 2).reshape(B, T, W)


def attention_op(attrs: dict):
    heads = attrs["numHeads"]

    def f(x: dict) -> dict:
        if "qkv" in x:
            W = x["qkv"].shape[2] // 3
            q, k, v = x["qkv"][..., :W], x["qkv"][..., W : 2 * W], x["qkv"][..., 2 * W :]
        elif "kv" in x:
            W = x["q"].shape[2]
            q, k, v = x["q"], x["kv"][..., :W], x["kv"][..., W:]
        else:
            W = x["q"].shape[2]
            q, k, v = x["q"], x["k"], x["v"]
        scale = attrs.get("scale", 1.0 / math.sqrt(W // heads))
        out = attention_ref(
            q, k, v, heads=heads, causal=attrs["causal"], scale=scale, key_padding=x.get("keyPadding"), bias=x.get("bias")
        )
        return {"out": out}

    return f


def residual_ln_op(attrs: dict):
    def f(x: dict) -> dict:
        s = x["x"] + x["delta"] if "delta" in x else x["x"]
        normed = F.layer_norm(s, (s.shape[-1],), x["gamma"], x["beta"], attrs["eps"])
        return {"sum": s, "normed": normed}

    return f


def layer_norm_op(attrs: dict):
    def f(x: dict) -> dict:
        return {"y": F.layer_norm(x["x"], (x["x"].shape[-1],), x["gamma"], x["beta"], attrs["eps"])}

    return f


def rms_norm_op(attrs: dict):
    def f(x: dict) -> dict:
        v = x["x"]
        return {"y": v * torch.rsqrt(v.pow(2).mean(-1, keepdim=True) + attrs["eps"]) * x["w"]}

    return f


def gelu_op(attrs: dict):
    return lambda x: {"y": gelu_tanh(x["x"])}


def linear_op(attrs: dict):
    def f(x: dict) -> dict:
        y = x["x"] @ x["w"]
        if "b" in x:
            y = y + x["b"]
        if attrs.get("activation") == "gelu":
            y = gelu_tanh(y)
        elif attrs.get("activation") == "relu":
            y = torch.relu(y)
        return {"y": y}

    return f


def embed_op(attrs: dict):
    def f(x: dict) -> dict:
        ids = x["ids"]
        T = ids.shape[1]
        out = x["tokenTable"][ids]
        if "posTable" in x:
            out = out + x["posTable"][:T].unsqueeze(0)
        if "typeTable" in x:
            out = out + x["typeTable"][x["typeIds"]]
        return {"out": out}

    return f


def masked_mean_ce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over targets >= 0 of -log_softmax(logits)[target]; 0 when none is valid."""
    logp = torch.log_softmax(logits, dim=-1)
    valid = targets >= 0
    picked = logp.gather(1, targets.clamp(min=0).view(-1, 1)).view(-1)
    total = -(picked * valid.to(logp.dtype)).sum()
    return total / max(int(valid.sum()), 1)


def vocab_ce_op(attrs: dict):
    def f(x: dict) -> dict:
        h = x["h"].reshape(-1, x["h"].shape[-1])
        logits = h @ x["table"].t()
        if "bias" in x:
            logits = logits + x["bias"]
        return {"loss": masked_mean_ce(logits, x["targets"].reshape(-1))}

    return f


def cross_entropy_op(attrs: dict):
    return lambda x: {"loss": masked_mean_ce(x["logits"], x["targets"])}


OPS = {
    "attentionCore": attention_op,
    "residualLayerNorm": residual_ln_op,
    "linear": linear_op,
    "embed": embed_op,
    "vocabCrossEntropy": vocab_ce_op,
    "layerNorm": layer_norm_op,
    "gelu": gelu_op,
    "crossEntropy": cross_entropy_op,
    "rmsNorm": rms_norm_op,
}


# --- cases ------------------------------------------------------------------------------------


def make_case(op: str, name: str, attrs: dict, inputs: dict, wrt: list[str], dy_for: list[str] | None, data: Data) -> dict:
    """inputs: name -> float32 or int64 tensor. dy_for: outputs that enter the loss (None: scalar op)."""
    fn = OPS[op](attrs)
    x64 = {}
    for n, t in inputs.items():
        if t.is_floating_point():
            x64[n] = t.to(torch.float64).requires_grad_(n in wrt)
        else:
            x64[n] = t
    outs = fn(x64)
    if dy_for is None:
        (loss,) = outs.values()
        assert loss.ndim == 0
        dys = None
    else:
        dys = {o: data.normal(*outs[o].shape) for o in dy_for}
        loss = sum((outs[o] * dys[o].to(torch.float64)).sum() for o in dy_for)
    leaves = [x64[n] for n in wrt]
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    grads = [torch.zeros_like(x) if g is None else g for x, g in zip(leaves, grads)]

    def ser_input(t: torch.Tensor) -> dict:
        if t.is_floating_point():
            return {"shape": list(t.shape), "dtype": "float32", "data": f32_tensor(t)["data"]}
        return {"shape": list(t.shape), "dtype": "int32", "data": int_tensor(t)["data"]}

    return {
        "op": op,
        "name": name,
        "attrs": attrs,
        "inputs": {n: ser_input(t) for n, t in inputs.items()},
        "wrt": wrt,
        "dy": None if dys is None else {o: f32_tensor(d) for o, d in dys.items()},
        "outputs": {o: f32_tensor(t) for o, t in outs.items()},
        "grads": {n: f32_tensor(g) for n, g in zip(wrt, grads)},
    }


def padding(B: int, S: int, pads: list[int]) -> torch.Tensor:
    """[B, S] float32 mask; row b has its last pads[b] keys padded (0)."""
    m = torch.ones(B, S, dtype=torch.float32)
    for b, n in enumerate(pads):
        if n:
            m[b, S - n :] = 0.0
    return m


def attention_cases(d: Data) -> list[dict]:
    cases = []
    B, T, S, H, D = 2, 5, 7, 2, 3
    W = H * D

    def add(name, attrs, inputs, wrt):
        cases.append(make_case("attentionCore", name, attrs, inputs, wrt, ["out"], d))

    add("gpt causal from qkv B2 T5 H2 D3", {"numHeads": H, "causal": True}, {"qkv": d.normal(B, T, 3 * W)}, ["qkv"])
    add(
        "bert bidirectional from qkv, keyPadding B2 T5 H2 D3",
        {"numHeads": H, "causal": False},
        {"qkv": d.normal(B, T, 3 * W), "keyPadding": padding(B, T, [0, 2])},
        ["qkv"],
    )
    add(
        "t5 encoder {q,k,v} scale 1, bias [1,H,T,S], keyPadding B2 T5 H2 D3",
        {"numHeads": H, "causal": False, "scale": 1.0},
        {
            "q": d.normal(B, T, W),
            "k": d.normal(B, T, W),
            "v": d.normal(B, T, W),
            "bias": d.normal(1, H, T, T),
            "keyPadding": padding(B, T, [1, 0]),
        },
        ["q", "k", "v", "bias"],
    )
    add(
        "t5 decoder causal {q,k,v} scale 1, bias [1,H,T,T] B2 T5 H2 D3",
        {"numHeads": H, "causal": True, "scale": 1.0},
        {"q": d.normal(B, T, W), "k": d.normal(B, T, W), "v": d.normal(B, T, W), "bias": d.normal(1, H, T, T)},
        ["q", "k", "v", "bias"],
    )
    add(
        "{q,k,v} S != T, per-batch bias [B,H,T,S], scale 0.7 B2 T5 S7 H2 D3",
        {"numHeads": H, "causal": False, "scale": 0.7},
        {"q": d.normal(B, T, W), "k": d.normal(B, S, W), "v": d.normal(B, S, W), "bias": d.normal(B, H, T, S)},
        ["q", "k", "v", "bias"],
    )
    add(
        "cross attention {q,kv} S != T, keyPadding B2 T5 S7 H2 D3",
        {"numHeads": H, "causal": False},
        {"q": d.normal(B, T, W), "kv": d.normal(B, S, 2 * W), "keyPadding": padding(B, S, [3, 1])},
        ["q", "kv"],
    )
    add(
        "causal {q,kv} S > T (mask aligned to the end) B2 T5 S7 H2 D3",
        {"numHeads": H, "causal": True},
        {"q": d.normal(B, T, W), "kv": d.normal(B, S, 2 * W)},
        ["q", "kv"],
    )
    # medium: exercises the SIMD bodies and tails (T = 33, D = 16)
    Bm, Tm, Hm, Dm = 2, 33, 4, 16
    add(
        "medium gpt causal from qkv B2 T33 H4 D16",
        {"numHeads": Hm, "causal": True},
        {"qkv": d.normal(Bm, Tm, 3 * Hm * Dm)},
        ["qkv"],
    )
    Sm = 20
    add(
        "medium {q,k,v} bias [1,H,T,S] + keyPadding, scale 1 B2 T33 S20 H4 D16",
        {"numHeads": Hm, "causal": False, "scale": 1.0},
        {
            "q": d.normal(Bm, Tm, Hm * Dm, std=0.5),
            "k": d.normal(Bm, Sm, Hm * Dm, std=0.5),
            "v": d.normal(Bm, Sm, Hm * Dm),
            "bias": d.normal(1, Hm, Tm, Sm),
            "keyPadding": padding(Bm, Sm, [0, 7]),
        },
        ["q", "k", "v", "bias"],
    )
    return cases


def residual_ln_cases(d: Data) -> list[dict]:
    cases = []

    def add(name, shape, eps, with_delta, dy_for):
        C = shape[-1]
        inputs = {"x": d.normal(*shape, std=2.0, mean=0.5)}
        if with_delta:
            inputs["delta"] = d.normal(*shape)
        inputs["gamma"] = d.normal(C, std=0.2, mean=1.0)
        inputs["beta"] = d.normal(C, std=0.2)
        wrt = [n for n in ("x", "delta", "gamma", "beta") if n in inputs]
        cases.append(make_case("residualLayerNorm", name, {"eps": eps}, inputs, wrt, dy_for, d))

    add("both outputs used, C6 [2,5,6]", [2, 5, 6], 1e-5, True, ["sum", "normed"])
    add("both outputs used, C64 [2,5,64]", [2, 5, 64], 1e-5, True, ["sum", "normed"])
    add("post-norm: only normed used, eps 1e-12, C64 [2,5,64]", [2, 5, 64], 1e-12, True, ["normed"])
    add("post-norm: only normed used, C6 [2,5,6]", [2, 5, 6], 1e-5, True, ["normed"])
    add("only sum used, C6 [2,5,6]", [2, 5, 6], 1e-5, True, ["sum"])
    add("delta null, both outputs used, C64 [2,5,64]", [2, 5, 64], 1e-5, False, ["sum", "normed"])
    add("rank 2 [10,6], both outputs used", [10, 6], 1e-5, True, ["sum", "normed"])
    add("medium both outputs used, C128 [2,9,128]", [2, 9, 128], 1e-5, True, ["sum", "normed"])
    return cases


def linear_cases(d: Data) -> list[dict]:
    cases = []

    def add(name, x_shape, n_out, bias, act):
        n_in = x_shape[-1]
        inputs = {"x": d.normal(*x_shape), "w": d.normal(n_in, n_out, std=1.0 / math.sqrt(n_in))}
        if bias:
            inputs["b"] = d.normal(n_out, std=0.5)
        attrs = {"activation": "gelu"} if act else {}
        cases.append(make_case("linear", name, attrs, inputs, list(inputs), ["y"], d))

    add("rank 2 [10,6] -> 11 with bias", [10, 6], 11, True, False)
    add("rank 2 [10,6] -> 11 no bias", [10, 6], 11, False, False)
    add("rank 3 [2,5,6] -> 11 with bias, gelu", [2, 5, 6], 11, True, True)
    add("rank 3 [2,5,6] -> 7 no bias, gelu", [2, 5, 6], 7, False, True)
    add("rank 3 [2,5,7] -> 6 with bias", [2, 5, 7], 6, True, False)
    add("medium rank 3 [2,33,64] -> 96 with bias, gelu", [2, 33, 64], 96, True, True)
    return cases


def ids_with_repeats(d: Data, V: int, B: int, T: int) -> torch.Tensor:
    ids = d.ints(V, B, T)
    ids[0, 0] = 0
    ids[0, 1] = V - 1
    ids[1, 0] = ids[0, 2]  # repeats across the batch
    ids[1, 1] = ids[0, 2]
    ids[1, -1] = V - 1
    return ids


def embed_cases(d: Data) -> list[dict]:
    cases = []

    def add(name, V, C, B, T, P, G):
        inputs = {"tokenTable": d.normal(V, C), "ids": ids_with_repeats(d, V, B, T)}
        if P:
            inputs["posTable"] = d.normal(P, C)
        if G:
            inputs["typeTable"] = d.normal(G, C)
            tids = d.ints(G, B, T)
            tids[0, 0], tids[0, 1] = 0, G - 1
            inputs["typeIds"] = tids
        wrt = [n for n in ("tokenTable", "posTable", "typeTable") if n in inputs]
        cases.append(make_case("embed", name, {}, inputs, wrt, ["out"], d))

    add("token only (T5) V11 C6 B2 T5", 11, 6, 2, 5, 0, 0)
    add("token + pos (GPT) V11 C6 B2 T5 P7", 11, 6, 2, 5, 7, 0)
    add("token + pos + type (BERT) V11 C6 B2 T5 P5 G2", 11, 6, 2, 5, 5, 2)
    add("medium token + pos + type V50 C64 B2 T33 P40 G2", 50, 64, 2, 33, 40, 2)
    return cases


def vocab_ce_cases(d: Data) -> list[dict]:
    cases = []

    def add(name, h_shape, V, bias, targets):
        C = h_shape[-1]
        inputs = {
            "h": d.normal(*h_shape),
            "table": d.normal(V, C, std=1.5 / math.sqrt(C)),
            "targets": torch.tensor(targets, dtype=torch.int64).view(*h_shape[:-1]),
        }
        if bias:
            inputs["bias"] = d.normal(V, std=0.5)
        wrt = [n for n in ("h", "table", "bias") if n in inputs]
        cases.append(make_case("vocabCrossEntropy", name, {}, inputs, wrt, None, d))

    add("rank 2 h [10,6] V11 with bias, some targets -1", [10, 6], 11, True, [3, -1, 0, 10, 7, -1, 10, 3, 5, 1])
    add("rank 3 h [2,5,6] V11 no bias, all targets valid", [2, 5, 6], 11, False, [0, 10, 4, 4, 2, 9, 1, 6, 3, 8])
    add("rank 3 h [2,5,6] V11 with bias, all targets valid", [2, 5, 6], 11, True, [5, 5, 1, 0, 10, 2, 7, 9, 3, 6])
    add("rank 2 h [4,6] V11 with bias, no valid target (loss 0)", [4, 6], 11, True, [-1, -1, -1, -1])
    tg = torch.Generator().manual_seed(SEED + 1)
    tm = torch.randint(0, 130, (2 * 33,), generator=tg)
    tm[::5] = -1
    tm[3] = -100
    add("medium rank 3 h [2,33,64] V130 with bias, targets -1 and -100", [2, 33, 64], 130, True, tm.tolist())
    return cases


def older_op_cases(d: Data) -> list[dict]:
    cases = []
    for shape in ([2, 5, 6], [3, 64]):
        C = shape[-1]
        inputs = {"x": d.normal(*shape, std=2.0, mean=-0.3), "gamma": d.normal(C, std=0.2, mean=1.0), "beta": d.normal(C, std=0.2)}
        cases.append(make_case("layerNorm", f"{shape}", {"eps": 1e-5}, inputs, ["x", "gamma", "beta"], ["y"], d))
    cases.append(make_case("gelu", "[2,5,6] std 3", {}, {"x": d.normal(2, 5, 6, std=3.0)}, ["x"], ["y"], d))
    sat = torch.tensor([-30.0, -9.0, -3.0, -1.0, -0.001, 0.0, 0.001, 0.5, 1.0, 3.0, 9.0, 30.0], dtype=torch.float32)
    cases.append(make_case("gelu", "saturation [12]", {}, {"x": sat}, ["x"], ["y"], d))
    cases.append(
        make_case(
            "crossEntropy",
            "[10,11], targets with -1",
            {},
            {"logits": d.normal(10, 11, std=3.0), "targets": torch.tensor([3, -1, 0, 10, 7, -1, 10, 3, 5, 1])},
            ["logits"],
            None,
            d,
        )
    )
    return cases


def t5_op_cases(d: Data) -> list[dict]:
    """T5's RMS norm (widths with and without a SIMD tail, more rows than one 32-row chunk of dw)
    and its ReLU feed-forward input (linear with activation relu, no bias)."""
    cases = []
    for shape in ([2, 5, 6], [3, 64], [70, 20]):
        C = shape[-1]
        inputs = {"x": d.normal(*shape, std=2.0, mean=-0.3), "w": d.normal(C, std=0.2, mean=1.0)}
        cases.append(make_case("rmsNorm", f"{shape}", {"eps": 1e-6}, inputs, ["x", "w"], ["y"], d))
    for name, x_shape, n_out in (("relu [2,5,6] -> 13 no bias", [2, 5, 6], 13), ("relu [40,16] -> 70 no bias", [40, 16], 70)):
        inputs = {"x": d.normal(*x_shape), "w": d.normal(x_shape[-1], n_out, std=1.0 / math.sqrt(x_shape[-1]))}
        cases.append(make_case("linear", name, {"activation": "relu"}, inputs, ["x", "w"], ["y"], d))
    return cases


def build_fixture() -> dict:
    d = Data(SEED)
    cases = attention_cases(d) + residual_ln_cases(d) + linear_cases(d) + embed_cases(d) + vocab_ce_cases(d) + older_op_cases(d) + t5_op_cases(d)
    names = [(c["op"], c["name"]) for c in cases]
    assert len(set(names)) == len(names), "case names must be unique per op"
    return {
        "name": "fused-ops",
        "notes": NOTES,
        "versions": versions("tools/reference/fused_ops.py"),
        "seed": SEED,
        "cases": cases,
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    deterministic()
    fx = build_fixture()
    counts: dict[str, int] = {}
    for c in fx["cases"]:
        counts[c["op"]] = counts.get(c["op"], 0) + 1
    write_fixture(fx, os.path.join(args.out, "fused-ops.json"), f"{len(fx['cases'])} cases {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
