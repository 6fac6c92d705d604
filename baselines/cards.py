"""The cards of the bundled detectors, with the weights entries and option vocabularies they quote:
declared data without torch, so that ``list`` reads them through the ``inpaintbench.cards`` entry point
(``DETECTORS``) without importing any detector. Each detector class takes its card from here, and
``tests/test_cards.py`` checks every card against the detector it describes."""

from __future__ import annotations

from dataclasses import replace

from inpaintbench.sdk.cards import Card
from inpaintbench.sdk.weights import WeightsEntry, WeightsFile, register_weights

# --- option vocabularies the cards quote (the detectors import them from here) -------------------

#: Residual definitions (``srm.py``): SRM filter output, or the image minus a Gaussian / median smoothed image.
RESIDUALS = ("srm", "gaussian", "median")
#: Normalisations (``srm.py``): truncate at +-clip grey levels and divide by clip; divide by the per-image,
#: per-channel standard deviation; or none (the residual in image units, [0, 1] scale).
NORMS = ("clip", "std", "none")
#: Default truncation of the autoencoder trace (``aetrace.py``) in 8-bit grey levels: round-trip errors of
#: real photos through TAEF2 are several grey levels, above SRM's noise floor (clip 3), so a wider range is kept.
TRACE_CLIP = 16.0
#: NIX-Net's noise-stream input that is the autoencoder trace; alone, or after a classical residual and ``+``.
TRACE = "aerecon"
#: NIX-Net's normalisation layers.
NORM_LAYERS = ("batch", "group", "instance")
#: The options ``noise-residual`` and ``noise-kurtosis`` share (``noise_residual.py``).
SCORING_PARAMS = {
    "side": "low (default: smoother than the image's norm is suspicious) or both (any deviation)",
    "z0": "robust z-score at which the probability is 0.5 (default 2)",
    "slope": "steepness of the logistic squashing of z (default 1.5)",
    "min_spread": "floor on the robust spread of log noise levels, so uniform images give z near 0 (default 0.1)",
    "floor": "noise level (8-bit units) added before the log, so noise-free blocks stay finite (default 0.25)",
}

# --- weights entries -------------------------------------------------------------------------------

ADAPTIVE_CFA_SOURCE = "https://github.com/qbammey/adaptive_cfa_forensics (folder src/models/)"


def adaptive_cfa_entry(variant: str, file: str, sha256: str, what: str) -> WeightsEntry:
    """The published state dict of one adaptive-cfa variant, as a weights entry (folder ``adaptive-cfa``)."""
    return register_weights(WeightsEntry(
        name=f"adaptive-cfa-{variant}", folder="adaptive-cfa", files=(WeightsFile(file, sha256),),
        licence="none: the authors' repository has no licence file (all rights reserved)",
        restriction="research evaluation only, never redistribute", source=ADAPTIVE_CFA_SOURCE,
        paper="Q. Bammey, R. Grompone von Gioi, J.-M. Morel, 'An Adaptive Neural Network for Unsupervised "
              f"Mosaic Consistency Analysis in Image Forensics', CVPR 2020 ({what})",
        inputs="RGB in [0, 1], even height and width; camera photos with demosaicing traces"))


#: adaptive-cfa variant -> the authors' state dict (qbammey/adaptive_cfa_forensics, src/models/).
ADAPTIVE_CFA_VARIANTS = {
    "pretrained": adaptive_cfa_entry("pretrained", "pretrained.pt",
                                     "992dade71b8682a617f63e5a92e46292cd34e391f8b46dd050ce4c0f86e7745d",
                                     "trained on synthetic mosaics"),
    "j95": adaptive_cfa_entry("j95", "adapted_to_j95_database.pt",
                              "4705e72f88c8c770cbfa763ae6c6866f316249ced456e2b8d1d1e91a273fafd2",
                              "adapted without labels to the authors' JPEG-95 database"),
    "nojpeg": adaptive_cfa_entry("nojpeg", "adapted_to_nojpeg_database.pt",
                                 "5cf541e11c0d6b06f860b9021f2e1ac144929cccbf0e0f1a634680c60c232bd3",
                                 "adapted without labels to the authors' uncompressed database"),
}

# --- cards -----------------------------------------------------------------------------------------

