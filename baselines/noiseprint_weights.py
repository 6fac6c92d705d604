"""The Noiseprint extractors' published weights as SDK weights entries: one ``model_qf<Q>.pth`` per JPEG
quality (51..100) and ``model_qf101.pth`` for never-compressed images, PyTorch state dicts converted
from the authors' TensorFlow checkpoints. GRIP-UNINA licence: non-commercial research use only.

One weights entry ``noiseprint`` (folder ``noiseprint``) lists every file with its published sha256;
the SDK's resolver finds each (``weights=``, ``$INPAINTBENCH_WEIGHTS/noiseprint/``,
``../shared/weights/noiseprint/``). A folder may hold any subset; the detector uses the nearest
quality present.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inpaintbench.sdk.weights import WeightsEntry, WeightsFile, WeightsUnavailable, register_weights

FOLDER = "noiseprint"
SOURCE = ("https://github.com/RonyAbecidan/noiseprint-pytorch (pretrained_weights/, every quality 51..101), "
          "converted from https://github.com/grip-unina/noiseprint")
LICENCE = "GRIP-UNINA licence: non-commercial research use only (LICENSE.txt shipped with the weights)"
PAPER = "D. Cozzolino, L. Verdoliva, 'Noiseprint: a CNN-based camera model fingerprint', IEEE TIFS 15, 2020"
INPUTS = "grey image [B, 1, H, W]: BT.601 luma of the 8-bit RGB values divided by 256"
#: sha256 of the published files (pretrained_weights/ of the PyTorch port at commit c1ac0f7).
SHA256 = {
    51: "67a08926ba2eae34010e809b89383c108b0ac3f161dab8a69ae525d265b6385a",
    52: "a61a50bb833e6676fc9a94326fb98d6d47ee530dff60c41c53ddc27699ca0e61",
    53: "1f4b2dbab13a7c72e3b2e65a8ff549e92e7ebfef7e646f0ca99d9c0739bf9931",
    54: "3bffc088ec481edee19b8ce14e7b77ec0ee9abd5c4f4fd19baa1e75ae511c417",
    55: "a70a679b3046685db088762ca96dcc2f129a7200f4d8df7fde7f18bc1bdca014",
    56: "902be2e259f35d41c53b242d8c4f5665b39c7b4801002978f8c796ac02bf2d98",
    57: "f3995952ee2197ae227c242f8c504fb2ad27439a698b9ad92b0a826c52807dc7",
    58: "a011e326d2fc51010956b51e1631e92b657e02e353be77b83e1030bd4f1af44c",
    59: "90a754e934bc2ef1f8ef2f6dd061e6199611d1da5b73dd37bcb45e3014cfa9f4",
    60: "0466cafdbddd1059c8376225fa969acb2b9179be3e658994761ebea494f9147f",
    61: "85be1ff6c8f694e1272147a619868e0437199a022d68e6e73c999c045f5f0a3c",
    62: "082b72a241ad820035a8bc4edd60a3cb85644dc8b0ee66a07f1461038b7c750b",
    63: "c8892585bcb0f79e3e6e6a2c1ca81a8a0c2426472ee3bbda27b1761c18073f78",
    64: "34acdf557536cd77a3ab4cab03436f6115dc771acadb5cb5e0f203a71ee2fde8",
    65: "d0e931db9fed548f6ca00d4f0709531fd534e89e81857491f1d1dfc326eec1cd",
    66: "f58403544aad1096d3fbe9e5a798756639a03a251410766bf795812581907a2a",
    67: "9ef7da207dbe31c08d1facd16e24bcd6c8be8d7b18757eccd90b54b8c7259f02",
    68: "c1aaec7d83b3129f3c1f6b9f2d73746e51a41523cdda9b9600182f92f6c322c4",
    69: "9e8bdd0517c1fd96dd9c2728978239042f1afe160c576d27a973de065503810a",
    70: "4bd8e6e30dcaa4ef18e53f7e6953f5870068495717374611bbe20c3155d5c6ce",
    71: "1e91d90549bf37ca67048f66fd6e475252b870fece1b43c81803c64166d8fca3",
    72: "e61fe426be3ae1da67067abfd7bc493a7b1d6c024585690ae60e6e214a78195a",
    73: "6a0a1feb2fb4b8083592fef739e836aa74a69b73435ca09e7ad760bda3b4356d",
    74: "610a4f4338c67e0779362a7663315f8b34e066b0d68a9b94baf491659376a95e",
    75: "47046e6ac7285bbdd89aae6474a1ce46523f9bfa7b261712c3c2964382223372",
    76: "721ddf00569ba29a5a4a4f6c9b266b8f2b17ac7efe9219fefc9055fe3fc3a985",
    77: "5976ac0c40aee69abdb3e1abbeedd51aa0dfd2c5c82eefcd51657d3898e444f6",
    78: "3b798b8dc6a92200082e4d99952369cb7587945eacf4203d89b13389604661a3",
    79: "0f88099bfa21ca8798f3dc932080f8939fe880342d2e1c9e6fa5550a1dd15b69",
    80: "8237b961e22bc45720ecc74778059584eb25be50689beae3e034c49c4861e1a3",
    81: "d3c62d93a5025c78c86358302bf8bad6c45e1f481107997e8ff3aa2953cb5154",
    82: "a572b075777a3ab5dd6e5178b60f6f75f977c3ccc4166f15f0ec57bd827505e9",
    83: "673ebaa60cf508a70439e33acffe547d94826147608e09cfdf9dc15f1e6c0d55",
    84: "68393d61a05637e107d0e629f52695952ecac31b191a384724cb7766b4d7c11b",
    85: "0702947f75ca2f90f3d96cb02c7d8ae47d9bab79fff6c760a1df085bae498a18",
    86: "bbb350e8d01bdb8cf2863b8434d03b45ab2ce697b2e86bf92ca5148c57dffad6",
    87: "c26511418169d6463873233a10507eedf0cda8e5244b1ced76ba79f8b85976f0",
    88: "86683ae1cde29b656a218301b8f7c7aaba7f8fb18520af7a9e4bbc26e5f98b6b",
    89: "26a22e2abfcd7a91d2398cfb3f7a81cb6a9491d27c1bc06458229ccdc90db840",
    90: "e7a5f3f443861ce4dbef695294bca510f12ac0ec34261d723a588690ad77756a",
    91: "2050c9413dbd49d806132da3705fb8fbacfe05a38dc1a73c9972be591eb73332",
    92: "781fbf443df79fef8def989fa356bccb95bdb85cfa96f90134f145dacf093724",
    93: "f2a245c6785f3ee72138ac382d282d7a8a7e61838f4e0c8a916fb01391d704c8",
    94: "c54b8d533bab318f11d171bd4fe869fea60898f7abda0ae3fa588e5c145f8408",
    95: "ede5104729dca10b1d5d6105c17f5e44cf6e58a03c36e92459205e2a39ff1c57",
    96: "4a300495d892dadf2bf108f411998bb360c17d24901fc002e36635f30783c7cc",
    97: "74cb12ad5be69f24bb3ba2042f115c74b788a9812eb35f6dcda4f6d4fde15bcc",
    98: "6d53ff42bcc2ded48aa7a1f1165963850b2da668a9357999b54d5ae391cd35be",
    99: "cd6f061a681cae925b1864194ddcf8684f5d3dae36ebc989f8cbc3f981b21119",
    100: "12369602ab0397c9f42242960940518e4e1f2d5e92c6e7feb3acf965da76603e",
    101: "61ae852fca4a26821851f673dd1e2ba28c37bd6a274aaaead6041718088e2c93",
}
ENTRY = register_weights(WeightsEntry(
    name="noiseprint", folder=FOLDER, files=tuple(WeightsFile(f"model_qf{q}.pth", d) for q, d in SHA256.items()),
    licence=LICENCE, source=SOURCE, paper=PAPER, inputs=INPUTS, restriction="non-commercial research only"))


@dataclass
class NoiseprintWeights:
    """The model files found (``{quality: file}``), or one ``single`` file of the user's for every image."""

    models: dict[int, Path]
    source: str
    single: Path | None = None

    def path(self, quality: int) -> Path:
        """The file for ``quality`` (one of ``models``; the ``single`` file for every quality)."""
        return self.single if self.single is not None else self.models[quality]

    def record(self) -> dict:
        """What a result records: the entries, their licence and source, the sha256 of each file there."""
        files = [self.single] if self.single is not None else list(self.models.values())
        return {**ENTRY.record({p.name: p for p in files}), "found": self.source}


