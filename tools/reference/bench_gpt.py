#!/usr/bin/env python3
"""Time one fp32 AdamW training step of "GPT-ref" in PyTorch on the CPU (kept for old commands).

Superseded by bench_torch.py, which times every `pnpm bench` workload; this runs its GPT-ref
only and prints the old one-line JSON:

    python3 tools/reference/bench_gpt.py [--threads 2] [--warmup 3] [--steps 10]

    {"tokensPerSec": ..., "stepMs": ..., "torch": "...", "threads": 2, "loss": ...,
     "openblasThreads": ..., "loadAvg1m": ...}

OPENBLAS_NUM_THREADS defaults to 1 (set by bench_torch before torch is imported).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_torch  # noqa: E402  (sets OPENBLAS_NUM_THREADS, imports torch)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args(argv)
    torch = bench_torch.torch
    torch.set_num_threads(args.threads)
    r = bench_torch.bench("GPT-ref", args.warmup, args.steps)
    print(
        json.dumps(
            {
                "tokensPerSec": r["tokensPerSec"],
                "stepMs": r["medianStepMs"],
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "loss": r["loss"],
                "openblasThreads": os.environ.get("OPENBLAS_NUM_THREADS"),
                "loadAvg1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
