"""RASNet (Wang et al., CVPR 2018): residual attentional Siamese tracker, in PyTorch.

``RASNetTracker`` is the rasbench tracker; ``build_model`` makes a network of one of the
``VARIANTS`` (``siamfc``, ``genatt``, ``dualatt``, ``chanatt``, ``rasnet``); ``weights``
holds checkpoint I/O and the SiamFC converters. The ``*_tracker`` factories fix the
variant, for registering the ablations under their own names.
"""
from .model import VARIANTS, RASNet, build_model, parameter_count
from .tracker import DEFAULT_WEIGHTS, Hyper, RASNetTracker
from .weights import WeightsError, convert, describe_checkpoint, load_checkpoint, save_checkpoint


def _variant_factory(variant: str):
    def make(**params) -> RASNetTracker:
        return RASNetTracker(variant=variant, **params)

    make.__name__ = make.__qualname__ = f"{variant}_tracker"
    make.__doc__ = f"RASNetTracker fixed to the {variant!r} variant (the checkpoint must be one)."
    make.name = variant  # what rasbench.registry calls the results folder for module:function specs
    return make


siamfc_tracker = _variant_factory("siamfc")
genatt_tracker = _variant_factory("genatt")
dualatt_tracker = _variant_factory("dualatt")
chanatt_tracker = _variant_factory("chanatt")

__all__ = [
    "VARIANTS", "RASNet", "build_model", "parameter_count", "DEFAULT_WEIGHTS", "Hyper", "RASNetTracker",
    "WeightsError", "convert", "describe_checkpoint", "load_checkpoint", "save_checkpoint",
    "siamfc_tracker", "genatt_tracker", "dualatt_tracker", "chanatt_tracker",
]
