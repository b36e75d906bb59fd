"""FederationMarket: the round's mechanism, market reactions, determinism, Mesa tools."""

from pathlib import Path

import mesa
import pytest

from simfl.chain import ConstantProductPool, Ledger
from simfl.errors import InvariantViolation
from simfl.market.mechanism import allocation_weights
from simfl.market.strategies import impermanent_loss
from simfl.model import FederationMarket, run_model
from tests.market.scenarios import market, synthetic

UNIT = 10**18


def test_genesis_prices_are_equal_across_clients() -> None:
    model = market(synthetic(**{"market.pool.seed_base": 500, "market.pool.seed_tokens": 2000}))
    prices = {pool.price(token) for pool, token in zip(model.pools, model.tokens)}
    assert prices == {0.25}
    assert all(pool.reserves == model.pools[0].reserves for pool in model.pools)


def test_liquidity_providers_deposit_at_the_genesis_price_so_pools_open_there() -> None:
    model = market(
        synthetic(
            **{
                "market.pool.seed_base": 300,
                "market.pool.seed_tokens": 1200,
                "market.liquidity_providers": [{"count": 2, "budget": 4000, "deploy": 1.0}],
            }
        )
    )
    assert len({pool.reserves for pool in model.pools}) == 1
    # each LP: 1,000 BASE per pool, half of it buying 2,000 CST at 0.25 from the federation
    assert model.pools[0].reserves == ((1200 + 2 * 2000) * UNIT, (300 + 2 * 500) * UNIT)
    assert model.pools[0].price(model.tokens[0]) == model.genesis_price == 0.25
    assert model.price_history[0] == [0.25]
    assert model.federation.sold_at_genesis == [4000 * UNIT] * 4


def test_direct_mode_pays_exactly_revenue_times_weight() -> None:
    model = market(synthetic(**{"market.reward.revenue": 1234.5}))
    before = [model.ledger.balance(model.base, c.account) for c in model.clients]
    model.step()
    weights = allocation_weights(model.last_result.scores["loo"])
    revenue = 1234_500_000_000_000_000_000
    for client, had, weight in zip(model.clients, before, weights):
        paid = model.ledger.balance(model.base, client.account) - had
        assert paid == int(revenue * weight)
    assert sum(weights) == 1


def test_buyback_raises_the_price_and_selling_minted_tokens_lowers_it() -> None:
    buyback = market(synthetic(**{"market.reward.mode": "buyback"}))
    start = [p.price(t) for p, t in zip(buyback.pools, buyback.tokens)]
    buyback.step()
    after = [p.price(t) for p, t in zip(buyback.pools, buyback.tokens)]
    assert all(a > s for a, s in zip(after, start))

    minting = market(
        synthetic(
            **{
                "market.reward.mode": "mint",
                "market.clients.policy": "sell_fraction",
                "market.clients.fraction": 1.0,
            }
        )
    )
    minting.step()
    assert all(p.price(t) < 1.0 for p, t in zip(minting.pools, minting.tokens))
    assert all(c.trades == 1 for c in minting.clients)


def test_buyback_burns_what_it_buys_when_told_to() -> None:
    model = market(
        synthetic(**{"market.reward.mode": "buyback", "market.reward.bought_back": "burn"})
    )
    supply = [model.ledger.total_supply(t) for t in model.tokens]
    model.step()
    assert all(model.ledger.total_supply(t) < s for t, s in zip(model.tokens, supply))


def test_buyback_forwards_what_it_buys_to_the_contributors_by_default() -> None:
    model = market(synthetic(**{"market.reward.mode": "buyback"}))
    model.step()
    held = [model.ledger.balance(t, c.account) for t, c in zip(model.tokens, model.clients)]
    assert all(h > 0 for h in held)
    assert held == sorted(held)  # synthetic quality rises with the client index


def test_buybacks_spend_each_rounds_revenue_down_to_the_rounding_dust() -> None:
    model = run_model(synthetic(**{"market.reward.mode": "buyback", "rounds": 3}))
    spent = sum(model.federation.bought_back_base)
    revenue = model.federation.revenue_total
    assert revenue == 3 * 1000 * 10**18
    assert 0 <= revenue - spent < 3 * model.n_clients  # floor loses < 1 unit per payout
    assert model.ledger.balance(model.base, "federation") == revenue - spent


def test_same_seed_gives_identical_tables_and_another_seed_differs() -> None:
    scenario = synthetic(
        **{"market.investors": [{"strategy": "noise", "count": 20, "budget": 100}]}
    )
    a, b = run_model(scenario).tables(), run_model(scenario).tables()
    for name in a:
        assert a[name].equals(b[name]), name
    c = run_model(scenario, seed=8).tables()
    assert not a["agents"].equals(c["agents"])


