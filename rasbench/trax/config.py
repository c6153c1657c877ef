"""``rasbench trax --print-config``: the ``trackers.ini`` section that runs a rasbench tracker
in a VOT workspace (the toolkit starts ``python -m rasbench trax --tracker SPEC`` over TraX).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..registry import registered_schemes, registered_trackers
from .registry import DEFAULT_TIMEOUT
from .wire import PROTOCOL_VERSION


def _config_value(value: Any) -> str:
    """A ``-p`` value as text that reads back (as YAML) to the same value."""
    import yaml

    if isinstance(value, str):
        return value if yaml.safe_load(value) == value else json.dumps(value)
    return json.dumps(value)


def _absolute_if_local(value: Any) -> Any:
    # The VOT toolkit starts trackers in a temporary folder: relative paths would break.
    if isinstance(value, str) and value and not os.path.isabs(value) and os.path.exists(value):
        return os.path.abspath(value)
    return value


def _spec_for_config(spec: str) -> tuple[str, str | None]:
    """(spec with an absolute file path, a folder to put on PYTHONPATH or None)."""
    module, sep, attr = spec.partition(":")
    if not sep or spec in registered_trackers() or module in registered_schemes():
        return spec, None
    if module.endswith(".py"):
        return f"{os.path.abspath(module)}:{attr}", None
    try:
        found = importlib.util.find_spec(module.split(".")[0])
    except (ImportError, ValueError):
        found = None
    origin = getattr(found, "origin", None)
    if not origin or origin in ("built-in", "frozen"):
        return spec, None
    top = Path(origin).resolve().parent
    if Path(origin).name == "__init__.py":
        top = top.parent
    installed = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    if any(base in top.parents or base == top for base in installed):
        return spec, None
    return spec, str(top)  # importable here only through the current folder or PYTHONPATH


def trackers_ini_entry(tracker: str | None = None, params: Mapping[str, Any] | None = None, *,
                       identifier: str | None = None, region: str = "rectangle",
                       version: int = PROTOCOL_VERSION, python: str | None = None) -> str:
    """The ``trackers.ini`` section(s) a VOT workspace needs to run rasbench trackers over TraX.

    Without ``tracker``: one section per registered tracker. The command starts
    ``<python> -m rasbench trax --tracker SPEC`` with absolute paths (the toolkit runs it in
    a temporary folder); ``%`` is doubled for configparser.
    """
    if tracker is None:
        return "\n".join(trackers_ini_entry(name, params, region=region, version=version, python=python)
                         for name in sorted(registered_trackers()))
    spec, pythonpath = _spec_for_config(tracker)
    section = identifier or "rasbench_" + (re.sub(r"[^A-Za-z0-9_-]+", "_", tracker).strip("_") or "tracker")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", section):
        raise ValueError(f"{section!r} cannot name a VOT tracker (letters, digits, - and _ only)")
    argv = [os.path.abspath(python or sys.executable), "-m", "rasbench", "trax", "--tracker", spec]
    for key, value in (params or {}).items():
        argv += ["-p", f"{key}={_config_value(_absolute_if_local(value))}"]
    if region != "rectangle":
        argv += ["--region", region]
    if version != PROTOCOL_VERSION:
        argv += ["--trax-version", str(version)]
    lines = [
        f"[{section}]",
        f"# rasbench tracker {tracker!r} served over TraX (written by `rasbench trax --print-config`).",
        "# Paste into the trackers.ini of a VOT workspace. The toolkit starts the command in a",
        "# temporary folder, so every path is absolute. Environment variables for the tracker go on",
        "# env_NAME = value lines (e.g. env_CUDA_VISIBLE_DEVICES = 0); vot-toolkit 0.9.0 sets",
        "# LD_LIBRARY_PATH to its `linkpaths` (empty without them), so add env_LD_LIBRARY_PATH = ...",
        "# if the tracker needs one. Write % as %% in any value (configparser).",
        f"label = rasbench {tracker}".replace("%", "%%"),
        "protocol = trax",
        "command = " + shlex.join(argv).replace("%", "%%"),
    ]
    if pythonpath:
        existing = os.environ.get("PYTHONPATH")
        value = os.pathsep.join([pythonpath] + ([existing] if existing else []))
        lines.append(f"env_PYTHONPATH = {value}".replace("%", "%%"))
    lines.append(f"# timeout = {int(DEFAULT_TIMEOUT)}")
    return "\n".join(lines) + "\n"

