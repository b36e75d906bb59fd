"""Per-client series (simfl/analysis/series.py) against a hand-built wide frame."""

import pandas as pd

from simfl.analysis.series import client_columns, client_series, client_wide


def wide_frame() -> pd.DataFrame:
    """Two rounds, three clients stored out of order (2, 0, 10), with look-alike columns
    that are no client's price (`price_min`, `prices_0`) and another quantity."""
    return pd.DataFrame(
        {
            "round": [0, 1],
            "price_2": [2.0, 2.5],
            "price_0": [1.0, 1.25],
            "price_min": [1.0, 1.25],
            "prices_0": [9.0, 9.0],
            "price_10": [10.0, 11.0],
            "paid_base_0": [0.0, 4.0],
            "bought_back_0": [0.0, 3.0],
            "paid_base_2": [0.0, 5.0],
        }
    )


def test_client_columns_keep_the_frames_order_and_skip_look_alikes():
    frame = wide_frame()
    assert client_columns(frame, "price") == ["price_2", "price_0", "price_10"]
    assert client_columns(frame, "paid_base", "bought_back") == [
        "paid_base_0", "bought_back_0", "paid_base_2",
    ]  # fmt: skip
    assert client_columns(frame, "weight") == []


def test_client_wide_labels_columns_by_client_in_client_order():
    wide = client_wide(wide_frame(), "price")
    assert list(wide.columns) == [0, 2, 10]
    assert wide[10].tolist() == [10.0, 11.0]
    assert wide.loc[1].tolist() == [1.25, 2.5, 11.0]


def test_client_series_is_long_one_row_per_round_and_client():
    long = client_series(wide_frame(), "price")
    expected = pd.DataFrame(
        {
            "round": [0, 0, 0, 1, 1, 1],
            "client": [0, 2, 10, 0, 2, 10],
            "value": [1.0, 2.0, 10.0, 1.25, 2.5, 11.0],
        }
    )
    pd.testing.assert_frame_equal(long, expected)


def test_client_series_takes_another_step_column_and_handles_no_clients():
    frame = wide_frame().rename(columns={"round": "step"})
    assert client_series(frame, "paid_base", step="step")["value"].tolist() == [0.0, 0.0, 4.0, 5.0]
    empty = client_series(frame, "weight", step="step")
    assert list(empty.columns) == ["step", "client", "value"] and empty.empty