def present(explicit: str | None) -> dict[int, Path]:
    """``{quality: path}`` of every published model the resolver finds (sha256-checked)."""
    found = {}
    for quality in SHA256:
        try:
            found[quality] = ENTRY.path(f"model_qf{quality}.pth", explicit=explicit)
        except WeightsUnavailable:
            continue
    return found


def locate(explicit: str | None = None) -> NoiseprintWeights:
    """The weights from ``explicit`` (one file, used for every image, or a folder), else from the default
    places; a one-line ``WeightsUnavailable`` naming where it looked and where they are published."""
    if explicit and Path(explicit).expanduser().is_file():
        path = Path(explicit).expanduser()
        return NoiseprintWeights({}, str(path), single=path)
    models = present(explicit)
    if not models:
        places = [str(Path(explicit).expanduser())] if explicit else [str(f) for _, f in ENTRY.places()]
        raise WeightsUnavailable(f"noiseprint: no model_qf<Q>.pth weights in {'; '.join(places)}. Published at "
                                 f"{SOURCE} ({LICENCE}); put them in $INPAINTBENCH_WEIGHTS/{FOLDER}/ or pass "
                                 "--opt weights=FILE_OR_FOLDER")
    where = {str(p.parent) for p in models.values()}
    return NoiseprintWeights(models, ", ".join(sorted(where)))
