#!/usr/bin/env python3
"""PyTorch reference fixtures for a tiny BERT encoder, used to pin the TypeScript port.

Usage (from the repository root):

    python3 tools/reference/bert.py            # writes both fixtures
    python3 tools/reference/bert.py --out DIR  # write them somewhere else

Writes:

    packages/models/src/fixtures/bert-tiny-postnorm.json  (BERT as published: LN(x + f(x)))
    packages/models/src/fixtures/bert-tiny-prenorm.json   (x + f(LN(x)), plus a final LayerNorm)

Only torch (plain modules, no `transformers`) and the standard library are needed.
CI never runs this script: it reads the committed JSON fixtures.

The model is the BERT of Devlin et al. with Hugging Face names for the embeddings, pooler and
pretraining heads, and the layers package's GPT-2-style names inside each encoder layer (our
TransformerBlock). Every dense weight is stored [in, out] and applied as ``x @ W + b``.

    bert.embeddings.word_embeddings.weight        [V, C]   (also the MLM decoder, tied)
    bert.embeddings.position_embeddings.weight    [maxLen, C]
    bert.embeddings.token_type_embeddings.weight  [typeVocab, C]
    bert.embeddings.LayerNorm.weight / .bias      [C]
    bert.encoder.layer.{i}.ln_1.weight / .bias          [C]   HF attention.output.LayerNorm (post-norm)
    bert.encoder.layer.{i}.attn.c_attn.weight [C, 3C] / .bias [3C]   HF query | key | value
    bert.encoder.layer.{i}.attn.c_proj.weight [C, C] / .bias [C]     HF attention.output.dense
    bert.encoder.layer.{i}.ln_2.weight / .bias          [C]   HF output.LayerNorm (post-norm)
    bert.encoder.layer.{i}.mlp.c_fc.weight [C, F] / .bias [F]        HF intermediate.dense
    bert.encoder.layer.{i}.mlp.c_proj.weight [F, C] / .bias [C]      HF output.dense
    bert.encoder.ln_f.weight / .bias              [C]      (pre-norm only)
    bert.pooler.dense.weight [C, C] / .bias [C]
    cls.predictions.transform.dense.weight [C, C] / .bias [C]
    cls.predictions.transform.LayerNorm.weight / .bias [C]
    cls.predictions.bias                          [V]
    cls.seq_relationship.weight [C, 2] / .bias [2]

Forward: x = LayerNorm(word[ids] + pos[0..T-1] + type[tokenTypes]) (eps 1e-12); per layer,
post-norm: x = ln_1(x + attn(x)); x = ln_2(x + mlp(x)); pre-norm: x = x + attn(ln_1(x));
x = x + mlp(ln_2(x)), then ln_f. Attention is bidirectional: scores = q k^T / sqrt(C/H)
+ (1 - mask[b, s]) * -1e9 on padded keys, softmax, @ v. GELU = tanh approximation.
MLM: h -> dense -> GELU -> LayerNorm -> h @ word_embeddings^T + cls.predictions.bias.
Pooler: tanh(dense(x[:, 0])). NSP: dense(pooled) -> 2 logits. No dropout.
Loss: mean MLM cross-entropy over positions whose label is not -100, plus mean NSP
cross-entropy over the batch.
"""

from __future__ import annotations

import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py, also when imported from elsewhere
from common import (  # noqa: E402
    DATA_SEED,
    NOISE_STD,
    PARAM_SEED,
    Dense,
    add_vector_noise,
    deterministic,
    f32,
    f32_tensor,
    gelu_tanh,
    grads_at,
    int_tensor,
    named_params,
    optimizer_record,
    param_generator,
    params_record,
    parse_args,
    train_adamw,
    train_record,
    versions,
    write_fixture,
)

TINY = dict(
    vocabSize=40,
    maxLen=12,
    typeVocabSize=2,
    dModel=16,
    numLayers=2,
    numHeads=2,
    dFF=64,
    layerNormEps=1e-12,
    batchSize=3,
)

