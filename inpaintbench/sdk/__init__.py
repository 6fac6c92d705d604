"""The plugin SDK: everything a detector, dataset or attack plugin codes against, and nothing else.

``inpaintbench.baselines`` and ``inpaintbench.attacks`` import only this package, exactly as a third
party's plugin would. It holds the contracts (``Sample``, ``Card``, ``BaseDetector``, ...), the
registry of entry points, the errors the CLI reports in one line, weights as typed data with their
resolver, the latent autoencoders plugins share, and the attack base class.

Heavy modules (torch models) load on first use, so ``import inpaintbench.sdk`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the SDK module that defines it.
_EXPORTS = {
    "contracts": ("AUTHENTIC_KINDS", "KINDS", "MANIPULATED_KINDS", "ROLES", "SPLITS", "Attack", "BaseDetector",
                  "Dataset", "DetectorProtocol", "ModuleDetector", "PlainDetector", "Sample", "SplitName",
                  "as_detector", "count_parameters", "kind_role", "pooled_logit", "HEATMAP_LOGIT_EPS", "FILE_FACTS"),
    "cards": ("Card", "card_of"),
    "errors": ("UserError", "CheckpointError", "ConfigError", "NotTrainable", "PluginFailure", "USER_ERRORS"),
    "registry": ("RegistryError", "OptionValueError", "unknown_name_error", "suggest"),
    "weights": ("WeightsEntry", "WeightsFile", "WeightsUnavailable", "register_weights", "weights_entries",
                "get_weights", "read_weights", "file_sha256", "cache_path", "is_cached", "load_url_state_dict"),
    "autoencoders": ("load_autoencoder", "check_autoencoder", "AUTOENCODERS", "DEFAULT_AUTOENCODER"),
    "attacks": ("AttackOptionError", "Range", "ImageAttack", "check_range", "check_choice", "format_value",
                "pil_roundtrip", "to_uint8", "MASK_MAPPING"),
    "crops": ("crop_window", "CROP_POSITIONS"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'inpaintbench.sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"inpaintbench.sdk.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
