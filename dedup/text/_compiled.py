"""Whether the text fast paths run their compiled loops (numba, when installed).

Both paths give the same output; tests switch ``enabled`` off to compare them, and
``DEDUP_DISABLE_NUMBA=1`` in the environment turns them off as it does for the hashing kernels.
"""

from __future__ import annotations

import os
from types import ModuleType

enabled = True

# ``_numba_kernels.line_scan``'s flags (here, so that the tables are built without numba):
# rare units
LINE_BREAK = 1  # the line break
UNJUDGED = 2  # a twin (a non-ASCII character a case-insensitive pattern matches with an
# ASCII letter: ASCII needles cannot judge it) or a surrogate (offsets are in str indices)
# unit classes, OR'ed into the line flags
NONBLANK = 1  # a unit ``\s`` does not match
WORD = 2  # a unit ``\w`` matches
DIGIT = 4  # a unit ``\d`` matches (its runs are counted for the rules)
UNSTABLE = 8  # a unit NFC or NFKC may change (see boilerplate._stable_table)
# where they sit in the line pass's unit table (see _numba_kernels.line_scan): bits 0-4
# the needle key, then the class (4 bits), the rare bits (2), the class of the one-unit
# needles (5), the first-character class (8) and the last-character class (8)
INFO_CLASS = 5
INFO_RARE = 9
INFO_ONE = 11
INFO_FIRST = 16
INFO_LAST = 24
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
        registered = _colorama_reset_registered()
        try:
            from dedup.text import _numba_kernels

            _numba_kernels.warm_up()
            _module = _numba_kernels
        except ImportError:
            _module = False
        if registered is False and _colorama_reset_registered():
            _unregister_colorama_reset()
    return _module or None  # type: ignore[return-value]


# numba's first compilation formats an error message with colorama, whose ``init`` registers
# an exit handler writing a terminal reset (ESC [0m) to stdout: the output of a command on a
# terminal would end with it. The handler is removed again when loading the kernels added it.


def _colorama_reset_registered() -> bool | None:
    try:
        from colorama import initialise
    except ImportError:
        return None
    return bool(getattr(initialise, "atexit_done", None))


def _unregister_colorama_reset() -> None:
    import atexit

    from colorama import initialise

    atexit.unregister(initialise.reset_all)
    initialise.atexit_done = False
