"""Read a folder of Terraform configuration (``*.tf``) when no plan is available.

Resources are expanded (``count``, ``for_each``) with the values that can be known from the
code: literals, variables (defaults, ``terraform.tfvars``, ``*.auto.tfvars``, ``--var-file``,
``--var``, in Terraform's order of precedence) and locals. Local modules (``source = "./x"``)
are read recursively with their inputs; two registry modules are understood:

- ``terraform-aws-modules/eks/aws``: the cluster, ``eks_managed_node_groups`` (merged with
  ``eks_managed_node_group_defaults``), the KMS key and CloudWatch log group it creates by
  default;
- ``terraform-aws-modules/vpc/aws``: NAT gateways (``enable_nat_gateway``,
  ``single_nat_gateway``, ``one_nat_gateway_per_az``, else one per private/database/
  elasticache subnet), their Elastic IPs, and VPC Flow Logs (``enable_flow_log``).

Other modules are reported as not expanded; values that depend on module outputs, data
sources or attributes known after apply are reported as unresolved.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costplan.errors import InputError, Problem
from costplan.iac.hcl_eval import ExpressionError, Scope, Unknown, evaluate, strip_label
from costplan.iac.resources import ImportResult, Resource, build_stack
from costplan.iac.usage import Usage
from costplan.limits import MAX_EXPRESSION_DEPTH, MAX_INSTANCES, MAX_INSTANCES_PER_RESOURCE, loads_json

EKS_MODULE = "terraform-aws-modules/eks/aws"
VPC_MODULE = "terraform-aws-modules/vpc/aws"


@dataclass
class _Config:
    """The blocks of one folder's ``.tf`` files."""

    directory: Path
    variables: dict[str, Any] = field(default_factory=dict)  # name -> default (raw) or _NO_DEFAULT
    locals: dict[str, Any] = field(default_factory=dict)
    resources: list[tuple[str, str, dict, str]] = field(default_factory=list)  # type, name, body, file
    modules: list[tuple[str, dict, str]] = field(default_factory=list)
    providers: list[dict] = field(default_factory=list)


_NO_DEFAULT = object()


def _parse_file(path: Path) -> dict:
    try:
        import hcl2
    except ImportError:
        from costplan.errors import CostplanError

        raise CostplanError(
            "reading .tf files needs python-hcl2: `pip install costplan[terraform]` "
            "(or give a plan: `terraform show -json PLANFILE > plan.json`)"
        ) from None

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(Problem("is not a text file", file=str(path))) from None
    _check_depth(text, str(path))
    try:
        try:
            from hcl2 import SerializationOptions

            return hcl2.loads(text, serialization_options=SerializationOptions(with_comments=False))
        except ImportError:  # python-hcl2 < 7
            return hcl2.loads(text)
    except RecursionError:
        raise InputError(Problem(f"nested too deeply to read (the limit is {MAX_EXPRESSION_DEPTH} levels)",
                                 file=str(path))) from None
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


_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")


def _check_depth(text: str, file: str) -> None:
    """Refuse brackets (and ``${ }`` interpolations) nested more than
    :data:`~costplan.limits.MAX_EXPRESSION_DEPTH` levels deep, naming the line, before the
    parser (which recurses) reads the file. Comments, strings and heredocs are skipped."""
    open_: list[str] = []  # "b" bracket, "i" interpolation, "s" string
    i, n, depth = 0, len(text), 0
    while i < n:
        c = text[i]
        if open_ and open_[-1] == "s":
            if c == "\\":
                i += 2
                continue
            if c == '"':
                open_.pop()
            elif c in "$%" and text.startswith("{", i + 1):
                open_.append("i")
                depth += 1
                i += 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        elif text.startswith("<<", i) and (m := _HEREDOC.match(text, i)):
            end = re.compile(rf"^[ \t]*{m.group(1)}[ \t]*$", re.M).search(text, m.end())
            i = n if end is None else end.end()
            continue
        elif c == '"':
            open_.append("s")
        elif c in "([{":
            open_.append("b")
            depth += 1
        elif c in ")]}" and open_:
            open_.pop()
            depth -= 1
        if depth > MAX_EXPRESSION_DEPTH:
            raise InputError(Problem(
                f"brackets nested more than {MAX_EXPRESSION_DEPTH} levels deep", file=file,
                line=text.count("\n", 0, i) + 1, hint="split the expression into locals"))
        i += 1


