"""The named latent autoencoders as weights entries (TAEF2 packaged, the TAESD family found by the
resolver): declared without torch, so that ``list -v`` shows them without loading a model. The
models themselves are in ``inpaintbench.sdk.autoencoders``."""

from __future__ import annotations

from inpaintbench.sdk.weights import WeightsEntry, WeightsFile, register_weights

DEFAULT_AUTOENCODER = "taef2"
TAESD_SOURCE = "https://github.com/madebyollin/taesd"


def _tiny_entry(name: str, folder: str, suffix: str, sha: tuple[str, str], latent_space: str,
                licence: str) -> WeightsEntry:
    return register_weights(WeightsEntry(
        name=name, folder=folder,
        files=(WeightsFile(f"{name}_encoder.{suffix}", sha[0]), WeightsFile(f"{name}_decoder.{suffix}", sha[1])),
        licence=licence, source=TAESD_SOURCE,
        paper=f"O. Boer Bohan, TAESD: tiny autoencoder distilled for the {latent_space} latent space",
        inputs="RGB in [0, 1], sides padded to a multiple of 8; decoder output clamped to [0, 1]"))


_FAMILY_LICENCE = ("MIT (upstream TAESD); bf16 conversions from a public ComfyUI fork's models/vae_approx/, "
                   "sha256 in ../shared/weights/SHA256SUMS")
#: The named autoencoders: weights entries, found by the weights resolver.
AUTOENCODERS: dict[str, WeightsEntry] = {
    "taef2": _tiny_entry("taef2", "taef2", "pth",
                         ("10a4e1021e89d7551eaf161352da8dbd0b1aa83872ae28b150c1df1ce2f147b6",
                          "0a44a31e1ae59eb9dbf9359d24942fd3ef5928162c1800d97a28c61d51be0ab5"),
                         "FLUX.2", "MIT (inpaintbench/data/weights/taef2/LICENSE), packaged with inpaintbench"),
    "taesd": _tiny_entry("taesd", "taesd-family", "safetensors",
                         ("a6b8c0fda4aad50784e543389e0239c72c5e31e9775c9e612ea8333bf3a77dcb",
                          "d903e7cc3ae58f21d985a3498a841fa8b230edccff7ac5d27607b0c557945c6f"),
                         "SD1/SD2", _FAMILY_LICENCE),
    "taesdxl": _tiny_entry("taesdxl", "taesd-family", "safetensors",
                           ("3d78013286676a1a51074831230f90972e573698fe4b11416d6f28e0cd5bbe7e",
                            "ae5256b046b01d577279ed93a55bbb1fb2689e55aa14cfc0f7f841e0160202a5"),
                           "SDXL", _FAMILY_LICENCE),
    "taesd3": _tiny_entry("taesd3", "taesd-family", "safetensors",
                          ("e5c96f3476bd26fe73e96d701a694f40d7ab48a290494cbbf70a3697d09cab4a",
                           "e940e227e2a41919f0735ec423129724666f8b949c8bbce7a04b78ecfb4667de"),
                          "SD3", _FAMILY_LICENCE),
    "taef1": _tiny_entry("taef1", "taesd-family", "safetensors",
                         ("19f5a854ce575fd0a1c0a52938410cf5fb4dc4b8ae71c8887533646d8fe47030",
                          "bb41500b646d5b8b592b7f3ca5d20d888c3075e209d178d99af609cd7e02a1d4"),
                         "FLUX.1", _FAMILY_LICENCE),
}
#: The latent space each named autoencoder decodes, in the words of the wild set's ``autoencoder`` column
#: (``sd1`` covers SD1.x and SD2.x): what data made with it is labelled, what ``aerecon`` with it is keyed to.
FAMILIES = {"taesd": "sd1", "taesdxl": "sdxl", "taesd3": "sd3", "taef1": "flux1", "taef2": "flux2"}
#: Autoencoders shipped as package data (a weights folder inside ``inpaintbench/data/weights``).
PACKAGED_AUTOENCODERS = ("taef2",)
