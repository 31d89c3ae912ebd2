"""Loading stack specs from YAML with messages that name the file, line and field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from costplan.errors import InputError, Problem, closest
from costplan.limits import MAX_YAML_ALIAS_NODES, MAX_YAML_BYTES, MAX_YAML_DEPTH
from costplan.stack.models import Stack

LineMap = dict[tuple, int]


def read_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """Parse a YAML file safely; return the data and a map from key path to 1-based line number.

    Raises :class:`InputError` for a missing, empty, oversized or undecodable file, a syntax
    error (naming the line and column), a duplicate key (naming both lines), a tag (no
    ``!!python/...`` objects), nesting deeper than :data:`~costplan.limits.MAX_YAML_DEPTH` or
    aliases expanding to more than :data:`~costplan.limits.MAX_YAML_ALIAS_NODES` nodes.
    Raises :class:`CostplanError` when the file exists but cannot be read (permissions).
    """
    return parse_yaml(_read_text(path), str(path))


def read_yaml_documents(path: str | Path) -> list[Any]:
    """Every document of a multi-document YAML file (``---``-separated, such as Kubernetes
    manifests), with the same checks as :func:`read_yaml`; empty documents are left out."""
    text = _read_text(path)
    loader = _SafeLoader(text, str(path))
    try:
        docs = []
        try:
            while loader.check_node():
                node = loader.get_node()
                loader.raise_problems()
                if node is not None:
                    docs.append(loader.construct_document(node))
        except yaml.MarkedYAMLError as exc:
            raise _syntax_error(exc, str(path)) from None
        except yaml.YAMLError as exc:
            raise InputError(Problem(f"not valid YAML: {exc}", file=str(path))) from None
    finally:
        loader.dispose()
    return [d for d in docs if d is not None]


def _read_text(path: str | Path) -> str:
    from costplan.errors import CostplanError

    path = Path(path)
    try:
        if not path.exists():
            raise InputError(Problem("file not found", file=str(path)))
        if path.is_dir():
            raise InputError(Problem("is a folder, expected a YAML file", file=str(path)))
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise InputError(Problem(
                f"is {size:,} bytes; costplan reads YAML files of at most {MAX_YAML_BYTES:,} bytes", file=str(path),
                hint="a stack, claims or usage file is a few kilobytes; is this the right file?"))
        raw = path.read_bytes()
    except OSError as exc:
        raise CostplanError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(Problem(
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); expected a YAML file",
            file=str(path), line=line)) from None


#: The standard tags a YAML file may carry (``!!str``, ``!!int``...); anything else, such as
#: ``!!python/object/apply``, is refused before it is constructed.
_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary", "merge", "set", "omap",
              "pairs", "value")
)


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with limits checked while the node graph is composed, before any
    object is built: nesting depth, alias expansion, recursive aliases, tags, duplicate keys."""

    def __init__(self, text: str, name: str):
        super().__init__(text)
        self._name = name
        self._depth = 0
        self._open_anchors: set[str] = set()
        self._sizes: dict[int, int] = {}  # id(node) -> nodes in it, aliases expanded
        self._alias_nodes = 0
        self._problems: list[Problem] = []

    def _refuse(self, message: str, mark, hint: str | None = None) -> InputError:
        return InputError(Problem(message, file=self._name, line=mark.line + 1 if mark else None, hint=hint))

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open_anchors:
                raise self._refuse(f"the alias *{event.anchor} is inside the anchor &{event.anchor} it refers to "
                                   "(a recursive alias)", event.start_mark)
            node = super().compose_node(parent, index)
            self._alias_nodes += self._sizes.get(id(node), 1)
            if self._alias_nodes > MAX_YAML_ALIAS_NODES:
                raise self._refuse(
                    f"aliases expand to more than {MAX_YAML_ALIAS_NODES:,} nodes (an alias bomb?)", event.start_mark,
                    hint="write the repeated parts out, or reuse fewer, smaller anchors")
            return node
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise self._refuse(f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _STANDARD_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise self._refuse(f"the tag {shown} is not allowed: costplan reads plain YAML data, not objects",
                               event.start_mark, hint="remove the tag")
        anchor = event.anchor
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open_anchors.discard(anchor)
        if isinstance(node, yaml.MappingNode):
            self._check_duplicates(node)
            self._sizes[id(node)] = 1 + sum(self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1)
                                            for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            self._sizes[id(node)] = 1 + sum(self._sizes.get(id(v), 1) for v in node.value)
        return node

    def _check_duplicates(self, node: yaml.MappingNode) -> None:
        seen: dict[tuple, yaml.Node] = {}
        for k, _v in node.value:
            if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
                continue
            key = (k.tag, k.value)
            first = seen.get(key)
            if first is None:
                seen[key] = k
                continue
            a, b = first.start_mark, k.start_mark
            where = (f"line {a.line + 1}, column {a.column + 1} and column {b.column + 1}" if a.line == b.line
                     else f"lines {a.line + 1} and {b.line + 1}")
            self._problems.append(Problem(
                f"duplicate key {k.value!r} on {where}: YAML would keep only the last one", file=self._name,
                line=b.line + 1, hint="merge the two into one entry or remove one"))

    def raise_problems(self) -> None:
        if self._problems:
            problems, self._problems = self._problems, []
            raise InputError(problems)


def _syntax_error(exc: yaml.MarkedYAMLError, name: str) -> InputError:
    mark = exc.problem_mark
    line = mark.line + 1 if mark else None
    col = f", column {mark.column + 1}" if mark else ""
    return InputError(
        Problem(f"YAML syntax error{col}: {exc.problem}", file=name, line=line, hint="check indentation and quoting")
    )


def parse_yaml(text: str, name: str = "<string>") -> tuple[Any, LineMap]:
    """Parse one YAML document from ``text`` with the checks of :func:`read_yaml`."""
    if len(text) > MAX_YAML_BYTES:
        raise InputError(Problem(f"is longer than {MAX_YAML_BYTES:,} characters; too large for a YAML spec",
                                 file=name))
    if not text.strip():
        raise InputError(Problem("the file is empty; expected a YAML mapping", file=name))
    loader = _SafeLoader(text, name)
    try:
        try:
            node = loader.get_single_node()
            loader.raise_problems()
            data = loader.construct_document(node) if node is not None else None
        except yaml.MarkedYAMLError as exc:
            raise _syntax_error(exc, name) from None
        except yaml.YAMLError as exc:
            raise InputError(Problem(f"not valid YAML: {exc}", file=name)) from None
    finally:
        loader.dispose()
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
            msg = f"must be a whole number, got {_shown(e.get('input'))}"
        elif e["type"] in ("float_type", "float_parsing"):
            msg = f"must be a number, got {_shown(e.get('input'))}"
        elif e["type"] == "finite_number":
            msg = f"must be a finite number, got {_shown(e.get('input'))}"
        elif e["type"] == "literal_error":
            msg = f"{e.get('input')!r} is not valid; {e['msg'].replace('Input should be', 'expected')}"
        elif e["type"] in ("greater_than_equal", "greater_than", "less_than_equal"):
            msg = f"{e['msg'].lower()}, got {_shown(e.get('input'))}"
        elif e["type"] in ("dict_type", "model_type"):
            msg = f"expected a mapping of names to settings, got {type(e.get('input')).__name__}"
        problems.append(Problem(msg, file=file, line=line_for(lines, loc), location=path or "(top level)", hint=hint))
    return problems


def _shown(v: Any) -> str:
    """``repr(v)``, shortened for a message: a 400-digit number is shown by its size."""
    text = repr(v)
    if len(text) <= 40:
        return text
    if isinstance(v, int) and not isinstance(v, bool):
        return f"a {len(str(abs(v)))}-digit number"
    return text[:37] + "..."


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
    """Validate a parsed stack spec and every one of its scenarios (a typo in a scenario is
    an error whether or not the scenario is used, naming the line in its patch); return the
    base stack, or the stack with ``scenario`` applied."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise InputError(
            Problem(f"expected a YAML mapping with `name` and `regions`, got {type(data).__name__}", file=file, line=1)
        )
    stack = _validate(data, file, lines)
    variants: dict[str, Stack] = {}
    problems: list[Problem] = []
    for name in stack.scenarios:
        try:
            variants[name] = _apply_scenario(stack, data, file, lines, name)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    if scenario:
        if scenario not in stack.scenarios:
            valid = ", ".join(sorted(stack.scenarios)) or "none defined"
            near = closest(scenario, stack.scenarios)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise InputError(Problem(f"unknown scenario {scenario!r}; {hint}scenarios in this file: {valid}", file=file))
        stack = variants[scenario]
    stack._source = file
    stack._lines = lines
    stack._data = data
    return stack


def _apply_scenario(base: Stack, data: dict, file: str, lines: LineMap, name: str) -> Stack:
    """The base stack with scenario ``name``'s patch merged in, validated; its problems name
    the line in the patch where the patch sets the field (the base's line otherwise)."""
    patched = deep_merge({k: v for k, v in data.items() if k != "scenarios"}, base.scenarios[name].patch)
    patched["scenarios"] = data.get("scenarios", {})
    patched["name"] = f"{base.name} [{name}]"
    prefix = ("scenarios", name, "patch")
    scen_lines = dict(lines)
    scen_lines.update({k[len(prefix):]: v for k, v in lines.items() if k[: len(prefix)] == prefix})
    try:
        stack = _validate(patched, file, scen_lines)
    except InputError as exc:
        for p in exc.problems:
            p.location = f"scenario {name!r}: {p.location}" if p.location else f"scenario {name!r}"
        raise InputError(exc.problems) from None
    stack._scenario = name
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

    def mapping(v: Any, key: str) -> dict:
        """``v[key]`` when both are mappings, else empty (the models report the wrong shape)."""
        inner = v.get(key) if isinstance(v, dict) else None
        return inner if isinstance(inner, dict) else {}

    found: list[tuple[tuple, str]] = []
    for rname, region in mapping(data, "regions").items():
        found.append((("regions", rname), rname))
        for dbname, db in mapping(region, "rds").items():
            for repname, rep in mapping(db, "read_replicas").items():
                if isinstance(rep, dict) and isinstance(rep.get("region"), str):
                    found.append((("regions", rname, "rds", dbname, "read_replicas", repname, "region"), rep["region"]))
    for kind, items in mapping(data, "commitments").items():
        for cname, c in items.items() if isinstance(items, dict) else ():
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
