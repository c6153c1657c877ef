"""setup.cfg declares what the source tree holds: every package, the typing marker, the licence, Pillow."""
from __future__ import annotations

import configparser

from conftest import REPO
from setuptools import find_packages


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    return config


def test_every_package_is_declared():
    declared = set(_setup_cfg()["options"]["packages"].split())
    found = {"rasbench", "rasbench_trackers"} | {f"rasbench.{p}" for p in find_packages(REPO / "rasbench")}
    found |= {f"rasbench_trackers.{p}" for p in find_packages(REPO / "trackers")}
    assert {p for p in declared if not p.startswith("rasbench_experiments")} == found


def test_typed_licensed_and_pillow_declared():
    config = _setup_cfg()
    assert (REPO / "rasbench" / "py.typed").is_file() and config["options.package_data"]["rasbench"] == "py.typed"
    assert config["metadata"]["license"] == "MIT" and "MIT License" in (REPO / "LICENSE").read_text()
    requirements = config["options"]["install_requires"].split()
    assert any(r.startswith("Pillow") for r in requirements)  # rasbench/datasets/images.py and viewer.py use it
