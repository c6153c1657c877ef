"""Training RASNet and its ablation variants (spec section 4; ``rasbench train``).

Objective. A batch holds N pairs (z_n, x_n) whose frames are d_n = |i_n - j_n| apart. With
SiamFC's balanced labels y(u) and weights w(u) on the 15x15 response (13 positives within
16 px of the centre, each class summing to 0.5; :func:`data.make_labels`) the per-pair loss
is the logistic loss of Eq. (11),

    l_n = sum_u w(u) * log(1 + exp(-y(u) * v_n(u)))     (y in {-1, +1}),

and the temporal weighting of Eqs. (12)-(13) multiplies it by Omega_n = exp(-d_n / sigma),
sigma = 100. Omega itself is not normalised: Omega = 1 for adjacent frames and e^-1 for
pairs 100 frames apart. Eq. (12) sums Omega * l over the pairs; here the batch objective is
that sum divided by N, ``L = (1/N) sum_n Omega_n l_n`` (``omega_norm="batch"``, default),
so the learning rate does not depend on the batch size (MatConvNet divides by it too).
``omega_norm="omega"`` divides by sum_n Omega_n instead, a weighted mean whose gradient
is about 1 / E[Omega] (~1.6) times larger. ``sigma=inf`` turns the weighting off (SiamFC).
The reported training and validation losses are this same weighted objective.

Optimisation (paper Sec. 4.1): SGD, momentum 0.9, weight decay 5e-4 on every parameter,
batch 32, 50 epochs; the learning rate is constant within an epoch and decays
geometrically from ``lr[0]`` in the first epoch to ``lr[1]`` in the last (MATLAB
``logspace(-2, -5, 50)``), as ``ExponentialLR`` stepped once per epoch. BN layers use batch
statistics in training; validation runs the model in eval mode, as the tracker does.

Precision (``amp``). The backbone may run under autocast: bfloat16 on GPUs that support
it (else float16 with loss scaling) and on CPUs that compute bfloat16 natively, where it
is 2-2.5x faster than float32 with losses equal to 3 digits. The attentions, the
cross-correlation and the loss always run in float32 (:func:`pair_logits`), and the
weights stay float32. ``amp="off"`` trains in float32 throughout.

Reproducibility. The model is initialised from ``seed`` and every pair is a pure function
of (seed, epoch, index) (:class:`data.PairDataset`), so the data do not depend on the
number of workers, and ``resume=True`` continues from the last ``epoch_NNN.pt`` (model,
optimiser, scheduler, AMP scaler, torch RNG states, loss history) to the same final weights,
bit for bit on the CPU with the same thread count and ``amp``. (On CUDA cuDNN's autotuned
kernels are not bit-reproducible, so a resumed GPU run matches only to rounding.)

Outputs in ``out_dir``: ``epoch_NNN.pt`` (training state after epoch NNN, 1-based),
``final.pt`` (the last epoch's weights in the :mod:`.weights` checkpoint format, loadable by
``RASNetTracker(weights=...)``), ``best.pt`` (same format, the epoch with the lowest
validation loss), ``loss.csv`` (epoch, train_loss, val_loss, lr, pairs_per_s) and
``loss.png`` (the paper's Fig. 5 for this run).
"""
from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from rasbench.errors import ConfigError, RasbenchError
from rasbench.paths import atomic_write_text

from .data import (
    Augment,
    DataWarning,
    EpochBatches,
    PairDataset,
    collate_pairs,
    describe_source,
    fork_safe_opencv,
    make_labels,
    open_source,
    split_videos,
)
from .model import VARIANTS, RASNet, build_model
from .tracker import cpu_has_native_bf16, resolve_device
from .weights import initial_weights, save_checkpoint, save_tensors

log = logging.getLogger("rasbench.train")

STATE_FORMAT = "rasbench-rasnet-train"
STATE_VERSION = 1
_EPOCH_FILE = re.compile(r"^epoch_(\d{3,})\.pt$")
CSV_COLUMNS = ("epoch", "train_loss", "val_loss", "lr", "pairs_per_s")


