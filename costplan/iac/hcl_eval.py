"""Evaluate Terraform expressions on the parse tree python-hcl2 gives (``hcl2.parses_to_tree``).

It resolves what can be known without running Terraform: literals, ``var.*``, ``local.*``,
``count.index``, ``each.key`` / ``each.value``, ``path.*``, arithmetic, comparisons,
conditionals (only the branch taken is evaluated), string templates with ``%{ if }`` and
``%{ for }`` directives and strip markers, heredocs, ``for`` expressions (list and object
forms, ``if`` filters, grouping with ``...``), splat expressions (``list[*].attr``, legacy
``list.*.attr``) and the functions of :mod:`costplan.iac.hcl_functions`.

References outside the expression (module outputs, resource attributes, data sources) go to
the :class:`Module` the scope belongs to; the plain :class:`Module` here knows only variables
and locals, the Terraform reader (:mod:`costplan.iac.terraform_hcl`) gives one that follows
module outputs and resource attributes across the configuration. What cannot be known (values
known only after apply, data sources, modules not read) evaluates to :class:`Unknown`, which
carries the reason and propagates through every operation. The resource addresses an
expression refers to are recorded in :attr:`Scope.refs` (through locals, variables and module
outputs too), so links such as a read replica's ``replicate_source_db`` or a node group's
``launch_template`` can be followed.

Errors Terraform itself raises at plan time (a missing key, an index out of range, a function
given the wrong kind of value) are :class:`TfError`: ``try()`` and ``can()`` catch them, as in
Terraform; elsewhere the value becomes :class:`Unknown` with the message. What can only be the
configuration's fault (a duplicate key in an object ``for`` expression without ``...``) raises
:class:`ExpressionError`, an :class:`~costplan.errors.InputError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from costplan.errors import InputError, Problem

try:  # python-hcl2 is the `terraform` extra; the reader says how to install it
    from lark import Token, Tree
except ImportError:  # pragma: no cover - lark comes with python-hcl2
    Token = Tree = None  # type: ignore[assignment,misc]


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
        text = f"`{expression}`: {message}" if expression else message
        super().__init__(Problem(f"local.{local} = {text}" if local else text))


class TfError(Exception):
    """An error Terraform raises while evaluating (caught by ``try()`` and ``can()``)."""


class TfSet(list):
    """A Terraform set (from ``toset`` or a ``set(...)`` type): distinct elements, strings
    and numbers in order."""


class LazyObject(Mapping):
    """An object whose attributes are evaluated on first use (a resource instance, a module's
    outputs). ``missing(name)`` gives the value of an attribute that is not configured."""

    def __init__(self, names: list[str], get: Callable[[str], Any], missing: Callable[[str], Any] | None = None):
        self._names, self._get, self._missing = list(names), get, missing
        self._cache: dict[str, Any] = {}

    def attr(self, name: str) -> Any:
        if name not in self._cache:
            if name in self._names:
                self._cache[name] = self._get(name)
            elif self._missing is not None:
                return self._missing(name)
            else:
                raise TfError(f"unsupported attribute {name!r}")
        return self._cache[name]

    def __getitem__(self, name: str) -> Any:
        return self.attr(name)

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass
class Expr:
    """One expression of a configuration: its parse tree and where it is written."""

    tree: Any
    text: str = ""
    file: str | None = None
    line: int | None = None


class Module:
    """What a scope's references resolve against. This plain one holds root variables and
    raw locals; :mod:`costplan.iac.terraform_hcl` subclasses it for a module instance."""

    def __init__(self, variables: Mapping | None = None, locals: Mapping | None = None, paths: dict | None = None):
        self.variables = variables if variables is not None else {}
        self.locals = locals if locals is not None else {}
        self.paths = paths or {}
        self._memo: dict[tuple, tuple[Any, list[str]]] = {}
        self._evaluating: set = set()
        self.prefix = ""

    def memo(self, key: tuple, thunk: Callable[[Scope], Any], scope: Scope, what: str) -> Any:
        """``thunk(scope)`` evaluated once per key; the references it recorded are added to the
        caller's ``scope.refs`` each time it is used."""
        if key in self._memo:
            value, refs = self._memo[key]
            scope.refs.extend(refs)
            return value
        if key in self._evaluating:
            return Unknown(f"{what} refers to itself")
        self._evaluating.add(key)
        inner = Scope(self)
        try:
            value = thunk(inner)
        finally:
            self._evaluating.discard(key)
        self._memo[key] = (value, list(dict.fromkeys(inner.refs)))
        scope.refs.extend(inner.refs)
        return value

    def var(self, name: str, scope: Scope) -> Any:
        if name not in self.variables:
            return Unknown(f"variable var.{name} has no value (no default, tfvars or -var)")
        return self.variables[name]

    def local(self, name: str, scope: Scope) -> Any:
        if name not in self.locals:
            return Unknown(f"local.{name} is not defined")

        def thunk(inner: Scope) -> Any:
            try:
                return evaluate(self.locals[name], inner)
            except ExpressionError as exc:
                if exc.local is None:  # name the local where the expression is written
                    raise ExpressionError(exc.message, exc.expression, name) from None
                raise

        return self.memo(("local", name), thunk, scope, f"local.{name}")

    def module_output(self, name: str, steps: list, scope: Scope) -> tuple[Any, list]:
        """The value of ``module.<name>`` and the traversal steps left to apply."""
        out = f".{steps[0][1]}" if steps and steps[0][0] == "attr" else ""
        return Unknown(f"module output module.{name}{out}"), steps[1:] if out else steps

    def resource(self, rtype: str, name: str, steps: list, scope: Scope) -> tuple[Any, list]:
        """The value of the resource reference ``<rtype>.<name>`` and the steps left."""
        address, rest = _reference_address(f"{rtype}.{name}", steps, scope)
        scope.refs.append(self.prefix + address)
        return Unknown(f"attribute of {address} (known only after apply)"), rest

    def data(self, dtype: str, name: str, steps: list, scope: Scope) -> tuple[Any, list]:
        return Unknown(f"data source data.{dtype}.{name}"), []

    def path(self, kind: str) -> Any:
        if kind in self.paths:
            return self.paths[kind]
        return Unknown(f"path.{kind} value")


