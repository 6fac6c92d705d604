"""Regenerate ``leaderboards/README.md`` from result JSONs the package itself produced.

Without ``--run`` it only re-renders the README from the JSONs under ``leaderboards/results/``.
With ``--run`` it first redoes the CPU-sized experiments behind them:

1. two ``rect`` sets of the shared photos (``../shared/data/photos``) are written by the package's
   ``generate`` job: ``classical`` (OpenCV Telea, kind realfake) and ``vae`` (TAEF2, kind fakefake);
2. the detector is trained briefly on the ``vae`` set and stressed over the default grid;
3. the generalization matrix trains one model per set and tests each on both.

Usage:
  python scripts/make_leaderboards.py                 # re-render from the committed JSONs
  python scripts/make_leaderboards.py --run [--steps 100 --matrix-steps 60 --image-size 128]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
BOARD = ROOT / "leaderboards"
RESULTS = BOARD / "results"
FIGURES = BOARD / "figures"


# --- data ------------------------------------------------------------------------------------------

def autoencoder_weights() -> Path | None:
    weights = SHARED / "weights" / "taef2"
    return weights.resolve() if weights.is_dir() else None


def build_datasets(work: Path, size: int, quiet: bool) -> dict:
    """Two `rect` sets (the provided recipe) of the shared photos, written by the package's own
    ``generate`` job: ``classical`` (OpenCV Telea, kind realfake) and ``vae`` (TAEF2, kind fakefake)."""
    from inpaintbench.data.generation.generate import GenerateConfig, generate

    photos = SHARED / "data" / "photos"
    weights = autoencoder_weights()
    if not photos.is_dir() or weights is None:
        raise SystemExit(f"the experiments need {photos} and {SHARED / 'weights' / 'taef2'}")
    roots = {}
    for generator in ("classical", "vae"):
        out = work / "data" / generator
        generate(GenerateConfig("rect", str(out), source=str(photos.resolve()), generator=generator,
                                vae_weights=str(weights) if generator == "vae" else None, image_size=size,
                                progress=not quiet))
        roots[generator] = str(out)
    return {"roots": roots, "size": size,
            "description": f"the 92 photos of ../shared/data/photos (kodak24, cbsd68), random {size} px crops, "
                           "soft rectangular masks (`rect`, the provided recipe), split by a hash of the id, written "
                           "by `inpaintbench generate rect` twice: `--generator classical` (OpenCV Telea inpainting "
                           "blended through the mask: kind `realfake`; a classical inpainting, **not** Stable "
                           "Diffusion) and `--generator vae --vae-weights ../shared/weights/taef2` (TAEF2 round trip "
                           "blended through the mask: kind `fakefake`), each with its `original`s"}


# --- experiments -----------------------------------------------------------------------------------

def run_experiments(args: argparse.Namespace) -> None:
    from inpaintbench.attack_spec import parse_attacks
    from inpaintbench.data.tensors import TensorProtocol
    from inpaintbench.jobs import Job, train_job
    from inpaintbench.matrix import parse_sets, run_matrix
    from inpaintbench.registry import parse_key_values
    from inpaintbench.reports import write_stress_report
    from inpaintbench.stress import run_stress
    from inpaintbench.training import TrainConfig

    work = Path(args.work)
    t0 = time.perf_counter()
    made = build_datasets(work, args.stored_size, args.quiet)
    roots = made["roots"]
    config = TrainConfig(epochs=10_000, max_steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                         patience=10_000, device=args.device, progress=not args.quiet)
    if RESULTS.exists():
        shutil.rmtree(RESULTS)
    jobs, steps, t_stress = [], {}, 0.0
    for detector in args.detector.split(","):
        job = Job(detector, "rect", parse_key_values(args.opt), {"data_root": roots["vae"]},
                  TensorProtocol(args.image_size), batch_size=args.batch_size, device=args.device, seed=0,
                  progress=not args.quiet)
        report, _ = train_job(job, config, work / f"model-{detector}")
        steps[detector] = report.steps
        t1 = time.perf_counter()
        folder = RESULTS / f"stress-{detector}"
        stressed = run_stress(job, parse_attacks("default", str(autoencoder_weights())), folder,
                              report.best_checkpoint, cache_dir=work / "cache", fresh=True)
        write_stress_report(stressed.results, folder)
        t_stress += time.perf_counter() - t1
        jobs.append(job)
    t_train = time.perf_counter() - t0 - t_stress
    t_matrix = time.perf_counter()
    job = jobs[-1]
    train_sets = f"rect:realfake@{roots['classical']},rect:fakefake@{roots['vae']}"
    matrix_config = dataclasses.replace(config, max_steps=args.matrix_steps)
    run_matrix(job, parse_sets(train_sets), parse_sets(train_sets + f",rect:original@{roots['vae']}"),
               matrix_config, work / f"matrix-{job.detector}", cache_dir=work / "cache")
    (RESULTS / "matrix").mkdir(parents=True)
    for res_path in sorted((work / f"matrix-{job.detector}" / "results").glob("*.json")):
        shutil.copy2(res_path, RESULTS / "matrix" / res_path.name)
    record = {"command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
              "dataset": {k: v for k, v in made.items() if k != "roots"},
              "detector": args.detector, "options": args.opt or [], "image_size": args.image_size,
              "train_steps": steps, "batch_size": args.batch_size, "lr": args.lr,
              "matrix_train_steps": args.matrix_steps, "matrix_detector": job.detector,
              "seconds": {"data_and_training": round(t_train), "stress": round(t_stress),
                          "matrix": round(time.perf_counter() - t_matrix)}}
    (RESULTS / "experiments.json").write_text(json.dumps(record, indent=2) + "\n")


# --- README ----------------------------------------------------------------------------------------

CURVE_METRICS = ("iou", "f1_best", "auc")


def draw_figures(results: list) -> None:
    """Robustness curves per metric and family, and the matrix heatmap, from the results alone."""
    from inpaintbench.generalization import is_matrix_result, matrix_cells
    from inpaintbench.plots import heatmap, robustness_figures
    from inpaintbench.robustness import curves, group_results

    if FIGURES.exists():
        shutil.rmtree(FIGURES)
    groups = group_results([r for r in results if not is_matrix_result(r)])
    for metric in CURVE_METRICS:
        robustness_figures(curves(groups, metric), FIGURES, prefix=f"robustness-{metric}")
    matrix = [r for r in results if is_matrix_result(r)]
    if matrix:
        for metric in ("iou", "auc"):
            rows, cols, values = matrix_cells(matrix, metric)
            heatmap(values, rows, cols, FIGURES / f"matrix-{metric}.png", f"{matrix[0].detector}: {metric}, "
                    "trained on (rows) × tested on (columns)", "test set", "training set")


def spread_note(results: list) -> str:
    """A computed reading of the stress results: per detector, how far pixel AUC moves across the settings."""
    from inpaintbench.generalization import is_matrix_result

    stressed = [r for r in results if not is_matrix_result(r)]
    lines = []
    for detector in sorted({r.detector for r in stressed}):
        own = [r for r in stressed if r.detector == detector]
        clean = next((r for r in own if not r.attack), None)
        for split in sorted({s for r in own for s, m in r.metrics.items() if m.get("auc") is not None}):
            values = [(r.metrics[split]["auc"], r.attack) for r in own
                      if (r.metrics.get(split) or {}).get("auc") is not None]
            low = min(values, key=lambda v: v[0])
            start = f"clean {clean.metrics[split]['auc']:.3f}, " if clean and split in clean.metrics else ""
            lines.append(f"- `{detector}` pixel AUC on {split} over the clean run and {len(own) - 1} attack settings: "
                         f"{start}lowest {low[0]:.3f} (under `{low[1]}`), highest {max(values)[0]:.3f}.")
    return "\n".join(lines)


def render_readme() -> str:
    from inpaintbench.generalization import is_matrix_result
    from inpaintbench.leaderboard import render_all, robustness_section
    from inpaintbench.results import read_result

    record = json.loads((RESULTS / "experiments.json").read_text())
    results = [read_result(p) for p in sorted(RESULTS.rglob("*.json")) if p.name != "experiments.json"]
    draw_figures(results)
    env = results[0].environment
    made = record["dataset"]
    steps = record["train_steps"]
    steps_text = ", ".join(f"{k} {v}" for k, v in steps.items()) if isinstance(steps, dict) else steps
    matrix_detector = record.get("matrix_detector", record["detector"])
    intro = [
        "# Leaderboards", "",
        "Generated by `python scripts/make_leaderboards.py` from the result JSONs under "
        "`leaderboards/results/`, which the package wrote (`inpaintbench.stress.run_stress` and "
        "`inpaintbench.matrix.run_matrix`, the functions behind `python -m inpaintbench stress` and "
        "`python -m inpaintbench matrix`). Do not edit by hand; rerun the script "
        "(`--run` redoes the experiments).", "",
        "## How these numbers were produced", "",
        f"- Command: `python scripts/{record['command']}`",
        f"- Data: {made['description']}.",
        "- The stressed models are trained and tested on the `vae` set (`test/fakefake`, with `test/original` "
        "for false positives); the matrix trains one model on each set's manipulated kind and tests it on both.",
        f"- Detectors `{record['detector']}` (options {record['options'] or 'default'}), each trained from scratch "
        f"with the common trainer for {steps_text} steps (batch {record['batch_size']}, Adam lr "
        f"{record.get('lr', 1e-4):g}) at "
        f"{record['image_size']} px; the matrix models for "
        f"{record['matrix_train_steps']} steps each on one kind (detector `{matrix_detector}`).",
        f"- Machine: {env.get('device')}, torch {env.get('torch')}, {env.get('cpu_threads', '?')} CPU threads; "
        f"wall time in seconds: {', '.join(f'{k} {v}' for k, v in record['seconds'].items())}.",
        "- These are CPU-sized runs that show the machinery end to end; a model trained this briefly is far "
        "from converged, so read the numbers as a smoke test, not as the detector's quality.",
        spread_note(results), "",
        "Robustness curves, one figure per metric and attack family (drawn by `inpaintbench.plots` from the "
        "JSONs; each stress run's own `stress.md` is in `results/stress-<detector>/`):", ""]
    for metric in CURVE_METRICS:
        intro += [f"![{p.stem}](figures/{p.name})" for p in sorted(FIGURES.glob(f"robustness-{metric}-*.png"))]
    intro += ["", "Generalization matrix heatmap:", ""] + [f"![{p.stem}](figures/{p.name})"
                                                          for p in sorted(FIGURES.glob("matrix-*.png"))]
    board = render_all(results, title="Tables").replace("# Tables", "## Tables", 1)
    # briefly trained models often predict nothing at 0.5, so the threshold-free pixel AUC is shown too
    auc = robustness_section([r for r in results if not is_matrix_result(r)], "auc")
    return "\n".join(intro) + "\n\n" + board + "\n" + "\n".join(auc).rstrip() + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", action="store_true", help="redo the experiments before rendering")
    p.add_argument("--work", default=str(ROOT / "runs" / "leaderboards"), help="data, models and cache (not committed)")
    p.add_argument("--detector", default="fcn,nixnet",
                   help="comma-separated detectors to train and stress; the last one also makes the matrix")
    p.add_argument("--opt", action="append", help="detector option key=value")
    p.add_argument("--stored-size", type=int, default=128, help="side of the generated images")
    p.add_argument("--image-size", type=int, default=128, help="network input size")
    p.add_argument("--steps", type=int, default=100, help="training steps of the stressed model")
    p.add_argument("--matrix-steps", type=int, default=60, help="training steps of each matrix model")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (higher than the trainer's 1e-4 "
                                                          "default because these runs are short)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    if args.run:
        run_experiments(args)
    from inpaintbench.data.imageio import atomic_write_bytes

    atomic_write_bytes(BOARD / "README.md", render_readme().encode("utf-8"))
    print(f"wrote {BOARD / 'README.md'}")


if __name__ == "__main__":
    main()
