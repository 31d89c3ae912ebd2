"""Writing export files for the tests: text as a plain file or gzip-compressed, as exports come."""

from __future__ import annotations

import gzip
from pathlib import Path


def write_text(path: Path, text: str, gz: bool = False) -> Path:
    """``text`` into ``path``, gzip-compressed when ``gz``; returns ``path``."""
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path
