"""The Terraform expression evaluator used for .tf folders."""

from __future__ import annotations

import pytest

from costplan.iac.hcl_eval import ExpressionError, Scope, Unknown, eval_expression, evaluate


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
        ("try(var.sizes.web, 5)", 5),  # a missing key is an error, which try() catches
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


# --- for expressions ------------------------------------------------------------------------
# Expected values are worked out by hand from Terraform's documented semantics
# (developer.hashicorp.com/terraform/language/expressions/for and .../splat).
OBJS = [
    {"name": "app", "role": "web", "size": 3, "disks": [{"gb": 50}, {"gb": 10}], "tags": {"Name": "a"}},
    {"name": "batch", "role": "jobs", "size": 1, "disks": [{"gb": 100}], "tags": {"Name": "b"}},
    {"name": "api", "role": "web", "size": 2, "disks": [], "tags": {"Name": "c"}},
]


def loop_scope():
    return scope(
        l=["a", "b", "c"],
        m={"b": 2, "a": 1, "c": 3},
        objs=OBJS,
        obj={"id": "i-1", "name": "solo"},
        nothing=None,
        word="x",
        n=3,
        env="prod",
    )


@pytest.mark.parametrize(
    "expr,expected",
    [
        # a list: one symbol is the value
        ("[for s in var.l : upper(s)]", ["A", "B", "C"]),
        # two symbols over a list: index and value
        ('[for i, s in var.l : "${i}-${s}"]', ["0-a", "1-b", "2-c"]),
        ("[for i, s in var.l : s if i != 1]", ["a", "c"]),
        ('[for s in var.l : s if s != "b"]', ["a", "c"]),
        # a map iterates in lexical key order; one symbol is the value, two are key and value
        ("[for v in var.m : v * 10]", [10, 20, 30]),
        ("[for k, v in var.m : k]", ["a", "b", "c"]),
        ('[for k, v in var.m : "${k}=${v}"]', ["a=1", "b=2", "c=3"]),
        # a set of strings iterates in lexical order, the key being the value itself
        ('[for k, v in toset(["b", "a", "b"]) : "${k}${v}"]', ["aa", "bb"]),
        # object results
        ("{for k, v in var.m : upper(k) => v + 1}", {"A": 2, "B": 3, "C": 4}),
        ("{for o in var.objs : o.name => o.size}", {"app": 3, "batch": 1, "api": 2}),
        ("{for o in var.objs : o.name => o.size if o.size > 1}", {"app": 3, "api": 2}),
        ("{for i, s in var.l : s => i}", {"a": 0, "b": 1, "c": 2}),
        # number and bool keys become strings
        ("{for i, s in var.l : i => s}", {"0": "a", "1": "b", "2": "c"}),
        # grouping mode: values of one key collected into a list, in iteration order
        ("{for o in var.objs : o.role => o.name...}", {"web": ["app", "api"], "jobs": ["batch"]}),
        ("{for o in var.objs : o.role => o.size... if o.size < 3}", {"web": [2], "jobs": [1]}),
        ('{for s in ["x", "y", "x"] : s => s...}', {"x": ["x", "x"], "y": ["y"]}),
        # nested, with the outer symbol visible in the inner body
        ("[for a in [1, 2] : [for b in [10, 20] : a + b]]", [[11, 21], [12, 22]]),
        # the inner symbol shadows the outer one of the same name
        ("[for x in [1, 2] : [for x in [7] : x]]", [[7], [7]]),
        # a loop symbol shadows an outer name only inside the loop
        ("[for n in [1] : n] [0] + var.n", 4),
        # over a literal list, a list of lists, an empty collection, a function's result
        ("[for x in [[1, 2], [3]] : length(x)]", [2, 1]),
        ("[for x in [] : x.missing]", []),
        ("[for x in [] : x + 1]", []),
        ('[for k, v in {} : "${k}${v * 2}"]', []),
        ("{for x in [] : x => x}", {}),
        ('length([for o in var.objs : o if o.role == "web"])', 2),
        ("max([for o in var.objs : o.size]...)", 3),
        ("sum([for o in var.objs : o.size])", 6),
        # locals, conditionals and templates inside the body
        ('[for s in var.l : "${local.name}-${s}"]', ["prod-db-a", "prod-db-b", "prod-db-c"]),
        ('[for o in var.objs : o.size > 1 ? "big" : "small"]', ["big", "small", "big"]),
        # a string inside a template inside the body
        ('[for k, v in var.m : "${k}:${lookup(var.m, "c")}"]', ["a:3", "b:3", "c:3"]),
        # the result indexed and traversed
        ('{for o in var.objs : o.name => o}["batch"].size', 1),
        ("[for o in var.objs : o.disks][0][1].gb", 10),
    ],
)
def test_for_expressions(expr, expected):
    assert eval_expression(expr, loop_scope()) == expected


