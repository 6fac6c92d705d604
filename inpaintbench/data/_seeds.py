"""Per-sample seeds: the same sample gets the same random draws whatever the order, the workers or
the batch size (attacks, crops, generation)."""

from __future__ import annotations

import hashlib


def sample_seed(seed: int, sample_id: str, kind: str) -> int:
    """A per-sample seed that does not depend on order, workers or batch size."""
    digest = hashlib.sha1(f"{seed}:{sample_id}:{kind}".encode()).hexdigest()
    return int(digest[:15], 16)
