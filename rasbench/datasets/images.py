"""Frame decoding: every frame reaches a tracker as an RGB uint8 (H, W, 3) array."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .textio import read_bytes

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
_NUMBER = re.compile(r"(\d+)$")
_EXIF_ORIENTATION = 0x0112


def read_bgr(path: Path) -> np.ndarray:
    """The image at ``path`` as OpenCV decodes it: BGR uint8 (H, W, 3); a :class:`DatasetError`
    for a file that is missing, not a regular file, empty or not decodable."""
    import cv2

    data = np.frombuffer(read_bytes(path, "image"), dtype=np.uint8)
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    except cv2.error:  # OpenCV raises for some malformed buffers instead of returning None
        image = None
    if image is None:
        raise DatasetError("image cannot be decoded (corrupt, empty or not an image)", path)
    return image


def read_rgb(path: Path) -> np.ndarray:
    """The image at ``path`` as RGB uint8 (H, W, 3); errors as :func:`read_bgr`."""
    import cv2

    return cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2RGB)


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image as :func:`read_rgb` decodes it, from its header alone
    (EXIF orientations that swap the axes are applied, as OpenCV's decoder does)."""
    import io

    from PIL import Image

    data = read_bytes(path, "image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            rotated = image.getexif().get(_EXIF_ORIENTATION) in (5, 6, 7, 8)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read image header: {exc}", path) from None
    return (height, width) if rotated else (width, height)


def numbered_images(folder: Path) -> dict[int, Path]:
    """Map frame number -> image file for files named by number (0001.jpg, 00000001.png).

    One directory listing instead of a stat per frame; 4/5/8-digit names and jpg/png
    mirrors alike. Two files for one frame (``0060.jpg`` and ``0060.png``, or
    ``0060.jpg`` and ``00060.jpg``) are a :class:`DatasetError` naming both: which one
    a toolkit reads would depend on the directory order.
    """
    frames: dict[int, Path] = {}
    try:
        entries = sorted(Path(folder).iterdir())
    except FileNotFoundError:
        return frames
    for entry in entries:
        if entry.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        match = _NUMBER.search(entry.stem)
        if match:
            number = int(match.group(1))
            other = frames.setdefault(number, entry)
            if other != entry:
                raise DatasetError(f"frame {number} is both {other.name} and {entry.name}; "
                                   f"remove one of them", folder)
    return frames
