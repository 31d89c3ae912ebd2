"""A small evaluator for the Terraform expressions found in configurations.

It resolves what can be known without running Terraform: literals, ``var.*`` (defaults,
tfvars, ``-var``), ``local.*``, ``count.index``, ``each.key`` / ``each.value``, arithmetic,
comparisons, conditionals, string templates, ``for`` expressions (list and object forms,
``if`` filters, grouping with ``...``), splat expressions (``list[*].attr``, legacy
``list.*.attr``) and common functions (``length``, ``toset``, ``merge``, ``lookup``,
``max``...). Anything else (module outputs, data sources, attributes known after apply)
evaluates to :class:`Unknown`, which carries the reason and propagates through every
operation. References to resources are recorded so that links such as
``replicate_source_db = aws_db_instance.primary.identifier`` can be followed.

What Terraform itself would reject and that can only be the configuration's fault (a
duplicate key in an object ``for`` expression without ``...``) raises
:class:`ExpressionError`, an :class:`~costplan.errors.InputError`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from costplan.errors import InputError, Problem
from costplan.limits import MAX_EXPRESSION_DEPTH, MAX_RANGE


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known from the configuration alone."""

    reason: str

    def __str__(self) -> str:
        return self.reason


class ExpressionError(InputError):
    """An expression Terraform would reject (e.g. a duplicate key in an object ``for``)."""

    def __init__(self, message: str, expression: str | None = None, local: str | None = None):
        self.message, self.expression, self.local = message, expression, local
        shown = expression if expression is None or len(expression) <= 80 else expression[:77] + "..."
        text = f"`{shown}`: {message}" if expression else message
        super().__init__(Problem(f"local.{local} = {text}" if local else text))


class TfSet(list):
    """A Terraform set (from ``toset``): distinct elements, strings and numbers in order."""


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
    symbols: dict[str, Any] = field(default_factory=dict)
    """The symbols of the enclosing ``for`` expressions (they shadow every other name)."""

    def child(self, **kw) -> Scope:
        s = Scope(self.variables, self.locals, self.count_index, self.each, symbols=self.symbols)
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


def _string_end(src: str, i: int) -> int:
    """Index just past the string literal opening at ``i``; its ``${ }`` parts may hold
    strings of their own (``"${lookup(m, "k")}"``)."""
    j = i + 1
    while j < len(src):
        if src[j] == "\\":
            j += 2
        elif src[j] == '"':
            return j + 1
        elif src.startswith(("${", "%{"), j) and not src.startswith("$${", j - 1):
            k = _matching_brace(src, j + 1)
            if k < 0:
                return -1
            j = k + 1
        else:
            j += 1
    return -1


