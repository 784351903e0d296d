#!/usr/bin/env python3
"""PyTorch reference fixture for DistilBERT's distillation (Sanh et al. 2019), used to pin
packages/models/src/distilbert.ts: the student initialised from every other teacher layer, and
the loss of Hugging Face's distillation script (examples/research_projects/distillation/
distiller.py) with --alpha_ce 5 --alpha_mlm 2 --alpha_cos 1 --temperature 2 (its README's
DistilBERT command) and restrict_ce_to_mask.

Usage (from the repository root):

    python3 tools/reference/distil.py            # writes the fixture
    python3 tools/reference/distil.py --out DIR  # write it somewhere else

Writes:

    packages/models/src/fixtures/distil-tiny.json

Only torch (no `transformers`) and the standard library are needed; the teacher and student
are bert.py's BertForPreTraining. CI never runs this script.

Two parts:

1. `functions`: the three loss terms on random tensors (no model), each with its gradient with
   respect to the student's inputs (the teacher's take none: it runs under no_grad):
     softTarget = KLDivLoss(batchmean)(log_softmax(s / T), softmax(t / T)) * T^2   over rows [N, V]
     mlm        = cross_entropy(s, labels, ignore_index=-100)                       over rows [N, V]
     cosine     = CosineEmbeddingLoss(mean)(hs[m], ht[m], 1) = mean over real positions of 1 - cos
     total      = alphaCE * softTarget + alphaMLM * mlm + alphaCos * cosine
2. `model`: a 4-layer teacher, the 2-layer student made from its layers 0 and 2 (every other
   layer, the paper's "one layer out of two"; no NSP head), both run on bert.py's padded batch
   with token types all 0 (DistilBERT has none, and the script calls the teacher without them);
   the logits at the masked positions, the last hidden states, the losses, and d total / d every
   student parameter.
"""

from __future__ import annotations

import os
import re
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py, bert.py
from bert import BertForPreTraining, make_batch  # noqa: E402
from common import (  # noqa: E402
    DATA_SEED,
    NOISE_STD,
    PARAM_SEED,
    add_vector_noise,
    deterministic,
    f32,
    f32_list,
    f32_tensor,
    int_tensor,
    named_params,
    param_generator,
    params_record,
    parse_args,
    versions,
    write_fixture,
)

# The script's DistilBERT run (README: --alpha_ce 5.0 --alpha_mlm 2.0 --alpha_cos 1.0
# --alpha_clm 0.0 --mlm; train.py's --temperature default 2.0).
WEIGHTS = dict(temperature=2.0, alphaCE=5.0, alphaMLM=2.0, alphaCos=1.0)

TEACHER = dict(
    vocabSize=40,
    maxLen=12,
    typeVocabSize=2,
    dModel=8,
    numLayers=4,
    numHeads=2,
    dFF=32,
    layerNormEps=1e-12,
    preNorm=False,
    batchSize=3,
)
STUDENT_LAYERS = [0, 2]  # teacher layer of each student layer
# Larger than BERT's 0.02 so that the teacher's soft targets are far from uniform and every
# loss term (and its gradient) is well away from zero.
INIT_STD = 0.3


def soft_target_loss(s: torch.Tensor, t: torch.Tensor, temperature: float) -> torch.Tensor:
    """distiller.py's loss_ce (ce_loss_fct = nn.KLDivLoss(reduction="batchmean"))."""
    kl = nn.KLDivLoss(reduction="batchmean")
    return kl(F.log_softmax(s / temperature, dim=-1), F.softmax(t / temperature, dim=-1)) * temperature**2


