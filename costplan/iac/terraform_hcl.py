"""Read a folder of Terraform configuration (``*.tf``) when no plan is available.

Every file is parsed with python-hcl2 (``hcl2.parses_to_tree``) and evaluated on its parse
tree (:mod:`costplan.iac.hcl_eval`), as Terraform would at plan time, with what can be known
from the code: variables (defaults with their ``type``'s ``optional()`` attributes filled in,
``nullable``, ``terraform.tfvars``, ``*.auto.tfvars``, ``--var-file``, ``--var``, and the
``inputs`` of a ``terragrunt.hcl``, in Terraform's order of precedence), locals, module
outputs and the configured attributes of other resources.

Modules are expanded instance by instance (``count``, ``for_each``, with ``count.index`` and
``each`` in their inputs): local modules (``source = "../.."``), and registry or git modules
that ``terraform init`` has put on disk (``.terraform/modules/modules.json``). A registry
module that is not on disk is understood for three sources:

- ``terraform-aws-modules/eks/aws``: the cluster, ``eks_managed_node_groups`` (merged with
  ``eks_managed_node_group_defaults``) and ``self_managed_node_groups`` with the
  submodules' defaults, the KMS key and CloudWatch log group it creates by default;
- ``terraform-aws-modules/vpc/aws``: NAT gateways (``enable_nat_gateway``,
  ``single_nat_gateway``, ``one_nat_gateway_per_az``, else one per private/database/
  elasticache subnet), their Elastic IPs, and VPC Flow Logs (``enable_flow_log``);
- ``terraform-aws-modules/kms/aws``: its key.

Modules known to create only resources AWS does not bill (security groups, IAM) are counted
as such; any other module that is not on disk is listed as skipped with its source. Values
that depend on data sources or attributes known only after apply are reported as unresolved.

The region of a resource is its own ``region`` attribute, else its provider's (aliases and a
module's ``providers`` map are followed), else ``--region``; with none of them the import is
an error asking for ``--region`` (never a silent default).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costplan.errors import InputError, Problem
from costplan.iac.hcl_eval import (
    Expr,
    ExpressionError,
    LazyObject,
    Module,
    Scope,
    TfError,
    Unknown,
    _parser,
    _reference_address,
    evaluate,
    iterate,
    kids,
    node_name,
    parse_expression,
)
from costplan.iac.hcl_types import ANY, convert, parse_type
from costplan.iac.resources import ImportResult, Resource, Skipped, build_stack
from costplan.iac.usage import Usage

EKS_MODULE = "terraform-aws-modules/eks/aws"
VPC_MODULE = "terraform-aws-modules/vpc/aws"
KMS_MODULE = "terraform-aws-modules/kms/aws"
# registry modules that create only resources AWS does not bill
FREE_MODULES = {
    "terraform-aws-modules/security-group/aws": "security groups and their rules",
    "terraform-aws-modules/iam/aws": "IAM roles, users and policies",
    "terraform-aws-modules/key-pair/aws": "an EC2 key pair",
}
META_ARGS = ("count", "for_each", "provider", "providers", "lifecycle", "depends_on", "connection", "provisioner")


# -- configuration --------------------------------------------------------------------------
@dataclass
class Body:
    """The attributes and nested blocks of a block (or of a file)."""

    attrs: dict[str, Expr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body
    file: str
    line: int | None


@dataclass
class Variable:
    default: Expr | None
    type: tuple
    nullable: bool
    file: str
    line: int | None


@dataclass
class Config:
    """The blocks of one folder's ``.tf`` files."""

    directory: Path
    variables: dict[str, Variable] = field(default_factory=dict)
    locals: dict[str, Expr] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)
    data: list[Block] = field(default_factory=list)
    modules: list[Block] = field(default_factory=list)
    outputs: dict[str, Expr] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)


def parse_file(path: Path, text: str | None = None):
    """The parse tree of one HCL file (an InputError naming the file and line if invalid)."""
    hcl2 = _parser()
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(Problem("is not a text file", file=str(path))) from None
    try:
        return hcl2.parses_to_tree(text), text
    except Exception as exc:  # noqa: BLE001 - the parser raises lark errors of many kinds
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        line = getattr(exc, "line", None)
        raise InputError(
            Problem(
                f"not valid HCL: {msg}",
                file=str(path),
                line=line if isinstance(line, int) else None,
                hint="check the syntax with `terraform validate`",
            )
        ) from None


def body_of(tree, text: str, file: str) -> Body:
    """A ``body`` node (or ``start``) as attributes (expressions) and blocks."""
    if tree.data == "start":
        tree = tree.children[0]
    out = Body()
    for c in kids(tree):
        if c.data == "attribute":
            name = node_name(c.children[0])
            expr = c.children[-1]
            out.attrs[name] = Expr(expr, _text(expr, text), file, getattr(expr.meta, "line", None))
        elif c.data == "block":
            parts = kids(c)
            btype = node_name(parts[0])
            labels = [node_name(p) for p in parts[1:-1]]
            out.blocks.append(Block(btype, labels, body_of(parts[-1], text, file), file, getattr(c.meta, "line", None)))
    return out


def _text(t, text: str) -> str:
    m = t.meta
    if getattr(m, "empty", True) or not hasattr(m, "start_pos"):
        return ""
    return text[m.start_pos : m.end_pos].strip()


