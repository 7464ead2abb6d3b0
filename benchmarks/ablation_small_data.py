"""Which parts of the small-data training recipe help (issue 10, section 3): an ablation on one simulated video.

One video (2nm preset, 240 frames, a seed never used in pretraining), strategy N_f 4, N_s 1, the study's random
90/10 split. Every variant trains the "base" PhyDNet for the same number of clips (EPOCHS x CLIPS, batch 8, lr 1e-3
from scratch, 3e-4 from the pretrained model, no teacher forcing unless said), on the CPU, and is scored on the test clips (histogram-matched SSIM,
raw MSE) beside persistence and the input mean:
  - anchor none / last / mean (the decoder predicts the frame, or its change from the last input or input mean);
  - teacher forcing (the authors' schedule: the true frames fed back while training) against none;
  - + augmentation with the 8 symmetries of the square;
  - + warm-up and cosine decay of the learning rate;
  - + early stopping on a validation split (10% of the training clips, patience 2 epochs);
  - from the pretrained base model, with and without augmentation and schedule.

Usage: python benchmarks/ablation_small_data.py [--out temvp-ablation] [--epochs 8] [--clips 64] [--only NAME ...]
"""
import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from temvp.clips import write_clips
from temvp.evaluate import baselines_of, score
from temvp.metrics import METRICS
from temvp.models import forecast
from temvp.pipeline import synth_to_store, track_to_store
from temvp.store import create_store, has, read_stage
from temvp.train import TrainConfig, read_history, train

SSIM, MSE = METRICS.index("ssim"), METRICS.index("mse")
VARIANTS = {
    "anchor none": dict(anchor="none"),
    "anchor last": dict(anchor="last"),
    "anchor mean": dict(anchor="mean"),
    "anchor mean + teacher forcing (the authors' schedule)": dict(anchor="mean", tf_start=1.0),
    "anchor mean + augment": dict(anchor="mean", augment=True),
    "anchor mean + augment + warm-up/cosine": dict(anchor="mean", augment=True, schedule="cosine", warmup=8),
    "anchor mean + augment + warm-up/cosine + early stop": dict(anchor="mean", augment=True, schedule="cosine",
                                                               warmup=8, val_fraction=0.1, early_stop=2),
    "pretrained base, zero-shot": dict(init="base", epochs=0),
    "pretrained base, fine-tuned": dict(init="base", lr=3e-4),
    "pretrained base, fine-tuned + warm-up/cosine": dict(init="base", lr=3e-4, schedule="cosine", warmup=8),
    "pretrained base, fine-tuned + augment + warm-up/cosine": dict(init="base", lr=3e-4, augment=True,
                                                                  schedule="cosine", warmup=8),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="temvp-ablation")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--clips", type=int, default=64)
    p.add_argument("--seed", type=int, default=700)
    p.add_argument("--only", nargs="+", help="variants to run (default all)")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    store = create_store(out / "ablation.zarr")
    label = "2nm"
    if not has(store, "crops", label):
        synth_to_store(store, "2nm", n_frames=240, seed=a.seed, replace=True)
        track_to_store(store)
    write_clips(store, labels_=[label], n_f=(4,), n_s=(1,))
    crops = read_stage(store, "crops", label).crops.values
    rows = []
    for name, over in VARIANTS.items():
        if a.only and name not in a.only:
            continue
        kw = dict(preset="base", epochs=a.epochs, clips_per_epoch=a.clips, batch_size=8, lr=1e-3, val_fraction=0.0, tf_start=0.0,
                  checkpoint_every=1000, device="cpu", bf16="auto", seed=0)
        kw.update(over)
        cfg = TrainConfig(label, n_f=4, n_s=1, **kw)
        run = out / "runs" / name.replace(" ", "_").replace("/", "-").replace(",", "").replace("+", "p")
        t0 = time.time()
        train(store, cfg, run_dir=run, overwrite=True, progress=False)
        spent = time.time() - t0
        pred = forecast(store, label, n_f=4, n_s=1, model=run, split="test")
        frames = pred["frame"].values
        tgt = crops[frames]
        m, _ = score(pred.values, tgt)
        rows.append((name, float(np.nanmean(m[..., SSIM, 1])), float(np.nanmean(m[..., MSE, 0])),
                     len(read_history(run)), round(spent)))
        print(rows[-1], flush=True)
    inp = crops[frames[:, :1] - 1 - np.arange(4)[::-1]]
    for name, b in zip(("persistence", "input mean"), baselines_of(inp, 4)):
        m, _ = score(b, tgt)
        rows.append((name, float(np.nanmean(m[..., SSIM, 1])), float(np.nanmean(m[..., MSE, 0])), 0, 0))
    table = pd.DataFrame(rows, columns=["variant", "SSIM (matched)", "MSE (raw)", "epochs", "seconds"])
    if a.only and (out / "ablation.csv").exists():  # a partial rerun replaces its rows of the earlier table
        old = pd.read_csv(out / "ablation.csv")
        table = pd.concat([old[~old.variant.isin(table.variant)], table], ignore_index=True)
        order = list(VARIANTS) + ["persistence", "input mean"]
        table = table.sort_values("variant", key=lambda v: v.map(order.index)).reset_index(drop=True)
    table.to_csv(out / "ablation.csv", index=False)
    print(table.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
