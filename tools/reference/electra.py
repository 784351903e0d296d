#!/usr/bin/env python3
"""PyTorch reference fixture for ELECTRA's replaced token detection (Clark et al. 2020), used to
pin packages/models/src/electra.ts: a generator and a discriminator, two BERT encoders sharing
one set of embeddings, trained jointly on mlm(generator) + discWeight * bce(discriminator).

Usage (from the repository root):

    python3 tools/reference/electra.py            # writes the fixture
    python3 tools/reference/electra.py --out DIR  # write it somewhere else

Writes:

    packages/models/src/fixtures/electra-tiny.json   (two cases: pre-norm and post-norm)

Only torch (no `transformers`) and the standard library are needed; the embeddings, encoder
layers and MLM transform are bert.py's modules. CI never runs this script.

Parameter names (electra.ts's store; every dense weight [in, out], y = x @ W + b):

    electra.embeddings.{word,position,token_type}_embeddings.weight, .LayerNorm.*   (shared)
    generator.encoder.layer.{i}.*, generator.encoder.ln_f.*     bert.py's Encoder (ln_f pre-norm only)
    generator_predictions.transform.{dense,LayerNorm}.*, generator_predictions.bias
        (MLM head; decoder tied to electra.embeddings.word_embeddings.weight)
    discriminator.encoder.layer.{i}.*, discriminator.encoder.ln_f.*
    discriminator_predictions.dense.{weight [C, C], bias}
    discriminator_predictions.dense_prediction.{weight [C, 1], bias [1]}

The generator's draw is not reproduced: the fixture fixes one sample per masked position
(ascending flat order), which the TypeScript side passes as pretrainLoss's `samples`.
"""

from __future__ import annotations

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py, bert.py
from bert import CLS, FIRST_WORD, MASK, PAD, SEP, Embeddings, Encoder, Predictions  # noqa: E402
from common import (  # noqa: E402
    DATA_SEED,
    NOISE_STD,
    PARAM_SEED,
    Dense,
    add_vector_noise,
    deterministic,
    f32,
    f32_list,
    f32_tensor,
    gelu_tanh,
    int_tensor,
    named_params,
    param_generator,
    params_record,
    parse_args,
    versions,
    write_fixture,
)

TINY = dict(
    vocabSize=40,
    maxLen=8,
    typeVocabSize=2,
    dModel=16,
    numLayers=2,
    numHeads=2,
    dFF=32,
    layerNormEps=1e-12,
    batchSize=3,
)
GENERATOR = dict(numLayers=1, numHeads=2, dFF=16)
DISC_WEIGHT = 50.0
# Larger than BERT's 0.02 so that the generator's logits and the discriminator's are far from
# uniform / 0 and every gradient is well above the tests' 1e-6 absolute tolerance.
INIT_STD = 0.3