def load_config(directory: Path, extra: list[tuple[str, str]] | None = None, allow_empty: bool = False) -> Config:
    """The configuration of a folder (``extra``: (name, text) of generated files)."""
    if not directory.is_dir():
        raise InputError(Problem("is not a folder of .tf files", file=str(directory)))
    files = sorted(directory.glob("*.tf"))
    if not files and not extra and not allow_empty:
        raise InputError(
            Problem(
                "no .tf files in this folder",
                file=str(directory),
                hint="give the Terraform root module's folder (or a terragrunt.hcl folder), or a plan JSON",
            )
        )
    cfg = Config(directory)
    problems = []
    sources = [(f, None) for f in files] + [(directory / name, text) for name, text in extra or []]
    for f, given in sources:
        try:
            tree, text = parse_file(f, given)
        except InputError as exc:
            problems += exc.problems
            continue
        for b in body_of(tree, text, str(f)).blocks:
            _add_block(cfg, b)
    if problems:
        raise InputError(problems)
    return cfg


def _add_block(cfg: Config, b: Block) -> None:
    if b.type == "variable" and b.labels:
        a = b.body.attrs
        nullable = True
        if "nullable" in a:
            v = evaluate(a["nullable"], Scope())
            nullable = v is not False
        cfg.variables[b.labels[0]] = Variable(
            a.get("default"), parse_type(a["type"].tree) if "type" in a else ANY, nullable, b.file, b.line
        )
    elif b.type == "locals":
        cfg.locals.update(b.body.attrs)
    elif b.type == "resource" and len(b.labels) == 2:
        cfg.resources.append(b)
    elif b.type == "data" and len(b.labels) == 2:
        cfg.data.append(b)
    elif b.type == "module" and b.labels:
        cfg.modules.append(b)
    elif b.type == "output" and b.labels and "value" in b.body.attrs:
        cfg.outputs[b.labels[0]] = b.body.attrs["value"]
    elif b.type == "provider" and b.labels and b.labels[0] == "aws":
        cfg.providers.append(b)


def _parse_var_value(text: str, typ: tuple) -> Any:
    """A ``--var`` value: a string for a string variable, else read as an HCL expression
    (numbers, bools, lists, maps), as Terraform reads ``-var``."""
    if typ[0] == "string":
        return text
    t = text.strip()
    try:
        v = evaluate(parse_expression(t), Scope())
    except TfError:
        return text
    return text if isinstance(v, Unknown) else v