FCN = Card(
    description="FCN (Long et al., CVPR 2015) from torchvision, ResNet-50/101 backbone, one-channel head; "
                "the segmentation baseline of the inpainting-localization literature.",
    reference="https://arxiv.org/abs/1411.4038",
    trainable=True,
    params={"backbone": "resnet50 (default) or resnet101",
            "weights": "auto (best cached: coco, imagenet, else none; never downloads), none, imagenet, coco"},
    licence="code BSD-3-Clause (torchvision); pretrained weights under their sources' terms",
    designed_for="semantic segmentation, trained here as an inpainting localizer on any RGB input",
    parameters=32_946_753,
)


SMP = Card(
    description="Any segmentation-models-pytorch architecture (U-Net, U-Net++, FPN, DeepLabV3+, SegFormer, ...) "
                "and encoder with a one-channel inpainting head; inputs of any size are padded to the "
                "encoder's output stride.",
    reference="https://github.com/qubvel-org/segmentation_models.pytorch",
    trainable=True,
    params={"arch": "unet (default), unetplusplus, fpn, deeplabv3plus, segformer, manet, linknet, pspnet, "
                    "upernet, pan (inputs of at least 128 px), ...",
            "encoder": "resnet34 (default), resnet18, efficientnet-b0, mit_b0, mobilenet_v2, ... (smp names)",
            "encoder_weights": "auto (cached imagenet weights, else none; never downloads), none, imagenet "
                               "(or another smp weight name; downloads when online), or a local file path"},
    licence="code MIT (segmentation-models-pytorch); ImageNet encoder weights under their sources' terms",
    designed_for="semantic segmentation, trained here as an inpainting localizer on any RGB input",
    parameters=24_436_369,
)


def smp_alias(description: str, reference: str, parameters: int) -> Card:
    """The card of a registered short name for one smp setting: only ``encoder_weights`` stays an option."""
    return replace(SMP, description=description, reference=reference,
                   params={"encoder_weights": SMP.params["encoder_weights"]}, parameters=parameters)


UNET = "U-Net: https://arxiv.org/abs/1505.04597 ; ResNet: https://arxiv.org/abs/1512.03385"
UNET_R34 = smp_alias("U-Net with a ResNet-34 encoder (smp arch=unet encoder=resnet34).", UNET, 24_436_369)
UNET_R18 = smp_alias("U-Net with a ResNet-18 encoder (smp arch=unet encoder=resnet18): small and fast.", UNET,
                     14_328_209)
SEGFORMER_B0 = smp_alias("SegFormer with a MiT-B0 encoder (smp arch=segformer encoder=mit_b0), a small transformer.",
                         "SegFormer: https://arxiv.org/abs/2105.15203", 3_714_401)


NOISE_RESIDUAL = Card(
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
)


NOISE_KURTOSIS = Card(
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
)


NIXNET = Card(
    description="NIX-Net: noise-image cross-fusion network (two streams, HRNet-style fusion) "
                "from 'Noise Doesn't Lie'; 380,273 parameters at the default width 16 "
                "(24.1 M at the paper-like width 128)",
    reference="Li, Ke, Ma, Weng, Zong, Xue, Zhang. Noise Doesn't Lie: Towards Universal Detection "
              "of Deep Inpainting. IJCAI 2021, arXiv:2106.01532",
    trainable=True,
    training={"lr": 1e-3},  # trained from scratch: 1e-4 barely moves it in a CPU budget (NIXNET.md)
    params={
        "width": "channels at 1/2 scale; 1/4 and 1/8 get 2x and 4x (default 16; the paper's "
                 "128/256/512 is width=128)",
        "depth": "residual blocks per scale in each stream (default 1)",
        "residual": f"noise-stream input: {' | '.join(RESIDUALS)} (default srm: KV, KB, second "
                    f"order per colour channel, 9 channels), {TRACE} (the autoencoder trace: image minus "
                    f"its round trip and that minus the second, 6 channels) or e.g. srm+{TRACE} (both)",
        "autoencoder": f"with {TRACE}: the frozen autoencoder of the trace (default taef2, packaged; "
                       "or a TAESD-family / diffusers weights folder)",
        "trace_clip": f"with {TRACE}: trace truncation in 8-bit grey levels (default {TRACE_CLIP:g})",
        "residual_norm": f"residual scaling: {' | '.join(NORMS)} (default clip: truncate at "
                         "+-clip grey levels, divide by clip)",
        "clip": "truncation threshold in 8-bit grey levels (default 3)",
        "norm": f"normalisation layers: {' | '.join(NORM_LAYERS)} (default batch)",
        "image_backbone": "none (default, trained from scratch) or a timm ResNet name for the "
                          "image stream, e.g. resnet18",
        "pretrained": "with image_backbone: load timm's pretrained weights (cached or downloadable; "
                      "clear error offline) (default true)",
        "backbone_weights": "with image_backbone: a local state-dict file to load instead",
    },
    licence="MIT (our implementation from the paper; the authors published no code or weights)",
    designed_for="deep-inpainting localization from noise and image streams; trained here from scratch",
    parameters=380_273,
)


