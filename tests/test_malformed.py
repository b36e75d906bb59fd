"""The malformed-input corpus: every file in tests/malformed is refused by `simfl validate`
and by `simfl run` alike — exit status 2, a message naming the field, the value and what
is allowed, no traceback, nothing written.

The files are read from inside tests/malformed (relative `data_dir` / `replay_dir` paths
point at `replays/five_clients`, a small but readable 5-client, 5-round run folder, at
`replays/damaged_scores`, the same with a junk scores.parquet, and at folders that do not
exist).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simfl import cli

MALFORMED = Path(__file__).resolve().parent / "malformed"

# file → a piece of its message (the full line where pinned exactly, with "\n")
CORPUS = {
    # ------------------------------------------------------------------ the file itself
    "bad_yaml.yaml": "bad_yaml.yaml: not valid YAML at line 3, column 7: "
    "expected ',' or '}', but got ':'",
    "tab_indent.yaml": "not valid YAML at line 3, column 1: found character '\\t'",
    "empty.yaml": "empty.yaml: the file is empty; a scenario is a mapping of keys",
    "top_level_list.yaml": "a scenario is a mapping of keys (name, seed, rounds, fl, "
    "market, ...); got list",
    "not_utf8.yaml": "not_utf8.yaml: cannot be read",
    "duplicate_key.yaml": "error: duplicate_key.yaml: not valid YAML at line 6, column 1: key "
    "'market' appears twice in one mapping (first at line 3); keep one: the second would "
    "silently replace the first\n",
    "deep_nesting.yaml": "error: deep_nesting.yaml: nested too deeply to read (more than "
    "Python's recursion limit); a scenario needs about 5 levels, at most 20 are accepted\n",
    "recursive_anchor.yaml": "error: recursive_anchor.yaml: an anchor refers to itself",
    "anchor_bomb.yaml": "error: anchor_bomb.yaml: holds more than 100,000 values once its "
    "anchors are expanded",
    # ------------------------------------------------------------------ one field
    "wrong_type.yaml": "error: rounds: got 'many'; input should be a valid integer, "
    "unable to parse string as an integer\n",
    "typo_key.yaml": "error: fl.clinets: unknown key — did you mean 'clients'?",
    "unknown_section.yaml": "error: markt: unknown key — did you mean 'market'?",
    "zero_rounds.yaml": "error: rounds: got 0; input should be greater than or equal to 1\n",
    "fee_out_of_range.yaml": "error: market.pool.fee_bps: got 2000; "
    "input should be less than or equal to 1000\n",
    "fraction_above_one.yaml": "market.clients.fraction: got 1.5",
    "unknown_dataset.yaml": "fl.dataset: got 'imagenet'; must be one of 'digits'",
    "investor_without_strategy.yaml": "error: market.investors.0.strategy: got nothing; "
    "field required\n",
    "three_problems.yaml": "three_problems.yaml: 3 problem(s)",
    "bad_name.yaml": "name: got 'has spaces'; string should match pattern",
    "seed_base_infinite.yaml": "error: market.pool.seed_base: got inf; input should be a "
    "finite number\n",
    "synthetic_noise_infinite.yaml": "error: scores.synthetic.noise: got inf; input should be "
    "a finite number\n",
    "lr_infinite.yaml": "error: fl.local.lr: got inf; input should be a finite number\n",
    "lr_absurd.yaml": "error: fl.local.lr: got 100.0; with optimizer='sgd' give 0 < lr <= 10 "
    "(larger steps diverge or learn nothing)\n",
    "seed_base_below_one_unit.yaml": "error: market.pool.seed_base: got 1e-19, which rounds "
    "to 0 base units (1 base unit = 1e-18 whole tokens); give a positive amount of whole "
    "tokens\n",
    "amount_too_large.yaml": "error: market.investors.0.budget: got 1e+25: at most 1e+15 "
    "whole tokens (results store amounts as exact 38-digit integers of base units)\n",
    # ------------------------------------------------------------------ cross-field
    "pay_by_not_in_methods.yaml": "error: fl.contribution.pay_by: 'cgsv' is not among methods "
    "['size', 'loo']; add it there\n",
    "behaviour_unknown_client.yaml": "error: fl.behaviours: names clients [12] but clients=5",
    "exact_shapley_too_many.yaml": "error: fl.clients: exact_shapley needs clients <= 14 (got 20)",
    "coalition_methods_too_many.yaml": "error: fl.clients: got 70; gtg_shapley codes "
    "coalitions as 64-bit masks, so at most 63 clients; for a larger federation use the size "
    "or cgsv methods (no coalitions), or scores: {source: synthetic}\n",
    "compare_not_computed.yaml": "compare: lists ['tmc_shapley']",
    "krum_too_many_byzantine.yaml": "error: fl.strategy.krum_byzantine: got 10; Krum needs the "
    "clients aggregated per round (10) > 2·f + 2 = 22, so krum_byzantine at most 3\n",
    "min_clients_above_clients.yaml": "error: fl.sampling.min_clients: got 50; at most "
    "fl.clients=10\n",
    # ------------------------------------------------------------------ data on disk
    "mnist_without_data_dir.yaml": "fl.data_dir: dataset='mnist' needs the folder",
    "data_dir_missing.yaml": "error: fl.data_dir: got 'no-such-folder/mnist', which does not "
    "exist; give the folder holding mnist's files\n",
    "data_dir_without_files.yaml": "error: fl.data_dir: got '.', which lacks "
    "train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz; give the folder holding "
    "MNIST's files\n",
    "classes_per_client_above_classes.yaml": "error: fl.partition.num_classes_per_partition: "
    "got 50; the digits set has 10 classes, so at most 10\n",
    "validation_size_above_dataset.yaml": "error: fl.validation_size: got 100000 (with "
    "fl.test_size 360); the digits set has 1,797 samples, so validation and test together at "
    "most 1,787 (leaving one per client for training)\n",
    "partition_leaves_client_empty.yaml": "error: fl.partition: the split a run draws (seed "
    "42) fails for fl.clients=50 on 1,077 training samples: exponential partition leaves "
    "client(s) [0, 1, 2,",
    # ------------------------------------------------------------------ replayed runs
    "replay_dir_missing.yaml": "error: scores.replay_dir: got 'no-such-run', which does not "
    "exist; give an earlier run's results/<run-id>/ folder\n",
    "replay_damaged_table.yaml": "error: scores.replay_dir: got 'replays/damaged_scores': its "
    "scores.parquet is not a readable parquet table (Parquet file size is 4 bytes, smaller "
    "than the minimum file footer (8 bytes)); the run folder is damaged: run the scenario "
    "again\n",
    "replay_other_client_count.yaml": "error: replay_other_client_count.yaml: 2 problem(s)\n"
    "error: fl.clients: got 10; the replayed run (replays/five_clients) has 5 clients, so "
    "give exactly that\n"
    "error: rounds: got 8; the replayed run (replays/five_clients) holds 5 rounds, so at "
    "most that\n",
}


@pytest.fixture(autouse=True)
def _inside_the_corpus(monkeypatch):
    monkeypatch.chdir(MALFORMED)


def _refused(args: list[str], expected: str, capsys) -> None:
    status = cli.main(args)
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert expected in captured.err
    assert "Traceback" not in captured.err
    assert all(line.startswith("error: ") for line in captured.err.splitlines())
    assert captured.out == ""


def test_corpus_covers_every_malformed_file():
    assert set(CORPUS) == {p.name for p in MALFORMED.glob("*.yaml")}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_validate_refuses_every_malformed_file(name, capsys):
    _refused(["validate", name], CORPUS[name], capsys)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_run_refuses_every_malformed_file_and_writes_nothing(name, tmp_path, capsys):
    out = tmp_path / "out"
    _refused(["run", name, "--out", str(out), "--quiet"], CORPUS[name], capsys)
    assert not out.exists() or not any(out.iterdir()), "a refused run left results behind"


def test_a_malformed_set_value_is_refused_like_a_file(capsys):
    deep = "[" * 3000 + "]" * 3000
    _refused(["validate", "quickstart", "--set", f"market.investors={deep}"],
             "error: --set market.investors: the value is nested too deeply\n", capsys)  # fmt: skip


def test_a_sweep_point_breaking_a_cross_field_rule_is_refused(tmp_path, capsys):
    (tmp_path / "study.yaml").write_text(
        "scenario: base.yaml\nparameters:\n  fl.strategy.krum_byzantine: [1, 10]\n"
    )
    (tmp_path / "base.yaml").write_text(
        "name: b\nrounds: 2\nfl: {clients: 10, strategy: krum}\nscores: {source: synthetic}\n"
    )
    status = cli.main(["sweep", str(tmp_path / "study.yaml"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert (
        "error: point 1 (fl.strategy.krum_byzantine=10): fl.strategy.krum_byzantine: got 10; "
        "Krum needs the clients aggregated per round (10) > 2·f + 2 = 22" in err
    )
    assert "point 0" not in err and "Traceback" not in err
    assert not (tmp_path / "o" / "study").exists()
