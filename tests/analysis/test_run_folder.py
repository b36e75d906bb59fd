"""The run-folder reader (simfl/analysis/run_folder.py): one error per failure, each
naming the folder or file, what is wrong and what to do; reads of only the columns and
rows asked for. Folders are built by hand, so no run is needed."""

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simfl.analysis.run_folder import RunFolder, open_folder
from simfl.errors import RunFolderError, UserError
from simfl.runner import read_manifest, read_tables

MANIFEST = {
    "status": "complete",
    "run_id": "r1",
    "seed": 7,
    "scenario": {
        "rounds": 3,
        "fl": {"contribution": {"methods": ["size", "loo"], "pay_by": "loo"}},
        "market": {"pool": {"seed_base": 300.0, "seed_tokens": 100.0}},
    },
    "clients": [{"index": 0, "behaviour": "honest", "size": 5}],
}


def agents_frame() -> pd.DataFrame:
    """Four steps x three agents; `holdings` a list column, as in agents.parquet."""
    rows = [
        {"step": s, "agent_id": a, "kind": "federation" if a == 2 else "investor",
         "value_liquidation": 10.0 * s + a, "holdings": [float(s), float(a)]}
        for s in range(4) for a in range(3)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def make_run(folder, manifest=MANIFEST, tables=("model", "agents", "scores"), group_rows=3):
    folder.mkdir(parents=True)
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps(manifest))
    frames = {
        "model": pd.DataFrame(
            {"step": [0, 1, 2, 3], "round": [0, 1, 2, 3], "price_0": [3.0, 3.1, 3.2, 3.3]}
        ),
        "agents": agents_frame(),
        "scores": pd.DataFrame(
            {"round": [1, 2, 3], "client": [0] * 3, "method": ["loo"] * 3, "score": [0.1, 0.2, 0.3]}
        ),
    }
    for name in tables:  # small row groups: filtered reads go group by group
        table = pa.Table.from_pandas(frames[name], preserve_index=False)
        pq.write_table(table, folder / f"{name}.parquet", row_group_size=group_rows)
    return folder


# ------------------------------------------------------------------ errors


def test_a_missing_folder_is_named_with_what_to_give(tmp_path):
    with pytest.raises(RunFolderError) as caught:
        RunFolder.open(tmp_path / "nope")
    expected = f"{tmp_path / 'nope'}: no such folder; give a results/<run-id>/ folder"
    assert str(caught.value) == expected
    assert isinstance(caught.value, UserError)  # exit status 2, no traceback


def test_a_file_given_for_a_folder_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunFolderError, match="file: not a folder; give a results/<run-id>/ folder"):
        RunFolder.open(tmp_path / "file")


def test_a_folder_without_a_manifest_holds_no_complete_run(tmp_path):
    folder = make_run(tmp_path / "run", manifest=None)
    with pytest.raises(RunFolderError) as caught:
        RunFolder.open(folder)
    assert str(caught.value) == (
        f"{folder}: no complete run here (missing manifest.json); "
        "give a results/<run-id>/ folder written by simfl run"
    )
    (folder / "scores.parquet").unlink()
    with pytest.raises(RunFolderError, match=r"\(missing manifest.json, scores.parquet\); give"):
        RunFolder.open(folder, tables=("model", "scores"))  # every missing file at once


def test_an_unreadable_manifest_is_named(tmp_path):
    folder = make_run(tmp_path / "run")
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(RunFolderError, match=r"run: its manifest.json cannot be read as a simfl "
                       r"manifest \(Expecting property name"):  # fmt: skip
        RunFolder.open(folder)


def test_an_incomplete_run_is_refused_with_its_status(tmp_path):
    folder = make_run(tmp_path / "run", manifest={**MANIFEST, "status": "failed"})
    with pytest.raises(RunFolderError) as caught:
        RunFolder.open(folder)
    assert str(caught.value) == (
        f"{folder}: no complete run here (status 'failed' in manifest.json); run the scenario again"
    )
    assert RunFolder.open(folder, complete=False).manifest.status == "failed"
    assert read_manifest(folder) is None  # the backwards-compatible wrapper: None, no raise


