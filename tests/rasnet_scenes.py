"""Synthetic frames for the RASNet tests: a textured target on a flat grey background."""
import numpy as np


def symmetric_texture(seed: int = 0) -> np.ndarray:
    """A 40x48 texture equal to itself rotated by 180 degrees."""
    quarter = np.random.default_rng(seed).integers(0, 256, (5, 6, 3)).astype(np.uint8).repeat(4, 0).repeat(4, 1)
    half = np.concatenate([quarter, quarter[:, ::-1]], 1)
    return np.concatenate([half, half[::-1]], 0)


def scene(texture: np.ndarray, x0: int, y0: int, size=(320, 240)) -> np.ndarray:
    """``texture`` pasted at (x0, y0) on a flat grey frame."""
    image = np.full((size[1], size[0], 3), 90, np.uint8)
    image[y0:y0 + texture.shape[0], x0:x0 + texture.shape[1]] = texture
    return image


def textured_clip(count: int = 8) -> tuple[list[np.ndarray], list[float]]:
    """``count`` 320x240 frames of a textured target moving (4, 3) px per frame over a textured
    background, and the first box."""
    rng = np.random.default_rng(6)
    background = rng.integers(0, 256, (30, 40, 3)).astype(np.uint8).repeat(8, 0).repeat(8, 1)
    texture = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8).repeat(6, 0).repeat(6, 1)
    frames = []
    for k in range(count):
        frame = background.copy()
        frame[80 + 3 * k:116 + 3 * k, 100 + 4 * k:148 + 4 * k] = texture
        frames.append(frame)
    return frames, [100.0, 80.0, 48.0, 36.0]
