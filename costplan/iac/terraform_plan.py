"""Read Terraform's JSON output (``terraform show -json PLANFILE`` or of the state).

The format is Terraform's documented "JSON Output Format": ``format_version`` (major
version 0 or 1 is read), ``planned_values.root_module`` (plan) or ``values.root_module``
(state) with ``resources`` and nested ``child_modules``; ``resource_changes`` with
``change.actions`` / ``after`` / ``after_unknown``; ``configuration`` with
``provider_config`` and the expressions (``references``) of each resource.

Resources being destroyed are not in the planned values and are not priced. Attributes known
only after apply are recorded in :attr:`Resource.unknown`, and their references (from the
configuration) in :attr:`Resource.refs`, so that e.g. a read replica whose
``replicate_source_db`` is computed is still linked to its source.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from costplan.errors import InputError, Problem
from costplan.iac.resources import COMPUTED, Resource
from costplan.limits import MAX_JSON_DEPTH, json_depth

SUPPORTED_MAJOR = ("0", "1")
_IDX = re.compile(r"\[[^\[\]]*\]")


def read_plan(path: str | Path) -> tuple[list[Resource], dict]:
    """Read a plan (or state) JSON file; return its resources and metadata
    (``terraform_version``, ``format_version``, ``kind`` plan/state)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("file not found" if not path.exists() else "is not a file", file=str(path)))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(
            Problem(
                "is not a text file; expected the JSON of `terraform show -json PLANFILE`", file=str(path)
            )
        ) from None
    data, skipped = parse_json_text(text, str(path), "`terraform show -json PLANFILE`")
    resources, meta = parse_plan(data, str(path))
    if skipped:
        meta["leading_text_lines"] = skipped
    return resources, meta


def parse_json_text(text: str, source: str, what: str) -> tuple[Any, int]:
    """The JSON document in ``text``, read from its first ``{`` when lines of text come before
    it (a wrapper's log lines, a shell prompt) and ignoring text after it. Returns the data and
    the number of lines skipped before it. A document nested deeper than
    :data:`~costplan.limits.MAX_JSON_DEPTH` is an :class:`InputError` (not a RecursionError)."""
    try:
        return _within_depth(json.loads(text), source), 0
    except RecursionError:
        raise _too_deep(source) from None
    except json.JSONDecodeError as first:
        start = text.find("{")
        while start >= 0:
            try:
                data, _end = json.JSONDecoder().raw_decode(text, start)
                return _within_depth(data, source), text.count("\n", 0, start)
            except RecursionError:
                raise _too_deep(source) from None
            except json.JSONDecodeError:
                start = text.find("{", start + 1)
                if start > 0 and text.count("\n", 0, start) > 200:
                    break
        exc = first
    raise InputError(
        Problem(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); expected the output of {what}",
            file=source,
            line=exc.lineno,
        )
    )


def _too_deep(source: str) -> InputError:
    return InputError(Problem(f"nested more than {MAX_JSON_DEPTH} levels deep; not a document costplan reads",
                              file=source))


def _within_depth(data: Any, source: str) -> Any:
    if json_depth(data) > MAX_JSON_DEPTH:
        raise _too_deep(source)
    return data


REGION_HELP = (
    "the plan's aws provider configuration has no region (it came from the environment when the plan "
    "was made) and the resources carry no ARN"
)


def import_plan(
    path: str | Path, *, usage=None, region: str | None = None, name: str | None = None
):
    """A stack spec from a plan or state JSON file (:func:`read_plan` then
    :func:`~costplan.iac.resources.build_stack`)."""
    from costplan.iac.resources import build_stack

    resources, meta = read_plan(path)
    p = Path(path)
    result = build_stack(
        resources, name=name or p.stem, source=str(p), usage=usage, default_region=region, region_help=REGION_HELP
    )
    if meta.get("leading_text_lines"):
        result.notes.append(f"{meta['leading_text_lines']} lines of text before the JSON were skipped")
    return result


