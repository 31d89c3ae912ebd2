"""What a ``terragrunt.hcl`` adds to the Terraform it wraps: the variable values it passes
(``inputs``), the files it generates (``generate`` blocks, typically the ``provider "aws"``
block that holds the region) and where the code is (``terraform { source = ... }``).

Read: ``locals``, ``include`` blocks (the parent's ``inputs`` are merged under the child's,
its ``generate`` blocks and ``terraform.source`` are used when the child has none; ``expose``
makes ``include.NAME.locals`` visible), and the functions a region usually comes through:
``find_in_parent_folders``, ``read_terragrunt_config``, ``get_terragrunt_dir``,
``get_parent_terragrunt_dir``, ``path_relative_to_include``, ``get_env`` (its default: the
environment is not read). ``dependency.NAME.outputs`` are unknown (another stack's state).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costplan.errors import InputError, Problem
from costplan.iac.hcl_eval import Expr, Module, Scope, TfError, Unknown, evaluate, parse_expression

MAX_INCLUDE_DEPTH = 10


@dataclass
class Terragrunt:
    file: Path
    inputs: dict[str, Any] = field(default_factory=dict)
    generated: list[tuple[str, str]] = field(default_factory=list)
    """(file name, text) of the ``.tf`` files its ``generate`` blocks write."""
    code_dir: Path | None = None
    """The Terraform code's folder (``terraform.source`` on disk), else the file's folder."""
    registry_source: str | None = None
    """``terraform.source`` when it is a registry or git module that is not on disk."""
    unresolved: list[str] = field(default_factory=list)

    def registry_block(self):
        from costplan.iac.terraform_hcl import Block, Body

        src = self.registry_source or ""
        version = re.search(r"[?&](?:version|ref)=v?([^&]+)", src)
        attrs = {"source": parse_expression(json.dumps(src.split("?")[0]))}
        if version:
            attrs["version"] = parse_expression(json.dumps(version.group(1)))
        return Block("module", [self.file.parent.name], Body(attrs=attrs), str(self.file), None)


class _TgModule(Module):
    """Evaluation context of one terragrunt file, with terragrunt's functions."""

    def __init__(self, file: Path, child_dir: Path, locals_: dict, includes: dict):
        super().__init__(locals=locals_)
        self.file, self.child_dir, self.includes = file, child_dir, includes
        self.functions = {
            "find_in_parent_folders": self._find_in_parent_folders,
            "read_terragrunt_config": self._read_terragrunt_config,
            "get_terragrunt_dir": lambda: str(self.child_dir),
            "get_parent_terragrunt_dir": lambda *a: str(self.file.parent),
            "path_relative_to_include": lambda *a: _relative(self.child_dir, self.file.parent),
            "path_relative_from_include": lambda *a: _relative(self.file.parent, self.child_dir),
            "get_env": lambda name, default=None: default if default is not None else Unknown(f"get_env({name!r})"),
            "get_aws_account_id": lambda: Unknown("get_aws_account_id()"),
            "get_aws_caller_identity_arn": lambda: Unknown("get_aws_caller_identity_arn()"),
            "get_terraform_command": lambda: "plan",
        }

    def _find_in_parent_folders(self, name: Any = None, fallback: Any = None) -> Any:
        names = [name] if isinstance(name, str) else ["root.hcl", "terragrunt.hcl"]
        d = self.child_dir.parent
        while True:
            for n in names:
                if (d / n).is_file():
                    return str(d / n)
            if d.parent == d:
                break
            d = d.parent
        if fallback is not None:
            return fallback
        raise TfError(f"find_in_parent_folders: no {' or '.join(names)} above {self.child_dir}")

    def _read_terragrunt_config(self, path: Any, default: Any = None) -> Any:
        p = Path(str(path))
        if not p.is_absolute():
            p = self.child_dir / p
        if not p.is_file():
            if default is not None:
                return default
            raise TfError(f"read_terragrunt_config: no file {p}")
        body, _mod = _parse(p, self.child_dir, depth=1)
        return {k: v for k, v in body.items() if k in ("locals", "inputs")}

    def data(self, dtype, name, steps, scope):
        return Unknown(f"data.{dtype}.{name}"), []

    def resource(self, rtype, name, steps, scope):
        if rtype == "dependency":
            return Unknown(f"dependency.{name} outputs (another stack's state)"), []
        if rtype == "include":
            inc = self.includes.get(name)
            if inc is None:
                raise TfError(f"no exposed include {name!r}")
            return inc, steps
        if rtype == "local":
            return self.local(name, scope), steps
        return Unknown(f"{rtype}.{name}"), []


