"""Warnings, notes and errors written without rich on a pipe are the text rich writes there."""

import io
import sys

import pytest

from costplan.cli import common

MESSAGES = [
    "the actual spend is the SYNTHETIC sample, not real billing data (the report says so)",
    "2026-10: total $4,654.34 (EffectiveCost), plan $4,509.14",
    "note: 2026-10 is the last complete month; newer: 2026-11 (25 of 30 days)",
    "  section 'Cost per user': data not available",
    "a [bold]tag[/bold] and [link=x] and [/] and [ in the text",
    "trailing spaces   ",
    "two\nlines",
    "line\n\n  indented after a blank line\n",
    "",
    "non-ASCII: 4 509,14 € – Zürich 東京",
    "x" * 300 + " " + "y " * 100,
    "s3://bucket/key and https://example.com/a",
    # the text below goes through rich: a backslash, an emoji code, a time, a tab, a carriage return
    "C:\\data\\store.duckdb and \\[escaped]",
    "ends with a backslash \\",
    "a :warning: code and :smile:",
    "at 12:30:45",
    "tab\there",
    "carriage\rreturn",
]


def rich_prints(markup: str) -> str:
    from rich.console import Console

    out = io.StringIO()
    real, sys.stderr = sys.stderr, out
    try:
        Console(stderr=True, highlight=False, soft_wrap=True).print(markup)
    finally:
        sys.stderr = real
    return out.getvalue()


def ours(fn, *args) -> str:
    out = io.StringIO()
    real, sys.stderr = sys.stderr, out
    try:
        fn(*args)
    finally:
        sys.stderr = real
    return out.getvalue()


@pytest.fixture(autouse=True)
def _no_forced_terminal(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    # as in a command's own process: another test of the same worker may have imported IPython
    # (the notebooks), which sends every message through rich
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.delitem(sys.modules, "idlelib", raising=False)


@pytest.mark.parametrize("message", MESSAGES)
def test_each_message_is_what_rich_writes(message):
    esc = common._escape(message)
    assert ours(common.info, message) == rich_prints(esc)
    assert ours(common.warn, message) == rich_prints(f"[yellow]warning:[/] {esc}")
    assert ours(common.err, message) == rich_prints(f"[bold red]error:[/] {esc}")
    assert ours(common.finding, message, "error") == rich_prints(f"[bold magenta]finding:[/] {esc}")


def test_plain_text_skips_rich_and_the_rest_does_not():
    plain, through_rich = MESSAGES[:12], MESSAGES[12:]
    assert all(common._plain_stderr(m) for m in plain)
    assert not any(common._plain_stderr(m) for m in through_rich)


def test_under_ipython_every_message_goes_through_rich(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", sys)  # any module object: only the name is looked up
    assert not common._plain_stderr("plain")


def test_forced_colours_go_through_rich(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not common._plain_stderr("plain")
    out = ours(common.warn, "plain")
    assert out.endswith("plain\n") and "\x1b[" in out  # rich's colours, as before


def test_a_terminal_goes_through_rich(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Tty())
    assert not common._plain_stderr("plain")
