"""The plugin SDK: baselines and attacks import only the SDK from the package, and plain detector
objects get the declared abilities' defaults."""

import ast
from pathlib import Path

import pytest
import torch
from torch import nn

from inpaintbench.sdk.contracts import (
    BaseDetector,
    ModuleDetector,
    PlainDetector,
    SplitName,
    as_detector,
    kind_role,
    pooled_logit,
)

ROOT = Path(__file__).resolve().parents[1]
SDK = {"inpaintbench.sdk"} | {f"inpaintbench.sdk.{p.stem}" for p in (ROOT / "inpaintbench" / "sdk").glob("*.py")}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("folder", ["baselines", "attacks"])
def test_plugins_import_only_the_sdk_from_the_package(folder):
    files = sorted((ROOT / folder).glob("*.py"))
    assert files
    for path in files:
        ours = {m for m in imported_modules(path) if m.split(".")[0] in ("inpaintbench", "baselines", "attacks")}
        assert ours <= SDK, f"{path.relative_to(ROOT)} imports {sorted(ours - SDK)}; use only {sorted(SDK)}"


def test_the_import_rule_check_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from inpaintbench.evaluation.harness import evaluate\nimport inpaintbench.jobs.job\n"
                   "import inpaintbench.sdk.registry\n")
    assert imported_modules(bad) - SDK == {"inpaintbench.evaluation.harness", "inpaintbench.jobs.job"}


class Plain:
    """A third-party detector that subclasses nothing: predict only."""

    def predict(self, images):
        return images.mean(1, keepdim=True)


class PlainWithScore(Plain):
    options = {"k": 1}

    def image_score(self, images):
        return torch.full((images.shape[0],), 0.25)

    def info(self):
        return {"options": self.options, "weights": "none"}


def test_plain_detector_gets_defaults():
    det = as_detector(Plain())
    assert isinstance(det, PlainDetector) and not det.has_image_score and not det.trainable
    assert not det.loads_weights
    images = torch.rand(2, 3, 8, 8)
    heat = det.predict(images)
    assert torch.equal(det.image_score(images, heat), heat.flatten(1).amax(1))
    assert det.to("cpu") is det and det.info() == {"options": {}}
    with pytest.raises(TypeError, match="cannot load a checkpoint"):
        det.load_state_dict({})


def test_plain_detector_abilities_are_forwarded():
    det = as_detector(PlainWithScore())
    assert det.has_image_score
    images = torch.rand(3, 3, 8, 8)
    assert torch.equal(det.image_score(images, det.predict(images)), torch.full((3,), 0.25))
    assert det.info() == {"options": {"k": 1}, "weights": "none"}


def test_module_detector_is_itself_and_trainable():
    det = ModuleDetector(nn.Conv2d(3, 1, 1))
    assert as_detector(det) is det and det.trainable and det.loads_weights
    assert not BaseDetector.trainable
    with pytest.raises(TypeError, match="not a detector"):
        as_detector(object())


def test_split_names_and_roles():
    name = SplitName.parse("test/original")
    assert (name.part, name.kind, name.role, str(name)) == ("test", "original", "authentic", "test/original")
    assert SplitName.parse("val").kind == "" and str(SplitName.parse("val")) == "val"
    assert kind_role("realfake") == "manipulated" and kind_role("original") == "authentic"
    assert str(name.with_kind("realfake")) == "test/realfake"


def test_pooled_logit_is_the_mean_of_the_top_share_of_valid_pixels():
    logits = torch.arange(200, dtype=torch.float32).reshape(2, 1, 10, 10)
    # 1 % of 100 pixels is one pixel; 5 % is five; the top five of 0..99 average 97
    assert pooled_logit(logits).tolist() == [99.0, 199.0]
    assert pooled_logit(logits, fraction=0.05).tolist() == [97.0, 197.0]
    valid = torch.zeros(2, 1, 10, 10, dtype=torch.bool)
    valid[0, 0, :5, :4] = True   # 20 pixels: values 0..3, 10..13, ..., 40..43; top ceil(0.05*20)=1 is 43
    valid[1] = True
    assert pooled_logit(logits, valid, fraction=0.05).tolist() == [43.0, 197.0]
    assert pooled_logit(logits, valid, fraction=0.1).tolist() == [42.5, 194.5]  # two pixels: 43 and 42
    logits.requires_grad_(True)
    pooled_logit(logits, valid, fraction=0.1).sum().backward()
    assert int((logits.grad != 0).sum()) == 2 + 10  # only the pooled pixels get gradient


def test_module_detector_image_score_pools_the_logits_of_its_heatmap():
    module = nn.Conv2d(3, 1, 1)
    det = ModuleDetector(module)
    images = torch.rand(3, 3, 20, 20)
    with torch.no_grad():
        expected = torch.sigmoid(pooled_logit(module(images)))
    assert det.has_image_score and "top 1% pixel logits" in det.image_score_source()
    torch.testing.assert_close(det.image_score(images, det.predict(images)), expected, rtol=1e-4, atol=1e-5)


def test_a_subclass_that_defines_image_score_has_it_called():
    from inpaintbench.evaluation.harness import image_scores

    class Own(BaseDetector):
        def predict(self, images):
            return images[:, :1]

        def image_score(self, images, heatmap):
            return torch.full((images.shape[0],), 0.25)

    class Declined(Own):
        has_image_score = False  # an explicit choice is kept

    images = torch.rand(2, 3, 8, 8)
    valid = torch.ones(2, 1, 8, 8, dtype=torch.bool)
    assert Own.has_image_score and not Declined.has_image_score and not BaseDetector.has_image_score
    assert torch.equal(image_scores(Own(), images, images[:, :1], valid), torch.full((2,), 0.25))
    assert torch.equal(image_scores(Declined(), images, images[:, :1], valid), images[:, :1].flatten(1).amax(1))
