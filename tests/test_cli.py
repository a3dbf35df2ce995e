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
        cli._run_practicals(["toy2d", "nope"], out_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing ran


def test_missing_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as error:
        cli.main([])
    assert error.value.code == 2


def test_options_are_checked_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match=r"'toy2d' does not take --backbone"):
        cli._run_practicals(["toy2d"], out_dir=tmp_path, options={"backbone": "vgg16"})
    with pytest.raises(ValueError, match="run one at a time"):
        cli._run_practicals(["all"], out_dir=tmp_path, options={"source": "x.csv"})
    assert not any(tmp_path.iterdir())  # nothing ran


@pytest.mark.parametrize("where", ["a_file/sub", "/proc/secuah-dl"])
def test_unwritable_output_folder_fails_at_once(tmp_path, where, capsys):
    (tmp_path / "a_file").write_text("not a folder")
    out = where if where.startswith("/") else str(tmp_path / where)
    with pytest.raises(SystemExit) as error:
        cli.main(["run", "toy2d", "--quick", "--out", out])
    assert error.value.code == 2
    err = capsys.readouterr().err
    assert "Cannot write the report" in err and out in err


def test_offline_backbone_fails_before_training_and_weights_none_is_random(
    tmp_path, monkeypatch, capsys
):
    from secuah_dl import datasets, transfer

    def offline(name, **kwargs):
        raise datasets.OfflineError(f"{name}: offline (test).")

    monkeypatch.setattr(datasets, "fetch", offline)
    loaded = []
    monkeypatch.setattr(transfer, "load_data", lambda *a, **k: loaded.append(1))
    out = tmp_path / "out"
    code = cli.main(
        ["run", "transfer", "--quick", "--backbone", "vgg16", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 1 and "--backbone mobilenet" in err and "Traceback" not in err
    assert loaded == [] and not (out / "transfer" / "metrics.json").exists()
    seen = {}
    monkeypatch.setattr(
        cli, "_run_practicals", lambda names, **kw: seen.update(kw) or ([], "r")
    )
    cli.main(["run", "transfer", "--weights", "none"])
    assert seen["options"] == {"weights": None}


def test_set_values_are_parsed_as_json_or_text():
    assert cli._parse_value("3") == 3 and cli._parse_value("0.5") == 0.5
    assert cli._parse_value("true") is True and cli._parse_value("vgg16") == "vgg16"
    with pytest.raises(SystemExit):
        cli.main(["run", "toy2d", "--set", "no-equals-sign"])


def test_info_and_one_practical_as_a_user_would(tmp_path):
    env = subprocess_env()
    info = subprocess.run(
        [sys.executable, "-m", "secuah_dl", "info"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert info.returncode == 0, info.stderr
    assert "backend tensorflow" in info.stdout and "réplica" in info.stdout
    out = tmp_path / "runs"
    job = subprocess.run(
        [
            sys.executable,
            "-m",
            "secuah_dl",
            "run",
            "toy2d",
            "--quick",
            "--epochs",
            "30",
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert job.returncode == 0, job.stdout + job.stderr
    report = (out / "REPORT.md").read_text()
    summary = json.loads((out / "metrics.json").read_text())
    assert set(summary) == {"toy2d"}
    assert summary["toy2d"]["metrics"]["accuracy"] >= 0.9
    assert "synthetic" in summary["toy2d"]["data"].lower()
    assert "![probability_maps](toy2d/probability_maps.png)" in report
    assert (out / "toy2d" / "probability_maps.png").stat().st_size > 10_000


@pytest.mark.large
def test_the_main_job_runs_every_practical_on_real_data(tmp_path):
    """`bash scripts/demo.sh` without the install: every practical, quick mode."""
    out = tmp_path / "runs"
    job = subprocess.run(
        [sys.executable, "-m", "secuah_dl", "run", "all", "--quick", "--out", str(out)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert job.returncode == 0, job.stdout + job.stderr
    summary = json.loads((out / "metrics.json").read_text())
    assert set(summary) == set(cli.PRACTICALS)
    for name, result in summary.items():
        assert result["data"], name


def test_summary_line_shows_nested_metrics():
    # SMILES reports per model (untrained / pretrained / finetuned): the
    # closing line must still show its numbers.
    line = cli._scalars(
        {"accuracy": 0.5, "pretrained": {"validity": 0.8, "examples": ["CCO"]}, "n": 3}
    )
    assert line == "accuracy=0.5000, pretrained_validity=0.8000"
    assert cli._scalars({"untrained": {"examples": []}}) == ""
    # A headline repeated from a nested dict is shown once.
    twice = {"dense_knn": 0.7, "dense": {"knn": 0.7, "mse": 0.1}}
    assert cli._scalars(twice) == "dense_knn=0.7000, dense_mse=0.1000"