AERECON = Card(
    description="Autoencoder reconstruction trace (training-free): the log ratio of the local error of a "
                "first round trip through a latent autoencoder to that of a second one; decoded pixels "
                "score low, real ones high. Calibrated logistic map; image score = a high quantile.",
    reference="J. Ricker, D. Lukovnikov, A. Fischer, 'AEROBLADE: Training-Free Detection of Latent "
              "Diffusion Images Using Autoencoder Reconstruction Error', CVPR 2024 (per-pixel variant)",
    trainable=False,
    params={"autoencoder": "taef2 (packaged, default), a TAESD-family weights folder, or a diffusers "
                           "AutoencoderKL/AutoencoderTiny folder or hub id",
            "window": "odd side of the local averaging window in pixels (default 33)",
            "normalise": "divide by the second round trip's error (default true); false: plain error",
            "distance": "per-pixel distance: l2 (default) or l1",
            "center": "log ratio at which the probability is 0.5 (default 0.38, calibrated)",
            "temperature": "logistic temperature of the calibration (default 0.2)",
            "image_quantile": "quantile of the heatmap used as the image score (default 0.99)"},
    licence="MIT (our implementation); autoencoder weights: see the autoencoder's weights entry",
    designed_for="pixels decoded by a latent autoencoder (latent-diffusion outputs); strongest when the "
                 "autoencoder is the generator's own",
    weights=("taef2",),
    parameters=0,
)


NOISESNIFFER = Card(
    description="Noisesniffer (training-free, a-contrario): in each intensity bin the lowest-variance share of "
                "the blocks that look like pure noise should be spread like those blocks; cells or grown "
                "regions holding too many of them (NFA < 1) are detected. Designed for camera-noise "
                "inconsistencies (noise deficits), not generator traces. Heatmap 1 / (1 + NFA).",
    reference="M. Gardella, P. Musé, J.-M. Morel, M. Colom, 'Noisesniffer: a Fully Automatic Image Forgery "
              "Detector Based on Noise Analysis', IWBF 2021, doi:10.1109/IWBF50991.2021.9465095; refined in "
              "'Image Forgery Detection Based on Noise Inspection: Analysis and Refinement of the Noisesniffer "
              "Method', IPOL 2024 (article 462). Multi-scale idea: J. Imaging 7(7):119, 2021",
    trainable=False,
    params={"variant": "ipol (default: IPOL 2024, region growing) or iwbf (IWBF 2021, one test per cell)",
            "block": "block side w: 3, 5, 7, 8, 11, 16 or 21 (default: the variant's, 3 / 5)",
            "cell": "side W of the grid's cells in pixels (default: the variant's, 100 / 256)",
            "n": "share of each bin's blocks kept by least low-frequency DCT energy (default 0.1 / 0.05)",
            "m": "share of those kept by least variance; H0 success probability (default 0.5 / 0.3)",
            "bin_size": "blocks per intensity bin (default 20000)",
            "scales": "1 (default: the published single scale) or up to 4: also count blocks of the image "
                      "averaged over 2x2, 4x4, ... pixels (our extension, see NOISESNIFFER.md)",
            "temperature": "heatmap p = 1 / (1 + NFA^(1/temperature)) = sigmoid(-ln(NFA)/temperature); "
                           "0.5 at NFA = 1 (default 1)"},
    input_range="float32 RGB in [0, 1], shape [B, 3, H, W]; analysed as 8-bit values round(x * 255)",
    licence="MIT (our implementation from the papers); no weights",
    designed_for="camera-noise deficits in photos with measurable sensor noise, not generator traces",
    parameters=0,
)


