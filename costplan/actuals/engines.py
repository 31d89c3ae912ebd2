"""Where spend is read: the local DuckDB store, Amazon Athena or Spark.

Every engine answers the same questions with the same queries (:mod:`costplan.actuals.queries`,
rendered for the engine by SQLGlot): ``spend``, ``months``, ``coverage``, ``freshness``,
``commitment_summary``, ``spot_summary``, ``users``, ``is_synthetic``. The monthly report,
``reconcile``, ``project --calibrate-to`` and the review notebook take any of them.

- ``duckdb`` (default): :class:`costplan.actuals.store.Store`, a file loaded by ``costplan pull``
  / ``costplan import``.
- ``athena``: :class:`costplan.actuals.athena.AthenaEngine`, over an AWS Data Exports FOCUS or
  CUR 2.0 table in Glue.
- ``spark``: :class:`costplan.actuals.spark.SparkEngine`, over a Parquet folder or a Spark table.

A remote engine (:class:`RemoteEngine`) reads the export table through the file import's column
mapping (:func:`costplan.actuals.queries.export_relation`) and only ever fetches aggregated
results: sums per key, distinct months, distinct day spans; never the rows themselves. Every
query reads only the billing-period partitions it needs (:attr:`RemoteEngine.window` when it
asks for no period of its own). The choice of engine: ``--engine`` > ``COSTPLAN_ENGINE`` >
``[tool.costplan] engine`` > ``duckdb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from costplan.actuals import queries, schema
from costplan.config import ENGINES  # noqa: F401  (one list: the engine setting checks it)
from costplan.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: What a remote engine's users() gives: no counts (they live in the local store).
USER_COLUMNS = ["month", "active_users", "x_Source", "x_Synthetic"]


class SpendSource(Protocol):
    """What the report, reconcile and calibration read (the store, or a remote engine)."""

    engine: str
    path: object
    currency: str | None

    def query(self, sql: str) -> pd.DataFrame: ...
    def rows_for(self, *, month=None, start=None, end=None) -> str: ...
    def money_sql(self, conds: Sequence[str] = (), **period) -> str: ...
    def spend(self, by: Sequence[str] = ("month",), start=None, end=None, month=None,
              metric: str = "EffectiveCost", where: dict[str, str] | None = None) -> pd.DataFrame: ...
    def months(self) -> list[str]: ...
    def coverage(self) -> pd.DataFrame: ...
    def freshness(self) -> pd.DataFrame: ...
    def users(self) -> pd.DataFrame: ...
    def is_synthetic(self) -> bool: ...


def check_engine(name: str | None) -> str:
    """The engine to use: ``name`` or the setting ``engine`` (default ``duckdb``), checked."""
    from costplan import config

    return config.load_settings(engine=name).engine


class RemoteEngine:
    """The reading API of :class:`costplan.actuals.store.Store` over an export table that
    another engine queries. Subclasses give :meth:`_run` (rendered SQL -> DataFrame),
    :attr:`table` (the table's name in SQL), :attr:`types` (its columns' DuckDB type names)
    and :attr:`partition_column` (None when the table has none)."""

    engine = "remote"
    read_only = True
    currency: str | None = None
    table_format = "focus"
    partition_column: str | None = None
    #: Billing periods (``YYYY-MM``) a query reads when it asks for no period of its own.
    window: list[str] | None = None

    # -- to implement ---------------------------------------------------------------------
    table: str
    types: dict[str, str]

    def _run(self, sql: str) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def _require_window(self) -> bool:
        """True when a query without a period must be refused (Athena: every scan is paid)."""
        return False

    # -- the reading API ------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass

    def set_window(self, months: Sequence[str] | None) -> None:
        self.window = sorted(set(months)) if months else None

    def query(self, sql: str) -> pd.DataFrame:
        """Run one DuckDB-SQL query of :mod:`costplan.actuals.queries` on this engine; the
        columns keep the names the query gives them (Athena returns them in lower case)."""
        import sqlglot

        rendered = queries.render(sql, self.engine)
        df = self._run(rendered)
        names = sqlglot.parse_one(sql, read="duckdb").named_selects
        by_lower = {n.lower(): n for n in names}
        return df.rename(columns={c: by_lower.get(str(c).lower(), c) for c in df.columns})

    def partition_months(self, *, month=None, start=None, end=None) -> list[str] | None:
        """The billing periods a query reads: those of its own period, else :attr:`window`."""
        months = queries.billing_months(month=month, start=start, end=end)
        return months if months is not None else self.window

    def rows_for(self, *, month=None, start=None, end=None) -> str:
        """The export's rows as a FOCUS relation, reading only the partitions of the billing
        periods the query can touch."""
        where = []
        if self.partition_column:
            months = self.partition_months(month=month, start=start, end=end)
            if months is None:
                if self._require_window():
                    raise InputError(
                        Problem(f"{self.engine} queries always name the billing periods they read",
                                location="--month", hint="give --month, or --from and --to")
                    )
            else:
                where.append(queries.partition_predicate(self.partition_column, months))
        return queries.export_relation(self.table, self.table_format, self.types, where)

    def rows_sql(self, **_) -> str:
        return self.rows_for()

    def money_sql(self, conds: Sequence[str] = (), **period) -> str:
        """:meth:`rows_for` ``period`` after checking that the rows ``conds`` select are in one
        currency (as :meth:`Store.money_sql`)."""
        rel = self.rows_for(**period)
        found = self.query(queries.currencies_sql(rel, conds))["BillingCurrency"].tolist()
        if len(found) > 1:
            raise InputError(Problem(f"the table holds costs in {', '.join(map(str, found))} here, which are "
                                     "never added together", location="--currency"))
        return rel

    def currencies(self) -> list[str]:
        return [str(c) for c in self.query(queries.currencies_sql(self.rows_for()))["BillingCurrency"]]

    def spend(self, by: Sequence[str] = ("month",), start=None, end=None, month=None,
              metric: str = "EffectiveCost", where: dict[str, str] | None = None) -> pd.DataFrame:
        """As :meth:`costplan.actuals.store.Store.spend`, computed by this engine (one query:
        the currency check travels in it)."""
        by = list(by)
        check = metric in schema.COST_COLUMNS and "BillingCurrency" not in by
        sql = queries.spend_sql(self.rows_for(month=month, start=start, end=end), by, start=start, end=end,
                                month=month, metric=metric, where=where, currencies=check)
        df = self.query(sql)
        if check:
            lo, hi = df["currency_min"].dropna(), df["currency_max"].dropna()
            found = sorted(set(lo) | set(hi))
            if len(lo) and (lo.min() != hi.max()):
                raise InputError(
                    Problem(f"the table holds costs in {', '.join(map(str, found))} here, which are never added "
                            "together", location="--currency",
                            hint="add BillingCurrency to --by for totals per currency")
                )
            df = df.drop(columns=["currency_min", "currency_max"])
        for c in (metric,):
            if c in df:
                df[c] = df[c].astype("float64")
        df["rows"] = df["rows"].astype("int64")
        if by and "month" in by and by[0] != "month":
            df = df.sort_values(["month", metric], ascending=[True, False], kind="stable").reset_index(drop=True)
        df["Estimated"] = df["Estimated"].fillna(False).astype(bool)
        return df.reset_index(drop=True)

    def months(self) -> list[str]:
        """Billing periods held, oldest first (asked once)."""
        key = ("months", tuple(self.window or ()) if not self.partition_column else ())
        if key not in self._cache:
            if self.partition_column:
                months = self._partitions()
            else:
                months = [str(m) for m in self.query(queries.months_sql(self.rows_for()))["month"]]
            self._cache[key] = months
        return list(self._cache[key])

    def _partitions(self) -> list[str]:
        """The billing-period partitions the table holds (``YYYY-MM``), oldest first: every
        one, as the store lists every month it holds (reading the partition column only)."""
        df = self.query(f'SELECT DISTINCT "{self.partition_column}" AS month FROM {self.table} ORDER BY 1')
        return [str(m) for m in df["month"]]

    def coverage(self) -> pd.DataFrame:
        """As :meth:`Store.coverage` (in :attr:`window`); asked once per window."""
        key = ("coverage", tuple(self.window or ()))
        if key not in self._cache:
            self._cache[key] = queries.coverage_from_spans(self.query(queries.coverage_spans_sql(self.rows_for())))
        return self._cache[key].copy()

    @property
    def _cache(self) -> dict:
        if "_memo" not in self.__dict__:
            self.__dict__["_memo"] = {}
        return self.__dict__["_memo"]

    def freshness(self) -> pd.DataFrame:
        import pandas as pd

        df = self.query(queries.freshness_sql(self.rows_for()))
        df["day"] = pd.to_datetime(df["day"])
        df["Estimated"] = df["Estimated"].fillna(False).astype(bool)
        df["EffectiveCost"] = df["EffectiveCost"].astype("float64")
        return df

    def commitment_summary(self, month: str) -> pd.DataFrame:
        from costplan.actuals.commitments import commitment_summary

        return commitment_summary(self, month)

    def spot_summary(self, month: str) -> pd.DataFrame:
        from costplan.actuals.commitments import spot_summary

        return spot_summary(self, month)

    def users(self) -> pd.DataFrame:
        """No user counts: they are kept in the local store (``costplan import users``)."""
        import pandas as pd

        return pd.DataFrame(columns=USER_COLUMNS)

    def is_synthetic(self) -> bool:
        """Export tables hold billing data, never the synthetic sample."""
        return False


def open_source(engine: str | None = None, *, store=None, read_only: bool = True, **options):
    """The spend source for ``engine`` (see :func:`check_engine`): the store (``store`` path,
    default by setting) or a remote engine built from ``options`` (``athena_*`` / ``spark_*``)."""
    name = check_engine(engine)
    if name == "duckdb":
        from costplan.actuals.store import Store

        return Store.open_default(store, read_only=read_only)
    if name == "athena":
        from costplan.actuals.athena import AthenaEngine

        return AthenaEngine.from_options(**options)
    from costplan.actuals.spark import SparkEngine

    return SparkEngine.from_options(**options)
