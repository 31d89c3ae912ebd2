"""Seeded generator of realistic AWS billing exports: FOCUS 1.0 with AWS columns and CUR 2.0.

The benchmarks measure on files shaped like the exports AWS Data Exports writes, not on a
narrow table that flatters every reader:

- FOCUS: the 48 columns of the "FOCUS 1.0 with AWS columns" table (the FOCUS 1.0 columns plus
  ``x_CostCategories``, ``x_Discounts``, ``x_Operation``, ``x_ServiceCode``, ``x_UsageType``),
  ``Tags`` and ``x_CostCategories`` as ``MAP(VARCHAR, VARCHAR)`` and ``x_Discounts`` as
  ``MAP(VARCHAR, DOUBLE)`` in Parquet (JSON objects in CSV, as the CSV exports write them);
- CUR 2.0: the line item, bill, pricing, savings plan and product columns the import maps,
  ``product`` and ``resource_tags`` as MAPs;
- the cardinalities of a mid-sized organisation's bill (measured on 10 M rows): 300,000
  resource ids, 37,000 SKUs, 7,400 usage types, hourly charge periods over 3 billing periods (2026-08 to 2026-10),
  42 services (skewed: EC2 and RDS hold most rows, as on real bills), 11 regions, 40 linked
  accounts, about 1.5 % Tax, Credit and Purchase rows, 8 % Savings Plan covered usage and
  5 % Spot usage.

Every value is a function of the row number and ``--seed``: the same arguments write the
same bytes. The data is synthetic (no real account, resource or price).

    python benchmarks/exportgen.py focus --rows 10000000 --out /tmp/focus.parquet
    python benchmarks/exportgen.py focus --rows 1000000 --out /tmp/focus.csv.gz
    python benchmarks/exportgen.py cur --rows 1000000 --out /tmp/cur2.parquet
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

#: The 48 columns of AWS's "FOCUS 1.0 with AWS columns" export, in its order.
FOCUS_COLUMNS = [
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost",
    "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
    "ServiceCategory", "ServiceName", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
    "x_CostCategories", "x_Discounts", "x_Operation", "x_ServiceCode", "x_UsageType",
]
MAP_COLUMNS = ("Tags", "x_CostCategories", "x_Discounts")

#: 42 services: (ServiceName, x_ServiceCode, ServiceCategory, PricingUnit, ResourceType).
SERVICES = [
    ("Amazon Elastic Compute Cloud", "AmazonEC2", "Compute", "Hours", "Instance"),
    ("Amazon Relational Database Service", "AmazonRDS", "Databases", "Hours", "DB Instance"),
    ("Amazon Simple Storage Service", "AmazonS3", "Storage", "GB-Months", "Bucket"),
    ("Amazon Elastic Kubernetes Service", "AmazonEKS", "Compute", "Hours", "Cluster"),
    ("Amazon ElastiCache", "AmazonElastiCache", "Databases", "Hours", "Cache Node"),
    ("AWS Data Transfer", "AWSDataTransfer", "Networking", "GB", "Data Transfer"),
    ("Elastic Load Balancing", "AWSELB", "Networking", "Hours", "Load Balancer"),
    ("Amazon CloudWatch", "AmazonCloudWatch", "Management and Governance", "Metrics", "Metric"),
    ("Amazon Virtual Private Cloud", "AmazonVPC", "Networking", "Hours", "NAT Gateway"),
    ("Amazon DynamoDB", "AmazonDynamoDB", "Databases", "Requests", "Table"),
    ("AWS Lambda", "AWSLambda", "Compute", "Lambda-GB-Second", "Function"),
    ("Amazon Route 53", "AmazonRoute53", "Networking", "Queries", "Hosted Zone"),
    ("AWS Key Management Service", "awskms", "Security", "Requests", "Key"),
    ("AWS WAF", "awswaf", "Security", "Requests", "Web ACL"),
    ("Amazon Simple Queue Service", "AWSQueueService", "Integration", "Requests", "Queue"),
    ("Amazon Simple Notification Service", "AmazonSNS", "Integration", "Requests", "Topic"),
    ("AWS Config", "AWSConfig", "Management and Governance", "Items", "Config Rule"),
    ("AWS CloudTrail", "AWSCloudTrail", "Management and Governance", "Events", "Trail"),
    ("Amazon Elastic Container Registry", "AmazonECR", "Storage", "GB-Months", "Repository"),
    ("Amazon Elastic File System", "AmazonEFS", "Storage", "GB-Months", "File System"),
    ("Amazon OpenSearch Service", "AmazonES", "Analytics", "Hours", "Domain"),
    ("Amazon Kinesis", "AmazonKinesis", "Analytics", "Hours", "Stream"),
    ("Amazon Athena", "AmazonAthena", "Analytics", "Terabytes", "Workgroup"),
    ("AWS Glue", "AWSGlue", "Analytics", "DPU-Hour", "Job"),
    ("Amazon Redshift", "AmazonRedshift", "Databases", "Hours", "Cluster"),
    ("Amazon CloudFront", "AmazonCloudFront", "Networking", "GB", "Distribution"),
    ("AWS Secrets Manager", "AWSSecretsManager", "Security", "Secrets", "Secret"),
    ("Amazon GuardDuty", "AmazonGuardDuty", "Security", "Events", "Detector"),
    ("AWS Backup", "AWSBackup", "Storage", "GB-Months", "Backup Vault"),
    ("Amazon Managed Streaming for Apache Kafka", "AmazonMSK", "Analytics", "Hours", "Broker"),
    ("AWS Step Functions", "AWSStepFunctions", "Integration", "Transitions", "State Machine"),
    ("Amazon API Gateway", "AmazonApiGateway", "Networking", "Requests", "API"),
    ("AWS X-Ray", "AWSXRay", "Management and Governance", "Traces", "Trace"),
    ("Amazon EventBridge", "AWSEvents", "Integration", "Events", "Event Bus"),
    ("AWS Systems Manager", "AWSSystemsManager", "Management and Governance", "Hours", "Managed Node"),
    ("Amazon Inspector", "AmazonInspectorV2", "Security", "Instances", "Scan"),
    ("Amazon Cognito", "AmazonCognito", "Security", "MAU", "User Pool"),
    ("AWS Shield", "AWSShield", "Security", "Months", "Protection"),
    ("Amazon SageMaker", "AmazonSageMaker", "AI and Machine Learning", "Hours", "Notebook"),
    ("Amazon Simple Email Service", "AmazonSES", "Integration", "Messages", "Identity"),
    ("AWS Support (Business)", "AWSSupportBusiness", "Other", "Months", "Support Plan"),
    ("Savings Plans for AWS Compute usage", "ComputeSavingsPlans", "Compute", "Hours", "Savings Plan"),
]
#: 11 regions: (RegionId, RegionName, usage type prefix).
REGIONS = [
    ("us-east-1", "US East (N. Virginia)", "USE1"), ("us-east-2", "US East (Ohio)", "USE2"),
    ("us-west-2", "US West (Oregon)", "USW2"), ("eu-west-1", "Europe (Ireland)", "EU"),
    ("eu-central-1", "Europe (Frankfurt)", "EUC1"), ("eu-west-2", "Europe (London)", "EUW2"),
    ("eu-north-1", "Europe (Stockholm)", "EUN1"), ("ap-southeast-1", "Asia Pacific (Singapore)", "APS1"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)", "APN1"), ("ap-south-1", "Asia Pacific (Mumbai)", "APS3"),
    ("sa-east-1", "South America (Sao Paulo)", "SAE1"),
]
#: Operations of a usage type family: 16 per service, so 42 x 16 x 11 regions = 7,392 usage
#: types (all of them occur on a 10 M-row bill; a small sample misses the rare services').
OPERATIONS = [
    "BoxUsage:m5.large", "BoxUsage:m5.xlarge", "BoxUsage:c5.xlarge", "BoxUsage:r6g.large", "SpotUsage:m5.large",
    "EBS:VolumeUsage.gp3", "EBS:SnapshotUsage", "DataTransfer-Out-Bytes", "DataTransfer-Regional-Bytes",
    "NatGateway-Hours", "TimedStorage-ByteHrs", "Requests-Tier1", "Requests-Tier2", "InstanceUsage:db.r6g.xl",
    "NodeUsage:cache.r7g.large", "LoadBalancerUsage",
]
#: The same for every other service, after its region prefix and service code.
GENERIC_OPERATIONS = [
    "Usage", "Requests-Tier1", "Requests-Tier2", "TimedStorage-ByteHrs", "DataTransfer-Out-Bytes",
    "DataTransfer-In-Bytes", "DataTransfer-Regional-Bytes", "NodeUsage", "InstanceUsage", "Backup-Storage",
    "ReadCapacityUnit-Hrs", "WriteCapacityUnit-Hrs", "API-Calls", "Metrics", "Events", "Hours",
]
RESOURCES = 300_000
ACCOUNTS = 40
SKU_VARIANTS = 5  # SKUs per usage type: 7,392 x 5 = 36,960
HOURS = (31 + 30 + 31) * 24  # 2026-08-01 .. 2026-10-31, hourly
START = "2026-08-01"
PAYER = "100000000000"


def _dimensions(con, seed: int = 0) -> None:
    """The tables the row SELECT joins: services, regions, operations, then one row per
    resource (its service, region, account, ARN, tags) and per SKU (usage type, list price,
    description). A join is far cheaper than building those strings and maps on every row."""
    import pandas as pd

    n_svc, n_reg = len(SERVICES), len(REGIONS)
    con.register("_svc_df", pd.DataFrame(SERVICES, columns=["name", "code", "cat", "unit", "rtype"]).assign(
        s=range(1, n_svc + 1)))
    con.register("_reg_df", pd.DataFrame(REGIONS, columns=["id", "rname", "prefix"]).assign(g=range(1, n_reg + 1)))
    con.register("_op_df", pd.DataFrame({"o": range(1, 17), "ec2": OPERATIONS, "generic": GENERIC_OPERATIONS}))
    for t in ("svc", "reg", "op"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _{t} AS SELECT * FROM _{t}_df")
        con.unregister(f"_{t}_df")
    # a resource has one service (skewed: EC2 and RDS hold most rows), region and account
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _res AS
        WITH x AS (
            SELECT res,
                   CAST(floor({n_svc} * pow((hash(res, {seed}, 4) % 1000003) / 1000003.0, 2.2)) AS INTEGER) + 1 AS s,
                   CAST(hash(res, {seed}, 5) % {n_reg} AS INTEGER) + 1 AS g,
                   CAST(hash(res, {seed}, 6) % {ACCOUNTS} AS INTEGER) AS a
            FROM range({RESOURCES}) t(res))
        SELECT res, s, g, a, CAST(200000000000 + a * 7919 AS VARCHAR) AS account,
               'arn:aws:' || lower(code) || ':' || id || ':' || CAST(200000000000 + a * 7919 AS VARCHAR) || ':'
                   || lower(replace(rtype, ' ', '-')) || '/r-' || lpad(CAST(res AS VARCHAR), 8, '0') AS arn,
               CASE WHEN res % 9 = 0 THEN 'svc-' || CAST(res % 5000 AS VARCHAR) END AS rname_,
               CASE WHEN s IN (1, 2, 5, 20) THEN id || chr(97 + CAST(res % 3 AS INTEGER)) END AS az,
               CASE WHEN res % 10 < 3 THEN MAP {{}}::MAP(VARCHAR, VARCHAR)
                    ELSE MAP {{'user:team': 'team-' || CAST(res % 12 AS VARCHAR),
                               'user:env': (['prod', 'staging', 'dev'])[CAST(res % 3 AS INTEGER) + 1],
                               'user:app': 'app-' || CAST(res % 150 AS VARCHAR)}} END AS tags,
               CASE WHEN a % 2 = 0 THEN MAP {{'CostCenter': 'cc-' || CAST(a % 8 AS VARCHAR)}}
                    ELSE MAP {{}}::MAP(VARCHAR, VARCHAR) END AS costcat,
               -- the same tags as CUR 2.0 writes them (resource_tags, user_ keys)
               CASE WHEN res % 10 < 3 THEN MAP {{}}::MAP(VARCHAR, VARCHAR)
                    ELSE MAP {{'user_team': 'team-' || CAST(res % 12 AS VARCHAR),
                               'user_env': (['prod', 'staging', 'dev'])[CAST(res % 3 AS INTEGER) + 1],
                               'user_app': 'app-' || CAST(res % 150 AS VARCHAR)}} END AS curtags
        FROM x JOIN _svc USING (s) JOIN _reg USING (g)""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _sku AS
        WITH x AS (SELECT s, g, o, v FROM _svc, _reg, _op, range({SKU_VARIANTS}) t(v))
        SELECT s, g, o, CAST(v AS INTEGER) AS v,
               CASE WHEN s = 1 THEN prefix || '-' || ec2 ELSE prefix || '-' || code || ':' || generic END AS ut,
               'Operation' || CAST(o AS VARCHAR) AS op_,
               printf('%016X', hash(s, g, o, v, {seed}, 8) % 1152921504606846976) AS sku,
               -- list price of the SKU [USD/unit]
               0.0001 + ((hash(s, g, o, v, {seed}, 7) % 20000) / 10000.0) AS price
        FROM x JOIN _svc USING (s) JOIN _reg USING (g) JOIN _op USING (o)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _sku AS
        SELECT k.*, '$' || CAST(round(price, 4) AS VARCHAR) || ' per ' || unit || ' for ' || ut AS descr
        FROM _sku k JOIN _svc USING (s)""")


