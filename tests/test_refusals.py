"""The bad-input corpus: every input costplan must refuse, run through the real CLI.

One row per case (docs/refusals.md). For each: the exit code (2 bad input, 1 the
environment), the file / line / field / option the message must name, no traceback and no
"unexpected" error, and the file tree (every file under the test's folder, the store
included) byte-identical afterwards. A few rows are the positive side of a fix (a range()
body is priced; a relative pyproject path resolves from its folder) and say so in `check`.
Property tests mutate the reference stack (and its projection) and check the same contract;
``MUTANTS=2000 bash scripts/test.sh tests/test_refusals.py -k mutated`` searches longer.

The commands run in-process (typer's CliRunner); the two that must not exhaust the machine
(an alias bomb, count = 100000000) also run as a subprocess with 1 GiB of address space.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from costplan import config
from costplan.cli.app import app

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "data" / "ultibiker" / "stack.yaml"
CLAIMS = REPO / "data" / "ultibiker" / "claimed-costs.yaml"
PLAN = REPO / "tests" / "data" / "terraform" / "plan-small.json"
PULUMI = REPO / "tests" / "data" / "pulumi" / "stack-export.json"
runner = CliRunner()

SMALL = """\
name: t
regions:
  us-east-1:
    node_pools:
      app: {instance_types: [c5.xlarge], count: 3}
"""


# --- the store every row gets a copy of -------------------------------------------------------
def _rows(services=("Amazon Elastic Compute Cloud", "Amazon Relational Database Service"),
          months=("2026-07", "2026-08", "2026-09", "2026-10")) -> pd.DataFrame:
    """Test spend (not the synthetic sample): one row per day and service, $10.00 each."""
    rows = []
    for month in months:
        start = pd.Timestamp(f"{month}-01")
        for day in pd.date_range(start, start + pd.offsets.MonthEnd(0)):
            for svc in services:
                rows.append({
                    "ProviderName": "AWS", "BillingAccountId": "test", "BillingPeriodStart": start,
                    "BillingPeriodEnd": start + pd.offsets.MonthBegin(1), "ChargePeriodStart": day,
                    "ChargePeriodEnd": day + pd.Timedelta(days=1), "ChargeCategory": "Usage", "ServiceName": svc,
                    "RegionId": "us-east-1", "x_UsageType": "BoxUsage:c5.xlarge", "PricingUnit": "Hrs",
                    "PricingCategory": "Standard", "PricingQuantity": 24.0, "ListCost": 10.0, "BilledCost": 10.0,
                    "EffectiveCost": 10.0, "Tags": json.dumps({"team": "platform"}), "x_ChargeStatus": "Final",
                    "x_Synthetic": False,
                })
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def store_template(tmp_path_factory) -> Path:
    from costplan.actuals.store import Store

    path = tmp_path_factory.mktemp("store") / "spend.duckdb"
    with Store(path) as s:
        s.load_frame(_rows(), "focus")
    return path


# --- one row ----------------------------------------------------------------------------------
@dataclass
class Tree:
    """The test's folder: files a row writes, the store copy, and what the row runs."""

    root: Path
    store: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    patches: list[tuple[object, str, object]] = field(default_factory=list)

    def write(self, rel: str, text: str | bytes) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return p

    def mkdir(self, rel: str) -> Path:
        p = self.root / rel
        p.mkdir(parents=True, exist_ok=True)
        return p

    def patch(self, target, name: str, value) -> None:
        self.patches.append((target, name, value))


@dataclass
class Case:
    id: str
    build: Callable[[Tree], list[str]]
    code: int = 2
    fragments: tuple[str, ...] = ()
    check: Callable[[Tree, object], None] | None = None
    """For rows whose contract is a result (exit 0): checks instead of 'nothing changed'."""


CASES: list[Case] = []


def case(id: str, code: int = 2, *fragments: str, check=None):
    def register(fn):
        CASES.append(Case(id, fn, code, fragments, check))
        return fn

    return register


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: files by content hash, folders and links by kind."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def tree(tmp_path, store_template, monkeypatch) -> Tree:
    for var in [v for v in os.environ if v.startswith("COSTPLAN_")]:
        monkeypatch.delenv(var)
    store = tmp_path / "store" / "spend.duckdb"
    store.parent.mkdir()
    shutil.copy(store_template, store)
    # the built-in default store (the bundled sample in a checkout) is this copy, so a row that
    # falls back to it shows up as a change in the tree
    monkeypatch.setitem(config._BUILTIN, "store", str(store))
    return Tree(tmp_path, store)


def run(t: Tree, args: list[str], monkeypatch):
    for k, v in t.env.items():
        monkeypatch.setenv(k, v)
    if t.cwd is not None:
        monkeypatch.chdir(t.cwd)
    for target, name, value in t.patches:
        monkeypatch.setattr(target, name, value)
    return runner.invoke(app, [str(a) for a in args])


# --- 1. output paths --------------------------------------------------------------------------
def _victim(t: Tree) -> Path:
    v = t.mkdir("sandbox/victim")
    (v / "thesis.tex").write_text("years of work")
    return v


@case("report-out-dotdot-victim", 2, "sandbox/victim", "--out", "thesis.tex")
def _(t):
    _victim(t)
    return ["report", "--out", t.root / "sandbox/doesnotexist/../victim", "--store", t.store, "--no-images",
            "--no-projection"]


@case("review-out-dotdot-victim", 2, "sandbox/victim", "--out", "thesis.tex")
def _(t):
    _victim(t)
    return ["review", "--quarter", "2026Q3", "--out", t.root / "sandbox/doesnotexist/../victim", "--store", t.store]


@case("report-out-symlink", 2, "symbolic link", "--out")
def _(t):
    _victim(t)
    (t.root / "sandbox/link").symlink_to(t.root / "sandbox/victim")
    return ["report", "--out", t.root / "sandbox/link", "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-dangling-symlink", 2, "symbolic link", "--out")
def _(t):
    t.mkdir("sandbox")
    (t.root / "sandbox/link").symlink_to(t.root / "sandbox/nowhere")
    return ["report", "--out", t.root / "sandbox/link", "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-dot", 2, "the current folder", "--out")