@dataclass
class Scope:
    """Where an expression is evaluated: its module, and the symbols bound around it
    (``count.index``, ``each``, ``for`` symbols, a ``dynamic`` block's iterator)."""

    module: Module | None = None
    count_index: int | None = None
    each: tuple[Any, Any] | None = None
    symbols: dict[str, Any] = field(default_factory=dict)
    refs: list[str] = field(default_factory=list)

    def __init__(
        self,
        module: Module | None = None,
        count_index: int | None = None,
        each: tuple[Any, Any] | None = None,
        symbols: dict | None = None,
        refs: list | None = None,
        *,
        variables: Mapping | None = None,
        locals: Mapping | None = None,
    ):
        if module is None:
            module = Module(variables, locals)
        self.module, self.count_index, self.each = module, count_index, each
        self.symbols = dict(symbols or {})
        self.refs = refs if refs is not None else []

    @property
    def variables(self):
        return self.module.variables

    @property
    def locals(self):
        return self.module.locals

    def child(self, **kw) -> Scope:
        """The same module and symbols with some replaced (refs are shared)."""
        s = Scope(self.module, self.count_index, self.each, self.symbols, self.refs)
        for k, v in kw.items():
            setattr(s, k, v)
        return s

    def with_symbols(self, symbols: dict) -> Scope:
        return self.child(symbols={**self.symbols, **symbols})


# -- parsing --------------------------------------------------------------------------------
def _parser():
    try:
        import hcl2
    except ImportError:
        from costplan.errors import CostplanError

        raise CostplanError(
            "reading .tf files needs python-hcl2: `pip install costplan[terraform]` "
            "(or give a plan: `terraform show -json PLANFILE > plan.json`)"
        ) from None
    return hcl2


def parse_expression(text: str) -> Expr:
    """The parse tree of one expression's text (raises :class:`TfError` if it is not one)."""
    hcl2 = _parser()
    try:
        tree = hcl2.parses_to_tree(f"x = {text}\n")
    except Exception as exc:  # noqa: BLE001 - lark raises errors of many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TfError(f"cannot read {text!r}: {first}") from None
    attrs = [c for c in tree.children[0].children if isinstance(c, Tree) and c.data == "attribute"]
    if len(attrs) != 1:
        raise TfError(f"cannot read {text!r}")
    return Expr(attrs[0].children[-1], text.strip())


