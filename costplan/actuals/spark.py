"""Spend at organisation scale on Spark (EMR, Glue, Databricks or a laptop in local mode).

:class:`SparkEngine` reads FOCUS or CUR 2.0 export files (a Parquet folder, e.g. the AWS Data
Exports layout ``.../data/BILLING_PERIOD=2026-10/*.parquet``) or a Spark table, and answers
the store's queries (:mod:`costplan.actuals.queries`) rendered in Spark SQL by SQLGlot. Only
aggregated results come back to Python. Needs ``pip install 'costplan[spark]'`` and a Java
runtime (17 or newer).
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from costplan.actuals.engines import RemoteEngine
from costplan.errors import CostplanError, InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_views = itertools.count(1)
_SPARK_TYPES = {
    "string": "VARCHAR", "double": "DOUBLE", "float": "FLOAT", "bigint": "BIGINT", "int": "INTEGER",
    "smallint": "SMALLINT", "tinyint": "TINYINT", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP",
}


def duckdb_type(spark_type: str) -> str:
    """A Spark type (``simpleString``) as the DuckDB type name the column mapping expects."""
    t = spark_type.lower()
    if t in _SPARK_TYPES:
        return _SPARK_TYPES[t]
    if t.startswith("decimal"):
        return t.upper()
    if t.startswith("map<"):
        return "MAP(VARCHAR, VARCHAR)"
    if t.startswith("struct<"):
        return "STRUCT"
    return "VARCHAR"


def local_session(cores: int = 1):
    """A local Spark session for small data and tests: ``local[cores]``, one shuffle
    partition, no adaptive re-planning, no UI, UTC."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("costplan")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.adaptive.enabled", "false")  # small data: re-planning costs more than it saves
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )


class SparkEngine(RemoteEngine):
    """The spend queries on Spark, over ``path`` (a Parquet folder or file) or ``table``.

    ``spark`` is a SparkSession (default: the active one, else :func:`local_session`). The
    session time zone should be UTC (charge days are UTC days). A partition column
    ``partition_column`` (the AWS layout's ``BILLING_PERIOD``) is used when the data has it.
    """

    engine = "spark"

    def __init__(self, spark=None, *, path: str | None = None, table: str | None = None,
                 table_format: str = "focus", partition_column: str = "billing_period", months=None):
        if (path is None) == (table is None):
            raise InputError(Problem("give one of --spark-path or --spark-table", location="--spark-path"))
        if table_format not in ("focus", "cur"):
            raise InputError(Problem(f"bad table format {table_format!r}", location="--table-format",
                                     hint="focus or cur"))
        if spark is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise CostplanError("--engine spark needs pyspark: pip install 'costplan[spark]'") from None
            spark = SparkSession.getActiveSession() or local_session()
        self.spark = spark
        self.table_format = table_format
        self.source = path or table
        if path is not None:
            import os

            if not os.path.exists(path):
                raise InputError(Problem(f"no such file or folder {path}", location="--spark-path"))
            try:
                frame = spark.read.option("recursiveFileLookup", "false").parquet(str(path))
            except Exception as exc:  # noqa: BLE001 - Spark raises its own analysis errors
                raise InputError(Problem(f"Spark cannot read {path} as Parquet: {str(exc).splitlines()[0]}",
                                         location="--spark-path")) from None
            self.table = f"costplan_export_{next(_views)}"
            frame.createOrReplaceTempView(self.table)
        else:
            if not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+){0,2}", table):
                raise InputError(Problem(f"bad table name {table!r}", location="--spark-table",
                                         hint="[catalog.][database.]table, letters, digits and _"))
            frame = spark.table(table)
            self.table = table
        self.types = {f.name: duckdb_type(f.dataType.simpleString()) for f in frame.schema.fields}
        present = {c.lower(): c for c in self.types}
        self.partition_column = present.get(partition_column.lower())
        self.types.pop(self.partition_column or "", None)
        self.set_window(months)

    @classmethod
    def from_options(cls, *, spark_path=None, spark_table=None, table_format="focus", **_):
        return cls(path=spark_path, table=spark_table, table_format=table_format)

    @property
    def path(self) -> str:
        return f"spark:{self.source}"

    def _run(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()
