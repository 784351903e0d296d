#!/usr/bin/env python3
"""Check a `pnpm lab export --format hf` directory against Hugging Face GPT-2's forward.

Usage (from the repository root):

    python3 tools/reference/check_hf_export.py OUT_DIR --ids 50,66,63,3
    python3 tools/reference/check_hf_export.py OUT_DIR --ids 50,66,63,3 --dtype float64

Prints one line of JSON: {"logProbs": [...], "meanLoss": x}, where logProbs[i] is
log p(ids[i+1] | ids[:i+1]) and meanLoss = -mean(logProbs) (nats/token).

`transformers` cannot be installed on the machine this was written on (no PyPI access and
no Debian package), so this script replicates transformers' GPT2LMHeadModel forward in plain
torch (Debian's python3-torch and numpy are enough), following
transformers/models/gpt2/modeling_gpt2.py in eval mode (no dropout):

    h = wte[ids] + wpe[0..T-1]
    per block: h = h + c_proj(attn(ln_1(h))); h = h + mlp.c_proj(act(mlp.c_fc(ln_2(h))))
    h = ln_f(h); logits = h @ W^T, W = lm_head.weight, or transformer.wte.weight when
    tie_word_embeddings is true (a tied checkpoint has no lm_head.weight; transformers ties
    the head to wte the same way).

Conv1D weights are [in, out] and applied as x @ W + b. Attention: q | k | v split along
c_attn's output, heads via view(B, T, H, C/H).transpose(1, 2), scores q @ k^T divided by
sqrt(C/H) (scale_attn_weights) and by layer_idx + 1 (scale_attn_by_inverse_layer_idx),
future positions set to finfo(dtype).min, softmax, @ v. LayerNorm eps = layer_norm_epsilon.
The activation is activation_function (gelu_new = tanh GELU, as GPT-2).

Where `transformers` IS importable, the directory is also loaded with
GPT2LMHeadModel.from_pretrained(dir) and its log-probs are compared with ours; the result
goes into the JSON as "transformers": {"version", "maxAbsDiff"} and a difference over
--tol exits 1. --no-transformers skips that.

The safetensors file is parsed by hand (8-byte little-endian header length, JSON header,
raw little-endian row-major data); no `safetensors` package is needed. The script is strict
about the HF layout: every tensor of GPT2LMHeadModel's state dict for the config must be
there with the right shape (lm_head.weight may be absent only when tied), and no unknown
tensor may be present; otherwise it exits 2 and lists the expected names and shapes.

Sequences longer than n_positions + 1 are scored with the same sliding windows as the
TypeScript GPT.scoreTokens (windows of n_positions, each scoring its tokens after the
window start with up to n_positions tokens of context), so the numbers stay comparable.

Exit codes: 0 ok, 1 transformers disagrees, 2 bad input (missing files, bad layout, bad ids).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

# transformers' GPT2Config defaults, used for keys config.json leaves out.
GPT2_DEFAULTS = dict(
    vocab_size=50257,
    n_positions=1024,
    n_embd=768,
    n_layer=12,
    n_head=12,
    n_inner=None,
    activation_function="gelu_new",
    layer_norm_epsilon=1e-5,
    scale_attn_weights=True,
    scale_attn_by_inverse_layer_idx=False,
    reorder_and_upcast_attn=False,
    tie_word_embeddings=True,
)

# Buffers old GPT-2 checkpoints carry and transformers ignores on load.
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias")

ST_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # converted below
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
}


class InputError(Exception):
    """A problem with the user's input; printed as one `error:` line, exit code 2."""


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """Parses a safetensors file: u64 LE header length N, N bytes of JSON, then the data section."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    if len(raw) < 8:
        raise InputError(f"{path}: {len(raw)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise InputError(f"{path}: header length {n} exceeds the file (truncated?)")
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: header is not valid UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise InputError(f"{path}: header is not a JSON object")
    data = memoryview(raw)[8 + n :]
    out: dict[str, np.ndarray] = {}
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict):
            raise InputError(f"{path}: entry '{name}' is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in ST_DTYPES:
            raise InputError(f"{path}: tensor '{name}' has unsupported dtype {dtype!r}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise InputError(f"{path}: tensor '{name}' has invalid shape {shape!r}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= len(data)
        ):
            raise InputError(f"{path}: tensor '{name}' has invalid data_offsets {offsets!r} (data section is {len(data)} bytes)")
        begin, end = offsets
        npdt = ST_DTYPES[dtype]
        if end - begin != math.prod(shape) * npdt.itemsize:
            raise InputError(f"{path}: tensor '{name}' {dtype}{shape} does not match data_offsets {offsets}")
        arr = np.frombuffer(data[begin:end], dtype=npdt).reshape(shape)
        if dtype == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = arr.copy()
        spans.append((begin, end, name))
    spans.sort()
    cursor = 0
    for begin, end, name in spans:
        if begin != cursor:
            raise InputError(f"{path}: tensor '{name}' starts at {begin}, expected {cursor} (gap or overlap)")
        cursor = end
    if cursor != len(data):
        raise InputError(f"{path}: data section is {len(data)} bytes but the tensors cover {cursor}")
    return out


def load_config(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path} is not a JSON object")
    if raw.get("model_type", "gpt2") != "gpt2":
        raise InputError(f"{path}: model_type is {raw.get('model_type')!r}, expected 'gpt2'")
    cfg = dict(GPT2_DEFAULTS)
    cfg.update({k: raw[k] for k in GPT2_DEFAULTS if k in raw})
    for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
        if not isinstance(cfg[k], int) or cfg[k] < 1:
            raise InputError(f"{path}: {k} must be a positive integer, got {cfg[k]!r}")
    if cfg["n_embd"] % cfg["n_head"] != 0:
        raise InputError(f"{path}: n_embd {cfg['n_embd']} is not divisible by n_head {cfg['n_head']}")
    if cfg["reorder_and_upcast_attn"]:
        raise InputError(f"{path}: reorder_and_upcast_attn is not supported by this checker")
    if cfg["activation_function"] not in ACTIVATIONS:
        raise InputError(f"{path}: activation_function {cfg['activation_function']!r} not supported (known: {', '.join(ACTIVATIONS)})")
    return cfg


def expected_shapes(cfg: dict) -> dict[str, list[int]]:
    """GPT2LMHeadModel's state dict (names -> shapes) for this config, lm_head.weight included."""
    V, P, C = cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"]
    inner = cfg["n_inner"] if cfg["n_inner"] is not None else 4 * C
    shapes = {"transformer.wte.weight": [V, C], "transformer.wpe.weight": [P, C]}
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}"
        shapes.update(
            {
                f"{p}.ln_1.weight": [C],
                f"{p}.ln_1.bias": [C],
                f"{p}.attn.c_attn.weight": [C, 3 * C],
                f"{p}.attn.c_attn.bias": [3 * C],
                f"{p}.attn.c_proj.weight": [C, C],
                f"{p}.attn.c_proj.bias": [C],
                f"{p}.ln_2.weight": [C],
                f"{p}.ln_2.bias": [C],
                f"{p}.mlp.c_fc.weight": [C, inner],
                f"{p}.mlp.c_fc.bias": [inner],
                f"{p}.mlp.c_proj.weight": [inner, C],
                f"{p}.mlp.c_proj.bias": [C],
            }
        )
    shapes["transformer.ln_f.weight"] = [C]
    shapes["transformer.ln_f.bias"] = [C]
    shapes["lm_head.weight"] = [V, C]
    return shapes