def _(t):
    t.cwd = t.mkdir("work")
    t.write("work/notes.md", "mine")
    return ["report", "--out", ".", "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-empty-cwd-dot", 2, "the current folder", "--out")
def _(t):
    t.cwd = t.mkdir("empty")
    return ["report", "--out", ".", "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-parent", 2, "a folder above the current one", "--out")
def _(t):
    t.cwd = t.mkdir("a/b")
    return ["report", "--out", "..", "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-home", 2, "your home folder", "--out")
def _(t):
    home = t.mkdir("home")
    t.env["HOME"] = str(home)
    return ["report", "--out", home, "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-checkout", 2, "the costplan checkout", "--out")
def _(t):
    return ["report", "--out", REPO, "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-root", 2, "the root of the file system", "--out")
def _(t):
    return ["report", "--out", "/", "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-is-a-file", 2, "notes.txt", "is a file")
def _(t):
    return ["report", "--out", t.write("notes.txt", "keep"), "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-folder-without-marker", 2, "old", "marker file .costplan-output")
def _(t):
    t.write("old/report.html", "a report someone else wrote")
    return ["report", "--out", t.root / "old", "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-is-a-review", 2, "is an output of `costplan review`")
def _(t):
    t.write("rev/.costplan-output", '{"kind": "review"}')
    t.write("rev/quarterly_review_2026Q3.html", "a review")
    return ["report", "--out", t.root / "rev", "--store", t.store, "--no-images", "--no-projection"]


@case("report-out-earlier-report-with-a-user-file", 2, "notes.md", "did not write")
def _(t):
    t.write("r/.costplan-output", '{"kind": "report"}')
    t.write("r/report.html", "an earlier report")
    t.write("r/notes.md", "my notes about it")
    return ["report", "--out", t.root / "r", "--store", t.store, "--no-images", "--no-projection"]


@case("review-out-dot", 2, "the current folder", "--out")
def _(t):
    t.cwd = t.mkdir("work")
    return ["review", "--quarter", "2026Q3", "--out", ".", "--store", t.store]


@case("import-terraform-out-folder", 2, "outdir", "is a folder", "--out")
def _(t):
    t.mkdir("outdir")
    return ["import", "terraform", PLAN, "--out", t.root / "outdir"]


@case("import-terraform-out-dot", 2, "is a folder", "--out")
def _(t):
    t.cwd = t.mkdir("work")
    return ["import", "terraform", PLAN, "--out", "."]


@case("import-terraform-out-users-file", 2, "mine.yaml", "not written by costplan")
def _(t):
    return ["import", "terraform", PLAN, "--out", t.write("mine.yaml", "name: my own stack, by hand\n")]


@case("import-terraform-out-symlink", 2, "symbolic link")
def _(t):
    t.write("real.yaml", "# Imported by `costplan import` from elsewhere.\n")
    (t.root / "link.yaml").symlink_to(t.root / "real.yaml")
    return ["import", "terraform", PLAN, "--out", t.root / "link.yaml"]


@case("import-terraform-out-missing-folder", 2, "does not exist", "--out")
def _(t):
    return ["import", "terraform", PLAN, "--out", t.root / "nowhere/stack.yaml"]


@case("import-pulumi-out-folder", 2, "is a folder", "--out")
def _(t):
    t.mkdir("outdir")
    return ["import", "pulumi", PULUMI, "--out", t.root / "outdir"]


@case("prices-refresh-out-dot", 2, "the current folder", "--out")
def _(t):
    t.cwd = t.mkdir("work")
    return ["prices", "refresh", "--dry-run", "--out", "."]


@case("prices-refresh-out-foreign-folder", 2, "did not write", "budget.xlsx")
def _(t):
    t.write("docs/budget.xlsx", b"PK\x03\x04")
    return ["prices", "refresh", "--dry-run", "--out", t.root / "docs"]


@case("prices-refresh-out-foreign-csv", 2, "accounts.csv", "not a price catalog CSV")
def _(t):
    return ["prices", "refresh", "--dry-run", "--out", t.write("accounts.csv", "name,iban\n")]


# --- 2. YAML -----------------------------------------------------------------------------------
@case("stack-duplicate-regions", 2, "stack.yaml:6", "duplicate key 'regions'", "lines 2 and 6")
def _(t):
    text = SMALL + "regions:\n  eu-west-1:\n    s3:\n      b: {size_gb: 1, why: test bucket}\n"
    return ["estimate", t.write("stack.yaml", text)]


@case("stack-duplicate-desired", 2, "stack.yaml:5", "duplicate key 'desired'", "line 5, column")
def _(t):
    return ["estimate", t.write("stack.yaml", SMALL.replace("count: 3", "desired: 3, desired: 4"))]


@case("claims-duplicate-key", 2, "claims.yaml:10", "duplicate key 'source'", "lines 9 and 10")
def _(t):
    return ["estimate", REFERENCE, "--compare", t.write("claims.yaml", _dup_first_key(CLAIMS.read_text()))]


def _dup_first_key(text: str) -> str:
    """``text`` with its first top-level ``source:`` line written twice (on the next line)."""
    lines = text.splitlines(keepends=True)
    i = next(n for n, ln in enumerate(lines) if ln.startswith("source:"))
    return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])


@case("usage-duplicate-key", 2, "usage.yaml:5", "duplicate key 'size_gb'", "lines 4 and 5")
def _(t):
    usage = "version: 1\nresources:\n  aws_s3_bucket.assets:\n    size_gb: 1000\n    size_gb: 10\n    why: x y z\n"
    return ["import", "terraform", PLAN, "--usage", t.write("usage.yaml", usage)]


BOMB = "".join(f"{a}: &{a} [{', '.join(['*' + p] * 9) if p else ', '.join(['lol'] * 9)}]\n"
               for p, a in zip(["", *"abcdefgh"], "abcdefghi", strict=True)) + SMALL


@case("stack-billion-laughs", 2, "stack.yaml:", "aliases expand to more than 10,000 nodes")
def _(t):
    return ["estimate", t.write("stack.yaml", BOMB)]


@case("stack-recursive-alias", 2, "stack.yaml:1", "recursive alias")
def _(t):
    return ["estimate", t.write("stack.yaml", "loop: &a [1, *a]\n" + SMALL)]