def kids(t) -> list:
    """The sub-trees of a node, without newlines and comments."""
    return [c for c in t.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def node_name(t) -> str:
    """The text of an identifier, keyword, literal value or plain string node."""
    if isinstance(t, Token):
        return str(t)
    if t.data in ("identifier", "keyword", "literal_value"):
        return str(t.children[0])
    if t.data == "expr_term" and kids(t):
        return node_name(kids(t)[0])
    if t.data == "string":
        parts = [c for c in t.children if isinstance(c, Tree)]
        return "".join(_unescape(str(p.children[0])) for p in parts if isinstance(p.children[0], Token))
    raise TfError(f"expected a name, got {t.data}")


def strip_label(s: str) -> str:
    return s[1:-1] if isinstance(s, str) and len(s) >= 2 and s[0] == s[-1] == '"' else s


# -- evaluation -----------------------------------------------------------------------------
def evaluate(value: Any, scope: Scope) -> Any:
    """Evaluate an :class:`Expr`, a parse tree, or plain data (lists and dicts are evaluated
    element by element; a string is read as python-hcl2 serialises expressions:
    ``"${...}"`` an expression, ``'"text"'`` a template, anything else a literal)."""
    if isinstance(value, Expr):
        return _top(value.tree, scope, value.text)
    if Tree is not None and isinstance(value, Tree):
        return _top(value, scope, "")
    if isinstance(value, str):
        return _eval_serialised(value, scope)
    if isinstance(value, list):
        return [evaluate(v, scope) for v in value]
    if isinstance(value, dict):
        return {strip_label(k): evaluate(v, scope) for k, v in value.items() if not str(k).startswith("__")}
    return value


def eval_expression(src: str, scope: Scope) -> Any:
    """Evaluate the text of one expression (without ``${ }``)."""
    try:
        e = parse_expression(src)
    except TfError as exc:
        return Unknown(f"could not resolve `{src.strip()}` ({exc})")
    return _top(e.tree, scope, e.text)


def _eval_serialised(s: str, scope: Scope) -> Any:
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return eval_expression(s, scope)
    if s.startswith("${") and s.endswith("}"):
        return eval_expression(s[2:-1], scope)
    if "${" in s or "%{" in s:
        return _render(_scan_template(s), scope)
    return s


def _top(tree, scope: Scope, text: str) -> Any:
    try:
        return ev(tree, scope)
    except TfError as exc:
        return Unknown(f"could not evaluate `{text}` ({exc})" if text else f"could not evaluate ({exc})")
    except ExpressionError as exc:
        if exc.expression is None and text:
            raise ExpressionError(exc.message, text) from None
        raise
    except RecursionError:
        raise InputError(f"expression nested too deeply to evaluate: `{text[:80]}`") from None


def ev(t, scope: Scope) -> Any:
    """Evaluate one node of the parse tree."""
    fn = _NODES.get(t.data)
    if fn is None:
        raise TfError(f"{t.data} is not supported")
    return fn(t, scope)


def _expr_term(t, scope):
    k = kids(t)
    if len(k) != 1:
        raise TfError("empty expression")
    c = k[0]
    if c.data == "identifier":
        return _reference(str(c.children[0]), [], scope)
    return ev(c, scope)


def _literal(t, scope):
    v = str(t.children[0])
    return {"true": True, "false": False, "null": None}[v]


def _int(t, scope):
    return int(str(t.children[0]))


def _float(t, scope):
    v = float(str(t.children[0]))
    return int(v) if v.is_integer() and "e" not in str(t.children[0]).lower() else v


def _tuple(t, scope):
    return [ev(c, scope) for c in kids(t)]


def _object(t, scope):
    out = {}
    for elem in kids(t):
        key_node, value_node = kids(elem)
        inner = kids(key_node)[0] if kids(key_node) else key_node
        if inner.data == "keyword":
            key = str(inner.children[0])
        elif inner.data == "expr_term" and len(kids(inner)) == 1 and kids(inner)[0].data == "identifier" and not any(
            isinstance(c, Token) and str(c) == "(" for c in inner.children
        ):
            key = str(kids(inner)[0].children[0])  # a bare name is the key itself, not a reference
        else:
            key = ev(inner, scope)
            if isinstance(key, Unknown):
                return key
            if key is None or isinstance(key, (list, dict)):
                raise TfError(f"an object key must be a string, not {_show(key)}")
            key = _to_str(key)
        out[key] = ev(value_node, scope)
    return out


def _conditional(t, scope):
    cond, a, b = kids(t)
    c = ev(cond, scope)
    if isinstance(c, Unknown):
        return c
    if c is None:
        raise TfError("the condition of a conditional is null")
    return ev(a, scope) if _truth(c) else ev(b, scope)


def _truth(v) -> bool:
    if isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise TfError(f"{_show(v)} is not true or false")


def _unary(t, scope):
    op = str(t.children[0])
    v = ev(kids(t)[0], scope)
    if isinstance(v, Unknown):
        return v
    if op == "!":
        return not _truth(v)
    return -_number(v)


def _binary_op(t, scope):
    left_node, term = kids(t)[:2]
    op_node, right_node = kids(term)
    op = str(op_node.children[0]).strip()
    a = ev(left_node, scope)
    if op in ("&&", "||") and not isinstance(a, Unknown):
        ta = _truth(a)
        if op == "&&" and not ta:
            return False
        if op == "||" and ta:
            return True
        b = ev(right_node, scope)
        return b if isinstance(b, Unknown) else _truth(b)
    b = ev(right_node, scope)
    return binop(op, a, b)


def binop(op: str, a: Any, b: Any) -> Any:
    u = unknown_in(a, b)
    if u is not None:
        return u
    if op in ("&&", "||"):
        return _truth(a) and _truth(b) if op == "&&" else _truth(a) or _truth(b)
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    a, b = _number(a), _number(b)
    if op in ("<", ">", "<=", ">="):
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0 and op in ("/", "%"):
        raise TfError("division by zero")
    if op == "/":
        q = a / b
        return int(q) if isinstance(q, float) and q.is_integer() else q
    return a % b


def _equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b) and not (isinstance(a, (list, dict)) and isinstance(b, (list, dict))):
        return False
    return a == b


