"""Exceptions raised by costplan.

Every error a user can cause carries enough context to fix it: the file, the line or field
path, and what would have been valid. The CLI maps :class:`InputError` (and its subclasses)
to exit code 2 and every other :class:`CostplanError` to exit code 1.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class CostplanError(Exception):
    """Base class of every error costplan raises on purpose."""


@dataclass
class Problem:
    """One thing wrong with an input: where, what, and what would be valid."""

    message: str
    file: str | None = None
    location: str | None = None  # a field path such as ``regions.us-east-1.node_pools[0].count``
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
        if self.location:
            where = f"{where}: {self.location}" if where else self.location
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(CostplanError):
    """Bad input from the user: a file, an option or a value. CLI exit code 2.

    Holds every problem found, not only the first, so a user fixes a file in one pass.
    """

    def __init__(self, problems: str | Problem | Sequence[Problem], *, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class PriceNotFoundError(InputError):
    """The catalog has no price for the requested key. Never silently priced at $0."""


class AwsError(CostplanError):
    """An AWS call failed in a way the user must act on (permissions, throttling left over)."""


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates closest to ``word`` (for 'did you mean' hints)."""
    cands = sorted(set(c for c in candidates if c is not None))
    found = difflib.get_close_matches(word, cands, n=n, cutoff=0.5)
    if not found:
        # prefix / substring fallback, useful for instance families ("c5.larg")
        found = [c for c in cands if word and (c.startswith(word[:3]) or word in c)][:n]
    return found


def did_you_mean(word: str, candidates: Iterable[str], what: str = "value") -> str:
    """A hint naming the closest valid values, or a short list of valid values."""
    cands = sorted(set(candidates))
    near = closest(word, cands)
    if near:
        return "did you mean " + " or ".join(repr(c) for c in near) + "?"
    if len(cands) <= 12:
        return f"valid {what}s: " + ", ".join(cands)
    return f"{len(cands)} valid {what}s; see `costplan prices info`"
