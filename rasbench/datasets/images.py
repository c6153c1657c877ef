"""Frame decoding: every frame reaches a tracker as an RGB uint8 (H, W, 3) array."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
_NUMBER = re.compile(r"(\d+)$")


def read_rgb(path: Path) -> np.ndarray:
    import cv2

    data = np.fromfile(str(path), dtype=np.uint8) if Path(path).is_file() else None
    if data is None:
        raise DatasetError("image file is missing", path)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetError("image cannot be decoded (corrupt or not an image)", path)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image."""
    image = read_rgb(path)
    return image.shape[1], image.shape[0]


def numbered_images(folder: Path) -> dict[int, Path]:
    """Map frame number -> image file for files named by number (0001.jpg, 00000001.png).

    One directory listing instead of a stat per frame; tolerates 4/5/8-digit names and
    jpg/png mirrors.
    """
    frames: dict[int, Path] = {}
    try:
        entries = list(Path(folder).iterdir())
    except FileNotFoundError:
        return frames
    for entry in entries:
        if entry.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        match = _NUMBER.search(entry.stem)
        if match:
            frames.setdefault(int(match.group(1)), entry)
    return frames
