"""A small evaluator for the Terraform expressions found in configurations.

It resolves what can be known without running Terraform: literals, ``var.*`` (defaults,
tfvars, ``-var``), ``local.*``, ``count.index``, ``each.key`` / ``each.value``, arithmetic,
comparisons, conditionals, string templates and common functions (``length``, ``toset``,
``merge``, ``lookup``, ``max``...). Anything else (module outputs, data sources, attributes
known after apply, ``for`` expressions) evaluates to :class:`Unknown`, which carries the reason
and propagates through every operation. References to resources are recorded so that links
such as ``replicate_source_db = aws_db_instance.primary.identifier`` can be followed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known from the configuration alone."""

    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass
class Scope:
    variables: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    """Raw (unevaluated) local expressions; evaluated on first use."""
    count_index: int | None = None
    each: tuple[Any, Any] | None = None
    refs: list[str] = field(default_factory=list)
    _local_cache: dict[str, Any] = field(default_factory=dict)
    _evaluating: set = field(default_factory=set)

    def child(self, **kw) -> Scope:
        s = Scope(self.variables, self.locals, self.count_index, self.each)
        s._local_cache = self._local_cache
        for k, v in kw.items():
            setattr(s, k, v)
        return s


_META_KEYS = ("__is_block__", "__start_line__", "__end_line__", "__comments__", "__inline_comments__")


def strip_label(s: str) -> str:
    return s[1:-1] if isinstance(s, str) and len(s) >= 2 and s[0] == s[-1] == '"' else s


def evaluate(value: Any, scope: Scope) -> Any:
    """Evaluate a value as python-hcl2 gives it (strings hold expressions and templates)."""
    if isinstance(value, str):
        return _eval_string(value, scope)
    if isinstance(value, list):
        return [evaluate(v, scope) for v in value]
    if isinstance(value, dict):
        return {strip_label(k): evaluate(v, scope) for k, v in value.items() if k not in _META_KEYS}
    return value


def _eval_string(s: str, scope: Scope) -> Any:
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return _template(s[1:-1], scope)
    if s.startswith("${") and s.endswith("}") and _matching_brace(s, 1) == len(s) - 1:
        return eval_expression(s[2:-1], scope)
    if "${" in s:
        return _template(s, scope)
    return s


def _matching_brace(s: str, i: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``i`` (skips strings)."""
    depth, j, quote = 0, i, False
    while j < len(s):
        c = s[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def _template(text: str, scope: Scope) -> Any:
    if text.startswith("<<"):
        return text  # heredoc: kept as written
    parts: list[Any] = []
    i, buf = 0, []
    while i < len(text):
        if text.startswith("$${", i):
            buf.append("${")
            i += 3
        elif text.startswith("${", i):
            end = _matching_brace(text, i + 1)
            if end < 0:
                return Unknown(f"unbalanced template {text!r}")
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(eval_expression(text[i + 2 : end], scope))
            i = end + 1
        elif text.startswith("%{", i):
            return Unknown(f"template directive in {text!r}")
        elif text[i] == "\\" and i + 1 < len(text):
            buf.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            buf.append(text[i])
            i += 1
    if buf:
        parts.append("".join(buf))
    if len(parts) == 1 and not isinstance(parts[0], str):
        return parts[0]
    for p in parts:
        if isinstance(p, Unknown):
            return p
    return "".join(_to_str(p) for p in parts)


def _to_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# -- tokenizer ------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[-+*/%<>!?:.,\[\](){}=])
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
""",
    re.VERBOSE,
)


