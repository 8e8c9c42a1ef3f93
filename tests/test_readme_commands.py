"""The README's commands are real: every `make` target it names exists, and every
`lakehouse ...` command in its code blocks parses with the CLI's own parser.

Running them all would take the better part of an hour (the pipeline tests run
what they do); a command that no longer parses, or a target renamed away, is
what goes stale silently, and that is what this catches in milliseconds.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from lakehouse_local import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def code_block_lines(text: str) -> list[str]:
    """Command lines inside ``` blocks, comments dropped."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        if inside:
            command = line.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                out.append(command)
    return out


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))


def test_every_make_target_the_readme_names_exists() -> None:
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", README))
    assert named, "the README names no make target: the pattern is stale"
    assert named <= make_targets(), sorted(named - make_targets())


LAKEHOUSE_COMMANDS = [
    c for line in code_block_lines(README) for c in line.split("&&")
    if c.strip().startswith("lakehouse ")
]


def test_the_readme_shows_the_cli() -> None:
    assert len(LAKEHOUSE_COMMANDS) >= 5


@pytest.mark.parametrize("command", LAKEHOUSE_COMMANDS)
def test_readme_cli_command_parses(command: str) -> None:
    args = shlex.split(command)[1:]
    parsed = cli.build_parser().parse_args(args)  # argparse exits (SystemExit) when it does not
    assert parsed.command == args[0]


def test_a_mistyped_command_does_fail_to_parse() -> None:
    # The parametrized test above can only fail if parsing can: check it does.
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "sometimes"])