def _number(v: Any) -> int | float:
    if isinstance(v, bool) or v is None:
        raise TfError(f"{_show(v)} is not a number")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            raise TfError(f"{_show(v)} is not a number") from None
        return int(f) if f.is_integer() and re.fullmatch(r"-?\d+", v.strip()) else f
    raise TfError(f"{_show(v)} is not a number")


def _show(v: Any) -> str:
    try:
        return json.dumps(v)
    except (TypeError, ValueError):
        return repr(v)


def unknown_in(*vals) -> Unknown | None:
    """The first top-level Unknown among ``vals``."""
    for v in vals:
        if isinstance(v, Unknown):
            return v
    return None


def deep_unknown(v: Any) -> Unknown | None:
    """The first Unknown anywhere inside ``v``."""
    if isinstance(v, Unknown):
        return v
    if isinstance(v, LazyObject):
        return None
    if isinstance(v, dict):
        for x in v.values():
            u = deep_unknown(x)
            if u is not None:
                return u
    elif isinstance(v, list):
        for x in v:
            u = deep_unknown(x)
            if u is not None:
                return u
    return None


# -- traversals: a.b[0].c, x[*].y, x.*.y -----------------------------------------------------
def _flatten(t) -> tuple[Any, list]:
    """A traversal as (root node, steps). Steps: ("attr", name), ("index", node),
    ("splat", "full" | "attr", [steps])."""
    if t.data == "expr_term":
        k = kids(t)
        paren = any(isinstance(c, Token) and str(c) == "(" for c in t.children)
        if len(k) == 1 and not paren and k[0].data in _TRAVERSALS:
            return _flatten(k[0])
        return t, []
    if t.data == "get_attr_expr_term":
        base, attr = kids(t)
        root, steps = _flatten(base)
        return root, [*steps, ("attr", node_name(kids(attr)[0]))]
    if t.data == "index_expr_term":
        base, idx = kids(t)
        root, steps = _flatten(base)
        return root, [*steps, _index_step(idx)]
    if t.data in ("full_splat_expr_term", "attr_splat_expr_term"):
        base, splat = kids(t)
        root, steps = _flatten(base)
        sub = [("attr", node_name(kids(s)[0])) if s.data == "get_attr" else _index_step(s) for s in kids(splat)]
        return root, [*steps, ("splat", "full" if t.data.startswith("full") else "attr", sub)]
    return t, []


def _index_step(idx):
    if idx.data == "short_index":
        return ("index", int(str(idx.children[-1])))
    return ("index", kids(idx)[0])


_TRAVERSALS = ("get_attr_expr_term", "index_expr_term", "full_splat_expr_term", "attr_splat_expr_term")


def _traversal(t, scope):
    root, steps = _flatten(t)
    if root.data == "expr_term" and len(kids(root)) == 1 and kids(root)[0].data == "identifier" and not any(
        isinstance(c, Token) and str(c) == "(" for c in root.children
    ):
        return _reference(str(kids(root)[0].children[0]), steps, scope)
    return apply_steps(ev(root, scope), steps, scope)


def step_value(step, scope):
    """The key of an index step, evaluated."""
    kind, arg = step[0], step[1]
    if kind == "index" and not isinstance(arg, (int, str)):
        return ev(arg, scope)
    return arg


def apply_steps(v: Any, steps: list, scope: Scope) -> Any:
    for i, step in enumerate(steps):
        if step[0] == "splat":
            return apply_steps(_splat(v, step[1], step[2], scope), steps[i + 1 :], scope)
        v = get(v, step_value(step, scope))
    return v


