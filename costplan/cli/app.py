"""The ``costplan`` typer application.

Each command group lives in its own module with a ``register(app)`` function; heavy imports
(pandas, boto3, duckdb, plotly) happen inside the commands, so ``costplan --help`` is instant.
"""

from __future__ import annotations

import importlib
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

app = typer.Typer(
    name="costplan",
    help=help_text(HELP),
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)

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

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _print_version(value: bool) -> None:
    # an eager option's callback runs while the options are parsed, before a command is
    # required, so `costplan --version` works on its own
    if value:
        from importlib.metadata import version as _v

        typer.echo(_v("costplan"))
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    pass


def main() -> None:
    """Console-script entry point."""
    app(prog_name="costplan")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