@pytest.mark.parametrize(
    "expr,expected",
    [
        # full splat: every attribute and index after [*] applies to each element
        ("var.objs[*].name", ["app", "batch", "api"]),
        ('var.objs[*].tags["Name"]', ["a", "b", "c"]),
        ("var.objs[*].tags.Name", ["a", "b", "c"]),
        ("length(var.objs[*].disks)", 3),
        ("[for d in var.objs[*].disks : length(d)]", [2, 1, 0]),
        # legacy attribute-only splat: attributes apply to each element, an index to the result
        ("var.objs.*.name", ["app", "batch", "api"]),
        ("var.objs.*.size[1]", 1),
        ("var.objs.*.disks[0]", [{"gb": 50}, {"gb": 10}]),
        ("[for o in var.objs : o if length(o.disks) > 0][*].disks[0].gb", [50, 100]),
        # [*] alone on a list gives the list
        ("var.l[*]", ["a", "b", "c"]),
        # a single value becomes a one-element list, null an empty one
        ("var.obj[*].id", ["i-1"]),
        ("var.word[*]", ["x"]),
        ("var.nothing[*]", []),
        ("var.nothing[*].id", []),
        ("length(var.nothing[*])", 0),
        # a splat on the result of a for expression and inside one
        ("[for o in var.objs : o if o.size > 1][*].name", ["app", "api"]),
        ("[for o in var.objs : sum(concat([0], o.disks[*].gb))]", [60, 100, 0]),
        # [*] after a splat applies to the splat's result
        ("var.objs[*].disks[*]", [d["disks"] for d in OBJS]),
    ],
)
def test_splat_expressions(expr, expected):
    assert eval_expression(expr, loop_scope()) == expected


@pytest.mark.parametrize(
    "expr,reason",
    [
        # an unknown collection makes the whole result unknown
        ("[for s in module.vpc.private_subnets : s]", "module output module.vpc.private_subnets"),
        ("{for s in data.aws_subnets.x.ids : s => 1}", "data source data.aws_subnets.x"),
        ("[for s in var.undefined : s]", "variable var.undefined has no value"),
        # as does an unknown condition or key
        ("[for s in var.l : s if module.flags.on]", "module output module.flags.on"),
        ("{for s in var.l : module.names.x => s}", "module output module.names.x"),
        # and a splat over an unknown value
        ("module.nodes.groups[*].size", "module output module.nodes.groups"),
        ("aws_instance.web[*].id", "aws_instance.web"),
        ("length(aws_instance.web.*.id)", "known only after apply"),
        # collections Terraform cannot iterate
        ("[for s in var.nothing : s]", "null"),
        ('[for s in "abc" : s]', "cannot iterate"),
        ("[for s in var.l : s if null]", "condition"),
    ],
)
def test_unknown_parts_make_the_result_unknown(expr, reason):
    v = eval_expression(expr, loop_scope())
    assert isinstance(v, Unknown), v
    assert reason in v.reason


def test_an_unknown_value_stays_an_unknown_element():
    """As in Terraform, an unknown element value leaves the length known."""
    v = eval_expression("[for s in var.l : module.sizes.x]", loop_scope())
    assert len(v) == 3 and all(isinstance(x, Unknown) for x in v)
    assert eval_expression("length([for s in var.l : module.sizes.x])", loop_scope()) == 3
    obj = eval_expression("{for s in var.l : s => module.sizes.x}", loop_scope())
    assert sorted(obj) == ["a", "b", "c"] and isinstance(obj["b"], Unknown)


def test_loop_symbols_are_not_visible_outside_the_loop():
    v = eval_expression("concat([for s in var.l : s], [s])", loop_scope())
    assert isinstance(v, Unknown) and "'s'" in v.reason


def test_references_in_for_bodies_and_splats_are_recorded():
    s = loop_scope()
    eval_expression("[for s in var.l : aws_db_instance.primary.identifier]", s)
    assert s.refs == ["aws_db_instance.primary.identifier"]  # once, though evaluated per element
    s = loop_scope()
    eval_expression("aws_instance.web[*].id", s)
    assert s.refs == ["aws_instance.web[*].id"]


def test_duplicate_keys_are_an_input_error():
    with pytest.raises(ExpressionError) as exc:
        eval_expression("{for o in var.objs : o.role => o.name}", loop_scope())
    msg = str(exc.value)
    assert "duplicate key" in msg and '"web"' in msg and "..." in msg
    assert "{for o in var.objs : o.role => o.name}" in msg  # names the expression
    # inside a template or a nested call the error still surfaces
    with pytest.raises(ExpressionError):
        eval_expression('length({for s in ["a", "a"] : s => 1})', loop_scope())
    with pytest.raises(ExpressionError):
        evaluate('"${length({for s in ["a", "a"] : s => 1})}"', loop_scope())


def test_try_and_can_catch_a_duplicate_key_as_terraform_does():
    s = loop_scope()
    assert eval_expression('try({for s in ["a", "a"] : s => 1}, {})', s) == {}
    assert eval_expression('try({for s in ["a", "b"] : s => 1}, {})', s) == {"a": 1, "b": 1}
    assert eval_expression('can({for s in ["a", "a"] : s => 1})', s) is False
    assert eval_expression('can({for s in ["a", "b"] : s => 1})', s) is True
    with pytest.raises(ExpressionError):  # every argument failed
        eval_expression('try({for s in ["a", "a"] : s => 1})', s)