ADAPTIVE_CFA = Card(
    description="Adaptive CFA Net (Bammey, Grompone von Gioi & Morel, CVPR 2020): per 32-px block, which of the "
                "four Bayer grid origins the demosaicing traces point to; blocks whose origin differs from the "
                "image's are flagged with their confidence. Designed for camera photos with demosaicing traces, "
                "not generator traces. Authors' weights: no licence, research evaluation only.",
    reference="Q. Bammey, R. Grompone von Gioi, J.-M. Morel, 'An Adaptive Neural Network for Unsupervised Mosaic "
              "Consistency Analysis in Image Forensics', CVPR 2020; code and weights "
              "https://github.com/qbammey/adaptive_cfa_forensics",
    trainable=False,
    params={"variant": "authors' weights: pretrained (default; synthetic-mosaic pretraining), j95 (adapted to "
                       "their JPEG-95 database) or nojpeg (adapted to their uncompressed database)",
            "weights": "a state dict file of this network to use instead of the variant's published file",
            "map": "paper (default): a block whose most likely origin differs from the image's scores that "
                   "origin's probability, others 0; soft: 1 - probability of the image's origin",
            "block": "block side in pixels (even; default 32, as trained)",
            "tile": "blocks per tile side, bounding memory (default 8; the result does not depend on it)"},
    licence="code: MIT (our implementation from the paper); weights: none upstream (all rights reserved), "
            "research evaluation only, never redistributed",
    designed_for="camera photos with demosaicing (Bayer CFA) traces, uncompressed or mildly compressed; not "
                 "generator traces",
    weights=tuple(entry.name for entry in ADAPTIVE_CFA_VARIANTS.values()),
    parameters=31_504,
)


ZERO = Card(
    description="ZERO (Nikoukhah et al., CVPRW 2019 / IPOL 2021): per-pixel votes for the 8x8 JPEG grid origin "
                "with the most DCT zeros; a-contrario (NFA) detection of the main grid and of regions with "
                "another grid or, after a quality-99 round trip, none. Binary map of the meaningful regions. "
                "JPEG inputs only: without a main grid the map is all zeros. Designed for JPEG traces, not "
                "generator traces. Training-free, no weights.",
    reference="T. Nikoukhah, J. Anger, T. Ehret, M. Colom, J.-M. Morel, R. Grompone von Gioi, 'JPEG grid "
              "detection based on the number of DCT zeros and its application to automatic and localized "
              "forgery detection', CVPR Workshops 2019; IPOL 11 (2021) 396-433, doi:10.5201/ipol.2021.390",
    trainable=False,
    params={"missing": "regions without a JPEG grid, via a quality-99 round trip (grid (0, 0)): auto (default; "
                       "only when the main grid is not (0, 0), where the round trip cannot tell them apart), "
                       "always (with any main grid, as the authors' program), never",
            "no_grid": "zeros (default): no meaningful main grid means not JPEG, all-zero map and score 0; "
                       "search: look for meaningful regions of any grid anyway (the authors' program)"},
    input_range="float32 RGB in [0, 1], shape [B, 3, H, W]; analysed as 8-bit values round(x * 255); "
                "meant for JPEG-compressed images at their original grid",
    licence="MIT (our implementation from the papers; the authors' reference code is AGPL, none copied); "
            "no weights",
    designed_for="JPEG-compressed images at their original 8x8 grid: regions pasted from another grid or "
                 "without one; not generator traces",
    parameters=0,
)


#: Registered detector name -> its card: what the ``inpaintbench.cards`` entry point ``detectors`` names.
DETECTORS = {
    "adaptive-cfa": ADAPTIVE_CFA, "aerecon": AERECON, "fcn": FCN, "nixnet": NIXNET, "noise-kurtosis": NOISE_KURTOSIS,
    "noise-residual": NOISE_RESIDUAL, "noisesniffer": NOISESNIFFER, "segformer-b0": SEGFORMER_B0, "smp": SMP,
    "unet-r18": UNET_R18, "unet-r34": UNET_R34, "zero": ZERO,
}
