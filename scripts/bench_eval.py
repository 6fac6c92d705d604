"""Print, in one run, the ratios that say whether evaluation does any work twice (issue 26):

- evaluation with the gallery against without it (``aerecon`` on the same images, same job);
- ``aerecon``'s ``predict`` against exactly its bare work, two autoencoder round trips of the same
  tensors (and the autoencoder's throughput in megapixels per second);
- the wall time of ``list``, ``list -v`` and ``--help``, and whether they import torch;
- evaluation against the bare forward pass for nixnet and fcn (``bench_train.bench``).

Each ratio is measured side by side within one run, the sides interleaved, and the median of
``--repeats`` is printed with the load average (the machine is shared: compare ratios, not times).
In-process ratios are given on wall time and on the process's CPU time (all its threads): on a busy
machine the CPU-time ratio is the steadier one, as waiting for a core counts in wall time only.

Usage: python scripts/bench_eval.py [--repeats 3] [--images 9] [--size 256] [--parts gallery,aerecon,list,forward]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))

from bench_train import bench, write_set  # noqa: E402

from inpaintbench.evaluation.protocol import Execution  # noqa: E402
from inpaintbench.jobs.job import Job, evaluate_job, make_dataset, make_detector  # noqa: E402
from inpaintbench.sdk import registry  # noqa: E402

PARTS = ("gallery", "aerecon", "list", "forward")


def seconds(fn) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all threads) of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def interleaved(sides: dict[str, callable], repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    """The median wall and CPU seconds of each side, each warmed up once, then run in turn ``repeats`` times."""
    for fn in sides.values():
        fn()
    times: dict[str, list[tuple[float, float]]] = {key: [] for key in sides}
    for _ in range(repeats):
        for key, fn in sides.items():
            times[key].append(seconds(fn))
    return ({key: statistics.median(w for w, _ in v) for key, v in times.items()},
            {key: statistics.median(c for _, c in v) for key, v in times.items()})


def ratio_text(wall: dict[str, float], cpu: dict[str, float], a: str, b: str) -> str:
    return f"ratio {wall[a] / wall[b]:.3f} on wall time, {cpu[a] / cpu[b]:.3f} on CPU time"


def gallery_ratio(root: Path, args: argparse.Namespace) -> None:
    job = Job("aerecon", "provided", dataset_options={"data_root": str(root)},
              run=Execution(batch_size=args.batch, progress=False))
    dataset = make_dataset(job)
    detector, info = make_detector(job)
    out = Path(root) / "gallery.png"

    def run(path):
        return lambda: evaluate_job(job, detector=detector, info=info, dataset=dataset, overlay_path=path)

    t, cpu = interleaved({"with gallery": run(out), "without": run(None)}, args.repeats)
    print(f"gallery: evaluation of {args.images} images of {args.size} px by aerecon: with gallery "
          f"{t['with gallery']:.2f} s, without {t['without']:.2f} s, "
          f"{ratio_text(t, cpu, 'with gallery', 'without')} (goal <= 1.10)")


def aerecon_ratio(args: argparse.Namespace) -> None:
    detector = registry.create("detectors", "aerecon")
    autoencoder = detector.autoencoder
    torch.manual_seed(0)
    images = torch.rand(args.ae_batch, 3, args.ae_size, args.ae_size)

    def bare() -> None:
        with torch.inference_mode():
            autoencoder.roundtrip(autoencoder.roundtrip(images))

    t, cpu = interleaved({"aerecon": lambda: detector.predict(images), "bare": bare}, args.repeats)
    megapixels = images.shape[0] * images.shape[2] * images.shape[3] / 1e6
    print(f"aerecon: predict {t['aerecon']:.3f} s, two bare round trips {t['bare']:.3f} s on "
          f"{args.ae_batch}x{args.ae_size}x{args.ae_size}: {ratio_text(t, cpu, 'aerecon', 'bare')} (goal <= 1.15); "
          f"autoencoder {2 * megapixels / t['bare']:.3f} MP/s per round trip on wall time "
          f"({2 * megapixels / cpu['bare']:.3f} per CPU second), aerecon {megapixels / t['aerecon']:.3f} MP/s")


def command_seconds(argv: list[str]) -> float:
    """Wall seconds of one command in a fresh interpreter."""
    return seconds(lambda: subprocess.run([sys.executable, "-m", "inpaintbench", *argv], check=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))[0]


def imports_torch(argv: list[str]) -> bool:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "inpaintbench", *argv], check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return any(line.rsplit("|", 1)[-1].strip() == "torch" for line in done.stderr.splitlines())


def list_times(args: argparse.Namespace) -> None:
    commands = {"list": ["list"], "list -v": ["list", "-v"], "--help": ["--help"]}
    t, _ = interleaved({key: (lambda argv=argv: command_seconds(argv)) for key, argv in commands.items()},
                       args.repeats)
    print("list: " + ", ".join(f"{key} {t[key]:.2f} s (imports torch: {'yes' if imports_torch(argv) else 'no'})"
                               for key, argv in commands.items()) + " (goal: list -v < 1.5 s, no torch)")


def forward_ratios(args: argparse.Namespace) -> None:
    fwd = argparse.Namespace(batch=8, workers=0, device="cpu", repeats=args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        write_set(Path(tmp), 32, 64)
        for name in ("nixnet", "fcn"):
            r = {k: statistics.median(v) for k, v in bench(name, Path(tmp), fwd, which=("evaluation",)).items()}
            print(f"{name}: evaluation {r['evaluation']:.1f} img/s, bare forward {r['bare forward']:.1f} img/s, "
                  f"ratio {r['evaluation'] / r['bare forward']:.3f} (goal >= 0.90)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, default=9, help="test images of the gallery job")
    parser.add_argument("--size", type=int, default=256, help="their side in pixels")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--ae-size", type=int, default=512, help="side of the aerecon timing tensors")
    parser.add_argument("--ae-batch", type=int, default=2)
    parser.add_argument("--parts", default=",".join(PARTS))
    args = parser.parse_args()
    parts = args.parts.split(",")
    print(f"torch threads {torch.get_num_threads()}, median of {args.repeats}, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    if "gallery" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            write_set(Path(tmp), args.images, args.size)
            gallery_ratio(Path(tmp), args)
    if "aerecon" in parts:
        aerecon_ratio(args)
    if "list" in parts:
        list_times(args)
    if "forward" in parts:
        forward_ratios(args)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
