"""Shared CLI plumbing: output formats, rendering, and error -> exit-code mapping.

Kept light: only typer and the standard library are imported at module level, so that
``costplan --help`` starts fast. pandas and rich tables are imported when output is rendered.
"""

from __future__ import annotations

import enum
import functools
import json
import math
import os
import sys
from collections.abc import Callable
from typing import Any

import typer


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


STRICT_PRICES_OPTION = typer.Option(
    None, "--strict-prices/--no-strict-prices",
    help="Refuse any estimate-grade (verified=false) price: exit 2 naming the lines (default: setting "
    "`strict_prices`, false).",
)
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format: table, json, csv or markdown.")

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

RATES_OPTION = typer.Option(
    "list", "--rates", help="list: the catalog's list prices; bill: your effective rates from "
    "`costplan prices from-bill` where the bill has them, list prices elsewhere.",
)
BILL_RATES_OPTION = typer.Option(
    None, "--bill-rates", help="Bill-rate overlay for --rates bill (default: the newest one from-bill wrote)."
)

#: Modules of the optional extras (pyproject.toml) -> the extra that installs them.
OPTIONAL_MODULES = {
    "papermill": "notebooks", "nbconvert": "notebooks", "nbformat": "notebooks", "nbclient": "notebooks",
    "jupyter_client": "notebooks", "ipykernel": "notebooks", "kaleido": "notebooks", "choreographer": "notebooks",
    "hcl2": "terraform", "pulumi": "pulumi",
}


#: Friendly ``--by`` names beside the FOCUS column names they stand for (case-insensitive).
BY_ALIASES = {
    "service": "ServiceName", "region": "RegionId", "account": "SubAccountId", "team": "tag:team",
    "kind": "component_kind", "category": "ChargeCategory", "usage_type": "x_UsageType",
}


def resolve_by(keys) -> list[str]:
    """``--by`` keys with the friendly aliases (``BY_ALIASES``) replaced by their FOCUS names.

    >>> resolve_by(["service", "Region", "team", "ServiceName", "tag:env"])
    ['ServiceName', 'RegionId', 'tag:team', 'ServiceName', 'tag:env']
    """
    return [BY_ALIASES.get(k.lower(), k) for k in keys]


def err(message: str) -> None:
    """Print an error for a person, on stderr, without a traceback."""
    _say("[bold red]error:[/]", "error:", message)


def warn(message: str) -> None:
    _say("[yellow]warning:[/]", "warning:", message)


def finding(message: str, severity: str = "warning") -> None:
    """A finding about the user's own documents (a commitment that cannot work, a claimed cost
    off the mark): what costplan found, not a failure of costplan."""
    label = "[bold magenta]finding:[/]" if severity == "error" else "[magenta]finding:[/]"
    _say(label, "finding:", message)


def info(message: str) -> None:
    _say("", "", message)


def _say(label_markup: str, label: str, message) -> None:
    """One line for a person on stderr: ``label`` (rich markup ``label_markup``) and ``message``,
    through rich's console on a terminal (its colours); elsewhere, when rich would print the
    text as it is (no colours forced, no emoji code, backslash or control character), written as it is,
    without importing rich (0.02 s of a command that prints a warning)."""
    text = f"{label} {message}" if label else str(message)
    if _plain_stderr(text):
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
        return
    from rich.console import Console

    markup = f"{label_markup} {_escape(message)}" if label_markup else _escape(message)
    Console(stderr=True, highlight=False, soft_wrap=True).print(markup)


_EMOJI_CODE = None


def _plain_stderr(text: str) -> bool:
    """True when rich's ``Console(stderr=True, highlight=False, soft_wrap=True)`` would write
    ``text`` (escaped markup) on stderr unchanged, followed by a newline: stderr is no terminal
    and nothing makes rich treat it as one (``FORCE_COLOR``, ``TTY_COMPATIBLE``, Jupyter, IDLE),
    and the text has no ``:name:`` emoji code, no backslash (rich's escaping doubles a final
    one), no tab or other control character but newlines."""
    global _EMOJI_CODE
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    if "IPython" in sys.modules or "idlelib" in sys.modules:
        return False
    try:
        if sys.stderr is None or sys.stderr.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    if "\\" in text or not all(line.isprintable() for line in text.split("\n")):
        return False
    if _EMOJI_CODE is None:
        import re

        _EMOJI_CODE = re.compile(r"(:(\S*?)(?:(?:\-)(emoji|text))?:)")  # rich's pattern for emoji codes
    return _EMOJI_CODE.search(text) is None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(str(text))


