"""The plain PyTorch SiamFC loop a user would write, as the yardstick for ``siamfc-3s``'s speed.

It follows the structure of the common PyTorch ports (huanglianghua/siamfc-pytorch): OpenCV
crops (``copyMakeBorder`` with the mean colour, then ``cv2.resize``), the backbone as loaded
on the three-scale batch, whose HWC crops permuted to NCHW are
channels-last in memory, so PyTorch runs the convolutions channels-last without being
asked, the cross-correlation as ``F.conv2d`` with the
head's gain and bias after it, the responses upsampled with ``cv2.resize(INTER_CUBIC)`` on the
host, penalty, cosine window and argmax in numpy. Same network and hyper-parameters as
``siamfc-3s``; its boxes differ slightly (bilinear crops, OpenCV's cubic kernel). Used by
``benchmarks/siamfc_speed.py``; not a rasbench tracker. ``dtype=torch.bfloat16`` is the same
loop with the backbone cast to bfloat16 the plainest way (``backbone.to(dtype)``, crops cast
before it, features back to float32 for the head): what a user on a CPU with bfloat16
instructions would try next.
"""
from __future__ import annotations

import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F


def crop_and_resize(image: np.ndarray, centre: np.ndarray, side: float, out_size: int,
                    fill: np.ndarray) -> np.ndarray:
    """The square of ``round(side)`` pixels around ``centre`` (y, x), padded with ``fill``, resized."""
    side = int(round(side))
    top_left = np.round(centre - (side - 1) / 2).astype(int)
    bottom_right = top_left + side
    pads = np.concatenate([-top_left, bottom_right - image.shape[:2]])
    pad = max(int(pads.max()), 0)
    if pad:
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=fill.tolist())
    y0, x0 = top_left + pad
    patch = image[y0:y0 + side, x0:x0 + side]
    return cv2.resize(patch, (out_size, out_size))


class ReferenceSiamFC:
    """``init(image, box)`` / ``update(image) -> box`` with boxes [x, y, w, h], like a rasbench tracker."""

    def __init__(self, backbone: torch.nn.Module, out_scale: float, bias: float, scale_step: float = 1.0375,
                 scale_penalty: float = 0.9745, scale_lr: float = 0.59, window_influence: float = 0.176,
                 response_up: int = 16, dtype: torch.dtype = torch.float32) -> None:
        self.backbone = backbone.eval().to(dtype)
        self.dtype = dtype
        self.out_scale, self.bias = out_scale, bias
        self.scale_penalty, self.scale_lr, self.window_influence = scale_penalty, scale_lr, window_influence
        self.up = 17 * response_up
        self.scale_factors = scale_step ** np.array([-1.0, 0.0, 1.0])
        hann = np.hanning(self.up)
        self.window = np.outer(hann, hann) / np.outer(hann, hann).sum()

    @torch.inference_mode()
    def init(self, image: np.ndarray, box) -> None:
        x, y, w, h = box
        self.centre = np.array([y + h / 2, x + w / 2])
        self.target = np.array([h, w], dtype=np.float64)
        context = 0.5 * (w + h)
        self.z_side = np.sqrt((w + context) * (h + context))
        self.x_side = self.z_side * 255 / 127
        self.fill = image.mean(axis=(0, 1))
        z = crop_and_resize(image, self.centre, self.z_side, 127, self.fill)
        self.kernel = self.backbone(torch.from_numpy(z).permute(2, 0, 1)[None].to(self.dtype)).float()

    @torch.inference_mode()
    def update(self, image: np.ndarray) -> np.ndarray:
        return self._track(image, lambda stage: None)

    def update_profiled(self, image: np.ndarray, timer=time.perf_counter) -> tuple[np.ndarray, dict[str, float]]:
        """:meth:`update` plus seconds per stage (crop, backbone, head, post), like the rasbench tracker's."""
        times, last = {}, [timer()]

        def mark(stage: str) -> None:
            now = timer()
            times[stage], last[0] = now - last[0], now

        with torch.inference_mode():
            box = self._track(image, mark)
        return box, times

    def _track(self, image: np.ndarray, mark) -> np.ndarray:
        crops = np.stack([crop_and_resize(image, self.centre, self.x_side * f, 255, self.fill)
                          for f in self.scale_factors])
        mark("crop")
        features = self.backbone(torch.from_numpy(crops).permute(0, 3, 1, 2).to(self.dtype)).float()
        mark("backbone")
        responses = (F.conv2d(features, self.kernel) * self.out_scale + self.bias)[:, 0].numpy()
        mark("head")
        responses = np.stack([cv2.resize(r, (self.up, self.up), interpolation=cv2.INTER_CUBIC) for r in responses])
        responses[[0, 2]] *= self.scale_penalty
        best = int(np.argmax(responses.reshape(3, -1).max(axis=1)))
        response = responses[best] - responses[best].min()
        response /= response.sum() + 1e-16
        response = (1 - self.window_influence) * response + self.window_influence * self.window
        peak = np.array(np.unravel_index(response.argmax(), response.shape), dtype=np.float64)
        displacement = (peak - (self.up - 1) / 2) * 8 / (self.up / 17) * self.x_side * self.scale_factors[best] / 255
        self.centre += displacement
        factor = (1 - self.scale_lr) + self.scale_lr * self.scale_factors[best]
        self.target *= factor
        self.z_side *= factor
        self.x_side *= factor
        mark("post")
        return np.array([self.centre[1] - self.target[1] / 2, self.centre[0] - self.target[0] / 2,
                         self.target[1], self.target[0]])