class TrainingError(RasbenchError):
    """Training cannot go on (diverged, or a resume that does not match the run)."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run's result; a resume must match it exactly."""

    variant: str
    data: tuple[str, ...]
    val_data: tuple[str, ...] | None
    epochs: int
    pairs_per_epoch: int
    val_pairs: int
    val_fraction: float
    batch_size: int
    lr: tuple[float, float]
    momentum: float
    weight_decay: float
    sigma: float
    omega_norm: str
    max_gap: int
    augment: dict
    seed: int
    model_config: dict
    init_from: str | None
    freeze_backbone: bool = False

    def check(self) -> TrainConfig:
        problems = []
        if self.variant not in VARIANTS:
            problems.append(f"variant must be one of {', '.join(VARIANTS)}")
        if not self.data:
            problems.append("give at least one training data source")
        if self.epochs < 1 or self.pairs_per_epoch < 1 or self.batch_size < 1 or self.val_pairs < 0:
            problems.append("epochs, pairs_per_epoch and batch_size must be >= 1, val_pairs >= 0")
        if not all(v > 0 and math.isfinite(v) for v in self.lr):
            problems.append("learning rates must be positive")
        if not (0 <= self.momentum < 1 and self.weight_decay >= 0):
            problems.append("need 0 <= momentum < 1 and weight_decay >= 0")
        if not self.sigma > 0:
            problems.append("sigma must be > 0 (inf turns the temporal weighting off)")
        if self.max_gap < 1:
            problems.append(f"max_gap must be >= 1 frame, got {self.max_gap}")
        if self.omega_norm not in ("batch", "omega"):
            problems.append("omega_norm must be 'batch' or 'omega'")
        if not 0 <= self.val_fraction < 1:
            problems.append("val_fraction must lie in [0, 1)")
        if self.freeze_backbone and self.init_from is None:
            problems.append("freeze_backbone needs init_from (a frozen random backbone learns nothing)")
        if problems:
            raise ConfigError("bad training settings: " + "; ".join(problems))
        return self

    def as_dict(self) -> dict:
        """Plain lists / dicts / numbers (stored in checkpoints, loadable with weights_only)."""
        out = asdict(self)
        out["data"] = list(self.data)
        out["val_data"] = None if self.val_data is None else list(self.val_data)
        out["lr"] = list(self.lr)
        return out


# ----------------------------------------------------------------------------- objective

def weighted_logistic_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor, omega: torch.Tensor,
                           norm: str = "batch") -> torch.Tensor:
    """The batch objective (module docstring): logits (N, 1, R, R); labels, weights (R, R); omega (N,).

    ``labels`` are in {0, 1} (BCE-with-logits on them equals log(1 + exp(-y v)) with y = 2 l - 1).
    """
    n = logits.shape[0]
    per_pair = F.binary_cross_entropy_with_logits(logits.float().reshape(n, -1), labels.reshape(1, -1).expand(n, -1),
                                                  weight=weights.reshape(1, -1), reduction="none").sum(1)
    weighted = omega * per_pair
    return weighted.mean() if norm == "batch" else weighted.sum() / omega.sum()


