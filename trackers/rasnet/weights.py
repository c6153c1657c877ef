"""RASNet checkpoints (save, load, verify) and converters from SiamFC weight files.

A checkpoint is a ``torch.save``'d dict of plain values and tensors, so it loads with
``torch.load(weights_only=True)``::

    {"format": "rasbench-rasnet", "format_version": 1,
     "variant": "rasnet", "config": {...RASNet constructor arguments...},
     "state_dict": {...}, "meta": {...free-form provenance...}}

Loading rebuilds the model from ``variant`` and ``config`` and checks every key and shape
before any weight is copied, so a file made for another variant or layout fails with a
message naming the differences.

Converters read the SiamFC files people actually have and initialise the backbone only
(RASNet weights were never released; attentions keep their section-2 initialisation):

* ``matconvnet``: the original ``2016-08-17.net.mat`` (MATLAB v5, ``net.params`` name/value
  pairs ``conv{k}f`` (H, W, C_in, C_out), ``conv{k}b``, ``bn{k}m`` (gamma), ``bn{k}b`` (beta),
  ``bn{k}x`` (C, 2) = [mean, std], ``adjust_f`` / ``adjust_b``). Needs scipy.
* ``siamfc-pytorch``: huanglianghua/siamfc-pytorch state dicts, ``backbone.conv{k}.{0,1}.*``.
* ``sequential``: got-10k/siamfc and similar ports whose backbone is one ``nn.Sequential``
  (``feature.0.weight`` conv1, ``feature.1.*`` bn1, ``feature.4.*`` conv2, ...), whatever the
  Sequential is called.

All three take RGB images in 0-255, as this model does.

:func:`download_official` fetches the original SiamFC-3s network (``2016-08-17.net.mat``,
ILSVRC2015-VID) from the SiamFC project page, verifies it by its git blob id and converts
it to ``<cache>/weights/siamfc-3s.pt``, the default of ``--tracker siamfc-3s``.
"""
from __future__ import annotations

import hashlib
import io
import pickle
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rasbench.errors import ResultsWriteError, TrackerError, optional_dependency
from rasbench.paths import atomic_write_bytes

from .model import VARIANTS, AlexNetV1, RASNet, build_model, parameter_count

FORMAT = "rasbench-rasnet"
FORMAT_VERSION = 1
SOURCE_FORMATS = ("auto", "matconvnet", "siamfc-pytorch", "sequential")

_BN_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net")


class WeightsError(TrackerError):
    """A weight file is missing, unreadable, or does not fit the model asked for."""


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- checkpoints

def save_checkpoint(model: RASNet, path: str | Path, meta: Mapping[str, Any] | None = None,
                    half: bool = False) -> Path:
    """Write ``model`` (any device / dtype) with its variant and config, as CPU float32,
    or float16 with ``half`` (half the size; loading casts back to float32)."""
    path = Path(path)
    if path.exists() and not path.is_file():  # replacing it would put a file where a folder or device was
        raise WeightsError(f"{path} exists and is not a regular file (a folder, a device, a pipe); "
                           f"give the checkpoint's file name")
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    store = torch.float16 if half else torch.float32
    state = {key: value.to(store) if value.is_floating_point() else value for key, value in state.items()}
    try:
        save_tensors({"format": FORMAT, "format_version": FORMAT_VERSION, "variant": model.variant,
                      "config": model.config(), "state_dict": state, "meta": dict(meta or {})}, path)
    except ResultsWriteError as exc:
        raise WeightsError(str(exc)) from None
    return path


