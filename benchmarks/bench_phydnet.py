"""Speed and memory of temvp's PhyDNet on this machine, with a roofline (section 4 of issue 3).

Measures, for a preset (default: the authors' default model, fp32, channels-last as temvp trains on the CPU):
- a training step (forward + backward + Adam step, the full loss with the moment term) at SIZE x SIZE with
  N_f = 6 (6 input + 6 target frames, teacher forcing on as early in training), batch 1 and 8, and clips/s;
- inference at batch 1, two ways: a whole forecast (read the N_f input frames, predict N_f frames) divided by N_f,
  and one recurrent step (one more predicted frame of a running forecast: encoder, both cells, decoders), in fp32
  and in bfloat16 autocast (AMX on recent Xeons);
- peak resident memory of the process.

The roofline: torch's FlopCounterMode counts the floating-point operations of each measurement, and the machine's
fp32 peak is measured as the best of a 2048^3 matmul and the model's largest convolution. FLOPs / peak is the time
the measurement cannot beat on these cores without doing less arithmetic (e.g. Winograd or lower precision).

For the ratio against the authors' way of computing, the same model is also run "step by step" as their code
does it: one frame at a time through every block, the two single-branch decodes (Dp alone and Dr alone through D)
computed at every step as their code does for its pictures, and the input-frame predictions decoded at inference.
Reference figures for the authors' code on a 2-core machine (../shared/PHYDNET.md): 694 ms per training step at
batch 1, 4.4 s at batch 8 (6+6 frames, 128x128), 18.5 ms per predicted 128x128 frame.

With --run RUN_DIR it also forecasts that run's test clips in fp32 and in bf16 and prints how far apart they are.

Usage: python benchmarks/bench_phydnet.py [--size 128] [--threads 2] [--repeats 3] [--batches 1 8] [--nchw]
       [--ways temvp authors] [--run RUN_DIR] [--json FILE]
"""
import argparse
import json
import resource
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from temvp.phydnet import PhyDNet, moment_loss

REFERENCE = {"train_ms_b1": 694.0, "train_ms_b8": 4400.0, "infer_ms_per_frame": 18.5}
GOAL = {"train_ms_b1": 694.0 / 1.5, "train_ms_b8": 4400.0 / 1.5, "infer_ms_per_frame": 10.0}


def authors_way(model, x, n_out, y=None, tf=False):
    "One frame at a time, plus the single-branch decodes the authors' code computes at every step."
    state, seq, outs = None, list(x.unbind(1)), []
    for t in range(x.shape[1] - 1 + n_out):
        o, state = model.step(seq[t], state)
        hp, hr = state
        model.D(model.Dp(hp), None), model.D(model.Dr(hr[-1][0]), None)  # pictures of each branch
        outs.append(o)
        if t >= x.shape[1] - 1:
            seq.append(y[:, t - x.shape[1] + 1] if tf else o)
    outs = torch.stack(outs, 1)
    return outs[:, x.shape[1] - 1:], outs[:, :x.shape[1] - 1]


def train_step(model, opt, x, y, way):
    if way == "temvp":
        out = model(x, n_out=y.shape[1], targets=y, teacher_forcing=True)
        preds, early = out.predictions, out.input_predictions
    else:
        preds, early = authors_way(model, x, y.shape[1], y, True)
    loss = sum(((preds[:, t] - y[:, t]) ** 2).mean() for t in range(y.shape[1]))
    loss = loss + sum(((early[:, t] - x[:, t + 1]) ** 2).mean() for t in range(early.shape[1]))
    loss = loss + moment_loss(model).float()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def timed(fn, repeats, stat=statistics.median):
    "`stat` (the median; min for a peak rate: the least disturbed call) of `repeats` timed calls after a warm-up."
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return stat(ts)


def flops(fn):
    "Floating-point operations of one call of `fn` (torch's FlopCounterMode: convolutions and matmuls)."
    with FlopCounterMode(display=False) as fc:
        fn()
    return fc.get_total_flops()


def peak_gflops(fmt, repeats=10):
    "The best fp32 rate of these threads: a 2048^3 matmul, and the default model's largest convolution."
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    mm = 2 * 2048 ** 3 / timed(lambda: a @ b, repeats, min)
    x = torch.randn(8, 256, 32, 32).contiguous(memory_format=fmt)
    w = torch.randn(512, 256, 3, 3).contiguous(memory_format=fmt)
    conv = 2 * 8 * 256 * 512 * 9 * 32 * 32 / timed(lambda: torch.nn.functional.conv2d(x, w, padding=1), repeats, min)
    return max(mm, conv) / 1e9, mm / 1e9, conv / 1e9


def forecast_steps(model, x, n_steps):
    "Read the inputs step by step, then run `n_steps` prediction steps (each feeds back its prediction)."
    state, o = None, None
    for t in range(x.shape[1]):
        o, state = model.step(x[:, t], state)
    for _ in range(n_steps):
        o, state = model.step(o, state)
    return o


