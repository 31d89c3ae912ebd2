"""The claimed-budget audit, with claims and expected values worked out by hand."""

from __future__ import annotations

import textwrap

import pytest
from helpers import base_stack_dict, mini_catalog

from costplan.audit import audit, load_claims
from costplan.errors import InputError
from costplan.estimator import estimate
from costplan.stack import stack_from_data


def _stack():
    d = base_stack_dict()
    d["regions"]["us-east-1"]["nat_gateways"] = {"count": 3, "gb_processed": 0, "why": "one per AZ"}
    d["regions"]["us-east-1"]["node_pools"]["sys"] = {"instance_types": ["c5.large"], "count": 4}
    return stack_from_data(d)


CLAIMS = """\
source: test table
claimed_total: 1475
lines:
  eks:
    label: EKS
    claimed: 72            # 0.10 x 720 h: the table used 720 h
    match: {kinds: [eks]}
  workers:
    label: Workers (c5.xlarge x 6)
    claimed: 1260          # implies $0.2877/h
    quantity: 6
    unit: nodes
    match: {components: ["*/node_pools/app"]}
  system:
    label: System (c5.large x 4)
    claimed: 143           # 4 x 0.085 x 730 = 248.20, but at half the nodes: 2 x 0.085 x ~841 h
    quantity: 2
    unit: nodes
    match: {components: ["*/node_pools/sys"]}
"""


def test_audit_flags_and_reasons(write):
    st = _stack()
    r = estimate(st, mini_catalog())
    res = audit(write("claims.yaml", CLAIMS), r, stack=st, catalog=mini_catalog())
    c = res.comparison.set_index("line")
    # EKS: 72 claimed vs 73.00 computed: within 10%, but the reason logic is not needed
    assert c.loc["eks", "computed"] == pytest.approx(73.0)
    assert c.loc["eks", "flag"] == "ok"
    # workers: 1260 vs 6 x 0.17 x 730 = 744.60 -> ratio 1.692, over, unit price reason
    assert c.loc["workers", "computed"] == pytest.approx(744.60)
    assert c.loc["workers", "ratio"] == pytest.approx(1260 / 744.60)
    assert c.loc["workers", "flag"] == "over"
    assert "unit price" in c.loc["workers", "reason"] and "0.2877" in c.loc["workers", "reason"]
    # spot alternative from the catalog's spot row: 6 x 730 x 0.0748 = 327.62
    assert "on spot the same nodes would cost about $327.62" in c.loc["workers", "reason"]
    # system: the claim counts 2 nodes, the stack 4 -> size reason
    assert c.loc["system", "flag"] == "under"
    assert "size: the claim counts 2 nodes, the stack has 4 nodes" in c.loc["system", "reason"]
    # NAT gateways are priced but not claimed: 3 x 0.045 x 730 = 98.55
    assert c.loc["(missing) nat_gateway", "computed"] == pytest.approx(98.55)
    assert c.loc["(missing) nat_gateway", "flag"] == "missing"
    assert "NAT" in c.loc["(missing) nat_gateway", "reason"]


def test_hour_basis_detected_on_a_large_line(write):
    d = base_stack_dict()
    d["regions"]["us-east-1"]["eks_clusters"]["main"]["count"] = 1
    r = estimate(stack_from_data(d), mini_catalog())
    # 6 x c5.xlarge for 672 h (28 days) = 685.44; the model's 744.60 is 8.6% more: flag at 5% threshold
    res = audit(write("c.yaml", textwrap.dedent("""\
        source: t
        lines:
          w: {label: workers, claimed: 685.44, match: {components: ["*/node_pools/app"]}}
        """)), r, threshold=0.05)
    row = res.comparison.set_index("line").loc["w"]
    assert row.flag == "under"
    assert row.reason == "hour basis: the claim uses 672 h a month; AWS bills 730 h on average"


def test_claim_matching_nothing_is_bad_input(write):
    r = estimate(_stack(), mini_catalog())
    bad = CLAIMS + "  ghost:\n    label: Ghost\n    claimed: 5\n    match: {kinds: [elasticach]}\n"
    with pytest.raises(InputError) as ei:
        audit(write("claims.yaml", bad), r)
    msg = str(ei.value)
    assert "claims.yaml" in msg and "ghost" in msg and "matches no cost line" in msg


def test_line_claimed_twice_is_bad_input(write):
    r = estimate(_stack(), mini_catalog())
    bad = CLAIMS + "  again:\n    label: again\n    claimed: 5\n    match: {kinds: [eks]}\n"
    with pytest.raises(InputError, match="matches both 'eks' and 'again'"):
        audit(write("claims.yaml", bad), r)


def test_claims_file_validation(write):
    with pytest.raises(InputError) as ei:
        load_claims(write("c.yaml", "source: t\nlines:\n  a: {label: A, claimed: -1, match: {kinds: [eks]}, colour: x}\n"))
    msg = str(ei.value)
    assert "c.yaml:3" in msg and "claimed" in msg and "colour" in msg


def test_reference_claims_file_is_the_guides_table(repo):
    claims = load_claims(repo / "data/ultibiker/claimed-costs.yaml")
    # the guide's four subtotals: compute 2,847; database 1,523; storage & network 456; security 234
    v = {k: line.claimed for k, line in claims.lines.items()}
    assert v["eks-control-plane"] + v["worker-nodes"] + v["analytics-nodes"] + v["system-nodes"] == 2847
    assert v["postgresql"] + v["read-replicas"] + v["elasticache"] == 1523
    assert v["ebs"] + v["s3"] + v["data-transfer"] + v["load-balancers"] == 456
    assert v["config-cloudtrail"] + v["flow-logs"] + v["cloudwatch-xray"] + v["waf"] == 234
    assert claims.claimed_total == 5060
