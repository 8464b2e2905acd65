"""Root pytest config: doctests of modules whose optional dependency is missing are skipped."""

import importlib.util

collect_ignore_glob = []
_OPTIONAL = {"numba": ["dedup/sketch/_numba_kernels.py"]}
for module, paths in _OPTIONAL.items():
    if importlib.util.find_spec(module) is None:
        collect_ignore_glob.extend(paths)
