"""bfloat16 against float32 on this CPU, side by side: the CPU's capabilities, what temvp's "auto" picks, training-step
and forecast times of the base model in both precisions (their ratio), and the accuracy of bf16 as rms differences.

temvp turns bf16 on by default ("auto") only where the CPU computes it natively (AVX512-BF16 or AMX); on an
AVX2-only CPU oneDNN emulates it and it is several times slower. This prints the evidence for the machine at hand.

Usage: python benchmarks/bench_bf16.py [--preset base] [--batch 8] [--n-f 4] [--repeats 5]
"""
import argparse
import json
import statistics
import time

import torch

from temvp.phydnet import PhyDNet, moment_loss
from temvp.train import cpu_features, forecast_loss, native_bf16, use_bf16


def timed(fn, repeats):
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="base")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--n-f", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args(argv)
    print("CPU:", json.dumps(cpu_features()), "| torch", torch.__version__, "| threads", torch.get_num_threads())
    print(f"native bf16: {native_bf16()}; temvp's bf16='auto' on the CPU -> {use_bf16('auto', torch.device('cpu'))}")
    torch.manual_seed(0)
    model = PhyDNet(a.preset).to(memory_format=torch.channels_last)
    # a model that is not its anchor (the base preset starts as the input mean): perturb the zeroed last layer
    with torch.no_grad():
        for prm in model.parameters():
            if prm.abs().sum() == 0:
                prm.normal_(0, 0.02)
    x = torch.randn(a.batch, a.n_f, 1, 128, 128)
    y = torch.randn(a.batch, a.n_f, 1, 128, 128)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # a step that changes nothing: every timing sees one model

    def step(bf16):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(x, n_out=a.n_f)
        loss = forecast_loss(out, x, y) + moment_loss(model)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item(), [q.grad.detach().clone() for q in model.parameters() if q.grad is not None]

    def infer(bf16):
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return model(x[:1], n_out=a.n_f, input_predictions=False).predictions.float()

    rows = {}
    for bf16 in (False, True):
        rows[bf16] = (timed(lambda: step(bf16), a.repeats), timed(lambda: infer(bf16), a.repeats))
    print(f"{'':26s}{'fp32':>10s}{'bf16':>10s}{'bf16 speed-up':>16s}")
    for i, what in enumerate((f"train step, batch {a.batch}", "forecast, batch 1")):
        f32, b16 = rows[False][i], rows[True][i]
        print(f"{what:26s}{1e3 * f32:8.0f} ms{1e3 * b16:8.0f} ms{f32 / b16:15.2f}x")
    (l32, g32), (l16, g16) = step(False), step(True)
    gn = torch.cat([g.ravel() for g in g32])
    gd = torch.cat([(g - h).ravel() for g, h in zip(g32, g16)])
    p32, p16 = infer(False), infer(True)
    print(f"accuracy of bf16: forecast rms difference {float(((p16 - p32) ** 2).mean().sqrt()):.4f} (frames of std "
          f"{float(p32.std()):.2f}); loss {l16:.4f} vs {l32:.4f}; gradient rms difference "
          f"{float(gd.pow(2).mean().sqrt() / gn.pow(2).mean().sqrt()):.3f} of the gradient's rms")


if __name__ == "__main__":
    main()
