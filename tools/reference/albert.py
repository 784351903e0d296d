#!/usr/bin/env python3
"""PyTorch reference fixture for a tiny ALBERT (Lan et al. 2020), used to pin the TypeScript
port: packages/models' BERT with `embeddingSize` < dModel and `shareLayers` (albert.ts).

Usage (from the repository root):

    python3 tools/reference/albert.py            # writes the fixture
    python3 tools/reference/albert.py --out DIR  # write it somewhere else

Writes:

    packages/models/src/fixtures/albert-tiny.json

Only torch (plain modules, no `transformers`) and the standard library are needed.
CI never runs this script: it reads the committed JSON fixture.

The model is HF's AlbertForPreTraining with our parameter names (the mapping to HF's is in
packages/models/src/albert.ts). It reuses bert.py's attention, feed-forward, post-norm layer,
pooler, init and batch; what ALBERT changes:

    bert.embeddings.{word,position,token_type}_embeddings.weight  [*, E]  (E = embeddingSize < C)
    bert.embeddings.LayerNorm.weight / .bias                      [E]
    bert.encoder.embedding_hidden_mapping_in.weight [E, C] / .bias [C]
    bert.encoder.shared_layer.*         one bert.py Layer, applied numLayers times
    cls.predictions.transform.dense.weight [C, E] / .bias [E]
    cls.predictions.transform.LayerNorm.weight / .bias [E]
    cls.predictions.bias [V]            decoder tied to the E-wide word embeddings
    cls.seq_relationship.weight [C, 2] / .bias [2]   the SOP head (HF: sop_classifier.classifier)

Forward: x = LayerNorm(word[ids] + pos + type[types]) [B, T, E]; x = x @ W_map + b [B, T, C];
numLayers times x = shared_layer(x, mask); MLM logits = LN(gelu(h @ W_t + b_t)) @ word^T + bias;
SOP logits = cls.seq_relationship(tanh(pooler(h[:, 0]))). Loss = MLM mean CE + SOP mean CE.
"""

from __future__ import annotations

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py, bert.py
from bert import Layer, Pooler, init_weights, make_batch  # noqa: E402
from common import (  # noqa: E402
    DATA_SEED,
    NOISE_STD,
    PARAM_SEED,
    Dense,
    deterministic,
    f32,
    f32_tensor,
    gelu_tanh,
    grads_at,
    int_tensor,
    named_params,
    param_generator,
    params_record,
    parse_args,
    versions,
    write_fixture,
)

# bert.py's tiny sizes, with E = C / 2 and three layers sharing one block (so the shared
# weights' gradient sums three applications).
TINY = dict(
    vocabSize=40,
    maxLen=12,
    typeVocabSize=2,
    dModel=16,
    embeddingSize=8,
    numLayers=3,
    numHeads=2,
    dFF=32,
    layerNormEps=1e-12,
    preNorm=False,
    shareLayers=True,
    batchSize=3,
)

# SOP labels of the three rows: 0 = segments in document order, 1 = swapped (ALBERT's
# sentence_order_label; objectives' segment-pair-sop). The model sees only the classes.
SOP_LABELS = [1, 0, 1]


