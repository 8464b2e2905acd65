"""Whether the text fast paths run their compiled loops (numba, when installed).

Both paths give the same output; tests switch ``enabled`` off to compare them, and
``DEDUP_DISABLE_NUMBA=1`` in the environment turns them off as it does for the hashing kernels.
"""

from __future__ import annotations

import os
from types import ModuleType

enabled = True
_module: ModuleType | bool | None = None


def kernels() -> ModuleType | None:
    """The compiled kernels module, or ``None`` (numba missing, or switched off)."""
    global _module
    if not enabled:
        return None
    if _module is None:
        if os.environ.get("DEDUP_DISABLE_NUMBA"):
            _module = False
            return None
        try:
            from dedup.text import _numba_kernels

            _numba_kernels.warm_up()
            _module = _numba_kernels
        except ImportError:
            _module = False
    return _module or None  # type: ignore[return-value]
