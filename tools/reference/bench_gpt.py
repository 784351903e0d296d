#!/usr/bin/env python3
"""Time one fp32 AdamW training step of "GPT-ref" in PyTorch on the CPU.

Usage (from the repository root):

    python3 tools/reference/bench_gpt.py
    python3 tools/reference/bench_gpt.py --threads 2 --warmup 3 --steps 10

GPT-ref: vocab 256, context 128, width 128, 4 layers, 4 heads, MLP 4x, batch 32,
tied embeddings, the same model code as tools/reference/gpt.py (GPT-2 layout, tanh GELU,
pre-norm, no dropout). Optimizer: AdamW lr 1e-3, betas (0.9, 0.95), wd 0.1 on ndim >= 2,
grad clip 1.0. Data: a fixed random batch (seeded), reused every step.

A step = zero_grad + forward + backward + clip_grad_norm_ + optimizer.step. After `warmup`
untimed steps, `steps` steps are timed individually and the median is reported.
Prints one JSON line:

    {"tokensPerSec": ..., "stepMs": ..., "torch": "...", "threads": 2, "loss": ...}

tokensPerSec = batch * context / median step seconds; loss = loss of the last timed step;
openblasThreads and loadAvg1m (1-minute load average at the end) are context for the number.

Debian's python3-torch uses OpenBLAS (libopenblas0-pthread); its own thread pool fights
torch's, so OPENBLAS_NUM_THREADS defaults to 1 here (only set if not already in the env,
and before torch is imported).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt import GPT, init_weights  # noqa: E402

GPT_REF = dict(
    vocabSize=256,
    blockSize=128,
    nEmbd=128,
    nLayer=4,
    nHead=4,
    mlpRatio=4,
    batchSize=32,
    lnEps=1e-5,
)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = dict(GPT_REF, tied=True)
    model = GPT(cfg, tied=True)
    init_weights(model, torch.Generator().manual_seed(0))
    model.train()

    B, T, V = cfg["batchSize"], cfg["blockSize"], cfg["vocabSize"]
    seq = torch.randint(0, V, (B, T + 1), generator=torch.Generator().manual_seed(1))
    idx, targets = seq[:, :-1].contiguous(), seq[:, 1:].contiguous()

    params = list(model.parameters())
    opt = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.ndim >= 2], "weight_decay": 0.1},
            {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
        ],
        lr=1e-3,
        betas=(0.9, 0.95),
        eps=1e-8,
    )

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        _, loss = model(idx, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    times: list[float] = []
    loss = float("nan")
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(
        json.dumps(
            {
                "tokensPerSec": round(B * T / med, 1),
                "stepMs": round(med * 1000, 2),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "loss": loss,
                "openblasThreads": os.environ.get("OPENBLAS_NUM_THREADS"),
                "loadAvg1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
