"""Names, units and constants shared across costplan (see docs/nomenclature.md)."""

from __future__ import annotations

HOURS_PER_MONTH = 730.0
"""AWS's average month for hourly prices [h/month] (8,760 h / 12)."""

HOURS_PER_YEAR = 8760.0
"""[h/year]"""

# Commercial AWS regions (code -> name), used to validate stack specs: costplan/regions.py is
# the one table of regions, their names and Price List locations.
from costplan.regions import REGION_NAMES as AWS_REGIONS  # noqa: E402, F401 (re-exported)


def __getattr__(name: str):
    """``SERVICE_NAMES`` (AWS service code -> the ServiceName Cost Explorer and the estimate
    use): a view of :data:`costplan.components.products.PRODUCTS`."""
    if name == "SERVICE_NAMES":
        from costplan.components.products import PRODUCTS

        return {code: p.name for code, p in PRODUCTS.items()}
    raise AttributeError(name)
