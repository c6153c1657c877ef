"""Where ``trax:NAME`` trackers are declared: ``trackers.ini`` files in the VOT toolkit's format.

Looked up in ``$RASBENCH_TRAX_REGISTRY``, ``./trackers.ini`` and
``~/.config/rasbench/trackers.ini`` (:func:`registry_files`); each section becomes a
validated :class:`TraxDeclaration` that says how to start the tracker's process.
"""
from __future__ import annotations

import configparser
import logging
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TrackerError
from ..text import one_line, yaml_problem

log = logging.getLogger(__name__)

REGISTRY_ENV = "RASBENCH_TRAX_REGISTRY"
DEFAULT_TIMEOUT = 30.0  # seconds; the VOT toolkit's default `timeout`

_IDENTIFIER = re.compile(r"[a-zA-Z0-9_-]+\Z")  # vot.tracker.VALID_IDENTIFIER
_MODULE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_.]*\Z")  # vot.tracker.adapters: run as python -m
_KNOWN_KEYS = {"label", "protocol", "command", "paths", "linkpaths", "timeout", "socket", "restart", "python",
               "version", "tags", "storage", "env", "arguments", "metadata"}
SUPPORTED_PROTOCOLS = ("trax", "traxpython")


def to_logical(value: Any) -> bool:
    """A trackers.ini truth value (``true``, ``1``, ``yes``, ...) as the toolkit reads it."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "t", "y", "yes")  # vot.utilities.to_logical
    return bool(value)


def positive_seconds(value: Any, what: str) -> float:
    """``value`` as a positive number of seconds; TrackerError naming ``what`` otherwise."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds > 0:
        raise TrackerError(f"{what} must be a positive number of seconds, not {value!r}")
    return seconds


def _path_list(value: Any, root: Path) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(os.pathsep)
    return [os.path.normpath(os.path.join(root, os.path.expanduser(str(p).strip()))) for p in items if str(p).strip()]


@dataclass
class TraxDeclaration:
    """One ``[id]`` section of a trackers.ini (see vot-toolkit ``vot/tracker/__init__.py``).

    ``command``: for ``trax`` a command line (split like a POSIX shell); for
    ``traxpython`` a module name (run as ``python -m``) or Python statements (run with
    ``python -c`` after putting ``paths`` on ``sys.path``). ``paths`` and ``linkpaths``
    are relative to the registry file; ``env_NAME`` sets ``NAME`` (``$VARS`` expanded),
    ``arg_NAME`` becomes the TraX property ``NAME`` sent with every initialisation
    (vot-toolkit 0.9.0 parses but does not send them), ``meta_*`` is free metadata
    (rasbench reads ``meta_deterministic`` and ``meta_startup_timeout`` /
    ``meta_init_timeout`` / ``meta_frame_timeout``, which the toolkit ignores).
    """

    identifier: str
    protocol: str
    command: str
    source: Path | None = None
    label: str = ""
    paths: list = field(default_factory=list)
    linkpaths: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    arguments: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    timeout: float | None = None
    socket: bool = False
    restart: bool = False
    python: str | None = None

    def __post_init__(self):
        self.label = self.label or self.identifier

    @classmethod
    def from_mapping(cls, identifier: str, values: Mapping[str, Any], source: Path | None = None) -> TraxDeclaration:
        where = f"{source}, [{identifier}]" if source else f"[{identifier}]"
        root = Path(source).resolve().parent if source else Path.cwd()
        entries = {str(k).lower(): v for k, v in values.items()}
        env, arguments, metadata = {}, {}, {}
        for key, value in list(entries.items()):
            for prefix, target in (("env_", env), ("arg_", arguments), ("meta_", metadata)):
                if key.startswith(prefix) and len(key) > len(prefix):
                    name = key[len(prefix):]
                    target[name.upper() if prefix == "env_" else name] = (
                        os.path.expandvars(str(value)) if prefix == "env_" else str(value))
                    del entries[key]
        for key, target in (("env", env), ("arguments", arguments), ("metadata", metadata)):
            if isinstance(entries.get(key), Mapping):  # the YAML registry's nested form
                target.update({str(k): str(v) for k, v in entries[key].items()})
        unknown = sorted(set(entries) - _KNOWN_KEYS)
        if unknown:
            log.warning("%s: ignoring unknown key(s) %s", where, ", ".join(unknown))
        command = entries.get("command")
        if not command or not str(command).strip():
            raise TrackerError(f"{where}: no `command =` line (a TraX tracker needs the command that starts it)")
        protocol = str(entries.get("protocol") or "").strip().lower()
        if protocol not in SUPPORTED_PROTOCOLS:
            raise TrackerError(f"{where}: protocol {protocol or '(none)'!r} is not one rasbench can run "
                               f"(supported: {', '.join(SUPPORTED_PROTOCOLS)})")
        timeout = entries.get("timeout")
        return cls(
            identifier=identifier, protocol=protocol, command=str(command).strip(),
            source=Path(source).resolve() if source else None,
            label=str(entries.get("label") or identifier),
            paths=_path_list(entries.get("paths"), root), linkpaths=_path_list(entries.get("linkpaths"), root),
            env={k: v for k, v in env.items()}, arguments=arguments, metadata=metadata,
            timeout=None if timeout in (None, "") else positive_seconds(timeout, f"{where}: timeout"),
            socket=to_logical(entries.get("socket", False)), restart=to_logical(entries.get("restart", False)),
            python=str(entries["python"]) if entries.get("python") else None,
        )

    def argv(self) -> list[str]:
        """The process's argument vector."""
        if self.protocol == "traxpython":
            interpreter = self.python or sys.executable
            if _MODULE_NAME.match(self.command):
                return [interpreter, "-m", self.command]
            imports = "".join(f"sys.path.insert(0, {p!r}); " for p in reversed(self.paths))
            return [interpreter, "-c", f"import sys; {imports}{self.command}"]
        if os.name == "nt":
            return shlex.split(self.command, posix=False)
        return shlex.split(self.command)

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The process's environment: ours, then ``env_*``, ``TRAX=1``, link and Python paths."""
        env = dict(os.environ if base is None else base)
        for name in ("TRAX_SOCKET", "TRAX_IN", "TRAX_OUT"):  # ours, if rasbench is itself a TraX tracker
            env.pop(name, None)
        env.update(self.env)
        env["TRAX"] = "1"
        if self.linkpaths:
            # Prepended, not replaced: vot-toolkit 0.9.0 replaces LD_LIBRARY_PATH here.
            var = "PATH" if os.name == "nt" else "LD_LIBRARY_PATH"
            env[var] = os.pathsep.join(self.linkpaths + ([env[var]] if env.get(var) else []))
        if self.protocol == "traxpython":
            existing = env.get("PYTHONPATH")
            if self.paths:
                env["PYTHONPATH"] = os.pathsep.join(self.paths + ([existing] if existing else []))
            env["PYTHONUNBUFFERED"] = "1"
        return env


