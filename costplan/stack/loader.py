"""Loading stack specs from YAML with messages that name the file, line and field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from costplan.errors import InputError, Problem, closest
from costplan.stack.models import Stack

LineMap = dict[tuple, int]


def read_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """Parse a YAML file; return the data and a map from key path to 1-based line number.

    Raises :class:`InputError` for a missing file, an empty file or a syntax error, naming
    the line and column.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("file not found", file=str(path)))
    if path.is_dir():
        raise InputError(Problem("is a folder, expected a YAML file", file=str(path)))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(Problem("is not a text file (expected YAML)", file=str(path))) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, name: str = "<string>") -> tuple[Any, LineMap]:
    if not text.strip():
        raise InputError(Problem("the file is empty; expected a YAML mapping", file=name))
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        col = f", column {mark.column + 1}" if mark else ""
        raise InputError(
            Problem(f"YAML syntax error{col}: {exc.problem}", file=name, line=line, hint="check indentation and quoting")
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"not valid YAML: {exc}", file=name)) from None
    lines: LineMap = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, path: tuple, lines: LineMap) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
            lines[(*path, key)] = k.start_mark.line + 1
            _walk(v, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, (*path, i), lines)


def line_for(lines: LineMap, loc: tuple) -> int | None:
    """The line of the longest prefix of ``loc`` present in the map."""
    loc = tuple(loc)
    for n in range(len(loc), -1, -1):
        key = tuple(str(x) if not isinstance(x, int) else x for x in loc[:n])
        if key in lines:
            return lines[key]
    return None


def validation_problems(exc: ValidationError, model: type[BaseModel], file: str, lines: LineMap) -> list[Problem]:
    """Turn a pydantic ValidationError into problems with file, line, field path and hints."""
    problems = []
    for e in exc.errors():
        loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x.startswith("function-after")))
        path = ".".join(str(x) if not isinstance(x, int) else f"[{x}]" for x in loc).replace(".[", "[")
        msg = e["msg"].removeprefix("Value error, ")
        hint = None
        if e["type"] == "extra_forbidden":
            valid = _valid_keys(model, loc[:-1])
            near = closest(str(loc[-1]), valid)
            msg = f"unknown key {loc[-1]!r}"
            if near:
                hint = f"did you mean {' or '.join(repr(n) for n in near)}?"
            elif valid:
                hint = "valid keys: " + ", ".join(valid)
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] in ("int_type", "int_from_float", "int_parsing"):
            msg = f"must be a whole number, got {e.get('input')!r}"
        elif e["type"] in ("float_type", "float_parsing"):
            msg = f"must be a number, got {e.get('input')!r}"
        elif e["type"] == "literal_error":
            msg = f"{e.get('input')!r} is not valid; {e['msg'].replace('Input should be', 'expected')}"
        elif e["type"] in ("greater_than_equal", "greater_than", "less_than_equal"):
            msg = f"{e['msg'].lower()}, got {e.get('input')!r}"
        elif e["type"] in ("dict_type", "model_type"):
            msg = f"expected a mapping of names to settings, got {type(e.get('input')).__name__}"
        problems.append(Problem(msg, file=file, line=line_for(lines, loc), location=path or "(top level)", hint=hint))
    return problems


def _valid_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names valid at ``loc`` (walks models and dict-of-model fields)."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                field = next((f for f in current.model_fields.values() if f.alias == part), None)
            if field is None:
                return []
            current = field.annotation
        else:
            current = _unwrap(current)
            args = typing.get_args(current)
            current = args[-1] if args else None
        current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted((f.alias or n) for n, f in current.model_fields.items())
    return []


def _unwrap(tp: Any) -> Any:
    import types
    import typing

    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    if origin is typing.Annotated:
        return typing.get_args(tp)[0]
    return tp


