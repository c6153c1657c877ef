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
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import zlib
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import numpy as np

from ..errors import ConfigError, DatasetError
from .textio import format_rows

GENERATOR_VERSION = 1
MANIFEST = "synth.json"
VOT_TAGS = ("camera_motion", "illum_change", "motion_change", "occlusion", "size_change")

TAG_WINDOW = 5  # frames either side of t for the rate-based tags
SIZE_CHANGE = 0.08
ILLUM_CHANGE = 0.08
MOTION_LAG = 3  # frames averaged on each side for motion_change
MOTION_CHANGE = 2.0  # px/frame
CAMERA_MOTION = 1.0  # px/frame
OCCLUSION = 0.10
MIN_VISIBLE = 0.2  # least fraction of the target's area that stays in the image
SENSOR_NOISE = 3.0  # grey levels (std) added to every frame
JPEG_QUALITY = 90

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
        cos, sin = np.cos(self.angle)[:, None], np.sin(self.angle)[:, None]
        x = local[..., 0] * cos - local[..., 1] * sin
        y = local[..., 0] * sin + local[..., 1] * cos
        return np.stack([x, y], axis=-1) + self.centre[:, None, :]

    def half_extent(self) -> np.ndarray:
        """(n, 2) half width and half height of the rotated rectangle's bounding box."""
        cos, sin = np.abs(np.cos(self.angle)), np.abs(np.sin(self.angle))
        w, h = self.size[:, 0], self.size[:, 1]
        return 0.5 * np.stack([w * cos + h * sin, w * sin + h * cos], axis=1)


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
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


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
    return np.convolve(white, kernel, mode="valid") / np.linalg.norm(kernel)


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
    return np.linalg.norm(np.gradient(points, axis=0), axis=1)


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
    if shadow is None:
        return np.ones_like(np.asarray(x, dtype=np.float64))
    distance = x * shadow["normal"][0] + y * shadow["normal"][1] - shadow["offset"]
    return 1.0 - shadow["strength"] / (1.0 + np.exp(-distance / shadow["softness"]))


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
        angle = rng.uniform(0, 2 * np.pi)
        normal = np.array([np.cos(angle), np.sin(angle)])
        through = np.array(scene.image_size) * rng.uniform(0.4, 0.6, 2)
        scene.shadow = {"normal": normal, "offset": float(normal @ through),
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

    Cheap (no pixels): the tests check the declared attributes against it.
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
        "motion_change": np.linalg.norm(after - before, axis=1) > MOTION_CHANGE,
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
        target = _fill(np.zeros((height, width), np.uint8), corners[t])
        cover = np.zeros_like(target)
        for body in bodies:
            _fill(cover, body.corners()[t])
        fraction[t] = np.count_nonzero(target & cover) / max(np.count_nonzero(target), 1)
    return fraction


def _fill(mask: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Set the pixels whose centres lie in a convex quad (sub-pixel vertices, 4 fractional bits)."""
    import cv2

    points = np.round((quad - 0.5) * 16).astype(np.int32)  # pixel centres are integers in OpenCV
    cv2.fillConvexPoly(mask, points, 1, cv2.LINE_8, 4)
    return mask


# --------------------------------------------------------------------------- rendering

def _palette(rng: np.random.Generator) -> np.ndarray:
    """Three colours: a dark, a bright and a free one, so every texture has contrast."""
    return np.stack([rng.uniform(0, 110, 3), rng.uniform(145, 255, 3), rng.uniform(0, 255, 3)])


def _colourise(field01: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Map a [0, 1] field through the palette (piecewise linear), float32 RGB."""
    stops = np.linspace(0, 1, len(palette))
    return np.stack([np.interp(field01, stops, palette[:, c]) for c in range(3)], axis=-1).astype(np.float32)


def _noise_field(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Smooth periodic noise in [0, 1] with features of about ``scale`` px plus finer detail.

    Filtered in the Fourier domain, so it tiles: the background canvas wraps when panning.
    """
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    frequency = np.hypot(fx, fy)
    spectrum = np.fft.rfft2(rng.standard_normal(shape))
    coarse = np.exp(-(frequency * scale) ** 2)
    fine = 0.35 * np.exp(-(frequency * scale / 4) ** 2)
    values = np.fft.irfft2(spectrum * (coarse + fine), s=shape)
    low, high = np.percentile(values, [1, 99])
    return np.clip((values - low) / max(high - low, 1e-9), 0, 1)


def _texture(kind: str, size: tuple[int, int], scale: float, palette: np.ndarray, rng) -> np.ndarray:
    """(h, w, 3) float32 texture of ``kind`` clouds, checker or stripes (cells of ``scale`` px)."""
    width, height = size
    detail = _noise_field(rng, (height, width), max(scale / 2, 1.0))
    if kind == "clouds":
        return _colourise(_noise_field(rng, (height, width), scale), palette)
    angle = rng.uniform(0, np.pi)
    y, x = np.mgrid[0:height, 0:width] + 0.5
    u = (x * np.cos(angle) + y * np.sin(angle)) / scale
    v = (-x * np.sin(angle) + y * np.cos(angle)) / scale
    if kind == "checker":
        pattern = (np.floor(u) + np.floor(v)) % 2
    elif kind == "stripes":
        pattern = 0.5 + 0.5 * np.sin(np.pi * u)
    else:
        raise ConfigError(f"unknown synthetic texture {kind!r}; use clouds, checker or stripes")
    return _colourise(0.7 * pattern + 0.3 * detail, palette)


def _blur_kernel(motion: np.ndarray) -> np.ndarray | None:
    """Normalised line kernel along ``motion`` (its length in px); None when under 1.5 px."""
    import cv2

    length = float(np.hypot(*motion))
    if length < 1.5:
        return None
    radius = int(math.ceil(length / 2)) + 1
    kernel = np.zeros((2 * radius + 1, 2 * radius + 1), np.float32)
    end = motion / 2
    start_point = np.round((radius - end) * 16).astype(int)
    end_point = np.round((radius + end) * 16).astype(int)
    cv2.line(kernel, tuple(int(v) for v in start_point), tuple(int(v) for v in end_point), 1.0, 1, cv2.LINE_AA, 4)
    return kernel / kernel.sum()


def _coverage(x0: int, y0: int, x1: int, y1: int, centre, size, angle: float) -> np.ndarray:
    """Anti-aliased coverage of a rotated rectangle over pixels [x0, x1) x [y0, y1).

    Measured at pixel centres in screen pixels, whatever the texture's scaling: 0.5 on the
    edge, ramping to 0 and 1 within half a pixel either side.
    """
    x = np.arange(x0, x1)[None, :] + 0.5 - centre[0]
    y = np.arange(y0, y1)[:, None] + 0.5 - centre[1]
    cos, sin = math.cos(angle), math.sin(angle)
    across_width = x * cos + y * sin  # the rectangle's own axes (undo the rotation)
    across_height = -x * sin + y * cos
    return (np.clip(size[0] / 2 + 0.5 - np.abs(across_width), 0, 1)
            * np.clip(size[1] / 2 + 0.5 - np.abs(across_height), 0, 1)).astype(np.float32)


def _composite(image: np.ndarray, texture: np.ndarray, centre, size, angle: float,
               gain: float = 1.0, kernel: np.ndarray | None = None):
    """Draw ``texture`` stretched to ``size`` (w, h), rotated, at ``centre`` onto ``image`` in place.

    Works on the region around the shape only. Returns (y0, x0, coverage): the shape's
    alpha before blurring, for the region starting at row y0, column x0; None if off-image.
    """
    import cv2

    height, width = image.shape[:2]
    body = _Body(np.array([centre], float), np.array([size], float), np.array([angle], float), np.ones(1, bool))
    quad = body.corners()[0]
    pad = 2 + (kernel.shape[0] // 2 if kernel is not None else 0)
    x0, y0 = (max(int(np.floor(v)) - pad, 0) for v in quad.min(axis=0))
    x1 = min(int(np.ceil(quad[:, 0].max())) + pad, width)
    y1 = min(int(np.ceil(quad[:, 1].max())) + pad, height)
    if x0 >= x1 or y0 >= y1:
        return None
    tex_h, tex_w = texture.shape[:2]
    cos, sin = math.cos(angle), math.sin(angle)
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.diag([size[0] / tex_w, size[1] / tex_h])
    # texture index -> image index: OpenCV puts pixel centres on integers, ours are at +0.5
    shift = linear @ np.array([0.5 - tex_w / 2, 0.5 - tex_h / 2]) + np.asarray(centre) - 0.5 - [x0, y0]
    warp = np.hstack([linear, shift[:, None]])
    colour = cv2.warpAffine(texture, warp, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    coverage = _coverage(x0, y0, x1, y1, centre, size, angle)
    layer = np.dstack([colour * coverage[..., None], coverage])  # premultiplied, so blur mixes right
    if kernel is not None:
        layer = cv2.filter2D(layer, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    region = image[y0:y1, x0:x1]
    region *= 1 - layer[..., 3:]
    region += layer[..., :3] * gain
    return y0, x0, coverage


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
        self.distractors = [(body, self._target_like(rng, jitter)) for body, jitter in scene.distractors]
        self.occluders = []
        for body, occluder in scene.occluders:
            size = tuple(int(math.ceil(v)) for v in body.size[0])
            texture = _texture(occluder["texture"], size, occluder["scale"], _palette(rng), rng)
            self.occluders.append((body, texture))
        self.canvas = self._background(rng, (2 * width, 2 * height))
        if scene.shadow is not None:
            y, x = np.mgrid[0:height, 0:width] + 0.5
            self.shadow = _shadow_factor(scene.shadow, x, y).astype(np.float32)[..., None]
        else:
            self.shadow = None
        self.noise = rng.normal(0, SENSOR_NOISE, (4, height, width, 3)).astype(np.float32)
        self.noise_order = rng.integers(len(self.noise), size=scene.n)
        self.target_motion = np.gradient(scene.target.centre, axis=0) * scene.exposure
        self.camera_motion = np.gradient(scene.camera, axis=0) * scene.exposure

    def _target_like(self, rng, jitter: float) -> np.ndarray:
        """The target's texture, or a look-alike: same kind, new pattern, colours moved by ``jitter``."""
        look = self.scene.target_texture
        palette = np.clip(self.palette + rng.normal(0, jitter, self.palette.shape), 0, 255)
        return _texture(look["texture"], self.texture_size, look["scale"], palette, rng)

    def _background(self, rng, size: tuple[int, int]) -> np.ndarray:
        """Tiling clouds with opaque shapes (edges and corners) and optional target-like clutter."""
        import cv2

        look = self.scene.background
        width, height = size
        palette = (1 - look["tint"]) * _palette(rng) + look["tint"] * self.palette
        canvas = _colourise(_noise_field(rng, (height, width), look["scale"]), palette)
        for _ in range(look["shapes"]):
            colour = tuple(float(c) for c in palette[rng.integers(3)] * rng.uniform(0.7, 1.3))
            axes = (int(rng.integers(6, 36)), int(rng.integers(6, 36)))
            # whole shapes only: one cut by the canvas edge would show a seam when panning
            centre = tuple(int(rng.integers(a, max(a + 1, limit - a))) for a, limit in zip(axes, size))
            if rng.random() < 0.5:
                cv2.rectangle(canvas, (centre[0] - axes[0], centre[1] - axes[1]),
                              (centre[0] + axes[0], centre[1] + axes[1]), colour, -1, cv2.LINE_AA)
            else:
                cv2.ellipse(canvas, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
        canvas *= (0.8 + 0.4 * _noise_field(rng, (height, width), 6))[..., None]  # shade the shapes too
        for _ in range(look["clutter"]):  # static look-alikes in the scene
            patch = self._target_like(rng, 30.0)
            y, x = (int(rng.integers(0, max(1, limit - extent)))
                    for limit, extent in zip((height, width), patch.shape[:2]))
            canvas[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
        return np.clip(canvas, 0, 255)

    def frame(self, t: int, with_alpha: bool) -> SyntheticFrame:
        import cv2

        scene = self.scene
        width, height = scene.image_size
        view = np.float64([[1, 0, -scene.camera[t, 0]], [0, 1, -scene.camera[t, 1]]])
        image = cv2.warpAffine(self.canvas, view, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_WRAP)
        background_kernel = _blur_kernel(self.camera_motion[t])
        if background_kernel is not None:
            image = cv2.filter2D(image, -1, background_kernel, borderType=cv2.BORDER_REFLECT)
        for body, texture in self.distractors:
            _composite(image, texture, body.centre[t], body.size[t], body.angle[t])
        target = scene.target
        drawn = _composite(image, self.back if scene.back_face[t] else self.front, target.centre[t],
                           target.size[t], target.angle[t], scene.shading[t], _blur_kernel(self.target_motion[t]))
        for body, texture in self.occluders:
            if body.active[t]:
                _composite(image, texture, body.centre[t], body.size[t], body.angle[t])
        if self.shadow is not None:
            image *= self.shadow
        image *= scene.light[t]
        image += self.noise[self.noise_order[t]]
        alpha = None
        if with_alpha:
            alpha = np.zeros((height, width), np.float32)
            if drawn is not None:
                y0, x0, coverage = drawn
                alpha[y0:y0 + coverage.shape[0], x0:x0 + coverage.shape[1]] = coverage
        tags = {tag: bool(values[t]) for tag, values in scene.tags.items()}
        return SyntheticFrame(np.clip(image, 0, 255).astype(np.uint8), scene.boxes[t].copy(),
                              scene.polygons[t].copy(), tags, alpha)


def render_sequence(entry: dict, image_size=(320, 240), seed: int = 0, *,
                    with_alpha: bool = False) -> Iterator[SyntheticFrame]:
    """Frames of one synthetic sequence with their ground truth, in memory (no files).

    Deterministic for a given (entry, image_size, seed). ``with_alpha=True`` also gives the
    target's drawn coverage (its anti-aliased alpha before blur and occluders), a soft
    segmentation that checks the ground truth. Configuration errors are raised here, not
    at the first frame.
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


def _write_sequence(entry: dict, root: Path, settings: dict, bar) -> None:
    import cv2

    name = entry["name"]
    otb_dir, vot_dir = root / "otb" / name, root / "vot" / name.lower()
    (otb_dir / "img").mkdir(parents=True)
    (vot_dir / "color").mkdir(parents=True)
    boxes, polygons, tags = [], [], {tag: [] for tag in VOT_TAGS}
    for number, frame in enumerate(render_sequence(entry, settings["image_size"], settings["seed"]), start=1):
        jpg = otb_dir / "img" / f"{number:04d}.jpg"
        bgr = cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)
        if not cv2.imwrite(str(jpg), bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
            raise DatasetError("cannot write image", jpg)
        _link_or_copy(jpg, vot_dir / "color" / f"{number:08d}.jpg")
        boxes.append(frame.box)
        polygons.append(frame.polygon)
        for tag in VOT_TAGS:
            tags[tag].append(frame.tags[tag])
        bar.update(1)
    otb_boxes = np.array(boxes)
    otb_boxes[:, :2] += 1  # OTB ground truth is 1-based
    (otb_dir / "groundtruth_rect.txt").write_text(_rows(otb_boxes))
    (vot_dir / "groundtruth.txt").write_text(_rows(np.array(polygons)))
    for tag, values in tags.items():
        if any(values):  # VOT omits tags that are never set
            (vot_dir / f"{tag}.tag").write_text("".join(f"{int(v)}\n" for v in values))
    (vot_dir / "sequence").write_text(
        f"channels.color=color/%08d.jpg\nfps={settings.get('fps', 30)}\nformat=default\nname={name.lower()}\n")


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a folder that holds anything but a generated dataset."""
    if out_dir.exists() and not out_dir.is_dir():
        raise DatasetError("exists and is not a folder", out_dir)
    if out_dir.is_dir():
        ours = ("otb", "vot", MANIFEST)
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


def generate(benchmark, out_dir, *, seed: int | None = None, sequences=None, progress: bool = False) -> Path:
    """Render a synthetic benchmark into ``out_dir/otb`` and ``out_dir/vot``; returns ``out_dir``.

    Everything is written into ``<out_dir>.partial-<pid>`` and swapped in at the end, so an
    interrupted run leaves the previous dataset (or nothing) and a rerun starts cleanly. The
    manifest ``synth.json`` comes last. ``out_dir`` is replaced as a whole, so it must hold
    nothing but a generated dataset. ``sequences`` restricts the run to those names; the
    manifest then says it is incomplete and :func:`is_generated` is False for the benchmark.
    """
    from tqdm import tqdm

    settings = _generator_settings(benchmark, seed)
    entries = _entries(benchmark, sequences)
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(out_dir)
    partial = out_dir.with_name(f"{out_dir.name}.partial-{os.getpid()}")
    if partial.exists():
        shutil.rmtree(partial)
    try:
        with tqdm(total=sum(int(e["length"]) for e in entries), unit="frame", disable=not progress,
                  desc=f"generating {benchmark.name}") as bar:
            for entry in entries:
                _write_sequence(entry, partial, settings, bar)
        (partial / "vot" / "list.txt").write_text("".join(f"{e['name'].lower()}\n" for e in entries))
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
    })
    return out_dir


def is_generated(benchmark, out_dir, seed: int | None = None) -> bool:
    """True when ``out_dir`` holds the complete benchmark for this definition and seed."""
    try:
        manifest = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = _definition_hash(_generator_settings(benchmark, seed), _entries(benchmark))
    return (isinstance(manifest, dict) and manifest.get("complete") is True
            and manifest.get("generator_version") == GENERATOR_VERSION
            and manifest.get("definition_sha256") == expected)


def ensure_generated(benchmark, out_dir, seed: int | None = None, progress: bool = False) -> Path:
    """Generate the benchmark into ``out_dir`` unless it is already there; returns ``out_dir``."""
    if not is_generated(benchmark, out_dir, seed):
        generate(benchmark, out_dir, seed=seed, progress=progress)
    return Path(out_dir)
