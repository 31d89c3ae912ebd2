"""Active users per month: the denominator of cost per user.

The bill does not know how many people use the platform; the product does. A CSV with one row
per month gives the store that number (``costplan import users FILE``)::

    month,active_users
    2026-09,9850
    2026-10,10000

``month`` is ``YYYY-MM``; ``active_users`` a non-negative number [users]. Other columns are
ignored. The report then shows actual cost per user by month (EffectiveCost / active users)
instead of dividing by the projection's assumed user count.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

REQUIRED = ("month", "active_users")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def read_users_csv(path: str | Path) -> pd.DataFrame:
    """Read and check a users CSV; every problem (with its line) is reported at once.

    Returns ``month`` (``YYYY-MM``) and ``active_users`` [users], sorted by month."""
    import pandas as pd

    f = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise InputError(
                    Problem(
                        f"missing column(s) {', '.join(missing)}",
                        file=f,
                        line=1,
                        hint="the header needs month,active_users (e.g. 2026-10,10000)",
                    )
                )
            rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=f)) from None
    except IsADirectoryError:
        raise InputError(Problem("is a folder; name the CSV file", file=f)) from None
    except OSError as exc:
        raise InputError(Problem(f"cannot read: {exc.strerror}", file=f)) from None
    except UnicodeDecodeError as exc:
        raise InputError(Problem(f"not a UTF-8 text file ({exc.reason})", file=f)) from None
    problems, seen, out = [], {}, []
    for line, r in enumerate(rows, start=2):
        month, users = r.get("month", ""), r.get("active_users", "")
        ok = True
        if not MONTH.fullmatch(month):
            problems.append(Problem(f"month {month!r} is not YYYY-MM", file=f, line=line, location="month"))
            ok = False
        elif month in seen:
            problems.append(
                Problem(f"month {month} appears twice (also line {seen[month]})", file=f, line=line, location="month")
            )
            ok = False
        try:
            value = float(users)
            if not value >= 0 or value == float("inf"):
                raise ValueError
        except ValueError:
            problems.append(
                Problem(
                    f"active_users {users!r} is not a non-negative number",
                    file=f,
                    line=line,
                    location="active_users",
                    hint="a plain number such as 10000",
                )
            )
            ok = False
        if ok:
            seen[month] = line
            out.append({"month": month, "active_users": value})
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError(Problem("no rows: nothing to import", file=f, hint="one row per month: 2026-10,10000"))
    return pd.DataFrame(out).sort_values("month").reset_index(drop=True)