def _tokens(src: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m:
            raise _Unsupported(f"cannot read {src[i : i + 20]!r}")
        i = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    out.append(("end", ""))
    return out


class _Unsupported(Exception):
    pass


def eval_expression(src: str, scope: Scope) -> Any:
    """Evaluate the text of one expression (without ``${ }``)."""
    try:
        p = _Parser(_tokens(src.strip()), scope)
        v = p.expr()
        if p.peek()[0] != "end":
            raise _Unsupported(f"unexpected {p.peek()[1]!r}")
        return v
    except _Unsupported as exc:
        return Unknown(f"could not resolve `{src.strip()}` ({exc})")
    except (TypeError, ValueError, ZeroDivisionError, KeyError, IndexError) as exc:
        return Unknown(f"could not evaluate `{src.strip()}` ({type(exc).__name__}: {exc})")


def _unknown_in(*vals) -> Unknown | None:
    for v in vals:
        if isinstance(v, Unknown):
            return v
    return None


class _Parser:
    # precedence climbing; each level returns a value (evaluation happens while parsing)
    def __init__(self, toks: list[tuple[str, str]], scope: Scope):
        self.toks, self.i, self.scope = toks, 0, scope

    def peek(self, k: int = 0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self, value: str | None = None):
        t = self.toks[self.i]
        if value is not None and t[1] != value:
            raise _Unsupported(f"expected {value!r}, got {t[1]!r}")
        self.i += 1
        return t

    def expr(self):
        cond = self.binary(0)
        if self.peek()[1] == "?":
            self.take("?")
            a = self.expr()
            self.take(":")
            b = self.expr()
            if isinstance(cond, Unknown):
                return cond
            return a if cond else b
        return cond

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int):
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            op = self.take()[1]
            right = self.binary(level + 1)
            left = _binop(op, left, right)
        return left

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            v = self.unary()
            return v if isinstance(v, Unknown) else (not v)
        if self.peek()[1] == "-":
            self.take()
            v = self.unary()
            return v if isinstance(v, Unknown) else -v
        return self.postfix(self.primary())

    def postfix(self, v):
        while True:
            t = self.peek()
            if t[1] == "." and self.peek(1)[0] in ("name", "num"):
                self.take()
                key = self.take()[1]
                if key == "*":
                    raise _Unsupported("splat")
                v = _get(v, int(key) if key.isdigit() else key)
            elif t[1] == "[":
                self.take()
                if self.peek()[1] == "*":
                    raise _Unsupported("splat expression")
                idx = self.expr()
                self.take("]")
                v = _get(v, idx)
            else:
                return v

    def primary(self):
        kind, text = self.take()
        if kind == "num":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "str":
            return _template(text[1:-1], self.scope)
        if text == "(":
            v = self.expr()
            self.take(")")
            return v
        if text == "[":
            if self.peek()[1] == "for":
                raise _Unsupported("for expression")
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return items
        if text == "{":
            if self.peek()[1] == "for":
                raise _Unsupported("for expression")
            obj = {}
            while self.peek()[1] != "}":
                k = self.take()
                key = k[1][1:-1] if k[0] == "str" else k[1]
                if self.peek()[1] not in ("=", ":"):
                    raise _Unsupported("object key")
                self.take()
                obj[key] = self.expr()
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
            return obj
        if kind != "name":
            raise _Unsupported(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek()[1] == "(":
            return self.call(text)
        return self.reference(text)

    def call(self, fname: str):
        self.take("(")
        args = []
        while self.peek()[1] != ")":
            args.append(self.expr())
            if self.peek()[1] == "...":
                self.take()
                if isinstance(args[-1], list):
                    args[-1:] = args[-1]
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        if fname == "try":
            for a in args:
                if not isinstance(a, Unknown):
                    return a
            return args[-1] if args else None
        fn = FUNCTIONS.get(fname)
        if fn is None:
            return Unknown(f"function {fname}() is not evaluated")
        u = _unknown_in(*args)
        if u is not None:
            return u
        return fn(*args)

    def reference(self, root: str):
        s = self.scope
        if root == "var":
            self.take(".")
            name = self.take()[1]
            if name not in s.variables:
                return Unknown(f"variable var.{name} has no value (no default, tfvars or -var)")
            return s.variables[name]
        if root == "local":
            self.take(".")
            name = self.take()[1]
            return _local(s, name)
        if root == "count":
            self.take(".")
            self.take()
            return (
                s.count_index
                if s.count_index is not None
                else Unknown("count.index outside a counted resource")
            )
        if root == "each":
            self.take(".")
            what = self.take()[1]
            if s.each is None:
                return Unknown("each.* outside a for_each resource")
            return s.each[0] if what == "key" else s.each[1]
        if root == "module":
            self.take(".")
            mod = self.take()[1]
            out = ""
            if self.peek()[1] == ".":
                self.take()
                out = "." + self.take()[1]
            self._skip_traversal()
            return Unknown(f"module output module.{mod}{out}")
        if root == "data":
            parts = self._names(2)
            self._skip_traversal()
            return Unknown(f"data source data.{'.'.join(parts)}")
        if root in ("path", "terraform"):
            self._skip_traversal()
            return Unknown(f"{root}.* value")
        if (
            root.startswith(("aws_", "random_", "tls_", "kubernetes_", "helm_", "null_", "time_"))
            and self.peek()[1] == "."
        ):
            name = self._names(1)[0]
            address = f"{root}.{name}"
            if self.peek()[1] == "[":
                # an instance index: keep it only when it evaluates
                save = self.i
                self.take("[")
                try:
                    idx = self.expr()
                    self.take("]")
                    address += f"[{json.dumps(idx) if isinstance(idx, str) else idx}]"
                except _Unsupported:
                    self.i = save
            attr = ""
            if self.peek()[1] == "." and self.peek(1)[0] == "name":
                self.take()
                attr = self.take()[1]
            self._skip_traversal()
            s.refs.append(address + (f".{attr}" if attr else ""))
            return Unknown(f"attribute of {address}{'.' + attr if attr else ''} (known only after apply)")
        raise _Unsupported(f"reference {root!r}")

    def _names(self, n: int) -> list[str]:
        out = []
        for _ in range(n):
            self.take(".")
            out.append(self.take()[1])
        return out

    def _skip_traversal(self):
        while True:
            t = self.peek()
            if t[1] == "." and self.peek(1)[0] in ("name", "num") or t[1] == "." and self.peek(1)[1] == "*":
                self.take()
                self.take()
            elif t[1] == "[":
                depth = 0
                while True:
                    x = self.take()[1]
                    if x == "[":
                        depth += 1
                    elif x == "]":
                        depth -= 1
                        if depth == 0:
                            break
                    elif x == "":
                        raise _Unsupported("unbalanced [")
            else:
                return


def _local(scope: Scope, name: str) -> Any:
    if name in scope._local_cache:
        return scope._local_cache[name]
    if name not in scope.locals:
        return Unknown(f"local.{name} is not defined")
    if name in scope._evaluating:
        return Unknown(f"local.{name} refers to itself")
    scope._evaluating.add(name)
    try:
        v = evaluate(
            scope.locals[name],
            Scope(
                scope.variables, scope.locals, _local_cache=scope._local_cache, _evaluating=scope._evaluating
            ),
        )
    finally:
        scope._evaluating.discard(name)
    scope._local_cache[name] = v
    return v


def _get(v: Any, key: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    if isinstance(key, Unknown):
        return key
    if isinstance(v, dict):
        if key not in v:
            return Unknown(f"key {key!r} not in the map")
        return v[key]
    if isinstance(v, list):
        if isinstance(key, (int, float)) and 0 <= int(key) < len(v):
            return v[int(key)]
        return Unknown(f"index {key!r} out of range")
    return Unknown(f"cannot index {type(v).__name__}")


def _binop(op: str, a: Any, b: Any) -> Any:
    u = _unknown_in(a, b)
    if u is not None:
        return u
    if op == "||":
        return bool(a) or bool(b)
    if op == "&&":
        return bool(a) and bool(b)
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op in ("<", ">", "<=", ">="):
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    a, b = _number(a), _number(b)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    return a % b


def _number(v: Any) -> float | int:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        return float(v) if "." in v else int(v)
    raise TypeError(f"{v!r} is not a number")


def _merge(*maps):
    out: dict = {}
    for m in maps:
        if m is not None:
            out.update(m)
    return out


def _lookup(m, k, *default):
    if k in m:
        return m[k]
    if default:
        return default[0]
    return Unknown(f"lookup: key {k!r} not in the map")


def _coalesce(*vals):
    for v in vals:
        if v not in (None, ""):
            return v
    return None


FUNCTIONS: dict[str, Callable] = {
    "length": lambda v: len(v),
    "toset": lambda v: list(dict.fromkeys(v)),
    "tolist": lambda v: list(v),
    "tomap": lambda v: dict(v),
    "tonumber": _number,
    "tostring": _to_str,
    "tobool": lambda v: v if isinstance(v, bool) else str(v) == "true",
    "concat": lambda *ls: [x for lst in ls for x in lst],
    "merge": _merge,
    "lookup": _lookup,
    "max": lambda *xs: max(_number(x) for x in xs),
    "min": lambda *xs: min(_number(x) for x in xs),
    "ceil": lambda x: -(-_number(x) // 1),
    "floor": lambda x: _number(x) // 1,
    "coalesce": _coalesce,
    "element": lambda lst, i: lst[int(i) % len(lst)],
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
    "format": lambda f, *a: re.sub(r"%[sd]", "{}", f).format(*a),
    "slice": lambda lst, a, b: lst[int(a) : int(b)],
    "distinct": lambda lst: list(dict.fromkeys(lst)),
    "compact": lambda lst: [x for x in lst if x not in (None, "")],
    "flatten": lambda lst: [y for x in lst for y in (x if isinstance(x, list) else [x])],
    "contains": lambda lst, v: v in lst,
    "can": lambda v: True,
    "jsonencode": lambda v: json.dumps(v),
}