def focus_sql(rows: int, seed: int = 0, *, cur_tags: bool = False) -> str:
    """A SELECT of ``rows`` FOCUS rows (the 48 columns, MAPs as MAPs); it joins the
    temporary tables :func:`_dimensions` creates."""
    return f"""
    WITH r AS (
        SELECT i, hash(i, {seed}, 1) AS h1, hash(i, {seed}, 2) AS h2,
               -- the k-th row of an hour is resource (k * 7919 + offset) mod RESOURCES: one row per
               -- resource and hour (7919 is prime to RESOURCES), so no two rows repeat each other
               CAST(((i // {HOURS}) * 7919 + hash(i % {HOURS}, {seed}, 3) % {RESOURCES}) % {RESOURCES} AS BIGINT) AS res,
               TIMESTAMP '{START}' + INTERVAL (i % {HOURS}) HOUR AS cps, i % 200 AS cc
        FROM range({rows}) t(i)),
    c AS (
        SELECT r.*, x.s, x.g, x.a, x.account, x.arn, x.rname_, x.az, x.tags, x.costcat, x.curtags,
               k.ut, k.op_, k.sku, k.price, k.descr, sv.name, sv.code, sv.cat, sv.unit, sv.rtype, rg.id, rg.rname,
               CASE WHEN cc = 0 THEN 'Tax' WHEN cc = 1 THEN 'Credit' WHEN cc = 2 THEN 'Purchase' ELSE 'Usage' END AS cat_,
               CASE WHEN cc < 3 THEN 'Standard' WHEN h2 % 100 < 8 AND x.s <= 2 THEN 'Committed'
                    WHEN h2 % 100 < 13 AND x.s = 1 THEN 'Dynamic' ELSE 'Standard' END AS pcat,
               date_trunc('month', cps) AS bps,
               -- quantity of the hour [unit]
               CASE WHEN h1 % 4 = 0 THEN 1.0 ELSE round(((h2 // 7) % 10000) / 100.0 + 0.01, 2) END AS qty
        FROM r JOIN _res x USING (res)
             JOIN _sku k ON k.s = x.s AND k.g = x.g AND k.o = CAST(r.h1 % 16 AS INTEGER) + 1
                        AND k.v = CAST(r.h2 % {SKU_VARIANTS} AS INTEGER)
             JOIN _svc sv ON sv.s = x.s JOIN _reg rg ON rg.g = x.g),
    d AS (
        SELECT *,
               CASE cat_ WHEN 'Tax' THEN round(0.01 + (h1 % 50000000) / 1e6, 6)
                         WHEN 'Credit' THEN -round(0.01 + (h1 % 20000000) / 1e6, 6)
                         WHEN 'Purchase' THEN round(1 + (h1 % 30000000) / 1e6, 6)
                         ELSE round(price * qty, 10) END AS list_cost,
               CASE WHEN pcat = 'Dynamic' THEN 0.3 WHEN pcat = 'Committed' THEN 0.72 WHEN a % 5 = 0 THEN 0.95 ELSE 1.0 END
                   AS rate
        FROM c),
    e AS (SELECT *, CASE WHEN cat_ = 'Usage' THEN round(list_cost * rate, 10) ELSE list_cost END AS contracted FROM d)
    SELECT
        CASE WHEN cat_ = 'Usage' THEN az END AS AvailabilityZone,
        CASE WHEN pcat = 'Committed' THEN 0.0 ELSE contracted END AS BilledCost,
        '{PAYER}' AS BillingAccountId, 'synthetic-payer' AS BillingAccountName, 'USD' AS BillingCurrency,
        bps + INTERVAL 1 MONTH AS BillingPeriodEnd, bps AS BillingPeriodStart,
        cat_ AS ChargeCategory, CAST(NULL AS VARCHAR) AS ChargeClass,
        CASE cat_ WHEN 'Usage' THEN descr WHEN 'Tax' THEN 'Tax for ' || code WHEN 'Credit' THEN 'Credit applied to ' || code
                  ELSE 'Savings Plan recurring fee' END AS ChargeDescription,
        CASE cat_ WHEN 'Usage' THEN 'Usage-Based' WHEN 'Purchase' THEN 'Recurring' ELSE 'One-Time' END AS ChargeFrequency,
        cps + INTERVAL 1 HOUR AS ChargePeriodEnd, cps AS ChargePeriodStart,
        CASE WHEN pcat = 'Committed' OR cat_ = 'Purchase' THEN 'Spend' END AS CommitmentDiscountCategory,
        CASE WHEN pcat = 'Committed' OR cat_ = 'Purchase'
             THEN 'arn:aws:savingsplans::{PAYER}:savingsplan/sp-' || CAST(a % 4 AS VARCHAR) END AS CommitmentDiscountId,
        CASE WHEN pcat = 'Committed' OR cat_ = 'Purchase' THEN 'sp-' || CAST(a % 4 AS VARCHAR) END
            AS CommitmentDiscountName,
        CASE WHEN pcat = 'Committed' THEN 'Used' END AS CommitmentDiscountStatus,
        CASE WHEN pcat = 'Committed' OR cat_ = 'Purchase' THEN 'Compute Savings Plan' END AS CommitmentDiscountType,
        CASE WHEN cat_ = 'Usage' THEN qty END AS ConsumedQuantity,
        CASE WHEN cat_ = 'Usage' THEN unit END AS ConsumedUnit,
        contracted AS ContractedCost,
        CASE WHEN cat_ = 'Usage' THEN round(price * rate, 10) END AS ContractedUnitPrice,
        CASE WHEN cat_ = 'Purchase' THEN 0.0 ELSE contracted END AS EffectiveCost,
        'Amazon Web Services, Inc.' AS InvoiceIssuerName,
        list_cost AS ListCost, CASE WHEN cat_ = 'Usage' THEN price END AS ListUnitPrice,
        pcat AS PricingCategory, CASE WHEN cat_ = 'Usage' THEN qty END AS PricingQuantity,
        CASE WHEN cat_ = 'Usage' THEN unit END AS PricingUnit,
        'AWS' AS ProviderName, 'Amazon Web Services, Inc.' AS PublisherName,
        CASE WHEN s <> 42 THEN id END AS RegionId, CASE WHEN s <> 42 THEN rname END AS RegionName,
        CASE WHEN cat_ = 'Usage' AND h2 % 10 <> 0 THEN arn END AS ResourceId,
        CASE WHEN cat_ = 'Usage' THEN rname_ END AS ResourceName,
        CASE WHEN cat_ = 'Usage' THEN rtype END AS ResourceType,
        cat AS ServiceCategory, name AS ServiceName, sku AS SkuId, sku || '.' || pcat AS SkuPriceId,
        account AS SubAccountId, 'account-' || CAST(a AS VARCHAR) AS SubAccountName,
        tags AS Tags, costcat AS x_CostCategories,
        CASE WHEN rate < 1.0 AND pcat = 'Standard' AND cat_ = 'Usage'
             THEN MAP {{'EdpDiscount': round(list_cost * (rate - 1.0), 10)}}
             ELSE MAP {{}}::MAP(VARCHAR, DOUBLE) END AS x_Discounts,
        CASE WHEN cat_ = 'Usage' THEN op_ END AS x_Operation,
        code AS x_ServiceCode,
        CASE WHEN cat_ = 'Usage' THEN ut END AS x_UsageType{", curtags AS _cur_tags" if cur_tags else ""}
    FROM e"""


