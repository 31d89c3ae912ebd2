"""``costplan import terraform|pulumi`` (stacks from infrastructure code) and ``costplan diff``.

``register_import(import_app)`` adds ``terraform`` and ``pulumi`` to the ``import`` group;
``register(app)`` adds ``diff`` and attaches them to the ``import`` group (see its docstring).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import typer

from costplan.cli.common import (
    FORMAT_OPTION,
    WIDE_OPTION,
    Format,
    cli_errors,
    emit_frame,
    emit_json,
    help_text,
    info,
    warn,
)

TERRAFORM_HELP = """Build a stack spec from Terraform: a plan or state as JSON
(`terraform show -json`), or a folder of .tf files when no plan is available.

Priced resources: EKS clusters, managed node groups and self-managed Auto Scaling groups
(with their launch templates), RDS for PostgreSQL (with read replicas), ElastiCache, EBS
volumes, S3 buckets, load balancers, NAT gateways, Elastic IPs, Route 53 zones and health
checks, WAFv2 web ACLs, Config rules, CloudTrail, VPC Flow Logs, KMS keys, CloudWatch alarms
and log groups, capacity reservations. A .tf folder is evaluated as Terraform would at plan
time: modules per count/for_each instance (local ones, those `terraform init` put on disk,
else the terraform-aws-modules eks, vpc and kms modules), module outputs, variables with
optional() defaults, terragrunt inputs. Everything else is listed as skipped, resource by
resource, with the reason. A resource whose region the code does not give needs --region.
Usage quantities (GB stored, requests, GB processed) come from --usage or documented
defaults (docs/infrastructure-code.md).

Examples:

  terraform plan -out plan.tfplan && terraform show -json plan.tfplan > plan.json

  costplan import terraform plan.json --usage costplan-usage.yaml --out stack.yaml

  costplan import terraform terraform/ --var-file prod.tfvars --estimate

  costplan import terraform plan.json --region eu-west-1 --format json

  costplan import terraform infra/ --k8s karpenter.yaml --k8s app.yaml --estimate
"""

PULUMI_HELP = """Build a stack spec from Pulumi state: a `pulumi stack export` file or a
backend's checkpoint file (.json or .json.gz), or
--stack NAME --work-dir DIR to export it through the Pulumi Automation API (needs
`pip install costplan[pulumi]` and the Pulumi CLI).

Examples:

  pulumi stack export --stack prod > state.json && costplan import pulumi state.json --out stack.yaml

  costplan import pulumi --stack prod --work-dir infra/ --estimate
"""

DIFF_HELP = """The monthly cost difference between two stacks, plans or scenarios, per
component and in total (previous, new, difference, %). A side is a stack YAML, STACK.yaml#scenario,
a Terraform plan JSON or a folder of .tf files. --format markdown gives a pull-request comment.

Examples:

  costplan diff data/ultibiker/stack.yaml data/ultibiker/stack.yaml#graviton

  costplan diff base-plan.json pr-plan.json --usage costplan-usage.yaml --format markdown
