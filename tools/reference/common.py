"""Shared code of the reference-fixture scripts gpt.py, bert.py and t5.py.

Each script keeps its own model, init, batch and NOTES; this module holds what is the same in
all of them: the shared seeds and AdamW settings, the [in, out] dense layer and tanh GELU,
float32 -> JSON serialisation, the bias/norm noise added after init, the gradient-at-init and
AdamW-with-clipping training loop, the common fixture fields, fixture writing and the
command line (--out) / determinism setup.

The scripts are run as `python3 tools/reference/<name>.py` (Python then puts this folder first
on sys.path); they also insert this folder into sys.path themselves before `import common`, so
that importing them from elsewhere (e.g. bench_gpt.py importing gpt) works as well.

Changing anything here changes every fixture: re-run all three scripts and check that the
committed JSON files stay byte-identical (sha256sum packages/models/src/fixtures/*.json).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

try:  # only used to print shortest float32 decimals (smaller fixtures)
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "packages", "models", "src", "fixtures")

PARAM_SEED = 0
DATA_SEED = 1
NOISE_STD = 0.1
OPT = dict(
    lr=1e-2,
    betas=(0.9, 0.95),
    eps=1e-8,
    weightDecay=0.1,
    gradClip=1.0,
    steps=5,
)


# --- layers shared by gpt.py and bert.py -------------------------------------------------------


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """GPT-2 GELU / the layers package's: 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3))).
    torch >= 1.12 has it fused."""
    if _HAS_GELU_TANH:
        return F.gelu(x, approximate="tanh")
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


try:
    F.gelu(torch.zeros(1), approximate="tanh")
    _HAS_GELU_TANH = True
except TypeError:  # pragma: no cover - torch < 1.12
    _HAS_GELU_TANH = False


class Dense(nn.Module):
    """Weight [in, out], y = x @ W + b (HF GPT-2 Conv1D; the layers package's Linear)."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape[:-1] + (self.weight.shape[1],)
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(shape)


# --- serialisation ----------------------------------------------------------------------------


def f32_list(t: torch.Tensor) -> list[float]:
    """Flat row-major list of float32 values as Python floats (shortest decimal that
    round-trips through float32, so Math.fround / Float32Array recover the exact value)."""
    t = t.detach().to(torch.float32).contiguous().reshape(-1)
    if np is not None:
        return [float(str(v)) for v in t.numpy()]
    return t.tolist()  # exact float32 values printed as doubles


def f32(x: float | torch.Tensor) -> float:
    v = float(x)
    if np is not None:
        return float(str(np.float32(v)))
    return v


def f32_tensor(t: torch.Tensor) -> dict:
    """{"shape", "data"} of a float tensor (data as f32_list)."""
    return {"shape": list(t.shape), "data": f32_list(t)}


def int_tensor(t: torch.Tensor) -> dict:
    """{"shape", "data"} of an integer tensor."""
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


# --- init, gradients, training ----------------------------------------------------------------


def param_generator() -> torch.Generator:
    """Seeds torch's global RNG (module constructors draw from it) and returns the generator
    the scripts' init_weights draw from, both with PARAM_SEED. Call before building the model."""
    torch.manual_seed(PARAM_SEED)
    return torch.Generator().manual_seed(PARAM_SEED)


def add_vector_noise(model: nn.Module, gen: torch.Generator, std: float = NOISE_STD) -> None:
    """Every ndim < 2 parameter (biases, norm gains) += N(0, std), in named_parameters() order,
    so that they are not trivially 0 / 1 in the tests."""
    with torch.no_grad():
        for _, p in model.named_parameters():
            if p.ndim < 2:
                p.add_(torch.normal(0.0, std, size=p.shape, generator=gen))


def named_params(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p for name, p in model.named_parameters()}


def params_record(params: dict[str, torch.Tensor]) -> dict:
    """name -> {"shape", "data"}."""
    return {n: f32_tensor(p) for n, p in params.items()}


def grads_at(model: nn.Module, params: dict[str, torch.Tensor], loss: torch.Tensor) -> dict:
    """Backpropagates `loss` from zeroed grads; name -> flat unclipped gradient."""
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {n: f32_list(p.grad) for n, p in params.items()}


def train_adamw(model: nn.Module, params: dict[str, torch.Tensor], loss_fn: Callable[[], torch.Tensor]) -> tuple[list[float], list[float]]:
    """OPT["steps"] AdamW steps on the same batch (loss_fn() = forward loss).

    AdamW has two param groups (nanoGPT): weight decay for ndim >= 2, none otherwise;
    foreach=False, constant lr. Each step: zero grads, forward, backward,
    clip_grad_norm_(all params, gradClip), step. Returns (losses, gradNorms): losses has
    steps + 1 entries (the loss before each update, then the loss after the last one),
    gradNorms the pre-clip global norm of each step.
    """
    decay = [p for p in params.values() if p.ndim >= 2]
    no_decay = [p for p in params.values() if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": OPT["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=OPT["lr"],
        betas=OPT["betas"],
        eps=OPT["eps"],
        foreach=False,
    )
    losses: list[float] = []
    grad_norms: list[float] = []
    for _ in range(OPT["steps"]):
        opt.zero_grad(set_to_none=True)
        l = loss_fn()
        losses.append(f32(l))
        l.backward()
        grad_norms.append(f32(torch.nn.utils.clip_grad_norm_(model.parameters(), OPT["gradClip"])))
        opt.step()
    with torch.no_grad():
        l = loss_fn()
    losses.append(f32(l))
    return losses, grad_norms


# --- fixture fields, writing, command line ----------------------------------------------------


def versions(generator: str) -> dict:
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__ if np is not None else None,
        "generator": generator,
    }


def optimizer_record(weight_decay_applies: str) -> dict:
    return {
        "type": "AdamW",
        "lr": OPT["lr"],
        "betas": list(OPT["betas"]),
        "eps": OPT["eps"],
        "weightDecay": OPT["weightDecay"],
        "weightDecayApplies": weight_decay_applies,
        "gradClip": OPT["gradClip"],
        "steps": OPT["steps"],
    }


def train_record(losses: list[float], grad_norms: list[float], params: dict[str, torch.Tensor]) -> dict:
    return {"losses": losses, "gradNorms": grad_norms, "paramsAfter": {n: f32_list(p) for n, p in params.items()}}


def write_fixture(fx: dict, path: str, summary: str) -> None:
    """Compact JSON plus a newline, written atomically; prints the path, size and `summary`."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = json.dumps(fx, separators=(",", ":"), allow_nan=False)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {path} ({len(text) / 1024:.0f} KiB) {summary}")


def parse_args(doc: str, argv: list[str]) -> argparse.Namespace:
    """--out DIR (default packages/models/src/fixtures)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    return ap.parse_args(argv)


def deterministic() -> None:
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # identical reductions run to run