def _splat(v, kind: str, sub: list, scope: Scope) -> Any:
    """``v[*].a.b[0]`` applies every step to each element; the legacy ``v.*.a[0]`` only the
    attributes (an index applies to the result). A single value counts as a one-element list
    and null as an empty one (Terraform's rule)."""
    if isinstance(v, Unknown):
        return v
    each, after = sub, []
    if kind == "attr":
        n = next((i for i, s in enumerate(sub) if s[0] != "attr"), len(sub))
        each, after = sub[:n], sub[n:]
    keys = [step_value(s, scope) for s in each]
    u = unknown_in(*keys)
    if u is not None:
        return u
    items = [] if v is None else list(v) if isinstance(v, list) else [v]
    out = []
    for x in items:
        for k in keys:
            x = get(x, k)
        out.append(x)
    return apply_steps(out, after, scope)


def get(v: Any, key: Any) -> Any:
    """``v[key]`` / ``v.key`` with Terraform's rules."""
    if isinstance(v, Unknown):
        return v
    if isinstance(key, Unknown):
        return key
    if isinstance(v, LazyObject):
        return v.attr(str(key))
    if isinstance(v, dict):
        k = _to_str(key) if isinstance(key, (int, float)) and not isinstance(key, bool) else key
        if k not in v:
            raise TfError(f"key {_show(k)} not in the map" + (f" (keys: {', '.join(map(str, list(v)[:8]))})" if v else ""))
        return v[k]
    if isinstance(v, list):
        try:
            i = _number(key)
        except TfError:
            raise TfError(f"a list index must be a number, not {_show(key)}") from None
        if not isinstance(i, int) and not float(i).is_integer():
            raise TfError(f"index {key!r} is not a whole number")
        i = int(i)
        if not 0 <= i < len(v):
            raise TfError(f"index {i} out of range (length {len(v)})")
        return v[i]
    if v is None:
        raise TfError(f"cannot read {_show(key)} of null")
    raise TfError(f"cannot index {type(v).__name__} with {_show(key)}")


def _reference_address(address: str, steps: list, scope: Scope) -> tuple[str, list]:
    """``aws_x.name`` plus an instance index or splat, and the attribute read from it."""
    rest = list(steps)
    if rest and rest[0][0] == "index":
        key = step_value(rest[0], scope)
        if isinstance(key, Unknown):
            address += "[?]"
        else:
            address += f"[{json.dumps(key) if isinstance(key, str) else key}]"
        rest = rest[1:]
    elif rest and rest[0][0] == "splat":
        splat = "[*]" if rest[0][1] == "full" else ".*"
        sub = rest[0][2]
        attr = f".{sub[0][1]}" if sub and sub[0][0] == "attr" else ""
        return f"{address}{splat}{attr}", []
    if rest and rest[0][0] == "attr":
        address += f".{rest[0][1]}"
        rest = rest[1:]
    return address, rest


def _reference(root: str, steps: list, scope: Scope) -> Any:
    s, m = scope, scope.module
    if root in s.symbols:
        return apply_steps(s.symbols[root], steps, scope)
    need = steps[0][1] if steps and steps[0][0] == "attr" else None
    if root == "var":
        if need is None:
            raise TfError("`var` needs an attribute: var.NAME")
        return apply_steps(m.var(need, scope), steps[1:], scope)
    if root == "local":
        if need is None:
            raise TfError("`local` needs an attribute: local.NAME")
        return apply_steps(m.local(need, scope), steps[1:], scope)
    if root == "count":
        if need != "index":
            raise TfError("count has only count.index")
        v = s.count_index if s.count_index is not None else Unknown("count.index outside a counted block")
        return apply_steps(v, steps[1:], scope)
    if root == "each":
        if s.each is None:
            return Unknown("each.* outside a for_each block")
        if need not in ("key", "value"):
            raise TfError("each has only each.key and each.value")
        return apply_steps(s.each[0] if need == "key" else s.each[1], steps[1:], scope)
    if root == "module":
        if need is None:
            raise TfError("`module` needs a name: module.NAME")
        v, rest = m.module_output(need, steps[1:], scope)
        return apply_steps(v, rest, scope)
    if root == "data":
        if len(steps) < 2 or steps[0][0] != "attr" or steps[1][0] != "attr":
            raise TfError("a data source reference is data.TYPE.NAME")
        v, rest = m.data(steps[0][1], steps[1][1], steps[2:], scope)
        return apply_steps(v, rest, scope)
    if root == "path":
        return apply_steps(m.path(need or ""), steps[1:], scope)
    if root == "terraform":
        return apply_steps("default" if need == "workspace" else Unknown(f"terraform.{need}"), steps[1:], scope)
    if root == "self":
        return Unknown("self.* (an attribute of the resource itself, known after apply)")
    if need is not None and not root[:1].isupper():
        v, rest = m.resource(root, need, steps[1:], scope)
        return apply_steps(v, rest, scope)
    raise TfError(f"unknown name {root!r}")


