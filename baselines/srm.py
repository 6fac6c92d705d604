"""Fixed noise-residual filters (SRM high-pass kernels, or image minus a smoothed image) as a module.

Any detector can put ``NoiseResidual()`` in front of a stream: the kernels are buffers, so they are
saved with the model but never appear in ``parameters()`` and never train.

Default: the three classic SRM kernels (KV, KB, second order) per colour channel, giving nine
channels ordered ``R:kv,kb,second, G:..., B:...``; the residual is measured in 8-bit grey levels,
truncated to [-3, 3] and divided by 3 (the truncated linear unit of the rich-model literature), so
the output lies in [-1, 1] and edges do not drown the noise floor.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .cards import NORMS, RESIDUALS

#: The classic 5x5 SRM kernels; each has a centre of -1 and sums to zero.
SRM_KERNELS: dict[str, list[list[float]]] = {
    "kv": [[-1, 2, -2, 2, -1],
           [2, -6, 8, -6, 2],
           [-2, 8, -12, 8, -2],
           [2, -6, 8, -6, 2],
           [-1, 2, -2, 2, -1]],
    "kb": [[0, 0, 0, 0, 0],
           [0, -1, 2, -1, 0],
           [0, 2, -4, 2, 0],
           [0, -1, 2, -1, 0],
           [0, 0, 0, 0, 0]],
    "second": [[0, 0, 0, 0, 0],
               [0, 0, 0, 0, 0],
               [0, 1, -2, 1, 0],
               [0, 0, 0, 0, 0],
               [0, 0, 0, 0, 0]],
}
SRM_DIVISORS = {"kv": 12.0, "kb": 4.0, "second": 2.0}



def srm_bank(names: tuple[str, ...] = ("kv", "kb", "second")) -> torch.Tensor:
    """The chosen SRM kernels as a ``[K, 5, 5]`` float tensor (divisors applied)."""
    unknown = [n for n in names if n not in SRM_KERNELS]
    if unknown or not names:
        raise ValueError(f"unknown SRM kernel(s) {unknown or names}; choose from {', '.join(SRM_KERNELS)}")
    return torch.stack([torch.tensor(SRM_KERNELS[n]) / SRM_DIVISORS[n] for n in names])


def gaussian_kernel(sigma: float, size: int = 5) -> torch.Tensor:
    """A normalised ``[size, size]`` Gaussian kernel."""
    ax = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(ax ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


class NoiseResidual(nn.Module):
    """Image ``[B, 3, H, W]`` in [0, 1] -> noise residual ``[B, out_channels, H, W]`` (same H, W).

    ``residual``: ``srm`` (the kernels in ``kernels`` per colour channel), ``gaussian`` (image minus
    its 5x5 Gaussian blur, sigma 1) or ``median`` (image minus its 3x3 median). ``norm``: ``clip``
    (truncate at +-``clip`` 8-bit grey levels, divide by ``clip``), ``std`` or ``none``.
    """

    def __init__(self, residual: str = "srm", norm: str = "clip", clip: float = 3.0,
                 kernels: tuple[str, ...] = ("kv", "kb", "second")) -> None:
        super().__init__()
        if residual not in RESIDUALS:
            raise ValueError(f"unknown residual {residual!r}; choose from {', '.join(RESIDUALS)}")
        if norm not in NORMS:
            raise ValueError(f"unknown residual norm {norm!r}; choose from {', '.join(NORMS)}")
        if norm == "clip" and not clip > 0:
            raise ValueError(f"residual clip must be > 0 grey levels, not {clip}")
        self.residual, self.norm, self.clip = residual, norm, float(clip)
        if residual == "srm":
            bank = srm_bank(tuple(kernels))
        elif residual == "gaussian":
            delta = torch.zeros(5, 5)
            delta[2, 2] = 1.0
            bank = (delta - gaussian_kernel(1.0))[None]
        else:
            bank = torch.zeros(1, 5, 5)  # median has no linear kernel
        # grouped conv weight [3*K, 1, 5, 5]: each colour channel gets every kernel
        self.register_buffer("weight", bank.repeat(3, 1, 1).unsqueeze(1), persistent=True)
        self.kernels_per_channel = bank.shape[0]

    @property
    def out_channels(self) -> int:
        return 3 * self.kernels_per_channel

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.residual == "median":
            padded = F.pad(images, (1, 1, 1, 1), mode=_pad_mode(images, 1))
            windows = F.unfold(padded, 3).view(images.shape[0], 3, 9, *images.shape[2:])
            res = images - windows.median(dim=2).values
        else:
            padded = F.pad(images, (2, 2, 2, 2), mode=_pad_mode(images, 2))
            res = F.conv2d(padded, self.weight.to(images.dtype), groups=3)
        if self.norm == "clip":
            return (res * 255.0).clamp(-self.clip, self.clip) / self.clip
        if self.norm == "std":
            return res / res.flatten(2).std(dim=2).clamp_min(1e-6)[..., None, None]
        return res


def _pad_mode(images: torch.Tensor, pad: int) -> str:
    """Mirror the border where the image is large enough, else repeat the edge pixels."""
    return "reflect" if min(images.shape[-2:]) > pad else "replicate"
