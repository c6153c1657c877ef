"""Published numbers: other people's scores without raw results (``experiments/published/*.yaml``).

They are shown beside re-computed ones as rows and hollow points, always marked
"published, not re-computed", never take part in "best" / "second best", and appear only
when a report scores the whole sequence set they were published on (never beside a
``--sequences`` subset). Where a tracker is also re-computed, reports put both side by
side with the difference, flagged when it exceeds what the source's rounding explains.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..config.benchmarks import BenchmarkDef, definitions_dirs
from ..errors import ConfigError
from ..text import load_yaml, yaml_problem

DAGGER = "\u2020"  # marks a published number


def short_title(benchmark: BenchmarkDef) -> str:
    """"OTB-2015" from "OTB-2015 (TB-100, TPAMI 2015, ...)"."""
    return benchmark.title.split(" (")[0]


@dataclass(frozen=True)
class PublishedNumber:
    """One number as a paper or table printed it (see experiments/published/)."""

    tracker: str
    benchmark: str
    experiment: str
    metric: str
    value: float
    source: str
    status: str
    as_published: str = ""
    verified: bool = True
    context: str = ""  # set when shown on an alias: "vot2018" numbers on vot2017

    @property
    def label(self) -> str:
        """The name to print: "SiamRPN++" for "siamrpn_r50_l234_dwxcorr_otb (SiamRPN++)",
        with the benchmark it was published on when that is an alias."""
        inner = re.search(r"\(([^)]+)\)\s*$", self.tracker)
        name = inner.group(1) if inner else self.tracker
        return f"{name} ({self.context})" if self.context else name


def published_files() -> list[Path]:
    """``published/*.yaml`` of every benchmark-definition folder ($RASBENCH_EXPERIMENTS
    first, then the shipped one)."""
    files = []
    for directory in definitions_dirs():
        files += sorted((Path(directory) / "published").glob("*.yaml"))
    return files


def load_published(paths: list[Path] | None = None) -> list[PublishedNumber]:
    """Every entry of the published-number files, in file order (earlier entries win
    where one tracker has several numbers for the same benchmark and metric)."""
    import yaml

    numbers = []
    for path in published_files() if paths is None else paths:
        try:
            data = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read published numbers {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"published numbers {path} are not valid YAML: {yaml_problem(exc)}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"published numbers {path} must hold a mapping with 'entries', got "
                              f"{type(data).__name__}")
        for i, entry in enumerate(data.get("entries") or [], 1):
            try:
                numbers.append(PublishedNumber(
                    tracker=str(entry["tracker"]), benchmark=str(entry["benchmark"]).lower(),
                    experiment=str(entry.get("experiment", "ope")).lower(), metric=str(entry["metric"]),
                    value=float(entry["value"]), source=str(entry.get("source", "")),
                    status=str(entry.get("status", "")), as_published=str(entry.get("as_published", "")),
                    verified=bool(entry.get("verified", True))))
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{path}: entry {i} is malformed ({exc})") from None
    return numbers


def name_keys(name: str) -> set[str]:
    """Names a tracker may go by: "siamrpn_r50 (SiamRPN++)" is also "SiamRPN++"."""
    keys = {name}
    inner = re.search(r"\(([^)]+)\)", name)
    if inner:
        keys |= {inner.group(1), name[:inner.start()]}
    return {re.sub(r"[^a-z0-9+]", "", k.lower()) for k in keys} - {""}


def published_comparable(benchmark: BenchmarkDef, sequences) -> bool:
    """Whether scores over ``sequences`` compare with numbers published on ``benchmark``
    (or an alias): only when they are its whole sequence set."""
    return set(sequences) == set(benchmark.sequences)


def select_published(numbers: list[PublishedNumber], benchmark: BenchmarkDef, experiments,
                     recomputed=(), sequences=None) -> tuple[list[PublishedNumber], list[PublishedNumber]]:
    """(numbers to show, numbers of trackers re-computed here) for ``benchmark`` (its
    name or an alias) and ``experiments``; one number per (tracker, experiment, metric),
    the first listed (all numbers of re-computed trackers are kept). ``sequences``: the
    scored sequence names; none are selected unless they are the benchmark's whole set."""
    if sequences is not None and not published_comparable(benchmark, sequences):
        return [], []
    names = {benchmark.name.lower(), *(a.lower() for a in benchmark.aliases)}
    ours = set().union(*(name_keys(n) for n in recomputed)) if recomputed else set()
    seen: dict[tuple, set] = {}
    shown, matched = [], []
    for p in numbers:
        if p.benchmark not in names or p.experiment not in experiments:
            continue
        keys = name_keys(p.tracker)
        if p.benchmark != benchmark.name.lower():
            p = replace(p, context=p.benchmark.upper() if p.benchmark.startswith("vot") else p.benchmark)
        if keys & ours:  # every number of a re-computed tracker, to compare with ours
            matched.append(p)
            continue
        taken = seen.setdefault((p.experiment, p.metric), set())
        if keys & taken:  # the same tracker under another of its names
            continue
        taken |= keys
        shown.append(p)
    return shown, matched


def printed_unit(p: PublishedNumber) -> float:
    """One unit of the last digit the source printed, on rasbench's scale: 0.01 for
    "= 0.52", 0.0001 for the jwlim toolkit's "= 46.17" (percent, value 0.4617). Taken
    from ``as_published``; from the value itself when that holds no number."""
    numbers = re.findall(r"\d+(?:\.\d+)?", p.as_published)
    text = numbers[-1] if numbers else repr(float(p.value))
    printed = float(text)
    decimals = len(text.split(".")[1]) if "." in text else 0
    scale = p.value / printed if printed and p.value else 1.0  # 0.01 for a percentage
    return 10.0 ** -decimals * scale


def beyond_rounding(p: PublishedNumber, recomputed: float) -> bool:
    """Whether ``recomputed`` differs from the published number by more than its
    rounding can explain: half a unit of the last printed digit (plus float slack)."""
    return abs(recomputed - p.value) > printed_unit(p) / 2 + 1e-9