def pair_logits(model: RASNet, exemplar: torch.Tensor, search: torch.Tensor,
                amp_dtype: torch.dtype | None = None) -> torch.Tensor:
    """Training-pair logits (N, 1, 15, 15) from raw 0-255 float crops.

    With ``amp_dtype`` the backbone runs under autocast; the attentions and the
    cross-correlation stay in float32, because each logit sums 9,216 products before the
    1e-3 gain and float16 could overflow there.
    """
    with torch.autocast(exemplar.device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
        exemplar_feature = model.backbone(exemplar)
        search_feature = model.backbone(search)
    return model.xcorr(model.attend(exemplar_feature.float()), search_feature.float())


def lr_gamma(lr: tuple[float, float], epochs: int) -> float:
    """Per-epoch factor taking the rate from lr[0] (epoch 1) to lr[1] (last epoch)."""
    return (lr[1] / lr[0]) ** (1.0 / (epochs - 1)) if epochs > 1 else 1.0


# ----------------------------------------------------------------------------- resources

def resolve_workers(workers, device: torch.device) -> int:
    """``auto``: one loader process per core but one (at most 16) beside a GPU; 0 on the CPU,
    where the network uses every core and loading costs ~2 % of a step (one process makes
    ~400 synthetic pairs/s against the network's ~15), so a worker would only compete."""
    if isinstance(workers, str):
        if workers.strip().lower() != "auto":
            try:
                workers = int(workers)
            except ValueError:
                raise ConfigError(f"workers must be 'auto' or a number, got {workers!r}") from None
        else:
            return min(16, max(1, (os.cpu_count() or 2) - 1)) if device.type == "cuda" else 0
    if workers < 0:
        raise ConfigError(f"workers must be >= 0, got {workers}")
    return int(workers)


def resolve_amp(amp, device: torch.device) -> torch.dtype | None:
    """Autocast dtype for the backbone, or None for float32.

    ``auto``: bfloat16 on GPUs that have it (else float16 with loss scaling); on the CPU,
    bfloat16 where the CPU computes it natively (2-2.5x faster here, with losses equal to
    float32's to 3 digits), else float32. ``off`` / False, ``bf16``, ``fp16`` force a choice
    (fp16 only on CUDA).
    """
    text = {True: "auto", False: "off", None: "off"}.get(amp, str(amp).strip().lower())
    if text == "auto":
        if device.type != "cuda":
            return torch.bfloat16 if cpu_has_native_bf16() else None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    choices = {"off": None, "none": None, "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
               "fp16": torch.float16, "float16": torch.float16}
    if text not in choices:
        raise ConfigError(f"amp must be auto, off, bf16 or fp16, got {amp!r}")
    if choices[text] is torch.float16 and device.type != "cuda":
        raise ConfigError("amp=fp16 needs a CUDA device (bf16 works on the CPU)")
    return choices[text]


def make_loader(dataset: PairDataset, batches: EpochBatches, workers: int, device: torch.device) -> DataLoader:
    """Batches of pairs from ``workers`` persistent processes (0: in this process), pinned for CUDA."""
    return DataLoader(dataset, batch_sampler=batches, num_workers=workers, collate_fn=collate_pairs,
                      pin_memory=device.type == "cuda", persistent_workers=workers > 0,
                      prefetch_factor=4 if workers > 0 else None)


# ----------------------------------------------------------------------------- checkpoints

def epoch_checkpoints(out_dir: Path) -> dict[int, Path]:
    """Completed epoch -> its ``epoch_NNN.pt`` in ``out_dir``."""
    if not out_dir.is_dir():
        return {}
    found = {}
    for path in out_dir.iterdir():
        match = _EPOCH_FILE.match(path.name)
        if match:
            found[int(match.group(1))] = path
    return found


def _save_state(path: Path, state: dict) -> None:
    save_tensors(state, path)


def _latest_state(out_dir: Path) -> dict | None:
    """The newest readable epoch checkpoint (an unreadable one is reported and passed over)."""
    for epoch, path in sorted(epoch_checkpoints(out_dir).items(), reverse=True):
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # damaged file: fall back to the one before
            warnings.warn(f"cannot read {path} ({type(exc).__name__}: {exc}); trying the epoch before", DataWarning,
                          stacklevel=2)
            continue
        if isinstance(state, dict) and state.get("format") == STATE_FORMAT and state.get("epoch") == epoch:
            return state
        warnings.warn(f"{path} is not a training checkpoint of this version; trying the epoch before", DataWarning,
                      stacklevel=2)
    return None


def _config_differences(stored: dict, current: dict) -> list[str]:
    # settings added later count as their default in older checkpoints
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}
    return [f"{key}: checkpoint {stored.get(key, defaults.get(key))!r}, now {value!r}"
            for key, value in current.items() if stored.get(key, defaults.get(key)) != value]


