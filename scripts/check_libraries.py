#!/usr/bin/env python3
"""Loads every shared library under a folder, so that one broken by stripping fails the image build.

    python scripts/check_libraries.py /opt/venv/lib/python3.11/site-packages

A library vendored into a wheel (numpy.libs/, scipy.libs/) is found only once
the extension module that needs it has loaded it, so the libraries that fail
are tried again until a pass loads none of them.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path


def load_all(folder: Path) -> int:
    left = sorted(str(p) for p in folder.rglob("*.so*") if p.is_file() and ".so" in p.suffixes)
    total = len(left)
    while left:
        failed = []
        for library in left:
            try:
                ctypes.CDLL(library)
            except OSError as error:
                failed.append((library, error))
        if len(failed) == len(left):
            sys.exit("These libraries do not load:\n" + "\n".join(f"{lib}: {err}" for lib, err in failed))
        left = [library for library, _ in failed]
    return total


if __name__ == "__main__":
    print(f"{load_all(Path(sys.argv[1]))} shared libraries load")
