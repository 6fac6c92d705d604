"""The one place that reads ``INPAINTBENCH_*`` environment variables: each is declared once, with
what it sets, so that help texts, the README and the code cannot drift apart."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    """An environment variable the package reads, and what it sets."""

    name: str
    sets: str

    def get(self) -> str | None:
        """The variable's value, ``None`` when unset or empty."""
        return os.environ.get(self.name) or None

    def __str__(self) -> str:
        return f"${self.name}"


CACHE = Variable("INPAINTBENCH_CACHE", "the cache root (embedded datasets, clean results)")
DATA = Variable("INPAINTBENCH_DATA", "the default --data-root of a dataset")
WEIGHTS = Variable("INPAINTBENCH_WEIGHTS", "a folder of published weights, one sub-folder per weights entry")
AUTOENCODER = Variable("INPAINTBENCH_AUTOENCODER", "the autoencoder of the re-encode attack in attack grids")
SD_MODEL = Variable("INPAINTBENCH_SD_MODEL", "the diffusers inpainting model of the sd generator")
VAE = Variable("INPAINTBENCH_VAE", "the diffusers autoencoder of the vae generator")
VAE_WEIGHTS = Variable("INPAINTBENCH_VAE_WEIGHTS", "the TAESD-family autoencoder of the vae generator")
WILD = Variable("INPAINTBENCH_WILD", "the folder of the wild set of real inpaintings")

VARIABLES = (CACHE, DATA, WEIGHTS, AUTOENCODER, SD_MODEL, VAE, VAE_WEIGHTS, WILD)