def test_every_investor_strategy_trades_and_stays_solvent() -> None:
    strategies = ["noise", "momentum", "value", "index", "buyback_frontrunner"]
    groups = [{"strategy": s, "count": 3, "budget": 500, "activity": 1.0} for s in strategies]
    model = run_model(
        synthetic(
            **{
                "market.reward.mode": "hybrid",
                "market.investors": groups,
                "rounds": 4,
                "market.liquidity_providers": [{"count": 2, "budget": 2000}],
            }
        )
    )
    by_strategy = {s: sum(i.trades for i in model.investors if i.strategy == s) for s in strategies}
    assert all(count > 0 for count in by_strategy.values()), by_strategy
    model.check_invariants()


def test_clients_opt_out_when_rewards_do_not_cover_costs_and_rejoin_later() -> None:
    scenario = synthetic(
        **{
            "market.reward.revenue": 100,
            "market.reward.reputation": 0.8,
            "market.clients.cost_per_round": 5,
            "market.clients.endowment": 100,
            "market.clients.opt_out": True,
            "market.clients.rejoin_after": 3,
            "rounds": 6,
            "scores.synthetic.quality": [0.1, 1.0, 1.0, 8.0],
        }
    )
    model = run_model(scenario)
    refused = [result.refused for result in model.trajectory]
    assert refused == [(), (0,), (0,), (0,), (), (0,)]  # out for 3 rounds, retries, out again
    table = model.tables()["model"]
    assert table["participating_3"].iloc[1:].all()
    paid = table["paid_base_0"].diff().iloc[1:].tolist()  # per round
    assert paid[0] > 0 and paid[1:4] == [0.0, 0.0, 0.0]  # the EMA pays only participants


def test_lp_without_fees_loses_exactly_the_textbook_impermanent_loss() -> None:
    ledger = Ledger()
    base, token = ledger.register_token("BASE"), ledger.register_token("CST")
    pool = ConstantProductPool(ledger, token, base, fee_bps=0)
    ledger.mint(token, "lp", 10**24)
    ledger.mint(base, "lp", 10**24)
    pool.add_liquidity("lp", 10**24, 10**24)
    ledger.mint(base, "whale", 10**24)
    pool.swap_exact_in("whale", base, 10**24)  # doubles BASE reserve: price ratio r = 4
    ratio = pool.price(token)
    assert ratio == pytest.approx(4.0)
    got_token, got_base = pool.remove_liquidity("lp", ledger.balance(pool.lp_token, "lp"))
    value = got_base + got_token * ratio
    hold = 10**24 + 10**24 * ratio
    assert value / hold - 1 == pytest.approx(impermanent_loss(ratio), abs=1e-15)


def test_lp_agent_reports_textbook_impermanent_loss_and_no_fees_in_a_feeless_pool() -> None:
    model = run_model(
        synthetic(
            **{
                "market.pool.fee_bps": 0,
                "market.reward.mode": "buyback",
                "market.liquidity_providers": [{"count": 1, "budget": 4000, "deploy": 1.0}],
            }
        )
    )
    provider = model.liquidity_providers[0]
    expected = 0.0
    for index, price in enumerate(model.view.prices):
        hold = (provider.deposited_base[index] + provider.deposited_tokens[index] * price) / UNIT
        expected += hold * impermanent_loss(price / provider.entry_price[index])
    assert provider.fees_earned == 0.0
    assert provider.impermanent_loss < 0
    assert provider.impermanent_loss == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("mode", ["buyback", "mint"])  # prices rising, prices falling
def test_lp_fees_accrue_from_trading_and_never_fall(mode: str) -> None:
    model = run_model(
        synthetic(
            **{
                "market.reward.mode": mode,
                "market.reward.emission": 5000,
                "market.clients.policy": "sell_fraction",
                "market.clients.fraction": 1.0,
                "market.investors": [
                    {"strategy": "noise", "count": 30, "budget": 500, "activity": 1.0}
                ],
                "market.liquidity_providers": [{"count": 1, "budget": 4000, "deploy": 1.0}],
                "rounds": 6,
            }
        )
    )
    table = model.tables()
    for i in range(model.n_clients):
        assert table["model"][f"fees_base_{i}"].is_monotonic_increasing
        assert (table["model"][f"fee_yield_{i}"] >= 0).all()
    lps = table["agents"].query("kind == 'liquidity_provider'")
    assert lps["fees_earned"].is_monotonic_increasing
    assert lps["fees_earned"].iloc[-1] > 0


def test_an_lp_that_withdraws_keeps_its_realised_impermanent_loss() -> None:
    model = run_model(
        synthetic(
            **{
                "market.reward.mode": "buyback",
                "market.reward.revenue": 3000,
                "market.liquidity_providers": [
                    {"count": 1, "budget": 4000, "deploy": 1.0, "withdraw_loss": 0.001}
                ],
            }
        )
    )
    provider = model.liquidity_providers[0]
    assert not any(provider.deposited_base)  # it left every pool
    assert provider.realized_loss < 0
    assert provider.impermanent_loss == provider.realized_loss


