"""rasbench: visual object tracking benchmarks with exact reference conventions.

Importing this package is cheap (numpy only); torch, matplotlib and OpenCV load when
a feature needs them.
"""
from ._version import __version__

__all__ = ["__version__"]
