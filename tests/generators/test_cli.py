from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_generators.cli import main, parser, spec_from
from data_generators.spec import ALL_FAULTS_RATES


def test_cli_lands_sets_and_prints_a_summary(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["--sets", "2", "--seed", "9", "--scale", "0.25", "--out", str(tmp_path),
                 "--duplicates", "--malformed", "0.01"])
    assert code == 0
    out = capsys.readouterr().out
    assert "landed" in out and "ground truth after set 2" in out
    manifest = json.loads((tmp_path / "ground_truth/set-0002.json").read_text())
    assert manifest["faults"]["duplicates"] == ALL_FAULTS_RATES["duplicates"]
    assert manifest["faults"]["malformed"] == 0.01
    assert manifest["seed"] == 9 and manifest["scale"] == 0.25


def test_cli_one_set(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--sets", "2", "--set", "2", "--scale", "0.25", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "ground_truth/set-0002.json").is_file()
    assert not (tmp_path / "ground_truth/set-0001.json").exists()


def test_all_faults_and_defaults() -> None:
    spec = spec_from(parser().parse_args(["--all-faults", "--late", "0.5"]))
    assert spec.faults.late == 0.5
    assert spec.faults.crlf == ALL_FAULTS_RATES["crlf"]
    assert spec_from(parser().parse_args([])).faults.any is False
    assert spec_from(parser().parse_args(["--rate", "10"])).sets == 1000
    with pytest.raises(SystemExit):
        parser().parse_args(["--target", "s3"])
