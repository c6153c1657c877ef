"""RASNet on a CUDA GPU (every test skips without one)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from rasnet_scenes import scene, symmetric_texture, textured_clip

from rasbench_trackers.rasnet import RASNetTracker

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.cuda
@needs_cuda
def test_cuda_tracks_like_the_cpu():
    image = scene(symmetric_texture(), 136, 100)
    moved = scene(symmetric_texture(), 141, 97)
    boxes = []
    for device in ("cpu", "cuda"):
        tracker = RASNetTracker(random_init=True, device=device, seed=2)
        tracker.init(image, [136, 100, 48, 40])
        boxes.append(tracker.update(moved)["box"])
    np.testing.assert_allclose(boxes[0], boxes[1], atol=1.0)  # cuDNN may use TF32


@pytest.mark.cuda
@needs_cuda
def test_cuda_crops_match_cpu_crops():
    image = np.random.default_rng(0).integers(0, 256, (240, 320, 3)).astype(np.uint8)
    crops = []
    for device in ("cpu", "cuda"):
        tracker = RASNetTracker(random_init=True, device=device)
        tracker.init(image, [250, 10, 40, 30])  # near the border: padding on the device too
        with torch.inference_mode():
            crops.append(tracker.search_crops(image).cpu())
    torch.testing.assert_close(crops[0], crops[1], atol=1e-2, rtol=0)


@pytest.mark.cuda
@needs_cuda
def test_cuda_update_synchronises_once():
    image = scene(symmetric_texture(), 136, 100)
    tracker = RASNetTracker(random_init=True, device="cuda")
    tracker.init(image, [136, 100, 48, 40])
    tracker.update(image)  # warm-up (cuDNN set-up)
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tracker.update(image)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [str(w.message) for w in caught if "synchroniz" in str(w.message)]
    assert len(syncs) == 1, syncs  # the one copy of (scale, peak, score) to the host


@pytest.mark.cuda
@needs_cuda
def test_cuda_half_precision_runs():
    image = scene(symmetric_texture(), 136, 100)
    tracker = RASNetTracker(random_init=True, device="cuda", half=True, window_influence=0.0)
    assert tracker.model.backbone.conv1[0].weight.dtype == torch.float16
    tracker.init(image, [136, 100, 48, 40])
    result = tracker.update(scene(symmetric_texture(), 141, 97))
    assert math.isfinite(result["confidence"])  # the head runs in float32: no float16 overflow
    np.testing.assert_allclose(result["box"], [141, 97, 48, 40], atol=1.5)
    assert tracker.describe()["half"] is True


@pytest.mark.cuda
@needs_cuda
def test_cuda_siamfc_3s_tracks_like_the_cpu_in_one_sync_per_frame():
    frames, first = textured_clip()
    boxes = {}
    for device in ("cpu", "cuda"):
        tracker = RASNetTracker(random_init=True, variant="siamfc", preset="siamfc-3s", device=device, seed=3)
        tracker.init(frames[0], first)
        boxes[device] = np.array([tracker.update(frame)["box"] for frame in frames[1:4]])
    np.testing.assert_allclose(boxes["cpu"], boxes["cuda"], atol=1.0)  # cuDNN may use TF32
    tracker.update(frames[4])  # same search side as the frame before: no new crop matrices
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tracker.update(frames[4])
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [str(w.message) for w in caught if "synchroniz" in str(w.message)]
    assert len(syncs) <= 1, syncs
