"""Every shipped scenario validates, documents itself and runs (with small overrides)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simfl import cli
from simfl.config import load_yaml
from simfl.runner import read_manifest

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
NAMES = [p.name for p in SCENARIOS]


def test_the_issue_scenarios_are_shipped():
    expected = {"wallstreetfeds", "free-riders", "investors", "liquidity", "buyback-vs-mint"}
    assert {f"{e}.yaml" for e in expected} | {"quickstart.yaml"} <= set(NAMES)


@pytest.mark.parametrize("path", SCENARIOS, ids=NAMES)
def test_shipped_scenario_validates(path, capsys):
    assert cli.main(["validate", str(path)]) == 0
    summary = capsys.readouterr().out
    assert summary.startswith(f"{load_yaml(path)['name']}: ")


@pytest.mark.parametrize(
    "path",
    [p for p in SCENARIOS if p.name != "quickstart.yaml"],
    ids=[n for n in NAMES if n != "quickstart.yaml"],
)
def test_shipped_scenario_documents_itself(path):
    text = path.read_text()
    header = text.split("\nname:")[0]
    assert header.startswith("#") and "Question" in header
    assert "Expected run time" in header and "TIME" not in header
    description = load_yaml(path)["description"]
    assert description and "\n" not in description
    assert path.stem == load_yaml(path)["name"]


def smoke_overrides(path: Path) -> list[str]:
    """Two rounds, cheap contribution methods, a data subsample: a smoke run."""
    data = load_yaml(path)
    sets = ["rounds=2"]
    fl = data.get("fl", {})
    if data.get("scores", {}).get("source", "fl") == "fl":
        sets += ["fl.contribution.methods=[size,loo,cgsv]", "fl.contribution.pay_by=loo"]
        if "compare" in data:
            sets.append("compare=[size,cgsv]")
        if fl.get("dataset") == "fashion-mnist":
            sets.append("fl.max_train_samples=2000")
    return [arg for s in sets for arg in ("--set", s)]


@pytest.mark.parametrize("path", SCENARIOS, ids=NAMES)
def test_shipped_scenario_smoke_runs(path, tmp_path):
    args = ["run", str(path), *smoke_overrides(path), "--out", str(tmp_path), "--quiet"]
    assert cli.main([*args, "--no-report"]) == 0
    (folder,) = list(tmp_path.iterdir())
    assert read_manifest(folder)["scenario"]["rounds"] == 2


def test_quickstart_reaches_eighty_percent_accuracy_and_starves_its_free_rider() -> None:
    from simfl.model import run_model

    model = run_model(Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.yaml")
    assert model.round == 5
    assert model.accuracy >= 0.8
    free_rider = model.clients[4]
    assert free_rider.strategy == "free_rider"
    assert all(
        free_rider.received_token_units < honest.received_token_units
        for honest in model.clients[:4]
    )