def test_invariant_check_stops_a_run_on_a_corrupted_ledger() -> None:
    model = market(synthetic())
    book = model.ledger._balances[model.base]
    book["client-0"] = book.get("client-0", 0) + 1  # money from nowhere
    with pytest.raises(InvariantViolation, match="BASE"):
        model.step()


def test_mesa_batch_run_drives_the_model(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(synthetic()))
    results = mesa.batch_run(
        FederationMarket,
        {"scenario": [str(path)], "seed": [1, 2]},
        max_steps=3,
        number_processes=1,
        display_progress=False,
    )
    assert {r["seed"] for r in results} == {1, 2}
    assert all("accuracy" in r and "price_0" in r for r in results)
    assert all(r["Step"] == r["round"] for r in results)  # row s: the market after round s
    assert max(r["Step"] for r in results) >= 2


def test_replay_of_a_recorded_run_reproduces_its_market(tmp_path: Path) -> None:
    from simfl.runner import read_tables, run_scenario

    original = synthetic(**{"market.investors": [{"strategy": "value", "count": 5}]})
    run_dir = run_scenario(original, tmp_path, run_id="original")
    replayed = synthetic(
        **{
            "market.investors": [{"strategy": "value", "count": 5}],
            "scores.source": "replay",
            "scores.replay_dir": str(run_dir),
        }
    )
    again = run_scenario(replayed, tmp_path, run_id="replayed")
    first, second = read_tables(run_dir), read_tables(again)
    for name in ("model", "agents", "scores"):
        assert first[name].equals(second[name]), name


def test_replay_is_refused_with_participation_feedback(tmp_path: Path) -> None:
    from simfl.errors import ScenarioError

    with pytest.raises(ScenarioError, match="opt_out"):
        market(
            synthetic(
                **{
                    "scores.source": "replay",
                    "scores.replay_dir": str(tmp_path),
                    "market.clients.opt_out": True,
                }
            )
        )


def test_replay_of_a_folder_without_a_run_names_what_is_missing(tmp_path: Path) -> None:
    from simfl.errors import ScenarioError

    scenario = synthetic(**{"scores.source": "replay", "scores.replay_dir": str(tmp_path)})
    with pytest.raises(ScenarioError, match="missing manifest.json"):
        market(scenario)


def test_all_at_once_valuations_equal_per_account_portfolio_values() -> None:
    model = run_model(
        synthetic(
            **{
                "market.reward.mode": "hybrid",
                "market.investors": [{"strategy": "noise", "count": 10, "activity": 1.0}],
                "market.liquidity_providers": [{"count": 2, "budget": 3000}],
            }
        )
    )
    values = model.valuation.all()
    accounts = [t.account for t in model.traders] + ["federation"]
    for account in accounts:
        assert tuple(values.get(account, model.nothing)[:3]) == model.valuation.account(account)
        held = [model.ledger.balance(token, account) for token in model.tokens]
        assert list(values.get(account, model.nothing)[3:]) == held


def test_front_runners_buy_before_the_buyback_and_sell_after() -> None:
    model = market(
        synthetic(
            **{
                "market.reward.mode": "buyback",
                "market.investors": [
                    {"strategy": "buyback_frontrunner", "count": 2, "activity": 1.0}
                ],
            }
        )
    )
    model.step()
    events = model.tables()["events"].query("step == 1 and kind == 'swap'")
    runners = {r.account for r in model.frontrunners}
    actors = [
        "runner" if sender in runners else "federation" if sender == "federation" else "other"
        for sender in events["sender"]
        if not sender.startswith("pool:")
    ]
    first_fed, last_fed = actors.index("federation"), len(actors) - actors[::-1].index("federation")
    assert set(actors[:first_fed]) == {"runner"}  # they bought first
    assert "runner" in actors[last_fed:]  # and sold after the payout
    assert all(model.ledger.balance(t, r) == 0 for t in model.tokens for r in runners)


def test_investors_with_no_activity_never_trade() -> None:
    model = run_model(
        synthetic(**{"market.investors": [{"strategy": "noise", "count": 10, "activity": 0.0}]})
    )
    assert all(investor.trades == 0 for investor in model.investors)


@pytest.mark.parametrize("fee_bps", [0, 30, 100])
def test_a_huge_order_is_cut_to_the_investors_slippage_limit(fee_bps: int) -> None:
    model = market(
        synthetic(
            **{
                "market.pool.fee_bps": fee_bps,
                "market.investors": [{"strategy": "noise", "count": 1, "max_slippage_bps": 200}],
            }
        )
    )
    investor, pool, token = model.investors[0], model.pools[0], model.tokens[0]
    reserve_base, reserve_token = pool.reserve_of(model.base), pool.reserve_of(token)
    cash_before = model.ledger.balance(model.base, investor.account)
    got = investor.buy(0, cash_before)  # asks for its whole budget
    spent = cash_before - model.ledger.balance(model.base, investor.account)
    assert 0 < spent < cash_before
    assert got * reserve_base / reserve_token >= 0.98 * spent  # within 200 bps of spot