class DiscriminatorPredictions(nn.Module):
    """HF ElectraDiscriminatorPredictions: dense + GELU + dense to one logit per token."""

    def __init__(self, c: int):
        super().__init__()
        self.dense = Dense(c, c)
        self.dense_prediction = Dense(c, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.dense_prediction(gelu_tanh(self.dense(h))).squeeze(-1)  # [B, T]


class Tower(nn.Module):
    """A `<prefix>.encoder` holder, so that names come out as generator.encoder.layer.0.*."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.encoder = Encoder(cfg)


class Electra(nn.Module):
    def __init__(self, cfg: dict, gen_cfg: dict):
        super().__init__()
        self.cfg = cfg
        g = dict(cfg, **gen_cfg)
        self.electra = nn.Module()
        self.electra.embeddings = Embeddings(cfg)
        self.generator = Tower(g)
        self.generator_predictions = Predictions(g)
        self.discriminator = Tower(cfg)
        self.discriminator_predictions = DiscriminatorPredictions(cfg["dModel"])

    def run(self, tower: Tower, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.electra.embeddings(ids, torch.zeros_like(ids))  # token types all 0
        return tower.encoder(x, mask)  # [B, T, C]

    def generator_logits(self, ids, mask) -> torch.Tensor:
        h = self.run(self.generator, ids, mask)
        t = self.generator_predictions.transform(h)
        return t @ self.electra.embeddings.word_embeddings.weight.t() + self.generator_predictions.bias  # [B, T, V]

    def forward(self, ids, mask, mlm_labels, samples, disc_weight):
        V = self.cfg["vocabSize"]
        gen_logits = self.generator_logits(ids, mask)  # [B, T, V]
        flat_labels = mlm_labels.reshape(-1)
        picked = (flat_labels != -100).nonzero().squeeze(-1)  # ascending flat positions
        mlm = F.cross_entropy(gen_logits.reshape(-1, V)[picked], flat_labels[picked])
        # Discriminator inputs: the original tokens, with each masked position replaced by its
        # sample (no gradient flows through the sample); label 1 where it differs from the original.
        original = torch.where(mlm_labels != -100, mlm_labels, ids)
        disc_ids = original.clone().reshape(-1)
        disc_ids[picked] = samples
        disc_ids = disc_ids.view_as(ids)
        disc_labels = (disc_ids != original).to(torch.float32)
        z = self.discriminator_predictions(self.run(self.discriminator, disc_ids, mask))  # [B, T]
        m = mask.to(torch.float32)
        bce = F.binary_cross_entropy_with_logits(z, disc_labels, reduction="none")
        disc = (bce * m).sum() / m.sum()
        total = mlm + disc_weight * disc
        return dict(
            genLogits=gen_logits.reshape(-1, V)[picked],
            discIds=disc_ids,
            discLabels=disc_labels,
            discLogits=z,
            mlm=mlm,
            disc=disc,
            total=total,
        )


def init_weights(model: nn.Module, gen: torch.Generator) -> None:
    """bert.py's init with std INIT_STD: matrices and tables N(0, INIT_STD), LN gains 1, biases 0,
    then N(0, NOISE_STD) on every ndim < 2 param. Order = named_parameters()."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim >= 2:
                p.copy_(torch.normal(0.0, INIT_STD, size=p.shape, generator=gen))
            elif name.endswith(".weight") and ("LayerNorm" in name or ".ln_" in name):
                p.fill_(1.0)
            else:
                p.zero_()
    add_vector_noise(model, gen)


def make_batch(cfg: dict) -> dict:
    """[CLS] words [SEP] [PAD]..., rows of lengths 8, 8 and 5 (row 2 padded); fixed MLM picks
    (most replaced by [MASK], one kept, one random id) and one generator sample per pick."""
    gen = torch.Generator().manual_seed(DATA_SEED)
    B, T, V = cfg["batchSize"], cfg["maxLen"], cfg["vocabSize"]
    assert B == 3 and T == 8
    lengths = [8, 8, 5]
    ids = torch.full((B, T), PAD, dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.long)
    labels = torch.full((B, T), -100, dtype=torch.long)
    for b in range(B):
        n = lengths[b]
        words = torch.randint(FIRST_WORD, V, (n - 2,), generator=gen)
        ids[b, :n] = torch.tensor([CLS] + words.tolist() + [SEP])
        mask[b, :n] = 1
    # (row, position, replacement): MASK, None = keep the original, or an explicit random id.
    picks = [(0, 2, MASK), (0, 5, None), (1, 1, MASK), (1, 3, 17), (1, 6, MASK), (2, 2, MASK), (2, 3, MASK)]
    for b, t, rep in picks:
        assert mask[b, t] == 1 and ids[b, t] >= FIRST_WORD
        labels[b, t] = ids[b, t]
        if rep is not None:
            ids[b, t] = rep
    original = [int(labels[b, t]) for b, t, _ in sorted(picks)]
    # Generator samples in ascending flat order. Pick 0 ([MASK]ed) and pick 1 (kept) sample their
    # original token: not replaced (label 0). The others differ from the original.
    samples = []
    for k, o in enumerate(original):
        if k in (0, 1):
            samples.append(o)
        else:
            s = FIRST_WORD + (o - FIRST_WORD + 7 * k + 3) % (V - FIRST_WORD)
            assert s != o
            samples.append(s)
    return dict(ids=ids, mask=mask, labels=labels, samples=torch.tensor(samples, dtype=torch.long))


def build_case(pre_norm: bool) -> dict:
    cfg = dict(TINY, preNorm=pre_norm)
    gen = param_generator()
    model = Electra(cfg, GENERATOR)
    init_weights(model, gen)
    model.train()  # no dropout anywhere
    batch = make_batch(cfg)
    params = named_params(model)
    out = model(batch["ids"], batch["mask"], batch["labels"], batch["samples"], DISC_WEIGHT)
    grads = torch.autograd.grad(out["total"], list(params.values()), retain_graph=True, allow_unused=True)
    assert all(g is not None for g in grads), [n for n, g in zip(params, grads) if g is None]
    # The MLM loss alone: its gradient reaches the shared embeddings and the generator only.
    emb = {n: p for n, p in params.items() if n.startswith("electra.embeddings.")}
    mlm_grads = torch.autograd.grad(out["mlm"], list(emb.values()), retain_graph=True)
    m = batch["mask"].bool()
    right = ((out["discLogits"] > 0).to(torch.float32) == out["discLabels"])[m]
    picked = batch["labels"] != -100
    return {
        "name": "prenorm" if pre_norm else "postnorm",
        "config": cfg,
        "paramOrder": list(params.keys()),
        "params": params_record(params),
        "genLogits": f32_tensor(out["genLogits"]),
        "discInputs": int_tensor(out["discIds"]),
        "discLabels": int_tensor(out["discLabels"].to(torch.long)),
        "discLogits": f32_tensor(out["discLogits"]),
        "losses": {"mlm": f32(out["mlm"]), "disc": f32(out["disc"]), "total": f32(out["total"])},
        "discAccuracy": float(right.to(torch.float64).mean()),
        "replacedFraction": float(out["discLabels"][picked].to(torch.float64).mean()),
        "grads": {n: f32_list(g) for n, g in zip(params, grads)},
        "mlmGrads": {n: f32_list(g) for n, g in zip(emb, mlm_grads)},
    }


NOTES = [
    "All floats are float32 values written as the shortest decimal that round-trips through float32. "
    "Arrays are flat, row-major (C order).",
    "Model: electra.embeddings = bert.py's Embeddings (LayerNorm(word[ids] + pos[0..T-1] + type[0])), shared by both "
    "encoders; generator.encoder / discriminator.encoder = bert.py's Encoder (post-norm ln_1/ln_2 layers, or pre-norm "
    "layers plus encoder.ln_f), the generator with config merged with `generator` (numLayers, numHeads, dFF). "
    "Attention scale 1/sqrt(C/H), additive (1 - attentionMask[b, s]) * -1e9 on keys. GELU tanh approximation. "
    "LayerNorm eps = config.layerNormEps. No dropout.",
    "genLogits [M, V]: transform(h_gen) @ electra.embeddings.word_embeddings.weight^T + generator_predictions.bias at "
    "the M positions with mlmLabels != -100, in ascending flat (row-major) order; transform = LayerNorm(gelu(dense(h))).",
    "inputs.samples [M]: the generator's draw, fixed, one per masked position in the same order. discInputs [B, T]: "
    "the original tokens (mlmLabels where != -100, else inputIds) with each masked position replaced by its sample; "
    "discLabels [B, T]: 1 where discInputs != original, else 0 (a sample equal to the original is 0: samples 0 and 1).",
    "discLogits [B, T] = dense_prediction(gelu(dense(h_disc))), discriminator_predictions.*. losses.disc = mean over "
    "attentionMask == 1 of BCE-with-logits(discLogits, discLabels); losses.mlm = mean cross-entropy of genLogits; "
    "losses.total = mlm + discWeight * disc. The samples carry no gradient.",
    "grads: d losses.total / d every parameter (paramOrder), unclipped. mlmGrads: d losses.mlm / d each "
    "electra.embeddings.* parameter (the generator's share of the shared embeddings' gradient).",
    "discAccuracy: fraction of real tokens with (discLogits > 0) == discLabels; replacedFraction: mean discLabels over "
    "the masked positions.",
    "Init: torch.Generator seeded with seeds.params, in paramOrder: ndim>=2 ~ N(0, initStd); LN gains 1, biases 0; "
    "then every ndim<2 param += N(0, seeds.biasLnNoiseStd). Both cases start from the same seed.",
    "The key part [C, 2C) of every attn.c_attn.bias has an identically zero gradient (softmax is invariant to a "
    "shift shared by all keys): its grads are rounding noise.",
]


def main(argv: list[str]) -> int:
    args = parse_args(__doc__, argv)
    deterministic()
    batch = make_batch(TINY)
    cases = [build_case(True), build_case(False)]
    fx = {
        "name": "electra-tiny",
        "notes": NOTES,
        "versions": versions("tools/reference/electra.py"),
        "seeds": {"params": PARAM_SEED, "data": DATA_SEED, "biasLnNoiseStd": NOISE_STD},
        "initStd": INIT_STD,
        "generator": GENERATOR,
        "discWeight": DISC_WEIGHT,
        "inputs": {
            "inputIds": int_tensor(batch["ids"]),
            "attentionMask": int_tensor(batch["mask"]),
            "mlmLabels": int_tensor(batch["labels"]),
            "samples": int_tensor(batch["samples"]),
        },
        "cases": cases,
    }
    summary = " ".join(f"{c['name']}={c['losses']}" for c in cases)
    write_fixture(fx, os.path.join(args.out, "electra-tiny.json"), summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
