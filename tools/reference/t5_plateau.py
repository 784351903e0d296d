"""The spans plateau check: does the plain-PyTorch T5 (t5.py's model, T5 init) leave the unigram
plateau on the exact span-corruption batches of the spans default? Reads what
experiments/spans/plateau-dump.ts wrote, trains with AdamW (the default's betas and weight decay,
20 warm-up steps, cosine to 0.1 of the peak, clip 1.0) and prints the validation loss per target
token beside the plateau: the loss of a model that predicts every sentinel and </s> exactly and
every other target token by its unigram frequency (counted on the training targets), and the
validation loss when each row's targets are decoded under another row's encoder input: equal
losses mean the decoder does not use the encoder.

    npx tsx experiments/spans/plateau-dump.ts --mean-span 1 --steps 1500 --out /tmp/plateau
    /usr/bin/python3 tools/reference/t5_plateau.py /tmp/plateau --lr 3e-3 --steps 1500
    /usr/bin/python3 tools/reference/t5_plateau.py /tmp/plateau --model '{"dModel": 128, "numHeads": 2, "dFF": 512}'
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import t5 as reference  # noqa: E402


def load(d: Path, name: str, meta: dict):
    B = meta["batchSize"]
    x = np.fromfile(d / f"{name}.in", dtype=np.int32).reshape(-1, B, meta["inputLength"])
    y = np.fromfile(d / f"{name}.lab", dtype=np.int32).reshape(-1, B, meta["targetsLength"])
    return x, y


def plateau(meta: dict, train_labels: np.ndarray, val_labels: np.ndarray) -> float:
    first_sentinel = meta["vocabSize"] - meta["sentinels"]
    is_word = lambda v: (v >= 0) & (v < first_sentinel) & (v != meta["eosId"])  # noqa: E731
    t = train_labels[is_word(train_labels)]
    p = np.bincount(t, minlength=meta["vocabSize"]) + 0.5
    p = p / p.sum()
    v = val_labels[val_labels >= 0]
    return float(-np.log(p[v[is_word(v)]]).sum() / len(v))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--model", default="{}", help="JSON overrides of the dumped model config")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    meta = json.loads((args.dir / "meta.json").read_text())
    tx, ty = load(args.dir, "train", meta)
    vx, vy = load(args.dir, "val", meta)
    m = {**meta["model"], **json.loads(args.model)}
    cfg = dict(
        vocabSize=meta["vocabSize"], dModel=m["dModel"], numLayers=m["numLayers"], numDecoderLayers=m["numLayers"],
        numHeads=m["numHeads"], dKV=m.get("dKV") or m["dModel"] // m["numHeads"], dFF=m["dFF"],
        numBuckets=32, maxDistance=128, eps=1e-6, padId=0, decoderStartId=0, eosId=meta["eosId"],
    )  # fmt: skip
    model = reference.T5(cfg)
    reference.init_weights(model, torch.Generator().manual_seed(1), gain_noise=False)  # T5 init, gains 1
    pt = meta["pretrain"]
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(pt["beta1"], pt["beta2"]), eps=1e-8, weight_decay=pt["weightDecay"])

    def lr_at(s: int) -> float:
        if s < 20:
            return args.lr * (s + 1) / 20
        q = (s - 20) / max(1, args.steps - 20)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * q)))

    def batch(x, y, i):
        xi, yi = torch.from_numpy(x[i]).long(), torch.from_numpy(y[i]).long()
        return xi, (xi != 0).long(), yi

    def val_loss(mismatched: bool = False) -> float:
        """Per target token; mismatched: each row's targets under the next row's encoder input."""
        model.eval()
        total, n = 0.0, 0
        with torch.no_grad():
            for i in range(vx.shape[0]):
                x, mask, y = batch(vx, vy, i)
                if mismatched:
                    x, mask = x.roll(1, 0), mask.roll(1, 0)
                k = int((y != -100).sum())
                total += float(model(x, mask, y)[2]) * k
                n += k
        model.train()
        return total / n

    print(f"plateau (sentinels exact, words by unigram): {plateau(meta, ty, vy):.3f} nats per target token; model {json.dumps(m)}")
    t0 = time.time()
    for s in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(s)
        loss = model(*batch(tx, ty, s % tx.shape[0]))[2]
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if s % 100 == 0 or s == args.steps - 1:
            # What the encoder adds: the loss when each row is decoded under another row's input.
            print(
                f"step {s}: train {float(loss):.3f}, val {val_loss():.3f}, val under mismatched inputs {val_loss(True):.3f} ({time.time() - t0:.0f} s)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