@case("stack-5000-brackets", 2, "stack.yaml:6", "nested more than 64 levels")
def _(t):
    return ["estimate", t.write("stack.yaml", SMALL + "description: " + "[" * 5000 + "]" * 5000 + "\n")]


@case("stack-python-tag", 2, "stack.yaml:1", "!!python/object/apply:os.system", "not allowed")
def _(t):
    return ["estimate", t.write("stack.yaml", 'name: !!python/object/apply:os.system ["touch pwned"]\n'
                                              + SMALL.replace("name: t\n", ""))]


@case("stack-local-tag", 2, "stack.yaml:1", "tag !secret", "not allowed")
def _(t):
    return ["estimate", t.write("stack.yaml", SMALL.replace("name: t", "name: !secret t"))]


@case("stack-too-large", 2, "stack.yaml", "at most 10,000,000 bytes")
def _(t):
    return ["estimate", t.write("stack.yaml", SMALL + "#" * 10_000_001 + "\n")]


@case("stack-latin1-byte", 2, "stack.yaml:1", "not UTF-8", "0xe9")
def _(t):
    return ["estimate", t.write("stack.yaml", SMALL.replace("name: t", "name: caf\xe9").encode("latin-1"))]


@case("stack-undefined-alias", 2, "stack.yaml:", "undefined alias")
def _(t):
    return ["estimate", t.write("stack.yaml", SMALL + "description: *nope\n")]


SCENARIOS = SMALL + """\
scenarios:
  spot:
    description: app pool on spot
    patch:
      regions:
        us-east-1:
          node_pools:
            app: {capacty: spot}
"""


@case("scenario-typo-found-at-load", 2, "stack.yaml:13", "scenario 'spot'", "capacty", "did you mean 'capacity'")
def _(t):
    return ["estimate", t.write("stack.yaml", SCENARIOS)]


@case("scenario-typo-with-scenario-names-the-patch-line", 2, "stack.yaml:13", "scenario 'spot'", "capacty")
def _(t):
    return ["estimate", t.write("stack.yaml", SCENARIOS), "--scenario", "spot"]


@case("scenario-new-pool-missing-field", 2, "stack.yaml:13", "scenario 'big'", "ap.instance_types", "required")
def _(t):
    return ["estimate", t.write("stack.yaml", SCENARIOS.replace("  spot:", "  big:").replace("app: {capacty: spot}",
                                                                                          "ap: {count: 3}"))]


@case("scenario-bad-value-project", 2, "stack.yaml:13", "scenario 'spot'", "'spotty'")
def _(t):
    return ["project", t.write("stack.yaml", SCENARIOS.replace("capacty: spot", "capacity: spotty"))]


# --- 3. numbers --------------------------------------------------------------------------------
VOLUME = SMALL + "    ebs_volumes:\n      v: {size_gb: SIZE}\n"


@case("stack-size-inf", 2, "stack.yaml:7", "ebs_volumes.v.size_gb", "finite")
def _(t):
    return ["estimate", t.write("stack.yaml", VOLUME.replace("SIZE", ".inf"))]


@case("stack-size-inf-json", 2, "stack.yaml:7", "size_gb", "finite")
def _(t):
    return ["estimate", t.write("stack.yaml", VOLUME.replace("SIZE", ".inf")), "--format", "json"]


@case("stack-size-nan", 2, "stack.yaml:7", "size_gb", "finite")
def _(t):
    return ["estimate", t.write("stack.yaml", VOLUME.replace("SIZE", ".nan")), "--format", "json"]


@case("stack-size-1e400", 2, "stack.yaml:7", "size_gb", "finite")
def _(t):
    return ["estimate", t.write("stack.yaml", VOLUME.replace("SIZE", "1e400"))]


@case("stack-size-1e300", 2, "stack.yaml:7", "size_gb", "at most 1e+12")
def _(t):
    return ["estimate", t.write("stack.yaml", VOLUME.replace("SIZE", "1e300"))]


@case("stack-count-400-digits", 2, "stack.yaml:5", "node_pools.app.count", "a 400-digit number")
def _(t):
    return ["estimate", t.write("stack.yaml", SMALL.replace("count: 3", "count: " + "9" * 400))]


@case("stack-nodes-over-cap", 2, "stack.yaml:5", "node_pools.app.count", "less than or equal to 100000")
def _(t):
    return ["estimate", t.write("stack.yaml", SMALL.replace("count: 3", "count: 100001"))]


@case("stack-pod-replicas-over-cap", 2, "replicas", "less than or equal to 1000000")
def _(t):
    text = SMALL.replace("count: 3}", "count: 3, pods: {api: {replicas: 5000000}}}")
    return ["estimate", t.write("stack.yaml", text)]


def _reference_with(old: str, new: str) -> str:
    text = REFERENCE.read_text()
    assert old in text
    return text.replace(old, new, 1)


@case("driver-nan", 2, "stack.yaml:", "projection.drivers.active_users.value", "finite")
def _(t):
    text = _reference_with("active_users: {value: 10000, low: 9500, high: 10500",
                           "active_users: {value: .nan, low: 9500, high: 10500")
    return ["project", t.write("stack.yaml", text), "--simulations", "10", "--months", "3"]


@case("driver-inf-high", 2, "stack.yaml:", "active_users.high", "finite")
def _(t):
    text = _reference_with("active_users: {value: 10000, low: 9500, high: 10500",
                           "active_users: {value: 10000, low: 9500, high: .inf")
    return ["project", t.write("stack.yaml", text), "--simulations", "10", "--months", "3"]


@case("driver-growth-absurd", 2, "stack.yaml:", "annual_growth must be at most 100")
def _(t):
    text = _reference_with("annual_growth: {value: 0.35, low: 0.15, high: 0.55",
                           "annual_growth: {value: 0.35, low: 0.15, high: 1e9")
    return ["project", t.write("stack.yaml", text), "--simulations", "10", "--months", "3"]


@case("projection-months-in-spec", 2, "stack.yaml:", "projection.months", "less than or equal to 120")
def _(t):
    text = _reference_with("  months: 36\n", "  months: 100000\n")
    return ["project", t.write("stack.yaml", text), "--simulations", "10"]