"""


OUT_OPTION = typer.Option(
    None, "--out", "-o", help="Write the stack spec YAML here (a new file, or one an earlier import wrote)."
)
K8S_OPTION = typer.Option(
    [],
    "--k8s",
    help="Kubernetes manifests with Karpenter NodePools / EC2NodeClasses and the workloads they run "
    "(repeatable): each NodePool becomes a node pool priced as a range (docs/infrastructure-code.md).",
)
ESTIMATE_OPTION = typer.Option(False, "--estimate", help="Price the imported stack and print the estimate.")
CATALOG_OPTION = typer.Option(None, "--catalog", help="Catalog CSV (default: embedded snapshot).")


def register_import(import_app: typer.Typer) -> None:
    """Add ``terraform`` and ``pulumi`` to the ``import`` command group."""
    import_app.command("terraform", help=help_text(TERRAFORM_HELP))(import_terraform)
    import_app.command("pulumi", help=help_text(PULUMI_HELP))(import_pulumi)


def register(app: typer.Typer) -> None:
    """Add ``diff``; add ``terraform`` and ``pulumi`` to the ``import`` group, wherever it is
    defined: a group already registered on ``app``, else ``costplan.cli.imports.import_app``
    (registered by that module, before or after this one), else a group created here."""
    app.command("diff", help=help_text(DIFF_HELP))(diff_cmd)
    group = next((g.typer_instance for g in app.registered_groups if g.name == "import"), None)
    if group is None and importlib.util.find_spec("costplan.cli.imports") is not None:
        group = getattr(importlib.import_module("costplan.cli.imports"), "import_app", None)
    if group is None:
        group = typer.Typer(help="Bring data in: stacks from infrastructure code.", no_args_is_help=True)
        app.add_typer(group, name="import")
    if not any(c.name == "terraform" for c in group.registered_commands):
        register_import(group)


def _parse_vars(pairs: list[str]) -> dict[str, str]:
    from costplan.errors import InputError

    out = {}
    for p in pairs or []:
        k, sep, v = p.partition("=")
        if not sep or not k.strip():
            raise InputError(f"--var {p!r} is not valid; use --var NAME=VALUE")
        out[k.strip()] = v
    return out


def _finish(result, out: Path | None, do_estimate: bool, catalog_path: str | None, fmt: Format) -> None:
    """Validate, then write the YAML / estimate / print, and report what was skipped."""
    from costplan.config import load_settings
    from costplan.pricing.lookup import get_catalog

    stack = result.stack_model()  # validates before anything is written
    text = result.to_yaml()
    if out:
        _write_atomic(out, text)
    if do_estimate:
        from costplan.estimator import estimate

        res = estimate(stack, get_catalog(load_settings(catalog=catalog_path).catalog))
        if fmt is Format.json:
            d = res.to_dict()
            d["import"] = result.report()
            emit_json(d)
        else:
            view = res.lines[
                ["component", "description", "PricingQuantity", "PricingUnit", "ListUnitPrice", "ListCost"]
            ].rename(
                columns={
                    "PricingQuantity": "quantity",
                    "PricingUnit": "unit",
                    "ListUnitPrice": "unit_price",
                    "ListCost": "monthly_cost",
                }
            )
            emit_frame(
                view if fmt is not Format.csv else res.lines,
                fmt,
                title=f"{res.stack_name}: monthly estimate (USD)",
                money=("monthly_cost",),
            )
            info(f"Total: ${res.total_monthly_cost:,.2f}/month")
            for w in res.warnings:
                warn(w)
            for f in res.findings:
                warn(f"{f.commitment}: {f.message}")
    elif fmt is Format.json:
        emit_json({"stack": result.stack, "import": result.report(), "written": str(out) if out else None})
    elif not out:
        typer.echo(text, nl=False)
    _summary(result, out)


def _summary(result, out: Path | None) -> None:
    info(f"{len(result.priced)} resources priced" + (f"; stack written to {out}" if out else ""))
    for line in result.skipped_lines():
        warn(line)
    if result.free:
        info("not billed / not AWS: " + ", ".join(f"{n} x {t}" for t, n in result.free_by_type().items()))
    for u in result.unresolved:
        warn(f"unresolved: {u}")
    if result.defaults:
        warn(
            f"{len(result.defaults)} usage quantities are defaults (0 or 1 LCU); give a --usage file to price them"
        )
    for n in result.notes:
        info(f"note: {n}")


#: The first line of every stack spec `costplan import` writes; an existing --out file is
#: replaced only when it starts with it.
IMPORT_HEADER = "# Imported by `costplan import`"


def _out_path(out: str | None) -> Path | None:
    """``--out`` resolved and checked before any work (costplan.outputs): a folder, a link, or
    a file costplan did not write is refused."""
    if not out:
        return None
    from costplan import outputs

    path = outputs.resolve(out, folder=False)
    outputs.check_file(path, outputs.starts_with(IMPORT_HEADER), what="stack spec YAML")
    return path


def _karpenter(result, k8s: list[str], catalog_path: str | None, region: str | None) -> None:
    if not k8s:
        return
    from costplan.config import load_settings
    from costplan.iac.karpenter import add_to_stack
    from costplan.pricing.lookup import get_catalog

    add_to_stack(result, k8s, get_catalog(load_settings(catalog=catalog_path).catalog), region)


def _write_atomic(path: Path, text: str) -> None:
    from costplan import outputs

    outputs.write_file(path, text, outputs.starts_with(IMPORT_HEADER), what="stack spec YAML")


@cli_errors
def import_terraform(
    path: str = typer.Argument(
        ..., help="Plan/state JSON from `terraform show -json`, or a folder of .tf files."
    ),
    usage: str | None = typer.Option(
        None, "--usage", "-u", help="Usage file YAML (docs/infrastructure-code.md)."
    ),
    region: str | None = typer.Option(
        None,
        "--region",
        "-r",
        help="Region of the resources whose region the code does not give (their provider sets none); "
        "without it such resources are an error.",
    ),
    name: str | None = typer.Option(None, "--name", help="Stack name (default: the file or folder name)."),
    var: list[str] = typer.Option(
        [], "--var", help="A Terraform variable, NAME=VALUE (.tf folders; repeatable)."
    ),
    var_file: list[str] = typer.Option([], "--var-file", help="A .tfvars file (.tf folders; repeatable)."),
    k8s: list[str] = K8S_OPTION,
    out: str | None = OUT_OPTION,
    do_estimate: bool = ESTIMATE_OPTION,
    catalog_path: str | None = CATALOG_OPTION,
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    from costplan.errors import InputError, Problem
    from costplan.iac.usage import read_usage

    out_path = _out_path(out)
    u = read_usage(usage)
    p = Path(path)
    if p.is_dir():
        from costplan.iac.terraform_hcl import import_hcl

        result = import_hcl(
            p, usage=u, region=region, variables=_parse_vars(var), var_files=var_file, name=name
        )
    else:
        if var or var_file:
            raise InputError(
                "--var and --var-file apply to a folder of .tf files; a plan already has its values"
            )
        if not p.exists():
            raise InputError(
                Problem("file not found; expected a plan JSON or a folder of .tf files", file=path)
            )
        from costplan.iac.terraform_plan import import_plan

        result = import_plan(p, usage=u, region=region, name=name)
    _karpenter(result, k8s, catalog_path, region)
    _finish(result, out_path, do_estimate, catalog_path, fmt)


@cli_errors
def import_pulumi(
    state: str | None = typer.Argument(None, help="A `pulumi stack export` JSON file."),
    stack_name: str | None = typer.Option(None, "--stack", help="Export this stack with the Automation API."),
    work_dir: str | None = typer.Option(None, "--work-dir", help="The Pulumi project folder (with --stack)."),
    usage: str | None = typer.Option(
        None, "--usage", "-u", help="Usage file YAML (keys: resource names or URNs)."
    ),
    region: str | None = typer.Option(
        None, "--region", "-r", help="Region of the resources whose region the state does not give."
    ),
    name: str | None = typer.Option(None, "--name", help="Stack name (default: the Pulumi stack name)."),
    k8s: list[str] = K8S_OPTION,
    out: str | None = OUT_OPTION,
    do_estimate: bool = ESTIMATE_OPTION,
    catalog_path: str | None = CATALOG_OPTION,
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    from costplan.errors import InputError
    from costplan.iac import pulumi as pl
    from costplan.iac.usage import read_usage

    out_path = _out_path(out)
    u = read_usage(usage)
    if state and stack_name:
        raise InputError("give a state file or --stack, not both")
    if state:
        deployment, label = pl.read_export(state), state
    elif stack_name:
        deployment, label = pl.export_stack(stack_name, work_dir or "."), f"pulumi stack {stack_name}"
    else:
        raise InputError("give a `pulumi stack export` file or --stack NAME --work-dir DIR")
    result = pl.import_pulumi(deployment, source=label, usage=u, region=region, name=name)
    _karpenter(result, k8s, catalog_path, region)
    _finish(result, out_path, do_estimate, catalog_path, fmt)


@cli_errors
def diff_cmd(
    previous: str = typer.Argument(
        ..., help="Previous: stack YAML, STACK.yaml#scenario, plan JSON or .tf folder."
    ),
    new: str = typer.Argument(..., help="New: stack YAML, STACK.yaml#scenario, plan JSON or .tf folder."),
    usage: str | None = typer.Option(None, "--usage", "-u", help="Usage file for plan / .tf sides."),
    region: str | None = typer.Option(None, "--region", "-r", help="Default region for plan / .tf sides."),
    all_components: bool = typer.Option(
        False, "--all", help="Also list components whose cost does not change."
    ),
    catalog_path: str | None = CATALOG_OPTION,
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    import math
    import sys

    from costplan.config import load_settings
    from costplan.iac.diff import diff
    from costplan.iac.usage import read_usage
    from costplan.pricing.lookup import get_catalog

    d = diff(
        previous,
        new,
        catalog=get_catalog(load_settings(catalog=catalog_path).catalog),
        usage=read_usage(usage),
        region=region,
    )
    if fmt is Format.json:
        emit_json(d.to_dict())
        return
    if fmt is Format.markdown:
        sys.stdout.write(d.to_markdown())
        return
    table = d.table_rows(include_unchanged=all_components)
    if fmt is Format.table:
        table = table.map_column("pct", lambda p: "" if math.isnan(p) else f"{p:+.1%}")
    emit_frame(
        table, fmt, title=f"Monthly cost: {previous} -> {new} (USD)", money=("previous", "new", "difference")
    )
    if fmt is Format.table:
        pct = f" ({d.pct:+.1%})" if d.pct is not None else ""
        info(f"Difference: {'+' if d.difference >= 0 else '-'}${abs(d.difference):,.2f}/month{pct}")
        for w in d.warnings:
            warn(w)
