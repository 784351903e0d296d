#!/usr/bin/env python3
"""Time one fp32 AdamW training step of each `pnpm bench` workload in PyTorch on the CPU.

Usage (from the repository root):

    python3 tools/reference/bench_torch.py
    python3 tools/reference/bench_torch.py --workloads GPT-ref,nsp --threads 2 --warmup 3 --steps 10

Workloads (the same shapes as packages/cli/src/bench.ts, built from the fixture model code):

    GPT-ref      gpt.py GPT: vocab 256, context 128, width 128, 4 layers, 4 heads, MLP 4x, batch 32, tied
    scaling-min  gpt.py GPT: vocab 1024, context 64, width 16, 1 layer, 2 heads, batch 16, tied
    scaling-max  gpt.py GPT: vocab 1024, context 64, width 96, 4 layers, 4 heads, batch 16, tied
    nsp          bert.py BertForPreTraining (pre-norm): vocab 1000, 64 positions, width 64,
                 2 layers, 2 heads, FF 256, batch 32 x 64, MLM labels at 15% of the positions
                 (others -100), NSP labels random 0/1, the last 8 positions of every other row
                 padded, token types 0 / 1 by halves, dropout 0
    spans        t5.py T5 v1.0: vocab 2000, width 64, 2 + 2 layers, 4 heads (dKV 16), FF 256,
                 32 buckets / max distance 128, batch 32, encoder length 64 (row b has
                 4 * (b % 4) padded positions), decoder length 20 (row b ends with b % 3
                 ignored -100 labels), dropout 0

The models are the fixture scripts' own modules (gpt.py, bert.py, t5.py), with two additions for
this benchmark only, so that both sides do the same work as the TypeScript step:

- Dropout at the TypeScript models' sites (BERT / T5 only; the fixtures have none): BERT after
  the embedding LayerNorm, on the attention probabilities and on the attention and MLP outputs;
  T5 on the embedded inputs, the attention probabilities, every sublayer output, after the ReLU
  of the feed-forward and after each stack's final norm. Added through forward hooks, plus a
  stand-in for `F` inside bert.py / t5.py whose softmax applies dropout to its result.
- BERT's MLM head runs only on the labelled positions (gathered first), as BERT.pretrainLoss does;
  the loss is the same as bert.py's all-position one with -100 ignored.

Optimizer: torch.optim.AdamW lr 1e-3, betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on ndim >= 2
(0 otherwise), grad clip 1.0 (packages/train ADAMW_DEFAULTS). Data: a fixed random batch
(seeded), reused every step. A step = zero_grad + forward + backward + clip_grad_norm_ +
optimizer.step + loss.item(). After `warmup` untimed steps, `steps` steps are timed individually
and the median is reported. Tokens per step: GPT and BERT B * T; T5 B * (encoder + decoder length).

Prints one JSON line:

    {"torch": "...", "threads": 2, "openblasThreads": "1", "loadAvg1m": ...,
     "results": [{"name", "tokensPerSec", "medianStepMs", "loss", "tokensPerStep"}, ...]}

loss = loss of the last timed step. Debian's python3-torch uses OpenBLAS (libopenblas0-pthread);
its own thread pool fights torch's, so OPENBLAS_NUM_THREADS defaults to 1 here (only set if not
already in the env, and before torch is imported).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert  # noqa: E402
import gpt  # noqa: E402
import t5  # noqa: E402

LR = 1e-3
BETAS = (0.9, 0.95)
EPS = 1e-8
WEIGHT_DECAY = 0.1
GRAD_CLIP = 1.0

GPT_SHAPES = {
    "GPT-ref": dict(vocabSize=256, blockSize=128, nEmbd=128, nLayer=4, nHead=4, batchSize=32),
    "scaling-min": dict(vocabSize=1024, blockSize=64, nEmbd=16, nLayer=1, nHead=2, batchSize=16),
    "scaling-max": dict(vocabSize=1024, blockSize=64, nEmbd=96, nLayer=4, nHead=4, batchSize=16),
}
# experiments/nsp/config.ts defaults.
NSP = dict(vocabSize=1000, maxLen=64, dModel=64, numLayers=2, numHeads=2, dFF=256, batchSize=32, dropout=0.0, preNorm=True)
NSP_MLM_RATE = 0.15
NSP_PADDED = 8  # padded positions at the end of every other row
# experiments/spans/config.ts defaults; T5_DEFAULTS for the rest.
SPANS = dict(vocabSize=2000, dModel=64, numLayers=2, numHeads=4, dFF=256, batchSize=32, encLen=64, decLen=20, dropout=0.0)
WORKLOADS = [*GPT_SHAPES, "nsp", "spans"]


class _DropoutSoftmax:
    """Stands in for torch.nn.functional inside bert.py / t5.py: softmax then dropout (the
    attention probabilities' dropout); everything else is F's own."""

    def __init__(self, p: float):
        self.p = p

    def __getattr__(self, name: str):
        return getattr(F, name)

    def softmax(self, x: torch.Tensor, dim: int = -1, **kw) -> torch.Tensor:
        return F.dropout(F.softmax(x, dim=dim, **kw), self.p, training=True)


def _drop_output(p: float):
    return lambda _module, _inputs, out: F.dropout(out, p, training=True)


def _drop_input(p: float):
    return lambda _module, inputs: tuple(F.dropout(x, p, training=True) for x in inputs)


def build_gpt(name: str) -> tuple[torch.nn.Module, Callable[[], torch.Tensor], int]:
    s = GPT_SHAPES[name]
    cfg = dict(s, mlpRatio=4, lnEps=1e-5, tied=True)
    torch.manual_seed(0)
    model = gpt.GPT(cfg, tied=True)
    gpt.init_weights(model, torch.Generator().manual_seed(0))
    B, T, V = s["batchSize"], s["blockSize"], s["vocabSize"]
    seq = torch.randint(0, V, (B, T + 1), generator=torch.Generator().manual_seed(1))
    idx, targets = seq[:, :-1].contiguous(), seq[:, 1:].contiguous()
    return model, lambda: model(idx, targets)[1], B * T


def build_bert() -> tuple[torch.nn.Module, Callable[[], torch.Tensor], int]:
    s = NSP
    cfg = dict(
        vocabSize=s["vocabSize"],
        maxLen=s["maxLen"],
        typeVocabSize=2,
        dModel=s["dModel"],
        numLayers=s["numLayers"],
        numHeads=s["numHeads"],
        dFF=s["dFF"],
        layerNormEps=1e-12,
        preNorm=s["preNorm"],
    )
    torch.manual_seed(0)
    model = bert.BertForPreTraining(cfg)
    bert.init_weights(model, torch.Generator().manual_seed(0))
    p = s["dropout"]
    if p > 0:  # as the TypeScript models, which skip dropout at rate 0
        bert.F = _DropoutSoftmax(p)  # attention probabilities (bert.Attention's F.softmax)
        model.bert.embeddings.register_forward_hook(_drop_output(p))
        for layer in model.bert.encoder.layer:
            layer.attn.register_forward_hook(_drop_output(p))
            layer.mlp.register_forward_hook(_drop_output(p))

    g = torch.Generator().manual_seed(1)
    B, T, V, C = s["batchSize"], s["maxLen"], s["vocabSize"], s["dModel"]
    ids = torch.randint(4, V, (B, T), generator=g)
    types = torch.zeros((B, T), dtype=torch.long)
    types[:, T // 2 :] = 1
    mask = torch.ones((B, T), dtype=torch.long)
    mask[1::2, T - NSP_PADDED :] = 0
    labels = torch.full((B * T,), -100, dtype=torch.long)
    real = torch.nonzero(mask.reshape(-1)).squeeze(1)
    n_labels = round(NSP_MLM_RATE * B * T)
    picked = real[torch.randperm(real.numel(), generator=g)[:n_labels]].sort().values
    labels[picked] = ids.reshape(-1)[picked]
    nsp = torch.randint(0, 2, (B,), generator=g)
    word = model.bert.embeddings.word_embeddings
    heads = model.cls

    def loss() -> torch.Tensor:
        h = model.bert.encoder(model.bert.embeddings(ids, types), mask)  # [B, T, C]
        t = heads.predictions.transform(h.reshape(-1, C)[picked])  # [M, C], labelled positions only
        mlm_logits = t @ word.weight.t() + heads.predictions.bias  # [M, V]
        mlm = F.cross_entropy(mlm_logits, labels[picked])
        nsp_loss = F.cross_entropy(heads.seq_relationship(model.bert.pooler(h)), nsp)
        return mlm + nsp_loss

    return model, loss, B * T


def build_t5() -> tuple[torch.nn.Module, Callable[[], torch.Tensor], int]:
    s = SPANS
    cfg = dict(
        vocabSize=s["vocabSize"],
        dModel=s["dModel"],
        numLayers=s["numLayers"],
        numDecoderLayers=s["numLayers"],
        numHeads=s["numHeads"],
        dKV=s["dModel"] // s["numHeads"],
        dFF=s["dFF"],
        numBuckets=32,
        maxDistance=128,
        eps=1e-6,
        padId=0,
        decoderStartId=0,
        eosId=1,
    )
    torch.manual_seed(0)
    model = t5.T5(cfg)
    t5.init_weights(model, torch.Generator().manual_seed(0))
    p = s["dropout"]
    for stack in (model.encoder, model.decoder) if p > 0 else ():  # none at rate 0, as in TypeScript
        stack.final_layer_norm.register_forward_hook(_drop_output(p))
        for blk in stack.block:
            for sub in blk.layer:
                if hasattr(sub, "DenseReluDense"):
                    sub.DenseReluDense.register_forward_hook(_drop_output(p))
                    sub.DenseReluDense.wo.register_forward_pre_hook(_drop_input(p))  # after the ReLU
                else:
                    att = sub.SelfAttention if hasattr(sub, "SelfAttention") else sub.EncDecAttention
                    att.register_forward_hook(_drop_output(p))
    if p > 0:
        t5.F = _DropoutSoftmax(p)  # attention probabilities (t5.T5Attention's F.softmax)
        model.shared.register_forward_hook(_drop_output(p))  # embedded encoder and decoder inputs

    g = torch.Generator().manual_seed(1)
    B, S, T, V = s["batchSize"], s["encLen"], s["decLen"], s["vocabSize"]
    inputs = torch.zeros((B, S), dtype=torch.long)
    mask = torch.zeros((B, S), dtype=torch.long)
    labels = torch.full((B, T), t5.IGNORE, dtype=torch.long)
    for b in range(B):
        n = S - 4 * (b % 4)
        inputs[b, : n - 1] = torch.randint(2, V, (n - 1,), generator=g)
        inputs[b, n - 1] = cfg["eosId"]
        mask[b, :n] = 1
        m = T - b % 3
        labels[b, : m - 1] = torch.randint(2, V, (m - 1,), generator=g)
        labels[b, m - 1] = cfg["eosId"]
    return model, lambda: model(inputs, mask, labels)[2], B * (S + T)


def bench(name: str, warmup: int, steps: int) -> dict:
    if name in GPT_SHAPES:
        model, loss_fn, tokens = build_gpt(name)
    elif name == "nsp":
        model, loss_fn, tokens = build_bert()
    else:
        model, loss_fn, tokens = build_t5()
    model.train()
    params = list(model.parameters())
    opt = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.ndim >= 2], "weight_decay": WEIGHT_DECAY},
            {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
        ],
        lr=LR,
        betas=BETAS,
        eps=EPS,
    )

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP)
        opt.step()
        return loss.item()

    for _ in range(warmup):
        step()
    times: list[float] = []
    loss = float("nan")
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {
        "name": name,
        "tokensPerSec": round(tokens / med, 1),
        "medianStepMs": round(med * 1000, 2),
        "loss": loss,
        "tokensPerStep": tokens,
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma-separated, of {', '.join(WORKLOADS)}")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args(argv)
    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        print(f"unknown workload {unknown[0]!r}; valid: {', '.join(WORKLOADS)}", file=sys.stderr)
        return 2

    torch.set_num_threads(args.threads)
    results = [bench(n, args.warmup, args.steps) for n in names]
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "openblasThreads": os.environ.get("OPENBLAS_NUM_THREADS"),
                "loadAvg1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
                "results": results,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