def cur_sql(rows: int, seed: int = 0) -> str:
    """A SELECT of ``rows`` CUR 2.0 line items with the same shape and cardinalities, plus the
    ``SavingsPlanNegation`` line CUR writes for each Savings Plan covered usage line (it cancels
    the covered line's unblended cost, so the unblended costs add up to the invoice)."""
    return f"""
    WITH cu AS MATERIALIZED (
    SELECT BillingAccountId AS bill_payer_account_id, 'INV-' || strftime(BillingPeriodStart, '%Y%m') AS bill_invoice_id,
           BillingPeriodStart AS bill_billing_period_start_date, BillingPeriodEnd AS bill_billing_period_end_date,
           SubAccountId AS line_item_usage_account_id,
           CASE ChargeCategory WHEN 'Tax' THEN 'Tax' WHEN 'Credit' THEN 'Credit'
                WHEN 'Purchase' THEN 'SavingsPlanRecurringFee'
                ELSE CASE WHEN PricingCategory = 'Committed' THEN 'SavingsPlanCoveredUsage' ELSE 'Usage' END END
               AS line_item_line_item_type,
           ChargePeriodStart AS line_item_usage_start_date, ChargePeriodEnd AS line_item_usage_end_date,
           x_ServiceCode AS line_item_product_code, coalesce(x_UsageType, '') AS line_item_usage_type,
           x_Operation AS line_item_operation, ChargeDescription AS line_item_line_item_description,
           ResourceId AS line_item_resource_id, AvailabilityZone AS line_item_availability_zone,
           coalesce(PricingQuantity, 0) AS line_item_usage_amount,
           CASE WHEN PricingCategory = 'Committed' THEN round(ListCost * 0.95, 10) ELSE BilledCost END
               AS line_item_unblended_cost,
           ListCost AS pricing_public_on_demand_cost, PricingUnit AS pricing_unit,
           CASE PricingCategory WHEN 'Dynamic' THEN 'Spot' WHEN 'Committed' THEN 'OnDemand' ELSE 'OnDemand' END
               AS pricing_term,
           'USD' AS line_item_currency_code,
           CommitmentDiscountId AS savings_plan_savings_plan_a_r_n,
           CASE WHEN PricingCategory = 'Committed' THEN EffectiveCost ELSE 0.0 END
               AS savings_plan_savings_plan_effective_cost,
           CASE WHEN ChargeCategory = 'Purchase' THEN BilledCost ELSE 0.0 END AS savings_plan_total_commitment_to_date,
           CASE WHEN ChargeCategory = 'Purchase' THEN BilledCost ELSE 0.0 END AS savings_plan_used_commitment,
           RegionId AS product_region_code, SkuId AS product_sku,
           MAP {{'product_name': ServiceName, 'region': coalesce(RegionId, 'global'),
                 'servicecode': x_ServiceCode}} AS product,
           _cur_tags AS resource_tags,
           x_CostCategories AS cost_category
    FROM ({focus_sql(rows, seed, cur_tags=True)}))
    SELECT * FROM cu
    UNION ALL
    SELECT * REPLACE ('SavingsPlanNegation' AS line_item_line_item_type,
                      -line_item_unblended_cost AS line_item_unblended_cost,
                      0.0 AS savings_plan_savings_plan_effective_cost)
    FROM cu WHERE line_item_line_item_type = 'SavingsPlanCoveredUsage'"""