def run_accuracy(run_dir):
    "fp32 against bf16 forecasts of a run's test clips: per-pixel MSE to the targets and to each other."
    import numpy as np
    from temvp import train as tr
    from temvp.clips import ClipDataset
    rec = tr.read_run(run_dir)
    cfg = tr.TrainConfig.from_dict(rec["train"])
    ds = ClipDataset(rec["store"], cfg.label, n_f=cfg.n_f, n_s=cfg.n_s, split="test", kind=cfg.kind, in_memory=True)
    y = np.stack([ds[i][1][:, 0].numpy() for i in range(len(ds))])
    p32 = tr.predict(run_dir, split="test", device="cpu").values
    p16 = tr.predict(run_dir, split="test", device="cpu", bf16=True).values
    res = {"run": str(run_dir), "clips": len(y), "mse_fp32": float(((p32 - y) ** 2).mean()),
           "mse_bf16": float(((p16 - y) ** 2).mean()), "rms_bf16_vs_fp32": float(np.sqrt(((p16 - p32) ** 2).mean())),
           "max_bf16_vs_fp32": float(np.abs(p16 - p32).max()), "target_std": float(y.std())}
    print(f"{run_dir}: {len(y)} test clips; MSE to the targets fp32 {res['mse_fp32']:.4f}, bf16 {res['mse_bf16']:.4f}; "
          f"bf16 - fp32: rms {res['rms_bf16_vs_fp32']:.2g}, max {res['max_bf16_vs_fp32']:.2g} "
          f"(targets' std {res['target_std']:.2f})")
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="phydnet")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--n-f", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    p.add_argument("--ways", nargs="+", default=["temvp", "authors"])
    p.add_argument("--nchw", action="store_true", help="lay the model out NCHW (temvp uses channels-last on the CPU)")
    p.add_argument("--bf16", action="store_true", help="also train in bfloat16 autocast (not identical numerics)")
    p.add_argument("--run", help="a trained run folder: compare its fp32 and bf16 forecasts of the test clips")
    p.add_argument("--json", help="also write the results to this file")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.contiguous_format if a.nchw else torch.channels_last
    model = PhyDNet(a.preset).to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    res = {"preset": a.preset, "size": a.size, "n_f": a.n_f, "threads": a.threads, "layout": "nchw" if a.nchw else
           "channels_last", "bf16_training": a.bf16, "torch": torch.__version__}
    peak, mm, conv = peak_gflops(fmt)
    res.update(peak_gflops=peak, matmul_gflops=mm, conv_gflops=conv)
    print(f"fp32 peak of {a.threads} threads: {peak:.0f} GFLOP/s (2048^3 matmul {mm:.0f}, largest convolution {conv:.0f})")
    row = "{:8s} {:34s} {:9.1f} ms  {:7.1f} GFLOP  {:5.0f} GFLOP/s  {}"

    def report(key, way, what, seconds, fl, per=1, fp32=True):
        ms, gf = 1000 * seconds / per, fl / per / 1e9
        res[f"{way}_{key}"], res[f"{way}_{key}_gflop"] = ms, gf
        floor = "floor at the fp32 peak {:8.1f} ms".format(1000 * gf / peak) if fp32 else "(bf16: no fp32 floor)"
        if fp32:
            res[f"{way}_{key}_floor_ms"] = 1000 * gf / peak
        print(row.format(way, what, ms, gf, gf / (ms / 1000), floor), flush=True)

    for way in a.ways:
        for b in a.batches:
            x = torch.randn(b, a.n_f, 1, a.size, a.size)
            y = torch.randn(b, a.n_f, 1, a.size, a.size)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
                s = timed(lambda: train_step(model, opt, x, y, way), a.repeats)
                fl = flops(lambda: train_step(model, opt, x, y, way))
            report(f"train_ms_b{b}", way, f"train step, batch {b}", s, fl)
            res[f"{way}_clips_per_s_b{b}"] = b / s
        x = torch.randn(1, a.n_f, 1, a.size, a.size)
        for prec in ("fp32", "bf16"):
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=prec == "bf16"):
                if way == "temvp":
                    fn = lambda: model(x, n_out=a.n_f, input_predictions=False)
                else:
                    fn = lambda: authors_way(model, x, a.n_f)
                s, fl = timed(fn, a.repeats), flops(fn)
                suffix = "" if prec == "fp32" else "_bf16"
                report("infer_ms_per_frame" + suffix, way, f"forecast / N_f, batch 1, {prec}", s, fl, a.n_f,
                       prec == "fp32")
                if way == "temvp":  # the marginal cost of one more predicted frame
                    k = 2 * a.n_f
                    s = (timed(lambda: forecast_steps(model, x, k), a.repeats)
                         - timed(lambda: forecast_steps(model, x, 0), a.repeats))
                    fl = flops(lambda: forecast_steps(model, x, k)) - flops(lambda: forecast_steps(model, x, 0))
                    report("infer_ms_per_step" + suffix, way, f"one recurrent step, batch 1, {prec}", s, fl, k,
                           prec == "fp32")
    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {res['peak_rss_mib']:.0f} MiB")
    if a.size == 128 and a.n_f == 6 and a.preset == "phydnet" and not a.bf16 and "temvp" in a.ways:
        print("\nagainst the authors' code on a 2-core machine (PHYDNET.md) and the issue's goals:")
        for k, ref in REFERENCE.items():
            keys = [k] if k.startswith("train") else ["infer_ms_per_frame", "infer_ms_per_step",
                                                    "infer_ms_per_frame_bf16", "infer_ms_per_step_bf16"]
            for kk in keys:
                got = res.get(f"temvp_{kk}")
                if got is None:
                    continue
                goal, bf16 = GOAL[k], kk.endswith("bf16")
                need = res[f"temvp_{kk}_gflop"] / (goal / 1000)
                verdict = "met" if got <= goal else "not met" if bf16 else (
                    f"not met; it needs {need:.0f} GFLOP/s, above the {peak:.0f} measured fp32 peak" if need > peak
                    else f"not met; it needs {need:.0f} GFLOP/s, {need / peak:.0%} of the {peak:.0f} measured fp32 peak")
                floor = "" if bf16 else f"; floor at the fp32 peak {res[f'temvp_{kk}_floor_ms']:.1f} ms"
                print(f"  {kk:24s} {got:8.1f} ms: {ref / got:.2f}x the reference {ref:g} ms; goal {goal:.1f} ms "
                      f"({verdict}){floor}")
    if a.run:
        res["run_accuracy"] = run_accuracy(a.run)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