@case("claims-claimed-inf", 2, "claims.yaml:", ".claimed", "finite")
def _(t):
    text = re.sub(r"claimed: [0-9.]+", "claimed: .inf", CLAIMS.read_text(), count=1)
    return ["estimate", REFERENCE, "--compare", t.write("claims.yaml", text)]


@case("claims-total-nan-json", 2, "claims.yaml:11", "claimed_total", "finite")
def _(t):
    text = re.sub(r"claimed_total: .*", "claimed_total: .nan", CLAIMS.read_text(), count=1)
    return ["estimate", REFERENCE, "--compare", t.write("claims.yaml", text), "--format", "json"]


@case("usage-value-inf", 2, "usage.yaml:4", "size_gb", "finite")
def _(t):
    usage = "version: 1\nresources:\n  aws_s3_bucket.assets:\n    size_gb: .inf\n    why: x y z\n"
    return ["import", "terraform", PLAN, "--usage", t.write("usage.yaml", usage), "--estimate"]


@case("project-months-100000", 2, "--months", "from 1 to 120")
def _(t):
    return ["project", "--months", "100000"]


@case("project-months-1000", 2, "--months", "from 1 to 120")
def _(t):
    return ["project", "--months", "1000"]


@case("project-months-400-digits", 2, "--months", "from 1 to 120")
def _(t):
    return ["project", "--months", "9" * 400]


@case("project-simulations-over-cap", 2, "--simulations", "1,000,000")
def _(t):
    return ["project", "--simulations", "2000000"]


@case("commitments-path-months-over-cap", 2, "path-months", "at most 55,555 simulations over 36 months")
def _(t):
    return ["commitments", "--simulations", "100000"]


@case("project-negative-seed", 2, "--seed", "0 or more")
def _(t):
    return ["project", "--seed", "-1"]


@case("commitments-simulations-over-cap", 2, "--simulations", "1,000,000")
def _(t):
    return ["commitments", "--simulations", "100000000"]


@case("reconcile-threshold-nan", 2, "--threshold", "finite")
def _(t):
    return ["reconcile", "--month", "2026-10", "--threshold", "nan", "--store", t.store]


@case("reconcile-min-variance-inf", 2, "--min-variance", "finite")
def _(t):
    return ["reconcile", "--month", "2026-10", "--min-variance", "inf", "--store", t.store]


@case("commitments-usage-csv-inf", 2, "usage.csv", "finite", "lines 3")
def _(t):
    return ["commitments", "--usage", t.write("usage.csv", "hour,usage\n2026-10-01T00,1.5\n2026-10-01T01,inf\n")]


# --- 4. infrastructure code --------------------------------------------------------------------
TF = 'provider "aws" {\n  region = "us-east-1"\n}\n\nresource "aws_ebs_volume" "v" {\n  EXPANSION\n' \
     '  availability_zone = "us-east-1a"\n  size = 100\n  type = "gp3"\n}\n'


@case("tf-count-100000000", 2, "main.tf:6", "aws_ebs_volume.v.count", "100,000,000 instances",
      "10,000 instances per resource")
def _(t):
    t.write("tf/main.tf", TF.replace("EXPANSION", "count = 100000000"))
    return ["import", "terraform", t.root / "tf", "--estimate"]


@case("tf-for-each-range-over-cap", 2, "main.tf:6", "for_each expands to 10,001 instances",
      "10,000 instances per resource")
def _(t):
    t.write("tf/main.tf", TF.replace("EXPANSION", "for_each = toset([for i in range(10001) : tostring(i)])"))
    return ["import", "terraform", t.root / "tf", "--estimate"]


@case("tf-count-negative", 2, "main.tf:6", "count is -2", "whole number")
def _(t):
    t.write("tf/main.tf", TF.replace("EXPANSION", "count = -2"))
    return ["import", "terraform", t.root / "tf"]


@case("tf-count-inf", 2, "main.tf:6", "count is inf")
def _(t):
    t.write("tf/main.tf", TF.replace("EXPANSION", "count = 1e400"))
    return ["import", "terraform", t.root / "tf"]


def _priced_three(t: Tree, res) -> None:
    # by hand: 3 volumes x 100 GiB gp3 x $0.08/GB-month (us-east-1 list price) = $24.00
    data = json.loads(res.stdout)
    ebs = [ln for ln in data["lines"] if ln["component"].startswith("us-east-1/ebs_volumes/")]
    assert sum(ln["monthly_cost"] for ln in ebs) == pytest.approx(3 * 100 * 0.08)
    assert sum(ln["quantity"] for ln in ebs) == pytest.approx(300)


@case("tf-range-body-priced", 0, check=_priced_three)
def _(t):
    t.write("tf/main.tf", TF.replace("EXPANSION", 'for_each = toset([for i in range(3) : "vol-${i}"])'))
    return ["import", "terraform", t.root / "tf", "--estimate", "--format", "json"]


def _priced_ten_thousand(t: Tree, res) -> None:
    # by hand: 10,000 volumes x 100 GiB gp3 x $0.08/GB-month (us-east-1 list price) = $80,000.00
    data = json.loads(res.stdout)
    assert data["total_monthly_cost"] == pytest.approx(10_000 * 100 * 0.08)


@case("tf-for-each-range-10000-priced", 0, check=_priced_ten_thousand)
def _(t):
    t.write("tf/main.tf", TF.replace("EXPANSION", "for_each = range(10000)"))
    return ["import", "terraform", t.root / "tf", "--estimate", "--format", "json"]


@case("tf-count-length-range-priced", 0, check=_priced_three)
def _(t):
    t.write("tf/main.tf", TF.replace("EXPANSION", "count = length(range(3))"))
    return ["import", "terraform", t.root / "tf", "--estimate", "--format", "json"]


@case("tf-5000-brackets", 2, "main.tf:2", "nested more than 32 levels deep")
def _(t):
    t.write("tf/main.tf", "locals {\n  x = " + "[" * 5000 + "]" * 5000 + "\n}\n" + TF.replace("EXPANSION", ""))
    return ["import", "terraform", t.root / "tf"]


@case("tf-deep-parentheses", 2, "main.tf:8", "nested more than 32 levels deep")
def _(t):
    t.write("tf/main.tf", TF.replace("EXPANSION", "").replace("size = 100", "size = " + "(" * 40 + "1" + ")" * 40))
    return ["import", "terraform", t.root / "tf"]