def cli_errors(fn: Callable) -> Callable:
    """Map costplan's exceptions to exit codes: InputError -> 2, other CostplanError -> 1.

    An ``OSError`` (a full disk, a permission denied) is the environment's, not the input's:
    exit 1 with the path. Unexpected exceptions print one line and exit 1; set
    ``COSTPLAN_DEBUG=1`` for the traceback.
    Python warnings raised on the way are printed as ``warning: ...`` lines on stderr.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import warnings

        from costplan.errors import CostplanError, InputError

        try:
            with warnings.catch_warnings():
                # library warnings (a price estimate used, a sample rebuilt) as one plain line
                warnings.showwarning = lambda message, *_a, **_k: warn(str(message))
                from costplan.config import check_sources

                check_sources()  # a broken pyproject.toml stops every command, before it does anything
                return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except InputError as exc:
            err(str(exc))
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except CostplanError as exc:
            err(str(exc))
            raise typer.Exit(EXIT_FAILURE) from None
        except KeyboardInterrupt:
            err("interrupted")
            raise typer.Exit(130) from None
        except OSError as exc:  # the environment (disk full, permissions), never bad input
            if os.environ.get("COSTPLAN_DEBUG"):
                raise
            where = exc.filename if exc.filename is not None else "a file"
            err(f"{where}: {exc.strerror or exc}" + (f" (-> {exc.filename2})" if exc.filename2 else ""))
            raise typer.Exit(EXIT_FAILURE) from None
        except MemoryError:
            err("out of memory; try fewer --simulations or --months, or a smaller input")
            raise typer.Exit(EXIT_FAILURE) from None
        except Exception as exc:  # last resort: keep the user away from tracebacks
            if os.environ.get("COSTPLAN_DEBUG"):
                raise
            extra = OPTIONAL_MODULES.get((getattr(exc, "name", None) or "").split(".")[0])
            if isinstance(exc, ModuleNotFoundError) and extra:
                err(f"this command needs {exc.name}, from an optional extra: pip install 'costplan[{extra}]'")
            else:
                err(f"unexpected {type(exc).__name__}: {exc} (set COSTPLAN_DEBUG=1 for the traceback)")
            raise typer.Exit(EXIT_FAILURE) from None

    return wrapper


def _json_default(o: Any):
    import datetime as dt

    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if hasattr(o, "item"):  # numpy scalars
        v = o.item()
        return None if isinstance(v, float) and not math.isfinite(v) else v
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    if isinstance(o, set):
        return sorted(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


def _finite(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None: JSON has no NaN or Infinity,
    and costplan's JSON output says null for a number that is missing or undefined. Floats
    keep 10 significant digits: enough for any price, without binary noise (4524.011910999991
    is written 4524.011911)."""
    if isinstance(obj, float):
        return float(f"{obj:.10g}") if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    """JSON text of ``obj``; NaN and infinities become null (never invalid JSON)."""
    return json.dumps(_finite(obj), indent=2, default=lambda o: _finite(_json_default(o)), allow_nan=False)


def emit_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


#: ``--wide``: every column of a table, however wide (set by the option's callback).
_WIDE = {"on": bool(os.environ.get("COSTPLAN_WIDE"))}


def _set_wide(value: bool) -> bool:
    # called on every run (with the default too), so one run's --wide never leaks into the next
    _WIDE["on"] = bool(value) or bool(os.environ.get("COSTPLAN_WIDE"))
    return value


WIDE_OPTION = typer.Option(
    False, "--wide", help="Show every column of the tables, however wide (default: fit the terminal).",
    callback=_set_wide, expose_value=True,
)


