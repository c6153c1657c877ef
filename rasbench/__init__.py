"""rasbench: visual object tracking benchmarks with exact reference conventions.

Importing this package is cheap (numpy only); torch, matplotlib and OpenCV load when
a feature needs them.
"""
__version__ = "0.1.0"
