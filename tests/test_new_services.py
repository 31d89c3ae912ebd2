"""Amazon EFS, Amazon ECR and RDS Proxy, priced by hand from their us-east-1 list prices
(typed in below; the same values as the embedded catalog's sources: EFS and ECR from
Infracost's golden files, RDS Proxy from the RDS pricing page)."""

from __future__ import annotations

import pytest
from helpers import P, mini_catalog

from costplan.estimator import estimate
from costplan.stack import stack_from_data

H = 730
PRICES = [
    P("AmazonEFS", "efs-standard", "storage-gb-month", "GB-Mo", 0.30),
    P("AmazonEFS", "efs-standard-ia", "storage-gb-month", "GB-Mo", 0.025),
    P("AmazonEFS", "efs-one-zone", "storage-gb-month", "GB-Mo", 0.16),
    P("AmazonEFS", "efs-ia-requests", "read-gb", "GB", 0.01),
    P("AmazonEFS", "efs-ia-requests", "write-gb", "GB", 0.01),
    P("AmazonEFS", "efs-provisioned-throughput", "mbps-month", "MBps-Mo", 6.00),
    P("AmazonECR", "ecr-storage", "storage-gb-month", "GB-Mo", 0.10),
    P("AmazonRDS", "rds-proxy", "vcpu-hour", "vCPU-Hrs", 0.015),
    P("AmazonRDS", "db.t3.micro", "instance-hour", "Hrs", 0.018, variant="postgresql:single-az"),
]


def est(region: dict):
    return estimate(stack_from_data({"name": "new", "regions": {"us-east-1": region}}), mini_catalog(PRICES))


def test_efs_storage_classes_requests_and_throughput():
    r = est({"efs": {"standard_gb": 230, "infrequent_access_gb": 100, "one_zone_gb": 230,
                     "infrequent_access_reads_gb": 50, "infrequent_access_writes_gb": 100,
                     "provisioned_throughput_mbps": 88.5, "why": "test"}})
    # 230 x 0.30 = 69.00; 100 x 0.025 = 2.50; 230 x 0.16 = 36.80; 50 x 0.01 = 0.50; 100 x 0.01 = 1.00;
    # 88.5 MB/s x $6.00 = 531.00
    assert r.total_monthly_cost == pytest.approx(69.00 + 2.50 + 36.80 + 0.50 + 1.00 + 531.00)
    assert set(r.lines.ServiceName) == {"Amazon Elastic File System"}
    assert set(r.lines.scaling) == {"stored", "traffic", "fixed"}


def test_ecr_storage():
    r = est({"ecr": {"storage_gb": 20, "why": "test"}})
    assert r.total_monthly_cost == pytest.approx(20 * 0.10)  # $2.00


def test_rds_proxy_is_billed_per_vcpu_with_a_minimum_of_two():
    # RDS Proxy pricing: per vCPU-hour of the instance, minimum 2 vCPUs. db.t3.micro has 2 vCPUs:
    # 2 x 730 x 0.015 = 21.90; the instance 0.018 x 730 = 13.14; 20 GB gp3 single-AZ 20 x 0.115 = 2.30
    db = {"instance_class": "db.t3.micro", "storage": {"type": "gp3", "size_gb": 20},
          "proxy": {"why": "test"}}
    r = est({"rds": {"db": db}})
    proxy = r.lines[r.lines.sku == "rds-proxy"]
    assert float(proxy.ListCost.sum()) == pytest.approx(21.90)
    assert r.total_monthly_cost == pytest.approx(21.90 + 13.14 + 2.30)


def test_reference_stack_prices_the_three_services():
    import costplan
    from costplan.config import DEFAULT_STACK

    lines = costplan.estimate(costplan.load_stack(DEFAULT_STACK)).lines.set_index(["component", "sku"])
    # db.r6g.xlarge: 4 vCPU x 730 h x $0.015 = 43.80; EFS 50 GB x $0.30 = 15.00; ECR 20 GB x $0.10 = 2.00
    assert lines.loc[("us-east-1/rds/ultibiker-primary", "rds-proxy"), "ListCost"] == pytest.approx(43.80)
    assert lines.loc[("us-east-1/efs", "efs-standard"), "ListCost"] == pytest.approx(15.00)
    assert lines.loc[("us-east-1/ecr", "ecr-storage"), "ListCost"] == pytest.approx(2.00)


def test_terraform_efs_and_ecr_resources_become_their_sections():
    from costplan.iac.resources import Resource, build_stack
    from costplan.iac.usage import Usage

    res = [Resource(address="aws_efs_file_system.shared", type="aws_efs_file_system", values={}, region="us-east-1"),
           Resource(address="aws_ecr_repository.api", type="aws_ecr_repository", values={}, region="us-east-1")]
    usage = Usage(resources={"aws_efs_file_system.shared": {"storage_gb": 40, "why": "test"},
                             "aws_ecr_repository.api": {"storage_gb": 8, "why": "test"}})
    region = build_stack(res, name="t", source="t", usage=usage).stack["regions"]["us-east-1"]
    assert region["efs"]["standard_gb"] == 40 and region["ecr"]["storage_gb"] == 8
