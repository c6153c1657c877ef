"""The one compiled part: rasbench._textparse (the numeric text parser's fast path).

Everything else is in setup.cfg. The extension is optional: where no C compiler or
Python headers are found, the install goes on without it and rasbench parses the same
files with numpy's reader instead (same values, slower)."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("rasbench._textparse", ["rasbench/_textparse.c"], optional=True,
                             extra_compile_args=["-O2", "-fno-fast-math"])])