class Embeddings(nn.Module):
    """bert.py's Embeddings, E wide (HF's AlbertEmbeddings)."""

    def __init__(self, cfg: dict):
        super().__init__()
        e = cfg["embeddingSize"]
        self.word_embeddings = nn.Embedding(cfg["vocabSize"], e)
        self.position_embeddings = nn.Embedding(cfg["maxLen"], e)
        self.token_type_embeddings = nn.Embedding(cfg["typeVocabSize"], e)
        self.LayerNorm = nn.LayerNorm(e, eps=cfg["layerNormEps"])

    def forward(self, ids: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(ids.shape[1], dtype=torch.long)
        x = self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(types)
        return self.LayerNorm(x)  # [B, T, E]


class Encoder(nn.Module):
    """HF's AlbertTransformer with one layer group of one layer (every ALBERT release)."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.num_layers = cfg["numLayers"]
        self.embedding_hidden_mapping_in = Dense(cfg["embeddingSize"], cfg["dModel"])
        self.shared_layer = Layer(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.embedding_hidden_mapping_in(x)  # [B, T, C]
        for _ in range(self.num_layers):
            x = self.shared_layer(x, mask)
        return x


class Albert(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.encoder = Encoder(cfg)
        self.pooler = Pooler(cfg["dModel"])


class Transform(nn.Module):
    """HF's AlbertMLMHead before the decoder: dense C -> E, gelu_new, LayerNorm(E)."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.dense = Dense(cfg["dModel"], cfg["embeddingSize"])
        self.LayerNorm = nn.LayerNorm(cfg["embeddingSize"], eps=cfg["layerNormEps"])

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(gelu_tanh(self.dense(h)))


class Predictions(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.transform = Transform(cfg)
        self.bias = nn.Parameter(torch.zeros(cfg["vocabSize"]))


class AlbertForPreTraining(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.bert = Albert(cfg)
        self.cls = nn.Module()
        self.cls.predictions = Predictions(cfg)
        self.cls.seq_relationship = Dense(cfg["dModel"], 2)

    def forward(self, ids, types, mask, mlm_labels, sop_labels):
        x = self.bert.embeddings(ids, types)  # [B, T, E]
        h = self.bert.encoder(x, mask)  # [B, T, C]
        t = self.cls.predictions.transform(h)  # [B, T, E]
        mlm_logits = t @ self.bert.embeddings.word_embeddings.weight.t() + self.cls.predictions.bias  # [B, T, V]
        sop_logits = self.cls.seq_relationship(self.bert.pooler(h))  # [B, 2]
        V = mlm_logits.shape[-1]
        mlm_loss = F.cross_entropy(mlm_logits.reshape(-1, V), mlm_labels.reshape(-1), ignore_index=-100)
        sop_loss = F.cross_entropy(sop_logits, sop_labels)
        return mlm_logits, sop_logits, mlm_loss, sop_loss, mlm_loss + sop_loss


def build_fixture() -> dict:
    cfg = dict(TINY)
    gen = param_generator()
    model = AlbertForPreTraining(cfg)
    init_weights(model, gen)
    batch = make_batch(cfg)
    sop = torch.tensor(SOP_LABELS, dtype=torch.long)
    args = (batch["ids"], batch["types"], batch["mask"], batch["labels"], sop)

    params = named_params(model)
    param_out = params_record(params)
    mlm_logits, sop_logits, mlm_loss, sop_loss, loss = model(*args)
    grads = grads_at(model, params, loss)
    return {
        "name": "albert-tiny",
        "notes": NOTES,
        "versions": versions("tools/reference/albert.py"),
        "config": cfg,
        "seeds": {"params": PARAM_SEED, "data": DATA_SEED, "biasLnNoiseStd": NOISE_STD},
        "paramOrder": list(params.keys()),
        "params": param_out,
        "inputs": {
            "inputIds": int_tensor(batch["ids"]),
            "tokenTypeIds": int_tensor(batch["types"]),
            "attentionMask": int_tensor(batch["mask"]),
            "mlmLabels": int_tensor(batch["labels"]),
            "sopLabels": int_tensor(sop),
        },
        "mlmLogits": f32_tensor(mlm_logits),
        "sopLogits": f32_tensor(sop_logits),
        "losses": {"mlm": f32(mlm_loss), "sop": f32(sop_loss), "total": f32(loss)},
        "grads": grads,
    }


NOTES = [
    "All floats are float32 values written as the shortest decimal that round-trips through float32. "
    "Arrays are flat, row-major (C order).",
    "Names: bert-tiny's (tools/reference/bert.py), plus bert.encoder.embedding_hidden_mapping_in (HF Albert's name) "
    "and bert.encoder.shared_layer.* (HF albert.encoder.albert_layer_groups.0.albert_layers.0.*) for the one block "
    "that every one of config.numLayers layers applies. Every dense weight is [in, out], y = x @ W + b.",
    "Forward: x = LayerNorm(word[inputIds] + pos[0..T-1] + type[tokenTypeIds]) with width config.embeddingSize (E); "
    "x = embedding_hidden_mapping_in(x) (E -> dModel); then numLayers times x = ln_1(x + attn(x)); x = ln_2(x + mlp(x)) "
    "with the shared weights. LayerNorm eps 1e-12, GELU tanh approximation, attention scale 1/sqrt(C/H), additive "
    "(1 - attentionMask[b, s]) * -1e9 on keys. No dropout (ALBERT's own configs have none).",
    "mlmLogits = LayerNorm_E(gelu(dense_{C->E}(h))) @ bert.embeddings.word_embeddings.weight^T + cls.predictions.bias "
    "(HF AlbertMLMHead: decoder tied to the E-wide table). sopLogits = cls.seq_relationship(tanh(bert.pooler.dense(h[:, 0]))).",
    "inputs: bert-tiny's padded pair batch; sopLabels [B]: 0 = in document order, 1 = swapped (ALBERT's sentence_order_label).",
    "losses.mlm: mean cross-entropy over positions with mlmLabels != -100; losses.sop: mean over the batch; total = mlm + sop. "
    "grads: d total / d param at init, unclipped (the shared block's gradient sums its numLayers applications).",
    "Init: bert.py's init_weights (torch.Generator seeded with seeds.params, in paramOrder: ndim>=2 ~ N(0, 0.02); "
    "LN gains 1, biases 0; then every ndim<2 param += N(0, seeds.biasLnNoiseStd)).",
]


def main(argv: list[str]) -> int:
    args = parse_args(__doc__, argv)
    deterministic()
    fx = build_fixture()
    write_fixture(fx, os.path.join(args.out, "albert-tiny.json"), f"losses={fx['losses']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
