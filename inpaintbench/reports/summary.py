"""The short summary a command prints after writing a result: headline metrics per split and slice."""

from __future__ import annotations

from pathlib import Path


def slice_lines(split: str, columns: dict) -> str:
    """One line per slice value of a split: its n and main metric."""
    lines = []
    for column, values in columns.items():
        for value, m in values.items():
            shown = "  ".join(f"{k} {m[k]:.3f}" for k in ("iou", "f1", "f1_best", "fpr") if isinstance(m.get(k), float))
            lines.append(f"{split:>18} · {column}={value} (n={m['n']}): {shown}")
    return "\n".join(lines)


def bacc_text(m: dict) -> str:
    """bAcc with its threshold and how it was chosen; a threshold outside every score decides nothing, said so."""
    how = f"{m['image_threshold']:.3f}, {m['image_threshold_from'].split(':')[0]}"
    if m.get("image_threshold_outside"):
        return f"bAcc none (threshold {how}: {m['image_threshold_outside']})"
    return f"bAcc {m['image_bacc']:.3f} (threshold {how})"


def metrics_lines(metrics: dict) -> str:
    """Per split one line of its headline metrics (and one of image-level detection where there is one)."""
    lines = []
    for split, m in metrics.items():
        if not {"f1_best", "fpr"} & set(m):  # a preset's metrics (``--metrics-convention``)
            lines.append(f"{split:>18}: " + "  ".join(f"{k} {v:.3f}" for k, v in m.items() if isinstance(v, float))
                         + f"  n={m.get('n_images', 0)}")
        elif m["role"] == "manipulated" and m.get("n_images"):
            lines.append(f"{split:>18}: IoU {m['iou']:.3f}  F1 {m['f1']:.3f}  IoU(pooled) {m['iou_pooled']:.3f}  "
                         f"F1-best {m['f1_best']:.3f}  AUC {m['auc']:.3f}  n={m['n_images']}")
            if "image_auc" in m:
                lines.append(f"{'':>18}  image AUC {m['image_auc']:.3f}  {bacc_text(m)}  "
                             f"TPR@5%FPR {m['image_tpr_at_5fpr']:.3f}  n={m.get('image_n_manipulated', '?')} "
                             f"vs {m.get('image_n_authentic', '?')} authentic")
        elif m["role"] == "authentic" and m.get("n_authentic"):
            lines.append(f"{split:>18}: pixel FPR {m['fpr']:.4f}  any-positive {m['any_positive_rate']:.3f}  "
                         f"n={m['n_authentic']}")
    return "\n".join(lines)


def result_report(result, path: Path, note: str = "") -> str:
    """What ``evaluate`` and ``run`` print after writing ``path``: metrics, skipped files, slices, where the
    result, its per-image records and its gallery went."""
    lines = [metrics_lines(result.metrics)]
    info = result.dataset_info or {}
    skipped = info.get("n_skipped", 0)
    if skipped:
        lines.append(f"skipped {skipped} bad file(s): {info['n_skipped_at_scan']} when scanning the dataset, "
                     f"{skipped - info['n_skipped_at_scan']} when reading (--skip-bad)")
    lines += [slice_lines(split, columns) for split, columns in result.slices.items()]
    untrained = (result.detector_info or {}).get("untrained")
    if untrained:
        lines.append(f"untrained: {untrained}")
    overlay = Path(path).with_suffix(".png")
    lines.append(f"result written to {path}{note}; per-image records: {Path(path).parent / result.records}"
                 + (f"; gallery: {overlay}" if overlay.exists() else ""))
    return "\n".join(lines)


def training_lines(training: dict, folder: str | Path | None = None) -> str:
    """What ``train`` and ``run`` print about a finished training: epochs and steps, the best epoch (counted
    from 1, as the progress bar counts) with its validation figures, why it stopped, where the checkpoints are
    (in ``folder`` when given: a result records them as portable paths)."""
    best = training.get("best_val") or {}
    figures = ", ".join(f"{k} {v:.3f}" for k, v in best.items() if k in ("iou", "f1_best", "auc"))
    lines = [f"trained {training['epochs_run']} epoch(s), {training['steps']} steps; best epoch "
             f"{training['best_epoch'] + 1}" + (f": validation {figures}" if figures else " (no validation split)")]
    if training.get("stop_reason"):
        lines.append(f"stopped: {training['stop_reason']}")
    best, last = training.get("best_checkpoint"), training.get("last_checkpoint")
    if folder is not None:
        best, last = Path(folder) / "best.pt", Path(folder) / "last.pt"
    if best:
        lines.append(f"checkpoints: {best} (best, evaluated), {last} (last, to resume)")
    return "\n".join(lines)


def stress_table(results, metric: str = "iou") -> str:
    """A short table of a stress run: a row per setting (clean first), ``metric`` on each manipulated split
    and the pixel FPR of each authentic split."""
    from tabulate import tabulate

    splits = list(dict.fromkeys(split for res in results for split in res.metrics))
    columns = [(split, "fpr" if res_role(results, split) == "authentic" else metric) for split in splits]
    rows = [[res.attack or "clean"] + [res.metrics.get(split, {}).get(key) for split, key in columns]
            for res in results]
    return tabulate(rows, headers=["setting"] + [f"{split} {key}" for split, key in columns], tablefmt="simple",
                    floatfmt=".3f", missingval="–")


def res_role(results, split: str) -> str:
    """The role the results record for ``split``."""
    return next(res.metrics[split].get("role", "manipulated") for res in results if split in res.metrics)


def stress_report(done, report, output_dir: str | Path, metric: str = "iou") -> str:
    """What ``stress`` prints: its table, where the clean pass came from, what was kept or redone, the files."""
    lines = [stress_table(done.results, metric), "",
             f"clean pass: {'from cache' if done.clean_from_cache else 'computed'}; "
             f"{len(done.attacked)} attack setting(s), {len(done.kept)} kept from an earlier run"]
    lines += [f"redone {setting}: its earlier result no longer fits: {why}" for setting, why in done.redone.items()]
    lines.append(f"results: {len(done.result_paths)} JSON file(s) in {output_dir}")
    lines.append(f"table: {report.table}")
    lines += [f"curve: {fig}" for fig in report.figures]
    return "\n".join(lines)
