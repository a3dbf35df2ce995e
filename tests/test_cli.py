"""The `secuah-dl` command: listing, errors, and the main job."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, subprocess_env

from secuah_dl import cli


def test_list_names_every_practical(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in cli.PRACTICALS:
        assert name in out


def test_unknown_practical_lists_the_known_ones(capsys):
    with pytest.raises(SystemExit) as error:
        cli.main(["run", "mri-segmenter"])
    assert error.value.code == 2
    err = capsys.readouterr().err
    assert "Unknown practical 'mri-segmenter'" in err
    assert "toy2d" in err and "'all'" in err


def test_run_practicals_rejects_unknown_before_running(tmp_path):
    with pytest.raises(ValueError, match="Unknown practical 'nope'"):
        cli.run_practicals(["toy2d", "nope"], out_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing ran


def test_missing_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as error:
        cli.main([])
    assert error.value.code == 2


def test_info_and_run_all_as_a_user_would(tmp_path):
    env = subprocess_env()
    info = subprocess.run(
        [sys.executable, "-m", "secuah_dl", "info"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert info.returncode == 0, info.stderr
    assert "backend tensorflow" in info.stdout and "replica" in info.stdout
    out = tmp_path / "runs"
    job = subprocess.run(
        [sys.executable, "-m", "secuah_dl", "run", "all", "--quick", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert job.returncode == 0, job.stdout + job.stderr
    report = (out / "REPORT.md").read_text()
    summary = json.loads((out / "metrics.json").read_text())
    assert set(summary) == set(cli.PRACTICALS)
    toy = summary["toy2d"]
    assert toy["metrics"]["accuracy"] >= 0.935
    assert "synthetic" in toy["data"]
    assert "![probability_maps](toy2d/probability_maps.png)" in report
    assert (out / "toy2d" / "probability_maps.png").stat().st_size > 10_000
