"""Speed and memory of temvp's PhyDNet on this machine (section 4 of issue 3).

Measures, for a preset (default: the authors' default model, fp32):
- a training step (forward + backward + Adam step, the full loss with the moment term) at SIZE x SIZE with
  N_f = 6 (6 input + 6 target frames, teacher forcing on as early in training), batch 1 and 8, and clips/s;
- inference: ms per predicted frame at batch 1 (6 input frames, 6 predicted frames);
- peak resident memory of the process.

For the ratio against the authors' way of computing, the same model is also run "step by step" as their code
does it: one frame at a time through every block, the two single-branch decodes (Dp alone and Dr alone through D)
computed at every step as their code does for its pictures, and the input-frame predictions decoded at inference.
Reference figures for the authors' code on a 2-core machine (../shared/PHYDNET.md): 694 ms per training step at
batch 1, 4.4 s at batch 8 (6+6 frames, 128x128), 18.5 ms per predicted 128x128 frame.

Usage: python benchmarks/bench_phydnet.py [--size 128] [--threads 2] [--repeats 3] [--batches 1 8] [--channels-last]
"""
import argparse
import json
import resource
import statistics
import time

import torch

from temvp.phydnet import PhyDNet, moment_loss

REFERENCE = {"train_ms_b1": 694.0, "train_ms_b8": 4400.0, "infer_ms_per_frame": 18.5}


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


def timed(fn, repeats):
    fn()  # warm up
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="phydnet")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--n-f", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    p.add_argument("--ways", nargs="+", default=["temvp", "authors"])
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (AMX on recent Xeons; not identical numerics)")
    p.add_argument("--json", help="also write the results to this file")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = PhyDNet(a.preset)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    res = {"preset": a.preset, "size": a.size, "n_f": a.n_f, "threads": a.threads, "channels_last": a.channels_last, "bf16": a.bf16,
           "torch": torch.__version__}
    for way in a.ways:
        for b in a.batches:
            x = torch.randn(b, a.n_f, 1, a.size, a.size)
            y = torch.randn(b, a.n_f, 1, a.size, a.size)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
                s = timed(lambda: train_step(model, opt, x, y, way), a.repeats)
            res[f"{way}_train_ms_b{b}"] = 1000 * s
            res[f"{way}_clips_per_s_b{b}"] = b / s
            print(f"{way:8s} train step batch {b}: {1000 * s:8.1f} ms  ({b / s:.2f} clips/s)", flush=True)
        x = torch.randn(1, a.n_f, 1, a.size, a.size)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            if way == "temvp":
                s = timed(lambda: model(x, n_out=a.n_f, input_predictions=False), a.repeats)
            else:
                s = timed(lambda: authors_way(model, x, a.n_f), a.repeats)
        res[f"{way}_infer_ms_per_frame"] = 1000 * s / a.n_f
        print(f"{way:8s} inference batch 1: {1000 * s / a.n_f:8.1f} ms per predicted frame", flush=True)
    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {res['peak_rss_mib']:.0f} MiB")
    if a.size == 128 and a.n_f == 6 and a.preset == "phydnet" and not a.bf16:
        for k, ref in REFERENCE.items():
            got = res.get(f"temvp_{k}")
            if got:
                print(f"vs the authors' code ({k}, reference {ref:g} ms): {ref / got:.2f}x faster")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