# -- for expressions ------------------------------------------------------------------------
def iterate(coll: Any) -> tuple[list[tuple[Any, Any]] | None, Unknown | None]:
    """The (key, value) pairs a ``for`` expression visits, as Terraform orders them: a list by
    index, a map or object by key in lexical order, a set by element (the key is the element)."""
    if isinstance(coll, Unknown):
        return None, coll
    if isinstance(coll, Mapping):
        return [(k, coll[k]) for k in sorted(coll)], None
    if isinstance(coll, TfSet):
        return [(x, x) for x in coll], None
    if isinstance(coll, list):
        return list(enumerate(coll)), None
    if coll is None:
        return None, Unknown("a for expression over null (Terraform rejects it)")
    return None, Unknown(f"cannot iterate over {_show(coll)} in a for expression (not a list, set or map)")


def _for_intro(t) -> tuple[list[str], Any]:
    names = [str(c.children[0]) for c in kids(t) if c.data == "identifier"]
    coll = [c for c in kids(t) if c.data != "identifier"][0]
    return names, coll


def _for_expr(t, scope):
    is_obj = t.data == "for_object_expr"
    parts = kids(t)
    names, coll_node = _for_intro(parts[0])
    cond_node = parts[-1] if parts[-1].data == "for_cond" else None
    body = parts[1:-1] if cond_node is not None else parts[1:]
    group = any(isinstance(c, Token) and str(c) == "..." for c in t.children)
    pairs, why = iterate(ev(coll_node, scope))
    if pairs is None:
        return why
    out_list, out_obj = [], {}
    for key, value in pairs:
        sc = scope.with_symbols(dict(zip(names, (key, value) if len(names) == 2 else (value,), strict=True)))
        if cond_node is not None:
            cond = ev(kids(cond_node)[0], sc)
            if isinstance(cond, Unknown):
                return cond
            if cond is None or not isinstance(cond, bool) and cond not in ("true", "false"):
                return Unknown(f"the for expression's condition is {_to_str(cond)!r}, not true or false")
            if not _truth(cond):
                continue
        if not is_obj:
            out_list.append(ev(body[0], sc))
            continue
        k = ev(body[0], sc)
        if isinstance(k, Unknown):
            return k
        if k is None or isinstance(k, (list, dict)):
            return Unknown(f"a for expression's key must be a string, not {_show(k)}")
        k = _to_str(k)
        v = ev(body[1], sc)
        if group:
            out_obj.setdefault(k, []).append(v)
        elif k in out_obj:
            raise ExpressionError(
                f"duplicate key {json.dumps(k)} in a for expression (Terraform rejects it); "
                "add `...` after the value to group the values of one key into a list"
            )
        else:
            out_obj[k] = v
    scope.refs[:] = list(dict.fromkeys(scope.refs))  # the body was read once per element
    return {k: out_obj[k] for k in sorted(out_obj)} if is_obj else out_list


# -- function calls -------------------------------------------------------------------------
def _call(t, scope):
    parts = kids(t)
    names = [str(c.children[0]) for c in parts if c.data == "identifier"]
    args_node = next((c for c in parts if c.data == "arguments"), None)
    arg_nodes = kids(args_node) if args_node is not None else []
    expand = args_node is not None and any(isinstance(c, Token) and str(c) == "..." for c in args_node.children)
    if len(names) > 1:
        return Unknown(f"provider function {'::'.join(names)}() is not evaluated")
    from costplan.iac.hcl_functions import FUNCTIONS, call_function

    fname = names[0]
    if fname in ("try", "can"):
        return _try_can(fname, arg_nodes, scope)
    extra = getattr(scope.module, "functions", None)
    if extra and fname in extra:
        return extra[fname](*[ev(a, scope) for a in arg_nodes])
    if fname not in FUNCTIONS:
        return Unknown(f"function {fname}() is not evaluated")
    args = [ev(a, scope) for a in arg_nodes]
    if expand and args:
        last = args.pop()
        if isinstance(last, Unknown):
            return last
        if not isinstance(last, list):
            raise TfError(f"`...` expands a list or set, not {_show(last)}")
        args.extend(last)
    return call_function(fname, args, scope)


