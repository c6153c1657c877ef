"""The built-in synthetic benchmark: deterministic tracking sequences in OTB and VOT layouts.

Each sequence of ``experiments/synth.yaml`` is a mapping with ``name``, ``length``,
``attributes`` (OTB codes, declared by hand and checked against the simulation by the
tests), optional ``target`` and ``background`` appearance settings, and any of the effect
keys below. Every effect is a small function registered with :func:`_effect`; it runs when
its key is present, with the YAML mapping merged over its defaults (unknown parameters
are an error, so typos do not pass silently). Effects run in the order they are defined
in this module: shape changes first (the motion needs the target's extent to bounce off
the borders), then the path, then everything placed relative to the path.

============ ====================================================================
key          what it simulates
============ ====================================================================
scale        scale change through key values (SV)
aspect       width and height swinging in opposite directions (DEF)
turn         rotation about the vertical axis: foreshortening, back face (OPR)
rotation     in-plane rotation (IPR); the VOT polygon rotates with the target
motion       smooth wandering path bouncing off the borders; fast bursts (FM)
exit         the target leaves the view partially on the nearest side (OV)
camera       background panning
illumination global light levels and a soft shadow the target crosses (IV)
occlusion    bars sweeping over the target (OCC)
distractors  look-alikes circling the target, drawn behind it (BC)
blur         motion blur of the target and the panning background (MB)
============ ====================================================================

Coordinates are continuous and 0-based: the image spans ``[0, W) x [0, H)`` and pixel
``(row i, column j)`` covers ``[j, j+1) x [i, i+1)``. A target is a textured rectangle
of size ``(w, h)`` rotated by ``angle`` (radians, clockwise on screen since y points down)
about its centre. Its VOT polygon is that rectangle's four corners (top-left, top-right,
bottom-right, bottom-left before rotation), unclipped. Its box is the axis-aligned
bounding box of the part of the rectangle inside the image, so it always matches what is
drawn (occluders do not shrink it, as in OTB's annotations). The OTB files add 1 to x
and y. The drawn coverage (``render_sequence(..., with_alpha=True)``) is anti-aliased in
screen pixels: 0.5 on the rectangle's edge, a one-pixel ramp across it.

Per-frame VOT tags are computed from the simulation, comparing frame ``t + 5`` with
frame ``t - 5`` (clamped at the sequence ends) where a rate is involved:

* ``size_change``: the object's area ``w * h`` changes by more than 8 % across the window.
* ``illum_change``: the light falling on the target's centre (global level times the
  shadow) changes by more than 8 % across the window.
* ``motion_change``: the target centre's mean velocity over the 3 frames after ``t``
  differs from that over the 3 frames before by more than 2 px/frame (bursts, bounces).
* ``camera_motion``: the background moves by more than 1 px/frame.
* ``occlusion``: occluders cover at least 10 % of the target's visible pixels.

Randomness comes from ``numpy.random.default_rng`` seeded with the benchmark seed, the
CRC-32 of the sequence name and of the effect key, so editing one effect leaves the
random draws of the others unchanged.

The same benchmark everywhere: the simulation's results are snapped to power-of-two grids
(:data:`POSITION_STEP` ...), and pixels are computed from them with IEEE arithmetic only
(see "rendering" below), so neither the OpenCV nor the numpy version nor the CPU changes a
frame. Frames are stored as PNG, whose decoded pixels are exact whatever the encoder; the
VOT copy hard-links the OTB files. ``digests.txt`` lists the sha256 (16 hex digits) of each
frame's RGB pixels and of each sequence's annotation files; ``experiments/synth.digests``
pins it for the shipped seed and :func:`generate` compares. After a deliberate change of
the renderer or of synth.yaml: bump :data:`GENERATOR_VERSION` (for a renderer change), run
``rasbench synth --out DIR`` (it reports the difference and keeps DIR), copy
``DIR/digests.txt`` to ``experiments/synth.digests`` and put its sha256 into synth.yaml.
"""
from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from ..errors import ConfigError, DatasetError
from .textio import format_rows

GENERATOR_VERSION = 2
MANIFEST = "synth.json"
DIGESTS = "digests.txt"
VOT_TAGS = ("camera_motion", "illum_change", "motion_change", "occlusion", "size_change")

TAG_WINDOW = 5  # frames either side of t for the rate-based tags
SIZE_CHANGE = 0.08
ILLUM_CHANGE = 0.08
MOTION_LAG = 3  # frames averaged on each side for motion_change
MOTION_CHANGE = 2.0  # px/frame
CAMERA_MOTION = 1.0  # px/frame
OCCLUSION = 0.10
MIN_VISIBLE = 0.2  # least fraction of the target's area that stays in the image
SENSOR_NOISE = 3  # each frame gets the sum of two uniform integers in [-3, 3] (std 2.8 grey levels)
# Grids (powers of two) the simulation's results are snapped to before anything is drawn
POSITION_STEP = 2.0 ** -8  # px: centres, sizes, camera offsets, shadow offset
ANGLE_STEP = 2.0 ** -16  # radians
TRIG_STEP = 2.0 ** -20  # cos and sin of every angle
LEVEL_STEP = 2.0 ** -16  # light level and shading factors

_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_SEQUENCE_KEYS = {"name", "length", "attributes", "target", "background"}
_TARGET_DEFAULTS = {"size": [40, 30], "texture": "checker", "scale": 7.0}
_BACKGROUND_DEFAULTS = {"scale": 24.0, "shapes": 30, "tint": 0.0, "clutter": 0}


class SyntheticFrame(NamedTuple):
    """One rendered frame and its ground truth (0-based continuous coordinates)."""

    image: np.ndarray  # (H, W, 3) uint8 RGB
    box: np.ndarray  # [x, y, w, h] of the target's part inside the image
    polygon: np.ndarray  # [x1, y1, ..., x4, y4], the whole rotated rectangle
    tags: dict  # VOT tag name -> bool
    alpha: np.ndarray | None  # (H, W) float32 target coverage before blur and occluders; with_alpha=True only


# --------------------------------------------------------------------------- geometry

@dataclass
class _Body:
    """Per-frame state of one textured rectangle (arrays over the n frames)."""

    centre: np.ndarray  # (n, 2) x, y
    size: np.ndarray  # (n, 2) width, height before rotation
    angle: np.ndarray  # (n,) radians, clockwise on screen
    active: np.ndarray  # (n,) bool, drawn on that frame

    def corners(self) -> np.ndarray:
        """(n, 4, 2) corners: top-left, top-right, bottom-right, bottom-left before rotation."""
        unit = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
        local = unit[None] * self.size[:, None, :]
        cos, sin = (v[:, None] for v in _cos_sin(self.angle))
        x = local[..., 0] * cos - local[..., 1] * sin
        y = local[..., 0] * sin + local[..., 1] * cos
        return np.stack([x, y], axis=-1) + self.centre[:, None, :]

    def half_extent(self) -> np.ndarray:
        """(n, 2) half width and half height of the rotated rectangle's bounding box."""
        cos, sin = (np.abs(v) for v in _cos_sin(self.angle))
        w, h = self.size[:, 0], self.size[:, 1]
        return 0.5 * np.stack([w * cos + h * sin, w * sin + h * cos], axis=1)

    def snap(self) -> None:
        self.centre = _snap(self.centre, POSITION_STEP)
        self.size = _snap(self.size, POSITION_STEP)
        self.angle = _snap(self.angle, ANGLE_STEP)


def _snap(values, step: float) -> np.ndarray:
    """``values`` rounded to multiples of ``step`` (a power of two: the result is exact)."""
    return np.round(np.asarray(values, dtype=np.float64) / step) * step