def _relative(a: Path, b: Path) -> str:
    try:
        return str(a.resolve().relative_to(b.resolve()))
    except ValueError:
        return str(a)


def _parse(path: Path, child_dir: Path, depth: int = 0) -> tuple[dict, _TgModule]:
    """The evaluated top-level values of a terragrunt file (locals, inputs, include, generate,
    terraform)."""
    from costplan.iac.terraform_hcl import body_of, parse_file

    if depth > MAX_INCLUDE_DEPTH:
        raise InputError(Problem(f"more than {MAX_INCLUDE_DEPTH} levels of include", file=str(path)))
    tree, text = parse_file(path)
    body = body_of(tree, text, str(path))
    locals_: dict[str, Expr] = {}
    for b in body.blocks:
        if b.type == "locals":
            locals_.update(b.body.attrs)
    mod = _TgModule(path, child_dir, locals_, {})
    scope = Scope(mod)
    out: dict[str, Any] = {"locals": {k: mod.local(k, scope) for k in locals_}}
    includes = []
    for b in body.blocks:
        if b.type == "include":
            p = evaluate(b.body.attrs["path"], scope) if "path" in b.body.attrs else None
            expose = evaluate(b.body.attrs["expose"], scope) if "expose" in b.body.attrs else False
            if isinstance(p, str):
                parent, _ = _parse(Path(p) if Path(p).is_absolute() else path.parent / p, child_dir, depth + 1)
                includes.append(parent)
                if expose is True:
                    mod.includes[b.labels[0] if b.labels else ""] = parent
    mod._memo.clear()  # locals may read include.NAME.locals
    out["locals"] = {k: mod.local(k, scope) for k in locals_}
    out["inputs"] = evaluate(body.attrs["inputs"], scope) if "inputs" in body.attrs else {}
    out["generate"] = []
    for b in body.blocks:
        if b.type == "generate":
            a = b.body.attrs
            gpath = evaluate(a["path"], scope) if "path" in a else None
            contents = evaluate(a["contents"], scope) if "contents" in a else None
            out["generate"].append((gpath, contents, b.labels[0] if b.labels else ""))
        elif b.type == "terraform" and "source" in b.body.attrs:
            out["source"] = evaluate(b.body.attrs["source"], scope)
    out["_includes"] = includes
    return out, mod


def read(directory: Path) -> Terragrunt:
    """The terragrunt.hcl of a folder, with what its includes add."""
    f = directory / "terragrunt.hcl"
    top, _mod = _parse(f, directory)
    tg = Terragrunt(f)
    inputs: dict = {}
    generated: dict[str, str] = {}
    source = None
    for layer in [*top["_includes"], top]:  # parents first: the child wins
        if isinstance(layer.get("inputs"), dict):
            inputs.update(layer["inputs"])
        elif isinstance(layer.get("inputs"), Unknown):
            tg.unresolved.append(f"{f}: inputs are {layer['inputs']}")
        for gpath, contents, label in layer.get("generate", []):
            if isinstance(gpath, str) and gpath.endswith(".tf") and isinstance(contents, str):
                generated[gpath] = contents
            elif isinstance(contents, Unknown):
                tg.unresolved.append(f"{f}: generate {label!r} contents are {contents}")
        if isinstance(layer.get("source"), str):
            source = layer["source"]
    tg.inputs = {k: v for k, v in inputs.items()}
    tg.generated = sorted(generated.items())
    if source:
        local = _local_source(source, directory)
        if local is not None:
            tg.code_dir = local
        else:
            tg.registry_source = source
    return tg


def _local_source(source: str, directory: Path) -> Path | None:
    """A ``terraform.source`` on disk (``../modules//vpc`` is ``../modules/vpc``)."""
    if re.match(r"^[a-z0-9+]+::|^[a-z]+://|^(github|bitbucket)\.com/|^tfr:", source):
        return None
    path = source.split("?")[0].replace("//", "/")
    p = (directory / path).resolve()
    return p if p.is_dir() else None
