"""Hostile and very large images: a decompression bomb or an image above the reading limit is a bad file,
named with its size and the limit and refused from its header before any pixel is decoded; sizes that
disagree between image and mask are refused from the headers too. Every file is made in the test (a
bomb is a PNG of about a megabyte, written in tmp_path)."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from inpaintbench import cli
from inpaintbench.data.imageio import DataError, header, pixel_limit
from inpaintbench.evaluation.protocol import Protocol

BOMB_SIDE = 20000  # 400 MP, 1.2 GB decoded, about 1.2 MB on disk


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def zeros_zlib(rows: int, row_bytes: int, rows_per_block: int = 100) -> bytes:
    """A valid zlib stream of ``rows * row_bytes`` zero bytes, made fast: one block of rows is compressed
    after a full flush and repeated (each block is independent), then the Adler-32 of all-zero data."""
    block = b"\x00" * (row_bytes * rows_per_block)
    c = zlib.compressobj(9)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert rows % rows_per_block == 0
    n = rows * row_bytes
    return first + again * (rows // rows_per_block - 1) + b"\x03\x00" + struct.pack(">I", ((n % 65521) << 16) | 1)


def bomb_png(path: Path, side: int = BOMB_SIDE, mode: str = "RGB") -> Path:
    """A black ``side`` x ``side`` PNG (RGB or grey), a complete and valid file of about a megabyte."""
    channels, colour = (3, 2) if mode == "RGB" else (1, 0)
    ihdr = struct.pack(">IIBBBBB", side, side, 8, colour, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
                     + png_chunk(b"IDAT", zeros_zlib(side, 1 + channels * side)) + png_chunk(b"IEND", b""))
    return path


def save(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def pairs_set(root: Path, size: int = 32, n: int = 3) -> Path:
    """``n`` image/mask pairs of ``size`` px listed in ``pairs.csv``, all in the test split."""
    rng = np.random.default_rng(0)
    lines = ["image,mask,split"]
    for i in range(n):
        save(root / "img" / f"f{i}.png", rng.integers(0, 256, (size, size, 3), np.uint8))
        mask = np.zeros((size, size), np.uint8)
        mask[4:12, 4:20] = 255
        save(root / "gt" / f"f{i}.png", mask)
        lines.append(f"img/f{i}.png,gt/f{i}.png,test")
    (root / "pairs.csv").write_text("\n".join(lines) + "\n")
    return root / "pairs.csv"


def evaluate(manifest: Path, out: Path, *extra: str) -> int:
    return cli.main(["evaluate", "--detector", "noise-residual", "--dataset", "pairs", "--data-root", str(manifest),
                     "--output", str(out), "--quiet", "--no-overlays", "--device", "cpu", *extra])


@pytest.fixture
def no_decoding(monkeypatch):
    """Record every file whose pixels are decoded."""
    decoded: list[str] = []
    real = ImageFile.ImageFile.load

    def load(self):
        decoded.append(str(getattr(self, "filename", "")))
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return decoded


def test_the_bomb_file_is_a_real_png_of_its_size(tmp_path):
    path = bomb_png(tmp_path / "small.png", side=300)
    with Image.open(path) as im:
        assert im.size == (300, 300) and not np.asarray(im).any()  # it decodes: a valid, black image
    assert 1_000_000 < bomb_png(tmp_path / "bomb.png").stat().st_size < 1_400_000


def test_a_decompression_bomb_stops_the_run_naming_the_file_size_and_limit(tmp_path, capsys, no_decoding):
    manifest = pairs_set(tmp_path)
    bomb_png(tmp_path / "img" / "f1.png")
    assert evaluate(manifest, tmp_path / "r.json") == 2
    err = capsys.readouterr().err
    assert "img/f1.png: 20000x20000 = 400,000,000 pixels, above the reading limit of 268,435,456 pixels" in err
    assert "--max-image-pixels" in err and "DecompressionBomb" not in err
    assert not any("f1.png" in name for name in no_decoding)  # refused from the header


def test_skip_bad_skips_and_counts_a_bomb(tmp_path, capsys, no_decoding):
    manifest = pairs_set(tmp_path)
    bomb_png(tmp_path / "gt" / "f2.png", mode="L")  # a mask can be a bomb too
    assert evaluate(manifest, tmp_path / "r.json", "--skip-bad") == 0
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["dataset_info"]["n_skipped"] == 1 and result["dataset_info"]["n_skipped_at_scan"] == 1
    assert "gt/f2.png: 20000x20000" in result["dataset_info"]["skipped_at_scan"][0]
    assert result["metrics"]["test/manipulated"]["n_images"] == 2
    assert "skipped 1 bad file(s)" in capsys.readouterr().out
    assert not any("f2.png" in name for name in no_decoding)


def test_max_image_pixels_sets_the_limit_and_is_recorded(tmp_path, capsys):
    manifest = pairs_set(tmp_path, size=40)
    assert evaluate(manifest, tmp_path / "low.json", "--max-image-pixels", "1500") == 2  # 40x40 = 1,600 pixels
    assert "40x40 = 1,600 pixels, above the reading limit of 1,500 pixels" in capsys.readouterr().err
    assert evaluate(manifest, tmp_path / "ok.json", "--max-image-pixels", "1600") == 0
    protocol = json.loads((tmp_path / "ok.json").read_text())["protocol"]
    assert protocol["max_image_pixels"] == 1600 and Protocol.from_record(protocol).max_image_pixels == 1600
    assert evaluate(manifest, tmp_path / "default.json") == 0
    default = json.loads((tmp_path / "default.json").read_text())["protocol"]
    assert "max_image_pixels" not in default  # the default is not recorded: older results keep their key
    assert Protocol.from_record(default).key() == Protocol.from_record(Protocol().record()).key()


def test_the_limit_applies_when_images_are_read_too(tmp_path):
    """A dataset scanned under a higher limit, evaluated under a lower one: each image is refused when read."""
    import inpaintbench as ib
    from inpaintbench.evaluation.harness import evaluate_split
    from inpaintbench.evaluation.protocol import Execution

    dataset = ib.load_dataset("pairs", data_root=str(pairs_set(tmp_path, size=40)))
    protocol = Protocol(max_image_pixels=1000)
    with pytest.raises(DataError, match=r"40x40 = 1,600 pixels, above the reading limit of 1,000"):
        evaluate_split(ib.load_detector("noise-residual"), dataset, "test/manipulated", protocol=protocol,
                       run=Execution(progress=False))
    state, bad = evaluate_split(ib.load_detector("noise-residual"), dataset, "test/manipulated", protocol=protocol,
                                run=Execution(progress=False, on_bad="skip"))
    assert len(state) == 0 and len(bad) == 3 and "reading limit" in bad[0]


def test_header_reads_the_size_under_the_limit_in_force(tmp_path):
    path = save(tmp_path / "a.png", np.zeros((30, 50, 3), np.uint8))
    assert header(path) == ("RGB", (50, 30))
    with pixel_limit(1499), pytest.raises(DataError, match="50x30 = 1,500 pixels"):
        header(path)
    assert header(path) == ("RGB", (50, 30))  # the limit holds inside the block only


@pytest.mark.parametrize("dataset", ["pairs", "provided"])
def test_image_and_mask_of_different_sizes_are_refused_from_their_headers(tmp_path, dataset, no_decoding):
    """The image's pixels are cut off (decoding it would fail): the size disagreement is what is reported,
    found from the headers alone, for the pairs and the provided layouts."""
    rng = np.random.default_rng(1)
    if dataset == "pairs":
        manifest = pairs_set(tmp_path)
        image, mask, root = tmp_path / "img" / "f1.png", tmp_path / "gt" / "f1.png", manifest
    else:
        for sid in ("a", "b"):
            save(tmp_path / "test" / f"{sid}.realfake.png", rng.integers(0, 256, (32, 32, 3), np.uint8))
            save(tmp_path / "test" / f"{sid}.mask.png", np.full((32, 32), 255, np.uint8))
        image, mask, root = tmp_path / "test" / "b.realfake.png", tmp_path / "test" / "b.mask.png", tmp_path
    save(mask, np.zeros((32, 33), np.uint8))
    data = image.read_bytes()
    image.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"size 32x32 does not match its mask .* \(33x32\)"):
        cli.registry.create("datasets", dataset, data_root=str(root))
    skipping = cli.registry.create("datasets", dataset, data_root=str(root), on_bad="skip")
    assert len(skipping.problems) == 1
    assert not any(name.endswith(str(image.name)) for name in no_decoding)


@pytest.mark.parametrize("attack", ["jpeg:quality=90", "webp:quality=90"])
def test_re_encoding_attacks_decode_their_own_bytes_without_pil_s_bomb_check(attack, monkeypatch):
    from inpaintbench.evaluation._attack_spec import parse_attacks
    from inpaintbench.sdk import Sample

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # PIL refuses above twice this: 64 x 64 would fail
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    sample = Sample("x", "test", "original", image, np.zeros((64, 64), np.uint8))
    out = parse_attacks(attack)[0](sample, np.random.default_rng(0))
    assert out.image.shape == image.shape and Image.MAX_IMAGE_PIXELS == 100  # the check is back afterwards