def emit_frame(
    df,
    fmt: Format,
    *,
    title: str | None = None,
    money: tuple[str, ...] = (),
    percent: tuple[str, ...] = (),
    caption: str | None = None,
    keep: tuple[str, ...] = (),
    wide: bool | None = None,
) -> None:
    """Render a DataFrame (or, for the table and Markdown views, a pandas-free
    :class:`costplan.frames.Rows`) as a rich table, JSON records, CSV or a Markdown table.

    ``money`` columns are shown with two decimals and ``percent`` columns (fractions) as
    percentages in the table and Markdown views; CSV and JSON round ``money`` to cents and
    other floats to 10 significant digits (no binary float noise such as 4524.011910999991).

    The table fits the terminal: numbers are never wrapped; when the columns do not fit, the
    rightmost ones not in ``keep`` (the first column is always kept) are left out and named
    under the table, then text columns are shortened with an ellipsis. ``--wide`` (or
    ``wide=True``) shows every column.
    """
    fmt = Format(fmt)
    from costplan.frames import Rows

    if isinstance(df, Rows) and fmt in (Format.json, Format.csv) and not percent and df.plain():
        # text, yes/no and numbers, as DuckDB returns them: written without pandas, as the frame writes them
        (_emit_rows_json if fmt is Format.json else _emit_rows_csv)(df, money)
        return
    if isinstance(df, Rows) and fmt in (Format.json, Format.csv):
        df = df.to_frame()
    if fmt in (Format.table, Format.markdown) and percent:

        def as_percent(v):
            return "" if v is None or v != v else f"{100 * v:.1f}%"

        if isinstance(df, Rows):
            for c in percent:
                df = df.map_column(c, as_percent)
        else:
            df = df.copy()
            for c in percent:
                df[c] = df[c].map(as_percent)
    if fmt is Format.json:
        from costplan.frames import json_records

        if money:
            df = df.copy()
            for c in money:
                if c in df.columns and _numeric(df[c]):
                    df[c] = df[c].round(2) + 0.0  # no -0.0
        emit_json(json_records(df))
    elif fmt is Format.csv:
        df = df.copy()
        import pandas as pd

        for c in df.columns:
            if c in money and _numeric(df[c]):
                df[c] = df[c].round(2) + 0.0
            elif pd.api.types.is_float_dtype(df[c]):  # 10 significant digits: no binary float noise
                df[c] = df[c].map(lambda v: float(f"{v:.10g}") if v == v else v)
        sys.stdout.write(df.to_csv(index=False))
    elif fmt is Format.markdown:
        sys.stdout.write(frame_to_markdown(df, money=money, title=title) + "\n")
    else:
        _print_table(df, title=title, money=money, caption=caption, keep=keep,
                     wide=_WIDE["on"] if wide is None else wide)


def _rows_values(rows, money: tuple[str, ...]):
    """``rows``' values as CSV and JSON write them: ``money`` columns rounded to cents (no
    -0.0), other floats to 10 significant digits (no binary float noise)."""
    cents = [c in money for c in rows.columns]
    for r in rows.rows:
        yield [round(v, 2) + 0.0 if m and isinstance(v, (int, float)) and not isinstance(v, bool)
               else float(f"{v:.10g}") if isinstance(v, float) and v == v else v
               for v, m in zip(r, cents, strict=True)]


