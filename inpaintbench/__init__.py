"""inpaintbench: where an image was inpainted, and where detectors break.

The Python API, in the manner of ``timm.create_model`` / ``timm.list_models``::

    import inpaintbench as ib
    detector = ib.load_detector("nixnet")                      # or load_detector("fcn", "runs/.../best.pt")
    dataset = ib.load_dataset("provided", data_root="DIR")
    result = ib.evaluate(detector, dataset, image_size=256)    # a Result, as the CLI writes it
    report = ib.train("nixnet", "freeform", max_steps=100)     # a TrainReport with best_checkpoint

Keyword options carry the command line's names (``--mask-binarization`` is ``mask_binarization=``).
Everything heavy is imported inside the functions, so ``import inpaintbench`` stays light, and
``dir(inpaintbench)`` lists the API alone. Lower layers: ``inpaintbench.sdk`` (the plugin SDK),
``evaluation``, ``training``, ``jobs``, ``reports``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inpaintbench.jobs.results import Result
    from inpaintbench.sdk.contracts import BaseDetector, Dataset
    from inpaintbench.training.trainer import TrainReport

__version__ = "0.1.0"
__all__ = ["load_detector", "load_dataset", "evaluate", "train", "list_detectors", "list_datasets",
           "list_attacks"]


@dataclasses.dataclass(frozen=True)
class _Built:
    """How an object returned by ``load_detector``/``load_dataset`` was made: recorded in results."""

    name: str
    options: dict[str, Any]
    checkpoint: str | None = None
    info: dict[str, Any] | None = None
    #: The seed of its initial weights (built without a checkpoint), and whether ``train`` trained it since.
    seed: int = 0
    trained: bool = False


#: Provenance of the objects this API built, so that ``evaluate`` records them as the CLI does.
_BUILT: weakref.WeakKeyDictionary[Any, _Built] = weakref.WeakKeyDictionary()


def _remember(obj: Any, built: _Built) -> None:
    try:
        _BUILT[obj] = built
    except TypeError:  # an object that takes no weak reference is recorded by its type name
        pass


def _list(kind: str, pattern: str | None) -> list[str]:
    from inpaintbench.sdk import registry

    names = registry.names(kind)
    return [n for n in names if fnmatch.fnmatch(n, pattern)] if pattern else names


def list_detectors(pattern: str | None = None) -> list[str]:
    """Registered detector names (entry points), optionally filtered by a glob ``pattern``."""
    return _list("detectors", pattern)


def list_datasets(pattern: str | None = None) -> list[str]:
    """Registered dataset names, optionally filtered by a glob ``pattern``."""
    return _list("datasets", pattern)


def list_attacks(pattern: str | None = None) -> list[str]:
    """Registered attack names, optionally filtered by a glob ``pattern``."""
    return _list("attacks", pattern)


def load_detector(name: str, checkpoint: str | None = None, **options: Any) -> BaseDetector:
    """Detector ``name`` built with ``options`` (``--opt`` values), with the weights of ``checkpoint``."""
    from inpaintbench.jobs.job import Job, seeded_detector

    detector, info = seeded_detector(Job(detector=name, dataset="", detector_options=options), checkpoint, seed=0)
    _remember(detector, _Built(name, dict(options), str(checkpoint) if checkpoint else None, info))
    return detector


def load_dataset(name: str, **options: Any) -> Dataset:
    """Dataset ``name`` built with ``options`` (``data_root=...`` and ``--data-opt`` values)."""
    from inpaintbench.sdk import registry

    dataset = registry.create("datasets", name, **options)
    _remember(dataset, _Built(name, dict(options)))
    return dataset


def __dir__() -> list[str]:
    """The API alone: not the helpers, nor the subpackages that importing it loads."""
    return sorted([*__all__, "__version__"])


#: API keywords named as the command line names them, and the field each sets (with its conversion).
_CLI_NAMES: dict[str, tuple[str, Any]] = {
    "mask_binarization": ("binarization", lambda v: v),
    "skip_bad": ("on_bad", lambda v: "skip" if v else "error"),
}


def _cli_named(fields: list[str]) -> list[str]:
    """``fields`` as the API offers them: a field the command line names otherwise under the CLI's name."""
    renamed = {field: name for name, (field, _) in _CLI_NAMES.items()}
    return [renamed.get(f, f) for f in fields]


def _to_fields(given: dict[str, Any]) -> dict[str, Any]:
    """Keyword options with the CLI's names turned into the fields they set."""
    out = {}
    for key, value in given.items():
        field, convert = _CLI_NAMES.get(key, (key, None))
        out[field] = convert(value) if convert else value
    return out


def _split_options(given: dict[str, Any], *groups: list[str]) -> list[dict[str, Any]]:
    """``given`` divided among groups of option names (a key may serve several); an unknown key is an error."""
    from inpaintbench.sdk.registry import RegistryError, suggest

    parts = [{k: v for k, v in given.items() if k in names} for names in groups]
    known = [name for names in groups for name in names]
    unknown = [k for k in given if k not in known]
    if unknown:
        close = suggest(unknown[0], known)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise RegistryError(f"unknown option {unknown[0]!r}.{hint} Options: {', '.join(sorted(set(known)))}")
    return parts