def _line_of(file: str, rtype: str, rname: str, attr: str) -> int | None:
    """The line of ``attr`` in ``resource "rtype" "rname"`` of ``file`` (else the block's line)."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    m = re.search(rf'^\s*resource\s+"{re.escape(rtype)}"\s+"{re.escape(rname)}"', text, re.M)
    if not m:
        return None
    a = re.compile(rf"^\s*{re.escape(attr)}\s*=", re.M).search(text, m.end())
    return text.count("\n", 0, (a or m).start()) + 1


def _blocks(doc: dict, kind: str) -> list[dict]:
    out = doc.get(kind) or []
    return out if isinstance(out, list) else [out]


def load_config(directory: Path) -> _Config:
    if not directory.is_dir():
        raise InputError(Problem("is not a folder of .tf files", file=str(directory)))
    files = sorted(directory.glob("*.tf"))
    if not files:
        raise InputError(
            Problem(
                "no .tf files in this folder",
                file=str(directory),
                hint="give the Terraform root module's folder, or a plan JSON",
            )
        )
    cfg = _Config(directory)
    problems = []
    for f in files:
        try:
            doc = _parse_file(f)
        except InputError as exc:
            problems += exc.problems
            continue
        for block in _blocks(doc, "variable"):
            for name, body in block.items():
                body = body if isinstance(body, dict) else {}
                cfg.variables[strip_label(name)] = (
                    body.get("default", _NO_DEFAULT) if "default" in body else _NO_DEFAULT
                )
        for block in _blocks(doc, "locals"):
            for k, v in block.items():
                if not k.startswith("__"):
                    cfg.locals[k] = v
        for block in _blocks(doc, "resource"):
            for rtype, named in block.items():
                for rname, body in (named or {}).items():
                    cfg.resources.append((strip_label(rtype), strip_label(rname), body or {}, f.name))
        for block in _blocks(doc, "module"):
            for mname, body in block.items():
                cfg.modules.append((strip_label(mname), body or {}, f.name))
        for block in _blocks(doc, "provider"):
            for pname, body in block.items():
                if strip_label(pname) == "aws":
                    cfg.providers.append(body or {})
    if problems:
        raise InputError(problems)
    return cfg


def _parse_var_value(text: str) -> Any:
    """A ``--var`` value: a number, bool, JSON list/map, or a string."""
    t = text.strip()
    if t in ("true", "false"):
        return t == "true"
    try:
        return loads_json(t, "--var") if t[:1] in '[{"' or t[:1].isdigit() or t[:1] == "-" else t
    except (json.JSONDecodeError, IndexError):
        return text


def _read_tfvars(path: Path) -> dict:
    if not path.is_file():
        raise InputError(Problem("var file not found", file=str(path)))
    if path.suffix == ".json":
        try:
            return loads_json(path.read_text(encoding="utf-8"), str(path))
        except json.JSONDecodeError as exc:
            raise InputError(Problem(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno)) from None
    doc = _parse_file(path)
    return {k: v for k, v in doc.items() if not k.startswith("__")}


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
    directory = Path(directory)
    cfg = load_config(directory)
    values: dict[str, Any] = {}
    base = Scope()
    problems: list[Problem] = []
    for k, default in cfg.variables.items():
        if default is not _NO_DEFAULT:
            try:
                values[k] = evaluate(default, base)
            except ExpressionError as exc:
                problems.append(Problem(exc.problems[0].message, file=str(directory), location=f"var.{k}"))
    auto = [
        directory / "terraform.tfvars",
        directory / "terraform.tfvars.json",
        *sorted(directory.glob("*.auto.tfvars")),
        *sorted(directory.glob("*.auto.tfvars.json")),
    ]
    for f in [p for p in auto if p.is_file()] + [Path(v) for v in var_files or []]:
        for k, v in _read_tfvars(f).items():
            try:
                values[k] = evaluate(v, base)
            except ExpressionError as exc:
                problems.append(Problem(exc.problems[0].message, file=str(f), location=k))
    for k, v in (variables or {}).items():
        values[k] = _parse_var_value(v)
    reader = _Reader(str(directory))
    reader.problems = problems
    scope = Scope(variables=values, locals=cfg.locals)
    try:
        provider_regions = reader.provider_regions(cfg, scope)
    except ExpressionError as exc:
        problems.append(Problem(exc.problems[0].message, file=str(directory), location='provider "aws"'))
        provider_regions = {}
    default_region = region or provider_regions.get("")
    reader.read(cfg, scope, prefix="", provider_regions=provider_regions)
    if problems:
        # what Terraform itself would reject (e.g. a duplicate key in a `for` expression)
        raise InputError(problems)
    result = build_stack(
        reader.resources,
        name=name or directory.resolve().name,
        source=str(directory),
        usage=usage,
        default_region=default_region,
    )
    result.unresolved[:0] = reader.unresolved
    result.unpriced_values = reader.not_needed
    if reader.not_needed:
        result.notes.append(
            f"{len(reader.not_needed)} other values could not be resolved (module outputs, data "
            "sources, attributes known after apply) but do not change the price; see --format json"
        )
    if region is None and "" not in provider_regions:
        result.notes.append(
            f"no literal region in the aws provider block; {result_region(result)} is assumed (give --region)"
        )
    return result


def result_region(result: ImportResult) -> str:
    regs = list(result.stack.get("regions", {}))
    return regs[0] if regs else "us-east-1"


# resource attributes whose unknown values matter to the price (reported when unresolved)
RELEVANT = {
    "aws_eks_node_group": ("instance_types", "capacity_type", "scaling_config", "disk_size"),
    "aws_db_instance": ("instance_class", "engine", "allocated_storage", "storage_type", "multi_az", "iops"),
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


class _Reader:
    def __init__(self, source: str):
        self.source = source
        self.resources: list[Resource] = []
        self.unresolved: list[str] = []
        self.not_needed: list[str] = []
        """Unresolved values that do not change the price (ids, subnets, tags...)."""
        self.problems: list[Problem] = []
        """Expressions Terraform would reject; raised together once everything is read."""
        self.instance_total = 0
        """Resource instances expanded so far (count / for_each), for the per-import limit."""

    def provider_regions(self, cfg: _Config, scope: Scope) -> dict[str, str]:
        """Alias ('' for the default provider) -> region, where it resolves to a string."""
        out = {}
        for body in cfg.providers:
            alias = evaluate(body.get("alias", '""'), scope) or ""
            reg = evaluate(body.get("region"), scope) if "region" in body else None
            if isinstance(reg, str):
                out[str(alias)] = reg
            elif isinstance(reg, Unknown):
                self.unresolved.append(f"provider aws{'.' + alias if alias else ''}: region is {reg}")
        return out

    # -- resources ------------------------------------------------------------------------
    def read(self, cfg: _Config, scope: Scope, prefix: str, provider_regions: dict[str, str]) -> None:
        for rtype, rname, body, fname in cfg.resources:
            source = f"{cfg.directory / fname}"
            try:
                self.resource(rtype, rname, body, scope, prefix, provider_regions, source)
            except ExpressionError as exc:
                self.problem(exc, source, f"{prefix}{rtype}.{rname}")
        for mname, body, fname in cfg.modules:
            try:
                self.module(mname, body, scope, prefix, cfg.directory, provider_regions)
            except ExpressionError as exc:
                self.problem(exc, f"{cfg.directory / fname}", f"{prefix}module.{mname}")

    def problem(self, exc: ExpressionError, file: str, location: str) -> None:
        p = Problem(exc.problems[0].message, file=file, location=location)
        if p not in self.problems:  # once, though read for each instance
            self.problems.append(p)

    def _expansion(self, n: int, address: str, attr: str, source: str | None, where: tuple[str, str]) -> None:
        """Refuse a count / for_each beyond the limits (docs/refusals.md) before it is expanded."""
        self.instance_total += n
        if n > MAX_INSTANCES_PER_RESOURCE or self.instance_total > MAX_INSTANCES:
            limit = (f"the limit is {MAX_INSTANCES_PER_RESOURCE:,} instances per resource"
                     if n > MAX_INSTANCES_PER_RESOURCE else f"the limit is {MAX_INSTANCES:,} instances per import")
            raise InputError(Problem(
                f"{attr} expands to {n:,} instances; {limit}", file=source,
                line=_line_of(source, *where, attr) if source else None, location=f"{address}.{attr}"))

    def instances(self, body: dict, scope: Scope, address: str, source: str | None = None,
                  where: tuple[str, str] = ("", "")) -> list[tuple[str, Scope]]:
        def value(attr: str):
            try:
                return evaluate(body[attr], scope)
            except ExpressionError as exc:  # at once, with the line: the expansion depends on it
                raise InputError(Problem(exc.problems[0].message, file=source, location=address,
                                         line=_line_of(source, *where, attr) if source else None)) from None

        if "count" in body:
            n = value("count")
            if isinstance(n, Unknown) or not isinstance(n, (int, float)) or isinstance(n, bool):
                self.unresolved.append(f"{address}: count is {n}; 1 instance is assumed")
                return [(f"{address}[0]", scope.child(count_index=0))]
            if not math.isfinite(n) or n < 0 or n != int(n):
                raise InputError(Problem(f"count is {n}; Terraform needs a whole number 0 or more", file=source,
                                         line=_line_of(source, *where, "count") if source else None,
                                         location=f"{address}.count"))
            self._expansion(int(n), address, "count", source, where)
            return [(f"{address}[{i}]", scope.child(count_index=i)) for i in range(int(n))]
        if "for_each" in body:
            fe = value("for_each")
            if isinstance(fe, Unknown):
                self.unresolved.append(f"{address}: for_each is {fe}; 1 instance is assumed")
                return [
                    (f'{address}["?"]', scope.child(each=("?", Unknown("each.value of an unknown for_each"))))
                ]
            if not isinstance(fe, (dict, list)):
                raise InputError(Problem(f"for_each is {json.dumps(fe)}; Terraform needs a map or a set",
                                         file=source, line=_line_of(source, *where, "for_each") if source else None,
                                         location=f"{address}.for_each"))
            self._expansion(len(fe), address, "for_each", source, where)
            items = fe.items() if isinstance(fe, dict) else [(k, k) for k in fe]
            return [(f"{address}[{json.dumps(str(k))}]", scope.child(each=(k, v))) for k, v in items]
        return [(address, scope)]

    def resource(self, rtype, rname, body, scope, prefix, provider_regions, source) -> None:
        address = f"{prefix}{rtype}.{rname}"
        for inst_address, s in self.instances(body, scope, address, source, (rtype, rname)):
            s.refs = []
            values: dict[str, Any] = {}
            unknown: dict[str, str] = {}
            refs: dict[str, list[str]] = {}
            for k, raw in body.items():
                if k.startswith("__") or k in (
                    "count",
                    "for_each",
                    "lifecycle",
                    "depends_on",
                    "provider",
                    "dynamic",
                ):
                    continue
                s.refs = []
                try:
                    v = evaluate(raw, s)
                except ExpressionError as exc:
                    self.problem(exc, source, f"{inst_address}.{k}")
                    continue
                if s.refs:
                    refs[k] = [prefix + r for r in s.refs]
                values[k], inner = _strip_unknown(v)
                if isinstance(v, Unknown):
                    unknown[k] = str(v)
                elif inner:
                    unknown[k] = inner
            self.dynamic_blocks(body, s, values, unknown)
            region = None
            prov = body.get("provider")
            if isinstance(prov, str):
                alias = prov.strip('"${}').split(".", 1)[-1] if "." in prov else ""
                region = provider_regions.get(alias)
            elif "" in provider_regions:
                region = provider_regions[""]
            if isinstance(values.get("region"), str):
                region = values["region"]
            for k, why in unknown.items():
                if k in RELEVANT.get(rtype, ()):
                    self.unresolved.append(f"{inst_address}: {k} is {why}")
                else:
                    self.not_needed.append(f"{inst_address}: {k} is {why}")
            self.resources.append(
                Resource(
                    inst_address, rtype, values, region=region, unknown=unknown, refs=refs, source=source
                )
            )

    def dynamic_blocks(self, body: dict, scope: Scope, values: dict, unknown: dict) -> None:
        """Count the blocks a `dynamic` block generates (their contents are not evaluated)."""
        for dyn in body.get("dynamic") or []:
            for label, spec in (dyn or {}).items():
                label = strip_label(label)
                spec = spec if isinstance(spec, dict) else {}
                fe = evaluate(spec.get("for_each"), scope)
                if isinstance(fe, Unknown) or not isinstance(fe, (list, dict)):
                    unknown[label] = f"generated by a dynamic block whose for_each is {fe}"
                    continue
                existing = values.get(label) or []
                values[label] = [
                    *(existing if isinstance(existing, list) else [existing]),
                    *({"dynamic": True} for _ in range(len(fe))),
                ]

    # -- modules --------------------------------------------------------------------------
    def module(self, mname, body, scope, prefix, directory: Path, provider_regions) -> None:
        source = evaluate(body.get("source"), scope)
        address = f"{prefix}module.{mname}"
        inputs = {
            k: evaluate(v, scope)
            for k, v in body.items()
            if not k.startswith("__")
            and k not in ("source", "version", "providers", "count", "for_each", "depends_on")
        }
        for k, v in inputs.items():
            if isinstance(v, Unknown):
                self.not_needed.append(f"{address}: input {k} is {v}")
        if "count" in body or "for_each" in body:
            n = evaluate(body["count"], scope) if "count" in body else evaluate(body["for_each"], scope)
            n = len(n) if isinstance(n, (list, dict)) else n
            if n == 0:
                return  # a module switched off (`count = var.enabled ? 1 : 0`)
            if n != 1:
                self.unresolved.append(
                    f"{address}: count / for_each on a module ({n}) is not expanded; one instance is read"
                )
        src = str(source) if isinstance(source, str) else ""
        base = src.split("?")[0]  # drop ?ref=...; a //subdir is another module, not expanded
        region = provider_regions.get("")
        if base == EKS_MODULE or base.endswith(("/terraform-aws-eks", "/terraform-aws-eks.git")):
            self.eks_module(address, inputs, region)
        elif base == VPC_MODULE or base.endswith(("/terraform-aws-vpc", "/terraform-aws-vpc.git")):
            self.vpc_module(address, inputs, region)
        elif src.startswith(("./", "../")):
            sub = (directory / src).resolve()
            try:
                cfg = load_config(sub)
            except InputError as exc:
                self.unresolved.append(f"{address} (source {src}): not read: {exc}")
                return
            values = {k: evaluate(d, Scope()) for k, d in cfg.variables.items() if d is not _NO_DEFAULT}
            values.update(inputs)
            self.read(cfg, Scope(variables=values, locals=cfg.locals), f"{address}.", provider_regions)
        else:
            self.unresolved.append(
                f"{address} (source {src or '?'}): module not expanded; the resources it "
                "creates are not counted"
            )

    def _add(self, address, rtype, values, region, name_hint=None, unknown=None):
        self.resources.append(
            Resource(
                address,
                rtype,
                values,
                region=region,
                unknown=unknown or {},
                name_hint=name_hint,
                source=self.source,
            )
        )

    def eks_module(self, address, inputs, region) -> None:
        if inputs.get("create") is False:
            return
        cname = inputs.get("cluster_name", inputs.get("name"))
        version = inputs.get("cluster_version", inputs.get("kubernetes_version"))
        unknown = {}
        if isinstance(version, Unknown):
            unknown["version"] = str(version)
        self._add(
            f"{address}.aws_eks_cluster.this[0]",
            "aws_eks_cluster",
            {
                "name": cname if isinstance(cname, str) else None,
                "version": version if isinstance(version, str) else None,
            },
            region,
            name_hint=None if isinstance(cname, str) else address.rsplit(".", 1)[-1],
            unknown=unknown,
        )
        if inputs.get("create_kms_key", True) is True:
            self._add(f"{address}.module.kms.aws_kms_key.this[0]", "aws_kms_key", {}, region)
        if inputs.get("create_cloudwatch_log_group", True) is True:
            self._add(f"{address}.aws_cloudwatch_log_group.this[0]", "aws_cloudwatch_log_group", {}, region)
        groups = inputs.get("eks_managed_node_groups") or {}
        defaults = inputs.get("eks_managed_node_group_defaults") or {}
        if isinstance(groups, Unknown):
            self.unresolved.append(f"{address}: eks_managed_node_groups is {groups}; node groups not counted")
            return
        if isinstance(defaults, Unknown):
            self.unresolved.append(f"{address}: eks_managed_node_group_defaults is {defaults}; ignored")
            defaults = {}
        for key, ng in groups.items():
            ng = {**defaults, **(ng if isinstance(ng, dict) else {})}
            if ng.get("create") is False:
                continue
            gaddr = f"{address}.module.eks_managed_node_group[{json.dumps(key)}].aws_eks_node_group.this[0]"
            values, unknown = {}, {}
            # the submodule's defaults (terraform-aws-modules/eks, eks-managed-node-group)
            sizes = {
                "min_size": ng.get("min_size", 0),
                "max_size": ng.get("max_size", 3),
                "desired_size": ng.get("desired_size", 1),
            }
            for k, v in sizes.items():
                if isinstance(v, Unknown):
                    unknown["scaling_config"] = str(v)
                    self.unresolved.append(f"{gaddr}: {k} is {v}")
                    sizes[k] = None
            values["scaling_config"] = sizes
            for k in ("instance_types", "capacity_type"):
                v = ng.get(k)
                if isinstance(v, Unknown):
                    unknown[k] = str(v)
                    self.unresolved.append(f"{gaddr}: {k} is {v}")
                elif v is not None:
                    values[k] = v
            disk = _root_disk(ng)
            if disk is not None:
                values["disk_size"], values["root_volume_type"] = disk

            self._add(gaddr, "aws_eks_node_group", values, region, name_hint=str(key), unknown=unknown)

    def vpc_module(self, address, inputs, region) -> None:
        if inputs.get("create_vpc") is False:
            return
        nat = inputs.get("enable_nat_gateway", False)
        if isinstance(nat, Unknown):
            self.unresolved.append(f"{address}: enable_nat_gateway is {nat}; NAT gateways not counted")
        elif nat:
            n = _nat_count(inputs)
            if isinstance(n, Unknown):
                self.unresolved.append(
                    f"{address}: NAT gateway count unknown ({n}); NAT gateways not counted"
                )
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
                self._add(
                    f"{address}.aws_cloudwatch_log_group.flow_log[0]", "aws_cloudwatch_log_group", {}, region
                )


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


def _root_disk(ng: dict) -> tuple[float, str] | None:
    """Root volume size of a module node group: block_device_mappings, or disk_size when the
    module's custom launch template is off."""
    bdm = ng.get("block_device_mappings")
    if isinstance(bdm, dict):
        for m in bdm.values():
            ebs = (m or {}).get("ebs") if isinstance(m, dict) else None
            if isinstance(ebs, dict) and isinstance(ebs.get("volume_size"), (int, float)):
                vtype = ebs.get("volume_type")
                return ebs["volume_size"], vtype if vtype in ("gp2", "gp3", "io1", "io2") else "gp2"
    if ng.get("use_custom_launch_template") is False and isinstance(ng.get("disk_size"), (int, float)):
        return ng["disk_size"], "gp2"
    return None


def _strip_unknown(v: Any) -> tuple[Any, str | None]:
    """Replace Unknown values nested in a value by None; return the first reason."""
    if isinstance(v, Unknown):
        return None, str(v)
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
