"""Long runs at constant cost: tables stream to disk in chunks with unchanged contents,
memory holds at most a chunk of the journal, agent rows can be sparse, market views copy
no history, and decaying schedules stay exact at any round."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

import simfl.recording
from simfl.errors import SimflError
from simfl.market.decay import floor_power
from simfl.market.history import Prefix
from simfl.model import FederationMarket, run_model
from simfl.runner import TABLES, read_manifest, read_tables, run_scenario
from simfl.tables import write_table
from tests.market.scenarios import synthetic

STREAMED = ("model", "agents", "scores", "events", "flows")


def busy(**overrides: Any) -> dict[str, Any]:
    """Six rounds with traders of every kind and a decaying emission: a full journal."""
    return synthetic(
        **{
            "rounds": 6,
            "market.reward": {
                "mode": "hybrid",
                "emission": {"kind": "decaying", "amount": 800, "decay": 0.9},
                "revenue": 500,
            },
            "market.investors": [
                {"strategy": "noise", "count": 6, "budget": 500},
                {"strategy": "momentum", "count": 3, "budget": 500, "lookback": 2},
                {"strategy": "value", "count": 3, "budget": 500, "lookback": 3},
            ],
            "market.liquidity_providers": [{"count": 1, "budget": 2000}],
            **overrides,
        }
    )


def read_back(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """An in-memory table as it reads back from parquet (the runner's column types)."""
    write_table(frame, path)
    return pd.read_parquet(path)


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a hundred values, so every table is written in many row groups."""
    monkeypatch.setattr(simfl.recording, "CHUNK_CELLS", 100)


@pytest.mark.parametrize("cells", [100, 1500])  # one step a chunk; chunks of a few steps
def test_streamed_tables_equal_the_in_memory_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cells: int
) -> None:
    monkeypatch.setattr(simfl.recording, "CHUNK_CELLS", cells)
    run_dir = run_scenario(busy(), tmp_path, run_id="streamed")
    memory = run_model(busy()).tables()  # Mesa's in-memory collector, the old path
    streamed = read_tables(run_dir)
    for name in STREAMED:
        groups = pq.ParquetFile(run_dir / f"{name}.parquet").num_row_groups
        assert groups > 1 or (cells > 100 and name in ("model", "scores")), name
        expected = read_back(memory[name], tmp_path / f"memory-{name}.parquet")
        pd.testing.assert_frame_equal(streamed[name], expected, check_exact=True, obj=name)
    rows = read_manifest(run_dir)["rows"]
    assert rows == {name: len(streamed[name]) for name in TABLES}


def test_chunk_size_does_not_change_the_files_contents(tmp_path: Path, monkeypatch) -> None:
    whole = read_tables(run_scenario(busy(), tmp_path, run_id="whole"))
    monkeypatch.setattr(simfl.recording, "CHUNK_CELLS", 200)
    chunked = read_tables(run_scenario(busy(), tmp_path, run_id="chunked"))
    for name in TABLES:
        pd.testing.assert_frame_equal(chunked[name], whole[name], check_exact=True, obj=name)


def test_same_seed_gives_byte_identical_streamed_files(tmp_path: Path, tiny_chunks: None) -> None:
    first = run_scenario(busy(), tmp_path, run_id="first")
    second = run_scenario(busy(), tmp_path, run_id="second")
    for name in TABLES:
        path = f"{name}.parquet"
        assert (first / path).read_bytes() == (second / path).read_bytes(), name


def test_journal_in_memory_stays_within_a_chunk(tmp_path: Path, tiny_chunks: None) -> None:
    held: list[int] = []
    run_dir = run_scenario(
        busy(rounds=12), tmp_path, on_round=lambda m: held.append(len(m.ledger.events))
    )
    events = read_tables(run_dir, ("events",))["events"]
    per_step = events.groupby("step").size()
    # at most one step's events beyond the chunk size stay in memory at a round's end
    assert max(held) < simfl.recording.CHUNK_CELLS // 7 + per_step.max()
    assert max(held) < len(events) // 4
    assert events["seq"].tolist() == list(range(len(events)))  # seq: whole-run positions
    assert events["step"].is_monotonic_increasing


def test_a_failed_run_leaves_no_folder_and_no_partial_tables(tmp_path: Path) -> None:
    def fail_at_round_4(model: FederationMarket) -> None:
        if model.round == 4:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        run_scenario(busy(), tmp_path, run_id="broken", on_round=fail_at_round_4)
    assert list(tmp_path.iterdir()) == []  # no run folder, no .tmp- folder


def test_a_streamed_model_refuses_in_memory_tables(tmp_path: Path) -> None:
    model = run_model(busy(), record_to=tmp_path)
    with pytest.raises(SimflError, match="streamed to"):
        model.tables()


def test_agents_every_k_records_genesis_every_kth_step_and_the_final_round(
    tmp_path: Path,
) -> None:
    every = read_tables(run_scenario(busy(rounds=7), tmp_path, run_id="every"))
    sparse = read_tables(
        run_scenario(busy(rounds=7, **{"collect.agents_every": 3}), tmp_path, run_id="sparse")
    )
    assert sorted(sparse["agents"]["step"].unique()) == [0, 3, 6, 7]
    kept = every["agents"][every["agents"]["step"].isin([0, 3, 6, 7])].reset_index(drop=True)
    pd.testing.assert_frame_equal(sparse["agents"], kept, check_exact=True)
    for name in ("model", "scores", "events", "flows", "comparison"):  # the run is the same
        pd.testing.assert_frame_equal(sparse[name], every[name], check_exact=True, obj=name)


def test_market_views_show_the_history_so_far_without_copying_it() -> None:
    model = FederationMarket(busy(), seed=2)
    for _ in range(3):
        model.step()
    view = model.view
    assert [len(h) for h in view.price_history] == [4] * 4  # the opening price + 3 closes
    assert len(view.score_history) == 3
    assert view.price_history[1][-1] == model.price_history[1][-1]
    model.step()
    assert [len(h) for h in view.price_history] == [4] * 4  # an old view does not change
    assert view.price_history[1] == tuple(model.price_history[1][:4])


def test_prefix_reads_like_a_tuple_of_the_items_it_was_given() -> None:
    items = [3.0, 1.0, 4.0, 1.5]
    seen = Prefix(items)
    items.append(9.0)
    assert len(seen) == 4 and list(seen) == [3.0, 1.0, 4.0, 1.5]
    assert seen[-1] == 1.5 and seen[0] == 3.0
    assert seen[-2:] == (4.0, 1.5) and seen[-10:] == (3.0, 1.0, 4.0, 1.5)
    assert seen[::2] == (3.0, 4.0) and seen[1:3] == (1.0, 4.0)
    assert seen == (3.0, 1.0, 4.0, 1.5) and seen != (3.0, 1.0, 4.0, 1.5, 9.0)
    with pytest.raises(IndexError):
        seen[4]
    with pytest.raises(IndexError):
        seen[-5]


@pytest.mark.parametrize("decay", [0.95, 0.5, 0.9999, 0.1, 0.7071067811865476])
def test_floor_power_equals_the_exact_rational_floor(decay: float) -> None:
    rng = random.Random(decay)
    ratio = Fraction(decay)
    p, q = ratio.numerator, ratio.denominator
    for _ in range(60):
        amount = rng.choice([10**21, rng.randrange(1, 10**24), rng.randrange(1, 1000)])
        k = rng.choice([rng.randrange(0, 30), rng.randrange(30, 4000)])
        assert floor_power(amount, ratio, k) == amount * p**k // q**k, (amount, k)


def test_floor_power_falls_back_to_the_exact_product_on_a_whole_result() -> None:
    # 2^200 · 0.5^100 is exactly 2^100: the bounds straddle it, the exact product decides
    assert floor_power(2**200, Fraction(1, 2), 100) == 2**100
    assert floor_power(2**200 - 1, Fraction(1, 2), 100) == 2**100 - 1
    assert floor_power(3**300, Fraction(2, 3), 150) == 2**150 * 3**150


def test_comparison_from_streamed_tables_equals_the_in_memory_comparison(
    tmp_path: Path, tiny_chunks: None
) -> None:
    from simfl.runner import compare_payouts

    scenario = busy(
        **{"market.reward.mode": "buyback", "compare": ["size"], "compare_modes": ["direct"]}
    )
    run_dir = run_scenario(scenario, tmp_path, run_id="compared")
    streamed = read_tables(run_dir, ("comparison",))["comparison"]
    model = run_model(scenario)  # in memory: every table, every comparison market
    clients = read_manifest(run_dir)["clients"]
    expected = compare_payouts(model, model.tables(), clients)
    assert set(expected["varies"]) == {"own", "method", "mode"}
    expected = read_back(expected, tmp_path / "expected.parquet")
    pd.testing.assert_frame_equal(streamed, expected, check_exact=True)
