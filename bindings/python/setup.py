# The extensions are declared here, as pyproject.toml has no field for
# them: kfk._kfk (cffi, API mode, kfk/_build.py) and kfk._speedups (the
# producer's hot paths with the Python C API, kfk/_speedups.c).
import os
import sys

from setuptools import Extension, setup

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "kfk"))
from _build import build_flags  # noqa: E402

flags = build_flags()
setup(
    cffi_modules=["kfk/_build.py:ffibuilder"],
    ext_modules=[Extension("kfk._speedups", ["kfk/_speedups.c"],
                           extra_compile_args=["-O2", "-std=gnu11"],
                           libraries=[l for l in flags["libraries"] if l != "kfk_mock"],
                           include_dirs=flags["include_dirs"],
                           library_dirs=flags["library_dirs"],
                           runtime_library_dirs=flags["runtime_library_dirs"])],
)
