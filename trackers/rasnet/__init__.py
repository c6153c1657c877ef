"""RASNet (Wang et al., CVPR 2018): residual attentional Siamese tracker, in PyTorch, and SiamFC-3s.

``RASNetTracker`` is the rasbench tracker; ``build_model`` makes a network of one of the
``VARIANTS`` (``siamfc``, ``genatt``, ``dualatt``, ``chanatt``, ``rasnet``); ``weights``
holds checkpoint I/O, the SiamFC converters and the official SiamFC download. The
``*_tracker`` factories fix the variant, for registering the ablations under their own
names; :func:`siamfc_3s_tracker` is the original SiamFC-3s (its weights, hyper-parameters
and arithmetic). ``cli`` holds the ``weights`` and ``train`` commands of the rasbench CLI.

Importing the package imports no torch: the names below load their module on first use
(``rasbench --help`` imports the package for its commands).
"""
from __future__ import annotations

import importlib

#: public name -> the submodule that defines it, imported when the name is first used
_LAZY = {
    **dict.fromkeys(("VARIANTS", "RASNet", "build_model", "parameter_count"), "model"),
    **dict.fromkeys(("DEFAULT_WEIGHTS", "PRESETS", "Hyper", "RASNetTracker", "siamfc_tracker", "genatt_tracker",
                     "dualatt_tracker", "chanatt_tracker", "siamfc_3s_tracker"), "tracker"),
    **dict.fromkeys(("WeightsError", "convert", "describe_checkpoint", "load_checkpoint", "official_checkpoint",
                     "save_checkpoint"), "weights"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "VARIANTS", "RASNet", "build_model", "parameter_count", "DEFAULT_WEIGHTS", "PRESETS", "Hyper", "RASNetTracker",
    "WeightsError", "convert", "describe_checkpoint", "load_checkpoint", "official_checkpoint", "save_checkpoint",
    "siamfc_tracker", "genatt_tracker", "dualatt_tracker", "chanatt_tracker", "siamfc_3s_tracker",
]
