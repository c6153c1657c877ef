"""The RASNet tracker behind the rasbench contract (spec section 3).

Coordinates. The toolkit hands over ``[x, y, w, h]`` in 0-based pixel coordinates where
pixel (col k, row l) covers [k, k+1) x [l, l+1). The tracker keeps the continuous centre
``(cx, cy) = (x + w/2, y + h/2)`` and returns ``[cx - w/2, cy - h/2, w, h]``, so an
unchanged state round-trips exactly. Crops use the same convention: a square of side
``s`` centred on (cx, cy) resized to ``n`` pixels puts crop pixel i's centre at
``cx - s/2 + (i + 0.5) * s/n``. That is ``grid_sample`` with ``align_corners=False``,
whose normalised coordinate u maps to ``(u + 1)/2 * W`` in exactly these continuous
coordinates. Crops are sub-pixel exact (no rounding of the crop window to whole pixels,
unlike SiamFC's MATLAB and PyTorch code), bilinear like cv2's default resize, and padded
with the first frame's mean colour.

Per frame: one upload of the frame, one batched affine crop for all scales, one backbone
pass on the (S, 3, 255, 255) batch, one convolution with the kernel K = rho * beta * phi(z)
that :meth:`RASNetTracker.init` computed once (attentions never run again), bicubic x16
upsampling, scale penalty, cosine window, argmax, and a single device-to-host copy of
(scale index, peak index, peak score) from which the box is updated on the host.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from rasbench.errors import TrackerError

from .model import EXEMPLAR_SIZE, INSTANCE_SIZE, TOTAL_STRIDE, RASNet, build_model
from .weights import file_sha256, load_checkpoint

#: Where trained weights will be bundled (the training issue); absent until then.
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "rasnet_synth.pt"


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
    min_size: float = 10.0          # smallest w / h reported, unless the first box was smaller

    def check(self) -> "Hyper":
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
        if problems:
            raise TrackerError("bad RASNet hyper-parameters: " + "; ".join(problems))
        return self


def make_hyper(overrides: dict | None = None) -> Hyper:
    """The defaults with ``overrides`` by name; unknown names are an error listing the valid ones."""
    overrides = dict(overrides or {})
    types = {f.name: f.type for f in fields(Hyper)}
    unknown = sorted(set(overrides) - set(types))
    if unknown:
        raise TrackerError(f"unknown RASNet parameter(s) {', '.join(unknown)}. Valid: weights, variant, device, "
                           f"half, random_init, seed, and the hyper-parameters {', '.join(types)}")
    values = {}
    for key, value in overrides.items():
        cast = int if types[key] in ("int", int) else float
        try:
            if isinstance(value, bool) or float(value) != float(value) or (cast is int and float(value) != int(value)):
                raise ValueError
            values[key] = cast(value)
        except (TypeError, ValueError):
            raise TrackerError(f"RASNet parameter {key} must be a{'n integer' if cast is int else ' number'}, "
                               f"got {value!r}") from None
    return replace(Hyper(), **values).check()


def resolve_device(spec: str | torch.device) -> torch.device:
    """``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda`` or ``cuda:N``."""
    text = str(spec).strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(text)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda"):
        raise TrackerError(f"device must be auto, cpu, cuda or cuda:N, got {spec!r}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TrackerError(f"device {spec!r} asked for, but this PyTorch sees no CUDA GPU; use device=cpu")
        if (device.index or 0) >= torch.cuda.device_count():
            raise TrackerError(f"device {spec!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    return device


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
    """Per-stage wall time for profiling; synchronises the device before each reading."""

    def __init__(self, device: torch.device) -> None:
        self.sync: Callable[[], None] = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (
            lambda: None)
        self.times: dict[str, float] = {}
        self.sync()
        self._last = time.perf_counter()

    def mark(self, stage: str) -> None:
        self.sync()
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + now - self._last
        self._last = now


class RASNetTracker:
    """RASNet (or one of its ablations) as a rasbench tracker.

    Parameters (from ``rasbench run ... -p key=value`` or Python):

    * ``weights``: checkpoint path (see :mod:`.weights`); the variant comes from the file.
      Default: the bundled ``weights/rasnet_synth.pt`` when it exists, else an error
      explaining how to get weights.
    * ``variant``: must agree with the checkpoint's when both are given; with
      ``random_init`` it picks the architecture (default ``rasnet``).
    * ``device``: ``auto`` | ``cpu`` | ``cuda`` | ``cuda:N``. ``half``: float16 network on CUDA.
    * ``random_init``: build an untrained, seeded network (``seed``). For tests and speed
      measurements only; its boxes mean nothing.
    * any :class:`Hyper` field (``scale_step=1.0375`` ...).
    """

    name = "rasnet"
    deterministic = True

    def __init__(self, weights: str | None = None, variant: str | None = None, device: str = "auto",
                 half: bool = False, random_init: bool = False, seed: int = 0, **hyper) -> None:
        self.hyper = make_hyper(hyper)
        self.device = resolve_device(device)
        if half and self.device.type != "cuda":
            raise TrackerError("half precision needs a CUDA device (device=cuda)")
        self.half = bool(half)
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
            model, _ = load_checkpoint(path, variant)
            self.weights_path, self.weights_sha256 = path.resolve(), file_sha256(path)
        self.dtype = torch.float16 if self.half else torch.float32
        self.model: RASNet = model.to(self.device, self.dtype).eval()
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

    def describe(self) -> dict:
        """What the run manifest records about this tracker."""
        return {
            "variant": self.model.variant,
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
        """RGB uint8 (H, W, 3) -> uint8 (1, 3, H, W) view on the device (one host-to-device copy)."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise TrackerError(f"RASNet expects RGB uint8 images (H, W, 3), got {image.dtype} {image.shape}")
        if not image.flags.writeable:  # torch.from_numpy warns on read-only arrays
            image = image.copy()
        return torch.from_numpy(image).to(self.device, non_blocking=True).permute(2, 0, 1).unsqueeze(0)

    def _crops(self, frame: torch.Tensor, cx: float, cy: float, sides: list[float], out_size: int) -> torch.Tensor:
        """Square crops of the given sides centred on (cx, cy), resized to ``out_size``: (S, 3, n, n).

        Only the region the largest crop touches is converted to float, so the cost does not
        grow with the frame size. It is shifted by the padding colour, so zero padding
        outside the image becomes mean-colour padding once the colour is added back.
        """
        height, width = frame.shape[-2:]
        reach = max(sides) / 2.0 + 1.0  # bilinear taps reach one pixel beyond the outermost sample
        x0, x1 = max(math.floor(cx - reach), 0), min(math.ceil(cx + reach) + 1, width)
        y0, y1 = max(math.floor(cy - reach), 0), min(math.ceil(cy + reach) + 1, height)
        if x0 >= x1 or y0 >= y1:  # entirely outside the image: all padding
            return self._mean.to(self.dtype).expand(len(sides), 3, out_size, out_size).contiguous()
        region = frame[..., y0:y1, x0:x1].float() - self._mean
        # grid_sample's normalised coordinate u (align_corners=False) is (u + 1)/2 * size in the
        # region's continuous pixel coordinates; crop pixel i samples u = a * base[i] + b with
        # base[i] = (2i + 1)/n - 1. The grid is axis-aligned, so it is built from two vectors
        # (affine_grid's general matrix product costs more than the sampling on a CPU).
        rw, rh = x1 - x0, y1 - y0
        coeffs = torch.tensor([[side / rw, 2.0 * (cx - x0) / rw - 1.0, side / rh, 2.0 * (cy - y0) / rh - 1.0]
                               for side in sides], dtype=torch.float32).to(self.device, non_blocking=True)
        base = (torch.arange(out_size, dtype=torch.float32, device=self.device) * 2.0 + 1.0) / out_size - 1.0
        grid_x = (coeffs[:, 0:1] * base + coeffs[:, 1:2]).unsqueeze(1).expand(-1, out_size, -1)
        grid_y = (coeffs[:, 2:3] * base + coeffs[:, 3:4]).unsqueeze(2).expand(-1, -1, out_size)
        grid = torch.stack([grid_x, grid_y], dim=-1)  # (S, n, n, 2) as (x, y)
        crops = F.grid_sample(region.expand(len(sides), -1, -1, -1), grid, mode="bilinear",
                              padding_mode="zeros", align_corners=False)
        return (crops + self._mean).to(self.dtype)

    def search_crops(self, image: np.ndarray) -> torch.Tensor:
        """The scale pyramid of search crops around the current state: (S, 3, 255, 255) on the device."""
        search_side = self.initial_search_side * self.scale
        return self._crops(self._upload(image), *self.centre, [search_side * q for q in self.scale_factors],
                           INSTANCE_SIZE)

    # ------------------------------------------------------------------ tracking

    @torch.inference_mode()
    def init(self, image: np.ndarray, box) -> None:
        x, y, w, h = (float(v) for v in box)
        if not (w > 0 and h > 0 and all(math.isfinite(v) for v in (x, y, w, h))):
            raise TrackerError(f"RASNet needs a box with positive size, got {list(box)}")
        self.centre = [x + w / 2.0, y + h / 2.0]
        self.initial_size = (w, h)
        self.scale = 1.0
        context = self.hyper.context * (w + h)
        exemplar_side = math.sqrt((w + context) * (h + context))
        self.initial_search_side = exemplar_side * INSTANCE_SIZE / EXEMPLAR_SIZE
        frame = self._upload(image)
        self.image_size = (frame.shape[-1], frame.shape[-2])
        self._mean = frame.float().mean((2, 3), keepdim=True)  # padding colour: the first frame's, kept all along
        exemplar = self._crops(frame, *self.centre, [exemplar_side], EXEMPLAR_SIZE)
        self.kernel = self.model.attend(self.model.backbone(exemplar)).float()
        # Scale limits: [min_scale, max_scale], never shrinking below min_size px (unless the
        # first box already was smaller) nor growing past the image.
        smallest = min(w, h)
        self._scale_range = (
            max(self.hyper.min_scale, min(1.0, self.hyper.min_size / smallest)),
            max(self.hyper.min_scale, min(self.hyper.max_scale, self.image_size[0] / w, self.image_size[1] / h)),
        )

    @torch.inference_mode()
    def update(self, image: np.ndarray) -> dict:
        """The box for the next frame: ``{"box": [x, y, w, h], "confidence": peak logit}``."""
        return self._track(image, None)

    def update_profiled(self, image: np.ndarray) -> tuple[dict, dict[str, float]]:
        """:meth:`update` plus seconds per stage (crop, backbone, head, post). Synchronises
        the device after every stage, so it is slower than :meth:`update` on a GPU."""
        clock = _StageClock(self.device)
        with torch.inference_mode():
            result = self._track(image, clock)
        return result, clock.times

    def _track(self, image: np.ndarray, clock: _StageClock | None) -> dict:
        search_side = self.initial_search_side * self.scale
        crops = self.search_crops(image)
        if clock:
            clock.mark("crop")
        features = self.model.backbone(crops)
        if clock:
            clock.mark("backbone")
        responses = self.respond(features)
        if clock:
            clock.mark("head")
        scale_index, peak_index, score = self.locate_peak(responses)
        box = self._move(scale_index, peak_index, search_side)
        if clock:
            clock.mark("post")
        return {"box": box, "confidence": score}

    def respond(self, features: torch.Tensor) -> torch.Tensor:
        """Correlation head: search features (S, 256, 22, 22) -> logits (S, 1, 17, 17), float32.

        It runs in float32 even with ``half``: each logit sums 9,216 products before the 1e-3
        gain, which can leave float16's range (65,504).
        """
        return self.model.xcorr(self.kernel, features.float())

    def locate_peak(self, responses: torch.Tensor) -> tuple[int, int, float]:
        """(best scale index, flat argmax of its windowed upsampled map, that scale's penalised peak logit).

        ``responses``: (S, 1, 17, 17) logits, one per scale. Everything stays on the device
        until the one ``tolist()`` at the end.
        """
        hp = self.hyper
        upsampled = F.interpolate(responses.float(), size=(self.upscale_size, self.upscale_size),
                                  mode="bicubic", align_corners=False)[:, 0]
        upsampled = upsampled * self._penalties
        peaks = upsampled.flatten(1).amax(1)
        best = peaks.argmax()
        response = upsampled.index_select(0, best.view(1))[0]
        response = response - response.min()
        response = response / (response.sum() + 1e-16)
        response = (1.0 - hp.window_influence) * response + hp.window_influence * self._window
        peak = response.flatten().argmax()
        scale_index, peak_index, score = torch.stack([best.float(), peak.float(), peaks.max()]).tolist()
        return int(scale_index), int(peak_index), score

    def _move(self, scale_index: int, peak_index: int, search_side: float) -> np.ndarray:
        """Apply a located peak to the state (spec 3.2 steps 6-10); returns [x, y, w, h]."""
        hp = self.hyper
        row, col = divmod(peak_index, self.upscale_size)
        centre_offset = (self.upscale_size - 1) / 2.0  # upsampled pixel that lines up with the crop centre
        q = self.scale_factors[scale_index]
        # upsampled pixels -> response cells (/ response_up) -> crop pixels (* stride) -> frame pixels
        to_frame = TOTAL_STRIDE / hp.response_up * search_side * q / INSTANCE_SIZE
        width, height = self.image_size
        self.centre = [min(max(self.centre[0] + (col - centre_offset) * to_frame, 0.0), float(width)),
                       min(max(self.centre[1] + (row - centre_offset) * to_frame, 0.0), float(height))]
        low, high = self._scale_range
        self.scale = min(max(self.scale * ((1.0 - hp.scale_lr) + hp.scale_lr * q), low), high)
        w, h = self.initial_size[0] * self.scale, self.initial_size[1] * self.scale
        return np.array([self.centre[0] - w / 2.0, self.centre[1] - h / 2.0, w, h])
