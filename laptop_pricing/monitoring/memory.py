"""Keep a process that reloads a year of rows from growing with each reload.

glibc's ``malloc`` gives a large block a mapping of its own, returned to the system when the
block is freed, but only above a threshold that it raises, by default, to the size of the largest
mapped block freed so far (up to 32 MB). Once the monitoring page frees a year's frame (each
"Atualizar", each TTL expiry), the next year's columns (1 to 9 MB each) are carved from the heap
instead, whose freed holes are never handed back, and the process grows by tens of MB per reload.
Fixing the threshold at glibc's initial 128 KiB keeps every large array in its own mapping.
"""

from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)
LARGE_BLOCK_BYTES = 128 * 1024  # glibc's own initial threshold


def map_large_blocks() -> bool:
    """Fix glibc's mmap threshold for this process; False (and nothing done) on a C library
    without ``mallopt`` (macOS) or one that refuses it. Idempotent."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES) == 1)