def save_tensors(obj: Any, path: Path) -> Path:
    """``torch.save(obj)`` written atomically (:func:`rasbench.paths.atomic_write_bytes`): an
    interrupted or failed save never leaves a truncated file; a failure is a ResultsWriteError."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def _check_weights_file(path: Path) -> None:
    """A weights file must be a regular file; anything else is named for what it is."""
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "is not a regular file" if path.exists() else "does not exist"
        raise WeightsError(f"weights file {path} {what}")


def _torch_load(path: Path) -> Any:
    _check_weights_file(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise WeightsError(f"{path} cannot be loaded with torch.load(weights_only=True): it is not a file of plain "
                           f"tensors (a damaged file, or one holding pickled Python objects such as a whole model; "
                           f"re-save those with torch.save(model.state_dict(), ...))") from exc
    except Exception as exc:  # torch raises RuntimeError, EOFError, zipfile errors ... on a damaged file
        raise WeightsError(f"{path} is not a readable PyTorch file: {type(exc).__name__}: {exc}") from exc


def _is_checkpoint(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("format") == FORMAT


def read_checkpoint(path: str | Path) -> dict:
    """The raw checkpoint dict, after checking that it is one (no model is built)."""
    path = Path(path)
    return _checked_checkpoint(_torch_load(path), path)


def _checked_checkpoint(obj: Any, path: Path) -> dict:
    if not _is_checkpoint(obj):
        hint = ""
        try:
            source_format = _siamfc_layout(_unwrap_state_dict(obj))[0]
            hint = (f" It looks like a SiamFC backbone file ({source_format}); convert it first: "
                    f"rasbench weights convert {path} OUT.pt --variant rasnet")
        except WeightsError:
            pass
        raise WeightsError(f"{path} is not a RASNet checkpoint (no format={FORMAT!r} entry).{hint}")
    if obj.get("format_version") != FORMAT_VERSION:
        raise WeightsError(f"{path} has checkpoint format version {obj.get('format_version')!r}; this rasbench "
                           f"reads version {FORMAT_VERSION}")
    for key, kind in (("variant", str), ("config", dict), ("state_dict", dict)):
        if not isinstance(obj.get(key), kind):
            raise WeightsError(f"{path}: checkpoint entry {key!r} is missing or not a {kind.__name__}")
    return obj


def verify_state_dict(module: torch.nn.Module, state_dict: Mapping[str, torch.Tensor], what: str) -> None:
    """Raise :class:`WeightsError` naming missing, unexpected, wrongly shaped and non-finite entries."""
    expected = module.state_dict()
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    wrong = [f"{key} {tuple(state_dict[key].shape)} (model: {tuple(value.shape)})"
             for key, value in expected.items()
             if key in state_dict and (not torch.is_tensor(state_dict[key]) or state_dict[key].shape != value.shape)]
    # a network with NaN or infinite weights tracks nothing and trains to NaN: refused by name
    not_finite = [key for key, value in state_dict.items() if key in expected and torch.is_tensor(value) and
                  value.shape == expected[key].shape and value.is_floating_point() and
                  not bool(torch.isfinite(value).all())]
    problems = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong),
                         ("NaN or infinite values", not_finite)):
        if items:
            shown = ", ".join(items[:8]) + (f", ... ({len(items)} in all)" if len(items) > 8 else "")
            problems.append(f"{label}: {shown}")
    if problems:
        raise WeightsError(f"{what} does not match the model: " + "; ".join(problems))


def model_from_checkpoint(checkpoint: Mapping[str, Any], variant: str | None = None,
                          source: str = "checkpoint") -> RASNet:
    """Build and fill the model a checkpoint dict describes (see :func:`read_checkpoint`)."""
    stored = checkpoint["variant"]
    if variant is not None and variant != stored:
        raise WeightsError(f"{source} holds variant {stored!r}, but variant {variant!r} was asked for; drop the "
                           f"variant parameter or use weights trained for {variant!r}")
    if stored not in VARIANTS:
        raise WeightsError(f"{source} holds unknown variant {stored!r} (known: {', '.join(VARIANTS)})")
    try:
        model = RASNet(stored, **checkpoint["config"])
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{source}: its config {checkpoint['config']} does not build a {stored!r} model: {exc}") \
            from exc
    verify_state_dict(model, checkpoint["state_dict"], f"{source} (variant {stored!r})")
    model.load_state_dict(checkpoint["state_dict"])
    return model


def load_checkpoint(path: str | Path, variant: str | None = None) -> tuple[RASNet, dict]:
    """(model on the CPU in eval mode, checkpoint meta). ``variant`` must agree with the file's."""
    checkpoint = read_checkpoint(path)
    model = model_from_checkpoint(checkpoint, variant, source=str(path))
    return model.eval(), dict(checkpoint.get("meta") or {})


