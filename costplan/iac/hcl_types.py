"""Terraform type constraints (``variable { type = ... }``) and the conversion of a value to
one, with ``optional(type, default)`` attributes filled in as Terraform fills them.

A type is a tuple: ``("any",)``, ``("string",)``, ``("number",)``, ``("bool",)``,
``("list", T)``, ``("set", T)``, ``("map", T)``, ``("tuple", [T, ...])`` or
``("object", {name: (T, optional, default)})``. :func:`convert` applies it to a value: an
object's missing or null optional attributes take their default (converted to their type, so
defaults nested in defaults apply too) or null; attributes the type does not declare are
dropped; strings, numbers and bools convert as Terraform converts them. Values that do not
fit are left as they are (Terraform would reject them; costplan prices what it can).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costplan.iac.hcl_eval import Scope, TfError, TfSet, Unknown, _number, _to_str, ev, kids, node_name

ANY = ("any",)


def parse_type(tree) -> tuple:
    """The type a constraint's parse tree describes (``any`` for what is not understood)."""
    try:
        return _parse(tree)
    except (TfError, IndexError, ValueError):
        return ANY


def _parse(t) -> tuple:
    if t.data == "expr_term":
        k = kids(t)
        if len(k) != 1:
            return ANY
        return _parse(k[0])
    if t.data == "identifier":
        name = str(t.children[0])
        return (name,) if name in ("string", "number", "bool", "any") else ANY
    if t.data == "function_call":
        parts = kids(t)
        name = str(parts[0].children[0])
        args_node = next((c for c in parts if c.data == "arguments"), None)
        args = kids(args_node) if args_node is not None else []
        if name in ("list", "set", "map") and args:
            return (name, _parse(args[0]))
        if name == "tuple" and args:
            elems = kids(kids(args[0])[0]) if args[0].data == "expr_term" else []
            return ("tuple", [_parse(e) for e in elems])
        if name == "object" and args:
            obj = kids(args[0])[0] if args[0].data == "expr_term" else args[0]
            attrs = {}
            for elem in kids(obj):
                key_node, value_node = kids(elem)
                key = node_name(kids(key_node)[0] if kids(key_node) else key_node)
                attrs[key] = _attr(value_node)
            return ("object", attrs)
    return ANY


def _attr(t) -> tuple[tuple, bool, Any]:
    """An object attribute's (type, optional, default)."""
    inner = kids(t)[0] if t.data == "expr_term" and len(kids(t)) == 1 else t
    if inner.data == "function_call" and str(kids(inner)[0].children[0]) == "optional":
        args_node = next((c for c in kids(inner) if c.data == "arguments"), None)
        args = kids(args_node) if args_node is not None else []
        typ = _parse(args[0]) if args else ANY
        default = ev(args[1], Scope()) if len(args) > 1 else None
        return typ, True, default
    return _parse(t), False, None


def convert(value: Any, typ: tuple) -> Any:
    """``value`` converted to ``typ`` (see the module docstring)."""
    if isinstance(value, Unknown) or value is None or typ[0] == "any":
        return value
    kind = typ[0]
    if kind == "string":
        if isinstance(value, (bool, int, float, str)):
            return _to_str(value)
        return value
    if kind == "number":
        if isinstance(value, str):
            try:
                return _number(value)
            except TfError:
                return value
        return value
    if kind == "bool":
        if value in ("true", "false"):
            return value == "true"
        return value
    if kind in ("list", "set"):
        if isinstance(value, list):
            out = [convert(x, typ[1]) for x in value]
            if kind == "set":
                from costplan.iac.hcl_functions import _toset

                try:
                    return _toset(out)
                except TfError:
                    return TfSet(out)
            return out
        return value
    if kind == "map":
        if isinstance(value, Mapping):
            return {k: convert(value[k], typ[1]) for k in value}
        return value
    if kind == "tuple":
        if isinstance(value, list):
            return [convert(x, t) for x, t in zip(value, typ[1], strict=False)] + value[len(typ[1]) :]
        return value
    if kind == "object":
        if not isinstance(value, Mapping):
            return value
        out = {}
        for name, (atype, optional, default) in typ[1].items():
            v = value[name] if name in value else None
            if v is None and optional and default is not None:
                v = default
            out[name] = convert(v, atype)
        return out
    return value