def check_layout(cfg: dict, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Strict HF layout check; returns the tensors by GPT-2 name (a 'transformer.'-less prefix is refused)."""
    expected = expected_shapes(cfg)
    tied = bool(cfg["tie_word_embeddings"])
    problems = []
    for name, shape in expected.items():
        if name not in tensors:
            if name == "lm_head.weight" and tied:
                continue
            problems.append(f"missing {name} {shape}")
        elif list(tensors[name].shape) != shape:
            problems.append(f"{name} has shape {list(tensors[name].shape)}, expected {shape}")
    for name in tensors:
        if name not in expected and not name.endswith(IGNORED_SUFFIXES):
            problems.append(f"unexpected tensor {name} {list(tensors[name].shape)}")
    for name, t in tensors.items():
        if name in expected and t.dtype.kind != "f":
            problems.append(f"{name} has dtype {t.dtype}, expected floating point")
    if tied and "lm_head.weight" in tensors and not problems:
        if not np.array_equal(tensors["lm_head.weight"], tensors["transformer.wte.weight"]):
            problems.append("tie_word_embeddings is true but lm_head.weight differs from transformer.wte.weight")
    if problems:
        listing = "; ".join(f"{n} {s}" for n, s in expected.items())
        raise InputError(
            f"model.safetensors does not match GPT2LMHeadModel for this config ({'; '.join(problems)}). "
            f"Expected ({'lm_head.weight optional, tied' if tied else 'untied'}): {listing}"
        )
    return tensors


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    # transformers NewGELUActivation, written out as in activations.py.
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {
    "gelu_new": gelu_new,
    "gelu_pytorch_tanh": gelu_new,
    "gelu_fast": gelu_new,
    "gelu": F.gelu,
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
}


class GPT2Forward:
    """transformers GPT2LMHeadModel.forward (eval, no cache, no padding) on a loaded state dict."""

    def __init__(self, cfg: dict, tensors: dict[str, np.ndarray], dtype: torch.dtype):
        self.cfg = cfg
        self.w = {k: torch.from_numpy(np.ascontiguousarray(v)).to(dtype) for k, v in tensors.items() if not k.endswith(IGNORED_SUFFIXES)}
        self.dtype = dtype
        self.act = ACTIVATIONS[cfg["activation_function"]]
        if cfg["tie_word_embeddings"] or "lm_head.weight" not in self.w:
            self.head = self.w["transformer.wte.weight"]
        else:
            self.head = self.w["lm_head.weight"]

    def _conv1d(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        w, b = self.w[f"{prefix}.weight"], self.w[f"{prefix}.bias"]
        size_out = x.shape[:-1] + (w.shape[1],)
        return torch.addmm(b, x.reshape(-1, x.shape[-1]), w).view(size_out)

    def _ln(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        return F.layer_norm(x, (x.shape[-1],), self.w[f"{prefix}.weight"], self.w[f"{prefix}.bias"], self.cfg["layer_norm_epsilon"])

    def _attn(self, x: torch.Tensor, prefix: str, layer_idx: int) -> torch.Tensor:
        B, T, C = x.shape
        H = self.cfg["n_head"]
        D = C // H
        q, k, v = self._conv1d(x, f"{prefix}.c_attn").split(C, dim=2)
        q, k, v = (t.view(B, T, H, D).permute(0, 2, 1, 3) for t in (q, k, v))
        w = torch.matmul(q, k.transpose(-1, -2))
        if self.cfg["scale_attn_weights"]:
            w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        if self.cfg["scale_attn_by_inverse_layer_idx"]:
            w = w / float(layer_idx + 1)
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool)).view(1, 1, T, T)
        w = torch.where(causal, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        w = F.softmax(w, dim=-1)
        y = torch.matmul(w, v)
        y = y.permute(0, 2, 1, 3).contiguous().view(B, T, C)
        return self._conv1d(y, f"{prefix}.c_proj")

    @torch.no_grad()
    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        """ids long [B, T] -> logits [B, T, V]."""
        T = ids.shape[1]
        pos = torch.arange(0, T, dtype=torch.long)
        h = F.embedding(ids, self.w["transformer.wte.weight"]) + F.embedding(pos, self.w["transformer.wpe.weight"])
        for i in range(self.cfg["n_layer"]):
            p = f"transformer.h.{i}"
            h = h + self._attn(self._ln(h, f"{p}.ln_1"), f"{p}.attn", i)
            h = h + self._conv1d(self.act(self._conv1d(self._ln(h, f"{p}.ln_2"), f"{p}.mlp.c_fc")), f"{p}.mlp.c_proj")
        h = self._ln(h, "transformer.ln_f")
        return F.linear(h, self.head)


def score(logits_fn, ids: list[int], n_positions: int) -> list[float]:
    """log p(ids[i+1] | context) for every i, with GPT.scoreTokens' sliding windows."""
    n = len(ids)
    T = min(n - 1, n_positions)
    out = [0.0] * (n - 1)
    for start in range(0, n - 1, T):
        end = min(start + T, n - 1)
        ctx = max(0, end - n_positions)
        window = torch.tensor([ids[ctx:end]], dtype=torch.long)
        lp = torch.log_softmax(logits_fn(window)[0].to(torch.float64), dim=-1)
        for i in range(start, end):
            out[i] = float(lp[i - ctx, ids[i + 1]])
    return out


def compare_with_transformers(directory: str, ids: list[int], ours: list[float], n_positions: int) -> dict | None:
    try:
        import transformers
        from transformers import GPT2LMHeadModel
    except ImportError:
        return None
    model = GPT2LMHeadModel.from_pretrained(directory, torch_dtype=torch.float32)
    model.eval()

    def fn(window: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(window).logits

    theirs = score(fn, ids, n_positions)
    diff = max(abs(a - b) for a, b in zip(ours, theirs))
    return {"version": transformers.__version__, "maxAbsDiff": diff, "logProbs": theirs}


def parse_ids(text: str, vocab: int) -> list[int]:
    try:
        ids = [int(s) for s in text.replace(" ", "").split(",") if s != ""]
    except ValueError:
        raise InputError(f"--ids: expected comma-separated integers, got {text!r}") from None
    if len(ids) < 2:
        raise InputError("--ids: need at least two token ids")
    bad = [i for i in ids if not 0 <= i < vocab]
    if bad:
        raise InputError(f"--ids: {bad[0]} is outside the vocabulary [0, {vocab})")
    return ids


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directory", help="exported HF directory (config.json + model.safetensors)")
    ap.add_argument("--ids", required=True, help="comma-separated token ids, e.g. 1,2,3")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="compute dtype (transformers loads float32)")
    ap.add_argument("--no-transformers", action="store_true", help="skip the comparison with transformers even where it is importable")
    ap.add_argument("--tol", type=float, default=1e-4, help="max |logprob| difference allowed against transformers")
    args = ap.parse_args(argv)
    try:
        cfg = load_config(os.path.join(args.directory, "config.json"))
        tensors = check_layout(cfg, read_safetensors(os.path.join(args.directory, "model.safetensors")))
        ids = parse_ids(args.ids, cfg["vocab_size"])
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    model = GPT2Forward(cfg, tensors, torch.float64 if args.dtype == "float64" else torch.float32)
    log_probs = score(model.logits, ids, cfg["n_positions"])
    result: dict = {"logProbs": log_probs, "meanLoss": -sum(log_probs) / len(log_probs)}
    rc = 0
    if not args.no_transformers:
        cmp = compare_with_transformers(args.directory, ids, log_probs, cfg["n_positions"])
        if cmp is not None:
            result["transformers"] = {"version": cmp["version"], "maxAbsDiff": cmp["maxAbsDiff"]}
            if not cmp["maxAbsDiff"] <= args.tol:
                print(f"error: transformers GPT2LMHeadModel disagrees: max |logprob diff| {cmp['maxAbsDiff']:.3g} > {args.tol}", file=sys.stderr)
                rc = 1
    print(json.dumps(result, allow_nan=False))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