def describe_checkpoint(path: str | Path) -> dict:
    """What a weight file holds: a RASNet checkpoint, or a SiamFC file that :func:`convert` accepts."""
    path = Path(path)
    if not _sniff_matconvnet(path):
        obj = _torch_load(path)
        if _is_checkpoint(obj):
            model = model_from_checkpoint(_checked_checkpoint(obj, path), source=str(path))
            modules = {"backbone": model.backbone, "general_attention": model.general_attention,
                       "residual_attention": model.residual_attention, "channel_attention": model.channel_attention}
            by_module = {name: m.numel() if isinstance(m, torch.nn.Parameter) else parameter_count(m)
                         for name, m in modules.items() if m is not None}
            return {"path": str(path), "format": FORMAT, "format_version": obj["format_version"],
                    "sha256": file_sha256(path), "variant": model.variant, "config": model.config(),
                    "parameters": parameter_count(model), "parameters_by_module": by_module,
                    "meta": dict(obj.get("meta") or {})}
    state, extras = read_siamfc_backbone(path)  # raises when the file is neither
    return {"path": str(path), "format": extras["format"], "sha256": file_sha256(path), "convertible": True,
            "backbone_parameters": _backbone_parameters(state)}


def _backbone_parameters(state: Mapping[str, torch.Tensor]) -> int:
    return sum(value.numel() for key, value in state.items() if not key.endswith(_BN_BUFFERS))


# ----------------------------------------------------------------------------- SiamFC converters

def _sniff_matconvnet(path: Path) -> bool:
    _check_weights_file(path)
    with open(path, "rb") as handle:
        return handle.read(6) == b"MATLAB"


def _unwrap_state_dict(obj: Any) -> dict[str, torch.Tensor]:
    """The tensor dict inside ``obj`` (a state dict, or a training checkpoint that holds one)."""
    if isinstance(obj, dict):
        for key in _WRAPPER_KEYS:
            if isinstance(obj.get(key), dict):
                return _unwrap_state_dict(obj[key])
        tensors = {key: value for key, value in obj.items() if isinstance(key, str) and torch.is_tensor(value)}
        if tensors:
            return tensors
    raise WeightsError("the file holds no state dict (a dict of tensors)")


_NAMED_KEY = re.compile(r"^(?P<prefix>.*?)conv(?P<layer>[1-5])\.(?P<slot>[01])\.(?P<field>\w+)$")
_INDEXED_KEY = re.compile(r"^(?P<prefix>.*?)(?P<index>\d+)\.(?P<field>weight|bias|running_mean|running_var|"
                          r"num_batches_tracked)$")


def _siamfc_layout(state: Mapping[str, torch.Tensor]) -> tuple[str, dict[str, torch.Tensor]]:
    """Detect the SiamFC port a state dict comes from; return (format, AlexNetV1 state dict)."""
    named: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        match = _NAMED_KEY.match(key)
        if match:
            local = f"conv{match['layer']}.{match['slot']}.{match['field']}"
            named.setdefault(match["prefix"], {})[local] = value
    for found in named.values():
        if "conv1.0.weight" in found and "conv5.0.weight" in found:
            return "siamfc-pytorch", found
    sequential = _sequential_backbone(state)
    if sequential is not None:
        return "sequential", sequential
    raise WeightsError("the state dict matches no known SiamFC layout (siamfc-pytorch 'backbone.conv1.0.weight' "
                       "..., or one Sequential with 5 convs and 4 batch norms such as got10k's 'feature.0.weight')")


def _sequential_backbone(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor] | None:
    """Map an ``nn.Sequential`` backbone (conv, bn, conv, bn, conv, bn, conv, bn, conv) to AlexNetV1 names."""
    groups: dict[str, dict[int, dict[str, torch.Tensor]]] = {}
    for key, value in state.items():
        match = _INDEXED_KEY.match(key)
        if match:
            groups.setdefault(match["prefix"], {}).setdefault(int(match["index"]), {})[match["field"]] = value
    for modules in groups.values():
        kinds = ["bn" if "running_mean" in fields else "conv" if fields.get("weight", torch.empty(0)).dim() == 4
                 else "other" for _, fields in sorted(modules.items())]
        if kinds != ["conv", "bn"] * 4 + ["conv"]:
            continue
        out = {}
        for position, (_, fields) in enumerate(sorted(modules.items())):
            layer, slot = position // 2 + 1, position % 2
            out.update({f"conv{layer}.{slot}.{field}": value for field, value in fields.items()})
        return out
    return None