def test_missing_tables_are_named_all_at_once(tmp_path):
    folder = make_run(tmp_path / "run", tables=("model",))
    with pytest.raises(RunFolderError) as caught:
        RunFolder.open(folder, tables=("model", "agents", "scores"))
    assert str(caught.value) == (
        f"{folder}: not a simfl run folder (missing agents.parquet, scores.parquet); "
        "run the scenario again"
    )
    with pytest.raises(RunFolderError, match=r"missing agents.parquet, scores.parquet"):
        read_tables(folder, ("model", "agents", "scores"))


def test_missing_columns_are_named_with_the_file(tmp_path):
    run = RunFolder.open(make_run(tmp_path / "run"))
    with pytest.raises(RunFolderError) as caught:
        run.table("agents", columns=["step", "tokens_value", "base"])
    assert str(caught.value) == (
        f"{run.path / 'agents.parquet'}: lacks column(s) tokens_value, base "
        "(written by an older simfl); run the scenario again"
    )
    with pytest.raises(RunFolderError, match="lacks column.s. colour"):
        run.table("agents", where={"colour": ["red"]})  # a filter's column counts too


def test_a_damaged_table_names_the_file(tmp_path):
    folder = make_run(tmp_path / "run")
    (folder / "model.parquet").write_text("garbage")
    run = RunFolder.open(folder)
    with pytest.raises(RunFolderError) as caught:
        run.table("model")
    message = str(caught.value)
    assert message.startswith(f"{folder / 'model.parquet'}: not a readable parquet table (")
    assert message.endswith("; the run folder is damaged: run the scenario again")


# ------------------------------------------------------------------- reads


def test_the_manifest_has_typed_accessors(tmp_path):
    manifest = RunFolder.open(make_run(tmp_path / "run")).manifest
    assert (manifest.status, manifest.run_id, manifest.seed, manifest.rounds) == (
        "complete", "r1", 7, 3,
    )  # fmt: skip
    assert manifest.methods == ["size", "loo"] and manifest.pay_by == "loo"
    assert manifest.clients == [{"index": 0, "behaviour": "honest", "size": 5}]
    assert manifest.pool == {"seed_base": 300.0, "seed_tokens": 100.0}
    assert manifest.data == MANIFEST


def test_a_table_is_read_with_only_the_columns_asked_for(tmp_path):
    run = RunFolder.open(make_run(tmp_path / "run"))
    frame = run.table("agents", columns=["agent_id", "value_liquidation"])
    assert list(frame.columns) == ["agent_id", "value_liquidation"]
    assert len(frame) == 12


def test_steps_select_rows_across_row_groups_in_file_order(tmp_path):
    run = RunFolder.open(make_run(tmp_path / "run", group_rows=5))  # groups cut steps apart
    frame = run.table("agents", steps=[3, 0])
    whole = agents_frame()
    expected = whole[whole["step"].isin([0, 3])].reset_index(drop=True)
    assert frame["holdings"].map(list).tolist() == expected["holdings"].map(list).tolist()
    pd.testing.assert_frame_equal(frame.drop(columns="holdings"),
                                  expected.drop(columns="holdings"))  # fmt: skip
    assert run.table("scores", steps=[2])["score"].tolist() == [0.2]  # scores filter on round


def test_where_and_columns_combine_without_returning_the_filter_column(tmp_path):
    run = RunFolder.open(make_run(tmp_path / "run", group_rows=4))
    frame = run.table("agents", columns=["step", "value_liquidation"],
                      where={"kind": ["federation"]})  # fmt: skip
    assert list(frame.columns) == ["step", "value_liquidation"]
    assert frame["value_liquidation"].tolist() == [2.0, 12.0, 22.0, 32.0]


def test_no_matching_rows_give_an_empty_frame_with_the_columns(tmp_path):
    run = RunFolder.open(make_run(tmp_path / "run"))
    frame = run.table("agents", columns=["step", "kind"], steps=[99])
    assert list(frame.columns) == ["step", "kind"] and frame.empty


def test_step_range_comes_from_the_step_column(tmp_path):
    run = RunFolder.open(make_run(tmp_path / "run", group_rows=5))
    assert run.step_range("agents") == (0, 3)
    assert run.step_range("scores") == (1, 3)


def test_tables_read_whole_match_pandas(tmp_path):
    folder = make_run(tmp_path / "run")
    tables = open_folder(folder).tables(("model", "scores"))  # no manifest needed
    pd.testing.assert_frame_equal(tables["model"], pd.read_parquet(folder / "model.parquet"))
    assert set(tables) == {"model", "scores"}
