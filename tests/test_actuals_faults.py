"""Fault injection: an import and a Cost Explorer pull killed with SIGKILL at random (seeded)
points, many times. Each time the store must hold exactly what it held before, or exactly what
a run to the end leaves (a kill after the commit): never anything in between. Pages a killed
pull paid for are kept whole, and a rerun finishes the pull."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from ce_server import FakeCostExplorer, day, group

from costplan.actuals.store import Store

REPO = Path(__file__).resolve().parents[1]
SEED = 20261202
KILLS = 5

pytestmark = pytest.mark.slow


def snapshot(path: Path):
    """Everything a load writes, in a canonical order (staged Cost Explorer pages aside)."""
    with Store(path) as s:
        q = s.con.execute
        return (
            q("""SELECT x_Source, x_LoadId, strftime(BillingPeriodStart, '%Y-%m'), count(*), round(sum(BilledCost), 6)
                 FROM cost_rows GROUP BY ALL ORDER BY ALL""").fetchall(),
            q("SELECT load_id, x_Source, rows_loaded, rows_replaced, table_name FROM loads ORDER BY load_id").fetchall(),
            q("SELECT load_id, part, BillingPeriodStart, rows FROM load_parts ORDER BY ALL").fetchall(),
            q("SELECT * FROM period_source ORDER BY ALL").fetchall(),
            q("SELECT x_Source, grouping, PeriodStart, PeriodEnd, Estimated FROM pulled_periods ORDER BY ALL").fetchall(),
        )


def run_child(script: str, env: dict | None = None, kill_after: float | None = None) -> int:
    """Run ``script`` in a new Python; it prints ``ready`` when its imports are done. With
    ``kill_after``, SIGKILL it that many seconds after ``ready``. Returns the exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    if kill_after is None:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        return 0
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode


