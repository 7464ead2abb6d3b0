"""Live forecasting (issue 11): latency of `temvp watch` on a real-time stream, and the lead of forecast alerts.

1. Latency: `temvp.live.stream` writes a simulated 2nm video (480x480, a seed never used in pretraining) at --fps
   frames per second while `watch` follows it with the bundled base model (N_f 4, N_s 1, 128x128 crops). The
   latency of a frame runs from its file's completion (its modification time) to its forecast and order values
   being computed; "stored" adds the wait for its chunk's append (--chunk frames). Prints the median and the 99th
   percentile, whether any frame was skipped, what the forecast itself costs, and whether bf16 was used.
2. Alerts: the same watcher logic (`Watcher.add`, frame by frame, not in real time) on 2nm and SL videos with a
   transition and on 4nm videos without one, seeds 700..: the frame at which the forecast alarm fires, the frame
   at which the same alarm on the observed crops fires, and the true onset. The lead is (observed alarm - forecast
   alarm) in frames; a forecast alert counts as early when it fires at least 2 frames before the observed one.

Usage: python benchmarks/bench_live.py [--out temvp-bench-live] [--fps 10] [--frames 150] [--seeds 10]
       [--skip-latency] [--skip-alerts]
"""
import argparse
import json
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from temvp.live import Watcher, stream, watch
from temvp.synth import simulate
from temvp.train import cpu_features


def latency(out, fps, frames, chunk, poll=0.02, settle=0.02):
    cam, store = out / "cam", out / "live.zarr"
    th = threading.Thread(target=stream, args=("2nm",), kwargs=dict(folder=cam, fps=fps, frames=frames, seed=801))
    th.start()
    while not cam.exists():
        time.sleep(0.01)
    s = watch(cam, store, f"lat{int(time.time())}", frames=frames, idle=30, chunk=chunk, poll=poll, settle=settle)
    th.join()
    w = Watcher(out / "probe.zarr", "probe", bf16=s["bf16"])
    x = np.random.default_rng(0).normal(size=(140, 128, 128)).astype(np.float32)
    for f in x[:4]:
        w._raw.append(f); w.norm.add(f)
    t0 = time.perf_counter()
    for _ in range(10):
        w._forecast()
    fc_ms = 100 * (time.perf_counter() - t0)
    print(f"latency at {fps:g} frames/s, {frames} frames of 480x480, chunk {chunk}, poll {poll:g} s, settle {settle:g} s: median "
          f"{1e3 * s['latency_median_s']:.0f} ms, 99th percentile {1e3 * s['latency_p99_s']:.0f} ms; "
          f"{s['frames']} stored, {len(s['skipped'])} skipped; the forecast itself {fc_ms:.0f} ms (bf16: {s['bf16']})")
    return [("latency median < 100 ms", f"{1e3 * s['latency_median_s']:.0f} ms", s["latency_median_s"] < 0.1),
            ("latency 99th percentile < 250 ms", f"{1e3 * s['latency_p99_s']:.0f} ms", s["latency_p99_s"] < 0.25),
            ("no frame skipped", f"{len(s['skipped'])} skipped, {s['frames']}/{frames} stored",
             not s["skipped"] and s["frames"] == frames)]


def alerts(out, seeds, n_frames):
    rows = []
    for preset, onset in (("2nm", n_frames // 2), ("SL", n_frames // 2), ("4nm", -1)):
        for seed in range(700, 700 + seeds):
            v = simulate(preset, n_frames=n_frames, onset=onset, seed=seed)
            w = Watcher(out / "alerts.zarr", f"{preset}_{seed}_{int(time.time() * 1e3)}", chunk=10 ** 6, bf16="auto")
            for t, f in enumerate(v.frames.values):
                w.add(f, f"{t}")
            fc, ob = w.alarms["forecast"].fired_at, w.alarms["observed"].fired_at
            rows.append((preset, seed, onset if onset >= 0 else None, fc, ob))
            print(rows[-1], flush=True)
    df = pd.DataFrame(rows, columns=["video", "seed", "onset", "forecast_alert", "observed_alert"])
    df.to_csv(out / "alerts.csv", index=False)
    print(df.to_string(index=False))
    return judge(df, n_frames)


def judge(df, n_frames, horizon=4, margin=2):
    """Verdicts from the alert table. A forecast alert more than `horizon` + `margin` frames before the onset cannot
    be a forecast of it (the model sees `horizon` frames ahead): it counts as a false alarm, not as a lead."""
    res = []
    for preset in ("2nm", "SL"):
        d = df[df.video == preset]
        false = d.forecast_alert.notna() & (d.forecast_alert < d.onset - horizon - margin)
        lead = (d.observed_alert.fillna(n_frames) - d.forecast_alert.fillna(n_frames + 10)).astype(float)
        early = int(((lead >= 2) & ~false).sum())
        print(f"{preset}: lead of the forecast alert over the observed one (frames): {lead.tolist()}; "
              f"false (before onset - {horizon + margin}): {int(false.sum())}; genuine leads >= 2: {early}")
        res.append((f"{preset}: forecast alert >= 2 frames before the observed one (not a false alarm) in >= 8 of 10",
                    f"{early}/{len(d)} ({int(false.sum())} false alarms)", early >= 0.8 * len(d)))
    d = df[df.video == "4nm"]
    false = int(d.forecast_alert.notna().sum())
    res.append(("4nm: no false forecast alert", f"{false} of {len(d)}", false == 0))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="temvp-bench-live")
    p.add_argument("--fps", type=float, default=10.0)
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--chunk", type=int, default=8)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--alert-frames", type=int, default=160)
    p.add_argument("--skip-latency", action="store_true")
    p.add_argument("--skip-alerts", action="store_true")
    p.add_argument("--alerts-csv", help="judge an alerts.csv written by an earlier run instead of running again")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    print("CPU:", json.dumps(cpu_features()), "| torch", torch.__version__, "threads", torch.get_num_threads())
    verdicts = []
    if not a.skip_latency:
        verdicts += latency(out, a.fps, a.frames, a.chunk)
    if a.alerts_csv:
        verdicts += judge(pd.read_csv(a.alerts_csv), a.alert_frames)
    elif not a.skip_alerts:
        verdicts += alerts(out, a.seeds, a.alert_frames)
    print("\nGoals:")
    for what, got, ok in verdicts:
        print(f"  {what}: {got} -> {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