def write_loss_csv(path: Path, history: Sequence[dict]) -> None:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in history:
        writer.writerow({key: ("" if row.get(key) is None else row[key]) for key in CSV_COLUMNS})
    atomic_write_text(path, text.getvalue())


def plot_loss(path: Path, history: Sequence[dict], title: str) -> None:
    """Training (bold) and validation (thin) objective per epoch, as the paper's Fig. 5."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: only training needs matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    epochs = [row["epoch"] for row in history]
    axes.plot(epochs, [row["train_loss"] for row in history], "-", linewidth=2.5, label="training")
    val = [(row["epoch"], row["val_loss"]) for row in history if row.get("val_loss") is not None]
    if val:
        axes.plot(*zip(*val), "-", linewidth=1.0, label="validation")
    axes.set_xlabel("epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("objective")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


# ----------------------------------------------------------------------------- training

def _to_device(batch: dict, device: torch.device, channels_last: bool) -> tuple[torch.Tensor, ...]:
    memory = torch.channels_last if channels_last else torch.contiguous_format
    exemplar = batch["exemplar"].to(device, non_blocking=True).float().contiguous(memory_format=memory)
    search = batch["search"].to(device, non_blocking=True).float().contiguous(memory_format=memory)
    return exemplar, search, batch["omega"].to(device, non_blocking=True)


def train_step(model: RASNet, optimizer, scaler, batch: dict, labels: torch.Tensor, weights: torch.Tensor, *,
               amp_dtype: torch.dtype | None = None, channels_last: bool = False,
               omega_norm: str = "batch") -> torch.Tensor:
    """One SGD step on a :func:`data.collate_pairs` batch; returns the (detached) batch objective.

    ``labels`` / ``weights`` (15, 15) on the model's device; ``scaler`` a
    ``torch.amp.GradScaler`` (disabled unless float16 autocast). A non-finite loss still
    steps (the scaler skips float16 overflows); the caller decides what to do with it.
    """
    exemplar, search, omega = _to_device(batch, labels.device, channels_last)
    loss = weighted_logistic_loss(pair_logits(model, exemplar, search, amp_dtype), labels, weights, omega, omega_norm)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


class _FailureLog:
    """Unreadable images reported by the loader: one warning per file, counts per epoch."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.count = 0

    def add(self, failures: list[str]) -> None:
        self.count += len(failures)
        for failure in failures:
            if failure not in self.seen:
                self.seen.add(failure)
                warnings.warn(f"unreadable image {failure}: skipped (pairs using it are redrawn)", DataWarning,
                              stacklevel=2)

    def summary(self) -> str:
        count, self.count = self.count, 0
        return f", {count} unreadable image read(s) skipped" if count else ""


