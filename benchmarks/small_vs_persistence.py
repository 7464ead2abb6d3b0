"""The small CPU preset on the simulated 2nm video, time-boxed, against persistence (issue 3, section 4).

Simulates the bundled recipe's 2nm video (seed 2, dose 7000, uncorrected optics) into OUT/study.zarr unless it is
there, tracks and crops 128x128 windows, builds the clip table of one strategy, trains the "small" PhyDNet preset
for at most MINUTES of wall time (whole epochs, resumable), and prints the per-pixel MSE of the predicted frames on
the TEST clips next to persistence's (repeat the last input frame) on the same clips.

Usage: python benchmarks/small_vs_persistence.py [--out temvp-bench] [--minutes 12] [--n-f 6] [--n-s 1]
"""
import argparse
import time
from pathlib import Path

import numpy as np

from temvp.clips import ClipDataset, write_clips
from temvp.pipeline import synth_to_store, track_to_store
from temvp.store import create_store, has
from temvp.train import TrainConfig, predict, read_history, train


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="temvp-bench")
    p.add_argument("--minutes", type=float, default=12.0)
    p.add_argument("--n-f", type=int, default=6)
    p.add_argument("--n-s", type=int, default=1)
    p.add_argument("--n-frames", type=int, default=549)
    p.add_argument("--size", type=int, default=None, help="frame size of the simulation (default: the preset's 480)")
    p.add_argument("--window", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--preset", default="small")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    store = create_store(out / "study.zarr")
    t0 = time.time()
    if not has(store, "crops", "2nm"):
        opts = {"n_frames": a.n_frames, "seed": 2, "dose": 7000.0, "optics": "uncorrected"}
        if a.size:
            opts["size"] = a.size
        synth_to_store(store, "2nm", replace=True, **opts)
        track_to_store(store, labels_=["2nm"], window=a.window)
        print(f"simulated and tracked 2nm in {time.time() - t0:.0f} s", flush=True)
    write_clips(store, labels_=["2nm"], n_f=(a.n_f,), n_s=(a.n_s,))
    cfg = TrainConfig("2nm", n_f=a.n_f, n_s=a.n_s, preset=a.preset, epochs=100000, batch_size=a.batch_size, lr=a.lr,
                      device="cpu", checkpoint_every=100000, val_fraction=0.1)
    run = out / "runs" / cfg.run_name()
    t1, epoch = time.time(), 0
    while True:
        epoch += 1
        train(store, cfg, run_dir=run, resume=epoch > 1, overwrite=epoch == 1, stop_after=epoch, progress=False)
        h = read_history(run)
        last = h.iloc[-1]
        spent = time.time() - t1
        print(f"epoch {int(last.epoch)}: train loss {last.train_loss:.4f}, val MSE {last.val_mse:.4f} "
              f"(persistence {last.val_persistence_mse:.4f}), {last.seconds:.0f} s", flush=True)
        if spent + last.seconds > 60 * a.minutes:
            break
    pred = predict(run, store, split="test", device="cpu")
    ds = ClipDataset(store, "2nm", n_f=a.n_f, n_s=a.n_s, split="test", in_memory=True)
    x = np.stack([ds[i][0].numpy()[:, 0] for i in range(len(ds))])
    y = np.stack([ds[i][1].numpy()[:, 0] for i in range(len(ds))])
    mse = float(((pred.values - y) ** 2).mean())
    pers = float(((x[:, -1:] - y) ** 2).mean())
    mean_in = float(((x.mean(1, keepdims=True) - y) ** 2).mean())
    print(f"\n{cfg.preset} preset, 2nm, N_f {a.n_f}, N_s {a.n_s}: {int(last.epoch)} epochs in {spent / 60:.1f} min")
    print(f"test MSE per pixel ({len(ds)} clips): PhyDNet {mse:.4f}, persistence {pers:.4f}, mean of inputs {mean_in:.4f}")
    print("per lead:", np.round(((pred.values - y) ** 2).mean(axis=(0, 2, 3)), 4).tolist())
    return mse, pers


if __name__ == "__main__":
    main()
