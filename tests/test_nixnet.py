"""NIX-Net: shapes at odd sizes, gradients into both streams, fixed SRM filters, overfitting 8 images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from inpaintbench.baselines.nixnet import NIXNet, NIXNetDetector
from inpaintbench.baselines.srm import NoiseResidual, srm_bank
from inpaintbench.evaluation.metrics import MetricState
from inpaintbench.sdk import registry
from inpaintbench.sdk.contracts import count_parameters


@pytest.mark.parametrize("h,w", [(37, 53), (64, 64), (100, 76), (9, 15)])
def test_output_shape_matches_input_at_any_size(h, w):
    torch.manual_seed(0)
    det = NIXNetDetector(width=4)
    x = torch.rand(2, 3, h, w)
    logits = det.logits(x)
    assert logits.shape == (2, 1, h, w)
    prob = det.predict(x)
    assert prob.shape == (2, 1, h, w) and prob.dtype == torch.float32
    assert float(prob.min()) >= 0 and float(prob.max()) <= 1


def test_gradients_reach_both_streams_and_srm_stays_fixed():
    torch.manual_seed(0)
    net = NIXNet(width=4)
    names = {n for n, _ in net.named_parameters()}
    assert not any(n.startswith("residual.") for n in names), "SRM kernels must not be parameters"
    assert "residual.weight" in net.state_dict(), "SRM kernels are saved with the model as a buffer"
    before = net.residual.weight.clone()
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    x = torch.rand(2, 3, 33, 41)
    y = (torch.rand(2, 1, 33, 41) > 0.7).float()
    loss = F.binary_cross_entropy_with_logits(net(x), y)
    opt.zero_grad()
    loss.backward()
    for stream in (net.image_stream, net.noise_stream):
        first = next(stream.parameters())
        assert first.grad is not None and float(first.grad.abs().sum()) > 0
    opt.step()
    assert torch.equal(net.residual.weight, before)
    # the buffer holds the published kernels, once per colour channel
    assert torch.allclose(net.residual.weight[:3, 0], srm_bank())
    assert torch.allclose(net.residual.weight[3:6, 0], srm_bank())


def test_srm_residual_options_behave():
    flat = torch.full((1, 3, 16, 16), 0.5)
    for residual in ("srm", "gaussian", "median"):
        assert NoiseResidual(residual)(flat).abs().max() < 1e-4  # a flat image has no residual
    noisy = (flat + 0.2 * torch.randn_like(flat)).clamp(0, 1)
    clipped = NoiseResidual("srm", "clip", 3.0)(noisy)
    assert clipped.shape == (1, 9, 16, 16) and clipped.abs().max() == pytest.approx(1.0)
    raw = NoiseResidual("srm", "none")(noisy)
    assert raw.abs().max() > 1.0 / 255 * 3
    std = NoiseResidual("gaussian", "std")(noisy)
    assert std.shape == (1, 3, 16, 16)
    assert torch.allclose(std.flatten(2).std(2), torch.ones(1, 3), atol=1e-4)
    with pytest.raises(ValueError, match="unknown residual"):
        NoiseResidual("srn")


def test_registered_with_card_options_and_parameter_count():
    det = registry.create("detectors", "nixnet", width="4", clip="2.5")
    assert isinstance(det, NIXNetDetector)
    assert det.options["width"] == 4 and det.options["clip"] == 2.5
    info = det.info()
    assert info["parameters"] == count_parameters(det.module) > 0
    assert info["weights"] == "none"
    assert NIXNetDetector.card.trainable and "2106.01532" in NIXNetDetector.card.reference
    assert set(NIXNetDetector.card.params) >= {"width", "residual", "clip", "image_backbone"}
    # the count that `list` shows in the card is the default model's
    assert f"{count_parameters(NIXNetDetector().module):,} parameters" in NIXNetDetector.card.description


def test_timm_backbone_from_local_weights(tmp_path):
    timm = pytest.importorskip("timm")
    src = timm.create_model("resnet18", pretrained=False)
    path = tmp_path / "r18.pth"
    torch.save(src.state_dict(), path)
    det = NIXNetDetector(width=4, image_backbone="resnet18", backbone_weights=str(path))
    assert det.weights == str(path)
    assert torch.equal(det.module.image_stream.body.conv1.weight, src.conv1.weight)
    assert det.logits(torch.rand(1, 3, 37, 53)).shape == (1, 1, 37, 53)
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        NIXNetDetector(width=4, image_backbone="resnet18", backbone_weights=str(tmp_path / "missing.pth"))


def _noise_pairs(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy textures whose noise was removed inside a random rectangle: the trace NIX-Net looks for."""
    rng = np.random.default_rng(seed)
    images, masks = [], []
    for _ in range(n):
        base = rng.uniform(0.3, 0.7, size=(3, 1, 1))
        noise = rng.normal(0, 0.08, size=(3, size, size))
        mask = np.zeros((size, size), np.float32)
        y, x = rng.integers(0, size // 2, 2)
        mask[y:y + size // 2, x:x + size // 2] = 1
        images.append(np.clip(base + noise * (1 - mask), 0, 1))
        masks.append(mask[None])
    return torch.tensor(np.stack(images), dtype=torch.float32), torch.tensor(np.stack(masks))


@pytest.mark.slow
@pytest.mark.slow
def test_overfits_eight_tiny_images():
    torch.manual_seed(0)
    x, y = _noise_pairs(8, 32, seed=1)
    det = NIXNetDetector(width=8)
    opt = torch.optim.Adam(det.module.parameters(), lr=3e-3)
    det.module.train()
    for _ in range(150):
        loss = F.binary_cross_entropy_with_logits(det.logits(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    state = MetricState()
    state.update(det.predict(x), y)
    assert state.compute()["iou"] > 0.9


@pytest.mark.parametrize("size", [128, 256])
def test_benchmark_train_step_batch8(benchmark, size):
    """Forward + backward + Adam step for a batch of 8 at the default width (run with --benchmark-enable)."""
    torch.manual_seed(0)
    det = NIXNetDetector()
    opt = torch.optim.Adam(det.module.parameters(), lr=1e-4)
    x = torch.rand(8, 3, size, size)
    y = (torch.rand(8, 1, size, size) > 0.8).float()

    def step() -> float:
        loss = F.binary_cross_entropy_with_logits(det.logits(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss)

    assert np.isfinite(benchmark(step))
