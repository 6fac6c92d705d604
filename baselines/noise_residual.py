"""Training-free detectors from local noise-level inconsistency, the classical splicing/inpainting baselines.

``noise-residual`` (Mahdian & Saic 2009): the noise level of each block is the median absolute value
of the finest diagonal wavelet band (HH1) divided by 0.6745. ``noise-kurtosis`` (Lyu, Pan & Zhang
2014): the noise variance of each block follows from the kurtosis of band-pass (DCT) responses being
concentrated across bands. Both give a grid of log noise levels; a block is scored by how far its
level lies below (or away from) the image's median, in robust standard deviations:

    z = (median(L) - L) / (1.4826 * MAD(L) + min_spread)         (side=low; side=both uses |z|)
    p = sigmoid(slope * (z - z0))

so p = 0.5 where a block's noise level is ``z0`` robust deviations below the image's typical level.
Inpainted and re-encoded regions lose camera noise, hence ``side=low`` by default.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from inpaintbench.sdk.contracts import BaseDetector, Card

#: Rec. 601 luma weights: noise is measured on brightness in 8-bit units.
LUMA = (0.299, 0.587, 0.114)
#: median(|x|) / MAD_TO_SIGMA is the standard deviation of zero-mean Gaussian x.
MAD_TO_SIGMA = 0.6745
SIDES = ("low", "both")

SCORING_PARAMS = {
    "side": "low (default: smoother than the image's norm is suspicious) or both (any deviation)",
    "z0": "robust z-score at which the probability is 0.5 (default 2)",
    "slope": "steepness of the logistic squashing of z (default 1.5)",
    "min_spread": "floor on the robust spread of log noise levels, so uniform images give z near 0 (default 0.1)",
    "floor": "noise level (8-bit units) added before the log, so noise-free blocks stay finite (default 0.25)",
}


def luma(images: torch.Tensor) -> torch.Tensor:
    """``[B, 3, H, W]`` in [0, 1] -> ``[B, 1, H, W]`` brightness in 8-bit units."""
    weights = torch.tensor(LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(1, keepdim=True) * 255.0


def window_pads(size: int, block: int, stride: int) -> tuple[int, int, int]:
    """(before, after, n) so that window ``i`` of the padded axis is centred on pixel ``i * stride``."""
    n = math.ceil((size - 1) / stride) + 1
    before = block // 2
    after = (n - 1) * stride + block - before - size
    return before, after, n


def pad_for_windows(x: torch.Tensor, block: int, stride: int) -> torch.Tensor:
    top, bottom, _ = window_pads(x.shape[-2], block, stride)
    left, right, _ = window_pads(x.shape[-1], block, stride)
    return F.pad(x, (left, right, top, bottom), mode="replicate")


def window_median(x: torch.Tensor, block: int, stride: int) -> torch.Tensor:
    """Median of each ``block x block`` window centred on every ``stride``-th pixel: ``[B, 1, nh, nw]``."""
    _, _, nh = window_pads(x.shape[-2], block, stride)
    _, _, nw = window_pads(x.shape[-1], block, stride)
    cols = F.unfold(pad_for_windows(x, block, stride), block, stride=stride)  # [B, block^2, nh*nw]
    return cols.median(dim=1).values.view(x.shape[0], 1, nh, nw)


def window_mean(x: torch.Tensor, block: int, stride: int) -> torch.Tensor:
    """Mean of each window on the same grid as ``window_median``, channel by channel."""
    return F.avg_pool2d(pad_for_windows(x, block, stride), block, stride=stride)


def to_pixels(grid: torch.Tensor, height: int, width: int, stride: int) -> torch.Tensor:
    """Bilinear interpolation of a window grid (centres at multiples of ``stride``) back to every pixel."""
    nh, nw = grid.shape[-2:]
    full = F.interpolate(grid, size=((nh - 1) * stride + 1, (nw - 1) * stride + 1), mode="bilinear",
                         align_corners=True) if (nh, nw) != (1, 1) else grid.expand(-1, -1, height, width)
    return full[..., :height, :width]


def robust_z(levels: torch.Tensor, min_spread: float) -> torch.Tensor:
    """``(median - x) / (1.4826 * MAD + min_spread)`` per image over its whole grid."""
    flat = levels.flatten(1)
    med = flat.median(dim=1).values
    mad = (flat - med[:, None]).abs().median(dim=1).values
    scale = 1.4826 * mad + min_spread
    return (med.view(-1, 1, 1, 1) - levels) / scale.view(-1, 1, 1, 1)


class NoiseLevelDetector(BaseDetector):
    """Base: subclasses give ``log_noise(grey) -> [B, 1, nh, nw]`` on the ``window_*`` grid; this scores it."""

    card = Card(description="")

    def __init__(self, block: int, stride: int, side: str, z0: float, slope: float, min_spread: float,
                 floor: float, **extra: object) -> None:
        if block < 2 or stride < 1:
            raise ValueError(f"block must be at least 2 and stride at least 1 (got block={block}, stride={stride})")
        if side not in SIDES:
            raise ValueError(f"side {side!r}: choose one of {', '.join(SIDES)}")
        if slope <= 0 or min_spread <= 0 or floor <= 0:
            raise ValueError("slope, min_spread and floor must be positive")
        self.block, self.stride, self.side = block, stride, side
        self.z0, self.slope, self.min_spread, self.floor = z0, slope, min_spread, floor
        self.options = {"block": block, "stride": stride, "side": side, "z0": z0, "slope": slope,
                        "min_spread": min_spread, "floor": floor, **extra}

    def log_noise(self, grey: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        grey = luma(images.float())
        z = robust_z(self.log_noise(grey), self.min_spread)
        if self.side == "both":
            z = z.abs()
        prob = torch.sigmoid(self.slope * (z - self.z0))
        return to_pixels(prob, images.shape[-2], images.shape[-1], self.stride).clamp_(0, 1)

    def info(self) -> dict:
        return {"options": self.options, "weights": "none (training-free)", "parameters": 0}


class NoiseResidualDetector(NoiseLevelDetector):
    card = Card(
        description="Local noise-level inconsistency (Mahdian & Saic 2009): per-block noise sigma = "
                    "median(|HH1|)/0.6745 of an undecimated Haar diagonal band, robust z-score against the "
                    "image's median level, logistic squashing. Training-free, no weights.",
        reference="B. Mahdian, S. Saic, 'Using noise inconsistencies for blind image forensics', "
                  "Image and Vision Computing 27(10), 2009, doi:10.1016/j.imavis.2009.02.001",
        trainable=False,
        params={"block": "window side in pixels for each noise estimate (default 16)",
                "stride": "pixels between window centres; the map is interpolated in between (default 4)",
                **SCORING_PARAMS},
        licence="MIT (our implementation from the paper); no weights",
        designed_for="camera-noise inconsistencies (a region smoother or noisier than the rest), not generator "
                     "traces",
        parameters=0,
        published=True,
    )

    def __init__(self, block: int = 16, stride: int = 4, side: str = "low", z0: float = 2.0, slope: float = 1.5,
                 min_spread: float = 0.1, floor: float = 0.25) -> None:
        super().__init__(block, stride, side, z0, slope, min_spread, floor)

    def log_noise(self, grey: torch.Tensor) -> torch.Tensor:
        kernel = torch.tensor([[1.0, -1.0], [-1.0, 1.0]], dtype=grey.dtype, device=grey.device).view(1, 1, 2, 2) / 2
        hh = F.conv2d(F.pad(grey, (0, 1, 0, 1), mode="replicate"), kernel)  # same size as the image
        sigma = window_median(hh.abs(), self.block, self.stride) / MAD_TO_SIGMA
        return torch.log(sigma + self.floor)


def dct_filters(size: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The ``size**2 - 1`` non-DC 2-D DCT-II basis functions as conv kernels ``[K, 1, size, size]``."""
    n = torch.arange(size, dtype=dtype, device=device)
    basis = torch.cos(math.pi * (n[None, :] + 0.5) * n[:, None] / size)  # [freq, pos]
    basis = basis / basis.norm(dim=1, keepdim=True)
    kernels = basis[:, None, :, None] * basis[None, :, None, :]  # [fy, fx, y, x]
    return kernels.reshape(size * size, 1, size, size)[1:]


