"""Find a tracker from a command-line spec.

A spec is one of

* a registered name (``identity``, ``mil``, ...): entry points in the group
  ``rasbench.trackers``. rasbench registers its own trackers there too, so an installed
  package adds trackers the same way (``[options.entry_points]`` in its setup.cfg);
* ``SCHEME:ARG`` for the tracker families registered as entry points in the group
  ``rasbench.schemes`` (``opencv:KCF`` builds any ``cv2.Tracker<ARG>`` the installed
  OpenCV has; ``trax:NAME`` runs an external TraX tracker);
* ``module:Class`` or ``path/to/file.py:Class`` (a class or a factory callable).

Objects that subclass ``got10k.trackers.Tracker`` are wrapped so they run unchanged.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import RasbenchError, TrackerError, optional_dependency
from .fingerprint import code_fingerprint

ENTRY_POINT_GROUP = "rasbench.trackers"
SCHEME_GROUP = "rasbench.schemes"  # NAME = module:function; function(ARG) -> a factory taking the parameters


@dataclass
class TrackerSpec:
    """A resolved spec: how to build the tracker and what to call its results."""

    spec: str
    factory: Callable[..., Any]
    default_name: str
    params: dict = field(default_factory=dict)
    external: bool = False  # the tracker is another program (trax:): its code is not ours to fingerprint
    instance: Any = None  # a tracker object handed over as is (the API): create() returns it, factory is its class

    def create(self):
        """A new tracker; any error of its constructor is a :class:`TrackerError` with its message."""
        if self.instance is not None:
            return wrap_foreign(self.instance)
        try:
            tracker = self.factory(**self.params)
        except RasbenchError:
            raise
        except Exception as exc:
            raise TrackerError(f"cannot create tracker {self.spec!r} with parameters {self.params}: "
                               f"{type(exc).__name__}: {exc}") from exc
        return wrap_foreign(tracker)

    @functools.cached_property
    def code(self) -> str | None:
        """What identifies the tracker's code (:func:`code_fingerprint`); None for external programs."""
        return None if self.external else code_fingerprint(self.factory)


def entry_points(group: str):
    """The installed entry points of ``group`` (importlib.metadata imported here, not at
    import time: ~30 ms that a report, which never resolves a tracker, does not need)."""
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def registered_trackers() -> dict[str, str]:
    """Registered names and the object each entry point names."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def registered_schemes() -> dict[str, str]:
    """Registered schemes (``NAME`` of ``NAME:ARG`` specs) and the function each entry point names."""
    return {ep.name: ep.value for ep in entry_points(group=SCHEME_GROUP)}


def describe_schemes() -> dict[str, str]:
    """Registered schemes and a line on each: the first line of the function's docstring, else its target."""
    lines = {}
    for entry_point in entry_points(group=SCHEME_GROUP):
        try:
            doc = inspect.getdoc(entry_point.load()) or ""
        except Exception as exc:  # listed all the same, with the reason it cannot be used
            doc = f"{entry_point.value} (fails to load: {exc})"
        lines[entry_point.name] = doc.partition("\n")[0] or entry_point.value
    return lines


def resolve(spec: str, params: dict | None = None) -> TrackerSpec:
    params = dict(params or {})
    spec = spec.strip()
    registered = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if spec in registered:
        try:
            with optional_dependency(f"tracker {spec!r}"):
                factory = registered[spec].load()
        except RasbenchError:
            raise
        except Exception as exc:  # an entry point's module failing to import
            raise TrackerError(f"tracker {spec!r} ({registered[spec].value}) failed to load: {exc}") from exc
        return TrackerSpec(spec, factory, spec, params)
    scheme, sep, arg = spec.partition(":")
    schemes = {ep.name: ep for ep in entry_points(group=SCHEME_GROUP)}
    if sep and scheme in schemes:
        try:
            with optional_dependency(f"tracker scheme {scheme!r}"):
                make_factory = schemes[scheme].load()
        except RasbenchError:
            raise
        except Exception as exc:  # the scheme's module failing to import
            raise TrackerError(f"tracker scheme {scheme!r} ({schemes[scheme].value}) failed to load: {exc}") from exc
        factory = make_factory(arg)
        return TrackerSpec(spec, factory, f"{scheme}-{arg}".lower(), params,
                           external=bool(getattr(factory, "external", False)))
    if sep:
        factory = _load_object(scheme, arg, spec)
        name = getattr(factory, "name", None)
        if not isinstance(name, str):
            name = arg
        return TrackerSpec(spec, factory, name, params)
    known = ", ".join(sorted(registered)) or "none"
    raise TrackerError(
        f"unknown tracker {spec!r}. Registered trackers: {known}; "
        f"schemes: {', '.join(f'{s}:NAME' for s in sorted(schemes)) or 'none'}; or give module:Class or file.py:Class"
    )


