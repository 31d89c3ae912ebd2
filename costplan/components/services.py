"""Observability and security services: CloudWatch, X-Ray, VPC Flow Logs, WAF, Config,
CloudTrail, KMS."""

from __future__ import annotations

from costplan.components.base import CostLine, PricingContext, keep
from costplan.stack.models import CloudTrail, CloudWatch, Config, FlowLogs, Kms, Waf, XRay


def _common(region, section, kind, service, path, why):
    return dict(component=f"{region}/{section}", kind=kind, region=region, service=service, path=path, assumption=why)


def price_cloudwatch(name: str, c: CloudWatch, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    cm = _common(region, "cloudwatch", "cloudwatch", "AmazonCloudWatch", path, c.why)
    return keep(
        ctx.priced(sku="cloudwatch-metrics", usage="metric-month", scaling="fixed", quantity=c.metrics,
                   description=f"{c.metrics:,.0f} metrics", **cm),
        ctx.priced(sku="cloudwatch-alarm", usage="alarm-month", scaling="fixed", variant="standard", quantity=c.alarms_standard,
                   description=f"{c.alarms_standard:,.0f} standard alarms", **cm),
        ctx.priced(sku="cloudwatch-alarm", usage="alarm-month", scaling="fixed", variant="high-resolution",
                   quantity=c.alarms_high_resolution, description=f"{c.alarms_high_resolution:,.0f} high-resolution alarms",
                   **cm),
        ctx.priced(sku="cloudwatch-logs", usage="ingest-gb", scaling="traffic", quantity=c.log_ingest_gb,
                   description=f"{c.log_ingest_gb:,.0f} GB logs ingested", **cm),
        ctx.priced(sku="cloudwatch-logs", usage="storage-gb-month", scaling="traffic", quantity=c.log_storage_gb,
                   description=f"{c.log_storage_gb:,.0f} GB logs stored", **cm),
    )


def price_xray(name: str, x: XRay, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    cm = _common(region, "xray", "xray", "AWSXRay", path, x.why)
    return keep(
        ctx.priced(sku="xray", usage="traces-recorded-million", scaling="traffic", quantity=x.traces_recorded_million,
                   description=f"{x.traces_recorded_million:g} million traces recorded", **cm),
        ctx.priced(sku="xray", usage="traces-retrieved-million", scaling="traffic", quantity=x.traces_retrieved_million,
                   description=f"{x.traces_retrieved_million:g} million traces retrieved or scanned", **cm),
    )


def price_flow_logs(name: str, f: FlowLogs, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    cm = _common(region, "flow_logs", "flow_logs", "AmazonCloudWatch", path, f.why)
    return keep(
        ctx.priced(sku="vpc-flow-logs", usage="ingest-gb", scaling="traffic", variant=f.destination, quantity=f.ingest_gb,
                   description=f"{f.ingest_gb:,.0f} GB VPC Flow Logs delivered to {f.destination}", **cm),
    )


def price_waf(name: str, w: Waf, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    cm = _common(region, "waf", "waf", "awswaf", path, w.why)
    return keep(
        ctx.priced(sku="waf-web-acl", usage="acl-month", scaling="fixed", quantity=w.web_acls, description=f"{w.web_acls} web ACLs", **cm),
        ctx.priced(sku="waf-rule", usage="rule-month", scaling="fixed", quantity=w.rules, description=f"{w.rules} rules", **cm),
        ctx.priced(sku="waf-requests", usage="million-requests", scaling="traffic", quantity=w.requests_million,
                   description=f"{w.requests_million:g} million requests inspected", **cm),
    )


def price_config(name: str, c: Config, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    cm = _common(region, "config", "config", "AWSConfig", path, c.why)
    return keep(
        ctx.priced(sku="config", usage="configuration-item", scaling="fixed", quantity=c.configuration_items,
                   description=f"{c.configuration_items:,.0f} configuration items recorded", **cm),
        ctx.priced(sku="config", usage="rule-evaluation", scaling="fixed", quantity=c.rule_evaluations,
                   description=f"{c.rule_evaluations:,.0f} rule evaluations", **cm),
    )


def price_cloudtrail(name: str, t: CloudTrail, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    cm = _common(region, "cloudtrail", "cloudtrail", "AWSCloudTrail", path, t.why)
    return keep(
        ctx.priced(sku="cloudtrail", usage="management-events-copy-100k", scaling="fixed", quantity=t.management_event_copies_100k,
                   description="management events in additional trails", **cm),
        ctx.priced(sku="cloudtrail", usage="data-events-100k", scaling="traffic", quantity=t.data_events_100k,
                   description=f"{t.data_events_100k * 0.1:g} million data events", **cm),
        ctx.priced(sku="cloudtrail", usage="insights-events-100k", scaling="fixed", quantity=t.insights_events_100k,
                   description=f"{t.insights_events_100k * 0.1:g} million events analysed by Insights", **cm),
    )


def price_kms(name: str, k: Kms, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    cm = _common(region, "kms", "kms", "awskms", path, k.why)
    return keep(
        ctx.priced(sku="kms-key", usage="key-month", scaling="fixed", quantity=k.keys, description=f"{k.keys} customer managed keys", **cm),
        ctx.priced(sku="kms-requests", usage="10k-requests", scaling="traffic", quantity=k.requests_10k,
                   description=f"{k.requests_10k * 10_000:,.0f} API requests", **cm),
    )
