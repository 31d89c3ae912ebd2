"""The user's cache folder, and the one way costplan writes a file into it.

Everything here is a cache: a file that cannot be written, or is deleted, only means the work
is done again next time (the catalog's binary snapshots, the sample's inputs fingerprint, the
Price List downloads).
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/costplan`` (default ``~/.cache/costplan``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "costplan"


def write_cache_file(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically (a temporary file renamed into place, so a reader
    never sees half a file). Best effort: False, and nothing left behind, when it cannot be
    written (a read-only home, a full disk, a file where the folder should be)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # the folder itself could not be made
            pass
        return False