# Special ids of the tiny vocabulary (only the batch uses them; the model treats all ids alike).
PAD, CLS, SEP, MASK = 0, 1, 2, 3
FIRST_WORD = 4


class Attention(nn.Module):
    def __init__(self, c: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.c_attn = Dense(c, 3 * c)
        self.c_proj = Dense(c, c)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        H = self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, H, C // H).transpose(1, 2)
        k = k.view(B, T, H, C // H).transpose(1, 2)
        v = v.view(B, T, H, C // H).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // H))  # [B, H, T, S]
        bias = (1.0 - mask.to(torch.float32)) * -1e9  # [B, S], as ops.attention's keyPadding
        att = att + bias.view(B, 1, 1, T)
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, c: int, d_ff: int):
        super().__init__()
        self.c_fc = Dense(c, d_ff)
        self.c_proj = Dense(d_ff, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(gelu_tanh(self.c_fc(x)))


class Layer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        c, eps = cfg["dModel"], cfg["layerNormEps"]
        self.pre_norm = cfg["preNorm"]
        self.ln_1 = nn.LayerNorm(c, eps=eps)
        self.attn = Attention(c, cfg["numHeads"])
        self.ln_2 = nn.LayerNorm(c, eps=eps)
        self.mlp = MLP(c, cfg["dFF"])

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.pre_norm:
            x = x + self.attn(self.ln_1(x), mask)
            return x + self.mlp(self.ln_2(x))
        x = self.ln_1(x + self.attn(x, mask))
        return self.ln_2(x + self.mlp(x))


class Embeddings(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        c = cfg["dModel"]
        self.word_embeddings = nn.Embedding(cfg["vocabSize"], c)
        self.position_embeddings = nn.Embedding(cfg["maxLen"], c)
        self.token_type_embeddings = nn.Embedding(cfg["typeVocabSize"], c)
        self.LayerNorm = nn.LayerNorm(c, eps=cfg["layerNormEps"])

    def forward(self, ids: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        T = ids.shape[1]
        pos = torch.arange(T, dtype=torch.long)
        x = self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(types)
        return self.LayerNorm(x)


class Encoder(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.layer = nn.ModuleList([Layer(cfg) for _ in range(cfg["numLayers"])])
        if cfg["preNorm"]:
            self.ln_f = nn.LayerNorm(cfg["dModel"], eps=cfg["layerNormEps"])

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for layer in self.layer:
            x = layer(x, mask)
        return self.ln_f(x) if hasattr(self, "ln_f") else x


class Pooler(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.dense = Dense(c, c)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(h[:, 0]))  # [CLS]


class Bert(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.encoder = Encoder(cfg)
        self.pooler = Pooler(cfg["dModel"])


class Transform(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.dense = Dense(cfg["dModel"], cfg["dModel"])
        self.LayerNorm = nn.LayerNorm(cfg["dModel"], eps=cfg["layerNormEps"])

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(gelu_tanh(self.dense(h)))


class Predictions(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.transform = Transform(cfg)
        self.bias = nn.Parameter(torch.zeros(cfg["vocabSize"]))


class BertForPreTraining(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = cfg
        self.bert = Bert(cfg)
        self.cls = nn.Module()
        self.cls.predictions = Predictions(cfg)
        self.cls.seq_relationship = Dense(cfg["dModel"], 2)

    def forward(self, ids, types, mask, mlm_labels, nsp_labels):
        x = self.bert.embeddings(ids, types)  # [B, T, C]
        h = self.bert.encoder(x, mask)  # [B, T, C]
        t = self.cls.predictions.transform(h)  # [B, T, C]
        mlm_logits = t @ self.bert.embeddings.word_embeddings.weight.t() + self.cls.predictions.bias  # [B, T, V]
        nsp_logits = self.cls.seq_relationship(self.bert.pooler(h))  # [B, 2]
        V = mlm_logits.shape[-1]
        mlm_loss = F.cross_entropy(mlm_logits.reshape(-1, V), mlm_labels.reshape(-1), ignore_index=-100)
        nsp_loss = F.cross_entropy(nsp_logits, nsp_labels)
        return mlm_logits, nsp_logits, mlm_loss, nsp_loss, mlm_loss + nsp_loss


def init_weights(model: BertForPreTraining, gen: torch.Generator) -> None:
    """BERT init (all matrices and tables N(0, 0.02), LN gains 1, biases 0), then noise on
    biases / LN params so that they are not trivially tested. Order = named_parameters()."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim >= 2:
                p.copy_(torch.normal(0.0, 0.02, size=p.shape, generator=gen))
            elif name.endswith(".weight") and ("LayerNorm" in name or ".ln_" in name):  # LayerNorm gain
                p.fill_(1.0)
            else:
                p.zero_()
    add_vector_noise(model, gen)


def make_batch(cfg: dict) -> dict:
    """Sentence pairs [CLS] a [SEP] b [SEP] [PAD]..., rows of lengths 12, 9 and 6; about 15%
    of real non-special tokens chosen for MLM (most replaced by [MASK], one kept, one random)."""
    gen = torch.Generator().manual_seed(DATA_SEED)
    B, T, V = cfg["batchSize"], cfg["maxLen"], cfg["vocabSize"]
    assert B == 3
    lengths = [12, 9, 6]
    first_lens = [5, 3, 2]  # words in segment A
    ids = torch.full((B, T), PAD, dtype=torch.long)
    types = torch.zeros((B, T), dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.long)
    labels = torch.full((B, T), -100, dtype=torch.long)
    for b in range(B):
        n, a = lengths[b], first_lens[b]
        words = torch.randint(FIRST_WORD, V, (n - 3,), generator=gen)
        row = [CLS] + words[:a].tolist() + [SEP] + words[a:].tolist() + [SEP]
        assert len(row) == n
        ids[b, :n] = torch.tensor(row)
        types[b, a + 2 : n] = 1
        mask[b, :n] = 1
    # MLM choices (fixed, so they are visible in the fixture): (row, position, replacement).
    # replacement: MASK, None = keep the original token, or an explicit random id.
    picks = [(0, 2, MASK), (0, 4, None), (0, 8, MASK), (0, 10, 17), (1, 1, MASK), (1, 6, MASK), (2, 1, MASK), (2, 4, 9)]
    for b, t, rep in picks:
        assert mask[b, t] == 1 and ids[b, t] >= FIRST_WORD
        labels[b, t] = ids[b, t]
        if rep is not None:
            ids[b, t] = rep
    nsp = torch.tensor([0, 1, 0], dtype=torch.long)  # 0 = IsNext, 1 = NotNext (HF convention)
    return dict(ids=ids, types=types, mask=mask, labels=labels, nsp=nsp)


def build_fixture(pre_norm: bool) -> dict:
    cfg = dict(TINY, preNorm=pre_norm)
    gen = param_generator()
    model = BertForPreTraining(cfg)
    init_weights(model, gen)
    model.train()  # no dropout anywhere, so train/eval is identical
    batch = make_batch(cfg)
    args = (batch["ids"], batch["types"], batch["mask"], batch["labels"], batch["nsp"])

    params = named_params(model)
    param_out = params_record(params)

    mlm_logits, nsp_logits, mlm_loss, nsp_loss, loss = model(*args)
    grads = grads_at(model, params, loss)

    losses, grad_norms = train_adamw(model, params, lambda: model(*args)[4])
    assert losses[0] == f32(loss)

    return {
        "name": f"bert-tiny-{'prenorm' if pre_norm else 'postnorm'}",
        "notes": NOTES,
        "versions": versions("tools/reference/bert.py"),
        "config": cfg,
        "seeds": {"params": PARAM_SEED, "data": DATA_SEED, "biasLnNoiseStd": NOISE_STD},
        "paramOrder": list(params.keys()),
        "params": param_out,
        "inputs": {
            "inputIds": int_tensor(batch["ids"]),
            "tokenTypeIds": int_tensor(batch["types"]),
            "attentionMask": int_tensor(batch["mask"]),
            "mlmLabels": int_tensor(batch["labels"]),
            "nspLabels": int_tensor(batch["nsp"]),
        },
        "mlmLogits": f32_tensor(mlm_logits),
        "nspLogits": f32_tensor(nsp_logits),
        "losses": {"mlm": f32(mlm_loss), "nsp": f32(nsp_loss), "total": f32(loss)},
        "grads": grads,
        "optimizer": optimizer_record("ndim >= 2 only (matrices and embedding tables); biases and LayerNorm params use 0"),
        "train": train_record(losses, grad_norms, params),
    }


NOTES = [
    "All floats are float32 values written as the shortest decimal that round-trips through float32. "
    "Arrays are flat, row-major (C order).",
    "Names: HF BERT for embeddings, pooler and cls.* heads; GPT-2-style names (ln_1, attn.c_attn, attn.c_proj, ln_2, "
    "mlp.c_fc, mlp.c_proj) inside bert.encoder.layer.{i}. Every dense weight is [in, out], y = x @ W + b. "
    "c_attn output columns are [q | k | v], each C wide; heads split as view(B,T,H,C/H).transpose(1,2). "
    "The MLM decoder is tied: mlm logits = transform(h) @ bert.embeddings.word_embeddings.weight^T + cls.predictions.bias.",
    "Forward: x = LayerNorm(word[inputIds] + pos[0..T-1] + type[tokenTypeIds]); post-norm layers "
    "x = ln_1(x + attn(x)); x = ln_2(x + mlp(x)); pre-norm layers x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)), "
    "then bert.encoder.ln_f. LayerNorm biased variance, eps = config.layerNormEps (1e-12). GELU tanh approximation. "
    "Attention scale 1/sqrt(C/H), additive (1 - attentionMask[b, s]) * -1e9 on keys, softmax. No dropout.",
    "transform(h) = LayerNorm(gelu(dense(h))) (cls.predictions.transform). Pooled = tanh(bert.pooler.dense(h[:, 0])). "
    "nspLogits = cls.seq_relationship(pooled) [B, 2]; nspLabels 0 = IsNext, 1 = NotNext.",
    "inputs: inputIds/tokenTypeIds/attentionMask [B, T] ints (pad id 0, [CLS] 1, [SEP] 2, [MASK] 3); mlmLabels [B, T] "
    "with -100 where ignored (and at every padded position); nspLabels [B].",
    "losses.mlm: mean cross-entropy over positions with mlmLabels != -100; losses.nsp: mean over the batch; "
    "losses.total = mlm + nsp. grads: d total / d param at init, unclipped.",
    "train.losses has steps+1 entries: losses[k] is the total loss just before AdamW update k+1 (losses[0] == "
    "losses.total); the last is after the final update. Every step uses the same batch. Each step: zero grads, forward, "
    "backward, clip_grad_norm_(all params, gradClip), AdamW.step() (torch.optim.AdamW, foreach=False, constant lr; "
    "weight decay only on ndim >= 2). train.gradNorms[k] is the pre-clip global norm at step k+1.",
    "Init: torch.Generator seeded with seeds.params, in paramOrder: ndim>=2 ~ N(0, 0.02); LN gains 1, biases 0; "
    "then every ndim<2 param += N(0, seeds.biasLnNoiseStd).",
    "The key part [C, 2C) of every attn.c_attn.bias has an identically zero gradient (softmax is invariant to a "
    "shift shared by all keys): its grads are rounding noise, and Adam turns that noise into steps of up to lr.",
]


def main(argv: list[str]) -> int:
    args = parse_args(__doc__, argv)
    deterministic()
    for pre_norm in (False, True):
        fx = build_fixture(pre_norm)
        path = os.path.join(args.out, f"bert-tiny-{'prenorm' if pre_norm else 'postnorm'}.json")
        write_fixture(fx, path, f"losses={fx['losses']} train={fx['train']['losses']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