def tracker_spec(tracker: Any, params: dict | None = None) -> TrackerSpec:
    """A spec string (:func:`resolve`), a :class:`TrackerSpec` (as is), a class or factory
    (built with ``params``), or a tracker object (used as is; no ``params``) as a spec.
    Objects are named ``module:qualname`` in manifests, and by their ``name`` attribute
    (else the class name) in results folders."""
    if isinstance(tracker, str):
        return resolve(tracker, params)
    if isinstance(tracker, TrackerSpec):
        return tracker
    given = not (inspect.isclass(tracker) or (callable(tracker) and not callable(getattr(tracker, "update", None))))
    factory = type(tracker) if given else tracker
    if given and params:
        raise TrackerError(f"parameters {params} build a tracker: pass its class or spec, not an object")
    qualname = getattr(factory, "__qualname__", type(factory).__qualname__)
    name = getattr(tracker, "name", None)
    return TrackerSpec(f"{factory.__module__}:{qualname}", factory, name if isinstance(name, str) else qualname,
                       dict(params or {}), instance=tracker if given else None)


def _load_object(module_ref: str, attr: str, spec: str):
    try:
        with optional_dependency(f"tracker {spec!r}"):
            if module_ref.endswith(".py"):
                path = Path(module_ref).resolve()
                if not path.is_file():
                    raise TrackerError(f"tracker file {path} " + ("is not a file" if path.exists() else
                                                                   "does not exist") + f" (from {spec!r})")
                module_name = f"rasbench_user_tracker_{abs(hash(str(path)))}"
                module_spec = importlib.util.spec_from_file_location(module_name, path)
                module = importlib.util.module_from_spec(module_spec)
                sys.modules[module_name] = module
                module_spec.loader.exec_module(module)
            else:
                module = importlib.import_module(module_ref)
    except RasbenchError:
        raise
    except Exception as exc:
        hint = ""
        if module_ref.isidentifier():  # NAME:ARG with a mistyped or uninstalled scheme NAME, maybe
            schemes = ", ".join(sorted(registered_schemes())) or "none"
            hint = f" (nor is {module_ref!r} a registered tracker scheme: {schemes})"
        raise TrackerError(f"cannot import {module_ref!r} for tracker {spec!r}: {exc}{hint}") from exc
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TrackerError(f"{module_ref!r} has no attribute {attr!r} (from tracker {spec!r})")
        obj = getattr(obj, part)
    if not callable(obj):
        raise TrackerError(f"{spec!r} is not a class or factory")
    return obj


def _is_got10k_tracker(obj: Any) -> bool:
    return any(
        cls.__module__.startswith("got10k.") and cls.__name__ == "Tracker"
        for cls in inspect.getmro(type(obj))
    )


def wrap_foreign(tracker: Any):
    """Adapt trackers written for other toolkits to the rasbench contract."""
    if _is_got10k_tracker(tracker):
        from .adapters.from_got10k import FromGot10k

        return FromGot10k(tracker)
    for method in ("init", "update"):
        if not callable(getattr(tracker, method, None)):
            raise TrackerError(f"{type(tracker).__name__} has no {method}() method; "
                               "see rasbench.tracker for the contract")
    return tracker
