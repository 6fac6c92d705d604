"""The common trainer and the run/evaluate commands, on tiny data with a tiny detector."""

from pathlib import Path

import pytest
import torch

from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation.protocol import Execution, Protocol
from inpaintbench.sdk.registry import create
from inpaintbench.training.trainer import TrainConfig, load_checkpoint, train


def _config(**kw):
    base = dict(epochs=2, batch_size=4, lr=3e-3, progress=False, seed=1, crop=32)
    base.update(kw)
    return TrainConfig(**base)


def test_train_writes_loadable_checkpoints_and_learns(tiny_layout, tiny_detector, tmp_path):
    ds = LayoutDataset(tiny_layout)
    det = create("detectors", "tiny")
    report = train(det, ds, _config(epochs=6), Protocol(32), tmp_path / "run", name="tiny")
    ckpt = load_checkpoint(report.best_checkpoint)
    assert ckpt["detector"] == "tiny" and ckpt["options"] == {"width": 8}
    assert set(ckpt["state_dict"]) == set(det.module.state_dict())
    assert report.epochs_run == 6 and len(report.history) == 6
    assert report.history[-1]["train_loss"] < report.history[0]["train_loss"]
    assert "val_auc" in report.history[0] and "val_f1_best" in report.history[0]
    assert "val_fpr" in report.history[0]  # authentic validation images are scored too


def test_resume_continues_from_last_checkpoint(tiny_layout, tiny_detector, tmp_path):
    ds = LayoutDataset(tiny_layout)
    out = tmp_path / "run"
    first = train(create("detectors", "tiny"), ds, _config(epochs=1), Protocol(32), out, name="tiny")
    assert first.epochs_run == 1 and first.resumed_from_epoch is None
    second = train(create("detectors", "tiny"), ds, _config(epochs=3), Protocol(32), out, name="tiny")
    assert second.resumed_from_epoch == 0 and second.epochs_run == 3 and second.steps == 3 * first.steps
    straight = train(create("detectors", "tiny"), ds, _config(epochs=3, resume=False), Protocol(32),
                     tmp_path / "straight", name="tiny")
    a = load_checkpoint(second.last_checkpoint)["state_dict"]
    b = load_checkpoint(straight.last_checkpoint)["state_dict"]
    for key in a:  # resuming reproduces the uninterrupted run
        assert torch.allclose(a[key], b[key], atol=1e-5), key
    with pytest.raises(ValueError, match="was written for tiny"):
        train(create("detectors", "tiny", width=4), ds, _config(epochs=4), Protocol(32), out, name="tiny")


def test_early_stopping_with_patience(tiny_layout, tiny_detector, tmp_path):
    ds = LayoutDataset(tiny_layout)
    report = train(create("detectors", "tiny"), ds, _config(epochs=30, lr=0.0, patience=1), Protocol(32),
                   tmp_path / "run", name="tiny")
    assert report.stopped_early and report.epochs_run == 2 and report.best_epoch == 0


def test_collapse_is_warned(tiny_layout, tiny_detector, tmp_path):
    ds = LayoutDataset(tiny_layout)
    det = create("detectors", "tiny")
    with torch.no_grad():
        det.module[-1].bias.fill_(-20.0)
    with pytest.warns(UserWarning, match="collapsed"):
        train(det, ds, _config(epochs=1, lr=0.0), Protocol(32), tmp_path / "run", name="tiny")


def test_image_level_auc_against_authentic_split(tiny_layout, tmp_path):
    from inpaintbench.evaluation.harness import evaluate
    from inpaintbench.evaluation.metrics import image_auc

    class Brightness:
        """Scores images by mean brightness; heatmap constant: only the image score is informative."""

        def predict(self, images):
            return images.mean(1, keepdim=True).clamp(0, 1)

        def image_score(self, images):
            return -images.mean((1, 2, 3))

    ds = LayoutDataset(tiny_layout)
    out = evaluate(Brightness(), ds, ["test/fakefake", "test/original"], protocol=Protocol(32),
                   run=Execution(progress=False))
    fake = out["test/fakefake"]
    assert fake["image_score"] == "detector.image_score" and 0 <= fake["image_auc"] <= 1
    assert "image_auc" not in out["test/original"]
    assert image_auc([0.9, 0.8], [0.1, 0.8]) == pytest.approx((1 + 1 + 1 + 0.5) / 4)
    assert fake["image_threshold_from"] == "fixed" and 0 <= fake["image_bacc"] <= 1
    scored: list[str] = []

    class Counting(Brightness):
        def predict(self, images):
            scored.append(len(images))
            return super().predict(images)

    chosen = evaluate(Counting(), ds, ["test/fakefake", "test/original"],
                      protocol=Protocol(32, image_threshold_from="val"),
                      run=Execution(batch_size=1, progress=False))["test/fakefake"]
    assert len(scored) == 3 + 3 + 2 + 2  # the test splits, then val/fakefake and val/original
    assert chosen["image_threshold_from"].startswith("val: ") and chosen["image_threshold"] != 0.5