def matconvnet_to_backbone(params: Mapping[str, np.ndarray]) -> tuple[dict[str, torch.Tensor], dict]:
    """MatConvNet SiamFC params (name -> array, as in ``net.params``) -> (AlexNetV1 state dict, extras).

    Filters go from MATLAB's (H, W, C_in, C_out) to PyTorch's (C_out, C_in, H, W) (grouped
    convs already store C_in per group, as PyTorch does); BN moments are [mean, std], so
    running_var = std ** 2 (the std already holds MatConvNet's epsilon). ``extras`` holds
    ``adjust_gain`` / ``adjust_bias`` (the head's 1e-3 gain and bias) when present.
    """
    needed = [f"conv{k}{p}" for k in range(1, 6) for p in "fb"] + [f"bn{k}{p}" for k in range(1, 5) for p in "mbx"]
    missing = [name for name in needed if name not in params]
    if missing:
        raise WeightsError(f"MatConvNet model lacks parameters {', '.join(missing)}; expected the SiamFC "
                           f"2016-08-17.net.mat layout (conv1f ... conv5b, bn1m/bn1b/bn1x ... bn4x)")

    def vector(name: str) -> torch.Tensor:
        return torch.from_numpy(np.asarray(params[name], dtype=np.float32).reshape(-1).copy())

    state: dict[str, torch.Tensor] = {}
    for k in range(1, 6):
        filters = np.asarray(params[f"conv{k}f"], dtype=np.float32)
        if filters.ndim != 4:
            raise WeightsError(f"MatConvNet conv{k}f has shape {filters.shape}; expected (H, W, C_in, C_out)")
        state[f"conv{k}.0.weight"] = torch.from_numpy(np.ascontiguousarray(filters.transpose(3, 2, 0, 1)))
        state[f"conv{k}.0.bias"] = vector(f"conv{k}b")
        if k == 5:
            break
        channels = state[f"conv{k}.0.weight"].shape[0]
        moments = np.asarray(params[f"bn{k}x"], dtype=np.float32)
        if moments.shape == (2, channels):
            moments = moments.T
        if moments.shape != (channels, 2):
            raise WeightsError(f"MatConvNet bn{k}x has shape {moments.shape}; expected ({channels}, 2) = [mean, std]")
        state[f"conv{k}.1.weight"] = vector(f"bn{k}m")
        state[f"conv{k}.1.bias"] = vector(f"bn{k}b")
        state[f"conv{k}.1.running_mean"] = torch.from_numpy(moments[:, 0].copy())
        state[f"conv{k}.1.running_var"] = torch.from_numpy(moments[:, 1].copy() ** 2)
        state[f"conv{k}.1.num_batches_tracked"] = torch.tensor(0)
    extras = {}
    for name, key in (("adjust_f", "adjust_gain"), ("adjust_b", "adjust_bias")):
        if name in params and np.asarray(params[name]).size == 1:
            extras[key] = float(np.asarray(params[name]).reshape(-1)[0])
    return state, extras


def read_matconvnet_params(path: str | Path) -> dict[str, np.ndarray]:
    """``net.params`` of a MatConvNet DagNN .mat file as name -> array."""
    with optional_dependency("reading MatConvNet .mat files"):
        from scipy.io import loadmat
    try:
        mat = loadmat(str(path))
    except NotImplementedError as exc:  # MATLAB v7.3 (HDF5) files
        raise WeightsError(f"{path}: {exc}. Re-save it in MATLAB with save(..., '-v7')") from exc
    except Exception as exc:
        raise WeightsError(f"{path} is not a readable MATLAB file: {type(exc).__name__}: {exc}") from exc
    try:
        params = mat["net"]["params"][0, 0]  # (1, N) struct array with fields name, value
        names = [str(np.asarray(name).reshape(-1)[0]) for name in params["name"].reshape(-1)]
        values = [np.asarray(value) for value in params["value"].reshape(-1)]
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise WeightsError(f"{path} has no net.params name/value list; expected a MatConvNet SiamFC model such as "
                           f"2016-08-17.net.mat") from exc
    return dict(zip(names, values))


