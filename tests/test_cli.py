"""`lakehouse COMMAND --help`: every command lists only its own flags (argparse only, no Spark)."""

from __future__ import annotations

import re

import pytest

from lakehouse_local.cli import main, parse

GENERATOR = {"--scale", "--seed", "--all-faults"}
OWN_FLAGS = {
    ("up",): {"--quick"},
    ("down",): set(),
    ("status",): {"--env", "--no-tables"},
    ("setup",): {"--env"},
    ("cleanup",): {"--env"},
    ("run", "once"): {"--env"},
    ("run", "stream"): {"--env", "--processing-time", *GENERATOR, "--rate", "--pause",
                        "--duration", "--no-producer", "--no-live"},
    ("batch-test",): {"--env", "--sets", *GENERATOR, "--keep"},
    ("stream-test",): {"--env", "--processing-time", "--sets", *GENERATOR, "--keep"},
    ("produce",): {"--env", "--sets", *GENERATOR, "--set", "--folder"},
    ("cluster", "up"): {"--workers", "--cores", "--memory", "--port", "--webui-port"},
    ("cluster", "down"): set(),
    ("cluster", "status"): set(),
}


def _help(words: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*words, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("words", sorted(OWN_FLAGS), ids=" ".join)
def test_each_command_lists_only_its_own_flags(
    words: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", _help(words, capsys))) - {"--help"}
    assert flags == OWN_FLAGS[words]


def test_generate_takes_the_generator_flags(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(("generate",), capsys)
    assert "--target" in text and "--all-faults" in text and "--keep" not in text


def test_flags_of_one_command_are_refused_by_another() -> None:
    with pytest.raises(SystemExit):
        parse(["run", "once", "--pause", "5"])
    with pytest.raises(SystemExit):
        parse(["cleanup", "--keep"])
    assert parse(["run", "stream", "--pause", "5"]).pause == 5.0
