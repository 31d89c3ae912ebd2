"""The ``costplan`` typer application.

Each command group lives in its own module with a ``register(app)`` function; heavy imports
(pandas, boto3, duckdb, plotly) happen inside the commands, so ``costplan --help`` is instant,
and a command that runs imports only its own module (:data:`COMMANDS`).
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from costplan.cli.common import help_text

HELP = """Cloud cost and capacity planning for Kubernetes-on-AWS platforms.

Price a stack from a dated, sourced catalog; load actual spend; project growth with ranges;
write the monthly cost report. With no arguments every command uses the embedded default:
the bundled UltiBiker stack, the embedded price catalog and a synthetic sample of spend.

Examples, one per command:

  costplan estimate data/ultibiker/stack.yaml --compare data/ultibiker/claimed-costs.yaml
  costplan prices show c5.large --region us-east-1
  costplan pull --from 2026-01-01 --store spend.duckdb
  costplan import focus exports/ --store spend.duckdb
  costplan actuals --by ServiceName --month 2026-10
  costplan reconcile data/ultibiker/stack.yaml --month 2026-10
  costplan project --scenario app-on-spot --months 36
  costplan commitments --term 1yr --payment all-upfront
  costplan report --month 2026-10
  costplan review --quarter 2026Q3
  costplan diff data/ultibiker/stack.yaml 'data/ultibiker/stack.yaml#graviton'

Every command has --help with more examples. Exit codes: 0 success, 2 bad input (the
message names the file, field and what is valid), 1 any other failure.
"""

# Command-group modules, in the order they appear in --help.
COMMAND_MODULES = [
    "costplan.cli.estimate",
    "costplan.cli.prices",
    "costplan.cli.actuals",
    "costplan.cli.imports",
    "costplan.cli.iac",  # import terraform/pulumi (joins costplan.cli.imports' group if present), diff
    "costplan.cli.project",
    "costplan.cli.report",
]

#: Each top-level command -> the modules that register it. A command that runs imports only
#: these (a third of `costplan store`'s start-up went into importing every other command's
#: module); ``--help``, an unknown command and shell completion get every module.
#: tests/test_cli_app.py checks this against the complete application.
COMMANDS = {
    "estimate": ("costplan.cli.estimate",),
    "prices": ("costplan.cli.prices",),
    "pull": ("costplan.cli.actuals",),
    "actuals": ("costplan.cli.actuals",),
    "reconcile": ("costplan.cli.actuals",),
    "store": ("costplan.cli.actuals",),
    "import": ("costplan.cli.imports", "costplan.cli.iac"),
    "diff": ("costplan.cli.iac",),
    "project": ("costplan.cli.project",),
    "commitments": ("costplan.cli.project",),
    "report": ("costplan.cli.report",),
    "review": ("costplan.cli.report",),
}


def _print_version(value: bool) -> None:
    # an eager option's callback runs while the options are parsed, before a command is
    # required, so `costplan --version` works on its own
    if value:
        from importlib.metadata import version as _v

        typer.echo(_v("costplan"))
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    pass


def build_app(modules=COMMAND_MODULES) -> typer.Typer:
    """The ``costplan`` application with the commands of ``modules`` (default: every command)."""
    application = typer.Typer(
        name="costplan",
        help=help_text(HELP),
        no_args_is_help=True,
        add_completion=True,  # --install-completion, --show-completion
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode=None,
    )
    for name in COMMAND_MODULES:
        if name in modules:
            importlib.import_module(name).register(application)
    application.callback()(_root)
    return application


def __getattr__(name: str):
    # ``app``, the complete application (tests and embedding code invoke it), is built on
    # first use: `costplan <command>` builds only the command it runs (see :func:`main`)
    if name == "app":
        globals()["app"] = application = build_app()
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_modules(argv: list[str]):
    """The modules the command line needs: those of its command when the command comes first,
    else every module (``--help``, ``--version``, no command, an unknown command, shell
    completion)."""
    if not argv or argv[0].startswith("-") or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return COMMAND_MODULES
    return COMMANDS.get(argv[0], COMMAND_MODULES)


def main() -> None:
    """Console-script entry point."""
    build_app(_command_modules(sys.argv[1:]))(prog_name="costplan")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