def read_siamfc_backbone(path: str | Path, source_format: str = "auto") -> tuple[dict[str, torch.Tensor], dict]:
    """(AlexNetV1 state dict, extras) from a SiamFC weight file; extras["format"] names the layout."""
    path = Path(path)
    if source_format not in SOURCE_FORMATS:
        raise WeightsError(f"unknown source format {source_format!r}; choose from {', '.join(SOURCE_FORMATS)}")
    if source_format == "matconvnet" or (source_format == "auto" and _sniff_matconvnet(path)):
        state, extras = matconvnet_to_backbone(read_matconvnet_params(path))
        extras["format"] = "matconvnet"
    else:
        obj = _torch_load(path)
        if _is_checkpoint(obj):
            raise WeightsError(f"{path} is already a RASNet checkpoint (variant {obj.get('variant')!r})")
        detected, state = _siamfc_layout(_unwrap_state_dict(obj))
        if source_format not in ("auto", detected):
            raise WeightsError(f"{path} has the {detected} layout, not {source_format}")
        state, extras = dict(state), {"format": detected}
    backbone = AlexNetV1()
    for key, value in backbone.state_dict().items():
        if key.endswith("num_batches_tracked"):
            state.setdefault(key, torch.zeros_like(value))  # older PyTorch files lack it
    verify_state_dict(backbone, state, f"SiamFC backbone in {path}")
    return {key: value.float() if value.is_floating_point() else value for key, value in state.items()}, extras


def siamfc_model(src: str | Path, variant: str = "siamfc", source_format: str = "auto", seed: int = 0,
                 **config) -> tuple[RASNet, dict]:
    """(model, meta): a ``variant`` model whose backbone comes from the SiamFC file ``src``.

    Everything but the backbone keeps its initialisation (rho_bar = 1, rho_tilde = 0,
    channel attention random under ``seed``, b = 0), so the result still needs training
    unless ``variant`` is ``siamfc``: then the MatConvNet head's gain and bias are kept too.
    ``config`` overrides RASNet constructor arguments.
    """
    state, extras = read_siamfc_backbone(src, source_format)
    if variant == "siamfc" and "adjust_gain" in extras:
        config.setdefault("out_scale", extras["adjust_gain"])
    try:
        model = build_model(variant, seed=seed, **config)
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"cannot build variant {variant!r} with {config}: {exc}") from exc
    model.backbone.load_state_dict(state)
    if variant == "siamfc" and "adjust_bias" in extras:
        with torch.no_grad():
            model.bias.fill_(extras["adjust_bias"])
    meta = {"source": Path(src).name, "source_format": extras["format"], "source_sha256": file_sha256(src),
            "init_seed": seed,
            "note": "backbone converted from SiamFC; " + ("head from SiamFC" if variant == "siamfc" else
                                                          "attentions and bias at initialisation (untrained)")}
    return model, meta


def convert(src: str | Path, dst: str | Path, variant: str = "rasnet", source_format: str = "auto",
            seed: int = 0, **config) -> dict:
    """Write the checkpoint of :func:`siamfc_model` to ``dst``; returns :func:`describe_checkpoint`."""
    model, meta = siamfc_model(src, variant, source_format, seed, **config)
    save_checkpoint(model, dst, meta)
    return describe_checkpoint(dst)


def load_weights(path: str | Path, variant: str | None = None) -> tuple[RASNet, dict]:
    """(model on the CPU in eval mode, meta) from a RASNet checkpoint or, for the ``siamfc``
    variant, also straight from a SiamFC weight file (converted in memory, head included):
    SiamFC needs nothing its original weights lack, the other variants need training."""
    path = Path(path)
    obj = None if _sniff_matconvnet(path) else _torch_load(path)
    if obj is not None and _is_checkpoint(obj):
        model = model_from_checkpoint(_checked_checkpoint(obj, path), variant, source=str(path))
        return model.eval(), dict(obj.get("meta") or {})
    if variant != "siamfc":
        if obj is not None:
            _checked_checkpoint(obj, path)  # raises, naming the SiamFC layout when it is one
        target = variant or "rasnet"
        raise WeightsError(f"{path} is a MatConvNet SiamFC model, not a RASNet checkpoint; only the siamfc variant "
                           f"runs from it directly. For {target}: rasbench weights convert {path} OUT.pt --variant "
                           f"{target} (its attentions then need training)")
    model, meta = siamfc_model(path, "siamfc")
    return model.eval(), meta