def cosine_loss(hs: torch.Tensor, ht: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """distiller.py's loss_cos: rows of the last hidden states at attentionMask == 1."""
    dim = hs.shape[-1]
    m = mask.bool().unsqueeze(-1).expand_as(hs)
    s = torch.masked_select(hs, m).view(-1, dim)
    t = torch.masked_select(ht, m).view(-1, dim)
    target = s.new(s.size(0)).fill_(1)
    return nn.CosineEmbeddingLoss(reduction="mean")(s, t, target)


def losses(s_logits, t_logits, labels, hs, ht, mask, w) -> dict:
    ce = soft_target_loss(s_logits, t_logits, w["temperature"])
    mlm = F.cross_entropy(s_logits, labels, ignore_index=-100)
    cos = cosine_loss(hs, ht, mask)
    total = w["alphaCE"] * ce + w["alphaMLM"] * mlm + w["alphaCos"] * cos
    return dict(softTarget=ce, mlm=mlm, cosine=cos, total=total)


def function_case(name: str, gen: torch.Generator, N: int, V: int, shape: tuple, w: dict, scale: float) -> dict:
    """Random student/teacher rows and hidden states; every term and its input gradients."""
    B, T, C = shape
    s = (torch.randn(N, V, generator=gen) * scale).requires_grad_(True)
    t = torch.randn(N, V, generator=gen) * scale * 1.5
    labels = torch.randint(0, V, (N,), generator=gen)
    labels[1] = -100  # one ignored row: counts for the soft targets, not for the MLM mean
    hs = torch.randn(B, T, C, generator=gen).requires_grad_(True)
    ht = torch.randn(B, T, C, generator=gen) + 0.5 * hs.detach()
    mask = torch.ones(B, T, dtype=torch.long)
    mask[0, T - 2 :] = 0
    mask[B - 1, T - 1] = 0
    out = losses(s, t, labels, hs, ht, mask, w)
    grads = {}
    for term in ("softTarget", "mlm", "cosine", "total"):
        gs, gh = torch.autograd.grad(out[term], [s, hs], retain_graph=True, allow_unused=True)
        grads[term] = {
            "studentLogits": f32_list(gs if gs is not None else torch.zeros_like(s)),
            "studentHidden": f32_list(gh if gh is not None else torch.zeros_like(hs)),
        }
    return {
        "name": name,
        "weights": w,
        "inputs": {
            "studentLogits": f32_tensor(s),
            "teacherLogits": f32_tensor(t),
            "labels": int_tensor(labels),
            "studentHidden": f32_tensor(hs),
            "teacherHidden": f32_tensor(ht),
            "attentionMask": int_tensor(mask),
        },
        "losses": {k: f32(v) for k, v in out.items()},
        "grads": grads,
    }


def init_teacher(model: nn.Module, gen: torch.Generator) -> None:
    """bert.py's init_weights with std INIT_STD for matrices and tables."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim >= 2:
                p.copy_(torch.normal(0.0, INIT_STD, size=p.shape, generator=gen))
            elif name.endswith(".weight") and ("LayerNorm" in name or ".ln_" in name):
                p.fill_(1.0)
            else:
                p.zero_()
    add_vector_noise(model, gen)


def student_from_teacher(teacher: BertForPreTraining, layers: list[int]) -> BertForPreTraining:
    """extract_distilbert.py's idea: copy embeddings, MLM head (and here the pooler), and
    student layer i from teacher layer layers[i]."""
    cfg = dict(teacher.cfg, numLayers=len(layers))
    student = BertForPreTraining(cfg)
    del student.cls.seq_relationship  # DistilBERT has no NSP
    src = dict(teacher.named_parameters())
    with torch.no_grad():
        for name, p in student.named_parameters():
            m = re.match(r"bert\.encoder\.layer\.(\d+)\.(.*)", name)
            from_name = f"bert.encoder.layer.{layers[int(m.group(1))]}.{m.group(2)}" if m else name
            p.copy_(src[from_name])
    return student


def encode_and_logits(model: BertForPreTraining, ids, types, mask):
    h = model.bert.encoder(model.bert.embeddings(ids, types), mask)  # [B, T, C]
    t = model.cls.predictions.transform(h)
    logits = t @ model.bert.embeddings.word_embeddings.weight.t() + model.cls.predictions.bias  # [B, T, V]
    return h, logits


def model_case(w: dict) -> dict:
    gen = param_generator()
    teacher = BertForPreTraining(dict(TEACHER))
    init_teacher(teacher, gen)
    student = student_from_teacher(teacher, STUDENT_LAYERS)
    batch = make_batch(TEACHER)
    ids, mask, labels = batch["ids"], batch["mask"], batch["labels"]
    types = torch.zeros_like(ids)
    picked = labels.reshape(-1) != -100  # restrict_ce_to_mask: the masked positions
    V = TEACHER["vocabSize"]
    with torch.no_grad():
        ht, t_logits = encode_and_logits(teacher, ids, types, mask)
    hs, s_logits = encode_and_logits(student, ids, types, mask)
    s_rows = s_logits.reshape(-1, V)[picked]  # [M, V]
    t_rows = t_logits.reshape(-1, V)[picked]
    out = losses(s_rows, t_rows, labels.reshape(-1)[picked], hs, ht, mask, w)
    sparams = named_params(student)
    student.zero_grad(set_to_none=True)
    out["total"].backward()
    # Without NSP the pooler is unused: it takes no gradient (as RoBERTa's).
    grads = {n: f32_list(p.grad) for n, p in sparams.items() if p.grad is not None}
    no_grad = [n for n, p in sparams.items() if p.grad is None]
    return {
        "teacherConfig": TEACHER,
        "studentLayers": STUDENT_LAYERS,
        "initStd": INIT_STD,
        "teacherParams": params_record(named_params(teacher)),
        "studentParamNames": list(sparams.keys()),
        "studentParamsWithoutGrad": no_grad,
        "inputs": {
            "inputIds": int_tensor(ids),
            "attentionMask": int_tensor(mask),
            "mlmLabels": int_tensor(labels),
        },
        "studentLogits": f32_tensor(s_rows),
        "teacherLogits": f32_tensor(t_rows),
        "studentHidden": f32_tensor(hs),
        "teacherHidden": f32_tensor(ht),
        "losses": {k: f32(v) for k, v in out.items()},
        "grads": grads,
    }


NOTES = [
    "All floats are float32 values written as the shortest decimal that round-trips through float32. "
    "Arrays are flat, row-major (C order).",
    "softTarget = T^2 * (1/N) sum_rows sum_v p_t (log p_t - log p_s), p = softmax(logits / T) (torch KLDivLoss batchmean). "
    "mlm = mean cross-entropy of the student rows over labels != -100. cosine = mean over positions with attentionMask 1 "
    "of 1 - <hs, ht> / sqrt((|hs|^2 + 1e-12)(|ht|^2 + 1e-12)) (torch CosineEmbeddingLoss, target 1). "
    "total = alphaCE * softTarget + alphaMLM * mlm + alphaCos * cosine (weights in each case).",
    "functions[i].grads[term]: d term / d studentLogits and d term / d studentHidden (zeros where a term does not depend "
    "on an input). Teacher tensors take no gradient (the script's teacher runs under no_grad).",
    "model: teacher = bert-tiny's BertForPreTraining (tools/reference/bert.py) with model.teacherConfig, init as bert.py's "
    "but matrices and tables ~ N(0, model.initStd); student = same config with numLayers = len(studentLayers), no "
    "cls.seq_relationship, every parameter copied from the teacher by name except bert.encoder.layer.{i}.* <- "
    "bert.encoder.layer.{studentLayers[i]}.*.",
    "model inputs: bert-tiny's padded batch (inputIds with [MASK]/random/kept replacements, attentionMask, mlmLabels); "
    "token types are all 0 for both models. studentLogits/teacherLogits [M, V]: the MLM logits at the M positions with "
    "mlmLabels != -100, in row-major order (restrict_ce_to_mask). studentHidden/teacherHidden [B, T, C]: last hidden states.",
    "model.grads: d losses.total / d every student parameter (studentParamNames) but those in studentParamsWithoutGrad "
    "(the pooler, unused without NSP), unclipped.",
]


def main(argv: list[str]) -> int:
    args = parse_args(__doc__, argv)
    deterministic()
    gen = torch.Generator().manual_seed(DATA_SEED)
    functions = [
        function_case("script-weights", gen, 6, 11, (2, 5, 6), WEIGHTS, 2.0),
        function_case(
            "temperature-1-other-weights",
            gen,
            6,
            11,
            (2, 5, 6),
            dict(temperature=1.0, alphaCE=0.5, alphaMLM=0.25, alphaCos=3.0),
            2.0,
        ),
        function_case("temperature-4-peaked", gen, 6, 11, (2, 5, 6), dict(WEIGHTS, temperature=4.0), 12.0),
    ]
    fx = {
        "name": "distil-tiny",
        "notes": NOTES,
        "versions": versions("tools/reference/distil.py"),
        "seeds": {"params": PARAM_SEED, "data": DATA_SEED, "biasLnNoiseStd": NOISE_STD},
        "defaultWeights": WEIGHTS,
        "functions": functions,
        "model": model_case(WEIGHTS),
    }
    write_fixture(fx, os.path.join(args.out, "distil-tiny.json"), f"model losses={fx['model']['losses']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