def _job(detector: Any, dataset: Any, options: dict[str, Any], *also: type) -> tuple[Any, list[dict[str, Any]]]:
    """The ``Job`` (and the extra option groups ``also``) for built or named detector and dataset: the
    keywords are the protocol's, the execution's and the job's own (slices, gallery)."""
    from inpaintbench.evaluation.protocol import Execution, Protocol
    from inpaintbench.jobs.job import Job

    protocol_options, run_options, job_options, *rest = (
        _to_fields(part) for part in _split_options(options, *_keyword_groups(*also)))
    det, data = _built(detector), _built(dataset)
    job = Job(detector=det.name, dataset=data.name, detector_options=det.options, dataset_options=data.options,
              protocol=Protocol(**protocol_options), run=Execution(**{"progress": False, **run_options}),
              **job_options)
    return job, rest


def _keyword_groups(*also: type) -> list[list[str]]:
    """The keyword options of ``evaluate`` (and ``train`` with ``TrainConfig``), by what they set: the
    protocol's, the execution's, the job's, then those of ``also``; named as the command line names them."""
    from inpaintbench.evaluation.protocol import Execution, Protocol
    from inpaintbench.jobs.job import Job

    protocol_fields = [n for n in _fields(Protocol) if n not in ("attack", "recorded")]
    job_fields = [n for n in _fields(Job) if n not in ("detector", "dataset", "detector_options",
                                                        "dataset_options", "protocol", "run")]
    return [_cli_named(group) for group in (protocol_fields, _fields(Execution), job_fields,
                                            *(_fields(cls) for cls in also))]


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _known(obj: Any) -> bool:
    """Whether ``load_detector``/``load_dataset`` built ``obj`` (so its provenance is recorded)."""
    try:
        return obj in _BUILT
    except TypeError:
        return False


def _built(obj: Any) -> _Built:
    if isinstance(obj, str):
        return _Built(obj, {})
    try:
        found = _BUILT.get(obj)
    except TypeError:
        found = None
    return found or _Built(getattr(obj, "name", type(obj).__name__), {})


def evaluate(detector: Any, dataset: Any, splits: list[str] | None = None, **protocol_options: Any) -> Result:
    """Evaluate a detector (built, or a name) on a dataset (built, or a name) into a ``Result``.

    ``splits`` defaults to every test split. Keyword options, named as the command line names them, are the
    protocol's (``image_size``, ``mask_binarization``, ``max_pixels``, ``threshold``, ``metrics_convention``,
    ``image_threshold_from``, ``max_image_pixels``), the execution's (``batch_size``, ``device``, ``workers``, ``seed``,
    ``skip_bad``, and ``progress``, off by default) and the job's (``slice_by``, ``gallery_k``,
    ``gallery_metric``, ``allow_untrained``). A detector that needs a checkpoint and has none is refused
    unless ``allow_untrained=True``. The result is the one the CLI's ``evaluate`` writes: ``result`` shows its
    metrics, ``result.metrics_frame()`` and ``result.to_dataframe()`` are pandas tables, and
    ``inpaintbench.jobs.results.write_result`` saves it.
    """
    from inpaintbench.jobs.job import check_trained, evaluate_job, make_dataset, scored_detector

    job, _ = _job(detector, dataset, protocol_options)
    built = _built(detector)
    if isinstance(detector, str):
        detector, info = scored_detector(job)
    else:
        info = built.info if built.info is not None else _detector_info(detector)
        if _known(detector) and not built.trained:  # built by load_detector: its weights are known
            info = check_trained(detector, info, job, built.checkpoint, built.seed)
    if isinstance(dataset, str):
        dataset = make_dataset(job)
    return evaluate_job(job, built.checkpoint, splits, detector=detector, info=info, dataset=dataset)


def _detector_info(detector: Any) -> dict[str, Any]:
    """What a result records about a detector built outside ``load_detector``."""
    from inpaintbench.sdk.contracts import as_detector

    return dict(as_detector(detector).info())


def train(detector: Any, dataset: Any, run_dir: str | None = None, **config: Any) -> TrainReport:
    """Train a detector (built, or a name) on a dataset (built, or a name); returns the ``TrainReport``.

    Keyword options are ``TrainConfig``'s (``epochs``, ``max_steps``, ``lr``, ``train_kinds``, ...),
    the protocol's and the job's, as for ``evaluate``. Checkpoints go to ``run_dir`` (``--run-dir``; default
    ``runs/<detector>-<dataset>-<hash>``); load the best with ``load_detector(name, report.best_checkpoint)``.
    """
    import warnings

    from inpaintbench.jobs.job import train_job
    from inpaintbench.training.trainer import TrainConfig

    if "out_dir" in config:  # the name before the CLI's, kept for one release
        warnings.warn("train(out_dir=...) is deprecated (kept for one release): use run_dir=", FutureWarning,
                      stacklevel=2)
        run_dir = config.pop("out_dir")

    job, (train_options,) = _job(detector, dataset, config, TrainConfig)
    run = job.run
    shared = {"batch_size": run.batch_size, "seed": run.seed, "device": run.device, "workers": run.workers,
              "on_bad": run.on_bad, "progress": run.progress}
    train_config = TrainConfig(**{**shared, **train_options})
    report, _ = train_job(job, train_config, run_dir, detector=None if isinstance(detector, str) else detector,
                          dataset=None if isinstance(dataset, str) else dataset)
    if _known(detector):  # trained in place: evaluate scores it as it is now
        _remember(detector, dataclasses.replace(_built(detector), trained=True))
    return report
