"""Shared fixture of the dashboard tests: a small demo output that is trained and evaluated (OUT/study.zarr,
OUT/runs/<run>/, OUT/runs/metrics.zarr), made in a few tens of seconds on two CPU cores."""
from pathlib import Path


def evaluated_output(out, *, labels_=("2nm",), n_f=(4, 6), n_s=(1, 2), epochs=2, n_frames=48, size=192, max_clips=8):
    """Simulate, track and crop the demo videos (96x96 crops), train a tiny sweep on `labels_` and evaluate it.

    Returns the output folder; its layout is the demo's (study.zarr, runs/, runs/metrics.zarr).
    """
    from temvp.evaluate import evaluate
    from temvp.study import demo
    from temvp.sweep import sweep
    out = Path(out)
    store = demo(out, n_frames=n_frames, size=size, progress=False, log=lambda *a: None)
    runs = out / "runs"
    if not (runs / "metrics.zarr" / "zarr.json").is_file():
        config = dict(preset="small", epochs=epochs, checkpoint_every=1, batch_size=8, device="cpu", seed=0,
                      clips_per_epoch=4, val_fraction=0)
        sweep(store, run_root=runs, config=config, labels_=list(labels_), n_f=list(n_f), n_s=list(n_s),
              progress=False)
        evaluate(store, run_root=runs, progress=False, device="cpu", max_clips=max_clips)
    return out
