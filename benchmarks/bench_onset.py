"""Onset-detection accuracy of temvp.order on the simulated videos, per preset, seed and dose, with timing.

Run: python benchmarks/bench_onset.py [--presets 2nm SL 4nm] [--seeds 0 1 ... 9] [--doses 3000 4000 ... 7000]
         [--dose-seeds 0 1 2] [--default-dose 7000] [--tolerance 2] [--cache DIR]
Each video is simulated at full length (2nm 549 frames, onset 275; SL 158, onset 60; 4nm 551, no onset), tracked,
cropped to 128x128 and normalised (temvp.track), then `order_measure` and `detect_onset` run with their defaults.
Prints
1. per preset and seed at the default dose (seeds 0-9): the true and detected onset, the error in frames, the
   uncertainty and 95% interval, the drop of the measure and the significance score; then per preset the
   success count (onset within `tolerance` frames of the truth; no onset for 4nm), the errors and how often the
   truth lies inside the interval;
2. the dose-sensitivity table (seeds 0-2): per dose and preset, how many seeds pass and the errors; then the
   lowest dose of the grid at which every seed passes for the preset(s), and the lowest from which it holds at
   every higher dose of the grid too;
3. timing of order_measure and detect_onset on a 549-frame video.
`--cache DIR` keeps the normalised crops of each simulated video there (npz) so that a rerun skips the
simulation; delete it to start afresh.
"""
import argparse
import os
import time

import numpy as np

from temvp.order import detect_onset, order_measure
from temvp.synth import simulate
from temvp.track import crop, normalise, track_particle

DOSES = (3000, 4000, 5000, 6000, 7000)


def crops_for(preset, seed, dose, cache=None):
    "Normalised 128x128 crops of one simulated video (from the cache when there), its onset and pixel size."
    fn = os.path.join(cache, f"{preset}_{seed}_{int(dose)}.npz") if cache else None
    if fn and os.path.exists(fn):
        d = np.load(fn)
        return d["crops"], int(d["onset"]), float(d["pixel_size"])
    vid = simulate(preset, seed=seed, dose=float(dose))
    c = normalise(crop(vid["frames"], track_particle(vid["frames"], window=128)))
    out = c.values.astype(np.float32), int(vid.attrs["onset"]), float(vid.attrs["pixel_size"])
    if fn:
        os.makedirs(cache, exist_ok=True)
        np.savez(fn, crops=out[0], onset=out[1], pixel_size=out[2])
    return out


def evaluate(preset, seed, dose, tolerance, cache=None):
    "Detect the onset in one video; return a dict with the truth, the result and pass/fail."
    c, truth, ps = crops_for(preset, seed, dose, cache)
    r = detect_onset(order_measure(c, pixel_size=ps))
    if truth < 0:
        ok, err = r.onset is None, None
    else:
        err = None if r.onset is None else int(r.onset - truth)
        ok = err is not None and abs(err) <= tolerance
    return dict(preset=preset, seed=seed, dose=dose, truth=truth, res=r, err=err, ok=ok)


def fmt_err(e):
    if e["truth"] < 0:
        return "none" if e["res"].onset is None else f"FP@{e['res'].onset}"
    return "none" if e["err"] is None else f"{e['err']:+d}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", nargs="+", default=["2nm", "SL", "4nm"])
    ap.add_argument("--seeds", nargs="+", type=int, default=list(range(10)),
                    help="seeds at the default dose (section 1)")
    ap.add_argument("--dose-seeds", nargs="+", type=int, default=[0, 1, 2],
                    help="seeds at each dose of the grid (section 2)")
    ap.add_argument("--doses", nargs="+", type=float, default=list(DOSES))
    ap.add_argument("--default-dose", type=float, default=7000.0)
    ap.add_argument("--tolerance", type=int, default=2)
    ap.add_argument("--cache", default=None)
    args = ap.parse_args(argv)
    t_start = time.perf_counter()

    print(f"1. Default dose {args.default_dose:g} e/A^2 per frame, pass = onset within {args.tolerance} frames "
          "(4nm: no onset)")
    print(f"{'preset':6} {'seed':>4} {'truth':>5} {'found':>5} {'error':>6} {'+-unc':>6} {'interval':>11} "
          f"{'drop':>5} {'score':>6} pass")
    rows = {}
    for p in args.presets:
        rows[p] = []
        for s in args.seeds:
            e = evaluate(p, s, args.default_dose, args.tolerance, args.cache)
            rows[p].append(e)
            r = e["res"]
            iv = f"{r.interval[0]}-{r.interval[1]}" if r.interval[0] is not None else "-"
            print(f"{p:6} {s:4d} {e['truth'] if e['truth'] >= 0 else '-':>5} "
                  f"{r.onset if r.onset is not None else '-':>5} {fmt_err(e):>6} {r.uncertainty:6.1f} {iv:>11} "
                  f"{r.drop:5.2f} {r.score:6.2f} {'yes' if e['ok'] else 'NO'}")

    print(f"\n1b. Success count at dose {args.default_dose:g} over seeds {args.seeds}")
    for p in args.presets:
        es = rows[p]
        cov = [e["res"].interval[0] is not None and e["res"].interval[0] <= e["truth"] <= e["res"].interval[1]
               for e in es if e["truth"] >= 0]
        extra = f"  truth inside the 95% interval {sum(cov)}/{len(cov)}" if cov else ""
        print(f"{p:6} {sum(e['ok'] for e in es)}/{len(es)}  errors [{' '.join(fmt_err(e) for e in es)}]{extra}")

    print(f"\n2. Dose sensitivity (seeds {args.dose_seeds}; cell: seeds passing / seeds, errors in frames)")
    table = {}
    print(f"{'dose':>6} " + " ".join(f"{p:>26}" for p in args.presets))
    for d in sorted(args.doses):
        cells = []
        for p in args.presets:
            es = [evaluate(p, s, d, args.tolerance, args.cache) for s in args.dose_seeds]
            table[(d, p)] = all(e["ok"] for e in es)
            cells.append(f"{sum(e['ok'] for e in es)}/{len(es)} [{' '.join(fmt_err(e) for e in es)}]")
        print(f"{d:6g} " + " ".join(f"{c:>26}" for c in cells))
    doses = sorted(args.doses)
    for p in args.presets + ["all"]:
        ps = args.presets if p == "all" else [p]
        holds = [all(table[(d, q)] for q in ps) for d in doses]
        lowest = None
        for i in range(len(doses) - 1, -1, -1):
            if not holds[i]:
                break
            lowest = doses[i]
        at = [d for d, h in zip(doses, holds) if h]
        print(f"{p:4}: lowest dose at which it holds {at[0] if at else 'none in grid'}; lowest from which it holds "
              f"at every higher dose too {lowest if lowest is not None else 'none in grid'}")

    print("\n3. Timing on a 549-frame video (2nm, seed 0, default dose; 128x128 crops)")
    c, _, ps = crops_for("2nm", 0, args.default_dose, args.cache)
    t0, c0 = time.perf_counter(), time.process_time()
    m = order_measure(c, pixel_size=ps)
    t1, c1 = time.perf_counter(), time.process_time()
    detect_onset(m)
    t2, c2 = time.perf_counter(), time.process_time()
    print(f"order_measure {t1 - t0:.3f} s (cpu {c1 - c0:.3f} s), detect_onset {t2 - t1:.3f} s "
          f"(cpu {c2 - c1:.3f} s)")
    print(f"total benchmark time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
