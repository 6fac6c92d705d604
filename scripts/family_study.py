"""The training-free part of the autoencoder-family study and the wild set, at a size of your choosing, with
the reference run's own steps (``scripts/reference.py``), into a folder of its own (never ``leaderboards/``):

    python scripts/family_study.py --photos 16 --size 256 --out runs/family-study
    python scripts/family_study.py --wild-detectors aerecon,noise-residual   # which detectors go on wild

1. free-form data from the first ``--photos`` BSDS500 test photos with each of taesd, taesdxl, taesd3, taef1 and
   taef2 (the same crops and masks for every one);
2. ``aerecon`` with every one of them on every family's fakefake and latent-fill images (the 5 x 5 matrix);
3. the ``--wild-detectors`` on the wild set, and ``aerecon`` with taesd, taesdxl and taef1, sliced by generator
   and autoencoder family;
4. ``study.md``: the "Real generators" and "Autoencoder attribution" sections of the leaderboard, and the
   minutes each step took. Everything resumes: rerun the same command after an interruption.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference  # noqa: E402  (the reference run's steps)


def rank_auc(positives: list[float], negatives: list[float]) -> float | None:
    """P(a positive scores above a negative), ties counting one half (the Mann-Whitney AUC)."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


OUTSIDE_DOC = ("Per wild result (file name) and data family: the mean share of pixels flagged at 0.5 outside the "
               "mask of the manipulated images, the same on the originals, and the AUC of the per-image shares "
               "(outputs against originals, ties one half). Most latent-diffusion outputs here were not pasted "
               "back, so their pixels outside the mask went through the generator's own VAE: an autoencoder that "
               "reveals that VAE's trace flags them more often than the originals (AUC above 0.5).")


def outside_mask_table(results_dir: Path) -> list[str]:
    """``OUTSIDE_DOC``'s table, from the wild results' per-image records (CSV)."""
    import pandas as pd

    from inpaintbench.jobs.results import read_result
    from inpaintbench.reports._markdown import markdown_table

    rows = []
    for path in sorted((results_dir / "wild").glob("*.json")):
        records = path.parent / (read_result(path).records or "")
        if not records.is_file() or records.suffix != ".csv":
            continue
        frame = pd.read_csv(records)
        originals = frame[frame.kind == "original"].fpr.dropna().tolist()
        for family, group in frame[frame.kind != "original"].groupby("autoencoder"):
            outside = group.fpr.dropna().tolist()
            rows.append([path.stem, family, len(outside), sum(outside) / len(outside), len(originals),
                         sum(originals) / len(originals), rank_auc(outside, originals)])
    header = ["result", "data family", "n", "flagged outside the mask", "n originals", "flagged on originals",
              "AUC outside vs originals"]
    return ["## Outside the mask: the generator's VAE round trip", "", OUTSIDE_DOC, "",
            markdown_table(header, rows), ""] if rows else []


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=int, default=16, help="BSDS500 test photos per family (default 16)")
    p.add_argument("--size", type=int, default=256, help="stored crop size in pixels (default 256)")
    p.add_argument("--out", default=str(reference.ROOT / "runs" / "family-study"),
                   help="work folder: photo links, data, results/ and study.md")
    p.add_argument("--wild-detectors", default="aerecon",
                   help="training-free detectors to run on the wild set besides aerecon's family variants "
                        "(comma-separated; 'all' for every registered one)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    from inpaintbench.jobs.results import read_result
    from inpaintbench.reports._protocol_ids import ProtocolIds
    from inpaintbench.reports.attribution import attribution_section
    from inpaintbench.reports.real_generators import real_generators_section

    work = Path(args.out)
    budget = dataclasses.replace(reference.BUDGETS["cpu"], name="family-study", device=args.device,
                                 stored_size=args.size, family_photos=args.photos)
    results = work / "results"
    detectors = (None if args.wild_detectors == "all" else
                 [d.strip() for d in args.wild_detectors.split(",") if d.strip()])
    seconds: dict[str, float] = {}

    def timed(step: str, fn, *more):
        t0 = time.perf_counter()
        out = fn(*more)
        seconds[step] = time.perf_counter() - t0
        return out

    photos = timed("photos", reference.link_photos, work, budget)
    family = timed("family data", reference.build_family_data, work, budget, photos, args.quiet)
    timed("attribution", reference.attribution_part, budget, family, args.quiet, results)
    timed("wild", reference.wild_part, budget, {}, args.quiet, results, detectors)
    found = [read_result(path) for path in sorted(results.rglob("*.json"))]
    ids = ProtocolIds(found)
    timing = {f"{step} minutes": round(s / 60, 1) for step, s in seconds.items()}
    evaluate_minutes = {path.relative_to(results).as_posix(): round(read_result(path).timing.get(
        "evaluate_seconds", 0) / 60, 1) for path in sorted(results.rglob("*.json"))}
    lines = ["# Autoencoder-family study and the wild set", "",
             f"`python scripts/family_study.py {' '.join(sys.argv[1:])}`: {args.photos} BSDS500 test photos per "
             f"family at {args.size} px; this run's step times: {json.dumps(timing)}.", "", *ids.section(),
             *real_generators_section(found, ids), *attribution_section(found, ids), *outside_mask_table(results),
             "## Evaluation minutes per result", "", *[f"- {k}: {v}" for k, v in evaluate_minutes.items()]]
    (work / "study.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    reference.say(f"wrote {work / 'study.md'}")


if __name__ == "__main__":
    main()
