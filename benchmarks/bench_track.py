"""Accuracy and speed of temvp.track on the three simulated videos at default settings.

Run: python benchmarks/bench_track.py [--presets 2nm 4nm SL] [--seed 0] [--n-frames N]
Prints, per preset: frames, the centre error against the simulator's `true_centre` (median, 95th percentile,
max, and the max before / after the disorder onset), and the time to track (wall clock, and CPU time of all threads: on a busy machine the wall clock varies) and to
crop and normalise the video.
"""
import argparse
import time

import numpy as np

from temvp.synth import simulate
from temvp.track import crop, normalise, track_particle


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", nargs="+", default=["2nm", "4nm", "SL"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-frames", type=int, default=None)
    args = ap.parse_args(argv)
    print(f"{'preset':6} {'frames':>6} {'median':>7} {'p95':>6} {'max':>6} {'max<onset':>9} {'max>=onset':>10} "
          f"{'track s':>8} {'(cpu s)':>7} {'crop+norm s':>11} {'sim s':>6}")
    for preset in args.presets:
        t0 = time.perf_counter()
        vid = simulate(preset, n_frames=args.n_frames, seed=args.seed)
        frames = vid["frames"].load()
        t1, c1 = time.perf_counter(), time.process_time()
        trk = track_particle(frames)
        t2, c2 = time.perf_counter(), time.process_time()
        crops = normalise(crop(frames, trk))
        t3 = time.perf_counter()
        err = np.hypot(*(trk["track"].values - vid["true_centre"].values).T)
        onset = int(vid.attrs.get("onset", -1))
        before = err[:onset] if onset > 0 else err
        after = f"{err[onset:].max():10.2f}" if onset >= 0 else f"{'-':>10}"
        print(f"{preset:6} {len(err):6d} {np.median(err):7.2f} {np.percentile(err, 95):6.2f} {err.max():6.2f} "
              f"{before.max():9.2f} {after} "
              f"{t2 - t1:8.2f} {c2 - c1:7.2f} {t3 - t2:11.2f} {t1 - t0:6.1f}   (px; clamped {int(trk.clamped.sum())}, "
              f"crops {crops.shape})")


if __name__ == "__main__":
    main()
