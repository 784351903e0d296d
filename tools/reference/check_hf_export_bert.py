#!/usr/bin/env python3
"""Check a BERT `pnpm lab export --format hf` directory against Hugging Face BERT's forward.

Usage (from the repository root; the numbers come from `pnpm lab score CKPT --text ... --json`):

    python3 tools/reference/check_hf_export_bert.py OUT_DIR --ids 2,40,51,3 --positions 1,2
    python3 tools/reference/check_hf_export_bert.py OUT_DIR --ids 2,40,3,51,3 --type-ids 0,0,0,1,1 --positions 1,3

Prints one line of JSON: {"logProbs": [...], "meanLoss": x, "nsp": {"isNext", "notNext"}},
the same quantities as `lab score` on a BERT checkpoint: for each position p_k of --positions,
the input with only p_k replaced by [MASK] (--mask-id, default the id of [MASK] in vocab.txt)
is run and logProbs[k] = log p(ids[p_k] | that input) from the MLM head (pseudo-log-
likelihood); meanLoss = -mean(logProbs). "nsp" (BertForPreTraining only) holds the
log-softmax of cls.seq_relationship on the unmasked input, HF's class 0 = IsNext.

`transformers` cannot be installed where this was written, so this replicates, in plain torch,
transformers/models/bert/modeling_bert.py in eval mode (no dropout, no padding):

    h = LN(word[ids] + token_type[types] + position[0..L-1])                  (BertEmbeddings)
    per layer: q, k, v = nn.Linear (weight [out, in]: x @ W^T + b), heads by
               view(B, L, H, C/H).permute(0, 2, 1, 3); softmax(q k^T / sqrt(C/H)) v
               a = LN(attention.output.dense(ctx) + h)                         (BertSelfOutput)
               h = LN(output.dense(act(intermediate.dense(a))) + a)             (BertOutput)
    MLM: t = LN(act(transform.dense(h))); logits = t @ decoder^T + cls.predictions.bias,
         decoder = bert.embeddings.word_embeddings.weight when tie_word_embeddings (HF ties it;
         a tied export may leave cls.predictions.decoder.{weight,bias} out)
    NSP: logits = seq_relationship(tanh(pooler.dense(h[:, 0])))

act = hidden_act (gelu_new = tanh GELU); every LayerNorm eps = layer_norm_eps.

Strict about the folder: config.json's architectures must be ["BertForPreTraining"] or
["BertForMaskedLM"]; model.safetensors must hold exactly that model's state dict for the config
(names and shapes; tied copies optional but then equal); every tensor present must be read by
the forward above (checked after running it); vocab.txt must have vocab_size distinct lines
that agree with tokenizer.json's WordPiece vocab. Otherwise it exits 2 with one `error:` line.

Where `transformers` IS importable, the directory is also loaded with
<Architecture>.from_pretrained(dir) and compared; the result goes into the JSON as
"transformers": {"version", "maxAbsDiff"}, and a difference over --tol exits 1.
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
from check_hf_export import ACTIVATIONS, InputError, read_safetensors  # noqa: E402

# transformers' BertConfig defaults, for keys config.json leaves out.
BERT_DEFAULTS = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    hidden_act="gelu",
    max_position_embeddings=512,
    type_vocab_size=2,
    layer_norm_eps=1e-12,
    position_embedding_type="absolute",
    tie_word_embeddings=True,
    pad_token_id=0,
    architectures=None,
)
ARCHITECTURES = ("BertForPreTraining", "BertForMaskedLM")


def read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path} is not a JSON object")
    return raw


def load_config(path: str) -> dict:
    raw = read_json(path)
    if raw.get("model_type") != "bert":
        raise InputError(f"{path}: model_type is {raw.get('model_type')!r}, expected 'bert'")
    cfg = dict(BERT_DEFAULTS)
    cfg.update({k: raw[k] for k in BERT_DEFAULTS if k in raw})
    for k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size"):
        if not isinstance(cfg[k], int) or cfg[k] < 1:
            raise InputError(f"{path}: {k} must be a positive integer, got {cfg[k]!r}")
    if cfg["hidden_size"] % cfg["num_attention_heads"] != 0:
        raise InputError(f"{path}: hidden_size {cfg['hidden_size']} is not divisible by num_attention_heads {cfg['num_attention_heads']}")
    if cfg["architectures"] not in ([a] for a in ARCHITECTURES):
        raise InputError(f"{path}: architectures is {cfg['architectures']!r}, expected [\"BertForPreTraining\"] or [\"BertForMaskedLM\"]")
    if cfg["position_embedding_type"] != "absolute":
        raise InputError(f"{path}: position_embedding_type {cfg['position_embedding_type']!r} is not supported (absolute only)")
    if cfg["hidden_act"] not in ACTIVATIONS:
        raise InputError(f"{path}: hidden_act {cfg['hidden_act']!r} not supported (known: {', '.join(ACTIVATIONS)})")
    cfg["architecture"] = cfg["architectures"][0]
    return cfg


def expected_shapes(cfg: dict) -> tuple[dict[str, list[int]], dict[str, str]]:
    """(required names -> shapes, optional tied name -> the name it must equal)."""
    V, C, F_ = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"]
    P, TV = cfg["max_position_embeddings"], cfg["type_vocab_size"]
    e = "bert.embeddings"
    shapes = {
        f"{e}.word_embeddings.weight": [V, C],
        f"{e}.position_embeddings.weight": [P, C],
        f"{e}.token_type_embeddings.weight": [TV, C],
        f"{e}.LayerNorm.weight": [C],
        f"{e}.LayerNorm.bias": [C],
    }
    for i in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}"
        for n in ("query", "key", "value"):
            shapes[f"{p}.attention.self.{n}.weight"] = [C, C]
            shapes[f"{p}.attention.self.{n}.bias"] = [C]
        shapes.update(
            {
                f"{p}.attention.output.dense.weight": [C, C],
                f"{p}.attention.output.dense.bias": [C],
                f"{p}.attention.output.LayerNorm.weight": [C],
                f"{p}.attention.output.LayerNorm.bias": [C],
                f"{p}.intermediate.dense.weight": [F_, C],
                f"{p}.intermediate.dense.bias": [F_],
                f"{p}.output.dense.weight": [C, F_],
                f"{p}.output.dense.bias": [C],
                f"{p}.output.LayerNorm.weight": [C],
                f"{p}.output.LayerNorm.bias": [C],
            }
        )
    if cfg["architecture"] == "BertForPreTraining":
        shapes.update(
            {
                "bert.pooler.dense.weight": [C, C],
                "bert.pooler.dense.bias": [C],
                "cls.seq_relationship.weight": [2, C],
                "cls.seq_relationship.bias": [2],
            }
        )
    shapes.update(
        {
            "cls.predictions.transform.dense.weight": [C, C],
            "cls.predictions.transform.dense.bias": [C],
            "cls.predictions.transform.LayerNorm.weight": [C],
            "cls.predictions.transform.LayerNorm.bias": [C],
            "cls.predictions.bias": [V],
        }
    )
    tied = {"cls.predictions.decoder.bias": "cls.predictions.bias"}
    if cfg["tie_word_embeddings"]:
        tied["cls.predictions.decoder.weight"] = f"{e}.word_embeddings.weight"
    else:
        shapes["cls.predictions.decoder.weight"] = [V, C]
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
            if tied[name] in tensors and not np.array_equal(t, tensors[tied[name]]):
                problems.append(f"{name} is tied to {tied[name]} but differs from it")
        elif name not in shapes:
            problems.append(f"unexpected tensor {name} {list(t.shape)}")
        elif t.dtype.kind != "f":
            problems.append(f"{name} has dtype {t.dtype}, expected floating point")
    if problems:
        listing = "; ".join(f"{n} {s}" for n, s in shapes.items())
        raise InputError(
            f"model.safetensors does not match {cfg['architecture']} for this config ({'; '.join(problems)}). "
            f"Expected (tied, optional: {', '.join(tied)}): {listing}"
        )


def check_vocab(directory: str, cfg: dict) -> dict[str, int]:
    """vocab.txt (one token per line, line i = id i) against tokenizer.json's WordPiece vocab."""
    path = os.path.join(directory, "vocab.txt")
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != cfg["vocab_size"]:
        raise InputError(f"{path}: {len(lines)} tokens, expected vocab_size {cfg['vocab_size']}")
    vocab = {t: i for i, t in enumerate(lines)}
    if len(vocab) != len(lines):
        raise InputError(f"{path}: a token appears twice")
    tj = read_json(os.path.join(directory, "tokenizer.json"))
    model = tj.get("model") or {}
    if model.get("type") != "WordPiece" or model.get("vocab") != vocab:
        raise InputError(f"{path} does not agree with tokenizer.json's WordPiece vocab")
    return vocab


