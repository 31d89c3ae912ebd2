"""Stack spec validation: every bad input names the file, the line or field, and what is valid."""

from __future__ import annotations

import textwrap

import pytest

from costplan.errors import InputError
from costplan.stack import load_stack

GOOD = """\
name: t
regions:
  us-east-1:
    eks_clusters:
      main: {count: 1}
    node_pools:
      app:
        instance_types: [c5.xlarge]
        min: 3
        max: 20
        desired: 6
    nat_gateways: {count: 3, gb_processed: 100, why: "one per AZ"}
"""


def load_text(write, text: str, name: str = "stack.yaml"):
    return load_stack(write(name, textwrap.dedent(text)))


def error_of(write, text: str, name: str = "stack.yaml") -> str:
    with pytest.raises(InputError) as ei:
        load_text(write, text, name)
    return str(ei.value)


def test_good_stack_loads(write):
    s = load_text(write, GOOD)
    assert s.regions["us-east-1"].node_pools["app"].nodes == 6
    assert s.hours_per_month == 730


# (id, yaml text, fragments the message must contain)
BAD = [
    ("unknown-region", GOOD.replace("us-east-1:", "us-east-9:"), ["regions", "us-east-9", "did you mean"]),
    ("typo-key-pool", GOOD.replace("desired: 6", "desird: 6"), ["desird", "did you mean 'desired'", ":11"]),
    ("typo-key-region", GOOD.replace("nat_gateways:", "nat_gateway:"), ["nat_gateway", "did you mean 'nat_gateways'"]),
    ("typo-top-level", GOOD.replace("regions:", "regons:"), ["regons", "did you mean 'regions'"]),
    ("negative-count", GOOD.replace("count: 1}", "count: -1}"), ["eks_clusters.main.count", "greater than or equal to 1"]),
    ("fractional-count", GOOD.replace("desired: 6", "desired: 2.5"), ["desired", "whole number"]),
    ("string-count", GOOD.replace("desired: 6", "desired: six"), ["desired", "whole number", "'six'"]),
    ("min-above-max", GOOD.replace("min: 3", "min: 30"), ["node_pools.app", "min (30) is greater than max (20)"]),
    ("desired-above-max", GOOD.replace("desired: 6", "desired: 25"), ["node_pools.app", "above max (20)"]),
    ("no-size", GOOD.replace("        desired: 6\n", ""), ["node_pools.app", "give `count`"]),
    ("missing-name", GOOD.replace("name: t\n", ""), ["name", "required field is missing"]),
    ("missing-regions", "name: t\n", ["regions", "required field is missing"]),
    ("empty-instance-types", GOOD.replace("[c5.xlarge]", "[]"), ["instance_types", "at least 1"]),
    ("bad-capacity", GOOD.replace("desired: 6", "desired: 6\n        capacity: spotty"), ["capacity", "'spotty'", "on_demand"]),
    ("missing-why", GOOD.replace(', why: "one per AZ"', ""), ["nat_gateways.why", "required"]),
    ("negative-usage", GOOD.replace("gb_processed: 100", "gb_processed: -5"), ["gb_processed", "greater than or equal to 0"]),
    ("wrong-unit-string", GOOD.replace("gb_processed: 100", "gb_processed: 100GB"), ["gb_processed", "must be a number", "100GB"]),
    ("hours-too-many", GOOD.replace("name: t", "name: t\nhours_per_month: 800"), ["hours_per_month", "less than or equal to 744"]),
    ("bad-support", GOOD.replace("{count: 1}", "{count: 1, support: premium}"), ["support", "'premium'", "standard"]),
    ("list-instead-of-map", GOOD.replace("    eks_clusters:\n      main: {count: 1}", "    eks_clusters:\n      - {count: 1}"),
     ["eks_clusters", "mapping"]),
    ("rds-missing-storage", GOOD + "    rds:\n      db:\n        instance_class: db.r6g.large\n", ["rds.db.storage", "required"]),
    ("rds-bad-engine", GOOD + "    rds:\n      db:\n        engine: oracle\n        instance_class: db.r6g.large\n"
     "        storage: {size_gb: 10}\n", ["rds.db.engine", "'oracle'"]),
    ("replica-bad-region", GOOD + "    rds:\n      db:\n        instance_class: db.r6g.large\n        storage: {size_gb: 10}\n"
     "        read_replicas:\n          r: {instance_class: db.r6g.large, region: eu-west-9}\n", ["eu-west-9", "did you mean"]),
    ("sp-instance-needs-scope", GOOD + "commitments:\n  savings_plans:\n    sp: {type: ec2-instance, hourly_commitment: 1}\n",
     ["savings_plans.sp", "needs `region` and `instance_family`"]),
    ("sp-zero-commitment", GOOD + "commitments:\n  savings_plans:\n    sp: {hourly_commitment: 0}\n",
     ["hourly_commitment", "greater than 0"]),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_names_file_field_and_fix(write, case):
    _id, text, fragments = case
    msg = error_of(write, text)
    assert "stack.yaml" in msg
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"


def test_all_problems_reported_at_once(write):
    text = GOOD.replace("desired: 6", "desird: 6").replace("count: 1}", "count: -1}")
    with pytest.raises(InputError) as ei:
        load_text(write, text)
    assert len(ei.value.problems) >= 2


def test_line_numbers_point_at_the_field(write):
    text = GOOD.replace("max: 20", "max: 20\n        colour: blue")
    msg = error_of(write, text)
    # 'colour' is on line 11 of the file
    assert "stack.yaml:11" in msg and "colour" in msg


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("name: [unclosed\nregions: {}\n", "YAML syntax error"),
        ("name: t\nregions:\n  us-east-1:\n   eks_clusters: {}\n  - x\n", "YAML syntax error"),
        ("just a string\n", "expected a YAML mapping"),
        ("- a\n- b\n", "expected a YAML mapping"),
    ],
    ids=["empty", "blank", "unclosed-flow", "bad-indent", "scalar", "list"],
)
def test_not_a_stack(write, text, fragment):
    with pytest.raises(InputError) as ei:
        load_stack(write("s.yaml", text))
    assert fragment in str(ei.value)
    assert "s.yaml" in str(ei.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_stack(tmp_path / "nope.yaml")


def test_binary_file(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_bytes(b"\xff\xfe\x00\x01binary")
    with pytest.raises(InputError, match="not a text file|YAML"):
        load_stack(p)


def test_scenario_overlays_and_unknown_scenario(write):
    text = GOOD + textwrap.dedent(
        """\
        scenarios:
          spot:
            description: app pool on spot
            patch:
              regions:
                us-east-1:
                  node_pools:
                    app: {capacity: spot}
                  nat_gateways: null
        """
    )
    p = write("s.yaml", text)
    s = load_stack(p, scenario="spot")
    assert s.regions["us-east-1"].node_pools["app"].capacity == "spot"
    assert s.regions["us-east-1"].node_pools["app"].nodes == 6  # untouched keys survive
    assert s.regions["us-east-1"].nat_gateways is None  # null deletes
    with pytest.raises(InputError, match="unknown scenario 'spto'.*did you mean 'spot'"):
        load_stack(p, scenario="spto")


def test_reference_stack_and_its_scenarios_load(repo):
    from costplan.stack import load_scenarios

    stacks = load_scenarios(repo / "data/ultibiker/stack.yaml")
    assert {"base", "app-on-spot", "graviton", "ap-southeast-2", "bigger-database"} <= set(stacks)
    base = stacks["base"]
    nodes = {
        p: sum(r.node_pools[p].nodes for r in base.regions.values()) for p in ("app", "analytics", "system")
    }
    # the guide's cost table fleet
    assert nodes == {"app": 6, "analytics": 4, "system": 4}
    assert stacks["app-on-spot"].regions["us-east-1"].node_pools["app"].capacity == "spot"
    assert "ap-southeast-2" in stacks["ap-southeast-2"].regions
