"""How often the runner asks Prefect for due runs: every second when people wait on the runs it
starts (stage runs on deployments), every 15 s when it only starts the daily sweeps (stage runs
in process, the embedded default), and whatever a council sets."""

from pathlib import Path

from lifecycle.settings import Settings


def test_the_runner_asks_often_only_when_people_wait_on_what_it_runs(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).runner_poll == 15.0
    assert Settings(data_dir=tmp_path, stage_execution="deployments").runner_poll == 1.0
    assert Settings(data_dir=tmp_path, runner_poll_seconds=0.5).runner_poll == 0.5