def _cos_sin(angle) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin snapped to TRIG_STEP: math libraries may differ in their last bit."""
    return _snap(np.cos(angle), TRIG_STEP), _snap(np.sin(angle), TRIG_STEP)


def _clip_polygon(points: np.ndarray, width: float, height: float) -> np.ndarray:
    """Part of a convex polygon (k, 2) inside [0, width] x [0, height] (Sutherland-Hodgman)."""
    for axis, limit, keep_below in ((0, 0.0, False), (0, width, True), (1, 0.0, False), (1, height, True)):
        if len(points) == 0:
            break
        inside = points[:, axis] <= limit if keep_below else points[:, axis] >= limit
        out = []
        for k in range(len(points)):
            a, b = points[k - 1], points[k]
            a_in, b_in = inside[k - 1], inside[k]
            if a_in != b_in:  # the edge crosses the clipping line
                t = (limit - a[axis]) / (b[axis] - a[axis])
                out.append(a + t * (b - a))
            if b_in:
                out.append(b)
        points = np.array(out).reshape(-1, 2)
    return points


def _area(points: np.ndarray) -> float:
    if len(points) < 3:
        return 0.0
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.sum(x * np.roll(y, -1) - y * np.roll(x, -1))))


def _visible_boxes(corners: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Boxes [x, y, w, h] of the in-image part of each rectangle, and the visible area fraction."""
    boxes = np.zeros((len(corners), 4))
    fraction = np.zeros(len(corners))
    for t, quad in enumerate(corners):
        visible = _clip_polygon(quad, width, height)
        fraction[t] = _area(visible) / max(_area(quad), 1e-12)
        if len(visible):
            low, high = visible.min(axis=0), visible.max(axis=0)
            boxes[t] = [low[0], low[1], high[0] - low[0], high[1] - low[1]]
    return boxes, fraction


# --------------------------------------------------------------------------- curves

def _smooth_noise(rng: np.random.Generator, n: int, frames: float) -> np.ndarray:
    """Unit-variance noise correlated over about ``frames`` frames (Gaussian low-pass)."""
    radius = int(3 * frames) + 1
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / frames) ** 2)
    white = rng.standard_normal(n + 2 * radius)
    smooth = np.zeros(n)
    for offset, weight in enumerate(kernel):  # not np.convolve: its BLAS dot rounds per CPU
        smooth += weight * white[offset:offset + n]
    return smooth / math.sqrt(math.fsum(kernel * kernel))


def _key_curve(keys, n: int, ramp: float, log: bool = False) -> np.ndarray:
    """A curve through ``keys`` spread evenly over ``n`` frames (first at 0, last at n - 1).

    Each segment holds its start value, then eases (cosine) to the next key over its last
    ``ramp`` fraction, so the rate tags switch on and off instead of staying on.
    """
    keys = np.asarray(keys, dtype=np.float64)
    if log:
        keys = np.log(keys)
    if len(keys) == 1:
        values = np.full(n, keys[0])
    else:
        position = np.linspace(0, len(keys) - 1, n)
        segment = np.minimum(position.astype(int), len(keys) - 2)
        progress = np.clip((position - segment - (1 - ramp)) / ramp, 0, 1)
        ease = 0.5 - 0.5 * np.cos(np.pi * progress)
        values = keys[segment] + (keys[segment + 1] - keys[segment]) * ease
    return np.exp(values) if log else values


def _window_change(values: np.ndarray, window: int) -> np.ndarray:
    """|log(v[t + window] / v[t - window])| with the indices clamped to the sequence."""
    index = np.arange(len(values))
    after = values[np.minimum(index + window, len(values) - 1)]
    before = values[np.maximum(index - window, 0)]
    return np.abs(np.log(after / before))


def _speed(points: np.ndarray) -> np.ndarray:
    """Per-frame speed (central differences) of an (n, 2) path, n >= 2."""
    return _length(np.gradient(points, axis=0))


def _length(vectors: np.ndarray) -> np.ndarray:
    """Euclidean length of (n, 2) vectors, with IEEE arithmetic only (no BLAS, no libm)."""
    return np.sqrt(vectors[:, 0] * vectors[:, 0] + vectors[:, 1] * vectors[:, 1])


# --------------------------------------------------------------------------- simulation

@dataclass
class Scene:
    """Everything :func:`simulate` decides about a sequence; the renderer only draws it.

    ``boxes`` / ``polygons`` are the ground truth (0-based), ``tags`` maps each VOT tag to
    an (n,) bool array, ``visible`` is the fraction of the target's area inside the image.
    """

    name: str
    n: int
    image_size: tuple[int, int]
    seed: int
    target: _Body
    target_texture: dict
    background: dict
    back_face: np.ndarray  # (n,) bool: the target's other side faces the camera
    shading: np.ndarray  # (n,) brightness factor of the target (out-of-plane turn)
    camera: np.ndarray  # (n, 2) offset of the view in the background canvas
    light: np.ndarray  # (n,) global light level
    shadow: dict | None = None  # soft half-plane: normal, offset, strength, softness
    occluders: list = field(default_factory=list)  # (_Body, texture settings)
    distractors: list = field(default_factory=list)  # (_Body, palette jitter)
    exposure: float = 0.0  # motion blur length as a fraction of the per-frame motion
    boxes: np.ndarray | None = None
    polygons: np.ndarray | None = None
    visible: np.ndarray | None = None
    tags: dict = field(default_factory=dict)

    def light_at(self, points: np.ndarray) -> np.ndarray:
        """Light level at (n, 2) image points on their frames (global level times shadow)."""
        return self.light * _shadow_factor(self.shadow, points[:, 0], points[:, 1])


def _shadow_factor(shadow: dict | None, x, y):
    """Light let through at image points: 1 outside, 1 - strength inside, a smoothstep
    ramp 4 x softness wide across the edge."""
    if shadow is None:
        return np.ones_like(np.asarray(x, dtype=np.float64))
    distance = x * shadow["normal"][0] + y * shadow["normal"][1] - shadow["offset"]
    ramp = np.clip(0.5 + distance / (4 * shadow["softness"]), 0.0, 1.0)
    return 1.0 - shadow["strength"] * (ramp * ramp * (3.0 - 2.0 * ramp))


_Effect = Callable[[Scene, dict, np.random.Generator], None]
_EFFECTS: dict[str, tuple[_Effect, dict]] = {}


def _effect(key: str, **defaults):
    """Register an effect for the YAML key ``key``, with its parameters' defaults."""
    def register(function: _Effect) -> _Effect:
        _EFFECTS[key] = (function, defaults)
        return function
    return register


def _params(where: str, given, defaults: dict) -> dict:
    """Merge a YAML mapping over defaults, rejecting unknown parameters."""
    given = {} if given is None else given
    if not isinstance(given, dict):
        raise ConfigError(f"{where} takes a mapping of parameters, got {given!r}")
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ConfigError(f"{where}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(defaults)}")
    return {**defaults, **given}


def _rng(seed: int, name: str, key: str) -> np.random.Generator:
    """Independent stream per (seed, sequence, effect); CRC-32 is stable across runs, hash() is not."""
    return np.random.default_rng([seed, zlib.crc32(name.encode()), zlib.crc32(key.encode())])


@_effect("scale", keys=[1.0, 2.0], ramp=0.6)
def _scale(scene: Scene, p: dict, rng) -> None:
    """Size multiplied by a curve through ``keys`` (log-interpolated; key 0 is frame 0)."""
    scene.target.size *= _key_curve(p["keys"], scene.n, p["ramp"], log=True)[:, None]


@_effect("aspect", amplitude=0.3, period=50)
def _aspect(scene: Scene, p: dict, rng) -> None:
    """Width times exp(a sin), height times exp(-a sin): the shape deforms, the area stays."""
    phase = 2 * np.pi * np.arange(scene.n) / p["period"]
    swing = p["amplitude"] * np.sin(phase + rng.uniform(0, 2 * np.pi))
    scene.target.size *= np.exp(np.stack([swing, -swing], axis=1))


@_effect("turn", period=80, min_width=0.3)
def _turn(scene: Scene, p: dict, rng) -> None:
    """Turning about the vertical axis: width times |cos|, other face when cos < 0, Lambert shading."""
    cos = np.cos(2 * np.pi * np.arange(scene.n) / p["period"])
    scene.target.size[:, 0] *= np.maximum(np.abs(cos), p["min_width"])
    scene.back_face = cos < 0
    scene.shading = 0.55 + 0.45 * np.abs(cos)


