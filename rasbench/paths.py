"""Names that become parts of file-system paths.

Every name that arrives from outside and ends up in a path (a tracker or results-folder
name, a benchmark or sequence name from a YAML file or an annotation file, a channel or
file name from a download server) is checked here, once, where it enters: it must be one
plain path component. That closes path traversal (``../x``, ``/etc``), folder nesting
(``a/b``), hidden or special entries (``.``, ``..``, ``.download``) and line injection
into the text files some of these names are written to (a newline in a name).
"""
from __future__ import annotations

import re

from .errors import ConfigError, RasbenchError

# Characters that are never part of a name: path separators, NUL and other control
# characters, and those Windows forbids in file names (results folders get copied).
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_NAME_BYTES = 255  # the file-name limit of common file systems


def path_component(value: object, what: str, error: type[RasbenchError] = ConfigError) -> str:
    """``value`` if it is safe as one path component, else ``error`` naming ``what``.

    ``what`` says where the name came from (``"tracker name"``, ``"sequence name in
    VOT2017.json"``); the message quotes the value with ``repr`` so invisible characters
    show.
    """
    if not isinstance(value, str):
        raise error(f"{what} must be a string, got {value!r}")
    problem = None
    if not value.strip():
        problem = "it is empty"
    elif value != value.strip():
        problem = "it starts or ends with white space"
    elif value.startswith("."):
        problem = "it starts with '.'"
    elif _FORBIDDEN.search(value):
        problem = "it contains a path separator, a control character or one of : * ? \" < > |"
    elif len(value.encode("utf-8")) > MAX_NAME_BYTES:
        problem = f"it is longer than {MAX_NAME_BYTES} bytes"
    if problem:
        raise error(f"{what} {value!r} cannot name a file or folder: {problem}")
    return value
