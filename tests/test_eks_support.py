"""EKS control-plane rate from the Kubernetes version: standard support ($0.10/h) for 14 months
after a version reaches EKS, extended support ($0.60/h) after (AWS EKS user guide, "Understand
the Kubernetes version lifecycle on EKS"; dates in costplan/pricing/data/eks-versions.csv)."""

from __future__ import annotations

import datetime as dt

import pytest

from costplan.audit import lint_stack
from costplan.estimator import estimate
from costplan.pricing.eks_versions import minor, support_on, versions
from costplan.stack.models import Stack
from tests.helpers import mini_catalog

H = 730


def stack(**cluster) -> Stack:
    return Stack.model_validate({"name": "eks", "regions": {"us-east-1": {"eks_clusters": {"main": cluster}}}})


def eks_line(res):
    (line,) = res.lines[res.lines.component_kind == "eks"].itertuples()
    return line


@pytest.mark.parametrize(
    "version,on,tier",
    [
        # 1.31: standard support until 2025-11-26, extended until 2026-11-26 (AWS's published dates)
        ("1.31", dt.date(2025, 11, 25), "standard"),
        ("1.31", dt.date(2025, 11, 26), "extended"),
        ("1.31", dt.date(2026, 11, 27), "extended"),  # past extended: upgraded, still billed extended
        ("v1.33.4", dt.date(2026, 7, 28), "standard"),
        ("1.33", dt.date(2026, 7, 29), "extended"),
        ("1.35", dt.date(2026, 12, 2), "standard"),
    ],
)
def test_support_tier_by_date(version, on, tier):
    assert support_on(version, on).tier == tier


def test_table_is_fourteen_plus_twelve_months():
    for v in versions().values():
        months = lambda a, b: (b.year - a.year) * 12 + b.month - a.month  # noqa: E731
        assert months(v.end_of_standard_support, v.end_of_extended_support) == 12, v.version
        assert 13 <= months(v.eks_release, v.end_of_standard_support) <= 17, v.version  # 14 months, older ones later
    assert minor("1.28-eks-5") == "1.28" and minor("latest") is None


def test_cluster_past_its_date_is_priced_at_the_extended_rate():
    res = estimate(stack(kubernetes_version="1.31"), mini_catalog(), on=dt.date(2026, 1, 15))
    line = eks_line(res)
    assert (line.variant, line.ListCost) == ("extended", pytest.approx(0.60 * H))  # $438.00
    assert "left standard support on 2025-11-26" in line.assumption
    res = estimate(stack(kubernetes_version="1.31"), mini_catalog(), on=dt.date(2025, 6, 1))
    assert eks_line(res).ListCost == pytest.approx(0.10 * H)  # $73.00


def test_no_version_warns_and_names_the_assumed_rate():
    res = estimate(stack(count=2), mini_catalog())
    assert eks_line(res).ListCost == pytest.approx(2 * 0.10 * H)
    (w,) = [w for w in res.warnings if "kubernetes_version" in w]
    assert "regions.us-east-1.eks_clusters.main" in w
    assert "standard-support rate ($0.1/h)" in w and "extended-support rate ($0.6/h)" in w


def test_stated_support_wins_and_the_lint_flags_the_contradiction():
    st = stack(kubernetes_version="1.29", support="standard")  # e.g. upgrade policy STANDARD
    res = estimate(st, mini_catalog(), on=dt.date(2026, 1, 1))
    assert eks_line(res).ListCost == pytest.approx(0.10 * H)
    (finding,) = lint_stack(st)
    assert "left EKS standard support on 2025-03-23" in finding["message"]


def test_unknown_versions_are_assumptions_with_a_warning():
    res = estimate(stack(kubernetes_version="1.40"), mini_catalog(), on=dt.date(2026, 12, 2))
    assert eks_line(res).variant == "standard"
    assert any("newer than the versions in the support table" in w for w in res.warnings)
    res = estimate(stack(kubernetes_version="1.19"), mini_catalog(), on=dt.date(2026, 12, 2))
    assert eks_line(res).variant == "extended"
    assert any("older than the versions in the support table" in w for w in res.warnings)


def test_terraform_import_carries_the_version_and_a_standard_upgrade_policy(tmp_path):
    from costplan.iac.terraform_hcl import import_hcl

    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_eks_cluster" "a" {\n  name = "a"\n  version = "1.31"\n  role_arn = "x"\n'
        '  vpc_config {\n    subnet_ids = ["s"]\n  }\n}\n'
        'resource "aws_eks_cluster" "b" {\n  name = "b"\n  version = "1.31"\n  role_arn = "x"\n'
        '  vpc_config {\n    subnet_ids = ["s"]\n  }\n  upgrade_policy {\n    support_type = "STANDARD"\n  }\n}\n'
    )
    clusters = import_hcl(tmp_path).stack["regions"]["us-east-1"]["eks_clusters"]
    assert clusters["a"] == {"count": 1, "kubernetes_version": "1.31"}
    assert clusters["b"] == {"count": 1, "support": "standard", "kubernetes_version": "1.31"}
