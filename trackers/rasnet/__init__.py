"""RASNet (Wang et al., CVPR 2018): residual attentional Siamese tracker, in PyTorch, and SiamFC-3s.

``RASNetTracker`` is the rasbench tracker; ``build_model`` makes a network of one of the
``VARIANTS`` (``siamfc``, ``genatt``, ``dualatt``, ``chanatt``, ``rasnet``); ``weights``
holds checkpoint I/O, the SiamFC converters and the official SiamFC download. The
``*_tracker`` factories fix the variant, for registering the ablations under their own
names; :func:`siamfc_3s_tracker` is the original SiamFC-3s (its weights, hyper-parameters
and arithmetic).
"""
from rasbench.errors import TrackerError

from .model import VARIANTS, RASNet, build_model, parameter_count
from .tracker import DEFAULT_WEIGHTS, PRESETS, Hyper, RASNetTracker
from .weights import (WeightsError, convert, describe_checkpoint, load_checkpoint, official_checkpoint,
                      save_checkpoint)


def _variant_factory(variant: str):
    def make(**params) -> RASNetTracker:
        return RASNetTracker(variant=variant, **params)

    make.__name__ = make.__qualname__ = f"{variant}_tracker"
    make.__doc__ = f"RASNetTracker fixed to the {variant!r} variant (the checkpoint must be one)."
    make.name = variant  # what rasbench.registry calls the results folder for module:function specs
    make.deterministic = True  # the runner reads it without building the tracker
    return make


siamfc_tracker = _variant_factory("siamfc")
genatt_tracker = _variant_factory("genatt")
dualatt_tracker = _variant_factory("dualatt")
chanatt_tracker = _variant_factory("chanatt")


def siamfc_3s_tracker(weights: str | None = None, preset: str = "siamfc-3s", **params) -> RASNetTracker:
    """SiamFC-3s as published: the ``siamfc`` variant with the ``siamfc-3s`` preset (official
    hyper-parameters and arithmetic). Weights: ``-p weights=`` (a checkpoint, or the
    original ``2016-08-17.net.mat``), else those ``rasbench weights download siamfc-3s`` made."""
    if params.pop("variant", "siamfc") != "siamfc":
        raise TrackerError("siamfc-3s is the siamfc variant; for other variants use rasnet-<variant>")
    if weights is None and not params.get("random_init"):
        default = official_checkpoint("siamfc-3s")
        if not default.is_file():
            raise TrackerError(f"siamfc-3s needs the official SiamFC-3s weights, and {default} does not exist. Get "
                               f"them with `rasbench weights download siamfc-3s` (9 MB from the SiamFC project page, "
                               f"verified and converted there), or pass a copy of 2016-08-17.net.mat (or a converted "
                               f"checkpoint) with -p weights=PATH")
        weights = str(default)
    tracker = RASNetTracker(weights=weights, variant="siamfc", preset=preset, **params)
    tracker.name = "siamfc-3s"
    return tracker


siamfc_3s_tracker.name = "siamfc-3s"
siamfc_3s_tracker.deterministic = True

__all__ = [
    "VARIANTS", "RASNet", "build_model", "parameter_count", "DEFAULT_WEIGHTS", "PRESETS", "Hyper", "RASNetTracker",
    "WeightsError", "convert", "describe_checkpoint", "load_checkpoint", "official_checkpoint", "save_checkpoint",
    "siamfc_tracker", "genatt_tracker", "dualatt_tracker", "chanatt_tracker", "siamfc_3s_tracker",
]
