"""Benchmark definitions: YAML files in the top-level ``experiments/`` folder.

Installed as the data package ``rasbench_experiments``. A definition names its
sequences, where their data may live, and its experiments (protocol + options).
``base:`` pulls in shared keys from another file (the OTB experiments, for one).
Users add benchmarks by dropping YAML files into a folder listed in
``$RASBENCH_EXPERIMENTS`` or by passing a YAML path wherever a benchmark name goes.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from ..errors import ConfigError
from ..paths import path_component
from ..text import load_yaml, plural, yaml_problem
from .families import FAMILY_DECLS, ProtocolOptions, protocol_options

ATTRIBUTE_CODES = ("IV", "OPR", "SV", "OCC", "DEF", "MB", "FM", "IPR", "OV", "BC", "LR")
# Dataset layouts (a definition's ``format``) whose sequences may be listed by name alone,
# the data giving their length.
NAME_ONLY_FORMATS = ("vot", "lasot", "got10k", "trackingnet")
# The folder and ground-truth file (in that folder) a sequence has by default in each
# dataset layout ({class}: the name up to its last '-', LaSOT's <class>/<class>-<n>;
# TrackingNet keeps every sequence's ground truth in ``anno/``).
LAYOUT_DEFAULTS = {"vot": ("{name}", "groundtruth.txt"), "lasot": ("{class}/{name}", "groundtruth.txt"),
                   "nfs": ("{name}", "30/{name}.txt"), "got10k": ("{name}", "groundtruth.txt"),
                   "trackingnet": ("anno", "{name}.txt")}


@dataclass(frozen=True)
class SequenceSpec:
    """Where one target's data lives in the OTB layout and what is known about it."""

    name: str
    folder: str
    groundtruth: str
    first: int
    last: int | None  # None: the data says (VOT sequences are listed by name only)
    anno: str
    attributes: tuple[str, ...] = ()
    init_omit: tuple[tuple[int, int], ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def length(self) -> int:
        if self.last is None:
            raise ConfigError(f"the length of {self.name} is not part of its definition")
        return self.last - self.first + 1


@dataclass(frozen=True)
class ExperimentDef:
    """One experiment of a benchmark: its protocol, the family that protocol belongs to
    (chosen once, here), the options as the definition writes them and as checked,
    typed ``settings`` (a :class:`~rasbench.config.families.ProtocolOptions`)."""

    name: str
    protocol: str
    family: str
    options: dict = field(default_factory=dict, hash=False)
    settings: ProtocolOptions | None = field(default=None, hash=False)

    @property
    def dataset_layout(self) -> str:
        """The dataset layout this experiment reads (its family's)."""
        return FAMILY_DECLS[self.family].dataset_layout


@dataclass(frozen=True)
class BenchmarkDef:
    name: str
    title: str
    format: str
    sequences: dict[str, SequenceSpec] = field(hash=False)
    experiments: dict[str, ExperimentDef] = field(hash=False)
    attribute_names: dict[str, str] = field(default_factory=dict, hash=False)
    attribute_codes: tuple[str, ...] = ATTRIBUTE_CODES  # the attributes sequences may have, in table order
    dataset_dirs: tuple[str, ...] = ()
    annotation_files: tuple[str, ...] = ()
    download: dict = field(default_factory=dict, hash=False)
    generator: dict = field(default_factory=dict, hash=False)
    aliases: tuple[str, ...] = ()
    path: Path | None = None
    raw: dict = field(default_factory=dict, hash=False)  # the merged YAML, for format-specific keys

    def dataset_layout(self, experiment: str | None = None) -> str:
        """The dataset layout ``experiment`` reads (default: the first experiment's); a
        definition without experiments reads its ``format``."""
        if experiment is not None:
            return self.experiment(experiment).dataset_layout
        first = next(iter(self.experiments.values()), None)
        return first.dataset_layout if first is not None else self.format

    def experiment(self, name: str) -> ExperimentDef:
        try:
            return self.experiments[name.lower()]
        except KeyError:
            raise ConfigError(f"{self.name} has no experiment {name!r}; it has {', '.join(self.experiments)}") from None


def definitions_dirs() -> list[Path]:
    """User folders from $RASBENCH_EXPERIMENTS first, then the shipped definitions."""
    dirs = [Path(p) for p in os.environ.get("RASBENCH_EXPERIMENTS", "").split(os.pathsep) if p]
    spec = importlib.util.find_spec("rasbench_experiments")
    if spec is not None and spec.submodule_search_locations:
        dirs += [Path(p) for p in spec.submodule_search_locations if Path(p).is_dir()]
    return dirs


def _read_yaml(path: Path) -> dict:
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read benchmark definition {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level")
    return data


def _with_base(path: Path, seen=()) -> dict:
    data = _read_yaml(path)
    if "table" in data:  # relative to the file that names it
        data["table"] = str((path.parent / data["table"]).resolve())
    base = data.pop("base", None)
    if base is None:
        return data
    base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise ConfigError(f"circular base: {path} -> {base_path}")
    merged = _with_base(base_path, seen + (path.resolve(),))
    for key, value in data.items():  # mappings (experiments, download) merge one level deep
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _benchmark_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for directory in reversed(definitions_dirs()):  # user folders override shipped ones
        for path in sorted(directory.glob("*.yaml")):
            files[path.stem.lower()] = path
    return files


def list_benchmarks() -> list[str]:
    return sorted(files for files, path in _benchmark_files().items() if "name" in _read_yaml(path))


def describe_benchmarks() -> list[str]:
    """Each benchmark as "available:" lists and help texts show it: ``"vot2017 (vot2018)"``."""
    files = _benchmark_files()
    out = []
    for name in list_benchmarks():
        aliases = [str(a) for a in _read_yaml(files[name]).get("aliases") or ()]
        out.append(name + (f" ({', '.join(aliases)})" if aliases else ""))
    return out


def find_definition(name: str) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    files = _benchmark_files()
    key = name.lower()
    if key in files:
        return files[key]
    for path in files.values():
        if key in [a.lower() for a in _read_yaml(path).get("aliases", [])]:
            return path
    raise ConfigError(f"unknown benchmark {name!r}; available: {', '.join(describe_benchmarks())}, or a YAML file")


@cache
def load_benchmark(name: str) -> BenchmarkDef:
    path = find_definition(name)
    data = _with_base(path)
    for key in ("name", "format", "sequences", "experiments"):
        if key not in data:
            raise ConfigError(f"{path}: missing key {key!r}")
    path_component(data["name"], f"{path}: benchmark name")  # it names the results folder
    table_data = _with_base(Path(data["table"])) if "table" in data else {}
    specs = _sequence_specs(data, table_data, path)
    if "eao_interval" in data:
        raise ConfigError(f"{path}: eao_interval is an option of the baseline and realtime experiments "
                          f"(experiments: {{baseline: {{eao_interval: [low, high], ...}}}})")
    experiments = {}
    for exp_name, exp in (data["experiments"] or {}).items():
        path_component(exp_name, f"{path}: experiment name")
        exp = dict(exp or {})
        protocol = exp.pop("protocol", exp_name)
        where = f"{path}: experiment {exp_name}"
        options = protocol_options(protocol, where)  # checked once here, so a run cannot fail on them later
        experiments[exp_name.lower()] = ExperimentDef(exp_name.lower(), protocol, options.family, exp,
                                                      options.parse(exp, where))
    return BenchmarkDef(
        name=data["name"],
        title=data.get("title", data["name"]),
        format=data["format"],
        sequences=specs,
        experiments=experiments,
        attribute_names=dict(table_data.get("attribute_names") or data.get("attribute_names") or {}),
        attribute_codes=_attribute_codes(data, table_data),
        dataset_dirs=tuple(data.get("dataset_dirs", [])),
        annotation_files=tuple(data.get("annotations", [])),
        download=dict(data.get("download") or {}),
        generator=dict(data.get("generator") or {}),
        aliases=tuple(data.get("aliases", [])),
        path=path,
        raw=data,
    )


def _attribute_codes(data: dict, table_data: dict) -> tuple[str, ...]:
    """The attribute codes of a definition: its table's ``attribute_order`` (LaSOT's 14,
    UAV123's 12), else OTB's 11."""
    return tuple(str(c) for c in table_data.get("attribute_order") or data.get("attribute_order") or ATTRIBUTE_CODES)


def _sequence_specs(data: dict, table_data: dict, path: Path) -> dict[str, SequenceSpec]:
    table = table_data.get("sequences") or {}
    codes = _attribute_codes(data, table_data)
    specs: dict[str, SequenceSpec] = {}
    for entry in data["sequences"]:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(entry, (str, dict)) or name is None:
            raise ConfigError(f"{path}: a sequence entry must be a name or a mapping with 'name', got {entry!r}")
        path_component(name, f"{path}: sequence name")  # it names result files and folders
        placeholders = {"name": name, "class": str(name).rsplit("-", 1)[0]}
        default_folder, groundtruth = (pattern.format(**placeholders) for pattern in
                                       LAYOUT_DEFAULTS.get(data["format"], ("{name}", "groundtruth_rect.txt")))
        if isinstance(entry, str) and data["format"] in NAME_ONLY_FORMATS and entry not in table:
            specs[entry] = SequenceSpec(name=entry, folder=default_folder, groundtruth=groundtruth, first=1,
                                        last=None, anno=entry)
            continue
        if isinstance(entry, str):
            if entry not in table:
                raise ConfigError(f"{path}: sequence {entry!r} is not in the sequence table")
            row = dict(table[entry])
        else:
            row = dict(entry)
            row.setdefault("frames", [1, row.get("length", 0)])
        # other toolkits' result names: pytracking's uav_<seq>, tpl_<seq> (a definition's result_prefix)
        prefixed = (data["result_prefix"] + name,) if data.get("result_prefix") else ()
        first, last = (int(v) for v in row["frames"])
        if last < first:
            raise ConfigError(f"{path}: sequence {name} has frames [{first}, {last}]")
        unknown = [a for a in row.get("attributes", []) if a not in codes]
        if unknown:
            raise ConfigError(f"{path}: sequence {name} has {plural(len(unknown), 'unknown attribute')} "
                              f"{', '.join(map(str, unknown))}")
        specs[name] = SequenceSpec(
            name=name,
            folder=row.get("folder", default_folder),
            groundtruth=row.get("groundtruth", groundtruth),
            first=first,
            last=last,
            anno=row.get("anno", name),
            attributes=tuple(a for a in codes if a in row.get("attributes", [])),
            init_omit=tuple((int(a), int(b)) for a, b in row.get("init_omit", [])),
            aliases=tuple(row.get("aliases", [])) + prefixed,
        )
    return specs