def initial_weights(path: str | Path, variant: str, seed: int = 0) -> tuple[RASNet, dict]:
    """Where training starts: a RASNet checkpoint of ``variant``, or a SiamFC weight file whose
    backbone goes into a fresh ``variant`` (everything else initialised under ``seed``)."""
    path = Path(path)
    obj = None if _sniff_matconvnet(path) else _torch_load(path)
    if obj is not None and _is_checkpoint(obj):
        model = model_from_checkpoint(_checked_checkpoint(obj, path), variant, source=str(path))
        return model, dict(obj.get("meta") or {})
    return siamfc_model(path, variant, seed=seed)


def pack(src: str | Path, dst: str | Path, note: str | None = None) -> dict:
    """Re-save a checkpoint in half precision (to ship it), keeping its meta and adding ``note``."""
    model, meta = load_checkpoint(src)
    if note:
        meta["note"] = note
    meta["packed_from_sha256"] = file_sha256(Path(src))
    save_checkpoint(model, dst, meta, half=True)
    return {"variant": model.variant, "bytes": Path(dst).stat().st_size, "sha256": file_sha256(Path(dst))}


# ----------------------------------------------------------------------------- official weights

@dataclass(frozen=True)
class OfficialWeights:
    """A published weight file: where it is, how to recognise it, what it becomes here."""

    url: str
    file_name: str
    git_blob_id: str  # git's SHA-1 of b"blob <size>\0" + content: pins the content and its size
    checkpoint_name: str
    variant: str


#: The SiamFC-3s network of Bertinetto et al. (2016), linked from the project page
#: http://www.robots.ox.ac.uk/~luca/siamese-fc.html. Public repositories that commit
#: ``2016-08-17.net.mat`` (e.g. hao-liu-china/SiameseFC-pytorch) all hold this blob.
OFFICIAL_WEIGHTS = {
    "siamfc-3s": OfficialWeights(
        url="https://www.robots.ox.ac.uk/~luca/stuff/siam-fc_nets/2016-08-17.net.mat",
        file_name="2016-08-17.net.mat", git_blob_id="96e720d12330e740d75d75ce01479f69c8158b3d",
        checkpoint_name="siamfc-3s.pt", variant="siamfc"),
}


def weights_dir() -> Path:
    """Where downloaded and converted weights live: ``<cache>/weights`` ($RASBENCH_CACHE or ~/.cache/rasbench)."""
    from rasbench.datasets import cache_dir

    return cache_dir() / "weights"


def official_checkpoint(name: str) -> Path:
    """The converted checkpoint :func:`download_official` writes for ``name`` (it may not exist yet)."""
    return weights_dir() / OFFICIAL_WEIGHTS[name].checkpoint_name


def git_blob_id(path: str | Path) -> str:
    """git's object id of the file's content (``git hash-object``): SHA-1 of ``b"blob <size>\\0" + content``."""
    path = Path(path)
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_official(name: str = "siamfc-3s", url: str | None = None, progress: bool = False) -> dict:
    """Fetch (resuming), verify and convert the official weights ``name``; returns the paths.

    ``url``: a mirror of the same file. A file whose git blob id differs is deleted and
    refused. Files already present and verified are not fetched again.
    """
    from rasbench.datasets.download import fetch

    if name not in OFFICIAL_WEIGHTS:
        raise WeightsError(f"no official weights called {name!r}; known: {', '.join(OFFICIAL_WEIGHTS)}")
    official = OFFICIAL_WEIGHTS[name]
    if url is not None and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise WeightsError(f"--url must be an http:// or https:// address, got {url!r}")
    folder = weights_dir()
    source = fetch(url or official.url, folder / official.file_name, progress=progress, label=official.file_name)
    blob = git_blob_id(source)
    if blob != official.git_blob_id:
        size = source.stat().st_size
        source.unlink()
        raise WeightsError(f"{url or official.url} gave a {size}-byte file with git blob id {blob}, not the official "
                           f"{official.file_name} ({official.git_blob_id}); deleted it. Try again, or give --url a "
                           f"mirror of the original file")
    checkpoint = folder / official.checkpoint_name
    convert(source, checkpoint, variant=official.variant)
    return {"source": source, "checkpoint": checkpoint, "git_blob_id": blob}