@case("tf-deep-var", 2, "--var", "nested more than 32 levels")
def _(t):
    t.write("tf/main.tf", 'variable "x" {}\n' + TF.replace("EXPANSION", ""))
    return ["import", "terraform", t.root / "tf", "--var", "x=" + "[" * 100_000 + "]" * 100_000]


@case("tf-deep-tfvars-json", 2, "vars.tfvars.json", "nested more than 256 levels")
def _(t):
    t.write("tf/main.tf", 'variable "x" {}\n' + TF.replace("EXPANSION", ""))
    return ["import", "terraform", t.root / "tf", "--var-file",
            t.write("vars.tfvars.json", '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")]


@case("tf-module-count-100000000", 2, "main.tf:2", "module.m.count", "100,000,000 instances")
def _(t):
    t.write("tf/main.tf", 'module "m" {\n  count = 100000000\n  source = "./m"\n}\n')
    t.write("tf/m/main.tf", TF.replace("EXPANSION", ""))
    return ["import", "terraform", t.root / "tf"]


DEEP_PLAN = '{"format_version": "1.2", "planned_values": {"root_module": {"resources": ' + "[" * 100_000 \
            + "]" * 100_000 + "}}}"


@case("plan-json-100000-nested-arrays", 2, "plan.json", "nested more than 256 levels")
def _(t):
    return ["import", "terraform", t.write("plan.json", DEEP_PLAN)]


@case("plan-json-300-nested-objects", 2, "plan.json", "nested more than 256 levels")
def _(t):
    return ["import", "terraform", t.write("plan.json", DEEP_PLAN.replace("[" * 100_000, '{"a": ' * 300 + "1")
                                           .replace("]" * 100_000, "}" * 300))]


@case("pulumi-json-deep", 2, "state.json", "nested more than 256 levels")
def _(t):
    return ["import", "pulumi", t.write("state.json", '{"version": 3, "deployment": ' + "[" * 50_000
                                        + "]" * 50_000 + "}")]


# --- 5. configuration --------------------------------------------------------------------------
USERS = "month,active_users\n2026-10,10400\n"


def _project(t: Tree, toml: str | bytes) -> None:
    t.write("proj/pyproject.toml", toml)
    t.write("proj/users.csv", USERS)
    t.cwd = t.root / "proj"


@case("pyproject-toml-syntax-error", 2, "pyproject.toml:3", "not valid TOML")
def _(t):
    # the import would have written into the default (sample) store: the tree check proves it did not
    _project(t, '[tool.costplan]\nstore = "spend.duckdb"\nstack = "oops\n')
    return ["import", "users", "users.csv"]


@case("pyproject-latin1-byte", 2, "pyproject.toml:2", "not UTF-8")
def _(t):
    _project(t, '[tool.costplan]\nstore = "sp\xe9nd.duckdb"\n'.encode("latin-1"))
    return ["import", "users", "users.csv"]


@case("pyproject-unknown-key", 2, "pyproject.toml:3", "stroe", "did you mean 'store'")
def _(t):
    _project(t, '[tool.costplan]\nstore = "spend.duckdb"\nstroe = "x.duckdb"\n')
    return ["import", "users", "users.csv"]


@case("pyproject-not-a-string", 2, "pyproject.toml:2", "[tool.costplan] store", "expected a string")
def _(t):
    _project(t, "[tool.costplan]\nstore = 5\n")
    return ["import", "users", "users.csv"]


@case("pyproject-stack-missing", 2, "pyproject.toml:2", "nope.yaml", "file not found")
def _(t):
    _project(t, '[tool.costplan]\nstack = "nope.yaml"\n')
    return ["estimate"]


def _one_store_beside_the_pyproject(t: Tree, res) -> None:
    assert (t.root / "proj" / "spend.duckdb").is_file()
    assert not list((t.root / "proj" / "sub").glob("*.duckdb"))


@case("pyproject-relative-path-from-a-subfolder", 0, check=_one_store_beside_the_pyproject)
def _(t):
    _project(t, '[tool.costplan]\nstore = "spend.duckdb"\n')
    t.write("proj/sub/users.csv", USERS)
    t.cwd = t.root / "proj" / "sub"
    return ["import", "users", "users.csv"]


@case("env-stack-missing", 2, "COSTPLAN_STACK", "file not found")
def _(t):
    t.env["COSTPLAN_STACK"] = str(t.root / "nope.yaml")
    return ["estimate"]


@case("env-store-is-a-folder", 2, "COSTPLAN_STORE", "is a folder")
def _(t):
    t.env["COSTPLAN_STORE"] = str(t.mkdir("afolder"))
    return ["actuals"]


@case("env-catalog-missing", 2, "COSTPLAN_CATALOG", "not found")
def _(t):
    t.env["COSTPLAN_CATALOG"] = str(t.root / "nope.csv")
    return ["project", "--simulations", "0", "--months", "1"]


def _warned(t: Tree, res) -> None:
    assert "COSTPLAN_STOER is not a costplan setting (did you mean COSTPLAN_STORE?)" in res.stderr
    assert json.loads(res.stdout)["total_monthly_cost"] > 0  # and the command still runs


@case("env-unknown-variable-warns", 0, check=_warned)
def _(t):
    t.env["COSTPLAN_STOER"] = "x.duckdb"
    return ["estimate", t.write("stack.yaml", SMALL), "--format", "json"]


# --- 6. exit codes: the environment is 1, with the path ----------------------------------------
@case("import-disk-full", 1, "spend.duckdb", "No space left on device", "nothing was imported")
def _(t):
    import duckdb

    from costplan.actuals.store import Store

    def full(self, *_a, **_k):
        raise duckdb.IOException(f'Could not write file "{self.path}": No space left on device')

    t.patch(Store, "load_query", full)
    t.write("focus.csv", _rows(months=("2026-11",)).to_csv(index=False))
    return ["import", "focus", t.root / "focus.csv", "--store", t.store]


@case("report-disk-full", 1, "r", "No space left on device", "nothing was changed")
def _(t):
    from costplan.reports import render

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    t.patch(render, "render_markdown", full)
    return ["report", "--out", t.root / "r", "--store", t.store, "--markdown", "--no-images", "--no-projection"]


@case("import-out-permission-denied", 1, "stack.yaml", "Permission denied")
def _(t):
    import tempfile

    def denied(*_a, **_k):
        raise PermissionError(errno.EACCES, "Permission denied")

    t.patch(tempfile, "mkstemp", denied)
    return ["import", "terraform", PLAN, "--out", t.root / "stack.yaml"]


@case("stack-unreadable", 1, "stack.yaml", "cannot read the file", "Permission denied")
def _(t):
    path = t.write("stack.yaml", SMALL)
    read_bytes = Path.read_bytes

    def denied(self):
        if self == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return read_bytes(self)

    t.patch(Path, "read_bytes", denied)
    return ["estimate", path]


@case("prices-info-parquet-catalog", 2, "file.parquet", "is not a text CSV")
def _(t):
    return ["prices", "info", "--catalog", t.write("file.parquet", b"PAR1\x15\x04\xff\xfe\x00" * 20)]


@case("catalog-broken-manifest", 2, "manifest.json", "not a valid catalog manifest")
def _(t):
    from costplan.pricing.catalog import DATA_DIR, newest_catalog_file

    shutil.copy(newest_catalog_file(DATA_DIR), t.mkdir("cat"))
    t.write("cat/manifest.json", "{not json")
    return ["prices", "info", "--catalog", t.root / "cat"]


# --- 7. report content is data -----------------------------------------------------------------
LINK = '<a href="https://evil.example/">Amazon EC2</a>'


def _labels_are_text(t: Tree, res) -> None:
    html = (t.root / "r" / "report.html").read_text()
    md = (t.root / "r" / "report.md").read_text()
    assert LINK not in html and LINK not in md
    assert '<a href="https://evil.example/"' not in html
    # the service's bar label in the figure JSON: entities plotly shows as text
    assert '&lt;a href=\\"https:\\u002f\\u002fevil.example\\u002f\\"&gt;Amazon EC2&lt;\\u002fa&gt;' in html


@case("report-service-name-with-a-link", 0, check=_labels_are_text)
def _(t):
    from costplan.actuals.store import Store

    evil = t.root / "store" / "evil.duckdb"
    with Store(evil) as s:
        s.load_frame(_rows(services=(LINK,), months=("2026-09", "2026-10")), "focus")
    return ["report", "--month", "2026-10", "--out", t.root / "r", "--store", evil, "--markdown", "--no-images",
            "--no-projection"]


# --- actual spend ------------------------------------------------------------------------------
@case("focus-empty-csv", 2, "empty.csv", "the file is empty")
def _(t):
    return ["import", "focus", t.write("empty.csv", ""), "--store", t.store]


@case("focus-truncated-csv", 2, "trunc.csv", "missing required columns BillingPeriodStart", "found: BilledCost")
def _(t):
    return ["import", "focus", t.write("trunc.csv", "BilledCost,Effecti"), "--store", t.store]


@case("focus-infinite-amount", 2, "focus.csv", "BilledCost", "not a finite amount", "'inf'")
def _(t):
    frame = _rows(months=("2026-11",)).astype({"BilledCost": object})
    frame.loc[3, "BilledCost"] = "inf"
    return ["import", "focus", t.write("focus.csv", frame.to_csv(index=False)), "--store", t.store]


@case("focus-nan-amount", 2, "focus.csv", "EffectiveCost", "not a finite amount")
def _(t):
    frame = _rows(months=("2026-11",)).astype({"EffectiveCost": object})
    frame.loc[0, "EffectiveCost"] = "NaN"
    return ["import", "focus", t.write("focus.csv", frame.to_csv(index=False)), "--store", t.store]


@case("focus-parquet-infinite-amount", 2, "focus.parquet", "BilledCost", "not a finite amount", "row 6")
def _(t):
    frame = _rows(months=("2026-11",))
    frame.loc[5, "BilledCost"] = float("inf")
    path = t.root / "focus.parquet"
    frame.to_parquet(path)
    return ["import", "focus", path, "--store", t.store]


@case("users-infinite-count", 2, "users.csv:2", "active_users")
def _(t):
    return ["import", "users", t.write("users.csv", "month,active_users\n2026-10,inf\n"), "--store", t.store]


@case("reconcile-plan-infinite", 2, "--plan", "ListCost must be a finite number", "line(s) 2")
def _(t):
    plan = "component,component_kind,ServiceName,ListCost\npostgres,rds,Amazon Relational Database Service,inf\n"
    return ["reconcile", "--plan", t.write("plan.csv", plan), "--month", "2026-10", "--store", t.store]


@case("reconcile-plan-binary", 2, "plan.parquet", "cannot read plan lines")
def _(t):
    return ["reconcile", "--plan", t.write("plan.parquet", b"PAR1\xff\xfe\x00" * 10), "--month", "2026-10",
            "--store", t.store]


@case("actuals-from-after-to", 2, "--from", "2026-09 is after --to 2026-03")
def _(t):
    return ["actuals", "--from", "2026-09", "--to", "2026-03", "--store", t.store]


@case("actuals-month-not-in-store", 2, "--month", "no spend for 2030-01", "it holds 2026-07 to 2026-10")
def _(t):
    return ["actuals", "--month", "2030-01", "--store", t.store]


@case("actuals-range-not-in-store", 2, "no spend for 2030-01 to the end")
def _(t):
    return ["actuals", "--from", "2030-01", "--store", t.store]


# --- the earlier bad-input cases, now through the CLI with the tree check -----------------------
def _earlier():
    from test_stack_spec import BAD as SPEC_BAD

    for cid, text, fragments in SPEC_BAD:
        CASES.append(Case(f"spec-{cid}", lambda t, text=text: ["estimate", t.write("stack.yaml", text)], 2,
                          ("stack.yaml", *fragments)))
    for cid, text, fragment in (
        ("not-a-mapping", "- a\n- b\n", "expected a YAML mapping"),
        ("empty-file", "", "empty"),
        ("syntax-error", "name: [unclosed\nregions: {}\n", "YAML syntax error"),
    ):
        CASES.append(Case(f"spec-{cid}", lambda t, text=text: ["estimate", t.write("stack.yaml", text)], 2,
                          ("stack.yaml", fragment)))
    for cid, args, fragment in (
        ("report-bad-month", ["report", "--month", "2026-13"], "bad month '2026-13'"),
        ("report-month-words", ["report", "--month", "Oct 2026"], "use YYYY-MM"),
        ("report-month-not-in-store", ["report", "--month", "2024-01"], "no spend for 2024-01"),
        ("report-missing-stack", ["report", "--stack", "/nonexistent/stack.yaml"], "/nonexistent/stack.yaml"),
        ("report-missing-store", ["report", "--store", "/nonexistent/store.duckdb"], "does not exist"),
        ("report-calibrate-without-projection", ["report", "--calibrate"], "cannot be combined"),
        ("actuals-bad-key", ["actuals", "--by", "servicename"], "did you mean 'ServiceName'"),
        ("actuals-bad-month", ["actuals", "--month", "2026-13"], "bad month"),
        ("actuals-bad-metric", ["actuals", "--metric", "Cost"], "unknown metric"),
        ("estimate-bad-format", ["estimate", str(REFERENCE), "--format", "xml"], "xml"),
        ("estimate-unknown-scenario", ["estimate", str(REFERENCE), "--scenario", "spto"], "unknown scenario 'spto'"),
        ("project-bad-view", ["project", "--view", "nope"], "--view"),
        ("commitments-bad-term", ["commitments", "--term", "2yr"], "--term"),
        ("diff-missing-side", ["diff", str(REFERENCE), "/nonexistent.yaml"], "/nonexistent.yaml"),
        ("import-focus-missing", ["import", "focus", "/nonexistent/focus.csv"], "/nonexistent/focus.csv"),
    ):
        def build(t, args=args):
            extra = []
            if args[0] in ("report", "actuals") and "--store" not in args:
                extra = ["--store", t.store]
            if args[0] == "report":
                extra += ["--out", t.root / "r", "--no-images", "--no-projection"]
            if args[:2] == ["import", "focus"]:
                extra = ["--store", t.store]
            return [*args, *extra]

        CASES.append(Case(cid, build, 2, (fragment,)))


_earlier()


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_refused(c: Case, tree: Tree, monkeypatch):
    args = c.build(tree)
    before = snapshot(tree.root)
    repo_before = sorted(p.name for p in REPO.iterdir())
    res = run(tree, args, monkeypatch)
    out = res.output
    assert res.exit_code == c.code, out
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in out and "unexpected" not in out, out
    for f in c.fragments:
        assert f in out, f"{f!r} not in {out!r}"
    monkeypatch.undo()  # the row's faults and working folder end with the command
    if c.check is not None:
        c.check(tree, res)
    else:
        assert snapshot(tree.root) == before, "the file tree changed"
    assert sorted(p.name for p in REPO.iterdir()) == repo_before, "something was written into the checkout"


def test_every_case_of_the_issue_has_a_row():
    """The corpus is the contract: these ids are the failures first seen; none may go."""
    ids = {c.id for c in CASES}
    required = {
        "report-out-dotdot-victim", "review-out-dotdot-victim", "report-out-symlink", "report-out-dot",
        "report-out-home", "report-out-checkout", "import-terraform-out-folder", "prices-refresh-out-dot",
        "stack-duplicate-regions", "stack-duplicate-desired", "stack-billion-laughs", "stack-5000-brackets",
        "stack-recursive-alias", "stack-python-tag", "stack-too-large", "scenario-typo-found-at-load",
        "scenario-typo-with-scenario-names-the-patch-line", "tf-count-100000000", "plan-json-100000-nested-arrays",
        "tf-5000-brackets", "tf-range-body-priced", "tf-for-each-range-10000-priced", "stack-size-inf",
        "claims-claimed-inf", "claims-total-nan-json",
        "stack-size-inf-json", "driver-nan", "project-months-100000", "stack-count-400-digits",
        "project-months-1000", "pyproject-toml-syntax-error", "pyproject-latin1-byte",
        "pyproject-relative-path-from-a-subfolder", "import-disk-full", "stack-unreadable", "import-terraform-out-dot",
        "prices-info-parquet-catalog", "report-service-name-with-a-link", "focus-empty-csv", "focus-truncated-csv",
        "actuals-from-after-to", "actuals-month-not-in-store",
    }
    assert required <= ids, sorted(required - ids)
    assert len([i for i in ids if i.startswith("spec-")]) >= 20


# --- the machine is not exhausted: the same inputs with 1 GiB of address space --------------------
def _limited(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    def limit():  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    env = {k: v for k, v in os.environ.items() if not k.startswith("COSTPLAN_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "costplan", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, preexec_fn=limit)


@pytest.mark.parametrize("name, text, args, fragment", [
    ("stack.yaml", BOMB, ["estimate"], "aliases expand to more than 10,000 nodes"),
    ("tf/main.tf", TF.replace("EXPANSION", "count = 100000000"), ["import", "terraform"], "100,000,000 instances"),
    ("plan.json", DEEP_PLAN, ["import", "terraform"], "nested more than 256 levels"),
], ids=["billion-laughs", "count-100000000", "deep-plan-json"])
def test_refused_within_a_small_memory_limit(tmp_path, name, text, args, fragment):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    target = path.parent if name.endswith(".tf") else path
    p = _limited([*args, str(target)], tmp_path)
    assert p.returncode == 2, p.stderr
    assert fragment in p.stderr and "Traceback" not in p.stderr and "MemoryError" not in p.stderr


# --- the property: any mutation of the reference stack is refused clearly or priced finitely -----
REFERENCE_DATA = yaml.safe_load(REFERENCE.read_text())


def _paths(v, prefix=()):
    if isinstance(v, dict):
        for k, x in v.items():
            yield (*prefix, k)
            yield from _paths(x, (*prefix, k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield (*prefix, i)
            yield from _paths(x, (*prefix, i))


PATHS = list(_paths(REFERENCE_DATA))
BAD_VALUES = [-1, 0, -0.5, 1.5, 10**400, 2**63, 1e13, 1e300, float("inf"), float("-inf"), float("nan"), "x", "",
              None, True, [], {}, [1, 2], {"a": 1}]
KEY_LINES = [i for i, ln in enumerate(REFERENCE.read_text().splitlines())
             if re.match(r"^\s*[A-Za-z_][\w.-]*:", ln) and not ln.lstrip().startswith("#")]


def _set(data, path, value):
    import copy

    data = copy.deepcopy(data)
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return data


def _rename(data, path, suffix):
    import copy

    data = copy.deepcopy(data)
    node = data
    for k in path[:-1]:
        node = node[k]
    if isinstance(node, dict):
        node[f"{path[-1]}{suffix}"] = node.pop(path[-1])
    return data


mutations = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(PATHS), st.sampled_from(BAD_VALUES)),
    st.tuples(st.just("rename"), st.sampled_from(PATHS), st.sampled_from(["x", "_", "s"])),
    st.tuples(st.just("duplicate"), st.sampled_from(KEY_LINES), st.just(None)),
)


def _mutated_text(m) -> str:
    kind, where, what = m
    if kind == "duplicate":  # a key written twice, as a careless edit does
        lines = REFERENCE.read_text().splitlines(keepends=True)
        return "".join(lines[: where + 1] + [lines[where]] + lines[where + 1:])
    data = _set(REFERENCE_DATA, where, what) if kind == "set" else _rename(REFERENCE_DATA, where, what)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@settings(max_examples=int(os.environ.get("MUTANTS", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=mutations)
@example(m=("set", ("regions", "us-east-1", "rds", "ultibiker-primary", "read_replicas"), -1))  # was an AttributeError
@example(m=("set", ("regions", "us-east-1", "rds"), [1, 2]))
@example(m=("set", ("commitments", "savings_plans"), "x"))
@example(m=("set", ("regions", "us-east-1", "node_pools", "app", "desired"), 10**400))
@example(m=("set", ("projection", "drivers", "active_users", "value"), float("nan")))
@example(m=("set", ("scenarios", "bigger-database", "patch", "regions"), 10**400))  # was an OverflowError
def test_mutated_reference_stack_is_refused_clearly_or_priced_finitely(m, tmp_path_factory):
    root = tmp_path_factory.mktemp("mutant")
    path = root / "stack.yaml"
    path.write_text(_mutated_text(m), encoding="utf-8")
    before = snapshot(root)
    res = runner.invoke(app, ["estimate", str(path), "--format", "json"])
    out = res.output
    assert res.exit_code in (0, 2), (m, out)
    assert res.exception is None or isinstance(res.exception, SystemExit), (m, repr(res.exception))
    assert "Traceback" not in out and "unexpected" not in out, (m, out)
    if res.exit_code == 2:
        assert "stack.yaml" in out, (m, out)
        if m[0] == "duplicate":
            assert "duplicate key" in out, (m, out)
    else:
        data = json.loads(res.stdout)
        assert math.isfinite(data["total_monthly_cost"])
        assert all(math.isfinite(ln["monthly_cost"]) for ln in data["lines"]), m
    assert snapshot(root) == before


# --- quantiles are monotone by construction --------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(allow_nan=False, min_value=-1e300, max_value=1e300),
                                   st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e15 + 0.1])),
                         min_size=3, max_size=3),
                min_size=1, max_size=40))
def test_quantiles_are_monotone(rows):
    """p10 <= p50 <= p90 in every column whose quantiles are defined, whatever the values."""
    import warnings

    import numpy as np

    from costplan.projection.simulate import quantiles

    with warnings.catch_warnings():  # inf - inf in numpy's interpolation: NaN, which is the point
        warnings.simplefilter("ignore", RuntimeWarning)
        q = quantiles(np.array(rows, dtype=float))
    for col in q.T:
        if not np.isnan(col).any():
            assert col[0] <= col[1] <= col[2], col


def test_a_ten_year_projection_keeps_p10_p50_p90_in_order():
    res = runner.invoke(app, ["project", str(REFERENCE), "--months", "120", "--simulations", "100", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for view in ("monthly", "by_component", "capacity", "per_user"):
        for row in out[view]:
            lo, mid, hi = row["p10"], row["p50"], row["p90"]
            if None not in (lo, mid, hi):
                assert lo <= mid <= hi, (view, row)
    assert all(math.isfinite(r["p90"]) for r in out["monthly"])


def test_a_projection_that_overflows_is_refused_not_priced_as_nan(monkeypatch):
    """The bounds keep every projection finite; if a cost still overflowed, the median would be
    NaN and the total inf: refused instead (the guard behind the bounds)."""
    import numpy as np

    from costplan.projection import simulate as sim

    real = sim.simulate

    def overflowing(*args, **kwargs):
        out = real(*args, **kwargs)
        cost = out[3]
        first = next(iter(cost))
        cost[first] = np.full_like(cost[first], np.inf)
        return out

    monkeypatch.setattr(sim, "simulate", overflowing)
    res = runner.invoke(app, ["project", str(REFERENCE), "--months", "3", "--simulations", "10", "--format", "json"])
    assert res.exit_code == 2 and "overflow" in res.output and "Traceback" not in res.output, res.output


PROJECTION_PATHS = [p for p in PATHS if p[0] == "projection"]
projection_mutations = st.tuples(st.just("set"), st.sampled_from(PROJECTION_PATHS), st.sampled_from(BAD_VALUES))


@settings(max_examples=int(os.environ.get("MUTANTS", "20")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=projection_mutations)
def test_mutated_projection_is_refused_clearly_or_projected_finitely(m, tmp_path_factory):
    """The same contract for `project`: a bad driver or capacity rule is refused with the file;
    what is accepted projects to finite, ordered ranges."""
    root = tmp_path_factory.mktemp("mutant")
    shutil.copytree(REFERENCE.parent / "k8s", root / "k8s")  # the manifests the stack names
    path = root / "stack.yaml"
    path.write_text(_mutated_text(m), encoding="utf-8")
    res = runner.invoke(app, ["project", str(path), "--months", "3", "--simulations", "10", "--format", "json"])
    out = res.output
    assert res.exit_code in (0, 2), (m, out)
    assert "Traceback" not in out and "unexpected" not in out, (m, out)
    if res.exit_code == 2:
        assert "stack.yaml" in out, (m, out)
    else:
        for row in json.loads(res.stdout)["monthly"]:
            assert all(math.isfinite(row[c]) for c in ("p10", "p50", "p90")), (m, row)
            assert row["p10"] <= row["p50"] <= row["p90"], (m, row)
