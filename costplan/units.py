"""Names, units and constants shared across costplan (see docs/nomenclature.md)."""

from __future__ import annotations

HOURS_PER_MONTH = 730.0
"""AWS's average month for hourly prices [h/month] (8,760 h / 12)."""

HOURS_PER_YEAR = 8760.0
"""[h/year]"""

# Commercial AWS regions (code -> name), used to validate stack specs.
AWS_REGIONS: dict[str, str] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-south-1": "Europe (Milan)",
    "eu-south-2": "Europe (Spain)",
    "eu-north-1": "Europe (Stockholm)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-south-1": "Middle East (Bahrain)",
    "me-central-1": "Middle East (UAE)",
    "sa-east-1": "South America (Sao Paulo)",
}


def __getattr__(name: str):
    """``SERVICE_NAMES`` (AWS service code -> the ServiceName Cost Explorer and the estimate
    use): a view of :data:`costplan.components.products.PRODUCTS`."""
    if name == "SERVICE_NAMES":
        from costplan.components.products import PRODUCTS

        return {code: p.name for code, p in PRODUCTS.items()}
    raise AttributeError(name)