def _tokens(src: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(src):
        if src[i] == '"':
            end = _string_end(src, i)
            if end < 0:
                raise _Unsupported(f"unterminated string {src[i : i + 20]!r}")
            out.append(("str", src[i:end]))
            i = end
            continue
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
    except ExpressionError as exc:
        if exc.expression is None:
            raise ExpressionError(exc.message, src.strip()) from None
        raise
    except RecursionError:
        raise ExpressionError(f"nested more than {MAX_EXPRESSION_DEPTH} levels deep", src.strip()) from None
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
        self.depth = 0  # nesting of sub-expressions, limited (the parser recurses)

    def peek(self, k: int = 0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self, value: str | None = None):
        t = self.toks[self.i]
        if value is not None and t[1] != value:
            raise _Unsupported(f"expected {value!r}, got {t[1]!r}")
        self.i += 1
        return t

    def expr(self):
        self.depth += 1
        try:
            if self.depth > MAX_EXPRESSION_DEPTH:
                raise ExpressionError(f"nested more than {MAX_EXPRESSION_DEPTH} levels deep")
            return self._expr()
        finally:
            self.depth -= 1

    def _expr(self):
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
        if self.peek()[1] in ("!", "-"):
            self.depth += 1  # a chain of signs recurses too
            try:
                if self.depth > MAX_EXPRESSION_DEPTH:
                    raise ExpressionError(f"nested more than {MAX_EXPRESSION_DEPTH} levels deep")
                return self._unary()
            finally:
                self.depth -= 1
        return self._unary()

    def _unary(self):
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
            if t[1] == "." and self.peek(1)[1] == "*":
                # legacy attribute-only splat: the attributes after it apply to each element,
                # an index to the resulting list
                self.take()
                self.take()
                v = _splat(v, self._steps(indexes=False))
            elif t[1] == "[" and self.peek(1)[1] == "*" and self.peek(2)[1] == "]":
                # full splat: every attribute and index after it applies to each element
                self.take()
                self.take()
                self.take()
                v = _splat(v, self._steps(indexes=True))
            elif t[1] == "." and self.peek(1)[0] in ("name", "num"):
                self.take()
                key = self.take()[1]
                v = _get(v, int(key) if key.isdigit() else key)
            elif t[1] == "[":
                self.take()
                idx = self.expr()
                self.take("]")
                v = _get(v, idx)
            else:
                return v

    def _steps(self, indexes: bool) -> list[Any]:
        """The attribute names (and, if ``indexes``, evaluated indexes) after a splat."""
        steps: list[Any] = []
        while True:
            if self.peek()[1] == "." and self.peek(1)[0] in ("name", "num"):
                self.take()
                key = self.take()[1]
                steps.append(int(key) if key.isdigit() else key)
            elif indexes and self.peek()[1] == "[" and self.peek(1)[1] != "*":
                self.take()
                steps.append(self.expr())
                self.take("]")
            else:
                return steps

    def _at_for(self) -> bool:
        return self.peek()[1] == "for" and self.peek(1)[0] == "name" and self.peek(2)[1] in ("in", ",")

    def for_expr(self, close: str):
        """``[for k, v in COLL : VALUE if COND]`` or ``{for k, v in COLL : KEY => VALUE... if COND}``
        (the opening bracket is taken). The body is parsed again for each element."""
        self.take("for")
        names = [self.take()[1]]
        if self.peek()[1] == ",":
            self.take()
            names.append(self.take()[1])
        self.take("in")
        coll = self.expr()
        self.take(":")
        pairs, why = _iterate(coll)
        start, outer = self.i, self.scope
        results = []
        try:
            # an empty or unknown collection: the body is still read once, to move past it
            blank = why or Unknown("element of an empty collection")
            for key, value in pairs if pairs else [(blank, blank)]:
                symbols = dict(zip(names, (key, value) if len(names) == 2 else (value,), strict=True))
                self.i = start
                self.scope = dataclasses.replace(outer, symbols={**outer.symbols, **symbols})
                results.append(self._for_body(close))
        finally:
            self.scope = outer
        if outer.refs:
            outer.refs[:] = dict.fromkeys(outer.refs)  # the body was read once per element
        if pairs is None:
            return why
        results = results[: len(pairs)]
        out_list, out_obj = [], {}
        for key, value, group, cond in results:
            if isinstance(cond, Unknown):
                return cond
            if cond is None or not isinstance(cond, bool) and cond not in ("true", "false"):
                return Unknown(f"the for expression's condition is {_to_str(cond)!r}, not true or false")
            if cond is False or cond == "false":
                continue
            if close == "]":
                out_list.append(value)
                continue
            if isinstance(key, Unknown):
                return key
            if key is None or isinstance(key, (list, dict)):
                return Unknown(f"a for expression's key must be a string, not {json.dumps(key)}")
            key = _to_str(key)
            if group:
                out_obj.setdefault(key, []).append(value)
            elif key in out_obj:
                raise ExpressionError(
                    f"duplicate key {json.dumps(key)} in a for expression (Terraform rejects it); "
                    "add `...` after the value to group the values of one key into a list"
                )
            else:
                out_obj[key] = value
        return out_list if close == "]" else {k: out_obj[k] for k in sorted(out_obj)}

    def _for_body(self, close: str) -> tuple[Any, Any, bool, Any]:
        key, group, cond = None, False, True
        if close == "}":
            key = self.expr()
            self.take("=>")
        value = self.expr()
        if close == "}" and self.peek()[1] == "...":
            self.take()
            group = True
        if self.peek() == ("name", "if"):
            self.take()
            cond = self.expr()
        self.take(close)
        return key, value, group, cond

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
            if self._at_for():
                return self.for_expr("]")
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return items
        if text == "{":
            if self._at_for():
                return self.for_expr("}")
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
        failed: list[ExpressionError] = []
        while self.peek()[1] != ")":
            if fname in ("try", "can"):
                # as in Terraform, try() and can() catch the errors of their arguments
                start = self.i
                try:
                    args.append(self.expr())
                except ExpressionError as exc:
                    failed.append(exc)
                    self.i = start
                    self._skip_expr()
                    args.append(_FAILED)
            else:
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
                if not isinstance(a, Unknown) and a is not _FAILED:
                    return a
            if failed and len(failed) == len(args):
                raise failed[-1]
            return next((a for a in reversed(args) if isinstance(a, Unknown)), None)
        if fname == "can" and args:
            return False if args[0] is _FAILED else args[0] if isinstance(args[0], Unknown) else True
        fn = FUNCTIONS.get(fname)
        if fn is None:
            return Unknown(f"function {fname}() is not evaluated")
        u = _unknown_in(*args)
        if u is not None:
            return u
        return fn(*args)

    def reference(self, root: str):
        s = self.scope
        if root in s.symbols:
            return s.symbols[root]
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
            if (
                self.peek()[1] == "["
                and self.peek(1)[1] == "*"
                or self.peek()[1] == "."
                and self.peek(1)[1] == "*"
            ):
                # a splat over the instances: its attribute is known only after apply
                splat = "[*]" if self.take()[1] == "[" else ".*"
                self.take()
                if splat == "[*]":
                    self.take("]")
                attr = ""
                if self.peek()[1] == "." and self.peek(1)[0] == "name":
                    self.take()
                    attr = self.take()[1]
                self._skip_traversal()
                s.refs.append(f"{address}{splat}" + (f".{attr}" if attr else ""))
                return Unknown(
                    f"attribute of {address}{splat}{'.' + attr if attr else ''} (known only after apply)"
                )
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

    def _skip_expr(self):
        """Move past one expression (to the next ``,`` or closing bracket at its level)."""
        depth = 0
        while True:
            kind, x = self.peek()
            if kind == "end" or depth == 0 and x in (",", ")", "]", "}", "..."):
                return
            if x in ("(", "[", "{"):
                depth += 1
            elif x in (")", "]", "}"):
                depth -= 1
            self.take()

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


_FAILED = object()  # an argument of try()/can() whose evaluation failed


def _iterate(coll: Any) -> tuple[list[tuple[Any, Any]] | None, Unknown | None]:
    """The (key, value) pairs a ``for`` expression visits, as Terraform orders them: a list by
    index, a map or object by key in lexical order, a set by element (the key is the element)."""
    if isinstance(coll, Unknown):
        return None, coll
    if isinstance(coll, dict):
        return [(k, coll[k]) for k in sorted(coll)], None
    if isinstance(coll, TfSet):
        return [(x, x) for x in coll], None
    if isinstance(coll, list):
        return list(enumerate(coll)), None
    if coll is None:
        return None, Unknown("a for expression over null (Terraform rejects it)")
    return None, Unknown(
        f"cannot iterate over {json.dumps(coll)} in a for expression (not a list, set or map)"
    )


def _splat(v: Any, steps: list[Any]) -> Any:
    """``v[*].a.b[0]``: the steps applied to each element; a single value counts as a
    one-element list and null as an empty one (Terraform's rule)."""
    if isinstance(v, Unknown):
        return v
    u = _unknown_in(*steps)
    if u is not None:
        return u
    items = [] if v is None else list(v) if isinstance(v, list) else [v]
    out = []
    for x in items:
        for k in steps:
            x = _get(x, k)
        out.append(x)
    return out


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
    except ExpressionError as exc:
        if exc.local is None:  # name the local where the expression is written
            raise ExpressionError(exc.message, exc.expression, name) from None
        raise
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


def _toset(v):
    items = list(dict.fromkeys(v))
    if all(isinstance(x, str) for x in items):
        items.sort()
    elif all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
        items.sort()
    return TfSet(items)


def _range(*args):
    """Terraform's ``range(limit)``, ``range(start, limit)``, ``range(start, limit, step)``;
    at most :data:`~costplan.limits.MAX_RANGE` elements."""
    if not 1 <= len(args) <= 3:
        raise TypeError(f"range() takes 1 to 3 arguments, got {len(args)}")
    nums = [_number(a) for a in args]
    start, limit = (0, nums[0]) if len(nums) == 1 else (nums[0], nums[1])
    step = nums[2] if len(nums) == 3 else (1 if limit >= start else -1)
    if step == 0 or (limit - start) * step < 0:
        if step == 0:
            raise ExpressionError("range() step must not be 0")
        return []
    n = math.ceil((limit - start) / step)
    if n > MAX_RANGE:
        raise ExpressionError(f"range() would produce {n:,} elements; the limit is {MAX_RANGE:,}")
    return [start + i * step for i in range(n)]


def _one(v):
    if len(v) > 1:
        raise ValueError(f"one() of {len(v)} elements")
    return v[0] if v else None


FUNCTIONS: dict[str, Callable] = {
    "length": lambda v: len(v),
    "toset": _toset,
    "tolist": lambda v: list(v),
    "tomap": lambda v: dict(v),
    "tonumber": _number,
    "tostring": _to_str,
    "tobool": lambda v: v if isinstance(v, bool) else str(v) == "true",
    "concat": lambda *ls: [x for lst in ls for x in lst],
    "merge": _merge,
    "lookup": _lookup,
    "max": lambda *xs: max(_number(x) for x in xs),
    "sum": lambda xs: sum(_number(x) for x in xs),
    "one": _one,
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
    "range": _range,
}