@_effect("rotation", rate=2.0, swing=0.0, period=60)
def _rotation(scene: Scene, p: dict, rng) -> None:
    """In-plane angle: ``rate`` deg/frame plus a ``swing`` deg sinusoid of ``period`` frames."""
    t = np.arange(scene.n)
    degrees = p["rate"] * t + p["swing"] * np.sin(2 * np.pi * t / p["period"])
    scene.target.angle += np.radians(degrees) * rng.choice([-1.0, 1.0])


def _burst_starts(rng, n: int, count: int, frames: int) -> list[int]:
    """``count`` burst start frames, one in each of ``count`` equal slots, away from the ends."""
    edges = np.linspace(10, n - 10 - frames, count + 1)
    return [int(rng.integers(int(a), max(int(a) + 1, int(b) - frames))) for a, b in zip(edges[:-1], edges[1:])]


@_effect("motion", speed=3.0, wander=0.08, bursts=0, burst_speed=24.0, burst_frames=4, margin=3.0)
def _motion(scene: Scene, p: dict, rng) -> None:
    """Wandering path: heading drifts (``wander`` rad/frame), speed varies by about 25 %;
    the target bounces off the image borders (kept ``margin`` px inside). ``bursts`` times
    it jumps to a new heading at ``burst_speed`` px/frame for ``burst_frames`` frames."""
    n = scene.n
    width, height = scene.image_size
    speed = p["speed"] * np.exp(0.25 * _smooth_noise(rng, n, 15))
    turn = p["wander"] * _smooth_noise(rng, n, 6)
    kicks = {}  # frame -> heading change: abrupt, at least 60 degrees
    for start in _burst_starts(rng, n, p["bursts"], p["burst_frames"]):
        speed[start:start + p["burst_frames"]] = p["burst_speed"]
        kicks[start] = rng.uniform(np.pi / 3, 5 * np.pi / 3)
        kicks[start + p["burst_frames"]] = rng.uniform(np.pi / 3, 5 * np.pi / 3)
    middle = np.array([width, height]) / 2
    low = scene.target.half_extent() + p["margin"]
    high = 2 * middle - low
    fits = low <= high  # False on an axis where the target is wider than the image

    def keep_inside(point, t):
        # a reflection can overshoot when the step is long or the target grows
        return np.where(fits[t], np.clip(point, low[t], high[t]), middle)

    centre = scene.target.centre
    centre[0] = keep_inside(2 * middle * rng.uniform(0.3, 0.7, 2), 0)
    heading = rng.uniform(0, 2 * np.pi)
    for t in range(1, n):
        heading += turn[t] + kicks.get(t, 0.0)
        point = centre[t - 1] + speed[t] * np.array([np.cos(heading), np.sin(heading)])
        for axis in (0, 1):  # reflect off the borders
            if not low[t, axis] <= point[axis] <= high[t, axis]:
                bound = low[t, axis] if point[axis] < low[t, axis] else high[t, axis]
                point[axis] = 2 * bound - point[axis]
                heading = np.pi - heading if axis == 0 else -heading
        centre[t] = keep_inside(point, t)