def read_tfvars(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(Problem("var file not found", file=str(path)))
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(Problem(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno)) from None
        if not isinstance(data, dict):
            raise InputError(Problem("expected a JSON object of variable values", file=str(path)))
        return data
    tree, text = parse_file(path)
    body = body_of(tree, text, str(path))
    out = {}
    problems = []
    for k, e in body.attrs.items():
        try:
            out[k] = evaluate(e, Scope())
        except ExpressionError as exc:
            problems.append(Problem(exc.problems[0].message, file=str(path), line=e.line, location=k))
    if problems:
        raise InputError(problems)
    return out


# -- module instances -----------------------------------------------------------------------
class _Vars(Mapping):
    """A module instance's variables, each evaluated on first use."""

    def __init__(self, inst: ModuleInstance):
        self.inst = inst

    def __getitem__(self, name):
        return self.inst.var(name, Scope(self.inst))

    def __iter__(self):
        return iter(self.inst.cfg.variables)

    def __len__(self):
        return len(self.inst.cfg.variables)

    def __contains__(self, name):
        return name in self.inst.cfg.variables


class ModuleInstance(Module):
    """One instance of a module (the root module, or one ``count``/``for_each`` instance of a
    module call): resolves the references of the expressions written in it."""

    def __init__(
        self,
        reader: _Reader,
        cfg: Config,
        prefix: str,
        key_path: str,
        *,
        inputs: dict[str, Expr] | None = None,
        caller: Scope | None = None,
        values: dict[str, Any] | None = None,
        providers: dict[str, Any] | None = None,
    ):
        super().__init__()
        self.reader, self.cfg, self.prefix, self.key_path = reader, cfg, prefix, key_path
        self.inputs = inputs or {}
        self.caller = caller
        self.values = values or {}
        self.providers = providers or {}
        """Provider alias ('' the default) -> region (a string, an Unknown, or None)."""
        self.variables = _Vars(self)
        self.locals = cfg.locals
        self.paths = {"module": str(cfg.directory), "root": reader.root, "cwd": reader.root}
        self._children: dict[str, Any] = {}
        self._instances: dict[int, Any] = {}
        self._decls = {(b.labels[0], b.labels[1]): b for b in cfg.resources}
        self._data = {(b.labels[0], b.labels[1]): b for b in cfg.data}

    # variables ----------------------------------------------------------------------------
    def var(self, name: str, scope: Scope) -> Any:
        decl = self.cfg.variables.get(name)
        if decl is None:
            return Unknown(f"variable var.{name} is not declared in {self.cfg.directory}")

        def thunk(inner: Scope) -> Any:
            if name in self.inputs:
                given = evaluate(self.inputs[name], self.caller.child(refs=inner.refs))
            elif name in self.values:
                given = self.values[name]
            else:
                given = None
                if decl.default is None:
                    return Unknown(f"variable var.{name} has no value (no default, tfvars or -var)")
            if given is None and decl.default is not None and (not decl.nullable or not self._given(name)):
                given = evaluate(decl.default, Scope())
            return convert(given, decl.type)

        return self.memo(("var", name), thunk, scope, f"var.{name}")

    def _given(self, name: str) -> bool:
        return name in self.inputs or name in self.values

    # module outputs -----------------------------------------------------------------------
    def module_output(self, name: str, steps: list, scope: Scope) -> tuple[Any, list]:
        call = self.reader.child_modules(self).get(name)
        if call is None or call.instances is None:
            why = call.why if call is not None else f"module.{name} is not declared here"
            out = f".{steps[0][1]}" if steps and steps[0][0] == "attr" else ""
            return Unknown(f"module output module.{name}{out} ({why})"), steps[1:] if out else steps

        def obj(inst: ModuleInstance) -> LazyObject:
            return LazyObject(list(inst.cfg.outputs), lambda o: inst.output(o, scope))

        if call.kind == "single":
            return obj(call.instances[0][1]), steps
        if call.kind == "count":
            return [obj(i) for _k, i in call.instances], steps
        return {k: obj(i) for k, i in call.instances}, steps

    def output(self, name: str, scope: Scope) -> Any:
        return self.memo(("output", name), lambda inner: evaluate(self.cfg.outputs[name], inner), scope, f"output {name}")

    # resources ----------------------------------------------------------------------------
    def resource(self, rtype: str, name: str, steps: list, scope: Scope) -> tuple[Any, list]:
        decl = self._decls.get((rtype, name))
        address, _rest = _reference_address(f"{rtype}.{name}", steps, scope)
        scope.refs.append(self.prefix + address)
        if decl is None:
            return Unknown(f"attribute of {self.prefix}{address} (known only after apply)"), []
        kind, insts = self.reader.resource_instances(self, decl)
        if kind == "unknown":
            return insts, []
        if kind == "single":
            return insts[0][1].object(scope), steps
        if kind == "count":
            return [i.object(scope) for _k, i in insts], steps
        return {k: i.object(scope) for k, i in insts}, steps

    def data(self, dtype: str, name: str, steps: list, scope: Scope) -> tuple[Any, list]:
        decl = self._data.get((dtype, name))
        if decl is not None and dtype == "aws_region":
            region = self.region_of(decl.body, Scope(self))
            if isinstance(region, str):
                value = {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com"}
                if "count" in decl.body.attrs or "for_each" in decl.body.attrs:
                    return Unknown(f"data source data.{dtype}.{name} with count/for_each"), []
                return value, steps
        if decl is not None and dtype == "aws_partition":
            return {"partition": "aws", "dns_suffix": "amazonaws.com", "id": "aws"}, steps
        return Unknown(f"data source data.{dtype}.{name}"), []

    def region_of(self, body: Body, scope: Scope) -> Any:
        """A block's region: its ``region`` argument, else its provider's."""
        if "region" in body.attrs:
            r = evaluate(body.attrs["region"], scope)
            if isinstance(r, str) and r:
                return r
        alias = ""
        if "provider" in body.attrs:
            names = _traversal_names(body.attrs["provider"].tree)
            alias = names[1] if len(names) > 1 else ""
        return self.providers.get(alias, self.providers.get(""))


def _traversal_names(tree) -> list[str]:
    """``aws.west`` -> ["aws", "west"] (a provider reference)."""
    t = tree
    names: list[str] = []
    while True:
        if t.data == "expr_term" and len(kids(t)) == 1:
            t = kids(t)[0]
        elif t.data == "get_attr_expr_term":
            base, attr = kids(t)
            names.insert(0, node_name(kids(attr)[0]))
            t = base
        elif t.data == "identifier":
            names.insert(0, str(t.children[0]))
            return names
        elif t.data == "string":
            return node_name(t).split(".")
        else:
            return names


class Instance:
    """One instance of a resource: its configured attributes, evaluated on first use."""

    def __init__(self, module: ModuleInstance, block: Block, address: str, scope: Scope):
        self.module, self.block, self.address, self.scope = module, block, address, scope
        body = block.body
        self.names = [k for k in body.attrs if k not in META_ARGS]
        for b in body.blocks:
            label = b.labels[0] if b.type == "dynamic" and b.labels else b.type
            if b.type not in META_ARGS and label not in self.names:
                self.names.append(label)

    def value(self, name: str, scope: Scope) -> Any:
        """The value of one attribute or nested block type (a list of blocks)."""
        return self.module.memo(("attr", self.address, name), lambda inner: self._eval(name, inner), scope, f"{self.address}.{name}")

    def _eval(self, name: str, inner: Scope) -> Any:
        s = self.scope.child(refs=inner.refs)
        body = self.block.body
        if name in body.attrs:
            return evaluate(body.attrs[name], s)
        return block_list(body, name, s)

    def object(self, scope: Scope) -> LazyObject:
        return LazyObject(
            self.names,
            lambda n: self.value(n, scope),
            lambda n: Unknown(f"attribute of {self.address}.{n} (known only after apply)"),
        )


def block_list(body: Body, label: str, scope: Scope) -> Any:
    """The nested blocks of one type, static and generated by ``dynamic`` blocks, as a list
    of dicts (as Terraform's JSON shows them)."""
    out: list = []
    for b in body.blocks:
        if b.type == label:
            out.append(block_value(b.body, scope))
        elif b.type == "dynamic" and b.labels and b.labels[0] == label:
            gen = _dynamic(b, scope)
            if isinstance(gen, Unknown):
                return gen
            out.extend(gen)
    return out


def block_value(body: Body, scope: Scope) -> dict:
    out: dict = {k: evaluate(e, scope) for k, e in body.attrs.items() if k not in META_ARGS}
    for b in body.blocks:
        label = b.labels[0] if b.type == "dynamic" and b.labels else b.type
        if label not in out:
            out[label] = block_list(body, label, scope)
    return out


def _dynamic(b: Block, scope: Scope) -> list | Unknown:
    attrs = b.body.attrs
    label = b.labels[0]
    fe = evaluate(attrs["for_each"], scope) if "for_each" in attrs else Unknown("a dynamic block without for_each")
    pairs, why = iterate(fe)
    if pairs is None:
        return Unknown(f"generated by a dynamic block whose for_each is {why}")
    it = label
    if "iterator" in attrs:
        names = _traversal_names(attrs["iterator"].tree)
        it = names[0] if names else label
    content = next((c for c in b.body.blocks if c.type == "content"), None)
    out = []
    for k, v in pairs:
        s = scope.with_symbols({it: {"key": k, "value": v}})
        out.append(block_value(content.body, s) if content is not None else {})
    return out


@dataclass
class _Call:
    """A module call in one module instance: its instances once expanded."""

    kind: str  # single / count / for_each / off
    instances: list[tuple[Any, ModuleInstance]] | None
    why: str = ""


# -- the reader -----------------------------------------------------------------------------
RELEVANT = {
    "aws_eks_node_group": ("instance_types", "capacity_type", "scaling_config", "disk_size"),
    "aws_autoscaling_group": (
        "min_size",
        "max_size",
        "desired_capacity",
        "mixed_instances_policy",
    ),
    "aws_launch_template": ("instance_type", "block_device_mappings", "instance_market_options"),
    "aws_db_instance": (
        "instance_class",
        "engine",
        "allocated_storage",
        "storage_type",
        "multi_az",
        "iops",
        "replicate_source_db",
    ),
    "aws_elasticache_replication_group": (
        "node_type",
        "num_cache_clusters",
        "num_node_groups",
        "replicas_per_node_group",
    ),
    "aws_elasticache_cluster": ("node_type", "num_cache_nodes"),
    "aws_ebs_volume": ("size", "type", "iops", "throughput"),
    "aws_lb": ("load_balancer_type",),
    "aws_wafv2_web_acl": ("rule",),
    "aws_eks_cluster": ("version",),
    "aws_ec2_capacity_reservation": ("instance_type", "instance_count"),
}
"""Resource attributes whose unknown values matter to the price (reported when unresolved)."""


class _Reader:
    def __init__(self, root: Path, module_dirs: dict[str, Path]):
        self.root = str(root.resolve())
        self.module_dirs = module_dirs
        self.resources: list[Resource] = []
        self.unresolved: list[str] = []
        self.not_needed: list[str] = []
        """Unresolved values that do not change the price (ids, subnets, tags...)."""
        self.skipped: list[Skipped] = []
        self.free: list[Skipped] = []
        self.problems: list[Problem] = []
        """Expressions Terraform would reject; raised together once everything is read."""
        self.region_unknown: list[str] = []
        self._calls: dict[int, dict[str, _Call]] = {}
        self._res: dict[tuple[int, str, str], tuple[str, Any]] = {}
        self._configs: dict[Path, Config] = {}

    def problem(self, exc: ExpressionError, file: str, location: str, line: int | None = None) -> None:
        p = Problem(exc.problems[0].message, file=file, location=location, line=line)
        if p not in self.problems:  # once, though read for each instance
            self.problems.append(p)

    # instances ----------------------------------------------------------------------------
    def expand(
        self, body: Body, scope: Scope, address: str, rtype: str | None = None
    ) -> tuple[str, list[tuple[Any, str, Scope]] | Unknown]:
        """(kind, [(key, address, scope)]) of a block's ``count`` / ``for_each``. An unknown
        count of a resource type that is not billed is noted, not reported."""
        report = self.unresolved
        if rtype is not None and not _billable(rtype):
            report = self.not_needed
        if "count" in body.attrs:
            n = evaluate(body.attrs["count"], scope)
            if isinstance(n, Unknown) or isinstance(n, bool) or not isinstance(n, (int, float)):
                report.append(f"{address}: count is {n}; 1 instance is assumed")
                return "count", [(0, f"{address}[0]", scope.child(count_index=0))]
            return "count", [(i, f"{address}[{i}]", scope.child(count_index=i)) for i in range(int(n))]
        if "for_each" in body.attrs:
            fe = evaluate(body.attrs["for_each"], scope)
            if isinstance(fe, Unknown) or isinstance(fe, list) and any(isinstance(x, Unknown) for x in fe):
                why = fe if isinstance(fe, Unknown) else next(x for x in fe if isinstance(x, Unknown))
                report.append(f"{address}: for_each is {why}; 1 instance is assumed")
                unknown_value = Unknown("each.value of an unknown for_each")
                return "for_each", [("?", f'{address}["?"]', scope.child(each=("?", unknown_value)))]
            if isinstance(fe, Mapping):
                items = [(k, fe[k]) for k in sorted(fe)]
            elif isinstance(fe, list):
                items = [(k, k) for k in fe]
            else:
                report.append(f"{address}: for_each is {fe!r}, not a map or set; 1 instance is assumed")
                return "single", [(None, address, scope)]
            return "for_each", [(k, f"{address}[{json.dumps(str(k))}]", scope.child(each=(k, v))) for k, v in items]
        return "single", [(None, address, scope)]

    def resource_instances(self, mod: ModuleInstance, decl: Block) -> tuple[str, Any]:
        key = (id(mod), decl.labels[0], decl.labels[1])
        if key not in self._res:
            address = f"{mod.prefix}{decl.labels[0]}.{decl.labels[1]}"
            self._res[key] = ("unknown", Unknown(f"{address} refers to itself"))
            kind, insts = self.expand(decl.body, Scope(mod), address, decl.labels[0])
            self._res[key] = (kind, [(k, Instance(mod, decl, a, s)) for k, a, s in insts])
        return self._res[key]

    def child_modules(self, mod: ModuleInstance) -> dict[str, _Call]:
        if id(mod) not in self._calls:
            self._calls[id(mod)] = {}
            for b in mod.cfg.modules:
                self._calls[id(mod)][b.labels[0]] = _Call("off", None, "being read")
            for b in mod.cfg.modules:
                try:
                    self._calls[id(mod)][b.labels[0]] = self._module_call(mod, b)
                except ExpressionError as exc:
                    self.problem(exc, b.file, f"{mod.prefix}module.{b.labels[0]}", b.line)
                    self._calls[id(mod)][b.labels[0]] = _Call("off", None, "not valid")
        return self._calls[id(mod)]

    def _module_call(self, mod: ModuleInstance, b: Block) -> _Call:
        name = b.labels[0]
        attrs = b.body.attrs
        source = evaluate(attrs["source"], Scope(mod)) if "source" in attrs else None
        src = str(source) if isinstance(source, str) else ""
        key_path = f"{mod.key_path}.{name}" if mod.key_path else name
        directory = self.module_dirs.get(key_path)
        if directory is None and src.startswith(("./", "../")):
            directory = (mod.cfg.directory / src).resolve()
        if directory is None:
            return _Call("off", None, f"source {src or '?'} is not on disk")
        address = f"{mod.prefix}module.{name}"
        kind, insts = self.expand(b.body, Scope(mod), address)
        if not insts:
            return _Call(kind, [])  # no instance (`count = 0`, an empty for_each): nothing to read
        try:
            cfg = self.config(directory)
        except InputError as exc:
            self.skipped.append(Skipped(address, f"module {src}", f"could not be read: {exc}"))
            return _Call("off", None, f"source {src} could not be read")
        inputs = {k: e for k, e in attrs.items() if k not in ("source", "version", *META_ARGS)}
        out = []
        for k, a, s in insts:
            child = ModuleInstance(
                self,
                cfg,
                f"{a}.",
                key_path,
                inputs=inputs,
                caller=s,
                providers=self._child_providers(mod, b, s),
            )
            out.append((k, child))
        return _Call(kind, out)

    def config(self, directory: Path) -> Config:
        if directory not in self._configs:
            self._configs[directory] = load_config(directory)
        return self._configs[directory]

    def _child_providers(self, mod: ModuleInstance, b: Block, scope: Scope) -> dict:
        out = {"": mod.providers.get("")}
        prov = b.body.attrs.get("providers")
        if prov is None:
            return out
        obj = kids(prov.tree)[0] if prov.tree.data == "expr_term" and kids(prov.tree) else prov.tree
        if obj.data != "object":
            return out
        for elem in kids(obj):
            key_node, value_node = kids(elem)
            inner = kids(key_node)[0] if kids(key_node) else key_node
            k, v = _traversal_names(inner), _traversal_names(value_node)
            if k and k[0] == "aws" and v and v[0] == "aws":
                out[k[1] if len(k) > 1 else ""] = mod.providers.get(v[1] if len(v) > 1 else "")
        return out

    # reading ------------------------------------------------------------------------------
    def read(self, mod: ModuleInstance) -> None:
        for decl in mod.cfg.resources:
            try:
                self.read_resource(mod, decl)
            except ExpressionError as exc:
                self.problem(exc, decl.file, f"{mod.prefix}{decl.labels[0]}.{decl.labels[1]}", decl.line)
        calls = self.child_modules(mod)
        for b in mod.cfg.modules:
            call = calls[b.labels[0]]
            if call.instances is not None:
                for _k, child in call.instances:
                    self.read(child)
                continue
            try:
                self.registry_module(mod, b)
            except ExpressionError as exc:
                self.problem(exc, b.file, f"{mod.prefix}module.{b.labels[0]}", b.line)

    def read_resource(self, mod: ModuleInstance, decl: Block) -> None:
        rtype = decl.labels[0]
        kind, insts = self.resource_instances(mod, decl)
        if kind == "unknown":
            return
        source = f"{decl.file}:{decl.line}" if decl.line else decl.file
        for _k, inst in insts:
            values: dict[str, Any] = {}
            unknown: dict[str, str] = {}
            refs: dict[str, list[str]] = {}
            for name in inst.names:
                s = Scope(mod)
                try:
                    v = inst.value(name, s)
                except ExpressionError as exc:
                    self.problem(exc, decl.file, f"{inst.address}.{name}", decl.line)
                    continue
                if s.refs:
                    refs[name] = list(dict.fromkeys(s.refs))
                values[name], inner = _strip_unknown(v)
                if isinstance(v, Unknown):
                    unknown[name] = str(v)
                elif inner:
                    unknown[name] = inner
            region = mod.region_of(decl.body, inst.scope)
            if isinstance(values.get("region"), str) and values["region"]:
                region = values["region"]
            if not isinstance(region, str):
                self.region_unknown.append(
                    f"{inst.address}: provider region is {region}" if isinstance(region, Unknown) else inst.address
                )
                region = None
            for k, why in unknown.items():
                if k in RELEVANT.get(rtype, ()):
                    self.unresolved.append(f"{inst.address}: {k} is {why}")
                else:
                    self.not_needed.append(f"{inst.address}: {k} is {why}")
            self.resources.append(
                Resource(inst.address, rtype, values, region=region, unknown=unknown, refs=refs, source=source)
            )

    # registry modules not on disk ---------------------------------------------------------
    def registry_module(self, mod: ModuleInstance, b: Block, given: dict | None = None) -> None:
        """A module call whose source is not on disk: emulated, free, or skipped. ``given``:
        its inputs already evaluated (a terragrunt folder whose source is the module; its
        resources are then at the root, without a module prefix)."""
        name = b.labels[0]
        attrs = b.body.attrs
        scope = Scope(mod)
        source = evaluate(attrs["source"], scope) if "source" in attrs else None
        src = str(source) if isinstance(source, str) else ""
        base = re.sub(r"^(registry\.terraform\.io/|tfr:///)", "", src.split("?")[0])
        version = evaluate(attrs["version"], scope) if "version" in attrs else None
        address = f"{mod.prefix}module.{name}" if given is None else ""
        emulate = None
        if base == EKS_MODULE or base.endswith(("/terraform-aws-eks", "/terraform-aws-eks.git")):
            emulate = self.eks_module
        elif base == VPC_MODULE or base.endswith(("/terraform-aws-vpc", "/terraform-aws-vpc.git")):
            emulate = self.vpc_module
        elif base == KMS_MODULE or base.endswith(("/terraform-aws-kms", "/terraform-aws-kms.git")):
            emulate = self.kms_module
        kind, insts = self.expand(b.body, scope, address) if given is None else ("single", [(None, "", scope)])
        if not insts:
            return  # a module switched off (`count = var.enabled ? 1 : 0`)
        for _k, a, s in insts:
            if base in FREE_MODULES:
                self.free.append(Skipped(a, f"module {base}", f"creates {FREE_MODULES[base]}: not billed by AWS"))
                continue
            if emulate is None:
                self.skipped.append(
                    Skipped(
                        a,
                        f"module {src or '?'}",
                        "module not on disk and not one costplan knows: the resources it creates are not "
                        "counted (run `terraform init` so that .terraform/modules holds it, or give a plan JSON)",
                    )
                )
                continue
            inputs = dict(given or {})
            for k, e in attrs.items():
                if k in ("source", "version", *META_ARGS) or given is not None:
                    continue
                inputs[k] = evaluate(e, s)
                if isinstance(inputs[k], Unknown):
                    self.not_needed.append(f"{a}: input {k} is {inputs[k]}")
            region = mod.providers.get("")
            prov = self._child_providers(mod, b, s).get("")
            region = prov if prov is not None else region
            if not isinstance(region, str):
                self.region_unknown.append(f"{a}: provider region is {region}" if isinstance(region, Unknown) else a)
                region = None
            emulate(a, inputs, region, version if isinstance(version, str) else None)

    def _add(self, address, rtype, values, region, name_hint=None, unknown=None):
        address = address.lstrip(".")  # a module read as the root (terragrunt)
        r = Resource(
            address,
            rtype,
            values,
            region=region,
            unknown=unknown or {},
            name_hint=name_hint,
            source=f"{self.root} (module emulated)",
        )
        self.resources.append(r)

    def eks_module(self, address, inputs, region, version) -> None:
        if inputs.get("create") is False:
            return
        major = _major(version)
        cname = inputs.get("cluster_name", inputs.get("name"))
        kversion = inputs.get("cluster_version", inputs.get("kubernetes_version"))
        unknown = {}
        if isinstance(kversion, Unknown):
            unknown["version"] = str(kversion)
        self._add(
            f"{address}.aws_eks_cluster.this[0]",
            "aws_eks_cluster",
            {"name": cname if isinstance(cname, str) else None, "version": kversion if isinstance(kversion, str) else None},
            region,
            name_hint=None if isinstance(cname, str) else address.rsplit(".", 1)[-1],
            unknown=unknown,
        )
        if inputs.get("create_kms_key", True) is True:
            self._add(f"{address}.module.kms.aws_kms_key.this[0]", "aws_kms_key", {}, region)
        if inputs.get("create_cloudwatch_log_group", True) is True:
            self._add(f"{address}.aws_cloudwatch_log_group.this[0]", "aws_cloudwatch_log_group", {}, region)
        # the submodules' defaults (terraform-aws-modules/eks v21: min 1, max 3, desired 1; v20 and
        # earlier: min 0)
        min_default = 1 if major is None or major >= 21 else 0
        for kind in ("eks_managed_node_groups", "self_managed_node_groups"):
            groups = inputs.get(kind) or {}
            defaults = inputs.get(kind.replace("_groups", "_group_defaults")) or {}
            if isinstance(groups, Unknown):
                self.unresolved.append(f"{address}: {kind} is {groups}; node groups not counted")
                continue
            if isinstance(defaults, Unknown):
                self.unresolved.append(f"{address}: {kind[:-1]}_defaults is {defaults}; ignored")
                defaults = {}
            for key, ng in groups.items():
                ng = {**defaults, **(ng if isinstance(ng, dict) else {})}
                if ng.get("create") is False:
                    continue
                if kind == "eks_managed_node_groups":
                    self._managed_group(address, key, ng, region, min_default)
                else:
                    self._self_managed_group(address, key, ng, region, min_default)

    def _sizes(self, gaddr: str, ng: dict, min_default: int) -> tuple[dict, dict]:
        sizes = {
            "min_size": ng.get("min_size") if ng.get("min_size") is not None else min_default,
            "max_size": ng.get("max_size") if ng.get("max_size") is not None else 3,
            "desired_size": ng.get("desired_size") if ng.get("desired_size") is not None else 1,
        }
        unknown = {}
        for k, v in sizes.items():
            if isinstance(v, Unknown):
                unknown["scaling_config"] = str(v)
                self.unresolved.append(f"{gaddr}: {k} is {v}")
                sizes[k] = None
        return sizes, unknown

    def _managed_group(self, address, key, ng, region, min_default) -> None:
        gaddr = f"{address}.module.eks_managed_node_group[{json.dumps(key)}].aws_eks_node_group.this[0]"
        sizes, unknown = self._sizes(gaddr, ng, min_default)
        values: dict = {"scaling_config": [sizes]}
        for k in ("instance_types", "capacity_type", "ami_type"):
            v = ng.get(k)
            if isinstance(v, Unknown):
                unknown[k] = str(v)
                self.unresolved.append(f"{gaddr}: {k} is {v}")
            elif v is not None:
                values[k] = v
        disk = _module_root_disk(ng)
        if disk is not None:
            values["disk_size"], values["root_volume_type"] = disk
        self._add(gaddr, "aws_eks_node_group", values, region, name_hint=str(key), unknown=unknown)

    def _self_managed_group(self, address, key, ng, region, min_default) -> None:
        base = f"{address}.module.self_managed_node_group[{json.dumps(key)}]"
        gaddr = f"{base}.aws_autoscaling_group.this[0]"
        sizes, unknown = self._sizes(gaddr, ng, min_default)
        itype = ng.get("instance_type") if ng.get("instance_type") is not None else "m6i.large"
        if isinstance(itype, Unknown):
            unknown["instance_type"] = str(itype)
            self.unresolved.append(f"{gaddr}: instance_type is {itype}")
            itype = None
        lt: dict = {"instance_type": itype, "address": f"{base}.aws_launch_template.this[0]"}
        bdm = ng.get("block_device_mappings")
        if isinstance(bdm, dict):
            lt["block_device_mappings"] = [m for m in bdm.values() if isinstance(m, dict)]
        values = {
            "min_size": sizes["min_size"],
            "max_size": sizes["max_size"],
            "desired_capacity": sizes["desired_size"],
            "launch_template": [{"resolved": lt}],
        }
        mip = ng.get("mixed_instances_policy")
        if ng.get("use_mixed_instances_policy") is True and isinstance(mip, dict):
            values["mixed_instances_policy"] = [_module_mip(mip)]
        self._add(gaddr, "aws_autoscaling_group", values, region, name_hint=str(key), unknown=unknown)

    def vpc_module(self, address, inputs, region, version) -> None:
        if inputs.get("create_vpc") is False:
            return
        nat = inputs.get("enable_nat_gateway", False)
        if isinstance(nat, Unknown):
            self.unresolved.append(f"{address}: enable_nat_gateway is {nat}; NAT gateways not counted")
        elif nat:
            n = _nat_count(inputs)
            if isinstance(n, Unknown):
                self.unresolved.append(f"{address}: NAT gateway count unknown ({n}); NAT gateways not counted")
            else:
                for i in range(n):
                    self._add(f"{address}.aws_nat_gateway.this[{i}]", "aws_nat_gateway", {}, region)
                if inputs.get("reuse_nat_ips") is not True:
                    for i in range(n):
                        self._add(f"{address}.aws_eip.nat[{i}]", "aws_eip", {"domain": "vpc"}, region)
        if inputs.get("enable_flow_log") is True:
            dest = inputs.get("flow_log_destination_type", "cloud-watch-logs")
            self._add(
                f"{address}.aws_flow_log.this[0]",
                "aws_flow_log",
                {"log_destination_type": dest if isinstance(dest, str) else "cloud-watch-logs"},
                region,
            )
            if inputs.get("create_flow_log_cloudwatch_log_group") is True and dest == "cloud-watch-logs":
                self._add(f"{address}.aws_cloudwatch_log_group.flow_log[0]", "aws_cloudwatch_log_group", {}, region)

    def kms_module(self, address, inputs, region, version) -> None:
        if inputs.get("create") is False:
            return
        self._add(f"{address}.aws_kms_key.this[0]", "aws_kms_key", {}, region)


def _billable(rtype: str) -> bool:
    from costplan.iac.resources import FREE_PREFIXES, FREE_TYPES, HANDLERS, NON_BILLED_PROVIDERS

    if rtype in HANDLERS or rtype == "aws_db_instance":
        return True
    return not (rtype in FREE_TYPES or rtype.startswith(FREE_PREFIXES) or rtype.startswith(NON_BILLED_PROVIDERS))


def _major(version: str | None) -> int | None:
    m = re.search(r"(\d+)", version or "")
    return int(m.group(1)) if m else None


def _nat_count(inputs: dict) -> int | Unknown:
    """NAT gateways the vpc module creates (its `nat_gateway_count` local)."""
    if inputs.get("single_nat_gateway") is True:
        return 1
    if inputs.get("one_nat_gateway_per_az") is True:
        azs = inputs.get("azs", [])
        return azs if isinstance(azs, Unknown) else len(azs)
    lengths = []
    for k in ("private_subnets", "elasticache_subnets", "database_subnets", "redshift_subnets"):
        v = inputs.get(k, [])
        if isinstance(v, Unknown):
            return v
        lengths.append(len(v or []))
    return max(lengths)


def _module_root_disk(ng: dict) -> tuple[float, str] | None:
    """Root volume size of a module node group: block_device_mappings, or disk_size when the
    module's custom launch template is off."""
    bdm = ng.get("block_device_mappings")
    if isinstance(bdm, dict):
        for m in bdm.values():
            ebs = (m or {}).get("ebs") if isinstance(m, dict) else None
            if isinstance(ebs, dict) and isinstance(ebs.get("volume_size"), (int, float)):
                vtype = ebs.get("volume_type")
                return ebs["volume_size"], vtype if isinstance(vtype, str) else "gp2"
    if ng.get("use_custom_launch_template") is False and isinstance(ng.get("disk_size"), (int, float)):
        return ng["disk_size"], "gp2"
    return None


def _module_mip(mip: dict) -> dict:
    """The module's mixed_instances_policy input as the resource's block structure."""
    lt = mip.get("launch_template") or {}
    overrides = lt.get("override") if isinstance(lt, dict) else None
    return {
        "instances_distribution": [mip.get("instances_distribution") or {}],
        "launch_template": [{"override": overrides if isinstance(overrides, list) else []}],
    }


def _strip_unknown(v: Any) -> tuple[Any, str | None]:
    """Replace Unknown values nested in a value by None; return the first reason."""
    if isinstance(v, Unknown):
        return None, str(v)
    if isinstance(v, LazyObject):
        return _strip_unknown({k: v.attr(k) for k in v})
    if isinstance(v, dict):
        out, reason = {}, None
        for k, x in v.items():
            out[k], r = _strip_unknown(x)
            reason = reason or r
        return out, reason
    if isinstance(v, list):
        out, reason = [], None
        for x in v:
            y, r = _strip_unknown(x)
            out.append(y)
            reason = reason or r
        return out, reason
    return v, None


def _module_dirs(root: Path) -> dict[str, Path]:
    """Module key -> folder, from what ``terraform init`` wrote (.terraform/modules/modules.json)."""
    f = root / ".terraform" / "modules" / "modules.json"
    if not f.is_file():
        return {}
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(f"not valid JSON ({exc})", file=str(f))) from None
    out = {}
    for m in data.get("Modules") or []:
        if isinstance(m, dict) and m.get("Key") and isinstance(m.get("Dir"), str):
            d = (root / m["Dir"]).resolve()
            if d.is_dir():
                out[m["Key"]] = d
    return out


# -- entry point ----------------------------------------------------------------------------
def import_hcl(
    directory: str | Path,
    *,
    usage: Usage | None = None,
    region: str | None = None,
    variables: dict[str, str] | None = None,
    var_files: list[str] | None = None,
    name: str | None = None,
) -> ImportResult:
    """Build a stack spec from a folder of ``.tf`` files (see the module docstring)."""
    from costplan.iac import terragrunt

    directory = Path(directory)
    tg = terragrunt.read(directory) if (directory / "terragrunt.hcl").is_file() else None
    code_dir = tg.code_dir if tg is not None and tg.code_dir is not None else directory
    cfg = load_config(code_dir, extra=tg.generated if tg is not None else None, allow_empty=tg is not None)
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    if tg is not None:
        values.update(tg.inputs)  # as TF_VAR_ environment variables: the lowest precedence
    auto = [
        directory / "terraform.tfvars",
        directory / "terraform.tfvars.json",
        *sorted(directory.glob("*.auto.tfvars")),
        *sorted(directory.glob("*.auto.tfvars.json")),
    ]
    for f in [p for p in auto if p.is_file()] + [Path(v) for v in var_files or []]:
        values.update(read_tfvars(f))
    for k, v in (variables or {}).items():
        decl = cfg.variables.get(k)
        values[k] = _parse_var_value(v, decl.type if decl else ANY)
    reader = _Reader(code_dir, _module_dirs(code_dir))
    reader.problems = problems
    root = ModuleInstance(reader, cfg, "", "", values=values)
    root.providers = _root_providers(root, reader)
    if tg is not None and tg.registry_source:
        reader.registry_module(root, tg.registry_block(), given=tg.inputs)
    reader.read(root)
    if problems:
        # what Terraform itself would reject (e.g. a duplicate key in a `for` expression)
        raise InputError(problems)
    help_text = None
    if reader.region_unknown:
        reasons = sorted({u.split(": ", 1)[1] for u in reader.region_unknown if ": " in u})
        help_text = "; ".join(reasons) if reasons else 'no provider "aws" block sets a region'
        if tg is None and not (directory / "terragrunt.hcl").is_file() and not cfg.providers:
            help_text += " (a wrapper such as terragrunt may write it; costplan reads a terragrunt.hcl in the folder)"
    result = build_stack(
        reader.resources,
        name=name or directory.resolve().name,
        source=str(directory),
        usage=usage,
        default_region=region,
        region_help=help_text,
        extra_skipped=reader.skipped,
        extra_free=reader.free,
    )
    result.unresolved[:0] = reader.unresolved
    result.unpriced_values = reader.not_needed
    if reader.not_needed:
        result.notes.append(
            f"{len(reader.not_needed)} other values could not be resolved (module outputs, data "
            "sources, attributes known after apply) but do not change the price; see --format json"
        )
    if region is not None and reader.region_unknown:
        result.notes.append(f"{len(reader.region_unknown)} resources have no region in the code; --region {region} is used")
    return result


def _root_providers(root: ModuleInstance, reader: _Reader) -> dict[str, Any]:
    """Alias ('' the default) -> region of the root module's aws provider blocks."""
    out: dict[str, Any] = {}
    for b in root.cfg.providers:
        s = Scope(root)
        alias = evaluate(b.body.attrs["alias"], s) if "alias" in b.body.attrs else ""
        reg = evaluate(b.body.attrs["region"], s) if "region" in b.body.attrs else None
        key = str(alias) if isinstance(alias, str) else ""
        if isinstance(reg, str):
            out[key] = reg
        elif isinstance(reg, Unknown):
            out[key] = reg
            reader.unresolved.append(f"provider aws{'.' + key if key else ''}: region is {reg}")
        else:
            out[key] = Unknown(f"provider aws{'.' + key if key else ''} sets no region")
    return out
