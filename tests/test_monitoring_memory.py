"""A process that frees and reloads large arrays (the monitoring page's "Atualizar") hands the
freed memory back once ``memory.map_large_blocks`` has run, where glibc's default keeps it."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from laptop_pricing.monitoring import memory
from laptop_pricing.settings import REPO_ROOT

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="mallopt's mmap threshold is a glibc setting",
)

# Frees one 8 MB array (glibc then raises its mmap threshold to 8 MB), allocates forty 1 MB
# arrays, frees all but the last, and prints how much resident memory stayed behind.
RELOAD = """
import sys
import numpy as np
from laptop_pricing.monitoring import memory

def resident_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) / 1024

if sys.argv[1] == "mapped":
    assert memory.map_large_blocks()
frame = np.ones(1_000_000)
del frame
before = resident_mb()
columns = [np.ones(131_072) for _ in range(40)]
del columns[:-1]
print(resident_mb() - before)
"""


def grown_mb(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", RELOAD, mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    return float(done.stdout.strip())


def test_freed_large_arrays_go_back_to_the_system_once_mapped():
    assert grown_mb("mapped") < 10


def test_without_it_glibc_keeps_them():
    """The scenario above does show the problem: without the setting, about 39 MB stay."""
    assert grown_mb("default") > 30


def test_setting_twice_is_harmless():
    assert memory.map_large_blocks() is True
    assert memory.map_large_blocks() is True