class NoiseKurtosisDetector(NoiseLevelDetector):
    card = Card(
        description="Blind local noise variance from kurtosis concentration (Lyu, Pan & Zhang 2014): per window, "
                    "sqrt(kurtosis) of each band-pass DCT response is regressed on 1/variance across bands, giving "
                    "the noise variance in closed form; scored like noise-residual. Training-free, no weights.",
        reference="S. Lyu, X. Pan, X. Zhang, 'Exposing region splicing forgeries with blind local noise "
                  "estimation', International Journal of Computer Vision 110(2), 2014, doi:10.1007/s11263-013-0688-y",
        trainable=False,
        params={"block": "window side in pixels for the local moments (default 32)",
                "stride": "pixels between window centres (default 4)",
                "dct": "side of the DCT basis giving dct^2-1 band-pass channels (default 4)",
                **SCORING_PARAMS},
        licence="MIT (our implementation from the paper); no weights",
        designed_for="camera-noise inconsistencies (local noise variance), not generator traces",
        parameters=0,
        published=True,
    )

    def __init__(self, block: int = 32, stride: int = 4, dct: int = 4, side: str = "low", z0: float = 2.0,
                 slope: float = 1.5, min_spread: float = 0.1, floor: float = 0.25) -> None:
        if dct < 2:
            raise ValueError(f"dct must be at least 2, not {dct}")
        super().__init__(block, stride, side, z0, slope, min_spread, floor, dct=dct)
        self.dct = dct

    def log_noise(self, grey: torch.Tensor) -> torch.Tensor:
        kernels = dct_filters(self.dct, grey.dtype, grey.device)
        pad = (self.dct // 2, self.dct - 1 - self.dct // 2)
        r = F.conv2d(F.pad(grey, pad * 2, mode="replicate"), kernels).double()  # [B, K, H, W]
        m1, m2, m3, m4 = (window_mean(r ** p, self.block, self.stride) for p in (1, 2, 3, 4))
        var = (m2 - m1 ** 2).clamp_min(1e-6)
        central4 = m4 - 4 * m1 * m3 + 6 * m1 ** 2 * m2 - 3 * m1 ** 4
        a = (central4 / var ** 2 - 3).clamp_min(0).sqrt()  # sqrt of each band's excess kurtosis
        b = 1.0 / var
        b_mean, a_mean = b.mean(1, keepdim=True), a.mean(1, keepdim=True)
        cov = ((a - a_mean) * (b - b_mean)).mean(1, keepdim=True)
        var_b = ((b - b_mean) ** 2).mean(1, keepdim=True).clamp_min(1e-12)
        slope = cov / var_b                      # a_k = sqrt(kappa) - sqrt(kappa) * noise_var * b_k
        intercept = (a_mean - slope * b_mean).clamp_min(1e-6)
        noise_var = (-slope / intercept).clamp_min(0)
        noise_var = torch.minimum(noise_var, var.min(1, keepdim=True).values)
        return torch.log(noise_var.sqrt() + self.floor).float()
