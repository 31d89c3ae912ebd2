"""`costplan <command>` imports only the module of its command; the table of which module
registers which command must match the complete application, or a command would be missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer.main

from costplan.cli import app as app_module

REPO = Path(__file__).resolve().parents[1]


def _names(application) -> set[str]:
    return set(typer.main.get_command(application).commands)


def test_every_command_is_mapped_to_its_modules():
    assert set(app_module.COMMANDS) == _names(app_module.app)
    for command, modules in app_module.COMMANDS.items():
        assert set(modules) <= set(app_module.COMMAND_MODULES)
        assert command in _names(app_module.build_app(modules)), command


def test_a_group_built_from_its_modules_has_all_its_subcommands():
    full = typer.main.get_command(app_module.app)
    for command, modules in app_module.COMMANDS.items():
        part = typer.main.get_command(app_module.build_app(modules)).commands[command]
        whole = full.commands[command]
        assert sorted(getattr(part, "commands", {})) == sorted(getattr(whole, "commands", {})), command


def test_which_modules_a_command_line_needs():
    pick = app_module._command_modules
    assert pick(["store", "--store", "x.duckdb"]) == ("costplan.cli.actuals",)
    assert pick(["import", "terraform", "plan.json"]) == ("costplan.cli.imports", "costplan.cli.iac")
    for argv in ([], ["--help"], ["-h", "store"], ["--version"], ["no-such-command"]):
        assert pick(argv) == app_module.COMMAND_MODULES, argv


SCRIPT = """
import json, sys
from costplan.cli.app import main
sys.argv = ["costplan", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(m for m in sys.modules if m.startswith("costplan.cli."))) + "\\n")
"""


def _cli_modules(args: list[str]) -> tuple[subprocess.CompletedProcess, set[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), "COLUMNS": "200"}
    p = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=120)
    line = [x for x in p.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return p, set(json.loads(line[len("MODULES "):]))


def test_a_command_imports_only_its_module():
    p, modules = _cli_modules(["store", "--help"])
    assert "Usage: costplan store" in p.stdout
    assert "costplan.cli.actuals" in modules
    assert not modules & {"costplan.cli.estimate", "costplan.cli.prices", "costplan.cli.project",
                          "costplan.cli.report", "costplan.cli.iac", "costplan.cli.imports"}


def test_help_still_lists_every_command():
    p, modules = _cli_modules(["--help"])
    for command in app_module.COMMANDS:
        assert f"  {command} " in p.stdout, command
    assert set(app_module.COMMAND_MODULES) <= modules
