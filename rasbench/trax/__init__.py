"""TraX, the VOT toolkits' tracker protocol, in pure Python: server and client.

Nothing here loads the native ``libtrax`` (the most common TraX complaint is that
library failing to load) or imports the ``trax`` package; the tests use that package
only as the reference to talk to.

One module per role:

* :mod:`~rasbench.trax.wire`: the message format, regions and images on the wire, the
  handshake (the protocol itself is described there);
* :mod:`~rasbench.trax.server`: :func:`serve` drives any rasbench tracker over TraX
  (``rasbench trax --tracker NAME``);
* :mod:`~rasbench.trax.config`: :func:`trackers_ini_entry` writes the ``trackers.ini``
  section for a VOT workspace (``rasbench trax --print-config``);
* :mod:`~rasbench.trax.client`: :class:`TraxTracker` is a rasbench tracker backed by an
  external TraX process (``--tracker trax:NAME``);
* :mod:`~rasbench.trax.registry`: where such processes are declared (``trackers.ini``).
"""
from .client import TraxTracker
from .config import trackers_ini_entry
from .registry import TraxDeclaration, find_declaration, load_registry, registry_files
from .server import run_server, serve
from .wire import (
                   PROTOCOL_VERSION,
                   Hello,
                   Image,
                   Message,
                   MessageParser,
                   Region,
                   encode_message,
                   image_argument,
                   parse_image,
                   parse_message,
                   parse_region,
)

__all__ = [
    "PROTOCOL_VERSION", "Hello", "Image", "Message", "MessageParser", "Region", "encode_message", "image_argument",
    "parse_image", "parse_message", "parse_region",
    "serve", "run_server", "trackers_ini_entry",
    "TraxTracker", "TraxDeclaration", "find_declaration", "load_registry", "registry_files",
]