def registry_files() -> list[Path]:
    """Where ``trax:NAME`` is looked up, in order.

    Each entry of ``$RASBENCH_TRAX_REGISTRY`` (os.pathsep-separated; a folder means its
    ``trackers.ini`` and ``trackers.yaml``), then ``./trackers.ini``, then
    ``~/.config/rasbench/trackers.ini`` (``$XDG_CONFIG_HOME`` when set).
    """
    files: list[Path] = []
    for entry in os.environ.get(REGISTRY_ENV, "").split(os.pathsep):
        if entry.strip():
            path = Path(entry.strip()).expanduser()
            files += [path / "trackers.ini", path / "trackers.yaml"] if path.is_dir() else [path]
    files.append(Path.cwd() / "trackers.ini")
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    files.append(config_home / "rasbench" / "trackers.ini")
    unique: list[Path] = []
    for path in files:
        if path.absolute() not in [p.absolute() for p in unique]:
            unique.append(path)
    return unique


def _registry_sections(path: Path) -> dict[str, Mapping[str, Any]]:
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            with open(path, encoding="utf-8") as fp:
                data = yaml.load(fp, Loader=yaml.BaseLoader) or {}  # the toolkit's loader: all strings
            if not isinstance(data, Mapping):
                raise TrackerError(f"{path}: a TraX registry must map tracker names to their settings")
            return {str(k): v for k, v in data.items() if isinstance(v, Mapping)}
        config = configparser.ConfigParser()  # as vot-toolkit: keys lower-cased, % interpolation
        with open(path, encoding="utf-8") as fp:
            config.read_file(fp)
        return {name: dict(config[name]) for name in config.sections()}
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise TrackerError(f"{path}: cannot read this TraX registry: {one_line(exc)}") from exc
    except Exception as exc:  # YAML syntax errors and the like
        if isinstance(exc, TrackerError):
            raise
        raise TrackerError(f"{path}: cannot read this TraX registry: {yaml_problem(exc)}") from exc


def load_registry(path) -> dict[str, TraxDeclaration]:
    """Every valid declaration in one registry file (identifiers as the VOT toolkit allows them)."""
    path = Path(path)
    declarations = {}
    for name, values in _registry_sections(path).items():
        if not _IDENTIFIER.match(name):
            log.warning("%s: [%s] is not a valid tracker identifier (letters, digits, - and _); skipped", path, name)
            continue
        declarations[name] = TraxDeclaration.from_mapping(name, values, path)
    return declarations


def find_declaration(name: str, files: Sequence[Path] | None = None) -> TraxDeclaration:
    """The first declaration of ``name`` in the registry files (:func:`registry_files` by default)."""
    files = registry_files() if files is None else [Path(f) for f in files]
    seen: dict[str, list[str]] = {}
    for path in files:
        if not path.is_file():
            continue
        sections = _registry_sections(path)
        if name in sections:
            if not _IDENTIFIER.match(name):
                raise TrackerError(f"{path}: [{name}] is not a valid tracker identifier (letters, digits, - and _)")
            return TraxDeclaration.from_mapping(name, sections[name], path)
        seen[str(path)] = sorted(sections)
    searched = "; ".join(f"{p} ({', '.join(seen[str(p)]) or 'no trackers'})" if str(p) in seen else f"{p} (absent)"
                         for p in files)
    raise TrackerError(f"no TraX tracker {name!r} is declared. Searched: {searched}. Declare it in a trackers.ini "
                       f"section [{name}] with protocol and command lines, or point ${REGISTRY_ENV} at the file")