def write(kind: str, rows: int, out: str | os.PathLike, *, seed: int = 0, con=None) -> dict:
    """Write ``rows`` rows of ``kind`` (``focus`` or ``cur``) to ``out``: Parquet (snappy,
    122,880-row groups, as Data Exports write), CSV or CSV.gz by its suffix. Maps are JSON
    objects in CSV, dates ISO 8601 with ``Z``. Returns ``seconds`` and ``bytes``."""
    import duckdb

    con = con or duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _dimensions(con, seed)
    select = focus_sql(rows, seed) if kind == "focus" else cur_sql(rows, seed)
    t = time.perf_counter()
    name = out.name.lower()
    if name.endswith(".parquet"):
        con.execute(f"COPY ({select}) TO '{out}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)")
    elif name.endswith((".csv", ".csv.gz")):
        cols = FOCUS_COLUMNS if kind == "focus" else None
        rel = con.sql(select)
        names = cols or rel.columns
        types = dict(zip(rel.columns, [str(t) for t in rel.types], strict=True))
        exprs = []
        for c in names:
            t_ = types[c]
            if t_.startswith("MAP"):
                exprs.append(f'CAST(to_json("{c}") AS VARCHAR) AS "{c}"')
            elif t_.startswith("TIMESTAMP"):
                exprs.append(f"""strftime("{c}", '%Y-%m-%dT%H:%M:%S.000Z') AS "{c}\"""")
            else:
                exprs.append(f'"{c}"')
        comp = ", COMPRESSION gzip" if name.endswith(".gz") else ""
        con.execute(f"COPY (SELECT {', '.join(exprs)} FROM ({select})) TO '{out}' (HEADER, DELIMITER ','{comp})")
    else:
        raise SystemExit(f"{out}: name a .parquet, .csv or .csv.gz file")
    return {"seconds": time.perf_counter() - t, "bytes": out.stat().st_size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["focus", "cur"])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="a .parquet, .csv or .csv.gz file")
    a = ap.parse_args()
    r = write(a.kind, a.rows, a.out, seed=a.seed)
    print(f"wrote {a.rows:,} {a.kind} rows to {a.out}: {r['bytes'] / 1e6:,.1f} MB in {r['seconds']:.1f} s")


if __name__ == "__main__":
    main()