class Tracked:
    """The state dict as torch tensors; remembers which names the forward read."""

    def __init__(self, tensors: dict[str, np.ndarray], dtype: torch.dtype):
        self.t = {k: torch.from_numpy(np.ascontiguousarray(v)).to(dtype) for k, v in tensors.items()}
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> torch.Tensor:
        self.read.add(name)
        return self.t[name]

    def has(self, name: str) -> bool:
        return name in self.t

    def unread(self) -> list[str]:
        return sorted(set(self.t) - self.read)


class BertForward:
    """transformers BertForPreTraining / BertForMaskedLM forward (eval, no padding)."""

    def __init__(self, cfg: dict, w: Tracked):
        self.cfg, self.w = cfg, w
        self.act = ACTIVATIONS[cfg["hidden_act"]]
        self.eps = cfg["layer_norm_eps"]

    def _linear(self, x: torch.Tensor, p: str) -> torch.Tensor:
        return F.linear(x, self.w[f"{p}.weight"], self.w[f"{p}.bias"])

    def _ln(self, x: torch.Tensor, p: str) -> torch.Tensor:
        return F.layer_norm(x, (x.shape[-1],), self.w[f"{p}.weight"], self.w[f"{p}.bias"], self.eps)

    @torch.no_grad()
    def encode(self, ids: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        B, L = ids.shape
        C, H = self.cfg["hidden_size"], self.cfg["num_attention_heads"]
        D = C // H
        e = "bert.embeddings"
        pos = torch.arange(L, dtype=torch.long).unsqueeze(0)
        h = F.embedding(ids, self.w[f"{e}.word_embeddings.weight"]) + F.embedding(types, self.w[f"{e}.token_type_embeddings.weight"])
        h = h + F.embedding(pos, self.w[f"{e}.position_embeddings.weight"])
        h = self._ln(h, f"{e}.LayerNorm")
        heads = lambda t: t.view(B, L, H, D).permute(0, 2, 1, 3)  # noqa: E731
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"bert.encoder.layer.{i}"
            q, k, v = (heads(self._linear(h, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D)
            ctx = torch.matmul(F.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous().view(B, L, C)
            a = self._ln(self._linear(ctx, f"{p}.attention.output.dense") + h, f"{p}.attention.output.LayerNorm")
            mid = self.act(self._linear(a, f"{p}.intermediate.dense"))
            h = self._ln(self._linear(mid, f"{p}.output.dense") + a, f"{p}.output.LayerNorm")
        return h

    @torch.no_grad()
    def mlm_logits(self, h: torch.Tensor) -> torch.Tensor:
        t = self._ln(self.act(self._linear(h, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm")
        if self.cfg["tie_word_embeddings"]:
            dec = self.w["bert.embeddings.word_embeddings.weight"]
            if self.w.has("cls.predictions.decoder.weight"):
                self.w["cls.predictions.decoder.weight"]  # equal to the tied table (checked)
        else:
            dec = self.w["cls.predictions.decoder.weight"]
        if self.w.has("cls.predictions.decoder.bias"):
            self.w["cls.predictions.decoder.bias"]  # equal to cls.predictions.bias (checked)
        return F.linear(t, dec) + self.w["cls.predictions.bias"]

    @torch.no_grad()
    def nsp_logits(self, h: torch.Tensor) -> torch.Tensor:
        pooled = torch.tanh(self._linear(h[:, 0], "bert.pooler.dense"))
        return self._linear(pooled, "cls.seq_relationship")


def pll(logits_fn, ids: list[int], types: list[int], positions: list[int], mask_id: int) -> list[float]:
    """log p(ids[p] | ids with p masked) for each p; logits_fn(masked [N, L], types [N, L]) -> [N, L, V]."""
    masked = torch.tensor([ids] * len(positions), dtype=torch.long)
    for k, p in enumerate(positions):
        masked[k, p] = mask_id
    tt = torch.tensor([types] * len(positions), dtype=torch.long)
    logits = logits_fn(masked, tt)
    out = []
    for k, p in enumerate(positions):
        lp = torch.log_softmax(logits[k, p].to(torch.float64), dim=-1)
        out.append(float(lp[ids[p]]))
    return out


def nsp_log_probs(logits: torch.Tensor) -> dict:
    lp = torch.log_softmax(logits[0].to(torch.float64), dim=-1)
    return {"isNext": float(lp[0]), "notNext": float(lp[1])}


def compare_with_transformers(directory: str, cfg: dict, args, ours: dict) -> dict | None:
    try:
        import transformers
    except ImportError:
        return None
    cls = getattr(transformers, cfg["architecture"])
    model = cls.from_pretrained(directory, torch_dtype=torch.float32)
    model.eval()
    pretraining = cfg["architecture"] == "BertForPreTraining"

    def fn(ids: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            out = model(input_ids=ids, token_type_ids=types)
        return out.prediction_logits if pretraining else out.logits

    theirs = pll(fn, args.ids, args.type_ids, args.positions, args.mask_id)
    diff = max(abs(a - b) for a, b in zip(ours["logProbs"], theirs))
    if pretraining:
        with torch.no_grad():
            out = model(input_ids=torch.tensor([args.ids]), token_type_ids=torch.tensor([args.type_ids]))
        nsp = nsp_log_probs(out.seq_relationship_logits)
        diff = max(diff, abs(nsp["isNext"] - ours["nsp"]["isNext"]), abs(nsp["notNext"] - ours["nsp"]["notNext"]))
    return {"version": transformers.__version__, "maxAbsDiff": diff}


def int_list(name: str, text: str) -> list[int]:
    try:
        return [int(s) for s in text.replace(" ", "").split(",") if s != ""]
    except ValueError:
        raise InputError(f"--{name}: expected comma-separated integers, got {text!r}") from None


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directory", help="exported HF directory (config.json, model.safetensors, vocab.txt, tokenizer.json)")
    ap.add_argument("--ids", required=True, help="comma-separated token ids, [CLS] ... [SEP]")
    ap.add_argument("--type-ids", default=None, help="comma-separated token type ids (default all 0)")
    ap.add_argument("--positions", required=True, help="comma-separated positions to mask and score")
    ap.add_argument("--mask-id", type=int, default=None, help="the [MASK] id (default: from vocab.txt)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--no-transformers", action="store_true")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    try:
        cfg = load_config(os.path.join(args.directory, "config.json"))
        tensors = read_safetensors(os.path.join(args.directory, "model.safetensors"))
        check_layout(cfg, tensors)
        vocab = check_vocab(args.directory, cfg)
        args.ids = int_list("ids", args.ids)
        args.type_ids = int_list("type-ids", args.type_ids) if args.type_ids is not None else [0] * len(args.ids)
        args.positions = int_list("positions", args.positions)
        if args.mask_id is None:
            if "[MASK]" not in vocab:
                raise InputError("vocab.txt has no [MASK]; pass --mask-id")
            args.mask_id = vocab["[MASK]"]
        L = len(args.ids)
        if not 1 <= L <= cfg["max_position_embeddings"]:
            raise InputError(f"--ids: {L} tokens, expected 1..{cfg['max_position_embeddings']}")
        if len(args.type_ids) != L or any(not 0 <= t < cfg["type_vocab_size"] for t in args.type_ids):
            raise InputError(f"--type-ids: expected {L} ids in [0, {cfg['type_vocab_size']})")
        if any(not 0 <= i < cfg["vocab_size"] for i in args.ids + [args.mask_id]):
            raise InputError(f"--ids/--mask-id: outside the vocabulary [0, {cfg['vocab_size']})")
        if not args.positions or any(not 0 <= p < L for p in args.positions):
            raise InputError(f"--positions: expected positions in [0, {L})")
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    w = Tracked(tensors, torch.float64 if args.dtype == "float64" else torch.float32)
    model = BertForward(cfg, w)
    log_probs = pll(lambda ids, tt: model.mlm_logits(model.encode(ids, tt)), args.ids, args.type_ids, args.positions, args.mask_id)
    result: dict = {"logProbs": log_probs, "meanLoss": -sum(log_probs) / len(log_probs)}
    if cfg["architecture"] == "BertForPreTraining":
        h = model.encode(torch.tensor([args.ids]), torch.tensor([args.type_ids]))
        result["nsp"] = nsp_log_probs(model.nsp_logits(h))
    unread = w.unread()
    if unread:
        print(f"error: model.safetensors has tensors the {cfg['architecture']} forward never reads: {', '.join(unread)}", file=sys.stderr)
        return 2
    rc = 0
    if not args.no_transformers:
        cmp = compare_with_transformers(args.directory, cfg, args, result)
        if cmp is not None:
            result["transformers"] = cmp
            if not cmp["maxAbsDiff"] <= args.tol:
                print(f"error: transformers {cfg['architecture']} disagrees: max |logprob diff| {cmp['maxAbsDiff']:.3g} > {args.tol}", file=sys.stderr)
                rc = 1
    print(json.dumps(result, allow_nan=False))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