def _emit_rows_csv(rows, money: tuple[str, ...]) -> None:
    """A :class:`costplan.frames.Rows` (:meth:`~costplan.frames.Rows.plain`) as pandas' ``to_csv``
    writes its frame: a header, ``True``/``False``, floats as ``repr`` (``1234.0``), nothing for a
    missing value, quotes only where needed."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows.columns)
    writer.writerows([("" if v is None or v != v else v) for v in r] for r in _rows_values(rows, money))
    sys.stdout.write(out.getvalue())


def rows_records(rows, money: tuple[str, ...] = ()) -> list[dict]:
    """A :class:`costplan.frames.Rows` as JSON records, as :func:`costplan.frames.json_records`
    gives its frame (a missing value is null; ``money`` to cents, other floats to 10 significant
    digits). Its values must be JSON values already (text, numbers, yes/no, None)."""
    return [dict(zip(rows.columns, r, strict=True)) for r in _rows_values(rows, money)]


def _emit_rows_json(rows, money: tuple[str, ...]) -> None:
    """A :class:`costplan.frames.Rows` (:meth:`~costplan.frames.Rows.plain`) as JSON records."""
    emit_json(rows_records(rows, money))


def _print_table(df, *, title, money, caption, keep, wide) -> None:
    from rich.table import Table

    console = console_out()
    values, is_number = _table_columns(df)
    cells = {c: [_cell(v, c in money) for v in values[c]] for c in df.columns}
    numeric = {c: is_number[c] or _looks_numeric(cells[c]) for c in df.columns}
    natural = {c: max([len(str(c))] + [len(x) for x in cells[c]]) for c in df.columns}
    width = console.width

    def least(c) -> int:
        """the narrowest a column gets: a number whole, text down to its heading or 12 characters"""
        return natural[c] if numeric[c] else min(natural[c], max(12, min(len(str(c)), 20)))

    def total(shown, size=natural.get) -> int:  # rich's default box: padding each side, a rule between
        return sum(size(c) for c in shown) + 3 * len(shown) + 1

    shown = list(df.columns)
    hidden: list = []
    if wide:
        width = max(width, total(shown))
        console = console_out(width)
    else:
        protected = {df.columns[0], *keep, *money} if len(df.columns) else set()
        while total(shown, least) > width:
            candidates = [c for c in shown if c not in protected]
            if not candidates:
                break
            hidden.insert(0, candidates[-1])
            shown.remove(candidates[-1])
    note = caption
    if hidden:
        extra = f"not shown: {', '.join(map(str, hidden))} (--wide shows every column; --format csv or json has them all)"
        note = f"{caption}; {extra}" if caption else extra
    # widths: numbers whole; text columns share what is left, each up to its natural width
    size = {c: natural[c] for c in shown}
    text = sorted((c for c in shown if not numeric[c]), key=lambda c: natural[c])
    room = width - total([c for c in shown if numeric[c]]) - 3 * len(text)
    for i, c in enumerate(text):
        share = max(room // (len(text) - i), least(c))
        size[c] = min(natural[c], share)
        room -= size[c]
    table = Table(title=title, caption=note, show_lines=False)
    for c in shown:
        if numeric[c]:
            table.add_column(str(c), justify="right", no_wrap=True, width=size[c])
        else:
            table.add_column(str(c), justify="left", no_wrap=True, overflow="ellipsis", width=size[c])
    for i in range(len(df)):
        table.add_row(*[cells[c][i] if numeric[c] else shorten(cells[c][i], size[c]) for c in shown])
    console.print(table)


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: a path (``a/b/c``) loses its middle, so its
    first and last parts stay readable; other text (a list of paths too) loses its end. An ellipsis marks the cut.

    >>> shorten("us-east-1/node_pools/analytics", 24), shorten("EKS control plane", 10)
    ('us-east-1/n…ls/analytics', 'EKS contr…')
    """
    if len(text) <= width or width < 2:
        return text
    if "/" in text and ", " not in text and width >= 8:
        tail = (width - 1) // 2 + (width - 1) % 2
        head = width - 1 - tail
        return text[:head] + "…" + text[-tail:]
    return text[: width - 1] + "…"


def console_out(width: int | None = None):
    """A console for stdout: the terminal's width (``COLUMNS`` when set), or 160 columns when
    output is piped. No emoji codes: a name such as ``:cloud:`` in a bill is printed as written
    (and rich's table of emoji is not loaded)."""
    from rich.console import Console

    if width is None and not sys.stdout.isatty() and not os.environ.get("COLUMNS"):
        width = 160
    return Console(width=width, soft_wrap=False, emoji=False)


def _looks_numeric(values: list[str]) -> bool:
    """Formatted numbers (``1,234.50``, ``12.5%``, ``-3``): kept whole, right-aligned."""
    import re

    pat = re.compile(r"^[-+]?[$]?[\d,]*\.?\d+(e[-+]?\d+)?%?$")
    vals = [v for v in values if v]
    return bool(vals) and all(pat.match(v) for v in vals)


def _table_columns(df) -> tuple[dict, dict]:
    """``({column: values}, {column: numeric})`` of a DataFrame or a :class:`costplan.frames.Rows`
    (a column of Rows is numeric when every value it holds is an int or a float, not a bool)."""
    from costplan.frames import Rows

    if isinstance(df, Rows):
        values = {c: df.column(c) for c in df.columns}
        numeric = {}
        for c, vals in values.items():
            held = [v for v in vals if v is not None]
            numeric[c] = bool(held) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in held)
        return values, numeric
    return {c: df[c].tolist() for c in df.columns}, {c: _numeric(df[c]) for c in df.columns}


