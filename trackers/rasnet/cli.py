"""RASNet's commands for the ``rasbench`` CLI: ``weights`` (convert, download, pack, info) and ``train``.

Registered in the entry-point group ``rasbench.commands``, which :mod:`rasbench.cli` adds
to its command group, so the core never imports this package. The module imports only
click: torch and the modules that need it are imported inside the commands, so listing
the commands (``rasbench --help``) costs no torch import.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from rasbench.errors import optional_dependency


@click.group()
def weights():
    """Inspect and convert tracker weight files (RASNet checkpoints, SiamFC models)."""


@weights.command("convert")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--variant", default="rasnet", show_default=True,
              help="siamfc, genatt, dualatt, chanatt or rasnet: the model the backbone initialises.")
@click.option("--format", "source_format", default="auto", show_default=True,
              type=click.Choice(["auto", "matconvnet", "siamfc-pytorch", "sequential"]),
              help="SiamFC MatConvNet model (2016-08-17.net.mat), siamfc-pytorch / got10k .pth.")
@click.option("--seed", type=int, default=0, show_default=True, help="Initialisation of the layers the source lacks.")
def weights_convert(src, dst, variant, source_format, seed):
    """Turn SiamFC weights into a RASNet checkpoint (backbone from SRC, the rest initialised)."""
    with optional_dependency("rasbench weights convert"):
        from .weights import convert

    info = convert(src, dst, variant=variant, source_format=source_format, seed=seed)
    click.echo(f"wrote {dst}: " + ", ".join(f"{k}={v}" for k, v in info.items()))


@weights.command("download")
@click.argument("name")
@click.option("--url", help="A mirror of the same file (it must have the official file's git blob id).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def weights_download(name, url, quiet):
    """Fetch official weights, verify them and convert them for their tracker.

    \b
    NAME is siamfc-3s: SiamFC's 2016-08-17.net.mat from the SiamFC project page, checked
    by its git blob id, converted to <cache>/weights/siamfc-3s.pt (cache: $RASBENCH_CACHE
    or ~/.cache/rasbench), which `rasbench run ... -t siamfc-3s` then uses.
    """
    with optional_dependency("rasbench weights download"):
        from .weights import download_official

    info = download_official(name, url=url, progress=not quiet)
    click.echo(f"{name}: {info['source']} (git blob {info['git_blob_id']})\n  converted: {info['checkpoint']}\n"
               f"  `rasbench run BENCHMARK -t {name}` uses it from now on")


@weights.command("pack")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--note", help="A line stored in the checkpoint's meta (what the weights are).")
def weights_pack(src, dst, note):
    """Re-save a checkpoint in half precision (half the size) for shipping."""
    with optional_dependency("rasbench weights pack"):
        from .weights import pack

    info = pack(src, dst, note)
    click.echo(f"wrote {dst}: " + ", ".join(f"{k}={v}" for k, v in info.items()))


@weights.command("info")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def weights_info(path):
    """Describe a checkpoint: variant, constructor arguments, parameter count, sha256."""
    with optional_dependency("rasbench weights info"):
        from .weights import describe_checkpoint

    click.echo(json.dumps(describe_checkpoint(path), indent=2, default=str))


@click.command()
@click.option("--variant", type=click.Choice(["rasnet", "siamfc", "genatt", "dualatt", "chanatt"]), default="rasnet",
              show_default=True)
@click.option("--data", "data", multiple=True, required=True, metavar="KIND:PATH",
              help="got10k:DIR, vid:DIR, synth: (generated on the fly, seeds 1-4), synth:SEEDS (7, 1-8, 1,5) "
                   "or synth:DIR. Repeat to mix.")
@click.option("--val-data", multiple=True, metavar="KIND:PATH", help="Validation data (default: held-out videos).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder (checkpoints, loss.csv/png).")
@click.option("--epochs", type=int, default=50, show_default=True)
@click.option("--pairs-per-epoch", type=int, default=60000, show_default=True)
@click.option("--val-pairs", type=int, help="Validation pairs per epoch (default: 10% of the training pairs).")
@click.option("--val-fraction", type=float, default=0.1, show_default=True, help="Videos held out for validation.")
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", type=float, nargs=2, default=(1e-2, 1e-5), show_default=True,
              help="Start and end of the exponentially decaying learning rate.")
@click.option("--momentum", type=float, default=0.9, show_default=True)
@click.option("--weight-decay", type=float, default=5e-4, show_default=True)
@click.option("--sigma", type=float, default=100.0, show_default=True,
              help="Temporal weighting exp(-|i-j|/sigma) (inf: off).")
@click.option("--omega-norm", type=click.Choice(["batch", "omega"]), default="batch", show_default=True)
@click.option("--max-gap", type=int, default=100, show_default=True, help="Largest exemplar-search frame gap.")
@click.option("--stretch", type=float, default=0.05, show_default=True)
@click.option("--translate", type=int, default=4, show_default=True)
@click.option("--color-jitter", type=float, default=0.1, show_default=True)
@click.option("--gray", type=float, default=0.0, show_default=True, help="Share of pairs turned grey.")
@click.option("--init", "init_from", type=click.Path(exists=True, path_type=Path),
              help="Start from a checkpoint of the variant, or from SiamFC weights (2016-08-17.net.mat, a "
                   "siamfc-pytorch .pth): their backbone, the rest initialised.")
@click.option("--freeze-backbone", is_flag=True, help="With --init: train only the attentions and the bias "
              "(default: end to end, as the paper).")
@click.option("--device", default="auto", show_default=True)
@click.option("--amp", type=click.Choice(["auto", "off", "bf16", "fp16"]), default="auto", show_default=True)
@click.option("--workers", default="auto", show_default=True, help="Data-loader workers.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--resume", is_flag=True, help="Continue the run in --out exactly where it stopped.")
@click.option("--keep-checkpoints", type=int, help="Keep only the last N epoch checkpoints.")
@click.option("--stop-after", type=int, help="Stop after N more epochs (continue later with --resume).")
@click.option("--quiet", "-q", is_flag=True)
def train(variant, data, val_data, out, epochs, pairs_per_epoch, val_pairs, val_fraction, batch_size, lr, momentum,
          weight_decay, sigma, omega_norm, max_gap, stretch, translate, color_jitter, gray, init_from,
          freeze_backbone, device, amp, workers, seed, resume, keep_checkpoints, stop_after, quiet):
    """Train RASNet (or an ablation): SGD, logistic loss with temporal weighting; from scratch or --init."""
    with optional_dependency("rasbench train"):
        from .train import train as run_training

    logging.getLogger("rasbench").setLevel(logging.INFO)
    final = run_training(variant, list(data), out, epochs=epochs, pairs_per_epoch=pairs_per_epoch,
                         batch_size=batch_size,
                         lr=tuple(lr), momentum=momentum, weight_decay=weight_decay, sigma=sigma,
                         omega_norm=omega_norm, max_gap=max_gap, val_data=list(val_data) or None,
                         val_pairs=val_pairs, val_fraction=val_fraction, stretch=stretch, translate=translate,
                         color_jitter=color_jitter, gray=gray, init_from=init_from,
                         freeze_backbone=freeze_backbone, device=device, amp=amp,
                         workers=workers, seed=seed, resume=resume, progress=not quiet,
                         keep_checkpoints=keep_checkpoints, stop_after=stop_after)
    click.echo(f"checkpoint: {final}")