def train(variant: str, data: Sequence, out_dir, *, epochs: int = 50, pairs_per_epoch: int = 60_000,
          batch_size: int = 32, lr: tuple[float, float] = (1e-2, 1e-5), momentum: float = 0.9,
          weight_decay: float = 5e-4, sigma: float = 100.0, omega_norm: str = "batch", max_gap: int = 100,
          val_data: Sequence | None = None, val_pairs: int | None = None, val_fraction: float = 0.1,
          stretch: float = 0.05, translate: int = 4, color_jitter: float = 0.1, gray: float = 0.0,
          model_config: dict | None = None, init_from: str | None = None, freeze_backbone: bool = False,
          device: str = "auto", amp="auto",
          workers="auto", seed: int = 0, resume: bool = False, progress: bool = True,
          keep_checkpoints: int | None = None, stop_after: int | None = None) -> Path:
    """Train ``variant`` on ``data`` and return ``out_dir/final.pt``.

    ``data`` / ``val_data``: ``KIND:PATH`` strings (:func:`data.open_source`: ``got10k:DIR``,
    ``vid:DIR``, ``synth:``, ``synth:SEEDS``, ``synth:DIR``) or source objects such as
    :class:`data.SynthSource`; several are mixed by sampling a video uniformly from all of
    them. Without ``val_data``, ``val_fraction`` of the videos (by a hash of their names) are
    held out. ``pairs_per_epoch`` training pairs (the paper: 3 M pairs over 50 epochs, so
    60,000) and ``val_pairs`` validation pairs (default: a tenth of that; 0 skips validation)
    per epoch; validation pairs are the same every epoch. ``lr``: (first epoch, last epoch).
    ``sigma``, ``omega_norm``: temporal weighting (module docstring). ``max_gap``: largest
    frame distance within a pair. ``stretch``, ``translate``, ``color_jitter``, ``gray``:
    augmentation (:class:`data.Augment`). ``model_config``: RASNet constructor arguments;
    ``init_from``: a RASNet checkpoint to start from (for example a SiamFC backbone from
    ``rasbench weights convert``), or a SiamFC weight file itself (``2016-08-17.net.mat``, its
    backbone converted on the fly), instead of the seeded initialisation;
    ``freeze_backbone``: train only the rest (attentions, bias) on that backbone, its batch
    norms kept in inference mode (the paper trains end to end, the default). ``device``: auto,
    cpu, cuda[:N]; ``amp``: auto, off, bf16, fp16; ``workers``: auto or a number of loader
    processes. ``resume``: continue from the newest ``epoch_NNN.pt`` in ``out_dir`` (the
    settings must match that run's); without it, ``out_dir`` must not hold a run already.
    ``keep_checkpoints``: keep only that many newest epoch checkpoints (default: all).
    ``stop_after``: run at most that many epochs in this call, then return the last
    ``epoch_NNN.pt`` (for time-sliced machines; continue later with ``resume=True``).
    """
    if stop_after is not None and stop_after < 1:
        raise ConfigError(f"stop_after must be >= 1 epoch, got {stop_after}")
    augment = Augment(stretch, int(translate), color_jitter, gray)
    config = TrainConfig(
        variant=variant, data=tuple(describe_source(s) for s in data),
        val_data=None if val_data is None else tuple(describe_source(s) for s in val_data),
        epochs=int(epochs), pairs_per_epoch=int(pairs_per_epoch),
        val_pairs=int(pairs_per_epoch) // 10 if val_pairs is None else int(val_pairs),
        val_fraction=float(val_fraction), batch_size=int(batch_size), lr=(float(lr[0]), float(lr[1])),
        momentum=float(momentum), weight_decay=float(weight_decay), sigma=float(sigma), omega_norm=omega_norm,
        max_gap=int(max_gap), augment=asdict(augment), seed=int(seed), model_config=dict(model_config or {}),
        init_from=None if init_from is None else str(init_from), freeze_backbone=bool(freeze_backbone),
    ).check()
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"the output folder {out_dir} is a file")
    device = resolve_device(device)
    amp_dtype = resolve_amp(amp, device)
    workers = resolve_workers(workers, device)
    state = None
    if epoch_checkpoints(out_dir):
        if not resume:
            raise ConfigError(f"{out_dir} already holds a training run (epoch_*.pt); pass resume=True "
                              f"(--resume) to continue it, or choose another folder")
        state = _latest_state(out_dir)
        if state is None:
            raise TrainingError(f"no readable epoch checkpoint in {out_dir} to resume from")
        differences = _config_differences(state["config"], config.as_dict())
        if differences:
            raise TrainingError(f"cannot resume {out_dir} with different settings (an exact continuation needs "
                                f"the same ones): " + "; ".join(differences))
    say = _Reporter(progress)
    fork_safe_opencv()
    start = len(state["history"]) if state is not None else 0
    stop = config.epochs if stop_after is None else min(config.epochs, start + int(stop_after))
    # everything that can refuse the inputs (the initial weights, the data) before the first line or file
    model = _initial_model(config).to(device)
    datasets = _datasets(data, val_data, config, augment, workers, say) if start < stop else None
    out_dir.mkdir(parents=True, exist_ok=True)
    say(f"training {config.variant} on {device} (autocast {_dtype_name(amp_dtype)}, {workers} loader workers)")

    channels_last = device.type == "cuda"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    if config.freeze_backbone:
        model.backbone.requires_grad_(False)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=config.lr[0],
                                momentum=config.momentum,
                                weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=lr_gamma(config.lr, config.epochs))
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype is torch.float16)
    history: list[dict] = []
    best_val = math.inf
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng"]["torch"])
        if device.type == "cuda" and state["rng"]["cuda"]:
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        history, best_val = list(state["history"]), float(state["best_val"])
        say(f"resuming {out_dir} after epoch {state['epoch']} of {config.epochs}")

    if datasets is not None:
        train_set, val_set = datasets
        _fit(model, optimizer, scheduler, scaler, config, train_set, val_set, out_dir, device, amp_dtype, workers,
             channels_last, history, best_val, say, keep_checkpoints, stop)
    if len(history) < config.epochs:
        say(f"stopped after epoch {len(history)} of {config.epochs}; continue with resume=True (--resume)")
        return epoch_checkpoints(out_dir)[len(history)]
    final = save_checkpoint(model, out_dir / "final.pt", _meta(config, history, device, amp_dtype))
    say(f"final weights: {final}")
    return final