def _numeric(series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _cell(v, is_money: bool) -> str:
    import math

    from rich.markup import escape

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if is_money and isinstance(v, (int, float)):
        return f"{round(v, 2) + 0.0:,.2f}"  # a difference of -0.001 is 0.00, not -0.00
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"  # counts stay whole
        return f"{v:,.6g}"
    return escape(str(v))


def frame_to_markdown(df, *, money: tuple[str, ...] = (), title: str | None = None) -> str:
    """A GitHub-flavoured Markdown table (pipes in values are escaped)."""

    def cell(v, c):
        s = _cell(v, c in money)
        return s.replace("|", "\\|").replace("\n", " ")

    lines = []
    if title:
        lines += [f"**{title}**", ""]
    cols = [str(c) for c in df.columns]
    values, numeric = _table_columns(df)
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join("---:" if numeric[c] else "---" for c in df.columns) + "|")
    for i in range(len(df)):
        lines.append("| " + " | ".join(cell(values[c][i], c) for c in df.columns) + " |")
    return "\n".join(lines)


def help_text(text: str) -> str:
    """Keep example paragraphs (lines indented by two spaces) exactly as written in --help."""
    paras = text.strip("\n").split("\n\n")
    out = []
    for p in paras:
        lines = p.split("\n")
        if all(ln.startswith("  ") for ln in lines if ln.strip()):
            p = "\b\n" + p
        out.append(p)
    return "\n\n".join(out)


# -- where spend is read (--engine and the remote engines' options) -----------------------------
ENGINE_OPTION = typer.Option(
    None, "--engine", help="Where spend is read: duckdb (the local store, default: setting `engine`), athena or "
    "spark (docs/org-scale.md)."
)
SPARK_PATH_OPTION = typer.Option(None, "--spark-path", help="Spark: Parquet folder of a FOCUS or CUR 2.0 export.")
SPARK_TABLE_OPTION = typer.Option(None, "--spark-table", help="Spark: table of a FOCUS or CUR 2.0 export.")
ATHENA_DATABASE_OPTION = typer.Option(None, "--database", help="Athena: Glue database.")
ATHENA_TABLE_OPTION = typer.Option(None, "--table", help="Athena: table of the FOCUS or CUR 2.0 export.")
ATHENA_OUTPUT_OPTION = typer.Option(None, "--output", help="Athena: s3:// location for query results.")
ATHENA_WORKGROUP_OPTION = typer.Option(None, "--workgroup", help="Athena: workgroup.")
TABLE_FORMAT_OPTION = typer.Option("focus", "--table-format", help="Athena / Spark: focus or cur (CUR 2.0).")
MAX_SCAN_OPTION = typer.Option(
    None, "--max-scan-gb", help="Athena: stop before a query that would take the data scanned past this [GB]."
)


def open_spend(engine, *, store=None, spark_path=None, spark_table=None, database=None, table=None, output=None,
               workgroup=None, table_format="focus", profile=None, max_scan_gb=None, currency=None):
    """The spend source the options name: the store, Athena or Spark (library:
    :func:`costplan.actuals.engines.open_source`)."""
    from costplan.actuals.engines import check_engine, open_source

    name = check_engine(engine)
    if name == "duckdb":
        from costplan.actuals.store import Store

        return Store.open_default(store, read_only=True, currency=currency)
    return open_source(name, spark_path=spark_path, spark_table=spark_table, table_format=table_format,
                       athena_database=database, athena_table=table, athena_output=output,
                       athena_workgroup=workgroup, athena_table_format=table_format, profile=profile,
                       max_scan_gb=max_scan_gb)


def report_scan(source) -> None:
    """Say what a remote engine read (Athena: bytes scanned and their cost)."""
    summary = getattr(source, "scan_summary", None)
    if summary is not None:
        info(summary())


def open_for_month(engine, month: str | None, *, store=None, currency=None, **options):
    """:func:`open_spend` for a command about one ``month`` (``latest``: the newest final one):
    a remote engine reads that month's partitions (``latest``: the three newest held)."""
    source = open_spend(engine, store=store, currency=currency, **options)
    if hasattr(source, "set_window"):
        if month and month != "latest":
            source.set_window([month])
        else:
            source.set_window(source.months()[-3:])
    return source