def deep_merge(base: Any, patch: Any) -> Any:
    """Merge ``patch`` into a copy of ``base``: mappings merge key by key, ``None`` deletes,
    anything else replaces."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def load_stack(path: str | Path, scenario: str | None = None) -> Stack:
    """Load and validate a stack spec; optionally apply one of its named scenarios.

    Every problem in the file is reported at once, with file, line, field path and a hint.
    """
    data, lines = read_yaml(path)
    return stack_from_data(data, str(path), lines, scenario=scenario)


def stack_from_data(data: Any, file: str = "<data>", lines: LineMap | None = None, scenario: str | None = None) -> Stack:
    lines = lines or {}
    if not isinstance(data, dict):
        raise InputError(
            Problem(f"expected a YAML mapping with `name` and `regions`, got {type(data).__name__}", file=file, line=1)
        )
    stack = _validate(data, file, lines)
    if scenario:
        if scenario not in stack.scenarios:
            valid = ", ".join(sorted(stack.scenarios)) or "none defined"
            near = closest(scenario, stack.scenarios)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise InputError(Problem(f"unknown scenario {scenario!r}; {hint}scenarios in this file: {valid}", file=file))
        patched = deep_merge({k: v for k, v in data.items() if k != "scenarios"}, stack.scenarios[scenario].patch)
        patched["scenarios"] = data.get("scenarios", {})
        patched["name"] = f"{stack.name} [{scenario}]"
        scen_lines = {k: v for k, v in lines.items()}
        stack = _validate(patched, f"{file} (scenario {scenario})", scen_lines)
        stack._scenario = scenario
    stack._source = file
    stack._lines = lines
    stack._data = data
    return stack


def _validate(data: dict, file: str, lines: LineMap) -> Stack:
    region_problems = _check_regions(data, file, lines)
    try:
        stack = Stack.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, Stack, file, lines)
        if region_problems:  # the precise, per-key messages replace pydantic's summary ones
            problems = [p for p in problems if "unknown region" not in p.message]
        raise InputError(region_problems + problems) from None
    if region_problems:
        raise InputError(region_problems)
    return stack


def _check_regions(data: dict, file: str, lines: LineMap) -> list[Problem]:
    """Unknown region codes, each reported at its own line with the closest valid codes."""
    from costplan.errors import did_you_mean
    from costplan.units import AWS_REGIONS

    found: list[tuple[tuple, str]] = []
    regions = data.get("regions")
    if isinstance(regions, dict):
        for rname, region in regions.items():
            found.append((("regions", rname), rname))
            for dbname, db in ((region or {}).get("rds") or {}).items() if isinstance(region, dict) else []:
                for repname, rep in ((db or {}).get("read_replicas") or {}).items() if isinstance(db, dict) else []:
                    if isinstance(rep, dict) and isinstance(rep.get("region"), str):
                        found.append((("regions", rname, "rds", dbname, "read_replicas", repname, "region"), rep["region"]))
    commitments = data.get("commitments")
    if isinstance(commitments, dict):
        for kind, items in commitments.items():
            for cname, c in (items or {}).items() if isinstance(items, dict) else []:
                if isinstance(c, dict) and isinstance(c.get("region"), str):
                    found.append((("commitments", kind, cname, "region"), c["region"]))
    return [
        Problem(f"unknown region {code!r}", file=file, line=line_for(lines, loc), location=".".join(map(str, loc)),
                hint=did_you_mean(str(code), AWS_REGIONS, "region"))
        for loc, code in found
        if code not in AWS_REGIONS
    ]


def scenario_names(stack: Stack) -> list[str]:
    return sorted(stack.scenarios)


def load_scenarios(path: str | Path, names: list[str] | None = None) -> dict[str, Stack]:
    """The base stack (key ``"base"``) and each named scenario, validated."""
    base = load_stack(path)
    out = {"base": base}
    for n in names if names is not None else scenario_names(base):
        out[n] = stack_from_data(base._data, base._source, base._lines, scenario=n)
    return out