def parse_plan(data: Any, source: str = "<plan>") -> tuple[list[Resource], dict]:
    """Resources of a parsed ``terraform show -json`` document."""
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                f"expected a JSON object from `terraform show -json`, got {type(data).__name__}", file=source
            )
        )
    fv = data.get("format_version")
    if fv is None:
        raise InputError(
            Problem(
                "no `format_version`: not Terraform's JSON output; create it with "
                "`terraform plan -out plan.tfplan && terraform show -json plan.tfplan > plan.json`",
                file=source,
                location="format_version",
            )
        )
    if str(fv).split(".")[0] not in SUPPORTED_MAJOR:
        raise InputError(
            Problem(
                f"unsupported format_version {fv!r}; costplan reads Terraform JSON output format 0.x and 1.x",
                file=source,
                location="format_version",
            )
        )
    if "planned_values" in data:
        root, kind = (data.get("planned_values") or {}).get("root_module") or {}, "plan"
    elif "values" in data:
        root, kind = (data.get("values") or {}).get("root_module") or {}, "state"
    else:
        raise InputError(
            Problem(
                "no `planned_values` or `values`: expected the output of `terraform show -json` on "
                "a saved plan or on the state",
                file=source,
            )
        )
    changes = {rc.get("address"): rc for rc in data.get("resource_changes") or [] if isinstance(rc, dict)}
    config = data.get("configuration") or {}
    cfg_resources = _config_resources(config.get("root_module") or {}, "")
    outputs = _config_outputs(config.get("root_module") or {}, "")
    variables = {k: (v or {}).get("value") for k, v in (data.get("variables") or {}).items()}
    providers = config.get("provider_config") or {}

    out: list[Resource] = []
    for rv in _walk(root, source):
        if rv.get("mode", "managed") != "managed":
            continue
        address = str(rv.get("address", ""))
        rtype = str(rv.get("type", ""))
        values = dict(rv.get("values") or {})
        unknown: dict[str, str] = {}
        rc = changes.get(address)
        cfg_addr = _IDX.sub("", address)
        cfg = cfg_resources.get(cfg_addr, {})
        module_prefix = cfg.get("module", "")
        expressions = cfg.get("expressions") or {}
        if rc:
            after_unknown = (rc.get("change") or {}).get("after_unknown") or {}
            for k, v in after_unknown.items():
                if v is True or (isinstance(v, (dict, list)) and _any_true(v)):
                    configured = k in expressions or not cfg
                    unknown[k] = "known only after apply" if configured else COMPUTED
        refs: dict[str, list[str]] = {}
        for k, expr in expressions.items():
            found = _references(expr)
            if found:
                refs[k] = _through_outputs([module_prefix + r for r in found], outputs)
        region = _region(values, cfg.get("provider_config_key"), providers, variables)
        out.append(
            Resource(
                address=address,
                type=rtype,
                values=values,
                region=region,
                unknown=unknown,
                refs=refs,
                source=source,
            )
        )
    meta = {"terraform_version": data.get("terraform_version"), "format_version": fv, "kind": kind}
    return out, meta


def _walk(module: dict, source: str):
    if not isinstance(module, dict):
        raise InputError(Problem("root_module is not an object", file=source))
    for r in module.get("resources") or []:
        if isinstance(r, dict):
            yield r
    for child in module.get("child_modules") or []:
        yield from _walk(child, source)


def _any_true(v: Any) -> bool:
    if v is True:
        return True
    if isinstance(v, dict):
        return any(_any_true(x) for x in v.values())
    if isinstance(v, list):
        return any(_any_true(x) for x in v)
    return False


def _references(expr: Any) -> list[str]:
    """Every reference of an expression, nested blocks included (``launch_template[0].id``)."""
    if isinstance(expr, dict):
        if "references" in expr and isinstance(expr["references"], list):
            return [str(r) for r in expr["references"]]
        return [r for v in expr.values() for r in _references(v)]
    if isinstance(expr, list):
        return [r for v in expr for r in _references(v)]
    return []


def _config_outputs(module: dict, prefix: str) -> dict[str, list[str]]:
    """``module.x.<output>`` -> the references of the output's expression, and
    ``module.x.var.<input>`` -> the references of the module call's input (with prefixes)."""
    out: dict[str, list[str]] = {}
    for name, call in (module.get("module_calls") or {}).items():
        if not isinstance(call, dict):
            continue
        child = call.get("module") or {}
        cprefix = f"{prefix}module.{name}."
        for iname, expr in (call.get("expressions") or {}).items():
            out[f"{cprefix}var.{iname}"] = [prefix + r for r in _references(expr)]
        for oname, o in (child.get("outputs") or {}).items():
            if isinstance(o, dict):
                out[f"{cprefix}{oname}"] = [cprefix + r for r in _references(o.get("expression") or {})]
        out.update(_config_outputs(child, cprefix))
    return out


def _through_outputs(refs: list[str], outputs: dict[str, list[str]], depth: int = 0) -> list[str]:
    """References with module outputs followed to what they refer to (kept as well)."""
    out = list(refs)
    if depth > 20:
        return out
    for r in refs:
        key = _IDX.sub("", r)
        if key in outputs:
            out += _through_outputs(outputs[key], outputs, depth + 1)
    return list(dict.fromkeys(out))


def _config_resources(module: dict, prefix: str) -> dict[str, dict]:
    """Configuration address (no indices) -> {expressions, provider_config_key, module prefix}."""
    out: dict[str, dict] = {}
    for r in module.get("resources") or []:
        if not isinstance(r, dict):
            continue
        out[prefix + str(r.get("address", ""))] = {
            "expressions": r.get("expressions") or {},
            "provider_config_key": r.get("provider_config_key"),
            "module": prefix,
        }
    for name, call in (module.get("module_calls") or {}).items():
        if isinstance(call, dict):
            out.update(_config_resources(call.get("module") or {}, f"{prefix}module.{name}."))
    return out


def _region(values: dict, provider_key: str | None, providers: dict, variables: dict) -> str | None:
    if isinstance(values.get("region"), str) and values["region"]:
        return values["region"]  # per-resource region (AWS provider 6)
    arn = values.get("arn")
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    for key in (provider_key, (provider_key or "").split(":")[-1], "aws"):
        p = providers.get(key) if key else None
        if isinstance(p, dict):
            expr = (p.get("expressions") or {}).get("region") or {}
            if "constant_value" in expr:
                return str(expr["constant_value"])
            for ref in expr.get("references") or []:
                if ref.startswith("var.") and isinstance(variables.get(ref[4:]), str):
                    return variables[ref[4:]]
    return None
