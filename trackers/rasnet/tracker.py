"""The RASNet tracker behind the rasbench contract (spec section 3), and SiamFC-3s.

Per frame: one upload of the frame, one batched crop for all scales, one backbone pass on
the (S, 3, 255, 255) batch (channels-last), one convolution with the kernel
K = out_scale * rho * beta * phi(z) and the head's bias, both folded in by
:meth:`RASNetTracker.init` (attentions never run again), x16 bicubic upsampling, scale
penalty, cosine window, argmax, and a single device-to-host copy of (scale index, peak
index, peak score) from which the box is updated on the host. On a CPU device everything
but the backbone runs on one thread (:meth:`RASNetTracker._one_thread`). RASNet and SiamFC
share this path; they differ in weights and in the hyper-parameters below.

Coordinates. The toolkit hands over ``[x, y, w, h]`` in 0-based pixel coordinates where
pixel (col k, row l) covers [k, k+1) x [l, l+1). The tracker keeps the continuous centre
``(cx, cy) = (x + w/2, y + h/2)`` and returns ``[cx - w/2, cy - h/2, w, h]``, so an
unchanged state round-trips exactly.

Arithmetic. Three hyper-parameters choose how crops, upsampling and the state update are
computed; ``rasbench`` is RASNet's default, ``siamfc`` the original SiamFC's (:mod:`.siamfc`):

* ``crop``: ``rasbench`` crops are sub-pixel exact: a square of side ``s`` centred on
  (cx, cy) resized to ``n`` pixels puts crop pixel i's centre at
  ``cx - s/2 + (i + 0.5) * s/n`` (``grid_sample``, bilinear, ``align_corners=False``), no
  rounding of the window to whole pixels. ``siamfc``: SiamFC's rounded windows around
  its half-pixel-shifted centre, resized with MATLAB's antialiased bicubic ``imresize``,
  the scale pyramid cut from one resized crop. Both pad with the first frame's mean colour.
* ``upsample``: ``rasbench`` is torch's bicubic (a = -0.75, edges replicated);
  ``siamfc`` MATLAB's (a = -0.5, edges mirrored).
* ``update``: ``rasbench`` measures the peak from the upsampled map's exact centre
  ((n - 1)/2), scales it by the winning scale's search side, keeps the centre inside the
  image and ties size and search side to one clamped scale (>= ``min_size`` px);
  ``siamfc`` takes the first maximum in column-major order, measures it from
  ``ceil(n/2)`` (1-based), scales by the rounded current search side whatever scale won,
  clamps only the search side, and lets the centre leave the image.

``polygon_box`` decides the first box of a VOT run: ``toolkit`` takes the box the
benchmark's convention derives; ``siamfc`` takes the ground-truth polygon (the tracker
then declares ``takes_polygon``) and uses the area-preserving box of SiamFC's VOT code
(``get_axis_aligned_BB``: centre = mean of the corners, sides scaled to the polygon's area,
plus one).

The registered names are at the end: the ``*_tracker`` factories fix the variant (the
ablations), :func:`siamfc_3s_tracker` is SiamFC-3s with its weights and preset.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from rasbench.errors import TrackerError
from rasbench.geometry import Regions, area_preserving_boxes, bounding_boxes

from . import siamfc
from .model import EXEMPLAR_SIZE, INSTANCE_SIZE, TOTAL_STRIDE, RASNet, build_model
from .weights import file_sha256, load_weights, official_checkpoint

#: The bundled weights of ``--tracker rasnet`` (trained on synthetic data only).
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "rasnet_synth.pt"

ARITHMETIC = ("rasbench", "siamfc")
POLYGON_BOXES = ("toolkit", "siamfc")


@dataclass(frozen=True)
class Hyper:
    """Tracking hyper-parameters (spec section 3.3); every field can be overridden by name."""

    context: float = 0.5            # context margin p = context * (w + h)
    scale_num: int = 3              # scales step ** k, k = -(n - 1)/2 .. (n - 1)/2 [paper]
    scale_step: float = 1.03        # [paper]
    scale_penalty: float = 0.9745   # multiplies non-central scales' responses [SiamFC value]
    scale_lr: float = 0.56          # damping of the scale update [paper]
    window_influence: float = 0.176  # cosine-window weight [SiamFC value]
    response_up: int = 16           # bicubic upsampling of the 17x17 response
    min_scale: float = 0.2          # target scale clamp, relative to the first frame
    max_scale: float = 5.0
    min_size: float = 10.0          # smallest w / h reported, unless the first box was smaller (update=rasbench)
    crop: str = "rasbench"          # rasbench | siamfc (module docstring)
    upsample: str = "rasbench"      # rasbench | siamfc
    update: str = "rasbench"        # rasbench | siamfc
    polygon_box: str = "toolkit"    # toolkit | siamfc: the first box of a VOT run

    def check(self) -> Hyper:
        problems = []
        if self.scale_num < 1 or self.scale_num % 2 == 0:
            problems.append(f"scale_num must be odd and >= 1 (got {self.scale_num})")
        if self.scale_step <= 0 or self.scale_penalty <= 0 or self.response_up < 1 or self.context < 0:
            problems.append("scale_step, scale_penalty, response_up must be positive and context >= 0")
        if not (0 <= self.scale_lr <= 1 and 0 <= self.window_influence <= 1):
            problems.append("scale_lr and window_influence must lie in [0, 1]")
        if not 0 < self.min_scale <= 1 <= self.max_scale:
            problems.append("need 0 < min_scale <= 1 <= max_scale")
        if self.min_size < 0:
            problems.append("min_size must be >= 0")
        for name, choices in (("crop", ARITHMETIC), ("upsample", ARITHMETIC), ("update", ARITHMETIC),
                              ("polygon_box", POLYGON_BOXES)):
            if getattr(self, name) not in choices:
                problems.append(f"{name} must be {' or '.join(choices)} (got {getattr(self, name)!r})")
        if problems:
            raise TrackerError("bad RASNet hyper-parameters: " + "; ".join(problems))
        return self


#: Named hyper-parameter sets (``-p preset=NAME``); single fields still override them.
PRESETS: dict[str, Hyper] = {
    # The paper's scale step and damping (Sec. 4.1); SiamFC's penalty and window (the paper gives none).
    "rasnet": Hyper(),
    # SiamFC-3s as published: bertinetto/siamese-fc tracking/tracker.m defaults, and its arithmetic.
    "siamfc-3s": Hyper(scale_step=1.0375, scale_penalty=0.9745, scale_lr=0.59, window_influence=0.176,
                       response_up=16, context=0.5, crop="siamfc", upsample="siamfc", update="siamfc",
                       polygon_box="siamfc"),
}


def make_hyper(overrides: dict | None = None, preset: str = "rasnet") -> Hyper:
    """``PRESETS[preset]`` with ``overrides`` by name; unknown names are an error listing the valid ones."""
    if preset not in PRESETS:
        raise TrackerError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    overrides = dict(overrides or {})
    types = {f.name: f.type for f in fields(Hyper)}
    unknown = sorted(set(overrides) - set(types))
    if unknown:
        raise TrackerError(f"unknown RASNet parameter(s) {', '.join(unknown)}. Valid: weights, variant, preset, "
                           f"device, half, channels_last, random_init, seed, and the hyper-parameters "
                           f"{', '.join(types)}")
    values = {}
    for key, value in overrides.items():
        if types[key] in ("str", str):
            values[key] = str(value)
            continue
        cast = int if types[key] in ("int", int) else float
        try:
            if isinstance(value, bool) or float(value) != float(value) or (cast is int and float(value) != int(value)):
                raise ValueError
            values[key] = cast(value)
        except (TypeError, ValueError):
            raise TrackerError(f"RASNet parameter {key} must be a{'n integer' if cast is int else ' number'}, "
                               f"got {value!r}") from None
    return replace(PRESETS[preset], **values).check()


def resolve_device(spec: str | torch.device) -> torch.device:
    """``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda`` or ``cuda:N``."""
    text = str(spec).strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(text)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda") or (device.type == "cpu" and device.index is not None):
        raise TrackerError(f"device must be auto, cpu, cuda or cuda:N, got {spec!r}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TrackerError(f"device {spec!r} asked for, but this PyTorch sees no CUDA GPU; use device=cpu")
        if (device.index or 0) >= torch.cuda.device_count():
            raise TrackerError(f"device {spec!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    return device


# SiamFC crops are resized band by band while the window's area is at most this many times the
# part of it inside the frame, else by the dense product over that part (tests set it to force either)
BANDED_WINDOW_LIMIT = 2.0


def cpu_has_native_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX); emulated, it is slower than float32."""
    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check() for check in checks if check is not None)


