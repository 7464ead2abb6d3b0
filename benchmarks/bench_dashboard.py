"""Dashboard redraw times: what the server does on each slider move or click, per view.

For each redraw it times the view's callback (reading the store / cube and building the HoloViews object) and the
Bokeh model built from it (what Panel serialises to the browser), the work a served page does before the network
hop. Target (issue 5): each redraw under ~200 ms served locally on a 551-frame video.

Usage: python benchmarks/bench_dashboard.py OUT   (OUT: a `temvp demo` output folder: OUT/study.zarr and
OUT/runs/metrics.zarr)
"""
import statistics
import sys
import time
from pathlib import Path

import holoviews as hv


def timed(fn, repeat):
    "Median and max wall time (ms) of fn() over `repeat` calls."
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times), max(times)


def main(out):
    import panel as pn  # noqa: F401
    from temvp.dashboard import CropTuner
    from temvp.explorer import MetricExplorer
    renderer = hv.renderer("bokeh")
    def model(obj):  # the Bokeh model Panel sends (views that return a Panel pane wrap a HoloViews object)
        return renderer.get_plot(getattr(obj, "object", obj)).state

    store, cube = Path(out) / "study.zarr", Path(out) / "runs" / "metrics.zarr"
    tuner = CropTuner(store, label="2nm")
    n = tuner.param.frame.bounds[1] + 1
    rows = []

    def frame_move(i):  # the frame slider moves: image, window, crop and cursor redraw
        tuner.frame = (37 * (i + 1)) % n
        for view in (tuner.image_view(), tuner.window_view(), tuner.crop_view(), tuner.cursor_view()):
            model(view)
    rows.append(("crop tuner: frame slider move (frame + window + crop + cursor)", *timed(frame_move, 20)))

    ex = MetricExplorer(cube, store=store)
    runs = [(f, s) for f, s in ex.runs("2nm")]

    def strategy_click(i):  # a heat-map click: marker, lead-time and epoch curves redraw
        f, s = runs[i % len(runs)]
        ex.select(f, s)
        for view in (ex.marker_view(), ex.lead_view(), ex.epoch_view()):
            model(view)
    rows.append(("explorer: strategy click (marker + lead curves + epoch curves)", *timed(strategy_click, 8)))

    metrics = ["mse", "ssim", "mae", "psnr"]

    def metric_change(i):  # the metric changes: heat map, marker, both curve plots
        ex.metric = metrics[i % 4]
        for view in (ex.heatmap_view(), ex.marker_view(), ex.lead_view(), ex.epoch_view()):
            model(view)
    rows.append(("explorer: metric change (heat map + marker + curves)", *timed(metric_change, 8)))

    def clip_jump(i):  # best/worst clip: the clip rows and the order curves
        (ex.best if i % 2 else ex.worst)()
        for view in (ex.clip_view(), ex.order_view()):
            model(view)
    rows.append(("explorer: best/worst clip (clip rows + order curves)", *timed(clip_jump, 6)))

    print(f"{'redraw':70s} {'median ms':>10s} {'max ms':>8s}  (target ~200 ms)")
    for name, med, mx in rows:
        print(f"{name:70s} {med:10.0f} {mx:8.0f}  {med / 200:.2f}x target")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
