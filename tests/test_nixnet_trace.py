"""NIX-Net's noise stream on the autoencoder trace: channels, shapes, gradients, a frozen autoencoder."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from inpaintbench.baselines.aetrace import AutoencoderTrace
from inpaintbench.baselines.nixnet import NIXNet, NIXNetDetector
from inpaintbench.sdk import load_autoencoder


def test_the_trace_is_the_image_minus_its_round_trip_and_that_minus_the_second():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 20, 28)
    trace = AutoencoderTrace(clip=255.0)(x)
    ae = load_autoencoder("taef2")
    first = ae.roundtrip(x)
    assert trace.shape == (2, 6, 20, 28)
    torch.testing.assert_close(trace[:, :3], x - first, atol=1e-5, rtol=0)
    torch.testing.assert_close(trace[:, 3:], first - ae.roundtrip(first), atol=1e-5, rtol=0)
    clipped = AutoencoderTrace(clip=2.0)(x)
    assert float(clipped.abs().max()) <= 1.0 and float((clipped.abs() == 1.0).float().mean()) > 0.1


@pytest.mark.parametrize("residual,channels", [("aerecon", 6), ("srm+aerecon", 15), ("srm", 9)])
def test_noise_stream_inputs_shapes_and_gradients(residual, channels):
    torch.manual_seed(0)
    det = NIXNetDetector(width=4, residual=residual)
    net = det.module
    x = torch.rand(2, 3, 19, 27)
    assert net.noise_input(x).shape == (2, channels, 19, 27)
    assert net.noise_stream.stages[0][0].body[0][0].in_channels == channels
    logits = det.logits(x)
    assert logits.shape == (2, 1, 19, 27)
    F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits)).backward()
    grads = [p.grad for p in net.noise_stream.parameters()]
    assert all(g is not None for g in grads) and any(float(g.abs().sum()) > 0 for g in grads)
    assert ("autoencoder" in det.options) == ("aerecon" in residual)


def test_the_trace_autoencoder_stays_frozen_and_out_of_the_model():
    torch.manual_seed(0)
    net = NIXNet(width=4, residual="srm+aerecon")
    ae = net.trace.autoencoder(torch.device("cpu"))
    ae_params = list(ae.encoder.parameters()) + list(ae.decoder.parameters())
    before = [p.detach().clone() for p in ae_params]
    model_params = {id(p) for p in net.parameters()}
    assert not any(id(p) in model_params for p in ae_params)
    assert not any(k.startswith("trace") for k in net.state_dict()) and "residual.weight" in net.state_dict()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.rand(2, 3, 16, 16, requires_grad=True)
    for _ in range(2):
        opt.zero_grad()
        net(x).mean().backward()
        opt.step()
    assert all(p.grad is None for p in ae_params)
    assert all(torch.equal(a, b) for a, b in zip(before, ae_params))


def test_bad_residual_combinations_are_refused():
    for bad in ("srm+gaussian", "aerecon+aerecon", "srm+", "noise"):
        with pytest.raises(ValueError):
            NIXNet(width=4, residual=bad)
