"""Observability and security services: CloudWatch, X-Ray, VPC Flow Logs, WAF, Config,
CloudTrail, KMS."""

from __future__ import annotations

from costplan.components.base import CostLine, PricedService, PriceListOffer, PricingContext, keep
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


SERVICES = (
    PricedService("cloudwatch", "cloudwatch", price_cloudwatch, CloudWatch, products=("AmazonCloudWatch",),
                  # the AmazonCloudWatch offer also prices flow_logs (vended logs)
                  price_list=(PriceListOffer("AmazonCloudWatch"),), terraform_handlers=("aws_cloudwatch_metric_alarm",),
                  scalings=frozenset({"fixed", "traffic"}),
                  catalog_keys=(("AmazonCloudWatch", "cloudwatch-metrics", "metric-month"),
                                ("AmazonCloudWatch", "cloudwatch-alarm", "alarm-month"),
                                ("AmazonCloudWatch", "cloudwatch-logs", "ingest-gb"),
                                ("AmazonCloudWatch", "cloudwatch-logs", "storage-gb-month")),
                  terraform={"aws_cloudwatch_log_group": {"usage": {"ingest_gb": "log_ingest_gb",
                                                                    "storage_gb": "log_storage_gb"}}},
                  usage_keys={"aws_cloudwatch_log_group": {"ingest_gb": (0, "logs ingested [GB/month]"),
                                                           "storage_gb": (0, "logs stored [GB-month]")}},
                  usage_types=(("cloudwatch-metrics", "*", "CW:MetricMonitorUsage"), ("cloudwatch-alarm", "*", "CW:AlarmMonitorUsage"),
                               ("*", "GB", "DataProcessing-Bytes"), ("*", "*", "TimedStorage-ByteHrs"))),
    PricedService("xray", "xray", price_xray, XRay, products=("AWSXRay",), scalings=frozenset({"traffic"}),
                  price_list=(PriceListOffer("AWSXRay", global_queries=(
                      {"usagetype": "Global-XRay-TracesStored"}, {"usagetype": "Global-XRay-TracesAccessed"})),),
                  catalog_keys=(("AWSXRay", "xray", "traces-recorded-million"),
                                ("AWSXRay", "xray", "traces-retrieved-million")),
                  usage_types=(("*", "*", ["XRay-TracesStored", "XRay-TracesRetrieved"]),)),
    PricedService("flow_logs", "flow_logs", price_flow_logs, FlowLogs, products=("AmazonCloudWatch",),
                  terraform_handlers=("aws_flow_log",),
                  scalings=frozenset({"traffic"}), catalog_keys=(("AmazonCloudWatch", "vpc-flow-logs", "ingest-gb"),),
                  usage_types=(("*", "*", "VendedLog-Bytes"),)),
    PricedService("waf", "waf", price_waf, Waf, products=("awswaf",), scalings=frozenset({"fixed", "traffic"}),
                  price_list=(PriceListOffer("awswaf"),), terraform_handlers=("aws_wafv2_web_acl",),
                  catalog_keys=(("awswaf", "waf-web-acl", "acl-month"), ("awswaf", "waf-rule", "rule-month"),
                                ("awswaf", "waf-requests", "million-requests")),
                  usage_types=(("waf-web-acl", "*", "WebACL"), ("waf-rule", "*", "Rule"), ("*", "*", "Request"))),
    PricedService("config", "config", price_config, Config, products=("AWSConfig",), scalings=frozenset({"fixed"}),
                  price_list=(PriceListOffer("AWSConfig"),),
                  pulumi_tokens={"aws:cfg/rule:Rule": "aws_config_config_rule",
                                 "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder"},
                  catalog_keys=(("AWSConfig", "config", "configuration-item"), ("AWSConfig", "config", "rule-evaluation")),
                  terraform={"aws_config_config_rule": {"usage": {"rule_evaluations": "rule_evaluations"}},
                             "aws_config_configuration_recorder": {"usage": {"configuration_items": "configuration_items"}}},
                  usage_keys={
                      "aws_config_config_rule": {"rule_evaluations": (0, "evaluations of this rule [evaluations/month]")},
                      "aws_config_configuration_recorder": {
                          "configuration_items": (0, "configuration items recorded [items/month]")},
                  },
                  usage_types=(("*", "Items", "ConfigurationItemRecorded"), ("*", "*", "ConfigRuleEvaluations"))),
    PricedService("cloudtrail", "cloudtrail", price_cloudtrail, CloudTrail, products=("AWSCloudTrail",),
                  price_list=(PriceListOffer("AWSCloudTrail"),), pulumi_tokens={"aws:cloudtrail/trail:Trail": "aws_cloudtrail"},
                  scalings=frozenset({"fixed", "traffic"}),
                  catalog_keys=(("AWSCloudTrail", "cloudtrail", "management-events-copy-100k"),
                                ("AWSCloudTrail", "cloudtrail", "data-events-100k"),
                                ("AWSCloudTrail", "cloudtrail", "insights-events-100k")),
                  terraform={"aws_cloudtrail": {"usage": {k: k for k in ("management_event_copies_100k", "data_events_100k",
                                                                         "insights_events_100k")}}},
                  usage_keys={"aws_cloudtrail": {
                      "management_event_copies_100k": (0, "management events beyond the free first copy [100k events/month]"),
                      "data_events_100k": (0, "data events [100k events/month]"),
                      "insights_events_100k": (0, "events analysed by Insights [100k events/month]"),
                  }},
                  usage_types=(("*", "*", ["PaidEventsRecorded", "DataEventsRecorded"]),)),
    PricedService("kms", "kms", price_kms, Kms, products=("awskms",), scalings=frozenset({"fixed", "traffic"}),
                  price_list=(PriceListOffer("awskms"),),
                  catalog_keys=(("awskms", "kms-key", "key-month"), ("awskms", "kms-requests", "10k-requests")),
                  terraform={"aws_kms_key": {"counts": {"keys": 1}, "usage": {"requests_10k": "requests_10k"}}},
                  usage_keys={"aws_kms_key": {"requests_10k": (0, "API requests beyond the free tier [10k requests/month]")}},
                  usage_types=(("kms-key", "*", "KMS-Keys"), ("*", "*", "KMS-Requests"))),
)