@_effect("exit", events=[], keep=0.35, ramp=0.4)
def _exit(scene: Scene, p: dict, rng) -> None:
    """Each event ``[start, duration]`` pulls the target across the border nearest to it
    until only ``keep`` of its extent (on that axis) is inside, holds, and brings it back;
    ``ramp`` is the fraction of the event spent going out (and again coming back)."""
    size = np.array(scene.image_size, dtype=np.float64)
    half = scene.target.half_extent()
    centre = scene.target.centre
    for start, duration in p["events"]:
        frames = np.arange(start, min(start + duration, scene.n))
        if len(frames) == 0:
            continue
        mid = centre[frames[len(frames) // 2]] / size
        side = int(np.argmin([mid[0], 1 - mid[0], mid[1], 1 - mid[1]]))  # left, right, top, bottom
        axis = side // 2
        outside = half[frames, axis] * (2 * p["keep"] - 1)  # centre with `keep` of the extent inside
        goal = outside if side % 2 == 0 else size[axis] - outside
        progress = (frames - start + 0.5) / duration
        up = np.clip(np.minimum(progress, 1 - progress) / p["ramp"], 0, 1)
        weight = 0.5 - 0.5 * np.cos(np.pi * up)
        centre[frames, axis] = (1 - weight) * centre[frames, axis] + weight * goal


@_effect("camera", speed=4.0, wander=0.03, segments=None)
def _camera(scene: Scene, p: dict, rng) -> None:
    """The view pans over the (wrapping) background at ``speed`` px/frame, its heading
    drifting by ``wander`` rad/frame; ``segments`` ``[[start, end], ...]`` limit when it moves."""
    n = scene.n
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(p["wander"] * _smooth_noise(rng, n, 10))
    moving = np.zeros(n) if p["segments"] else np.ones(n)
    for start, end in p["segments"] or []:
        moving[start:end] = 1.0
    step = p["speed"] * moving[:, None] * np.stack([np.cos(heading), np.sin(heading)], axis=1)
    scene.camera = scene.camera[0] + np.cumsum(step, axis=0) - step[0]


@_effect("illumination", levels=[1.0, 0.5], ramp=0.3, shadow=0.0, softness=12.0)
def _illumination(scene: Scene, p: dict, rng) -> None:
    """Global light through ``levels`` (held, then changing over the last ``ramp`` of each
    segment) and, with ``shadow`` > 0, a soft-edged half-plane that much darker crossing
    the middle of the image at a random angle."""
    scene.light = _key_curve(p["levels"], scene.n, p["ramp"], log=True)
    if p["shadow"] > 0:
        normal = np.array(_cos_sin(rng.uniform(0, 2 * np.pi)))
        through = np.array(scene.image_size) * rng.uniform(0.4, 0.6, 2)
        offset = _snap(normal[0] * through[0] + normal[1] * through[1], POSITION_STEP)
        scene.shadow = {"normal": normal, "offset": float(offset),
                        "strength": float(p["shadow"]), "softness": float(p["softness"])}


@_effect("occlusion", events=[], thickness=1.2, texture="stripes", scale=6.0)
def _occlusion(scene: Scene, p: dict, rng) -> None:
    """Each event ``[start, duration, cover]`` sweeps a long bar across the target
    (horizontally or vertically, relative to it). The bar is ``thickness`` times the target's
    larger side along the sweep and covers ``cover`` of the target across it, so
    ``thickness > 1`` with ``cover: 1`` hides the target completely for a while."""
    for start, duration, cover in p["events"]:
        frames = np.arange(start, min(start + duration, scene.n))
        if len(frames) == 0:
            continue
        extent = float(2 * scene.target.half_extent()[frames].max())
        along, across = p["thickness"] * extent, 3.0 * extent
        axis = int(rng.integers(2))  # direction of the sweep
        sign = rng.choice([-1.0, 1.0])
        travel = (extent + along) / 2 + 2
        offset = np.zeros((len(frames), 2))
        offset[:, axis] = sign * np.linspace(-travel, travel, len(frames))
        offset[:, 1 - axis] = rng.choice([-1.0, 1.0]) * (across / 2 + extent / 2 - cover * extent)
        centre = np.zeros((scene.n, 2))
        centre[frames] = scene.target.centre[frames] + offset
        size = np.array([along, across]) if axis == 0 else np.array([across, along])
        active = np.zeros(scene.n, dtype=bool)
        active[frames] = True
        body = _Body(centre, np.tile(size, (scene.n, 1)), np.zeros(scene.n), active)
        scene.occluders.append((body, {"texture": p["texture"], "scale": p["scale"]}))


@_effect("distractors", count=1, near=0.6, far=2.5, period=70, jitter=25.0)
def _distractors(scene: Scene, p: dict, rng) -> None:
    """``count`` look-alikes (the target's texture kind, its colours moved by ``jitter``)
    circling the target (once in 60-140 frames) at a distance swinging between ``near`` and
    ``far`` times its width, ``period`` frames per swing; drawn behind it, kept in view."""
    n = scene.n
    t = np.arange(n)
    reach = float(scene.target.size[0].max())
    image = np.array(scene.image_size, dtype=np.float64)
    for _ in range(p["count"]):
        swing = 0.5 + 0.5 * np.cos(2 * np.pi * t / p["period"] + rng.uniform(0, 2 * np.pi))
        radius = reach * (p["near"] + (p["far"] - p["near"]) * swing)
        theta = rng.uniform(0, 2 * np.pi) + rng.choice([-1.0, 1.0]) * 2 * np.pi * t / rng.uniform(60, 140)
        centre = scene.target.centre + radius[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
        size = scene.target.size * rng.uniform(0.85, 1.15)
        body = _Body(centre, size, scene.target.angle.copy(), np.ones(n, dtype=bool))
        half = body.half_extent()
        body.centre = np.clip(body.centre, half, np.maximum(half, image - half))
        scene.distractors.append((body, float(p["jitter"])))


@_effect("blur", exposure=1.0)
def _blur(scene: Scene, p: dict, rng) -> None:
    """Motion blur along each frame's motion, ``exposure`` times the per-frame displacement."""
    scene.exposure = float(p["exposure"])


def _check_entry(entry: dict) -> tuple[str, int]:
    if not isinstance(entry, dict) or "name" not in entry or "length" not in entry:
        raise ConfigError(f"a synthetic sequence needs a mapping with 'name' and 'length', got {entry!r}")
    name = str(entry["name"])
    try:
        length = int(entry["length"])
    except (TypeError, ValueError):
        raise ConfigError(f"synthetic sequence {name}: length must be an integer, "
                          f"got {entry['length']!r}") from None
    unknown = sorted(set(entry) - _SEQUENCE_KEYS - set(_EFFECTS))
    if unknown:
        raise ConfigError(f"synthetic sequence {name}: unknown key(s) {', '.join(unknown)}; "
                          f"effects: {', '.join(_EFFECTS)}")
    if length < 2:
        raise ConfigError(f"synthetic sequence {name}: length must be at least 2, got {length}")
    return name, length


def simulate(entry: dict, image_size=(320, 240), seed: int = 0) -> Scene:
    """Decide every object's state on every frame of a sequence, and its ground truth and tags.

    Cheap (no pixels): the tests check the declared attributes against it. The state is
    snapped to the grids above before the ground truth is derived from it, so it is the
    same on every machine (a last-bit difference of exp or sin moves a value across a
    grid boundary with a probability of about 1e-10).
    """
    name, n = _check_entry(entry)
    width, height = (int(v) for v in image_size)
    target = _params(f"{name}: target", entry.get("target"), _TARGET_DEFAULTS)
    scene = Scene(
        name=name, n=n, image_size=(width, height), seed=int(seed),
        target=_Body(np.tile([width / 2, height / 2], (n, 1)).astype(np.float64),
                     np.tile(np.asarray(target["size"], dtype=np.float64), (n, 1)),
                     np.zeros(n), np.ones(n, dtype=bool)),
        target_texture=target,
        background=_params(f"{name}: background", entry.get("background"), _BACKGROUND_DEFAULTS),
        back_face=np.zeros(n, dtype=bool), shading=np.ones(n),
        camera=np.tile(_rng(seed, name, "camera-start").uniform(0, [width, height]), (n, 1)),
        light=np.ones(n),
    )
    for key, (effect, defaults) in _EFFECTS.items():
        if key in entry:
            effect(scene, _params(f"{name}: {key}", entry[key], defaults), _rng(seed, name, key))
    for body in [scene.target, *(b for b, _ in scene.occluders), *(b for b, _ in scene.distractors)]:
        body.snap()
    scene.camera = _snap(scene.camera, POSITION_STEP)
    scene.light = _snap(scene.light, LEVEL_STEP)
    scene.shading = _snap(scene.shading, LEVEL_STEP)
    corners = scene.target.corners()
    scene.polygons = corners.reshape(n, 8)
    scene.boxes, scene.visible = _visible_boxes(corners, width, height)
    if scene.visible.min() < MIN_VISIBLE:
        frame = int(np.argmin(scene.visible)) + 1
        raise ConfigError(f"synthetic sequence {name}: only {scene.visible.min():.0%} of the target is in view "
                          f"at frame {frame} (at least {MIN_VISIBLE:.0%} must be)")
    scene.tags = _tags(scene, corners)
    return scene


def _tags(scene: Scene, corners: np.ndarray) -> dict[str, np.ndarray]:
    centre = scene.target.centre
    area = scene.target.size.prod(axis=1)
    index = np.arange(scene.n)
    earlier = np.maximum(index - MOTION_LAG, 0)  # clamped at the ends: fewer frames averaged
    later = np.minimum(index + MOTION_LAG, scene.n - 1)
    before = (centre - centre[earlier]) / np.maximum(index - earlier, 1)[:, None]
    after = (centre[later] - centre) / np.maximum(later - index, 1)[:, None]
    return {
        "camera_motion": _speed(scene.camera) > CAMERA_MOTION,
        "illum_change": _window_change(scene.light_at(centre), TAG_WINDOW) > np.log1p(ILLUM_CHANGE),
        "motion_change": _length(after - before) > MOTION_CHANGE,
        "occlusion": _occluded_fraction(scene, corners) >= OCCLUSION,
        "size_change": _window_change(area, TAG_WINDOW) > np.log1p(SIZE_CHANGE),
    }


def _occluded_fraction(scene: Scene, corners: np.ndarray) -> np.ndarray:
    """Fraction of the target's in-image pixels under an occluder, by rasterising both."""
    width, height = scene.image_size
    fraction = np.zeros(scene.n)
    for t in range(scene.n):
        bodies = [body for body, _ in scene.occluders if body.active[t]]
        if not bodies:
            continue
        target = _inside(corners[t], width, height)
        cover = np.zeros_like(target)
        for body in bodies:
            cover |= _inside(body.corners()[t], width, height)
        fraction[t] = np.count_nonzero(target & cover) / max(np.count_nonzero(target), 1)
    return fraction


def _inside(quad: np.ndarray, width: int, height: int) -> np.ndarray:
    """(height, width) mask of the pixels whose centres lie in a quad (corners clockwise on screen)."""
    x = np.arange(width) + 0.5
    y = (np.arange(height) + 0.5)[:, None]
    mask = np.ones((height, width), dtype=bool)
    for (ax, ay), (bx, by) in zip(quad, np.roll(quad, -1, axis=0)):
        mask &= (bx - ax) * (y - ay) - (by - ay) * (x - ax) >= 0
    return mask


# --------------------------------------------------------------------------- rendering
#
# Pixels are computed with numpy's + - * / sqrt floor and comparisons (float64, and float32
# for whole frames), from the snapped scene and from random integers: IEEE 754 rounds
# those the same way on every machine and in every numpy version. No transcendental
# function, BLAS call, FFT or library drawing routine touches a pixel, so a frame is the
# same bytes everywhere.

def _palette(rng: np.random.Generator) -> np.ndarray:
    """Three colours: a dark, a bright and a free one, so every texture has contrast."""
    return np.stack([rng.uniform(0, 110, 3), rng.uniform(145, 255, 3), rng.uniform(0, 255, 3)])


def _colourise(field01: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Map a [0, 1] field through the three palette colours (piecewise linear), (..., 3) RGB."""
    t = 2.0 * field01[..., None]
    low = palette[0] + (palette[1] - palette[0]) * t
    high = palette[1] + (palette[2] - palette[1]) * (t - 1.0)
    return np.where(t < 1.0, low, high)


def _box_sums(values: np.ndarray, width: int) -> np.ndarray:
    """Sums over periodic ``width`` x ``width`` windows (integers in, integers out: exact)."""
    radius = width // 2
    for axis in (0, 1):
        values = sum(np.roll(values, shift, axis=axis) for shift in range(-radius, radius + 1))
    return values


def _smooth(white: np.ndarray, sigma: float) -> np.ndarray:
    """Periodic low-pass of integer noise: three box passes of the width whose variance is
    closest to a Gaussian of ``sigma`` px, as a mean (float64)."""
    width = 2 * int(round((math.sqrt(4 * sigma * sigma + 1) - 1) / 2)) + 1
    for _ in range(3):
        white = _box_sums(white, width)
    return white / float(width ** 6)


def _noise_field(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Smooth periodic noise in [0, 1] with features of about ``scale`` px plus finer detail.

    Periodic, so it tiles: the background canvas wraps when panning. Stretched so that
    its 1st and 99th percentiles map to 0 and 1.
    """
    white = rng.integers(0, 256, shape)
    sigma = scale / (math.pi * math.sqrt(2))  # a Gaussian filter exp(-(f * scale)^2) in frequency
    values = _smooth(white, sigma) + 0.35 * _smooth(white, sigma / 4)
    ordered = np.sort(values, axis=None)
    low, high = ordered[len(ordered) // 100], ordered[-1 - len(ordered) // 100]
    return np.clip((values - low) / max(high - low, 1e-9), 0.0, 1.0)


def _texture(kind: str, size: tuple[int, int], scale: float, palette: np.ndarray, rng) -> np.ndarray:
    """(h, w, 3) float64 texture of ``kind`` clouds, checker or stripes (cells of ``scale`` px)."""
    width, height = size
    detail = _noise_field(rng, (height, width), max(scale / 2, 1.0))
    if kind == "clouds":
        return _colourise(_noise_field(rng, (height, width), scale), palette)
    cos, sin = _cos_sin(rng.uniform(0, np.pi))
    y, x = np.mgrid[0:height, 0:width] + 0.5
    u = (x * cos + y * sin) / scale
    v = (y * cos - x * sin) / scale
    if kind == "checker":
        pattern = (np.floor(u) + np.floor(v)) % 2
    elif kind == "stripes":  # a smoothed triangle wave, period 2 cells
        ramp = np.abs(u % 2.0 - 1.0)
        pattern = ramp * ramp * (3.0 - 2.0 * ramp)
    else:
        raise ConfigError(f"unknown synthetic texture {kind!r}; use clouds, checker or stripes")
    return _colourise(0.7 * pattern + 0.3 * detail, palette)


def _to_shape_axes(x: np.ndarray, y: np.ndarray, centre, cos, sin) -> tuple[np.ndarray, np.ndarray]:
    """Points (x (w,) columns, y (h,) rows) in a shape's own axes: undo its rotation about ``centre``."""
    dx = x[None, :] - centre[0]
    dy = y[:, None] - centre[1]
    return dx * cos + dy * sin, dy * cos - dx * sin


def _rectangle_coverage(along: np.ndarray, across: np.ndarray, size) -> np.ndarray:
    """Anti-aliased coverage at pixel centres given in a rectangle's own axes: 0.5 on the
    edge, ramping to 0 and 1 within half a pixel either side."""
    return (np.clip(size[0] / 2 + 0.5 - np.abs(along), 0.0, 1.0)
            * np.clip(size[1] / 2 + 0.5 - np.abs(across), 0.0, 1.0))


def _bilinear(texture: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Texture (h, w, 3) sampled at pixel-centre coordinates (u column, v row); edges repeat."""
    height, width = texture.shape[:2]
    u = np.clip(u, 0.0, width - 1.0)
    v = np.clip(v, 0.0, height - 1.0)
    u0, v0 = np.floor(u), np.floor(v)
    fu, fv = (u - u0)[..., None], (v - v0)[..., None]
    u0, v0 = u0.astype(np.intp), v0.astype(np.intp)
    u1, v1 = np.minimum(u0 + 1, width - 1), np.minimum(v0 + 1, height - 1)
    top = texture[v0, u0] * (1.0 - fu) + texture[v0, u1] * fu
    bottom = texture[v1, u0] * (1.0 - fu) + texture[v1, u1] * fu
    return top * (1.0 - fv) + bottom * fv


def _blur_offsets(motion) -> np.ndarray:
    """Fractions of ``motion`` (px) at which a blurred object is sampled: one per pixel of
    its length, centred; no blur under 1.5 px."""
    length = math.sqrt(motion[0] * motion[0] + motion[1] * motion[1])
    if length < 1.5:
        return np.zeros(1)
    samples = math.ceil(length)
    return (np.arange(samples) + 0.5) / samples - 0.5


def _composite(image: np.ndarray, texture: np.ndarray, centre, size, cos: float, sin: float,
               gain: float = 1.0, motion=(0.0, 0.0)):
    """Draw ``texture`` stretched to ``size`` (w, h), rotated, at ``centre`` onto ``image`` in
    place, blurred along ``motion`` (px) by averaging the shape over positions along it.

    Works on the region around the shape only. Returns (y0, x0, coverage): the shape's
    alpha without blur, for the region starting at row y0, column x0; None if off-image.
    """
    height, width = image.shape[:2]
    offsets = _blur_offsets(motion)
    reach = (0.5 * (abs(cos) * size[0] + abs(sin) * size[1]) + abs(motion[0]) / 2 + 2,
             0.5 * (abs(sin) * size[0] + abs(cos) * size[1]) + abs(motion[1]) / 2 + 2)
    x0, y0 = (max(math.floor(c - r), 0) for c, r in zip(centre, reach))
    x1 = min(math.ceil(centre[0] + reach[0]), width)
    y1 = min(math.ceil(centre[1] + reach[1]), height)
    if x0 >= x1 or y0 >= y1:
        return None
    x, y = np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5
    tex_h, tex_w = texture.shape[:2]
    colour = np.zeros((y1 - y0, x1 - x0, 3))
    alpha = np.zeros((y1 - y0, x1 - x0))
    for offset in offsets:  # premultiplied, so the blur mixes edges right
        along, across = _to_shape_axes(x, y, (centre[0] + offset * motion[0], centre[1] + offset * motion[1]),
                                         cos, sin)
        cover = _rectangle_coverage(along, across, size)
        u = (along / size[0] + 0.5) * tex_w - 0.5
        v = (across / size[1] + 0.5) * tex_h - 0.5
        colour += _bilinear(texture, u, v) * cover[..., None]
        alpha += cover
    if len(offsets) > 1:
        colour /= len(offsets)
        alpha /= len(offsets)
    region = image[y0:y1, x0:x1]
    region *= 1.0 - alpha[..., None]
    region += colour * gain
    return y0, x0, _rectangle_coverage(*_to_shape_axes(x, y, centre, cos, sin), size)


def _view(canvas: np.ndarray, positions, width: int, height: int) -> np.ndarray:
    """Mean of the (height, width) windows of a wrapping canvas whose top-left corners are at
    ``positions`` ((x, y) pairs, sub-pixel: bilinear). ``canvas`` is the canvas padded with
    its own first ``height + 1`` rows and ``width + 1`` columns.

    Each window is a weighted sum of whole-pixel shifts; the weights of all windows are
    gathered per shift first, so a blur along k positions costs about 2k + 2 shifts, not 4k.
    """
    rows, cols = canvas.shape[0] - height - 1, canvas.shape[1] - width - 1  # the canvas's own size
    weights: dict[tuple[int, int], float] = {}
    share = 1.0 / len(positions)
    for x, y in positions:
        ix, iy = math.floor(x), math.floor(y)
        fx, fy = x - ix, y - iy
        for dy, dx, weight in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)),
                               (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
            key = ((iy + dy) % rows, (ix + dx) % cols)
            weights[key] = weights.get(key, 0.0) + weight * share
    image = np.zeros((height, width, 3), dtype=canvas.dtype)
    for (row, col), weight in sorted(weights.items()):
        image += canvas[row:row + height, col:col + width] * canvas.dtype.type(weight)
    return image


def _paint(canvas: np.ndarray, colour: np.ndarray, centre, half_axes, cos: float, sin: float,
           ellipse: bool) -> None:
    """Blend an anti-aliased filled rectangle or ellipse into ``canvas`` (it must fit inside)."""
    reach = math.ceil(max(half_axes)) + 2
    x0, y0 = math.floor(centre[0]) - reach, math.floor(centre[1]) - reach
    x = np.arange(x0, x0 + 2 * reach + 2) + 0.5
    y = np.arange(y0, y0 + 2 * reach + 2) + 0.5
    along, across = _to_shape_axes(x, y, centre, cos, sin)
    if ellipse:  # signed distance to the outline, to first order: F / |grad F|
        a2, b2 = half_axes[0] * half_axes[0], half_axes[1] * half_axes[1]
        level = along * along / a2 + across * across / b2 - 1.0
        slope = 2.0 * np.sqrt(along * along / (a2 * a2) + across * across / (b2 * b2))
        cover = np.clip(0.5 - level / np.maximum(slope, 1e-12), 0.0, 1.0)
    else:
        cover = _rectangle_coverage(along, across, (2 * half_axes[0], 2 * half_axes[1]))
    region = canvas[y0:y0 + len(y), x0:x0 + len(x)]
    region *= 1.0 - cover[..., None]
    region += colour * cover[..., None]


class _Renderer:
    """Textures and background of one scene, drawn frame by frame."""

    def __init__(self, scene: Scene):
        self.scene = scene
        rng = _rng(scene.seed, scene.name, "render")
        width, height = scene.image_size
        look = scene.target_texture
        self.palette = _palette(rng)
        texture_scale = float(np.clip(scene.target.size.max(axis=0) / scene.target.size[0], 1, 2).max())
        self.texture_size = tuple(max(4, int(round(v * texture_scale))) for v in look["size"])
        self.front = self._target_like(rng, 0.0)
        self.back = self._target_like(rng, 20.0)
        self.distractors = [(body, _cos_sin(body.angle), self._target_like(rng, jitter))
                            for body, jitter in scene.distractors]
        self.occluders = []
        for body, occluder in scene.occluders:
            size = tuple(int(math.ceil(v)) for v in body.size[0])
            texture = _texture(occluder["texture"], size, occluder["scale"], _palette(rng), rng)
            self.occluders.append((body, _cos_sin(body.angle), texture))
        canvas = self._background(rng, (2 * width, 2 * height)).astype(np.float32)
        self.canvas = np.pad(canvas, ((0, height + 1), (0, width + 1), (0, 0)), mode="wrap")
        if scene.shadow is not None:
            y, x = np.mgrid[0:height, 0:width] + 0.5
            self.shadow = _shadow_factor(scene.shadow, x, y).astype(np.float32)[..., None]
        else:
            self.shadow = None
        self.noise = (rng.integers(-SENSOR_NOISE, SENSOR_NOISE + 1, (4, height, width, 3))
                      + rng.integers(-SENSOR_NOISE, SENSOR_NOISE + 1, (4, height, width, 3))).astype(np.float32)
        self.noise_order = rng.integers(len(self.noise), size=scene.n)
        self.target_trig = _cos_sin(scene.target.angle)
        self.target_motion = np.gradient(scene.target.centre, axis=0) * scene.exposure
        self.camera_motion = np.gradient(scene.camera, axis=0) * scene.exposure

    def _target_like(self, rng, jitter: float) -> np.ndarray:
        """The target's texture, or a look-alike: same kind, new pattern, colours moved by ``jitter``."""
        look = self.scene.target_texture
        palette = np.clip(self.palette + rng.normal(0, jitter, self.palette.shape), 0, 255)
        return _texture(look["texture"], self.texture_size, look["scale"], palette, rng)

    def _background(self, rng, size: tuple[int, int]) -> np.ndarray:
        """Tiling clouds with opaque shapes (edges and corners) and optional target-like clutter."""
        look = self.scene.background
        width, height = size
        palette = (1 - look["tint"]) * _palette(rng) + look["tint"] * self.palette
        canvas = _colourise(_noise_field(rng, (height, width), look["scale"]), palette)
        for _ in range(look["shapes"]):
            colour = palette[rng.integers(3)] * rng.uniform(0.7, 1.3)
            half_axes = (int(rng.integers(6, 36)), int(rng.integers(6, 36)))
            # whole shapes only: one cut by the canvas edge would show a seam when panning
            reach = max(half_axes) + 3
            centre = tuple(float(rng.integers(reach, limit - reach)) + 0.5 for limit in size)
            ellipse = rng.random() < 0.5
            cos, sin = _cos_sin(rng.uniform(0, np.pi)) if ellipse else (1.0, 0.0)
            _paint(canvas, colour, centre, half_axes, float(cos), float(sin), ellipse)
        canvas *= (0.8 + 0.4 * _noise_field(rng, (height, width), 6))[..., None]  # shade the shapes too
        for _ in range(look["clutter"]):  # static look-alikes in the scene
            patch = self._target_like(rng, 30.0)
            y, x = (int(rng.integers(0, max(1, limit - extent)))
                    for limit, extent in zip((height, width), patch.shape[:2]))
            canvas[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
        return np.clip(canvas, 0, 255)

    def _background_view(self, t: int) -> np.ndarray:
        """The background at frame t, blurred along the camera's motion like the target."""
        width, height = self.scene.image_size
        camera, motion = self.scene.camera[t], self.camera_motion[t]
        positions = [(camera[0] + offset * motion[0], camera[1] + offset * motion[1])
                     for offset in _blur_offsets(motion)]
        return _view(self.canvas, positions, width, height)

    def frame(self, t: int, with_alpha: bool) -> SyntheticFrame:
        scene = self.scene
        width, height = scene.image_size
        image = self._background_view(t)
        for body, (cos, sin), texture in self.distractors:
            _composite(image, texture, body.centre[t], body.size[t], cos[t], sin[t])
        target = scene.target
        cos, sin = self.target_trig
        drawn = _composite(image, self.back if scene.back_face[t] else self.front, target.centre[t],
                           target.size[t], cos[t], sin[t], scene.shading[t], self.target_motion[t])
        for body, (cos, sin), texture in self.occluders:
            if body.active[t]:
                _composite(image, texture, body.centre[t], body.size[t], cos[t], sin[t])
        if self.shadow is not None:
            image *= self.shadow
        image *= np.float32(scene.light[t])
        image += self.noise[self.noise_order[t]]
        alpha = None
        if with_alpha:
            alpha = np.zeros((height, width), np.float32)
            if drawn is not None:
                y0, x0, coverage = drawn
                alpha[y0:y0 + coverage.shape[0], x0:x0 + coverage.shape[1]] = coverage
        tags = {tag: bool(values[t]) for tag, values in scene.tags.items()}
        pixels = np.clip(np.floor(image + np.float32(0.5)), 0, 255).astype(np.uint8)
        return SyntheticFrame(pixels, scene.boxes[t].copy(), scene.polygons[t].copy(), tags, alpha)


def render_sequence(entry: dict, image_size=(320, 240), seed: int = 0, *,
                    with_alpha: bool = False) -> Iterator[SyntheticFrame]:
    """Frames of one synthetic sequence with their ground truth, in memory (no files).

    Deterministic for a given (entry, image_size, seed), and the same bytes on every
    machine (see "rendering" above). ``with_alpha=True`` also gives the target's drawn
    coverage (its anti-aliased alpha before blur and occluders), a soft segmentation that
    checks the ground truth. Configuration errors are raised here, not at the first frame.
    """
    renderer = _Renderer(simulate(entry, image_size, seed))
    return (renderer.frame(t, with_alpha) for t in range(renderer.scene.n))


# --------------------------------------------------------------------------- dataset files

def _seed(benchmark, seed: int | None) -> int:
    value = benchmark.generator.get("seed") if seed is None else seed
    if not isinstance(value, int) or value < 0:
        raise ConfigError(f"{benchmark.name}: the generator needs a non-negative integer seed, got {value!r}")
    return value


def _entries(benchmark, sequences=None) -> list[dict]:
    entries = list(benchmark.raw.get("sequences") or [])
    for entry in entries:
        _check_entry(entry)
        if not _NAME.match(str(entry["name"])):
            raise ConfigError(f"{benchmark.name}: synthetic sequence names are CamelCase without spaces, "
                              f"got {entry['name']!r}")
    lower = [str(e["name"]).lower() for e in entries]
    if len(set(lower)) != len(lower):
        raise ConfigError(f"{benchmark.name}: sequence names must differ in more than case "
                          "(VOT folders are lower case)")
    if sequences is None:
        return entries
    known = {e["name"]: e for e in entries}
    unknown = [s for s in sequences if s not in known]
    if unknown:
        raise ConfigError(f"{benchmark.name} has no sequence(s) {', '.join(unknown)}; it has {', '.join(known)}")
    return [known[s] for s in sequences]


def _generator_settings(benchmark, seed: int | None) -> dict:
    settings = {"image_size": [320, 240], "fps": 30, **benchmark.generator, "seed": _seed(benchmark, seed)}
    version = settings.get("version", GENERATOR_VERSION)
    if version != GENERATOR_VERSION:
        raise ConfigError(f"{benchmark.name} is written for synthetic generator version {version}; "
                          f"this rasbench has version {GENERATOR_VERSION}")
    return settings


def _definition_hash(settings: dict, entries: list[dict]) -> str:
    canonical = json.dumps({"generator_version": GENERATOR_VERSION, "generator": settings, "sequences": entries},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return sha256(canonical.encode()).hexdigest()


def _rows(values: np.ndarray) -> str:
    return format_rows(np.round(values, 2) + 0.0, fmt="%.2f")  # + 0.0 turns -0.00 into 0.00


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # file systems without hard links
        shutil.copyfile(source, target)


def _digest(data: bytes) -> str:
    return sha256(data).hexdigest()[:16]


def _write_sequence(entry: dict, root: Path, settings: dict, bar) -> list[str]:
    """Write one sequence in both layouts; returns its digest lines: one per frame (of the
    RGB pixels, which the lossless PNG gives back exactly) and one for its annotations."""
    import cv2

    name = entry["name"]
    otb_dir, vot_dir = root / "otb" / name, root / "vot" / name.lower()
    (otb_dir / "img").mkdir(parents=True)
    (vot_dir / "color").mkdir(parents=True)
    boxes, polygons, tags, digests = [], [], {tag: [] for tag in VOT_TAGS}, []
    for number, frame in enumerate(render_sequence(entry, settings["image_size"], settings["seed"]), start=1):
        png = otb_dir / "img" / f"{number:04d}.png"
        if not cv2.imwrite(str(png), cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)):
            raise DatasetError("cannot write image", png)
        _link_or_copy(png, vot_dir / "color" / f"{number:08d}.png")
        digests.append(f"{name} {number:04d} {_digest(frame.image.tobytes())}")
        boxes.append(frame.box)
        polygons.append(frame.polygon)
        for tag in VOT_TAGS:
            tags[tag].append(frame.tags[tag])
        bar.update(1)
    otb_boxes = np.array(boxes)
    otb_boxes[:, :2] += 1  # OTB ground truth is 1-based
    texts = {otb_dir / "groundtruth_rect.txt": _rows(otb_boxes), vot_dir / "groundtruth.txt": _rows(np.array(polygons))}
    for tag, values in tags.items():
        if any(values):  # VOT omits tags that are never set
            texts[vot_dir / f"{tag}.tag"] = "".join(f"{int(v)}\n" for v in values)
    texts[vot_dir / "sequence"] = (f"channels.color=color/%08d.png\nfps={settings.get('fps', 30)}\n"
                                   f"format=default\nname={name.lower()}\n")
    for path, text in texts.items():
        path.write_text(text)
    annotations = "".join(f"{path.relative_to(root).as_posix()}\n{text}" for path, text in texts.items())
    return digests + [f"{name} annotations {_digest(annotations.encode())}"]


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a folder that holds anything but a generated dataset."""
    if out_dir.exists() and not out_dir.is_dir():
        raise DatasetError("exists and is not a folder", out_dir)
    if out_dir.is_dir():
        ours = ("otb", "vot", MANIFEST, DIGESTS)
        foreign = sorted(p.name for p in out_dir.iterdir()
                         if p.name not in ours and not p.name.startswith(f".{MANIFEST}.tmp-"))
        if foreign:
            raise DatasetError(f"will not replace a folder holding other files ({', '.join(foreign[:5])})",
                               out_dir)


def _remove_stale_partials(out_dir: Path) -> None:
    """Delete ``<out_dir>.partial-<pid>`` / ``.old-<pid>`` folders left by processes that died."""
    for path in out_dir.parent.iterdir():
        match = re.fullmatch(re.escape(out_dir.name) + r"\.(partial|old)-(\d+)", path.name)
        if match is None or not path.is_dir():
            continue
        pid = int(match.group(2))
        try:
            os.kill(pid, 0)
            alive = pid != os.getpid()
        except ProcessLookupError:
            alive = False
        except PermissionError:  # someone else's live process
            alive = True
        if not alive:
            shutil.rmtree(path, ignore_errors=True)


def _write_manifest(out_dir: Path, manifest: dict) -> None:
    """Write the manifest atomically: its presence means the dataset is complete."""
    temporary = out_dir / f".{MANIFEST}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, out_dir / MANIFEST)
    directory = os.open(out_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _pinned_digests(benchmark, settings: dict) -> dict[str, str] | None:
    """The digest lines pinned for the definition's own seed, by key ("Stroll 0001"), or None."""
    name = benchmark.generator.get("digests")
    if not name or settings["seed"] != benchmark.generator.get("seed"):
        return None
    path = Path(benchmark.path).parent / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{benchmark.name}: cannot read its pinned digests {path}: {exc.strerror}") from None
    if sha256(data).hexdigest() != benchmark.generator.get("digest"):
        raise ConfigError(f"{path} does not match the digest pinned in {Path(benchmark.path).name}")
    return dict(line.rsplit(" ", 1) for line in data.decode().splitlines())


def _check_digests(lines: list[str], pinned: dict[str, str], out_dir: Path) -> None:
    """Raise on the first frame (or annotation set) whose digest is not the pinned one."""
    for line in lines:
        key, value = line.rsplit(" ", 1)
        if pinned.get(key) != value:
            sequence, item = key.split(" ")
            what = f"{sequence}'s annotations" if item == "annotations" else f"{sequence} frame {int(item)}"
            raise DatasetError(
                f"the synthetic benchmark renders differently here: {what} is the first that differs from the "
                f"pinned digests (numpy {np.__version__}, Python {platform.python_version()}, {platform.system()} "
                f"{platform.machine()}), so scores on it would not compare with anyone else's; the digests made "
                f"here are in {out_dir / DIGESTS} (after editing the definition, remove its digests/digest keys)")


def generate(benchmark, out_dir, *, seed: int | None = None, sequences=None, progress: bool = False) -> Path:
    """Render a synthetic benchmark into ``out_dir/otb`` and ``out_dir/vot``; returns ``out_dir``.

    Everything is written into ``<out_dir>.partial-<pid>`` and swapped in at the end, so an
    interrupted run leaves the previous dataset (or nothing) and a rerun starts cleanly. The
    manifest ``synth.json`` comes last. ``out_dir`` is replaced as a whole, so it must hold
    nothing but a generated dataset. ``sequences`` restricts the run to those names; the
    manifest then says it is incomplete and :func:`is_generated` is False for the benchmark.

    With the definition's own seed, the digests of what was written (``digests.txt``) must
    equal those the definition pins (its ``generator: digests`` file, whose sha256 is
    ``generator: digest``); otherwise a :class:`DatasetError` names the first frame that
    differs, and the data stays for inspection but is not :func:`is_generated`.
    """
    from tqdm import tqdm

    settings = _generator_settings(benchmark, seed)
    entries = _entries(benchmark, sequences)
    pinned = _pinned_digests(benchmark, settings)
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(out_dir)
    partial = out_dir.with_name(f"{out_dir.name}.partial-{os.getpid()}")
    if partial.exists():
        shutil.rmtree(partial)
    try:
        digests = []
        with tqdm(total=sum(int(e["length"]) for e in entries), unit="frame", disable=not progress,
                  desc=f"generating {benchmark.name}") as bar:
            for entry in entries:
                digests += _write_sequence(entry, partial, settings, bar)
        (partial / "vot" / "list.txt").write_text("".join(f"{e['name'].lower()}\n" for e in entries))
        digests_text = "".join(line + "\n" for line in digests)
        (partial / DIGESTS).write_text(digests_text)
        if out_dir.exists():
            old = out_dir.with_name(f"{out_dir.name}.old-{os.getpid()}")
            os.rename(out_dir, old)
            os.rename(partial, out_dir)
            shutil.rmtree(old)
        else:
            os.rename(partial, out_dir)
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    _write_manifest(out_dir, {
        "benchmark": benchmark.name,
        "generator_version": GENERATOR_VERSION,
        "seed": settings["seed"],
        "definition_sha256": _definition_hash(settings, entries),
        "complete": sequences is None,
        "sequences": {e["name"]: int(e["length"]) for e in entries},
        "digests_sha256": sha256(digests_text.encode()).hexdigest(),
    })
    if pinned is not None:
        _check_digests(digests, pinned, out_dir)
    return out_dir


def is_generated(benchmark, out_dir, seed: int | None = None) -> bool:
    """True when ``out_dir`` holds the complete benchmark for this definition and seed."""
    try:
        manifest = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    settings = _generator_settings(benchmark, seed)
    expected = _definition_hash(settings, _entries(benchmark))
    pinned = benchmark.generator.get("digest") if settings["seed"] == benchmark.generator.get("seed") else None
    return (isinstance(manifest, dict) and manifest.get("complete") is True
            and manifest.get("generator_version") == GENERATOR_VERSION
            and manifest.get("definition_sha256") == expected
            and (pinned is None or manifest.get("digests_sha256") == pinned))


def ensure_generated(benchmark, out_dir, seed: int | None = None, progress: bool = False) -> Path:
    """Generate the benchmark into ``out_dir`` unless it is already there; returns ``out_dir``."""
    if not is_generated(benchmark, out_dir, seed):
        generate(benchmark, out_dir, seed=seed, progress=progress)
    return Path(out_dir)


# --------------------------------------------------------------------------- LaSOT-layout copies

OUT_OF_VIEW = 0.5  # out_of_view where less than this fraction of the target is inside the image
FULL_OCCLUSION = 0.9  # full_occlusion where occluders cover at least this fraction of its visible pixels
LASOT_DEFINITION = "synth_lasot.yaml"


def write_lasot_copy(benchmark, out_dir, *, sequences=None, length: int | None = None, image_size=(160, 120),
                     seed: int | None = None, images: bool = True) -> dict[str, str]:
    """Write synthetic sequences in LaSOT's native layout, to test LaSOT loaders and scorers
    without downloads; returns {LaSOT name: synthetic name}.

    Sequence ``Name`` becomes ``<out_dir>/name/name-1/`` with ``img/00000001.png ...``
    (with ``images``), ``groundtruth.txt`` (integer ``x,y,w,h``, 1-based, as LaSOT's),
    ``full_occlusion.txt`` and ``out_of_view.txt`` (one line of comma-separated flags) and
    ``nlp.txt``. The target is out of view where less than :data:`OUT_OF_VIEW` of it is in
    the image and fully occluded where occluders cover at least :data:`FULL_OCCLUSION` of
    its visible pixels; a fully occluded frame's ground truth is ``0,0,0,0`` (as many of
    LaSOT's absent frames), an out-of-view one keeps its box (as the others).
    ``length`` makes every sequence that long (long sequences stay fast at small
    ``image_size``; effects keep their frame numbers). ``<out_dir>/synth_lasot.yaml`` is its
    benchmark definition (LaSOT's layout and rules: ``rasbench run <out_dir>/synth_lasot.yaml
    --root <out_dir>``).
    """
    import cv2

    settings = _generator_settings(benchmark, seed)
    names = {}
    for entry in _entries(benchmark, sequences):
        entry = {**entry, "length": int(length or entry["length"])}
        scene = simulate(entry, image_size, settings["seed"])
        lasot_name = f"{entry['name'].lower()}-1"
        folder = Path(out_dir) / entry["name"].lower() / lasot_name
        (folder / "img").mkdir(parents=True, exist_ok=True)
        out_of_view = scene.visible < OUT_OF_VIEW
        occluded = _occluded_fraction(scene, scene.target.corners()) >= FULL_OCCLUSION
        boxes = np.round(scene.boxes) + 0.0
        boxes[:, :2] += 1  # LaSOT ground truth is 1-based
        boxes[occluded] = 0
        if images:
            renderer = _Renderer(scene)
            for number in range(1, scene.n + 1):
                frame = renderer.frame(number - 1, False)
                png = folder / "img" / f"{number:08d}.png"
                if not cv2.imwrite(str(png), cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)):
                    raise DatasetError("cannot write image", png)
        (folder / "groundtruth.txt").write_text(format_rows(boxes, fmt="%d"))
        for flags, file in ((occluded, "full_occlusion.txt"), (out_of_view, "out_of_view.txt")):
            (folder / file).write_text(",".join(str(int(v)) for v in flags) + "\n")
        (folder / "nlp.txt").write_text(f"the synthetic target of {entry['name']}\n")
        names[lasot_name] = entry["name"]
    (Path(out_dir) / LASOT_DEFINITION).write_text(
        "# LaSOT-layout copy of rasbench's synthetic sequences (rasbench.datasets.synthetic.write_lasot_copy)\n"
        f"name: synth_lasot\nformat: lasot\nexperiments: {{ope: {{protocol: ope}}}}\n"
        f"sequences: [{', '.join(names)}]\n")
    return names


# --------------------------------------------------------------------------- GOT-10k copy
GOT10K_COVER_LEVELS = 8  # cover.label: 0 = not visible, 1..8 = visible fraction in eighths (rounded up)


def write_got10k_copy(benchmark, synth_dir, out_dir, *, sequences=None, seed: int | None = None) -> list[str]:
    """Write the generated benchmark in ``synth_dir`` (see :func:`generate`) as a GOT-10k
    split folder ``out_dir`` (the layout of :mod:`rasbench.datasets.got10k`, ``val``-style,
    with labels); returns the sequence names, as ``out_dir/list.txt`` lists them.

    Per sequence: the frames as ``00000001.jpg ...`` (JPEG, what got10k globs for),
    ``groundtruth.txt`` (0-based ``x,y,w,h``: the OTB copy's boxes minus 1 in x and y),
    ``meta_info.ini`` (``resolution``), ``cover.label`` (the visible fraction of the target,
    in the image and not under an occluder, in eighths rounded up; 0 when none is
    visible), ``absence.label`` (cover 0) and ``cut_by_image.label`` (part of the target
    outside the image).
    """
    import cv2

    from .textio import read_rows

    settings = _generator_settings(benchmark, seed)
    entries = _entries(benchmark, sequences)
    synth_dir, out_dir = Path(synth_dir), Path(out_dir)
    width, height = (int(v) for v in settings["image_size"])
    names = []
    for entry in entries:
        name = entry["name"]
        source, target = synth_dir / "otb" / name, out_dir / name
        target.mkdir(parents=True, exist_ok=True)
        scene = simulate(entry, settings["image_size"], settings["seed"])
        visible = scene.visible * (1 - _occluded_fraction(scene, scene.target.corners()))
        cover = np.clip(np.ceil(np.round(visible * GOT10K_COVER_LEVELS, 6)), 0, GOT10K_COVER_LEVELS).astype(int)
        for number in range(1, scene.n + 1):
            image = cv2.imread(str(source / "img" / f"{number:04d}.png"), cv2.IMREAD_COLOR)
            if image is None or not cv2.imwrite(str(target / f"{number:08d}.jpg"), image):
                raise DatasetError("cannot convert frame to JPEG", source / "img" / f"{number:04d}.png")
        boxes = read_rows(source / "groundtruth_rect.txt", 4, "ground truth")
        boxes[:, :2] -= 1
        (target / "groundtruth.txt").write_text(_rows(boxes))
        (target / "meta_info.ini").write_text(f"[METAINFO]\nobject_class: synthetic\nresolution: ({width}, {height})\n")
        labels = {"cover": cover, "absence": (cover == 0).astype(int), "cut_by_image": (scene.visible < 1).astype(int)}
        for label, values in labels.items():
            (target / f"{label}.label").write_text("".join(f"{v}\n" for v in values))
        names.append(name)
    (out_dir / "list.txt").write_text("".join(f"{n}\n" for n in names))
    return names
