"""Terraform's built-in functions, as the expression evaluator (:mod:`costplan.iac.hcl_eval`)
calls them, grouped as Terraform's documentation groups them (numeric, string, collection,
encoding, filesystem, date and time, hash, IP network, type conversion).

Each entry is a :class:`Fn`: the implementation, and whether it accepts values that are
partly unknown (``length([x, unknown])`` is known; ``upper(unknown)`` is not). An argument
that is itself unknown makes the result unknown. Functions whose value changes on every run
(``timestamp``, ``uuid``, ``bcrypt``) are unknown, as at plan time. Errors Terraform raises
(``one()`` of two elements, ``index()`` of a missing value) are :class:`TfError`, so
``try()`` and ``can()`` catch them.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import ipaddress
import json
import math
import re
import urllib.parse
import uuid as _uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costplan.iac.hcl_eval import (
    LazyObject,
    Scope,
    TfError,
    TfSet,
    Unknown,
    _equal,
    _number,
    _show,
    _to_str,
    deep_unknown,
    render_template_text,
    unknown_in,
)

MAX_ELEMENTS = 100_000
"""Largest collection a function builds (``range``, ``setproduct``) [elements]."""

MAX_FILE_BYTES = 5 * 2**20
"""Largest file ``file()`` / ``templatefile()`` read [bytes]."""


@dataclass(frozen=True)
class Fn:
    impl: Callable
    partial: bool = False
    """Accepts arguments with unknown parts inside (the result keeps them)."""
    scope: bool = False
    """Takes the calling scope as its first argument (paths, templates)."""


def call_function(name: str, args: list, scope: Scope) -> Any:
    fn = FUNCTIONS[name]
    u = unknown_in(*args)
    if u is not None:
        return u
    if not fn.partial:
        for a in args:
            u = deep_unknown(_plain(a))
            if u is not None:
                return u
        args = [_plain(a) for a in args]
    try:
        return fn.impl(scope, *args) if fn.scope else fn.impl(*args)
    except TfError as exc:
        raise TfError(f"{name}(): {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, AttributeError, OverflowError) as exc:
        raise TfError(f"{name}(): {exc}") from None


def _plain(v: Any) -> Any:
    """A lazy object (module outputs, resource attributes) as a plain map."""
    if isinstance(v, LazyObject):
        return {k: _plain(v.attr(k)) for k in v}
    if isinstance(v, TfSet):
        return TfSet(_plain(x) for x in v)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _list(v: Any, what: str = "a list") -> list:
    if isinstance(v, list):
        return v
    raise TfError(f"expected {what}, got {_show(v)}")


def _map(v: Any) -> Mapping:
    if isinstance(v, Mapping):
        return v
    raise TfError(f"expected a map or object, got {_show(v)}")


def _str(v: Any) -> str:
    if isinstance(v, (list, dict)) or v is None:
        raise TfError(f"expected a string, got {_show(v)}")
    return _to_str(v)


def _int(v: Any) -> int:
    n = _number(v)
    if isinstance(n, float) and not n.is_integer():
        raise TfError(f"expected a whole number, got {n}")
    return int(n)


def _num_out(x: float) -> int | float:
    return int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**63 else x


def _cap(n: int, what: str) -> None:
    if n > MAX_ELEMENTS:
        raise TfError(f"{what} would have {n:,} elements (more than {MAX_ELEMENTS:,})")


# -- numeric --------------------------------------------------------------------------------
def _max(*xs):
    if not xs:
        raise TfError("needs at least one number")
    return max(_number(x) for x in xs)


def _min(*xs):
    if not xs:
        raise TfError("needs at least one number")
    return min(_number(x) for x in xs)


def _parseint(s, base):
    return int(_str(s), _int(base))


def _log(x, base):
    return math.log(_number(x), _number(base))


def _pow(x, y):
    return _num_out(float(_number(x)) ** _number(y))


def _signum(x):
    n = _number(x)
    return (n > 0) - (n < 0)


def _ceil(x):
    return math.ceil(_number(x))


def _floor(x):
    return math.floor(_number(x))


# -- string ---------------------------------------------------------------------------------
_VERB = re.compile(r"%(?P<flags>[-+# 0]*)(?P<width>\d+)?(?:\.(?P<prec>\d+))?(?P<verb>[%vsdqftxXobeEgG])")


def _format(fmt, *args):
    fmt = _str(fmt)
    it = iter(args)

    def rep(m):
        verb = m.group("verb")
        if verb == "%":
            return "%"
        try:
            v = next(it)
        except StopIteration:
            raise TfError(f"not enough arguments for {fmt!r}") from None
        flags, width, prec = m.group("flags"), m.group("width") or "", m.group("prec")
        spec = f"%{flags}{width}" + (f".{prec}" if prec is not None else "")
        if verb in ("v", "s"):
            text = json.dumps(v, separators=(",", ":")) if isinstance(v, (list, dict)) and verb == "v" else _str(v)
            return (spec + "s") % text
        if verb == "q":
            return (spec + "s") % json.dumps(_str(v))
        if verb == "t":
            if not isinstance(v, bool):
                raise TfError(f"%t needs a bool, got {_show(v)}")
            return (spec + "s") % ("true" if v else "false")
        if verb == "d":
            return (spec + "d") % _int(v)
        if verb == "b":
            return (spec + "s") % format(_int(v), "b")
        return (spec + verb) % _number(v)

    return _VERB.sub(rep, fmt)


def _formatlist(fmt, *args):
    lists = [a for a in args if isinstance(a, list)]
    n = len(lists[0]) if lists else 1
    if any(len(x) != n for x in lists):
        raise TfError("the list arguments must have the same length")
    return [_format(fmt, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


def _indent(n, s):
    pad = " " * _int(n)
    return _str(s).replace("\n", "\n" + pad)


def _join(sep, *lists):
    items = [x for lst in lists for x in _list(lst)]
    return _str(sep).join(_str(x) for x in items)


def _go_regex(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise TfError(f"invalid regular expression {pattern!r}: {exc}") from None


def _match_value(m: re.Match) -> Any:
    if m.re.groupindex:
        return {k: m.group(k) for k in m.re.groupindex}
    if m.re.groups:
        return list(m.groups())
    return m.group(0)


def _regex(pattern, s):
    m = _go_regex(_str(pattern)).search(_str(s))
    if m is None:
        raise TfError(f"pattern {pattern!r} did not match {s!r}")
    return _match_value(m)


def _regexall(pattern, s):
    return [_match_value(m) for m in _go_regex(_str(pattern)).finditer(_str(s))]


def _replace(s, sub, rep):
    s, sub, rep = _str(s), _str(sub), _str(rep)
    if len(sub) > 1 and sub.startswith("/") and sub.endswith("/"):
        py = re.sub(r"\$\{(\d+)\}|\$(\d+)", lambda m: "\\" + (m.group(1) or m.group(2)), rep)
        return _go_regex(sub[1:-1]).sub(py, s)
    return s.replace(sub, rep)


def _split(sep, s):
    s = _str(s)
    return s.split(_str(sep)) if s != "" else [""]


def _substr(s, offset, length):
    s, offset, length = _str(s), _int(offset), _int(length)
    if offset < 0:
        offset = max(0, len(s) + offset)
    if offset > len(s):
        raise TfError("offset beyond the end of the string")
    return s[offset:] if length < 0 else s[offset : offset + length]


def _title(s):
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), _str(s))


def _trim(s, cutset):
    return _str(s).strip(_str(cutset))


def _chomp(s):
    return re.sub(r"(\r?\n)+$", "", _str(s))


def _startswith(s, prefix):
    return _str(s).startswith(_str(prefix))


def _endswith(s, suffix):
    return _str(s).endswith(_str(suffix))


def _strcontains(s, sub):
    return _str(sub) in _str(s)


# -- collection -----------------------------------------------------------------------------
def _length(v):
    if isinstance(v, str):
        return len(v)
    if isinstance(v, (list, Mapping)):
        return len(v)
    raise TfError(f"length() of {_show(v)}")


def _alltrue(lst):
    return all(_bool(x) for x in _list(lst))


def _anytrue(lst):
    return any(_bool(x) for x in _list(lst))


def _bool(v):
    if isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise TfError(f"{_show(v)} is not a bool")


def _chunklist(lst, size):
    lst, n = _list(lst), _int(size)
    if n == 0:
        return [lst]
    return [lst[i : i + n] for i in range(0, len(lst), n)]


def _coalesce(*vals):
    for v in vals:
        if isinstance(v, Unknown):
            return v
        if v is not None and v != "":
            return v
    raise TfError("no non-null, non-empty argument")


def _coalescelist(*lists):
    for v in lists:
        if isinstance(v, Unknown):
            return v
        if _list(v):
            return v
    return []


def _compact(lst):
    return [x for x in _list(lst) if x is not None and x != ""]


def _concat(*lists):
    out = []
    for lst in lists:
        out.extend(_list(lst))
    return out


def _contains(lst, v):
    return any(_equal(x, v) for x in _list(lst, "a list or set"))


def _distinct(lst):
    out = []
    for x in _list(lst):
        if not any(_equal(x, y) for y in out):
            out.append(x)
    return out


def _element(lst, i):
    lst, i = _list(lst), _int(i)
    if not lst:
        raise TfError("element() of an empty list")
    if i < 0:
        raise TfError("element() index must not be negative")
    return lst[i % len(lst)]


def _flatten(lst):
    out = []
    for x in _list(lst):
        if isinstance(x, Unknown):
            return x
        if isinstance(x, list):
            inner = _flatten(x)
            if isinstance(inner, Unknown):
                return inner
            out.extend(inner)
        else:
            out.append(x)
    return out


def _index(lst, v):
    for i, x in enumerate(_list(lst)):
        if _equal(x, v):
            return i
    raise TfError(f"{_show(v)} is not in the list")


def _keys(m):
    return sorted(_map(m))


def _lookup(m, k, *default):
    m = _map(m)
    k = _str(k)
    if k in m:
        return m[k] if not isinstance(m, LazyObject) else m.attr(k)
    if default:
        return default[0]
    raise TfError(f"key {k!r} not in the map and no default")


def _matchkeys(values, keys, searchset):
    values, keys, search = _list(values), _list(keys), _list(searchset)
    if len(values) != len(keys):
        raise TfError("values and keys must have the same length")
    return [v for v, k in zip(values, keys, strict=True) if any(_equal(k, s) for s in search)]


def _merge(*maps):
    out: dict = {}
    for m in maps:
        if m is None:
            continue
        m = _map(m)
        for k in m:
            out[k] = m[k]
    return out


def _one(v):
    v = _list(v, "a list or set")
    if len(v) > 1:
        raise TfError(f"one() of {len(v)} elements")
    return v[0] if v else None


def _range(*args):
    nums = [_number(a) for a in args]
    if len(nums) == 1:
        start, limit, step = 0, nums[0], 1
    elif len(nums) == 2:
        start, limit, step = nums[0], nums[1], 1
    elif len(nums) == 3:
        start, limit, step = nums
    else:
        raise TfError("range() takes one to three numbers")
    if step == 0:
        raise TfError("range() step must not be 0")
    n = max(0, math.ceil((limit - start) / step))
    _cap(n, "range()")
    return [_num_out(start + i * step) for i in range(n)]


def _reverse(lst):
    return list(reversed(_list(lst)))


def _set(v) -> TfSet:
    return _toset(v)


def _setintersection(first, *rest):
    out = [x for x in _set(first) if all(any(_equal(x, y) for y in _set(r)) for r in rest)]
    return TfSet(out)


def _setsubtract(a, b):
    bs = _set(b)
    return TfSet(x for x in _set(a) if not any(_equal(x, y) for y in bs))


def _setunion(*sets):
    return _toset([x for s in sets for x in _set(s)])


def _setproduct(*lists):
    n = 1
    for lst in lists:
        n *= len(_list(lst, "a list or set"))
    _cap(n, "setproduct()")
    out: list = [[]]
    for lst in lists:
        out = [prev + [x] for prev in out for x in lst]
    return out if lists else []


def _slice(lst, a, b):
    lst, a, b = _list(lst), _int(a), _int(b)
    if not 0 <= a <= b <= len(lst):
        raise TfError(f"slice({a}, {b}) out of range for a list of {len(lst)}")
    return lst[a:b]


def _sort(lst):
    return sorted(_str(x) for x in _list(lst))


def _sum(lst):
    lst = _list(lst, "a list or set of numbers")
    if not lst:
        raise TfError("sum() of an empty list")
    total = sum(_number(x) for x in lst)
    return _num_out(total) if isinstance(total, float) else total


def _transpose(m):
    out: dict[str, list] = {}
    for k in sorted(_map(m)):
        for v in _list(m[k]):
            out.setdefault(_str(v), []).append(k)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _values(m):
    m = _map(m)
    return [m[k] for k in sorted(m)]


def _zipmap(keys, values):
    keys, values = _list(keys), _list(values)
    if len(keys) != len(values):
        raise TfError("keys and values must have the same length")
    return {_str(k): v for k, v in zip(keys, values, strict=True)}


# -- encoding -------------------------------------------------------------------------------
def jsonencode(v):
    def clean(x):
        if isinstance(x, Mapping):
            return {str(k): clean(x[k]) for k in sorted(x)}
        if isinstance(x, list):
            return [clean(y) for y in x]
        return x

    return json.dumps(clean(v), separators=(",", ":"), ensure_ascii=False)


def _jsondecode(s):
    try:
        return json.loads(_str(s))
    except json.JSONDecodeError as exc:
        raise TfError(f"not valid JSON: {exc.msg}") from None


def _yamldecode(s):
    import yaml

    try:
        return yaml.safe_load(_str(s))
    except yaml.YAMLError as exc:
        raise TfError(f"not valid YAML: {exc}") from None


def _yamlencode(v):
    import yaml

    return yaml.safe_dump(v, sort_keys=True, default_flow_style=False)


def _csvdecode(s):
    rows = list(csv.reader(io.StringIO(_str(s))))
    if not rows:
        return []
    head = rows[0]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


def _b64encode(s):
    return base64.b64encode(_str(s).encode()).decode()


def _b64decode(s):
    return base64.b64decode(_str(s)).decode()


def _urlencode(s):
    return urllib.parse.quote(_str(s), safe="")


# -- filesystem -----------------------------------------------------------------------------
def _path(scope: Scope, p) -> Path:
    p = Path(_str(p))
    if not p.is_absolute():
        root = scope.module.path("root") if scope.module is not None else None
        if isinstance(root, str):
            p = Path(root) / p
    return p


def _read(scope: Scope, p) -> str:
    path = _path(scope, p)
    if not path.is_file():
        raise TfError(f"no file {str(path)!r}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TfError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    return path.read_text(encoding="utf-8", errors="replace")


def _file(scope, p):
    return _read(scope, p)


def _fileexists(scope, p):
    return _path(scope, p).is_file()


def _fileset(scope, p, pattern):
    base = _path(scope, p)
    return TfSet(sorted(str(x.relative_to(base)) for x in base.glob(_str(pattern)) if x.is_file()))


def _templatefile(scope, p, variables):
    text = _read(scope, p)
    from costplan.iac.hcl_eval import Module

    inner = Scope(Module(paths=getattr(scope.module, "paths", {})), symbols=dict(_map(variables)))
    return render_template_text(text, inner)


def _filebase64(scope, p):
    path = _path(scope, p)
    if not path.is_file():
        raise TfError(f"no file {str(path)!r}")
    return base64.b64encode(path.read_bytes()).decode()


def _file_hash(algo: str, b64: bool = False):
    def fn(scope, p):
        path = _path(scope, p)
        if not path.is_file():
            raise TfError(f"no file {str(path)!r}")
        h = hashlib.new(algo, path.read_bytes())
        return base64.b64encode(h.digest()).decode() if b64 else h.hexdigest()

    return fn


def _basename(p):
    return Path(_str(p)).name


def _dirname(p):
    d = str(Path(_str(p)).parent)
    return d


def _abspath(p):
    return str(Path(_str(p)).absolute())


# -- hash and crypto ------------------------------------------------------------------------
def _hash(algo: str, b64: bool = False):
    def fn(s):
        h = hashlib.new(algo, _str(s).encode())
        return base64.b64encode(h.digest()).decode() if b64 else h.hexdigest()

    return fn


def _uuidv5(namespace, name):
    ns = {
        "dns": _uuid.NAMESPACE_DNS,
        "url": _uuid.NAMESPACE_URL,
        "oid": _uuid.NAMESPACE_OID,
        "x500": _uuid.NAMESPACE_X500,
    }.get(_str(namespace)) or _uuid.UUID(_str(namespace))
    return str(_uuid.uuid5(ns, _str(name)))


def _changes_every_run(name: str):
    def fn(*_a):
        return Unknown(f"{name}() changes on every run (known only at apply)")

    return fn


# -- IP network -----------------------------------------------------------------------------
def _network(prefix) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(_str(prefix), strict=False)
    except ValueError as exc:
        raise TfError(f"invalid CIDR {prefix!r}: {exc}") from None


def _cidrsubnet(prefix, newbits, netnum):
    net = _network(prefix)
    newbits, netnum = _int(newbits), _int(netnum)
    plen = net.prefixlen + newbits
    if plen > net.max_prefixlen:
        raise TfError(f"{newbits} new bits on {net} exceed {net.max_prefixlen} bits")
    if not 0 <= netnum < 2**newbits:
        raise TfError(f"network number {netnum} does not fit in {newbits} bits")
    base = int(net.network_address) + (netnum << (net.max_prefixlen - plen))
    return str(ipaddress.ip_network((base, plen)))


def _cidrhost(prefix, hostnum):
    net = _network(prefix)
    n = _int(hostnum)
    size = net.num_addresses
    if n < 0:
        n += size
    if not 0 <= n < size:
        raise TfError(f"host number {hostnum} is outside {net}")
    return str(ipaddress.ip_address(int(net.network_address) + n))


def _cidrnetmask(prefix):
    net = _network(prefix)
    if net.version != 4:
        raise TfError("cidrnetmask() is for IPv4")
    return str(net.netmask)


def _cidrsubnets(prefix, *newbits):
    net = _network(prefix)
    out, cursor = [], int(net.network_address)
    end = int(net.network_address) + net.num_addresses
    for nb in newbits:
        plen = net.prefixlen + _int(nb)
        size = 2 ** (net.max_prefixlen - plen)
        cursor = -(-cursor // size) * size  # align
        if cursor + size > end:
            raise TfError(f"not enough room in {net} for a /{plen}")
        out.append(str(ipaddress.ip_network((cursor, plen))))
        cursor += size
    return out


# -- type conversion ------------------------------------------------------------------------
def _toset(v):
    if isinstance(v, TfSet):
        return v
    items = []
    for x in _list(v, "a list or set"):
        if not any(_equal(x, y) for y in items):
            items.append(x)
    if all(isinstance(x, str) for x in items):
        items.sort()
    elif all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
        items.sort()
    return TfSet(items)


def _tolist(v):
    if isinstance(v, Mapping):
        raise TfError("tolist() of a map")
    return list(_list(v, "a list or set"))


def _tomap(v):
    return dict(_map(v))


def _tostring(v):
    if isinstance(v, (list, dict)):
        raise TfError(f"tostring() of {_show(v)}")
    return None if v is None else _to_str(v)


def _tonumber(v):
    return None if v is None else _number(v)


def _tobool(v):
    return None if v is None else _bool(v)


def _type(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, TfSet):
        return "set"
    if isinstance(v, list):
        return "tuple"
    if isinstance(v, Mapping):
        return "object"
    return "dynamic"


FUNCTIONS: dict[str, Fn] = {
    # numeric
    "abs": Fn(lambda x: abs(_number(x))),
    "ceil": Fn(_ceil),
    "floor": Fn(_floor),
    "log": Fn(_log),
    "max": Fn(_max),
    "min": Fn(_min),
    "parseint": Fn(_parseint),
    "pow": Fn(_pow),
    "signum": Fn(_signum),
    # string
    "chomp": Fn(_chomp),
    "endswith": Fn(_endswith),
    "format": Fn(_format),
    "formatlist": Fn(_formatlist),
    "indent": Fn(_indent),
    "join": Fn(_join),
    "lower": Fn(lambda s: _str(s).lower()),
    "regex": Fn(_regex),
    "regexall": Fn(_regexall),
    "replace": Fn(_replace),
    "split": Fn(_split),
    "startswith": Fn(_startswith),
    "strcontains": Fn(_strcontains),
    "strrev": Fn(lambda s: _str(s)[::-1]),
    "substr": Fn(_substr),
    "title": Fn(_title),
    "trim": Fn(_trim),
    "trimprefix": Fn(lambda s, p: _str(s).removeprefix(_str(p))),
    "trimsuffix": Fn(lambda s, p: _str(s).removesuffix(_str(p))),
    "trimspace": Fn(lambda s: _str(s).strip()),
    "upper": Fn(lambda s: _str(s).upper()),
    # collection
    "alltrue": Fn(_alltrue),
    "anytrue": Fn(_anytrue),
    "chunklist": Fn(_chunklist, partial=True),
    "coalesce": Fn(_coalesce, partial=True),
    "coalescelist": Fn(_coalescelist, partial=True),
    "compact": Fn(_compact),
    "concat": Fn(_concat, partial=True),
    "contains": Fn(_contains),
    "distinct": Fn(_distinct),
    "element": Fn(_element, partial=True),
    "flatten": Fn(_flatten, partial=True),
    "index": Fn(_index),
    "keys": Fn(_keys, partial=True),
    "length": Fn(_length, partial=True),
    "lookup": Fn(_lookup, partial=True),
    "matchkeys": Fn(_matchkeys),
    "merge": Fn(_merge, partial=True),
    "one": Fn(_one, partial=True),
    "range": Fn(_range),
    "reverse": Fn(_reverse, partial=True),
    "setintersection": Fn(_setintersection),
    "setproduct": Fn(_setproduct, partial=True),
    "setsubtract": Fn(_setsubtract),
    "setunion": Fn(_setunion),
    "slice": Fn(_slice, partial=True),
    "sort": Fn(_sort),
    "sum": Fn(_sum),
    "transpose": Fn(_transpose),
    "values": Fn(_values, partial=True),
    "zipmap": Fn(_zipmap, partial=True),
    # encoding
    "base64decode": Fn(_b64decode),
    "base64encode": Fn(_b64encode),
    "csvdecode": Fn(_csvdecode),
    "jsondecode": Fn(_jsondecode),
    "jsonencode": Fn(jsonencode),
    "urlencode": Fn(_urlencode),
    "yamldecode": Fn(_yamldecode),
    "yamlencode": Fn(_yamlencode),
    # filesystem
    "abspath": Fn(_abspath),
    "basename": Fn(_basename),
    "dirname": Fn(_dirname),
    "file": Fn(_file, scope=True),
    "filebase64": Fn(_filebase64, scope=True),
    "fileexists": Fn(_fileexists, scope=True),
    "fileset": Fn(_fileset, scope=True),
    "templatefile": Fn(_templatefile, scope=True),
    "filemd5": Fn(_file_hash("md5"), scope=True),
    "filesha1": Fn(_file_hash("sha1"), scope=True),
    "filesha256": Fn(_file_hash("sha256"), scope=True),
    "filebase64sha256": Fn(_file_hash("sha256", True), scope=True),
    # date and time
    "timestamp": Fn(_changes_every_run("timestamp")),
    "plantimestamp": Fn(_changes_every_run("plantimestamp")),
    # hash and crypto
    "md5": Fn(_hash("md5")),
    "sha1": Fn(_hash("sha1")),
    "sha256": Fn(_hash("sha256")),
    "sha512": Fn(_hash("sha512")),
    "base64sha256": Fn(_hash("sha256", True)),
    "base64sha512": Fn(_hash("sha512", True)),
    "uuid": Fn(_changes_every_run("uuid")),
    "bcrypt": Fn(_changes_every_run("bcrypt")),
    "uuidv5": Fn(_uuidv5),
    # IP network
    "cidrhost": Fn(_cidrhost),
    "cidrnetmask": Fn(_cidrnetmask),
    "cidrsubnet": Fn(_cidrsubnet),
    "cidrsubnets": Fn(_cidrsubnets),
    # type conversion (try and can are evaluated by the evaluator: they catch errors)
    "tobool": Fn(_tobool),
    "tolist": Fn(_tolist, partial=True),
    "tomap": Fn(_tomap, partial=True),
    "tonumber": Fn(_tonumber),
    "toset": Fn(_toset),
    "tostring": Fn(_tostring),
    "type": Fn(_type, partial=True),
    "sensitive": Fn(lambda v: v, partial=True),
    "nonsensitive": Fn(lambda v: v, partial=True),
    "issensitive": Fn(lambda v: False, partial=True),
    "ephemeralasnull": Fn(lambda v: v, partial=True),
}
"""Function name -> :class:`Fn`. ``try`` and ``can`` are evaluated by the evaluator."""
