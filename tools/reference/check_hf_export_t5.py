#!/usr/bin/env python3
"""Check a T5 `pnpm lab export --format hf` directory against Hugging Face T5ForConditionalGeneration.

Usage (from the repository root; the ids come from `pnpm lab score CKPT --text ... --target ... --json`):

    python3 tools/reference/check_hf_export_t5.py OUT_DIR --input-ids 40,51,1 --target-ids 77,1

Prints one line of JSON: {"logProbs": [...], "meanLoss": x}, the same quantities as
`lab score` on a T5 checkpoint: logProbs[i] = log p(target[i] | input, target[:i]) with the
decoder fed [decoder_start_token_id, target[:-1]] (teacher forcing); meanLoss = -mean.

`transformers` cannot be installed where this was written, so this replicates, in plain torch,
transformers/models/t5/modeling_t5.py (T5ForConditionalGeneration, eval, no padding, no cache):

    T5LayerNorm(x) = weight * x / sqrt(mean(x^2) + layer_norm_epsilon)      (RMS, no bias)
    attention: q, k, v, o nn.Linear without bias (weight [out, in]), heads view(B, T, H, d_kv),
               scores q k^T (no 1/sqrt(d_kv): T5 folds it into q) + position_bias, softmax, @ v
    position_bias: from block 0's relative_attention_bias [num_buckets, H] by T5's
               _relative_position_bucket (bidirectional in the encoder, causal in the decoder),
               shared by every block of the stack; the decoder adds finfo.min above the diagonal;
               EncDecAttention has no position bias
    encoder: h = shared[ids]; per block h += SelfAttention(LN0(h)); h += DenseReluDense(LN1(h));
             final_layer_norm
    decoder: the same with EncDecAttention(LN1(h), encoder output) between, DenseReluDense in
             layer.2; final_layer_norm
    DenseReluDense: wo(relu(wi(x)))   (feed_forward_proj "relu", T5 v1.0)
    logits = (h * d_model^-0.5) @ shared^T when tie_word_embeddings (HF's rescale of a tied
             head; lm_head.weight may then be left out), else h @ lm_head.weight^T

Strict about the folder: config.json's architectures must be ["T5ForConditionalGeneration"];
model.safetensors must hold exactly that state dict for the config (names and shapes; tied
copies encoder.embed_tokens.weight, decoder.embed_tokens.weight and, when tied,
lm_head.weight are optional but then equal to shared.weight); every tensor present must be read
by the forward (checked after running it); tokenizer.json must be a Unigram model with
vocab_size pieces. Otherwise it exits 2 with one `error:` line.

Where `transformers` IS importable, the directory is also loaded with
T5ForConditionalGeneration.from_pretrained(dir) and compared ("transformers" in the JSON; a
difference over --tol exits 1).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_hf_export import InputError, read_safetensors  # noqa: E402
from check_hf_export_bert import Tracked, int_list, read_json  # noqa: E402

# transformers' T5Config defaults, for keys config.json leaves out.
T5_DEFAULTS = dict(
    vocab_size=32128,
    d_model=512,
    d_kv=64,
    d_ff=2048,
    num_layers=6,
    num_decoder_layers=None,
    num_heads=8,
    relative_attention_num_buckets=32,
    relative_attention_max_distance=128,
    layer_norm_epsilon=1e-6,
    feed_forward_proj="relu",
    tie_word_embeddings=True,
    is_encoder_decoder=True,
    pad_token_id=0,
    eos_token_id=1,
    decoder_start_token_id=None,
    architectures=None,
)


def load_config(path: str) -> dict:
    raw = read_json(path)
    if raw.get("model_type") != "t5":
        raise InputError(f"{path}: model_type is {raw.get('model_type')!r}, expected 't5'")
    cfg = dict(T5_DEFAULTS)
    cfg.update({k: raw[k] for k in T5_DEFAULTS if k in raw})
    if cfg["num_decoder_layers"] is None:
        cfg["num_decoder_layers"] = cfg["num_layers"]
    for k in ("vocab_size", "d_model", "d_kv", "d_ff", "num_layers", "num_decoder_layers", "num_heads", "relative_attention_num_buckets", "relative_attention_max_distance"):
        if not isinstance(cfg[k], int) or cfg[k] < 1:
            raise InputError(f"{path}: {k} must be a positive integer, got {cfg[k]!r}")
    if cfg["architectures"] != ["T5ForConditionalGeneration"]:
        raise InputError(f"{path}: architectures is {cfg['architectures']!r}, expected [\"T5ForConditionalGeneration\"]")
    if cfg["feed_forward_proj"] != "relu":
        raise InputError(f"{path}: feed_forward_proj {cfg['feed_forward_proj']!r} is not supported (relu only, T5 v1.0)")
    if not isinstance(cfg["decoder_start_token_id"], int):
        raise InputError(f"{path}: decoder_start_token_id must be an integer, got {cfg['decoder_start_token_id']!r}")
    return cfg


def expected_shapes(cfg: dict) -> tuple[dict[str, list[int]], list[str]]:
    """(required names -> shapes, optional names tied to shared.weight)."""
    V, C, F_, H = cfg["vocab_size"], cfg["d_model"], cfg["d_ff"], cfg["num_heads"]
    inner = H * cfg["d_kv"]
    NB = cfg["relative_attention_num_buckets"]
    shapes: dict[str, list[int]] = {"shared.weight": [V, C]}

    def attention(p: str, relative: bool) -> None:
        for n in ("q", "k", "v"):
            shapes[f"{p}.{n}.weight"] = [inner, C]
        shapes[f"{p}.o.weight"] = [C, inner]
        if relative:
            shapes[f"{p}.relative_attention_bias.weight"] = [NB, H]

    for stack, n_layers in (("encoder", cfg["num_layers"]), ("decoder", cfg["num_decoder_layers"])):
        for i in range(n_layers):
            p = f"{stack}.block.{i}.layer"
            attention(f"{p}.0.SelfAttention", i == 0)
            shapes[f"{p}.0.layer_norm.weight"] = [C]
            ff = 1
            if stack == "decoder":
                attention(f"{p}.1.EncDecAttention", False)
                shapes[f"{p}.1.layer_norm.weight"] = [C]
                ff = 2
            shapes[f"{p}.{ff}.DenseReluDense.wi.weight"] = [F_, C]
            shapes[f"{p}.{ff}.DenseReluDense.wo.weight"] = [C, F_]
            shapes[f"{p}.{ff}.layer_norm.weight"] = [C]
        shapes[f"{stack}.final_layer_norm.weight"] = [C]
    tied = ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"]
    if cfg["tie_word_embeddings"]:
        tied.append("lm_head.weight")
    else:
        shapes["lm_head.weight"] = [V, C]
    return shapes, tied


def check_layout(cfg: dict, tensors: dict[str, np.ndarray]) -> None:
    shapes, tied = expected_shapes(cfg)
    problems = []
    for name, shape in shapes.items():
        if name not in tensors:
            problems.append(f"missing {name} {shape}")
        elif list(tensors[name].shape) != shape:
            problems.append(f"{name} has shape {list(tensors[name].shape)}, expected {shape}")
    for name, t in tensors.items():
        if name in tied:
            if "shared.weight" in tensors and not np.array_equal(t, tensors["shared.weight"]):
                problems.append(f"{name} is tied to shared.weight but differs from it")
        elif name not in shapes:
            problems.append(f"unexpected tensor {name} {list(t.shape)}")
        elif t.dtype.kind != "f":
            problems.append(f"{name} has dtype {t.dtype}, expected floating point")
    if problems:
        listing = "; ".join(f"{n} {s}" for n, s in shapes.items())
        raise InputError(
            f"model.safetensors does not match T5ForConditionalGeneration for this config ({'; '.join(problems)}). "
            f"Expected (tied, optional: {', '.join(tied)}): {listing}"
        )


def check_tokenizer(directory: str, cfg: dict) -> None:
    tj = read_json(os.path.join(directory, "tokenizer.json"))
    model = tj.get("model") or {}
    if model.get("type") != "Unigram" or not isinstance(model.get("vocab"), list):
        raise InputError("tokenizer.json is not a Unigram model")
    if len(model["vocab"]) != cfg["vocab_size"]:
        raise InputError(f"tokenizer.json has {len(model['vocab'])} pieces, expected vocab_size {cfg['vocab_size']}")


def relative_position_bucket(rel: torch.Tensor, bidirectional: bool, num_buckets: int, max_distance: int) -> torch.Tensor:
    """transformers T5Attention._relative_position_bucket, as written there."""
    buckets = 0
    if bidirectional:
        num_buckets //= 2
        buckets += (rel > 0).to(torch.long) * num_buckets
        rel = torch.abs(rel)
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    max_exact = num_buckets // 2
    is_small = rel < max_exact
    large = max_exact + (torch.log(rel.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(is_small, rel, large)


class T5Forward:
    def __init__(self, cfg: dict, w: Tracked):
        self.cfg, self.w = cfg, w
        self.H, self.D = cfg["num_heads"], cfg["d_kv"]

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        # HF computes the variance in float32 (float64 here when the whole check runs in float64).
        var = x.to(torch.float64 if x.dtype == torch.float64 else torch.float32).pow(2).mean(-1, keepdim=True)
        return self.w[name] * (x * torch.rsqrt(var + self.cfg["layer_norm_epsilon"]))

    def _bias(self, stack: str, q_len: int, k_len: int) -> torch.Tensor:
        table = self.w[f"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
        ctx = torch.arange(q_len, dtype=torch.long)[:, None]
        mem = torch.arange(k_len, dtype=torch.long)[None, :]
        buckets = relative_position_bucket(
            mem - ctx,
            bidirectional=stack == "encoder",
            num_buckets=self.cfg["relative_attention_num_buckets"],
            max_distance=self.cfg["relative_attention_max_distance"],
        )
        return F.embedding(buckets, table).permute(2, 0, 1).unsqueeze(0)  # [1, H, q, k]

    def _attn(self, x: torch.Tensor, kv: torch.Tensor, p: str, bias: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        S = kv.shape[1]
        q = F.linear(x, self.w[f"{p}.q.weight"]).view(B, T, self.H, self.D).transpose(1, 2)
        k = F.linear(kv, self.w[f"{p}.k.weight"]).view(B, S, self.H, self.D).transpose(1, 2)
        v = F.linear(kv, self.w[f"{p}.v.weight"]).view(B, S, self.H, self.D).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(3, 2)) + bias
        probs = F.softmax(scores.float(), dim=-1).type_as(scores)
        y = torch.matmul(probs, v).transpose(1, 2).contiguous().view(B, T, self.H * self.D)
        return F.linear(y, self.w[f"{p}.o.weight"])

    def _ff(self, x: torch.Tensor, p: str) -> torch.Tensor:
        return F.linear(F.relu(F.linear(x, self.w[f"{p}.wi.weight"])), self.w[f"{p}.wo.weight"])

    def _embed(self, ids: torch.Tensor, stack: str) -> torch.Tensor:
        if self.w.has(f"{stack}.embed_tokens.weight"):
            self.w[f"{stack}.embed_tokens.weight"]  # equal to shared.weight (checked)
        return F.embedding(ids, self.w["shared.weight"])

    @torch.no_grad()
    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        S = ids.shape[1]
        h = self._embed(ids, "encoder")
        bias = self._bias("encoder", S, S)
        for i in range(self.cfg["num_layers"]):
            p = f"encoder.block.{i}.layer"
            n0 = self._norm(h, f"{p}.0.layer_norm.weight")
            h = h + self._attn(n0, n0, f"{p}.0.SelfAttention", bias)
            h = h + self._ff(self._norm(h, f"{p}.1.layer_norm.weight"), f"{p}.1.DenseReluDense")
        return self._norm(h, "encoder.final_layer_norm.weight")

    @torch.no_grad()
    def logits(self, input_ids: torch.Tensor, decoder_ids: torch.Tensor) -> torch.Tensor:
        enc = self.encode(input_ids)
        T = decoder_ids.shape[1]
        h = self._embed(decoder_ids, "decoder")
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        mask = torch.where(causal, torch.zeros([], dtype=h.dtype), torch.full([], torch.finfo(h.dtype).min, dtype=h.dtype))
        self_bias = self._bias("decoder", T, T) + mask
        cross_bias = torch.zeros(1, self.H, T, enc.shape[1], dtype=h.dtype)
        for i in range(self.cfg["num_decoder_layers"]):
            p = f"decoder.block.{i}.layer"
            n0 = self._norm(h, f"{p}.0.layer_norm.weight")
            h = h + self._attn(n0, n0, f"{p}.0.SelfAttention", self_bias)
            h = h + self._attn(self._norm(h, f"{p}.1.layer_norm.weight"), enc, f"{p}.1.EncDecAttention", cross_bias)
            h = h + self._ff(self._norm(h, f"{p}.2.layer_norm.weight"), f"{p}.2.DenseReluDense")
        h = self._norm(h, "decoder.final_layer_norm.weight")
        if self.cfg["tie_word_embeddings"]:
            h = h * (self.cfg["d_model"] ** -0.5)
            if self.w.has("lm_head.weight"):
                self.w["lm_head.weight"]  # equal to shared.weight (checked)
            return F.linear(h, self.w["shared.weight"])
        return F.linear(h, self.w["lm_head.weight"])


def target_log_probs(logits_fn, input_ids: list[int], target_ids: list[int], start: int) -> list[float]:
    dec = torch.tensor([[start] + target_ids[:-1]], dtype=torch.long)
    logits = logits_fn(torch.tensor([input_ids], dtype=torch.long), dec)
    lp = torch.log_softmax(logits[0].to(torch.float64), dim=-1)
    return [float(lp[i, t]) for i, t in enumerate(target_ids)]


def compare_with_transformers(directory: str, cfg: dict, args, ours: list[float]) -> dict | None:
    try:
        import transformers
        from transformers import T5ForConditionalGeneration
    except ImportError:
        return None
    model = T5ForConditionalGeneration.from_pretrained(directory, torch_dtype=torch.float32)
    model.eval()

    def fn(ids: torch.Tensor, dec: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(input_ids=ids, decoder_input_ids=dec).logits

    theirs = target_log_probs(fn, args.input_ids, args.target_ids, cfg["decoder_start_token_id"])
    return {"version": transformers.__version__, "maxAbsDiff": max(abs(a - b) for a, b in zip(ours, theirs))}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directory", help="exported HF directory (config.json, model.safetensors, tokenizer.json)")
    ap.add_argument("--input-ids", required=True, help="comma-separated encoder ids (with </s>)")
    ap.add_argument("--target-ids", required=True, help="comma-separated target ids (with </s>)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--no-transformers", action="store_true")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    try:
        cfg = load_config(os.path.join(args.directory, "config.json"))
        tensors = read_safetensors(os.path.join(args.directory, "model.safetensors"))
        check_layout(cfg, tensors)
        check_tokenizer(args.directory, cfg)
        args.input_ids = int_list("input-ids", args.input_ids)
        args.target_ids = int_list("target-ids", args.target_ids)
        if not args.input_ids or not args.target_ids:
            raise InputError("--input-ids and --target-ids need at least one id each")
        if any(not 0 <= i < cfg["vocab_size"] for i in args.input_ids + args.target_ids):
            raise InputError(f"--input-ids/--target-ids: outside the vocabulary [0, {cfg['vocab_size']})")
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    w = Tracked(tensors, torch.float64 if args.dtype == "float64" else torch.float32)
    model = T5Forward(cfg, w)
    log_probs = target_log_probs(model.logits, args.input_ids, args.target_ids, cfg["decoder_start_token_id"])
    unread = w.unread()
    if unread:
        print(f"error: model.safetensors has tensors the T5ForConditionalGeneration forward never reads: {', '.join(unread)}", file=sys.stderr)
        return 2
    result: dict = {"logProbs": log_probs, "meanLoss": -sum(log_probs) / len(log_probs)}
    rc = 0
    if not args.no_transformers:
        cmp = compare_with_transformers(args.directory, cfg, args, log_probs)
        if cmp is not None:
            result["transformers"] = cmp
            if not cmp["maxAbsDiff"] <= args.tol:
                print(f"error: transformers T5ForConditionalGeneration disagrees: max |logprob diff| {cmp['maxAbsDiff']:.3g} > {args.tol}", file=sys.stderr)
                rc = 1
    print(json.dumps(result, allow_nan=False))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
