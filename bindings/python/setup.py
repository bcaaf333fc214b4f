# The cffi extension (kfk._kfk) is declared here: pyproject.toml has no
# field for cffi_modules.
from setuptools import setup

setup(cffi_modules=["kfk/_build.py:ffibuilder"])