def test_card_recommendations_are_resolved_in_the_config():
    from inpaintbench.sdk.contracts import Card
    from inpaintbench.training.trainer import FALLBACKS

    card = Card(description="x", training={"lr": 1e-3})
    resolved = TrainConfig().resolve(card)
    assert resolved.lr == 1e-3 and resolved.from_card == ("lr",)
    assert resolved.focal_alpha == FALLBACKS["focal_alpha"] and resolved.record()["from_card"] == ["lr"]
    given = TrainConfig(lr=5e-5).resolve(card)
    assert given.lr == 5e-5 and given.from_card == ()
    assert TrainConfig().resolve(None).lr == FALLBACKS["lr"]
    with pytest.raises(ValueError, match="unknown training settings"):
        TrainConfig().resolve(Card(description="x", training={"learning_rate": 1.0}))


def test_train_applies_the_card_for_every_caller(tiny_layout, tiny_detector, tmp_path, monkeypatch):
    """A script that builds TrainConfig without lr gets the card's; the run records where it came from."""
    from inpaintbench.sdk.contracts import Card

    det = create("detectors", "tiny")
    monkeypatch.setattr(type(det), "card", Card(description="tiny", trainable=True, training={"lr": 0.02}))
    report = train(det, LayoutDataset(tiny_layout), TrainConfig(epochs=1, progress=False, crop=32), Protocol(32),
                   tmp_path / "run", name="tiny")
    assert report.config["lr"] == 0.02 and report.config["from_card"] == ["lr"]
    assert load_checkpoint(report.last_checkpoint)["config"]["lr"] == 0.02


def test_authentic_images_are_trained_on_by_default_and_can_be_excluded(tiny_layout, tiny_detector, tmp_path):
    from inpaintbench.sdk.errors import ConfigError
    from inpaintbench.training.trainer import Trainer

    ds = LayoutDataset(tiny_layout)

    def trainer(**kw):
        return Trainer(create("detectors", "tiny"), ds, _config(**kw), Protocol(32), tmp_path / "run", "tiny")

    default = trainer()
    assert default.used["kinds"] == {"realfake": 8, "fakefake": 8, "original": 8} and len(default.data) == 24
    originals = [default.data[i] for i in range(len(default.data)) if default.data[i]["kind"] == "original"]
    assert len(originals) == 8 and all(float(item["target"].abs().sum()) == 0 for item in originals)
    only_fakes = trainer(train_kinds=("realfake", "fakefake"))
    assert only_fakes.used["kinds"] == {"realfake": 8, "fakefake": 8} and len(only_fakes.data) == 16
    with pytest.raises(ConfigError, match="no manipulated kind"):
        trainer(train_kinds=("original",))


def test_run_says_where_best_pt_went_why_it_stopped_and_counts_epochs_as_the_bar(tiny_layout, tiny_detector,
                                                                                tmp_path, capsys):
    """The progress bar, the per-epoch lines and the summary all count epochs from 1; `run` prints the
    checkpoints and the reason training stopped (epochs, then the step budget)."""
    from inpaintbench.cli import main

    args = ["run", "--detector", "tiny", "--dataset", "provided", "--data-root", str(tiny_layout), "--epochs", "2",
            "--crop", "32", "--lr", "0.003", "--no-overlays", "--run-dir", str(tmp_path / "run"),
            "--output", str(tmp_path / "r.json")]
    assert main(args) == 0
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "epoch 1/2" in captured.err and "epoch 2/2" in captured.err  # the bars
    lines = [line for line in shown.splitlines() if line.startswith("epoch ") and ": steps=" in line]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]  # never "epoch=0"
    assert "epoch=0" not in shown
    best = tmp_path / "run" / "best.pt"
    summary = captured.out
    said = next(line for line in summary.splitlines() if line.startswith("checkpoints: "))
    assert "trained 2 epoch(s)" in summary and said.endswith("last.pt (last, to resume)")
    assert Path(said.split()[1]).resolve() == best.resolve() and said.split()[2] == "(best,"
    assert "stopped: all 2 epoch(s) done (--epochs 2)" in summary
    import json

    training = json.loads((tmp_path / "r.json").read_text())["training"]
    best_epoch = training["best_epoch"] + 1
    assert f"best epoch {best_epoch}" in summary and 1 <= best_epoch <= 2
    assert main([*args[:-2], "--output", str(tmp_path / "r2.json"), "--max-steps", "3", "--no-resume",
                 "--quiet"]) == 0
    assert "stopped: step budget reached: 3 steps (--max-steps 3)" in capsys.readouterr().out