def _try_can(fname: str, arg_nodes: list, scope: Scope) -> Any:
    """``try(a, b, ...)``: the first argument that evaluates without an error (an unknown
    one makes the result unknown, as in Terraform); ``can(x)``: whether ``x`` evaluates."""
    last: Exception | None = None
    for node in arg_nodes:
        try:
            v = ev(node, scope)
        except (TfError, ExpressionError) as exc:
            last = exc
            if fname == "can":
                return False
            continue
        if fname == "can":
            return v if isinstance(v, Unknown) else True
        return v
    if fname == "can":
        raise TfError("can() takes one argument")
    if isinstance(last, ExpressionError):
        raise last
    raise TfError(f"no argument of try() could be evaluated ({last})" if last else "try() needs an argument")


# -- strings and templates ------------------------------------------------------------------
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(s: str) -> str:
    def rep(m):
        e = m.group(1)
        if e[0] in "uU":
            return chr(int(e[1:], 16))
        return _ESCAPES.get(e, e)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", rep, s)


def _string(t, scope):
    parts: list[tuple] = []
    for p in (c for c in t.children if isinstance(c, Tree) and c.data == "string_part"):
        inner = p.children[0]
        if isinstance(inner, Token):
            text = str(inner)
            if inner.type == "ESCAPED_INTERPOLATION":
                parts.append(("lit", text[1:]))
            elif inner.type == "ESCAPED_DIRECTIVE":
                parts.append(("lit", text[1:]))
            else:
                parts.append(("lit", _unescape(text)))
        else:
            parts.append(_directive_part(inner))
    return _render(parts, scope)


def _strips(t) -> tuple[bool, bool]:
    toks = [c for c in t.children if isinstance(c, Token)]
    left = len(toks) > 1 and toks[1].type == "STRIP_MARKER"
    right = len(toks) > 1 and toks[-2].type == "STRIP_MARKER"
    return left, right


def _directive_part(t) -> tuple:
    if t.data == "interpolation":
        return ("interp", kids(t)[0], False, False)
    ls, rs = _strips(t)
    if t.data == "template_if_start":
        return ("if", kids(t)[0], ls, rs)
    if t.data == "template_for_start":
        names = [str(c.children[0]) for c in kids(t) if c.data == "identifier"]
        coll = [c for c in kids(t) if c.data != "identifier"][0]
        return ("for", names, coll, ls, rs)
    return ({"template_else": "else", "template_endif": "endif", "template_endfor": "endfor"}[t.data], ls, rs)


def _render(parts: list[tuple], scope: Scope) -> Any:
    """A template's value: one interpolation alone keeps its type; otherwise a string."""
    parts = _apply_strip(parts)
    if len(parts) == 1 and parts[0][0] == "interp":
        return ev(parts[0][1], scope)
    tree, i = _nest(parts, 0, ())
    return _render_nodes(tree, scope)


def _apply_strip(parts: list[tuple]) -> list[tuple]:
    out = [list(p) for p in parts]
    for i, p in enumerate(out):
        if p[0] in ("lit", "interp"):
            continue
        ls, rs = p[-2], p[-1]
        if ls and i > 0 and out[i - 1][0] == "lit":
            out[i - 1][1] = out[i - 1][1].rstrip()
        if rs and i + 1 < len(out) and out[i + 1][0] == "lit":
            out[i + 1][1] = out[i + 1][1].lstrip()
    return [tuple(p) for p in out]


def _nest(parts: list[tuple], i: int, until: tuple) -> tuple[list, int]:
    nodes: list = []
    while i < len(parts):
        p = parts[i]
        if p[0] in until:
            return nodes, i
        if p[0] == "if":
            then, i = _nest(parts, i + 1, ("else", "endif"))
            other: list = []
            if i < len(parts) and parts[i][0] == "else":
                other, i = _nest(parts, i + 1, ("endif",))
            if i >= len(parts):
                raise TfError("%{ if } without %{ endif }")
            nodes.append(("if", p[1], then, other))
        elif p[0] == "for":
            body, i = _nest(parts, i + 1, ("endfor",))
            if i >= len(parts):
                raise TfError("%{ for } without %{ endfor }")
            nodes.append(("for", p[1], p[2], body))
        elif p[0] in ("else", "endif", "endfor"):
            raise TfError(f"%{{ {p[0]} }} without its opening directive")
        else:
            nodes.append(p)
        i += 1
    if until:
        raise TfError(f"template directive not closed (expected {' or '.join(until)})")
    return nodes, i


