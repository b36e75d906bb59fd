"""`FederationMarket`: one Mesa step = one FL round followed by the market's response.

The round reads like DESIGN.md's mechanism (see `step`): train → score → allocate →
announce and front-run → distribute → trade in `substeps` → collect and check the
ledger's invariants. The FL engine and the token ledger never see each other; this
module joins them. All randomness comes from the seed: Mesa's `model.rng` drives the
market, and the FL engine gets its own stream spawned from the same seed, so the FL
trajectory depends only on the FL settings and the seed.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from fractions import Fraction
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simfl.chain import Ledger, router
from simfl.chain.kinds import pool_kind, pool_params
from simfl.collection import AGENT_COLUMNS, model_reporters, result_tables
from simfl.config import BASE_UNIT, Scenario, load_scenario, to_base_units
from simfl.config.shipped import scenarios_dir
from simfl.errors import InvariantViolation, ScenarioError
from simfl.fl.results import RoundResult
from simfl.fl.streams import fl_stream  # the FL engine's stream; imported from here too
from simfl.market import payout
from simfl.market.agents import SINKS, FLClient, Sink, Trader
from simfl.market.context import MarketContext, no_genesis_sale
from simfl.market.federation import Federation, PayoutPlan
from simfl.market.history import Prefix
from simfl.market.investors import Investor, LiquidityProvider
from simfl.market.mechanism import allocation_weights, payout_mode, scheduled_amount
from simfl.market.strategies import MarketView
from simfl.market.valuation import Valuation
from simfl.recording import RunCollector
from simfl.sources import ScoreSource, make_source

QUICKSTART = scenarios_dir() / "quickstart.yaml"  # the default: a checkout's or a wheel's


class FederationMarket(mesa.Model):
    """Client-specific tokens traded in AMM pools around a real federated-learning loop.

    Args:
        scenario: a YAML path, a mapping or a validated `Scenario`; default: the shipped
            quickstart.
        seed: the run's seed; None draws a fresh one from the OS (Mesa's convention, so
            `mesa.batch_run` iterations without a seed differ), kept in `self.seed`
            and `self.scenario.seed`. `run_model` and `simfl run` pass the scenario's.
        overrides: dotted keys to set, as `--set` does.
        source: a ready score source (the sweep's FL-trajectory cache); default: the
            scenario's `scores.source`.
    """

    def __init__(
        self,
        scenario: str | Path | dict[str, Any] | Scenario | None = None,
        seed: int | None = None,
        overrides: dict[str, Any] | None = None,
        source: ScoreSource | None = None,
    ) -> None:
        config = load_scenario(scenario if scenario is not None else QUICKSTART, overrides)
        seed = int(np.random.SeedSequence().generate_state(1)[0]) if seed is None else int(seed)
        super().__init__(seed=seed)
        self.scenario = config.model_copy(update={"seed": seed})
        self.seed = seed
        self.rounds = config.rounds
        self.reward = config.market.reward
        self.pay_by = config.fl.contribution.pay_by
        self.base_unit = BASE_UNIT
        self.source = (
            source
            if source is not None
            else make_source(config, fl_stream(self.scenario.fl_stream_seed))
        )
        self.n_clients = self.source.n_clients
        self.round = 0
        self.initial = self.source.initial  # the model before round 1: step 0, round 1's v(∅)
        self.accuracy = self.previous_accuracy = self.initial.accuracy
        self.loss = self.initial.loss
        self.weights: list[Fraction] = [Fraction(0)] * self.n_clients
        self.last_result: RoundResult | None = None
        self.trajectory: list[RoundResult] = []  # every round's FL result, for replays
        self.score_rows: list[tuple[int, int, str, float, bool, int]] = []
        self.event_marks: list[int] = [0]  # ledger.events index where each step starts
        self.revenue = self.emission = self.from_treasury = 0
        self.plan: PayoutPlan | None = None  # this round's payout, once planned
        self.timings = {"fl_seconds": 0.0, "market_seconds": 0.0}  # manifest only, never tables

        self._genesis()
        self.datacollector = RunCollector(
            model_reporters=model_reporters(self),
            agent_reporters={column: column for column in AGENT_COLUMNS},
            agents_every=self.scenario.collect.agents_every,
        )
        self.datacollector.collect(self)  # step 0: the market at genesis

    # ------------------------------------------------------------------ genesis

    def _genesis(self) -> None:
        """Tokens, pools and agents; every pool opens at the genesis price.

        Everything minted here is named by a scenario key and owned by a row of
        `agents.parquet`: the pools' seed (`market.pool`, from `pool.source`), the
        treasury (`market.treasury.initial`), clients' endowments, investors' and LPs'
        budgets; CST that investors (`genesis_tokens`) and LPs (`deploy`) hold at genesis
        is minted for, and sold by, the federation at the genesis price.
        """
        market = self.scenario.market
        self.ledger = Ledger()
        self.base = self.ledger.register_token("BASE")
        self.tokens = [self.ledger.register_token(f"CST_{i}") for i in range(self.n_clients)]
        self.pool_kind = pool_kind(market.pool.kind)  # `market.pool.kind` (chain/kinds.py)
        fee_to = Federation.account if market.pool.protocol_fee else None
        # fee_bps and every key the kind declares, in exact units (chain/kinds.py)
        self.pool_params = pool_params(market.pool.model_dump(), fee_to)
        self.pools = [
            self.pool_kind.build(self.ledger, token, self.base, self.pool_params)
            for token in self.tokens
        ]
        self.valuation = Valuation(self.ledger, self.pools, self.tokens, self.base)
        # live read-only balance maps: the market's hot path reads these directly
        self.base_book, self.books = self.valuation.base_book, self.valuation.books
        self.seed_base = self.to_units(market.pool.seed_base)
        self.seed_tokens = self.to_units(market.pool.seed_tokens)
        self.genesis_price = self.seed_base / self.seed_tokens
        # CST in each pool's seed: what opens a pool of this kind at seed_base / seed_tokens
        # (seed_tokens itself for constant product; a quarter of it for an 80/20 pool)
        self.pool_tokens = self.pool_kind.genesis_tokens(
            self.seed_base, self.seed_base, self.seed_tokens, self.pool_params
        )
        self.transaction_cost = self.to_units(market.transaction_cost)
        self.treasury_initial = self.to_units(market.treasury.initial)
        self.spends_treasury = market.treasury.spend == "even" and self.treasury_initial > 0
        self.context = MarketContext(  # what traders act through (not this model)
            self.ledger,
            self.pools,  # type: ignore[arg-type]
            self.tokens,
            self.base,
            BASE_UNIT,
            self.rng,
            self.seed_base,
            self.seed_tokens,
            self.transaction_cost,
        )
        self.federation = Federation(self)
        self.context.genesis_sale = self.federation.genesis_sale
        self.context.token_share = self.pool_kind.token_share(self.pool_params)
        if self.treasury_initial:
            self.ledger.mint(self.base, Federation.account, self.treasury_initial)

        settings = market.clients
        self.clients = [
            FLClient(self, i, self.source.behaviours[i], settings) for i in range(self.n_clients)
        ]
        for client in self.clients:
            client.cost = self.to_units(settings.cost_per_round)
            if settings.endowment:
                self.ledger.mint(self.base, client.account, self.to_units(settings.endowment))
            if settings.token_endowment:
                token = self.tokens[client.client_index]
                self.ledger.mint(token, client.account, self.to_units(settings.token_endowment))

        self.investors: list[Investor] = []
        for number, group in enumerate(g for g in market.investors for _ in range(g.count)):
            investor = Investor(self, number, group)
            self.ledger.mint(self.base, investor.account, investor.budget)
            self.investors.append(investor)
        self.liquidity_providers: list[LiquidityProvider] = []
        for number, group in enumerate(
            g for g in market.liquidity_providers for _ in range(g.count)
        ):
            provider = LiquidityProvider(self, number, group)
            self.ledger.mint(self.base, provider.account, provider.budget)
            self.liquidity_providers.append(provider)
        self.sinks = [Sink(self, name, account) for name, account in SINKS]

        if market.pool.source == "treasury":
            self.federation.deploy_pools(self.seed_base, self.pool_tokens)
        else:
            self._seed_from_liquidity_providers()
        for investor in self.investors:
            investor.buy_at_genesis(investor.group.genesis_share)
        for provider in self.liquidity_providers:
            provider.deploy(provider.group.deploy)
        self.context.genesis_sale = no_genesis_sale  # genesis is over: no CST at its price

        self.fee_yields = self.context.fee_yields  # one list: traders observe it
        self.cumulative_fees = [0.0] * self.n_clients  # whole BASE of swap fees per pool
        self.round_fees = [0.0] * self.n_clients  # whole BASE of swap fees per pool this round
        self.fees_counted = [(0, 0)] * self.n_clients  # (BASE, CST) fee units already valued
        self.price_history = [[pool.price(t)] for pool, t in zip(self.pools, self.tokens)]
        self.score_history: list[tuple[float, ...]] = []
        self.view = self._market_view("trading", [0] * self.n_clients)

        self.nothing = (0,) * (3 + self.n_clients)  # the valuation of an empty account
        genesis_values = self.valuation.all()  # PnL baselines: what each owner brought
        for agent in (*self.traders, self.federation):
            spot, liquidation = genesis_values.get(agent.account, self.nothing)[:2]
            agent.initial_value, agent.initial_liquidation = spot, liquidation
        self.frontrunners = [i for i in self.investors if i.rule.schedule == "before_payout"]
        # these act once a round, in the first substep; other investors act in any
        # substep with their group's `activity` chance
        self.once_a_round = [*self.clients, *self.liquidity_providers, *self.frontrunners]
        self.occasional = [i for i in self.investors if i.rule.schedule == "occasional"]
        self.activity = np.array([i.group.activity for i in self.occasional], dtype=float)
        self._close_round()
        self.ledger.check_invariants()

    def _seed_from_liquidity_providers(self) -> None:
        """`pool.source: liquidity_providers`: the LPs bring both sides of every pool's
        seed, in equal parts, the CST side bought from the federation at the genesis
        price; the first part opens the pool at `seed_base / seed_tokens`."""
        providers = self.liquidity_providers
        if not providers:
            raise ScenarioError(
                "market.pool.source: 'liquidity_providers' needs at least one liquidity "
                "provider (market.liquidity_providers); add a group or use source 'treasury'"
            )
        count = len(providers)
        part_base, part_tokens = self.seed_base // count, self.pool_tokens // count
        need = len(self.pools) * (part_base + self.federation.genesis_price_of(part_tokens))
        poor = [p.account for p in providers if p.budget < need]
        if poor:
            raise ScenarioError(
                f"market.pool.source: 'liquidity_providers' needs {need / BASE_UNIT:g} BASE "
                f"from each LP ({count} LPs seed {len(self.pools)} pools of "
                f"{self.seed_base / BASE_UNIT:g} BASE each, both sides); "
                f"{len(poor)} have less: raise their budget or seed less"
            )
        for index, pool in enumerate(self.pools):
            token = self.tokens[index]
            for provider in providers:
                self.federation.genesis_sale(provider.account, index, part_tokens)
                amounts = (part_tokens, part_base) if pool.token0 == token else (
                    part_base, part_tokens)  # fmt: skip
                pool.add_liquidity(provider.account, *amounts)
                provider.deposited_base[index] += part_base
                provider.deposited_tokens[index] += part_tokens
                provider.entry_price[index] = self.genesis_price

    @property
    def view(self) -> MarketView:
        """What every trader observes now (kept in the traders' context)."""
        return self.context.view  # type: ignore[return-value]

    @view.setter
    def view(self, view: MarketView) -> None:
        self.context.view = view

    @property
    def traders(self) -> list[Trader]:
        return [*self.clients, *self.investors, *self.liquidity_providers]

    @property
    def owners(self) -> list[Any]:
        """Every row of `agents.parquet`: the federation, traders and sinks."""
        return [self.federation, *self.traders, *self.sinks]

    def treasury_share(self, round_number: int) -> int:
        """BASE of `treasury.initial` paid out in round `round_number` under `spend: even`:
        `⌊I·t/T⌋ − ⌊I·(t−1)/T⌋`, so the rounds' shares sum to `I` exactly; 0 under `hold`."""
        if not self.spends_treasury or not 1 <= round_number <= self.rounds:
            return 0
        initial, rounds = self.treasury_initial, self.rounds
        return initial * round_number // rounds - initial * (round_number - 1) // rounds

    # --------------------------------------------------------------------- step

    def step(self) -> None:
        """One FL round and the market's response, in DESIGN.md's order.

        A step after the final round only stops the model (`running` turns False):
        Mesa counts it, so `mesa.batch_run` returns the genesis row and every round
        (Step 0..rounds, Step = round), and nothing runs past `rounds`.
        """
        if self.round >= self.rounds:
            self.running = False
            return
        self.round += 1
        self.event_marks.append(len(self.ledger.events))
        for client in self.clients:
            client.start_round()
        clock = time.perf_counter()
        refused = self._participation()  # clients whose expected reward is below cost
        fl_clock = time.perf_counter()
        result = self.source.run_round(refused)  # 1. train (or replay)
        fl_seconds = time.perf_counter() - fl_clock
        self._record_scores(result)  # 2. score
        self.weights = allocation_weights(  # 3. allocate
            result.scores[self.pay_by], self.weights, self.reward.reputation, result.participants
        )
        self._announce()  # revenue known, buy-backs announced
        self._front_run()  # front-runners buy what was announced, before the payout
        payout.execute(self, self.plan)  # 4. distribute: the federation's plan
        for client in self.clients:
            client.end_round()
        substeps = self.scenario.market.substeps
        for substep in range(substeps):  # 5. trade
            if substep:
                payout.buy_back_slice(self, self.plan, substep)  # split buy-backs
            self.view = self._market_view("trading", self.federation.announced)
            for agent in self._acting(first=substep == 0):
                agent.trade()
        self._close_round()  # 6. collect
        self.check_invariants()
        self.datacollector.collect(self)
        self.timings["fl_seconds"] += fl_seconds
        self.timings["market_seconds"] += time.perf_counter() - clock - fl_seconds

    def _front_run(self) -> None:
        """Each front-runner, with its group's `activity` chance and in a seeded random
        order, buys the announced buy-backs before the federation does."""
        runners = [r for r in self.frontrunners if self.random.random() < r.group.activity]
        self.random.shuffle(runners)
        for runner in runners:
            runner.front_run()

    def _acting(self, first: bool) -> list[Trader]:
        """This substep's traders in a seeded random order: clients, LPs and front-runners
        in the first substep only, plus each other investor with its group's `activity`
        chance (drawn at once, so idle investors cost nothing)."""
        chosen = np.flatnonzero(self.rng.random(len(self.occasional)) < self.activity)
        occasional = self.occasional
        agents = (self.once_a_round if first else []) + [occasional[i] for i in chosen]
        self.random.shuffle(agents)
        return agents

    def _participation(self) -> Collection[int]:
        refused = [c.client_index for c in self.clients if not c.decide_participation()]
        return refused

    def _record_scores(self, result: RoundResult) -> None:
        self.last_result = result
        self.trajectory.append(result)
        self.previous_accuracy = self.accuracy
        self.accuracy, self.loss = result.accuracy, result.loss
        participants = set(result.participants)
        for client in self.clients:
            client.participating = client.client_index in participants
            if client.participating:
                client.pay_training_cost()
        for method, values in result.scores.items():
            spent = int(result.evaluations.get(method, 0))  # this round's, on every row
            for index, value in enumerate(values):
                self.score_rows.append(
                    (result.round, index, method, float(value), index in participants, spent)
                )

    def _announce(self) -> None:
        """This round's revenue (not in `mint` mode, which earns nothing) and emission
        (only in `mint` and `hybrid`), and the buy-backs they fund. Round 1's accuracy
        gain counts from the initial model's validation accuracy (the source's `initial`)."""
        reward = self.reward
        args = (self.round, self.accuracy, self.previous_accuracy)
        revenue, emission = reward.revenue, reward.emission
        self.revenue = (
            0
            if not payout_mode(reward.mode).earns_revenue
            else scheduled_amount(revenue.kind, self.to_units(revenue.amount), revenue.decay, *args)
        )
        self.emission = (
            scheduled_amount(emission.kind, self.to_units(emission.amount), emission.decay, *args)
            if payout_mode(reward.mode).mints
            else 0
        )
        self.from_treasury = self.treasury_share(self.round)
        self.plan = self.federation.plan_payout(  # announced: the buy-backs
            self.weights, self.revenue, self.emission, self.from_treasury
        )
        self.view = self._market_view("pre_payout", self.federation.announced)

    def _market_view(self, phase: str, announced: list[int]) -> MarketView:
        prices = tuple(pool.price(token) for pool, token in zip(self.pools, self.tokens))
        # circulating supply: what is outside the token's own pool
        supplies = [
            (self.ledger.total_supply(token) - pool.reserve_of(token)) / BASE_UNIT
            for pool, token in zip(self.pools, self.tokens)
        ]
        return MarketView(
            round=self.round,
            phase=phase,  # type: ignore[arg-type]
            prices=prices,
            genesis_price=self.genesis_price,
            # snapshots that copy nothing: the histories only grow at their end
            price_history=tuple(Prefix(h) for h in self.price_history),
            score_history=Prefix(self.score_history),
            market_caps=tuple(p * s for p, s in zip(prices, supplies)),
            announced_buyback=tuple(a / BASE_UNIT for a in announced),
        )

    def _close_round(self) -> None:
        """Closing prices, exact fees and every owner's values, for the next round.

        Each pool settles its fees (exact per-LP shares); the round's new fees are valued
        in BASE with the token side at the closing spot (rounded down), so the cumulative
        value never falls.
        """
        for index, (pool, token) in enumerate(zip(self.pools, self.tokens)):
            if self.round:
                self.price_history[index].append(pool.price(token))
            pool.settle_fees()
            fees = pool.fees_total()
            fees_token, fees_base = fees if pool.token0 == token else fees[::-1]
            counted_base, counted_token = self.fees_counted[index]
            self.fees_counted[index] = (fees_base, fees_token)
            new_units = (fees_base - counted_base) + router.spot_value(
                pool, token, fees_token - counted_token
            )
            new = new_units / BASE_UNIT
            reserve_base = pool.reserve_of(self.base)  # the pool's value at spot, in BASE:
            depth = (reserve_base + router.spot_value(pool, token, pool.reserve_of(token))) / (
                BASE_UNIT
            )
            self.round_fees[index] = new
            self.fee_yields[index] = new / depth if depth else 0.0
            self.cumulative_fees[index] += new
        if self.round:
            self.score_history.append(tuple(float(w) for w in self.weights))
        self.view = self._market_view("trading", [0] * self.n_clients)
        values = self.valuation.all()
        for agent in self.owners:
            agent.refresh_values(values.get(agent.account, self.nothing))

    def check_invariants(self) -> None:
        """Stop the run if money was created or lost anywhere (pool reserves included:
        they are the pools' ledger balances), or if a unit has no reported owner (every
        holder must be a row of `agents.parquet` or a pool, whose reserves its LP units
        own)."""
        try:
            self.ledger.check_invariants()
        except InvariantViolation as err:
            raise InvariantViolation(f"round {self.round}: {err}") from None
        owners = {owner.account for owner in self.owners}
        owners.update(pool.address for pool in self.pools)
        for token in self.ledger.tokens():
            for account, held in self.ledger.balances_of(token).items():
                if held and account not in owners:
                    raise InvariantViolation(
                        f"round {self.round}: {account!r} holds {held} {token} but is no row "
                        "of agents.parquet: every unit needs a reported owner"
                    )

    # ---------------------------------------------------------------- valuation

    def to_units(self, whole_tokens: float) -> int:
        """Exact base units for an amount in whole tokens (config → ledger); rounds
        half-even at the 18th decimal (`to_base_units`)."""
        return to_base_units(whole_tokens)

    # -------------------------------------------------------------- collection

    def tables(self) -> dict[str, pd.DataFrame]:
        """The run's result tables (model, agents, scores, events), deterministic order."""
        return result_tables(self)


def run_model(
    scenario: str | Path | dict[str, Any] | Scenario,
    seed: int | None = None,
    overrides: dict[str, Any] | None = None,
    source: ScoreSource | None = None,
    on_round: Any = None,
    record_to: Path | None = None,
    on_start: Any = None,
) -> FederationMarket:
    """Build a model and run it to the end; `on_start(model)` once it is built,
    `on_round(model)` after every round.

    `seed` None means the scenario's. With `record_to`, the tables are written into
    that folder in chunks as the run goes (`RunCollector.stream_to`) and finished
    at the end; the model then keeps no table in memory.
    """
    config = load_scenario(scenario, overrides)
    model = FederationMarket(config, seed=config.seed if seed is None else seed, source=source)
    if record_to is not None:
        model.datacollector.stream_to(record_to, model)
    if on_start is not None:
        on_start(model)  # set up (data, clients, pools): round 1 starts now
    while model.round < model.rounds:
        model.step()
        if on_round is not None:
            on_round(model)
    model.step()  # the closing step: no round left, the model stops
    if record_to is not None:
        model.datacollector.close(model)
    return model


__all__ = ["FederationMarket", "fl_stream", "run_model"]