class _Reporter:
    """Status lines: above the progress bar when there is one, else to the log."""

    def __init__(self, progress: bool) -> None:
        self.progress = progress

    def __call__(self, message: str) -> None:
        if self.progress:
            from tqdm import tqdm

            tqdm.write(message)
        else:
            log.info(message)


def _initial_model(config: TrainConfig) -> RASNet:
    if config.init_from is None:
        return build_model(config.variant, seed=config.seed, **config.model_config)
    if config.model_config:
        raise ConfigError("init_from takes the model layout from its checkpoint; drop model_config")
    model, _ = initial_weights(config.init_from, config.variant, seed=config.seed)
    return model


def _datasets(data: Sequence, val_data: Sequence | None, config: TrainConfig, augment: Augment, workers: int,
              say) -> tuple[PairDataset, PairDataset | None]:
    processes = max(workers, min(os.cpu_count() or 1, 16))  # rendering / indexing runs before training
    videos = [video for source in data for video in open_source(source, processes)]
    if val_data is not None:
        train_videos = videos
        val_videos = [video for source in val_data for video in open_source(source, processes)]
    else:
        train_videos, val_videos = split_videos(videos, config.val_fraction if config.val_pairs else 0.0)
        if config.val_pairs and not val_videos:
            warnings.warn("only one video: validation pairs come from the training video", DataWarning, stacklevel=2)
            val_videos = train_videos
    common = dict(seed=config.seed, max_gap=config.max_gap, sigma=config.sigma)
    train_set = PairDataset(train_videos, stream=0, augment=augment, **common)
    val_set = PairDataset(val_videos, stream=1, augment=None, **common) if config.val_pairs else None
    say(f"training on {train_set.video_count} videos, validating on {val_set.video_count if val_set else 0}")
    return train_set, val_set


