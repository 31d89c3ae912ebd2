"""Read Pulumi state: a ``pulumi stack export`` deployment, or the export of a named stack
through the Pulumi Automation API (``pip install costplan[pulumi]`` and the Pulumi CLI).

Resource type tokens (``aws:eks/nodeGroup:NodeGroup``) are mapped to Terraform resource types
and camelCase properties to snake_case, so the same mapping to a stack spec is used for
Terraform and Pulumi. Outputs (the deployed values) are preferred over inputs. The region of
a resource comes from its ARN, else its provider resource's ``region``, else ``--region``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from costplan.components.registry import pulumi_tokens
from costplan.errors import CostplanError, InputError, Problem
from costplan.iac.resources import ImportResult, Resource, build_stack
from costplan.iac.usage import Usage

TOKENS = pulumi_tokens()
"""Tokens whose Terraform type does not follow the general rule (see terraform_type): a view of
the registry (``PricedService.pulumi_tokens``)."""
# properties whose Terraform name differs beyond camelCase -> snake_case
PROPERTY_RENAMES = {"aws_wafv2_web_acl": {"rules": "rule"}}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def terraform_type(token: str) -> str:
    """The Terraform resource type of a Pulumi AWS token (``aws:eks/nodeGroup:NodeGroup`` ->
    ``aws_eks_node_group``); non-AWS tokens are returned unchanged."""
    if token in TOKENS:
        return TOKENS[token]
    m = re.match(r"aws:([a-z0-9]+)/([A-Za-z0-9]+):([A-Za-z0-9]+)$", token)
    if not m:
        return token
    module, typ = m.group(1), _snake(m.group(3))
    if module == "ec2" or typ.startswith(module):
        return f"aws_{typ}"
    return f"aws_{module}_{typ}"


def _snake_keys(v: Any) -> Any:
    if isinstance(v, dict):
        return {_snake(k) if isinstance(k, str) else k: _snake_keys(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_snake_keys(x) for x in v]
    return v


def read_export(path: str | Path) -> dict:
    """A Pulumi state file as a dict: a ``pulumi stack export`` file (``{"version": 3,
    "deployment": {...}}``) or a backend's checkpoint file (``{"version": 3, "checkpoint":
    {"latest": {...}}}``, as ``.json`` or ``.json.gz``)."""
    from costplan.iac.terraform_plan import parse_json_text

    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("file not found" if not path.exists() else "is not a file", file=str(path)))
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        import gzip

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(Problem(f"not a readable gzip file ({exc})", file=str(path))) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            Problem("is not a text file; expected `pulumi stack export` JSON or a Pulumi checkpoint", file=str(path))
        ) from None
    data, _skipped = parse_json_text(text, str(path), "`pulumi stack export`")
    return data


NOT_INSTALLED = (
    "the Pulumi Automation API is not installed: `pip install costplan[pulumi]`; it also needs the "
    "Pulumi CLI (https://www.pulumi.com/docs/install/) on PATH. Or export the stack yourself: "
    "`pulumi stack export --stack NAME > state.json` and run `costplan import pulumi state.json`"
)


def _load_automation():
    try:
        return importlib.import_module("pulumi.automation")
    except ImportError:
        raise CostplanError(NOT_INSTALLED) from None


def export_stack(
    stack_name: str,
    work_dir: str | Path,
    automation: Any | None = None,
    loader: Callable[[], Any] | None = None,
) -> dict:
    """Export a stack through the Automation API: ``select_stack(...).export_stack()``.

    ``automation`` is the ``pulumi.automation`` module (or anything with the same
    ``select_stack``); by default it is imported here, with a clear error when missing.
    """
    if not Path(work_dir).is_dir():
        raise InputError(
            Problem("--work-dir is not a folder (expected the Pulumi project's folder)", file=str(work_dir))
        )
    auto = automation if automation is not None else (loader or _load_automation)()
    try:
        stack = auto.select_stack(stack_name=stack_name, work_dir=str(work_dir))
        dep = stack.export_stack()
    except (CostplanError, KeyboardInterrupt):
        raise
    except FileNotFoundError as exc:
        raise CostplanError(
            f"the Pulumi CLI was not found ({exc}); install it: https://www.pulumi.com/docs/install/"
        ) from None
    except Exception as exc:  # noqa: BLE001 - the Automation API raises CommandError and others
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CostplanError(f"could not export Pulumi stack {stack_name!r} in {work_dir}: {first}") from None
    deployment = getattr(dep, "deployment", dep)
    version = getattr(dep, "version", None)
    return (
        {"version": version, "deployment": deployment} if version is not None else {"deployment": deployment}
    )


def parse_deployment(
    data: Any, source: str = "<pulumi>"
) -> tuple[list[Resource], dict[str, str], str | None]:
    """Resources of an exported deployment, a map from Terraform type back to the token, and
    the stack name (from the stack resource's URN)."""
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                f"expected a JSON object from `pulumi stack export`, got {type(data).__name__}", file=source
            )
        )
    version = data.get("version")
    config: dict = {}
    if isinstance(data.get("checkpoint"), dict):  # a backend's checkpoint file
        cp = data["checkpoint"]
        config = cp.get("config") if isinstance(cp.get("config"), dict) else {}
        dep = cp.get("latest")
        if dep is None:
            raise InputError(
                Problem("the checkpoint holds no deployment (the stack has not been deployed)", file=source, location="checkpoint.latest")
            )
    else:
        dep = data.get("deployment", data)
    if version is not None and version not in (1, 2, 3):
        raise InputError(
            Problem(
                f"unsupported deployment version {version!r}; costplan reads versions 1 to 3",
                file=source,
                location="version",
            )
        )
    if (
        not isinstance(dep, dict)
        or not isinstance(dep.get("resources", []), list)
        or ("resources" not in dep and "manifest" not in dep)
    ):
        raise InputError(
            Problem(
                "no `deployment.resources` (or `checkpoint.latest.resources`): not a `pulumi stack export` "
                "file or a Pulumi checkpoint",
                file=source,
            )
        )
    raw = dep.get("resources") or []
    providers: dict[str, str | None] = {}
    stack_name = None
    for r in raw:
        if not isinstance(r, dict):
            continue
        t = str(r.get("type", ""))
        if t.startswith("pulumi:providers:"):
            props = {**(r.get("inputs") or {}), **(r.get("outputs") or {})}
            reg = props.get("region")
            if not isinstance(reg, str) and "::default" in str(r.get("urn", "")):
                reg = config.get("aws:region")  # a default provider takes the stack's aws:region
            providers[f"{r.get('urn')}::{r.get('id')}"] = reg if isinstance(reg, str) else None
        elif t == "pulumi:pulumi:Stack":
            parts = str(r.get("urn", "")).split("::")  # urn:pulumi:STACK::PROJECT::TYPE::NAME
            if len(parts) > 2:
                stack_name = f"{parts[1]}-{parts[0].split(':')[-1]}"
    out, tokens = [], {}
    for r in raw:
        if not isinstance(r, dict) or not r.get("custom", False):
            continue
        token = str(r.get("type", ""))
        if token.startswith("pulumi:"):
            continue
        if r.get("delete") or r.get("pendingReplacement"):
            continue
        ttype = terraform_type(token)
        tokens.setdefault(ttype, token)
        values = _snake_keys({**(r.get("inputs") or {}), **(r.get("outputs") or {})})
        for old, new in PROPERTY_RENAMES.get(ttype, {}).items():
            if old in values and new not in values:
                values[new] = values.pop(old)
        urn = str(r.get("urn", ""))
        name = urn.rsplit("::", 1)[-1] or urn
        region = None
        arn = values.get("arn")
        if isinstance(arn, str) and arn.startswith("arn:") and len(arn.split(":")) > 3 and arn.split(":")[3]:
            region = arn.split(":")[3]
        elif isinstance(values.get("region"), str):
            region = values["region"]
        else:
            region = providers.get(str(r.get("provider", "")))
        out.append(
            Resource(address=name, type=ttype, values=values, region=region, source=source, name_hint=name)
        )
        out[-1].urn = urn  # type: ignore[attr-defined]
    return out, tokens, stack_name


def import_pulumi(
    data: Any, *, source: str, usage: Usage | None = None, region: str | None = None, name: str | None = None
) -> ImportResult:
    """Build a stack spec from an exported Pulumi deployment."""
    resources, tokens, stack_name = parse_deployment(data, source)
    usage = usage or Usage()
    # usage keys may be URNs or resource names
    by_urn = {getattr(r, "urn", ""): r.address for r in resources}
    usage.resources = {by_urn.get(k, k): v for k, v in usage.resources.items()}
    result = build_stack(
        resources,
        name=name or stack_name or Path(source).stem,
        source=source,
        usage=usage,
        default_region=region,
        region_help="no region in the resource's ARN or its aws provider (set `aws:region` in the stack's config)",
    )
    for s in result.skipped + result.free:
        s.type = tokens.get(s.type, s.type)
    return result
