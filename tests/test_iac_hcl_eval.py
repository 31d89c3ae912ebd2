"""The Terraform expression evaluator used for .tf folders."""

from __future__ import annotations

import pytest

from costplan.iac.hcl_eval import Scope, Unknown, eval_expression, evaluate


def scope(**variables):
    return Scope(
        variables=variables, locals={"n": "${var.n * 2}", "loop": "${local.loop}", "name": '"${var.env}-db"'}
    )


@pytest.mark.parametrize(
    "expr,expected",
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ('var.n > 2 ? "big" : "small"', "big"),
        ("!var.flag && true", True),
        ("length(var.subnets)", 3),
        ("max(1, var.n, 2)", 3),
        ('lookup(var.sizes, "app", 1)', 4),
        ('lookup(var.sizes, "web", 1)', 1),
        ("merge(var.sizes, {web = 2})", {"app": 4, "web": 2}),
        ("var.subnets[1]", "b"),
        ("var.sizes.app", 4),
        ("local.n", 6),
        ("local.name", "prod-db"),
        ('toset(["a", "a", "b"])', ["a", "b"]),
        ("try(module.x.y, 5)", 5),
        ("-var.n", -3),
        ("var.n == 3 || var.missing", True),
    ],
)
def test_expressions(expr, expected):
    s = scope(n=3, flag=False, subnets=["a", "b", "c"], sizes={"app": 4}, env="prod", missing=False)
    assert eval_expression(expr, s) == expected


@pytest.mark.parametrize(
    "expr,reason",
    [
        ("module.vpc.private_subnets", "module output module.vpc.private_subnets"),
        ("data.aws_availability_zones.available.names", "data source data.aws_availability_zones.available"),
        ("var.nope", "variable var.nope has no value"),
        ("length(module.vpc.azs)", "module output module.vpc.azs"),
        ("[for s in var.l : upper(s)]", "for expression"),
        ("local.loop", "refers to itself"),
        ("aws_db_instance.primary.id", "aws_db_instance.primary.id (known only after apply)"),
    ],
)
def test_unknowns_carry_a_reason(expr, reason):
    v = eval_expression(expr, scope(l=["a"]))
    assert isinstance(v, Unknown)
    assert reason in v.reason


def test_references_to_resources_are_recorded():
    s = scope()
    eval_expression("aws_db_instance.primary[0].identifier", s)
    assert s.refs == ["aws_db_instance.primary[0].identifier"]


def test_hcl2_values():
    s = scope(n=3, env="prod")
    assert evaluate('"${var.env}-${var.n}"', s) == "prod-3"
    assert evaluate('"$${literal}"', s) == "${literal}"
    assert evaluate("${var.n}", s) == 3
    assert evaluate({'"key"': ['"a"', "${var.n}"], "__is_block__": True}, s) == {"key": ["a", 3]}