def _fit(model, optimizer, scheduler, scaler, config: TrainConfig, train_set, val_set, out_dir: Path, device,
         amp_dtype, workers: int, channels_last: bool, history: list[dict], best_val: float, say,
         keep_checkpoints: int | None, stop: int) -> None:
    from tqdm import tqdm

    labels, weights = (torch.from_numpy(a).to(device) for a in make_labels())
    train_batches = EpochBatches(config.pairs_per_epoch, config.batch_size)
    train_loader = make_loader(train_set, train_batches, workers, device)
    val_loader = (make_loader(val_set, EpochBatches(config.val_pairs, config.batch_size), workers, device)
                  if val_set is not None else None)
    failures = _FailureLog()
    start = len(history)
    bar = tqdm(total=config.epochs * config.pairs_per_epoch, initial=start * config.pairs_per_epoch, unit="pair",
               dynamic_ncols=True, disable=not say.progress, smoothing=0.05)
    try:
        for epoch in range(start, stop):
            lr = optimizer.param_groups[0]["lr"]
            train_batches.epoch = epoch
            model.train()
            if config.freeze_backbone:
                model.backbone.eval()  # frozen: its batch norms keep their statistics
            total, seen = 0.0, 0
            began = time.perf_counter()
            for batch in train_loader:
                failures.add(batch["failures"])
                loss = train_step(model, optimizer, scaler, batch, labels, weights, amp_dtype=amp_dtype,
                                  channels_last=channels_last, omega_norm=config.omega_norm).item()
                if not math.isfinite(loss):
                    raise TrainingError(f"the loss became {loss} in epoch {epoch + 1} (lr {lr:.3g}); lower the "
                                        f"learning rate, or resume from {out_dir}'s last epoch_*.pt")
                n = len(batch["omega"])
                total += loss * n
                seen += n
                bar.update(n)
                bar.set_postfix_str(f"epoch {epoch + 1}/{config.epochs} loss {total / seen:.4f} lr {lr:.2e}")
            rate = seen / (time.perf_counter() - began)
            scheduler.step()
            val_loss = _validate(model, val_loader, labels, weights, config, device, amp_dtype, channels_last,
                                 failures) if val_loader is not None else None
            row = {"epoch": epoch + 1, "train_loss": total / seen, "val_loss": val_loss, "lr": lr,
                   "pairs_per_s": rate}
            history.append(row)
            if val_loss is not None and val_loss < best_val:
                best_val = val_loss
                save_checkpoint(model, out_dir / "best.pt", _meta(config, history, device, amp_dtype))
            _save_state(out_dir / f"epoch_{epoch + 1:03d}.pt", _training_state(model, optimizer, scheduler, scaler,
                                                                               config, history, best_val, device))
            _prune(out_dir, keep_checkpoints)
            write_loss_csv(out_dir / "loss.csv", history)
            try:
                plot_loss(out_dir / "loss.png", history, f"{config.variant}: training objective")
            except Exception as exc:  # a plotting problem must not end a long run
                warnings.warn(f"could not draw {out_dir / 'loss.png'}: {exc}", stacklevel=2)
            val_text = "" if val_loss is None else f" val {val_loss:.4f}"
            say(f"epoch {epoch + 1}/{config.epochs}: train {row['train_loss']:.4f}{val_text} lr {lr:.2e} "
                f"{rate:.1f} pairs/s{failures.summary()}")
    finally:
        bar.close()


@torch.no_grad()
def _validate(model, loader, labels, weights, config: TrainConfig, device, amp_dtype, channels_last,
              failures: _FailureLog) -> float:
    model.eval()
    total, seen = 0.0, 0
    for batch in loader:
        failures.add(batch["failures"])
        exemplar, search, omega = _to_device(batch, device, channels_last)
        loss = weighted_logistic_loss(pair_logits(model, exemplar, search, amp_dtype), labels, weights, omega,
                                      config.omega_norm)
        total += loss.item() * exemplar.shape[0]
        seen += exemplar.shape[0]
    return total / seen


def _training_state(model, optimizer, scheduler, scaler, config: TrainConfig, history, best_val, device) -> dict:
    return {
        "format": STATE_FORMAT, "format_version": STATE_VERSION, "epoch": len(history),
        "variant": model.variant, "model_config": model.config(), "config": config.as_dict(),
        "model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict() if scaler.is_enabled() else None,
        "rng": {"torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else []},
        "history": list(history), "best_val": best_val,
    }


def _prune(out_dir: Path, keep: int | None) -> None:
    if keep is None:
        return
    for _, path in sorted(epoch_checkpoints(out_dir).items())[:-max(keep, 1)]:
        path.unlink(missing_ok=True)


def _dtype_name(dtype: torch.dtype | None) -> str:
    return "off" if dtype is None else str(dtype).replace("torch.", "")


def _meta(config: TrainConfig, history: Sequence[dict], device: torch.device, amp_dtype) -> dict:
    from rasbench import __version__

    last = history[-1] if history else {}
    return {"trained_with": f"rasbench {__version__} train", "torch": str(torch.__version__),
            "device": device.type, "autocast": _dtype_name(amp_dtype), "epochs_done": len(history),
            "train_loss": last.get("train_loss"), "val_loss": last.get("val_loss"),
            "training_config": config.as_dict()}