def _focus_csv(path: Path, month: str, rows: int, cost: str) -> Path:
    import duckdb

    duckdb.connect().execute(
        f"""COPY (SELECT 'AWS' AS ProviderName, 'acct' AS BillingAccountId, 'USD' AS BillingCurrency,
                         '{month}-01T00:00:00Z' AS BillingPeriodStart,
                         strftime(TIMESTAMP '{month}-01' + INTERVAL (i % 28) DAY, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodStart,
                         strftime(TIMESTAMP '{month}-01' + INTERVAL (i % 28 + 1) DAY, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodEnd,
                         'Usage' AS ChargeCategory, 'Amazon Elastic Compute Cloud' AS ServiceName,
                         'r-' || i AS ResourceId, '{cost}' AS BilledCost, '{cost}' AS EffectiveCost
                  FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    return path


def test_an_import_killed_at_random_points_leaves_the_store_as_before_or_as_after(tmp_path):
    base = tmp_path / "base.duckdb"
    (tmp_path / "v1").mkdir()
    sep_v1 = _focus_csv(tmp_path / "v1" / "sep.csv", "2026-09", 1000, "1.00")
    with Store(base) as s:
        from costplan.actuals.files import import_files

        import_files(s, "focus", [sep_v1])
    (tmp_path / "v2").mkdir()
    # the import under test replaces September (a new delivery, same file name) and adds October
    files = [_focus_csv(tmp_path / "v2" / "sep.csv", "2026-09", 100_000, "0.50"),
             _focus_csv(tmp_path / "v2" / "oct.csv", "2026-10", 100_000, "0.25")]
    script = f"""
        from costplan.actuals.files import import_files
        from costplan.actuals.store import Store
        import sys
        s = Store(sys.argv[1] if len(sys.argv) > 1 else {str(tmp_path / "target.duckdb")!r})
        print("ready", flush=True)
        import_files(s, "focus", {[str(f) for f in files]!r})
        s.close()
    """
    before = snapshot(base)
    shutil.copy(base, tmp_path / "target.duckdb")
    t0 = time.perf_counter()
    run_child(script)
    duration = time.perf_counter() - t0
    after = snapshot(tmp_path / "target.duckdb")
    assert after != before
    # by hand: September 100,000 x 0.50 = 50,000.00, October 100,000 x 0.25 = 25,000.00
    assert sorted((m, n, c) for _, _, m, n, c in after[0]) == [("2026-09", 100_000, 50_000.0), ("2026-10", 100_000, 25_000.0)]
    rng = random.Random(SEED)
    outcomes = []
    for _ in range(KILLS):
        target = tmp_path / "target.duckdb"
        for f in (target, Path(str(target) + ".wal")):
            f.unlink(missing_ok=True)
        shutil.copy(base, target)
        code = run_child(script, kill_after=rng.uniform(0, duration))
        got = snapshot(target)
        assert got in (before, after), f"killed (exit {code}): the store is neither as before nor as after"
        outcomes.append(got == after)
    assert not all(outcomes), "no kill landed before the commit: the test did not test"


PAGES = 6


def _pages(n, body):
    """Two one-month requests (September 28-30, October 1-3), PAGES pages each, one group a page:
    page k of a month bills k cents: by hand September 0.01 + ... + 0.06 = 0.21, October the same."""
    token = body.get("NextPageToken")
    month = body["TimePeriod"]["Start"][:7]
    k = 1 if token is None else int(token.rsplit("-", 1)[1])
    days = ["2026-09-28", "2026-09-29", "2026-09-30"] if month == "2026-09" else ["2026-10-01", "2026-10-02", "2026-10-03"]
    # every page holds every day of the request; its one group falls on one of them
    out = {"ResultsByTime": [day(d, [group("AWS WAF", f"USE1-Page{k}", k / 100)] if i == k % 3 else [])
                             for i, d in enumerate(days)]}
    if k < PAGES:
        out["NextPageToken"] = f"{month}-{k + 1}"
    return 200, out


def test_a_pull_killed_at_random_points_keeps_the_store_whole_and_a_rerun_finishes_it(tmp_path, monkeypatch):
    import datetime as dt

    import boto3

    from costplan.actuals import cost_explorer as ce

    base = tmp_path / "base.duckdb"
    Store(base).close()
    with FakeCostExplorer(_pages, delay=0.01) as server:
        script = f"""
            import datetime as dt, boto3
            from costplan.actuals import cost_explorer as ce
            from costplan.actuals.store import Store
            s = Store({str(tmp_path / "target.duckdb")!r})
            client = ce.make_client(boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1"))
            print("ready", flush=True)
            ce.pull(s, client, dt.date(2026, 9, 28), dt.date(2026, 10, 4), sleep=lambda x: None)
            s.close()
        """
        env = {"AWS_ENDPOINT_URL_CE": server.url}
        monkeypatch.setenv("AWS_ENDPOINT_URL_CE", server.url)
        before = snapshot(base)
        shutil.copy(base, tmp_path / "target.duckdb")
        t0 = time.perf_counter()
        run_child(script, env)
        duration = time.perf_counter() - t0
        full = snapshot(tmp_path / "target.duckdb")
        with Store(tmp_path / "target.duckdb") as s:
            # by hand: 0.01 + 0.02 + ... + 0.06 = 0.21 a month
            assert s.spend(["month"], metric="BilledCost").set_index("month")["BilledCost"].round(2).to_dict() == {
                "2026-09": 0.21, "2026-10": 0.21}
        rng = random.Random(SEED)
        for _ in range(KILLS):
            target = tmp_path / "target.duckdb"
            for f in (target, Path(str(target) + ".wal")):
                f.unlink(missing_ok=True)
            shutil.copy(base, target)
            run_child(script, env, kill_after=rng.uniform(0, duration))
            got = snapshot(target)
            september = [r for r in full[0] if r[2] == "2026-09"]
            # each month's load is one transaction: nothing, September, or both months
            assert got[0] in (before[0], september, full[0])
            with Store(target) as s:
                loaded = {r[0] for r in s.con.execute("SELECT strftime(PeriodStart, '%Y-%m') FROM pulled_periods").fetchall()}
                kept = {}
                for (key,) in s.con.execute("SELECT DISTINCT request_key FROM ce_pages").fetchall():
                    n = s.con.execute("SELECT count(*) FROM ce_pages WHERE request_key = ?", [key]).fetchone()[0]
                    assert len(s.kept_pages(key)) == n  # whole pages, chained from the first
                    kept[json.loads(key)["TimePeriod"]["Start"][:7]] = n
                assert not set(kept) & loaded  # a loaded month's pages went with its load
                client = ce.make_client(boto3.Session(aws_access_key_id="t", aws_secret_access_key="t",
                                                      region_name="us-east-1"))
                asked = len(server.requests)
                ce.pull(s, client, dt.date(2026, 9, 28), dt.date(2026, 10, 4), sleep=lambda x: None)
                # the rerun asks only for the pages not kept of the months not loaded
                missing = sum(PAGES - kept.get(m, 0) for m in ("2026-09", "2026-10") if m not in loaded)
                assert len(server.requests) - asked == missing
                assert s.kept_page_count() == 0
            assert snapshot(target) == full
