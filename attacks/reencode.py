"""``reencode:weights=DIR``: the whole image goes through a latent autoencoder (encode, decode), so
every pixel becomes "generated" while the ground truth stays the originally inpainted region."""

from __future__ import annotations

from dataclasses import dataclass

from inpaintbench.sdk import AttackOptionError, ImageAttack, check_choice


@dataclass(frozen=True)
class Reencode(ImageAttack):
    """A latent autoencoder round trip of the whole image (``inpaintbench.sdk.load_autoencoder``)."""

    weights: str = ""
    device: str = "cpu"

    name = "reencode"
    strength = ""

    def __post_init__(self) -> None:
        if not self.weights:
            raise AttackOptionError("reencode: option weights=DIR is required (a folder of autoencoder "
                                    "weights, or reencode:weights=taef2 for the packaged TAEF2)")
        check_choice(self.name, "device", self.device.split(":")[0], ("cpu", "cuda", "mps"))
        from inpaintbench.sdk import check_autoencoder  # torch, loaded when the attack is made, not listed

        try:
            check_autoencoder(self.weights)
        except FileNotFoundError as exc:
            raise AttackOptionError(f"reencode: weights={self.weights}: {exc}") from None
        super().__post_init__()

    def apply(self, image, mask, rng):
        from inpaintbench.sdk import load_autoencoder

        # the autoencoder pads to its latent grid and crops back, so the size is kept
        return load_autoencoder(self.weights, self.device).roundtrip_images(image), mask

    def what(self) -> str:
        return f"whole image encoded and decoded by the latent autoencoder at {self.weights}"
