"""The one crop window: where a window of a given size sits in an image. Training crops, generation
crops and the ``crop`` attack all place their windows with it."""

from __future__ import annotations

import numpy as np

#: Where a window sits: centred, uniformly at random (seeded), or at the top left.
CROP_POSITIONS = ("center", "random", "top_left")
#: Other spellings accepted everywhere a position is read.
POSITION_ALIASES = {"centre": "center"}


def crop_position(text: str) -> str:
    """The canonical position of ``text`` (``centre`` is ``center``); a ``ValueError`` lists the valid ones."""
    position = POSITION_ALIASES.get(text, text)
    if position not in CROP_POSITIONS:
        valid = ", ".join([*CROP_POSITIONS, *POSITION_ALIASES])
        raise ValueError(f"crop position {text!r} is not valid; valid: {valid}")
    return position


def crop_window(height: int, width: int, crop_height: int, crop_width: int, position: str,
                rng: np.random.Generator | None = None) -> tuple[int, int]:
    """Top-left corner ``(top, left)`` of a ``crop_height x crop_width`` window in a ``height x width``
    image. On a side where the window is not smaller than the image it starts at 0, and a random
    position draws from ``rng`` only on sides with room, so the draws do not depend on the other side."""
    position = crop_position(position)
    room_h, room_w = max(0, height - crop_height), max(0, width - crop_width)
    if position == "center":
        return room_h // 2, room_w // 2
    if position == "top_left":
        return 0, 0
    if rng is None:
        raise ValueError("a random crop position needs a random generator")
    return (int(rng.integers(0, room_h + 1)) if room_h else 0,
            int(rng.integers(0, room_w + 1)) if room_w else 0)