def half_dtype(device: torch.device) -> torch.dtype:
    """The network's dtype with ``half``: float16 on CUDA, bfloat16 on a CPU that computes it
    natively (float16 convolutions on a CPU are emulated; bfloat16 keeps float32's range)."""
    if device.type == "cuda":
        return torch.float16
    if not cpu_has_native_bf16():
        raise TrackerError("half precision on the CPU is bfloat16, and this CPU has no bfloat16 instructions "
                           "(AVX512-BF16 or AMX): emulated it is slower than float32; leave half off")
    return torch.bfloat16


def no_weights_message(variant: str = "rasnet") -> str:
    if variant == "rasnet":
        missing = f"the bundled default {DEFAULT_WEIGHTS} is missing from this installation"
    else:
        missing = f"only 'rasnet' has bundled weights, not {variant!r}"
    return (f"RASNet ({variant}) needs weights, and none were given; {missing}. Either train them "
            f"(`rasbench train --variant {variant} --data got10k:DIR --out runs/{variant}` writes "
            f"runs/{variant}/final.pt; see `rasbench train --help`) or initialise the backbone from SiamFC "
            f"(`rasbench weights convert 2016-08-17.net.mat {variant}.pt --variant {variant}`; siamfc-pytorch / "
            f"got10k .pth files work too), then run with `-p weights=FILE`. (`-p random_init=true` builds an "
            f"untrained network, for tests and speed measurements only.)")