def _render_nodes(nodes: list, scope: Scope) -> Any:
    out = []
    for n in nodes:
        if n[0] == "lit":
            out.append(n[1])
        elif n[0] == "interp":
            v = ev(n[1], scope)
            if isinstance(v, Unknown):
                return v
            out.append(template_str(v))
        elif n[0] == "if":
            c = ev(n[1], scope)
            if isinstance(c, Unknown):
                return c
            v = _render_nodes(n[2] if _truth(c) else n[3], scope)
            if isinstance(v, Unknown):
                return v
            out.append(v)
        else:  # for
            pairs, why = iterate(ev(n[2], scope))
            if pairs is None:
                return why
            names = n[1]
            for key, value in pairs:
                sc = scope.with_symbols(dict(zip(names, (key, value) if len(names) == 2 else (value,), strict=True)))
                v = _render_nodes(n[3], sc)
                if isinstance(v, Unknown):
                    return v
                out.append(v)
    return "".join(out)


def template_str(v: Any) -> str:
    if v is None:
        raise TfError("a null value cannot be used in a string template")
    if isinstance(v, (list, dict)):
        raise TfError(f"cannot use {type(v).__name__} {_show(v)[:40]} in a string template")
    return _to_str(v)


def _to_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _scan_template(text: str) -> list[tuple]:
    """The parts of template text written outside a quoted string (heredocs, template files):
    literal text, ``${ expression }`` and ``%{ directive }``."""
    parts: list[tuple] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):
            buf.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith(("${", "%{"), i):
            end = _matching_brace(text, i + 1)
            if end < 0:
                raise TfError(f"unclosed {text[i:i + 2]} in template")
            if buf:
                parts.append(("lit", "".join(buf)))
                buf = []
            inner = text[i + 2 : end]
            if text[i] == "$":
                parts.append(("interp", parse_expression(inner.strip().strip("~").strip()).tree, False, False))
            else:
                parts.append(_scan_directive(inner))
            i = end + 1
            continue
        buf.append(text[i])
        i += 1
    if buf:
        parts.append(("lit", "".join(buf)))
    return parts


def _scan_directive(inner: str) -> tuple:
    ls, rs = inner.startswith("~"), inner.endswith("~")
    body = inner.strip("~").strip()
    m = re.match(r"if\s+(.*)$", body, re.S)
    if m:
        return ("if", parse_expression(m.group(1)).tree, ls, rs)
    m = re.match(r"for\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s+(.*)$", body, re.S)
    if m:
        names = [m.group(1)] + ([m.group(2)] if m.group(2) else [])
        return ("for", names, parse_expression(m.group(3)).tree, ls, rs)
    if body in ("else", "endif", "endfor"):
        return (body, ls, rs)
    raise TfError(f"unknown template directive %{{{inner}}}")


def _matching_brace(s: str, i: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``i`` (skips quoted strings)."""
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


def heredoc_body(token_text: str) -> str:
    """The text of a heredoc token (``<<EOT`` / ``<<-EOT`` ... ``EOT``), dedented for ``<<-``."""
    first, _, rest = token_text.partition("\n")
    trim = first.startswith("<<-")
    lines = rest.rstrip("\n").split("\n")
    body = lines[:-1]  # the closing marker
    if trim:
        widths = [len(x) - len(x.lstrip(" \t")) for x in body if x.strip()]
        cut = min(widths) if widths else 0
        body = [x[cut:] for x in body]
    return "\n".join(body) + ("\n" if body else "")


def _heredoc(t, scope):
    return _render(_scan_template(heredoc_body(str(t.children[0]))), scope)


def render_template_text(text: str, scope: Scope) -> Any:
    """Render template text (a ``templatefile`` file) in ``scope``."""
    return _render(_scan_template(text), scope)


def _template_string(t, scope):
    raw = str(t.children[0])
    return _unescape(raw[2:-2])


_NODES: dict[str, Callable] = {
    "expr_term": lambda t, s: _traversal(t, s) if len(kids(t)) == 1 and kids(t)[0].data in _TRAVERSALS else _expr_term(t, s),
    "literal_value": _literal,
    "int_lit": _int,
    "float_lit": _float,
    "string": _string,
    "tuple": _tuple,
    "object": _object,
    "conditional": _conditional,
    "unary_op": _unary,
    "binary_op": _binary_op,
    "function_call": _call,
    "get_attr_expr_term": _traversal,
    "index_expr_term": _traversal,
    "full_splat_expr_term": _traversal,
    "attr_splat_expr_term": _traversal,
    "for_tuple_expr": _for_expr,
    "for_object_expr": _for_expr,
    "heredoc_template": _heredoc,
    "heredoc_template_trim": _heredoc,
    "template_string": _template_string,
    "identifier": lambda t, s: _reference(str(t.children[0]), [], s),
}
