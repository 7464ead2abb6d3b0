"""Benchmark of temvp.synth.simulate: speed per 480x480 frame, and the noise level of the default dose.

Run: python benchmarks/bench_synth.py [--frames 40] [--quick]

1. Seconds per 480x480 frame for each preset (after a warm-up), against the 0.1 s limit and the 0.05 s target.
2. On a 128x128 crop that follows the 2nm particle (true_centre), with every crop normalised to zero mean and unit
   variance: the noise fraction (variance of noisy - noise-free over the noisy crop's variance), the persistence
   forecast (frame t as the forecast of frame t+1: MSE and SSIM) and the noise ceiling (noise-free frame t+1 against
   the noisy one: SSIM and MSE), for several doses and both optics. SSIM is skimage's with data_range = the target
   crop's max - min. The particle stays ordered here (onset=-1), as in the table of SYNTH.md.
"""
import argparse
import time

import numpy as np
from skimage.metrics import structural_similarity

from temvp.synth import PIXEL_SIZE, PRESETS, simulate

LIMIT, TARGET = 0.1, 0.05


def _z(a):
    return (a - a.mean()) / a.std()


def _crops(ds, var, window=128):
    h = window // 2
    out = []
    for t in range(ds.sizes["time"]):
        r, c = np.rint(ds.true_centre[t].values).astype(int)
        out.append(ds[var][t, r - h:r + h, c - h:c + h].values.astype(np.float64))
    return np.stack(out)


def noise_metrics(dose, optics, *, n_frames=40, seed=0):
    "Noise fraction, persistence MSE/SSIM and ceiling SSIM/MSE on 128x128 crops of a 2nm video."
    ds = simulate("2nm", n_frames=n_frames, dose=dose, optics=optics, onset=-1, seed=seed, clean=True)
    noisy, clean = _crops(ds, "frames"), _crops(ds, "clean")
    nf = np.mean([(a - b).var() / a.var() for a, b in zip(noisy, clean)])
    pm, ps, cs, cm = [], [], [], []
    for t in range(len(noisy) - 1):
        target, last, ideal = _z(noisy[t + 1]), _z(noisy[t]), _z(clean[t + 1])
        rng = target.max() - target.min()
        pm.append(((last - target) ** 2).mean())
        ps.append(structural_similarity(last, target, data_range=rng))
        cs.append(structural_similarity(ideal, target, data_range=rng))
        cm.append(((ideal - target) ** 2).mean())
    return dict(nf=nf, pers_mse=np.mean(pm), pers_ssim=np.mean(ps), ceil_ssim=np.mean(cs), ceil_mse=np.mean(cm))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40, help="frames timed per preset (default 40)")
    ap.add_argument("--quick", action="store_true", help="only the default dose in the noise table")
    args = ap.parse_args()

    print(f"== speed: seconds per 480x480 frame (limit {LIMIT}, target {TARGET}) ==")
    for preset in PRESETS:
        simulate(preset, n_frames=2)                                   # warm-up (imports, ASE build)
        for clean in (False, True):
            t0 = time.perf_counter()
            simulate(preset, n_frames=args.frames, clean=clean)
            dt = (time.perf_counter() - t0) / args.frames
            verdict = "meets target" if dt <= TARGET else ("within limit" if dt <= LIMIT else "TOO SLOW")
            print(f"{preset:>4} clean={clean!s:5} {dt:.4f} s/frame  ({args.frames} frames)  {verdict}")

    print("\n== noise on a 128x128 crop around the 2nm particle (zero mean / unit variance per crop) ==")
    rows = [("uncorrected", 7000.0)] if args.quick else [
        ("uncorrected", 1000.0), ("uncorrected", 3000.0), ("uncorrected", 5000.0), ("uncorrected", 7000.0),
        ("uncorrected", 10000.0),
        ("corrected", 3000.0), ("corrected", 5000.0), ("corrected", 10000.0)]
    print(f"{'optics':>11} {'dose e/A2':>9} {'e/px':>6} {'noise frac':>10} {'pers MSE':>9} {'pers SSIM':>9} "
          f"{'ceil SSIM':>9} {'ceil MSE':>8}")
    for optics, dose in rows:
        m = noise_metrics(dose, optics)
        mark = "  <- default" if (optics, dose) == ("uncorrected", 7000.0) else ""
        print(f"{optics:>11} {dose:9.0f} {dose * PIXEL_SIZE**2:6.1f} {m['nf']:10.3f} {m['pers_mse']:9.3f} "
              f"{m['pers_ssim']:9.3f} {m['ceil_ssim']:9.3f} {m['ceil_mse']:8.3f}{mark}")


if __name__ == "__main__":
    main()
