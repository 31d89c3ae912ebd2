"""Every generally available region of the standard (commercial) AWS partition, in one place.

Each :class:`Region` has its code (``us-west-2``), the name AWS's console and documentation
use (``US West (Oregon)``) and the ``location`` string the AWS Price List uses for it
(``US West (Oregon)``; European regions are ``EU (...)`` there). Stack validation, the
Terraform/Pulumi imports, FOCUS exports, the Price List parsers and the catalog build all
read this table, so a region is added in exactly one line.

The list is the set of commercial regions in the AWS Spot Instance Advisor feed of
2025-06-28 (data/price-sources, Apache-2.0), which names every region where EC2 is generally
available; GovCloud, China and Local Zones are out of scope. ``priced`` is False for a region
the embedded catalog has no price basis for (no licensed source lists a price there):
costplan accepts it in a stack and says so when a price is missing, never prices it at 0.

>>> REGIONS_BY_CODE["us-west-2"].location
'US West (Oregon)'
>>> REGIONS_BY_CODE["eu-west-1"].location
'EU (Ireland)'
>>> len(REGIONS), len(PRICED_REGIONS)
(33, 32)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """One commercial AWS region."""

    code: str
    """Region code, e.g. ``eu-west-1``."""
    name: str
    """AWS's display name, e.g. ``Europe (Ireland)``."""
    location: str
    """The AWS Price List ``location`` attribute, e.g. ``EU (Ireland)``."""
    priced: bool = True
    """Whether the embedded catalog prices this region."""


def _r(code: str, name: str, location: str | None = None, priced: bool = True) -> Region:
    return Region(code, name, location or name.replace("Europe (", "EU ("), priced)


REGIONS: tuple[Region, ...] = (
    _r("us-east-1", "US East (N. Virginia)"),
    _r("us-east-2", "US East (Ohio)"),
    _r("us-west-1", "US West (N. California)"),
    _r("us-west-2", "US West (Oregon)"),
    _r("af-south-1", "Africa (Cape Town)"),
    _r("ap-east-1", "Asia Pacific (Hong Kong)"),
    _r("ap-east-2", "Asia Pacific (Taipei)", priced=False),
    _r("ap-south-1", "Asia Pacific (Mumbai)"),
    _r("ap-south-2", "Asia Pacific (Hyderabad)"),
    _r("ap-southeast-1", "Asia Pacific (Singapore)"),
    _r("ap-southeast-2", "Asia Pacific (Sydney)"),
    _r("ap-southeast-3", "Asia Pacific (Jakarta)"),
    _r("ap-southeast-4", "Asia Pacific (Melbourne)"),
    _r("ap-southeast-5", "Asia Pacific (Malaysia)"),
    _r("ap-southeast-7", "Asia Pacific (Thailand)"),
    _r("ap-northeast-1", "Asia Pacific (Tokyo)"),
    _r("ap-northeast-2", "Asia Pacific (Seoul)"),
    _r("ap-northeast-3", "Asia Pacific (Osaka)"),
    _r("ca-central-1", "Canada (Central)"),
    _r("ca-west-1", "Canada West (Calgary)"),
    _r("eu-central-1", "Europe (Frankfurt)"),
    _r("eu-central-2", "Europe (Zurich)"),
    _r("eu-west-1", "Europe (Ireland)"),
    _r("eu-west-2", "Europe (London)"),
    _r("eu-west-3", "Europe (Paris)"),
    _r("eu-south-1", "Europe (Milan)"),
    _r("eu-south-2", "Europe (Spain)"),
    _r("eu-north-1", "Europe (Stockholm)"),
    _r("il-central-1", "Israel (Tel Aviv)"),
    _r("me-south-1", "Middle East (Bahrain)"),
    _r("me-central-1", "Middle East (UAE)"),
    _r("mx-central-1", "Mexico (Central)"),
    _r("sa-east-1", "South America (Sao Paulo)"),
)

REGIONS_BY_CODE: dict[str, Region] = {r.code: r for r in REGIONS}
PRICED_REGIONS: tuple[str, ...] = tuple(r.code for r in REGIONS if r.priced)
"""Region codes the embedded catalog prices every service in."""
REGION_NAMES: dict[str, str] = {r.code: r.name for r in REGIONS}
"""Region code -> display name (``units.AWS_REGIONS`` is this table)."""
PRICE_LIST_LOCATIONS: dict[str, str] = {r.code: r.location for r in REGIONS}
"""Region code -> AWS Price List ``location``."""
LOCATION_TO_REGION: dict[str, str] = {
    **{r.name: r.code for r in REGIONS},
    **{r.location: r.code for r in REGIONS},
}
"""Price List ``location`` (either spelling of the European names) -> region code."""