class _StageClock:
    """Per-stage time for profiling (``timer``: wall or CPU seconds); synchronises the
    device before each reading."""

    def __init__(self, device: torch.device, timer: Callable[[], float] = time.perf_counter) -> None:
        self.sync: Callable[[], None] = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (
            lambda: None)
        self.timer = timer
        self.times: dict[str, float] = {}
        self.sync()
        self._last = timer()

    def mark(self, stage: str) -> None:
        self.sync()
        now = self.timer()
        self.times[stage] = self.times.get(stage, 0.0) + now - self._last
        self._last = now


class RASNetTracker:
    """RASNet (or one of its ablations, or SiamFC-3s) as a rasbench tracker.

    Parameters (from ``rasbench run ... -p key=value`` or Python):

    * ``weights``: a checkpoint (see :mod:`.weights`; the variant comes from the file), or
      for the ``siamfc`` variant also a SiamFC weight file (``2016-08-17.net.mat``,
      siamfc-pytorch ``.pth``), converted on loading. Default: the bundled
      ``weights/rasnet_synth.pt`` when it exists, else an error explaining how to get weights.
    * ``variant``: must agree with the checkpoint's when both are given; with
      ``random_init`` it picks the architecture (default ``rasnet``).
    * ``preset``: ``rasnet`` (default) or ``siamfc-3s`` (:data:`PRESETS`).
    * ``device``: ``auto`` | ``cpu`` | ``cuda`` | ``cuda:N``. ``half``: the backbone and
      attentions in float16 on CUDA, in bfloat16 on a CPU with bfloat16 instructions
      (:func:`half_dtype`); the crops are made in float32, the head (its kernel, gain and
      bias) and the peak stay float32. Faster, and the boxes move a little
      (benchmarks/siamfc_fidelity.py measures how much).
      ``channels_last``: the backbone's memory layout (default true; the boxes do not depend on it).
    * ``random_init``: build an untrained, seeded network (``seed``). For tests and speed
      measurements only; its boxes mean nothing.
    * any :class:`Hyper` field (``scale_step=1.0375``, ``crop=siamfc`` ...).
    """

    name = "rasnet"
    deterministic = True

    def __init__(self, weights: str | None = None, variant: str | None = None, preset: str = "rasnet",
                 device: str = "auto", half: bool = False, channels_last: bool = True, random_init: bool = False,
                 seed: int = 0, **hyper) -> None:
        self.hyper = make_hyper(hyper, preset)
        self.preset = preset
        self.takes_polygon = self.hyper.polygon_box == "siamfc"
        self.device = resolve_device(device)
        for key, value in (("half", half), ("channels_last", channels_last)):
            if not isinstance(value, (bool, np.bool_)):  # a string such as "false" must not read as true
                raise TrackerError(f"RASNet parameter {key} must be true or false, got {value!r}")
        self.dtype = half_dtype(self.device) if half else torch.float32
        self.half = bool(half)
        self.channels_last = bool(channels_last)
        self.random_init = bool(random_init)
        self.seed = int(seed)
        self.weights_path, self.weights_sha256 = None, None
        if random_init:
            if weights is not None:
                raise TrackerError("give either weights or random_init=true, not both")
            try:
                model = build_model(variant or "rasnet", seed=self.seed)
            except ValueError as exc:
                raise TrackerError(str(exc)) from exc
        else:
            path = Path(weights).expanduser() if weights is not None else DEFAULT_WEIGHTS
            if weights is None and (variant not in (None, "rasnet") or not path.is_file()):
                raise TrackerError(no_weights_message(variant or "rasnet"))
            model, _ = load_weights(path, variant)
            self.weights_path, self.weights_sha256 = path.resolve(), file_sha256(path)
        self.memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        # the head's gain and bias stay float32 whatever the network's dtype (bfloat16 would round them)
        self._head_gain = model.out_scale.detach().float().clone().to(self.device)
        self._head_bias = model.bias.detach().float().clone().to(self.device)
        self.model: RASNet = model.to(self.device, self.dtype).eval()
        self.model.backbone.to(memory_format=self.memory_format)
        self.name = model.variant
        self._setup_constants()

    # ------------------------------------------------------------------ set-up

    def _setup_constants(self) -> None:
        hp, device = self.hyper, self.device
        exponents = np.arange(hp.scale_num) - (hp.scale_num - 1) // 2
        self.scale_factors = [float(hp.scale_step) ** float(k) for k in exponents]
        penalties = [1.0 if k == 0 else hp.scale_penalty for k in exponents]
        self._penalties = torch.tensor(penalties, dtype=torch.float32, device=device).view(-1, 1, 1)
        response_size = (INSTANCE_SIZE - EXEMPLAR_SIZE) // TOTAL_STRIDE + 1
        self.upscale_size = response_size * hp.response_up
        hann = torch.hann_window(self.upscale_size, periodic=False, dtype=torch.float64)
        window = torch.outer(hann, hann)
        self._window = (window / window.sum()).to(device, torch.float32)
        if hp.upsample == "siamfc":
            self._upsample = torch.from_numpy(siamfc.upsample_matrix(response_size, hp.response_up).astype(
                np.float32)).to(device)
        self._resize_matrices: dict[tuple, object] = {}  # crop grids / resize matrices on the device

    def describe(self) -> dict:
        """What the run manifest records about this tracker."""
        return {
            "variant": self.model.variant,
            "preset": self.preset,
            "model_config": self.model.config(),
            "weights": str(self.weights_path) if self.weights_path else None,
            "weights_sha256": self.weights_sha256,
            "random_init": self.random_init,
            "seed": self.seed if self.random_init else None,
            "hyper": asdict(self.hyper),
            "device": str(self.device),
            "half": self.half,
            "torch": torch.__version__,
        }

    # ------------------------------------------------------------------ image handling

    def _upload(self, image: np.ndarray) -> torch.Tensor:
        """RGB uint8 (H, W, 3) -> the same (H, W, 3) uint8 tensor on the device (one host-to-device copy)."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise TrackerError(f"RASNet expects RGB uint8 images (H, W, 3), got {image.dtype} {image.shape}")
        if not (image.flags.writeable and image.flags.c_contiguous):
            image = np.array(image, order="C")  # torch.from_numpy warns on read-only arrays, refuses negative strides
        return torch.from_numpy(image).to(self.device, non_blocking=True)

    def _crops(self, frame: torch.Tensor, cx: float, cy: float, sides: list[float], out_size: int) -> torch.Tensor:
        """Sub-pixel square crops of the given sides centred on (cx, cy), resized to ``out_size``:
        (S, 3, n, n) in the backbone's dtype and memory format.

        Only the region the largest crop touches is converted to float, so the cost does not
        grow with the frame size. It is shifted by the padding colour, so zero padding
        outside the image becomes mean-colour padding once the colour is added back.
        """
        frame = frame.permute(2, 0, 1).unsqueeze(0)
        height, width = frame.shape[-2:]
        reach = max(sides) / 2.0 + 1.0  # bilinear taps reach one pixel beyond the outermost sample
        x0, x1 = max(math.floor(cx - reach), 0), min(math.ceil(cx + reach) + 1, width)
        y0, y1 = max(math.floor(cy - reach), 0), min(math.ceil(cy + reach) + 1, height)
        if x0 >= x1 or y0 >= y1:  # entirely outside the image: all padding
            return self._all_padding(len(sides), out_size)
        region = frame[..., y0:y1, x0:x1].float() - self._mean.view(1, 3, 1, 1)
        # grid_sample's normalised coordinate u (align_corners=False) is (u + 1)/2 * size in the
        # region's continuous pixel coordinates; crop pixel i samples u = a * base[i] + b with
        # base[i] = (2i + 1)/n - 1. The grid is axis-aligned, so it is built from two vectors
        # (affine_grid's general matrix product costs more than the sampling on a CPU).
        rw, rh = x1 - x0, y1 - y0
        coeffs = torch.tensor([[side / rw, 2.0 * (cx - x0) / rw - 1.0, side / rh, 2.0 * (cy - y0) / rh - 1.0]
                               for side in sides], dtype=torch.float32).to(self.device, non_blocking=True)
        base = self._grid_base(out_size)
        grid = torch.empty(len(sides), out_size, out_size, 2, device=self.device)
        grid[..., 0] = (coeffs[:, 0:1] * base + coeffs[:, 1:2]).unsqueeze(1)
        grid[..., 1] = (coeffs[:, 2:3] * base + coeffs[:, 3:4]).unsqueeze(2)
        crops = F.grid_sample(region.expand(len(sides), -1, -1, -1), grid, mode="bilinear",
                              padding_mode="zeros", align_corners=False)
        crops = crops + self._mean.view(1, 3, 1, 1)
        return crops.to(self.dtype, memory_format=self.memory_format)

    def _grid_base(self, out_size: int) -> torch.Tensor:
        return self._cached(("grid", out_size), lambda: (
            (torch.arange(out_size, dtype=torch.float32) * 2.0 + 1.0) / out_size - 1.0).to(self.device))

    def _cached(self, key: tuple, build: Callable[[], object]):
        """``build()``, made once per ``key`` (the crop grids and resize matrices depend only on
        window sizes, which change only with the scale; at most 64 are kept)."""
        value = self._resize_matrices.get(key)
        if value is None:
            if len(self._resize_matrices) >= 64:
                self._resize_matrices.clear()
            value = self._resize_matrices[key] = build()
        return value

    def _all_padding(self, count: int, out_size: int) -> torch.Tensor:
        crops = self._mean.view(1, 3, 1, 1).expand(count, 3, out_size, out_size)
        return crops.to(self.dtype, memory_format=self.memory_format)

    def _resize_bands(self, key: tuple, build: Callable[[], np.ndarray]) -> tuple:
        """The resize matrices ``build()`` (S, n, m) on the device, made once per ``key``, both
        dense (S, n, m) float32 and as :func:`.siamfc.band_blocks`: (dense, weights (S*B, block,
        L) float32, each block's window columns (S*B*L,), the same offset into a per-scale stack
        (S*B*L,))."""
        def banded() -> tuple:
            matrices = build()
            count, out_size, side = matrices.shape
            weights, starts = siamfc.band_blocks(matrices, siamfc.block_rows(out_size))
            columns = starts[:, None] + np.arange(weights.shape[2])
            per_scale = columns + side * np.repeat(np.arange(count), len(starts) // count)[:, None]
            return tuple(torch.from_numpy(array).to(self.device) for array in (
                matrices.astype(np.float32), weights.astype(np.float32), columns.ravel(), per_scale.ravel()))

        return self._cached(key, banded)

    def _siamfc_crops(self, frame: torch.Tensor, side: int, bands: tuple) -> torch.Tensor:
        """SiamFC's crops (:mod:`.siamfc`): the ``side``-pixel window around the target, resized per
        scale as ``M @ window @ M.T`` (``bands``: :meth:`_resize_bands`): (S, 3, n, n) like :meth:`_crops`.

        The window is cut from the frame where it overlaps it; the padding outside is the mean
        colour, which is subtracted before resizing, so it contributes nothing. A window mostly
        inside the frame (the usual case) is resized block by block, each block of output rows
        weighing only the window rows it reaches (a gather, then one batched product); one
        mostly outside it (a large target, a grown search area), by the dense product over the
        part inside, whose cost the frame bounds.
        """
        dense = bands[0]
        count, out_size = dense.shape[:2]
        height, width = frame.shape[:2]
        x0 = siamfc.window_start(self.centre[0] + 1.0, side)  # SiamFC's 1-based position: module docstring
        y0 = siamfc.window_start(self.centre[1] + 1.0, side)
        c0, c1, r0, r1 = max(x0, 0), min(x0 + side, width), max(y0, 0), min(y0 + side, height)
        if c0 >= c1 or r0 >= r1:
            return self._all_padding(count, out_size)
        if side * side <= BANDED_WINDOW_LIMIT * (c1 - c0) * (r1 - r0):
            crops = self._banded_resize(frame, side, bands, x0, y0, (c0, c1, r0, r1))
        else:
            region = frame[r0:r1, c0:c1].float() - self._mean  # (h, w, 3)
            h, w = region.shape[:2]
            # columns, then rows; the result's memory is (S, row, col, channel): channels-last
            cols = torch.matmul(dense[:, :, c0 - x0:c1 - x0], region.transpose(0, 1).reshape(w, h * 3))
            cols = cols.view(count, out_size, h, 3).transpose(1, 2).reshape(count, h, out_size * 3)
            crops = torch.matmul(dense[:, :, r0 - y0:r1 - y0], cols).view(count, out_size, out_size, 3) + self._mean
        return crops.permute(0, 3, 1, 2).to(self.dtype, memory_format=self.memory_format)

    def _banded_resize(self, frame: torch.Tensor, side: int, bands: tuple, x0: int, y0: int,
                       inside: tuple[int, int, int, int]) -> torch.Tensor:
        """:meth:`_siamfc_crops` for a window mostly inside the frame: (S, n, n, 3) float32."""
        dense, weights, columns, per_scale = bands
        count, out_size = dense.shape[:2]
        c0, c1, r0, r1 = inside
        # (row, col * 3 + channel), 0 being the mean colour; rows of side * 3 values, because
        # arithmetic over a last axis of 3 does not vectorise
        window = torch.zeros(side, side * 3, device=self.device)
        part = window[r0 - y0:r1 - y0, 3 * (c0 - x0):3 * (c1 - x0)]
        part.copy_(frame[r0:r1, c0:c1].reshape(r1 - r0, 3 * (c1 - c0))).sub_(self._mean.repeat(c1 - c0))
        blocks, block, span = weights.shape
        # columns: (col, row * 3) gathered per block -> (S, n, side, 3) as (scale, out col, row, channel)
        by_column = window.view(side, side, 3).transpose(0, 1).reshape(side, side * 3)
        cols = torch.bmm(weights, by_column.index_select(0, columns).view(blocks, span, side * 3))
        cols = cols.view(count, -1, side, 3)[:, :out_size]
        # rows: (scale * side + row, out col * 3) -> (S, n, n * 3): memory (scale, row, col, channel)
        by_row = cols.transpose(1, 2).reshape(count * side, out_size * 3)
        crops = torch.bmm(weights, by_row.index_select(0, per_scale).view(blocks, span, out_size * 3))
        crops = crops.view(count, -1, out_size * 3)[:, :out_size]
        # the colour back, as one row of n * 3 values
        mean_row = self._mean.repeat(out_size)
        crops = crops.add_(mean_row) if crops.is_contiguous() else crops + mean_row
        return crops.view(count, out_size, out_size, 3)

    def search_crops(self, image: np.ndarray) -> torch.Tensor:
        """The scale pyramid of search crops around the current state: (S, 3, 255, 255) on the device."""
        frame = self._upload(image)
        if self.hyper.crop == "siamfc":
            sides = siamfc.pyramid_sides(self.search_side, self.scale_factors)
            bands = self._resize_bands(("pyramid", sides), lambda: siamfc.pyramid_matrices(sides, INSTANCE_SIZE))
            return self._siamfc_crops(frame, sides[-1], bands)
        return self._crops(frame, *self.centre, [self.search_side * q for q in self.scale_factors], INSTANCE_SIZE)

    # ------------------------------------------------------------------ tracking

    def initial_box(self, region) -> tuple[float, float, float, float]:
        """(cx, cy, w, h) from ``init``'s region: a box [x, y, w, h] or, when the tracker takes
        polygons, a VOT polygon [x1, y1, ..., xn, yn] (``polygon_box`` decides the box)."""
        values = np.asarray(region, dtype=np.float64).reshape(-1)
        if values.size == 4:
            x, y, w, h = values
            return x + w / 2.0, y + h / 2.0, w, h
        if values.size < 6 or values.size % 2:
            raise TrackerError(f"RASNet needs a box [x, y, w, h] or a polygon, got {list(values)}")
        polygon = Regions.polygons(values[None])
        if self.hyper.polygon_box == "siamfc":
            return tuple(area_preserving_boxes(polygon, "centre")[0])
        x, y, w, h = bounding_boxes(polygon)[0]
        return x + w / 2.0, y + h / 2.0, w, h

    @torch.inference_mode()
    def init(self, image: np.ndarray, box) -> None:
        cx, cy, w, h = (float(v) for v in self.initial_box(box))
        if not (w > 0 and h > 0 and all(math.isfinite(v) for v in (cx, cy, w, h))):
            raise TrackerError(f"RASNet needs a box with positive size, got {list(np.ravel(box))}")
        self.centre = [cx, cy]
        self.initial_size = (w, h)
        self.target_size = [w, h]
        self.scale = 1.0
        context = self.hyper.context * (w + h)
        exemplar_side = math.sqrt((w + context) * (h + context))
        self.initial_search_side = self.search_side = exemplar_side * INSTANCE_SIZE / EXEMPLAR_SIZE
        frame = self._upload(image)
        self.image_size = (frame.shape[1], frame.shape[0])
        # padding colour (3,): the first frame's, kept all along
        self._mean = frame.permute(2, 0, 1).unsqueeze(0).float().mean((2, 3), keepdim=True).view(3)
        if self.hyper.crop == "siamfc":
            side = max(siamfc.matlab_round(exemplar_side), 1)  # a box of a fraction of a pixel: one pixel
            bands = self._resize_bands(("exemplar", side), lambda: siamfc.imresize_matrix(side, EXEMPLAR_SIZE)[None])
            exemplar = self._siamfc_crops(frame, side, bands)
        else:
            exemplar = self._crops(frame, cx, cy, [exemplar_side], EXEMPLAR_SIZE)
        # The head's gain and bias are folded into the kernel and the convolution (one op per frame).
        model = self.model
        self.kernel = model.attend(model.backbone(exemplar)).float() * self._head_gain
        # Scale limits: [min_scale, max_scale], never shrinking below min_size px (unless the
        # first box already was smaller) nor growing past the image (update=rasbench).
        smallest = min(w, h)
        self._scale_range = (
            max(self.hyper.min_scale, min(1.0, self.hyper.min_size / smallest)),
            max(self.hyper.min_scale, min(self.hyper.max_scale, self.image_size[0] / w, self.image_size[1] / h)),
        )

    @torch.inference_mode()
    def update(self, image: np.ndarray) -> dict:
        """The box for the next frame: ``{"box": [x, y, w, h], "confidence": peak logit}``."""
        return self._track(image, None)

    def update_profiled(self, image: np.ndarray, timer: Callable[[], float] = time.perf_counter
                        ) -> tuple[dict, dict[str, float]]:
        """:meth:`update` plus seconds per stage (crop, backbone, head, post) by ``timer``
        (wall time; ``time.process_time`` for CPU time). Synchronises the device after
        every stage, so it is slower than :meth:`update` on a GPU."""
        clock = _StageClock(self.device, timer)
        with torch.inference_mode():
            result = self._track(image, clock)
        return result, clock.times

    def _track(self, image: np.ndarray, clock: _StageClock | None) -> dict:
        with self._one_thread():
            crops = self.search_crops(image)
        if clock:
            clock.mark("crop")
        features = self.model.backbone(crops)
        if clock:
            clock.mark("backbone")
        with self._one_thread():
            responses = self.respond(features)
            if clock:
                clock.mark("head")
            scale_index, peak_index, score = self.locate_peak(responses)
            box = self._move(scale_index, peak_index)
        if clock:
            clock.mark("post")
        return {"box": box, "confidence": score}

    @contextmanager
    def _one_thread(self):
        """On a CPU device, the small operations around the backbone run on one thread; the
        previous thread count is restored after. Split over threads they gain nothing, and on
        a busy machine every parallel region waits for a descheduled thread: crops, head and
        post-processing took 150 ms of wall time for 17 ms of CPU on two shared cores."""
        threads = torch.get_num_threads()
        if self.device.type != "cpu" or threads == 1:
            yield
            return
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)

    def respond(self, features: torch.Tensor) -> torch.Tensor:
        """Correlation head: search features (S, 256, 22, 22) -> logits (S, 1, 17, 17), float32.

        It runs in float32 even with ``half``: each logit sums 9,216 products, which can leave
        float16's range (65,504). The cross-correlation is one matrix product, every search
        position's channels against every kernel position's (S, 22, 22, 36), then each logit
        sums its 36 shifted entries: 5x faster on a CPU than a one-output convolution, the
        same sums in another order (logits within 1e-5 of each other, relative).
        """
        features = features.float()
        count, _, height, width = features.shape
        side = self.kernel.shape[-1]
        # (C, k*k): the kernel's channels against its positions
        products = torch.matmul(features.permute(0, 2, 3, 1), self.kernel[0].flatten(1)).contiguous()  # (S,H,W,k*k)
        positions = side * side
        # logit (s, i, j) sums products[s, i + u, j + v, u * side + v] over the kernel's (u, v)
        shifted = products.as_strided(
            (count, height - side + 1, width - side + 1, side, side),
            (height * width * positions, width * positions, positions, width * positions + side, positions + 1))
        return (shifted.sum((3, 4)) + self._head_bias).unsqueeze(1)

    def locate_peak(self, responses: torch.Tensor) -> tuple[int, int, float]:
        """(best scale index, flat argmax of its windowed upsampled map, that scale's penalised peak logit).

        ``responses``: (S, 1, 17, 17) logits, one per scale. The flat index is row-major, or
        column-major with ``update=siamfc`` (MATLAB's ``find``: the first maximum by column).
        Everything stays on the device until the one ``tolist()`` at the end.
        """
        hp = self.hyper
        if hp.upsample == "siamfc":
            upsampled = torch.matmul(torch.matmul(self._upsample, responses[:, 0].float()), self._upsample.T)
        else:
            upsampled = F.interpolate(responses.float(), size=(self.upscale_size, self.upscale_size),
                                      mode="bicubic", align_corners=False)[:, 0]
        upsampled = upsampled * self._penalties
        peaks = upsampled.flatten(1).amax(1)
        best = peaks.argmax()
        response = upsampled.index_select(0, best.view(1))[0]
        response = response - response.min()
        response = response / (response.sum() + 1e-16)
        response = (1.0 - hp.window_influence) * response + hp.window_influence * self._window
        if hp.update == "siamfc":
            response = response.T
        peak = response.flatten().argmax()
        scale_index, peak_index, score = torch.stack([best.float(), peak.float(), peaks.max()]).tolist()
        return int(scale_index), int(peak_index), score

    def _move(self, scale_index: int, peak_index: int) -> np.ndarray:
        """Apply a located peak to the state (spec 3.2 steps 6-10); returns [x, y, w, h]."""
        hp = self.hyper
        q = self.scale_factors[scale_index]
        stride = TOTAL_STRIDE / hp.response_up  # upsampled pixels -> crop pixels
        if hp.update == "siamfc":
            # tracker_eval.m: from ceil(n/2) (1-based), in units of the rounded current search side
            col, row = divmod(peak_index, self.upscale_size)
            offset = siamfc.peak_offset(self.upscale_size)
            to_frame = stride * siamfc.matlab_round(self.search_side) / INSTANCE_SIZE
            self.centre = [self.centre[0] + (col - offset) * to_frame, self.centre[1] + (row - offset) * to_frame]
            # tracker.m: only the search side is clamped, the size follows the damped scale freely
            low, high = hp.min_scale * self.initial_search_side, hp.max_scale * self.initial_search_side
            self.search_side = min(max((1.0 - hp.scale_lr) * self.search_side + hp.scale_lr * self.search_side * q,
                                       low), high)
            self.target_size = [(1.0 - hp.scale_lr) * v + hp.scale_lr * (v * q) for v in self.target_size]
        else:
            row, col = divmod(peak_index, self.upscale_size)
            offset = (self.upscale_size - 1) / 2.0  # upsampled pixel that lines up with the crop centre
            # upsampled pixels -> crop pixels -> frame pixels, at the winning scale
            to_frame = stride * self.search_side * q / INSTANCE_SIZE
            width, height = self.image_size
            self.centre = [min(max(self.centre[0] + (col - offset) * to_frame, 0.0), float(width)),
                           min(max(self.centre[1] + (row - offset) * to_frame, 0.0), float(height))]
            low, high = self._scale_range
            self.scale = min(max(self.scale * ((1.0 - hp.scale_lr) + hp.scale_lr * q), low), high)
            self.search_side = self.initial_search_side * self.scale
            self.target_size = [self.initial_size[0] * self.scale, self.initial_size[1] * self.scale]
        w, h = self.target_size
        return np.array([self.centre[0] - w / 2.0, self.centre[1] - h / 2.0, w, h])


# ----------------------------------------------------------------------------- registered names

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
