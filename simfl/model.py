"""`FederationMarket`: one Mesa step = one FL round followed by the market's response.

The round reads like DESIGN.md's mechanism (see `step`): train → score → allocate →
announce and front-run → distribute → trade in `substeps` → collect and check the
ledger's invariants. The FL engine and the token ledger never see each other; this
module joins them. All randomness comes from the seed: Mesa's `model.rng` drives the
market, and the FL engine gets its own stream spawned from the same seed, so the FL
trajectory depends only on the FL settings and the seed.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Collection
from fractions import Fraction
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simfl.chain import ConstantProductPool, Ledger, get_amount_out
from simfl.config import BASE_UNIT, Scenario, load_scenario, to_base_units
from simfl.errors import InvariantViolation
from simfl.fl.engine import RoundResult
from simfl.market.agents import Federation, FLClient, Trader
from simfl.market.investors import Investor, LiquidityProvider
from simfl.market.mechanism import allocation_weights, scheduled_amount
from simfl.market.strategies import MarketView
from simfl.sources import ScoreSource, make_source

NOTHING = (0, 0, 0)  # valuation of an account that holds nothing

AGENT_COLUMNS = (
    "kind",
    "strategy",
    "client_index",
    "participating",
    "base",
    "tokens_value",
    "own_tokens",
    "value_spot",
    "value_liquidation",
    "pnl",
    "received_base",
    "received_tokens",
    "costs_paid",
    "slippage_paid",
    "trades",
    "fees_earned",
    "impermanent_loss",
)


def position_value(
    held: int, shares: int, reserve_base: int, reserve_token: int, lp_supply: int, fee_bps: int
) -> tuple[int, int, int]:
    """BASE base units of `held` CST plus `shares` LP units of a CST/BASE pool.

    Returns (spot, liquidation, spot value of `held` alone): the LP share's reserves are
    taken out first, then all the CST is marked at spot or sold into what remains.
    Rounds down throughout.
    """
    tokens_spot = held * reserve_base // reserve_token if held else 0
    spot = liquidation = 0
    if shares:
        base_part = reserve_base * shares // lp_supply
        token_part = reserve_token * shares // lp_supply
        spot = liquidation = base_part
        reserve_base -= base_part
        reserve_token -= token_part
        held += token_part
    if held and reserve_token:
        spot += held * reserve_base // reserve_token
        liquidation += get_amount_out(held, reserve_token, reserve_base, fee_bps)
    return spot, liquidation, tokens_spot


def fl_stream(seed: int) -> np.random.Generator:
    """The FL engine's generator: a child of `seed`, independent of the market's stream."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


class FederationMarket(mesa.Model):
    """Client-specific tokens traded in AMM pools around a real federated-learning loop.

    Args:
        scenario: a YAML path, a mapping or a validated `Scenario`.
        seed: overrides the scenario's seed (Mesa's `batch_run` passes it).
        overrides: dotted keys to set, as `--set` does.
        source: a ready score source (the sweep's FL-trajectory cache); default: the
            scenario's `scores.source`.
    """

    def __init__(
        self,
        scenario: str | Path | dict[str, Any] | Scenario = "scenarios/quickstart.yaml",
        seed: int | None = None,
        overrides: dict[str, Any] | None = None,
        source: ScoreSource | None = None,
    ) -> None:
        config = load_scenario(scenario, overrides)
        seed = config.seed if seed is None else int(seed)
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
        self.accuracy = 0.0
        self.loss = float("nan")
        self.previous_accuracy = 0.0
        self.weights: list[Fraction] = [Fraction(0)] * self.n_clients
        self.last_result: RoundResult | None = None
        self.trajectory: list[RoundResult] = []  # every round's FL result, for replays
        self.score_rows: list[tuple[int, int, str, float, bool]] = []
        self.event_marks: list[int] = [0]  # ledger.events index where each step starts
        self.revenue = self.emission = 0
        self.timings = {"fl_seconds": 0.0, "market_seconds": 0.0}  # manifest only, never tables

        self._genesis()
        self.datacollector = mesa.DataCollector(
            model_reporters=self._model_reporters(),
            agent_reporters={column: column for column in AGENT_COLUMNS},
        )
        self.datacollector.collect(self)  # step 0: the market at genesis

    # ------------------------------------------------------------------ genesis

    def _genesis(self) -> None:
        """Tokens, pools and agents; every pool opens at the same price."""
        market = self.scenario.market
        self.ledger = Ledger()
        self.base = self.ledger.register_token("BASE")
        self.tokens = [self.ledger.register_token(f"CST_{i}") for i in range(self.n_clients)]
        # live read-only balance maps: the market's hot path reads these directly
        self.base_book = self.ledger.balances_of(self.base)
        self.books = [self.ledger.balances_of(token) for token in self.tokens]
        fee_to = Federation.account if market.pool.protocol_fee else None
        self.pools = [
            ConstantProductPool(self.ledger, token, self.base, market.pool.fee_bps, fee_to)
            for token in self.tokens
        ]
        self.lp_books = [self.ledger.balances_of(pool.lp_token) for pool in self.pools]
        seed_base = self.to_units(market.pool.seed_base)
        seed_tokens = self.to_units(market.pool.seed_tokens)
        self.genesis_price = seed_base / seed_tokens
        self.federation = Federation(self)
        self.federation.deploy_pools(seed_base, seed_tokens)
        if market.treasury.initial:
            self.ledger.mint(self.base, Federation.account, self.to_units(market.treasury.initial))

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

        number = 0
        self.investors: list[Investor] = []
        for group in market.investors:
            for _ in range(group.count):
                investor = Investor(self, number, group)
                self.ledger.mint(self.base, investor.account, investor.budget)
                self.investors.append(investor)
                number += 1
        self.fee_yields = [0.0] * self.n_clients
        self.cumulative_fees = [0.0] * self.n_clients  # whole BASE of swap fees per pool
        self.round_fees = [0.0] * self.n_clients  # whole BASE of swap fees per pool this round
        self.price_history: list[list[float]] = [[self.genesis_price] for _ in self.tokens]
        self.score_history: list[tuple[float, ...]] = []
        self.view = self._market_view("trading", [0] * self.n_clients)

        self.liquidity_providers: list[LiquidityProvider] = []
        for number, group in enumerate(
            g for g in market.liquidity_providers for _ in range(g.count)
        ):
            provider = LiquidityProvider(self, number, group)
            self.ledger.mint(self.base, provider.account, provider.budget)
            provider.deploy(group.deploy)
            self.liquidity_providers.append(provider)

        genesis_values = self.valuations()  # PnL baselines: what each trader brought
        for client in self.clients:
            client.initial_value = genesis_values.get(client.account, NOTHING)[0]
        for outsider in (*self.investors, *self.liquidity_providers):
            outsider.initial_value = outsider.budget
        self.frontrunners = [i for i in self.investors if i.strategy == "buyback_frontrunner"]
        # every substep these act; other investors act with their group's `activity` chance
        self.always_acting = [*self.clients, *self.liquidity_providers, *self.frontrunners]
        self.occasional = [i for i in self.investors if i.strategy != "buyback_frontrunner"]
        self.activity = np.array([i.group.activity for i in self.occasional], dtype=float)
        self._close_round()
        self.ledger.check_invariants()

    @property
    def traders(self) -> list[Trader]:
        return [*self.clients, *self.investors, *self.liquidity_providers]

    # --------------------------------------------------------------------- step

    def step(self) -> None:
        """One FL round and the market's response, in DESIGN.md's order."""
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
            result.scores[self.pay_by], self.weights, self.reward.reputation
        )
        self._announce()  # revenue known, buy-backs announced
        for investor in self.frontrunners:  # front-runners buy before the payout
            investor.front_run()
        self.federation.distribute(self.weights, self.revenue, self.emission)  # 4. distribute
        for client in self.clients:
            client.end_round()
        for _ in range(self.scenario.market.substeps):  # 5. trade
            self.view = self._market_view("trading", self.federation.announced)
            for agent in self._acting():
                agent.trade()
        self._close_round()  # 6. collect
        self.check_invariants()
        self.datacollector.collect(self)
        if self.round >= self.rounds:
            self.running = False
        self.timings["fl_seconds"] += fl_seconds
        self.timings["market_seconds"] += time.perf_counter() - clock - fl_seconds

    def _acting(self) -> list[Trader]:
        """This substep's traders: everyone who always acts, plus each other investor
        with its group's `activity` chance (drawn at once, so idle investors cost nothing)."""
        chosen = np.flatnonzero(self.rng.random(len(self.occasional)) < self.activity)
        occasional = self.occasional
        agents = self.always_acting + [occasional[i] for i in chosen]
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
            for index, value in enumerate(values):
                self.score_rows.append(
                    (result.round, index, method, float(value), index in participants)
                )

    def _announce(self) -> None:
        reward = self.reward
        args = (self.round, self.accuracy, self.previous_accuracy)
        revenue, emission = reward.revenue, reward.emission
        self.revenue = scheduled_amount(
            revenue.kind, self.to_units(revenue.amount), revenue.decay, *args
        )
        self.emission = scheduled_amount(
            emission.kind, self.to_units(emission.amount), emission.decay, *args
        )
        self.federation.announced = self.federation.plan_buyback(self.weights, self.revenue)
        self.view = self._market_view("pre_payout", self.federation.announced)

    def _market_view(self, phase: str, announced: list[int]) -> MarketView:
        prices = tuple(pool.price(token) for pool, token in zip(self.pools, self.tokens))
        supplies = [self.ledger.total_supply(token) / BASE_UNIT for token in self.tokens]
        return MarketView(
            round=self.round,
            phase=phase,  # type: ignore[arg-type]
            prices=prices,
            genesis_price=self.genesis_price,
            price_history=tuple(tuple(h) for h in self.price_history),
            score_history=tuple(self.score_history),
            market_caps=tuple(p * s for p, s in zip(prices, supplies)),
            announced_buyback=tuple(a / BASE_UNIT for a in announced),
        )

    def _close_round(self) -> None:
        """Closing prices, fee yields and every agent's values, for the next round."""
        for index, (pool, token) in enumerate(zip(self.pools, self.tokens)):
            price = pool.price(token)
            if self.round:
                self.price_history[index].append(price)
            fees = (pool.fees_in[self.base] + pool.fees_in[token] * price) / BASE_UNIT
            depth = 2 * pool.reserve_of(self.base) / BASE_UNIT
            self.round_fees[index] = fees - self.cumulative_fees[index]
            self.fee_yields[index] = self.round_fees[index] / depth if depth else 0.0
            self.cumulative_fees[index] = fees
        if self.round:
            self.score_history.append(tuple(float(w) for w in self.weights))
        self.view = self._market_view("trading", [0] * self.n_clients)
        for provider in self.liquidity_providers:
            provider.accrue_fees(self.round_fees)
        values = self.valuations()
        for agent in (*self.traders, self.federation):
            agent.refresh_values(values.get(agent.account, NOTHING))

    def check_invariants(self) -> None:
        """Stop the run if money was created or lost anywhere (pool reserves included:
        they are the pools' ledger balances)."""
        try:
            self.ledger.check_invariants()
        except InvariantViolation as err:
            raise InvariantViolation(f"round {self.round}: {err}") from None

    # ---------------------------------------------------------------- valuation

    def to_units(self, whole_tokens: float) -> int:
        """Exact base units for an amount in whole tokens (config → ledger)."""
        return to_base_units(whole_tokens)

    def pool_state(self, index: int) -> tuple[int, int, int, int]:
        """Pool `index` as `position_value` reads it: reserves, LP supply, fee."""
        pool = self.pools[index]
        return (
            pool.reserve_of(self.base),
            pool.reserve_of(self.tokens[index]),
            pool.total_liquidity,
            pool.fee_bps,
        )

    def portfolio_values(self, account: str) -> tuple[int, int, int]:
        """BASE base units one account is worth: at spot, if it sold everything now, and
        the spot value of the CST it holds outright (see `position_value`)."""
        spot = liquidation = self.base_book.get(account, 0)
        tokens_spot = 0
        for index, book in enumerate(self.books):
            held = book.get(account, 0)
            shares = self.lp_books[index].get(account, 0)
            if held or shares:
                values = position_value(held, shares, *self.pool_state(index))
                spot += values[0]
                liquidation += values[1]
                tokens_spot += values[2]
        return spot, liquidation, tokens_spot

    def valuations(self) -> dict[str, list[int]]:
        """`portfolio_values` of every account at once, as `[spot, liquidation, tokens]`.

        Walks each token's holders in the ledger's own order instead of looking every
        agent up in every book: the same integers, far fewer cache misses.
        """
        values = {account: [balance, balance, 0] for account, balance in self.base_book.items()}
        empty = [0, 0, 0]
        for index, book in enumerate(self.books):
            lp_book = self.lp_books[index]
            state = self.pool_state(index)
            for account, held in book.items():
                if held:
                    spot, liquidation, tokens_spot = position_value(
                        held, lp_book.get(account, 0), *state
                    )
                    row = values.setdefault(account, empty.copy())
                    row[0] += spot
                    row[1] += liquidation
                    row[2] += tokens_spot
            for account, shares in lp_book.items():
                if shares and not book.get(account):
                    spot, liquidation, _ = position_value(0, shares, *state)
                    row = values.setdefault(account, empty.copy())
                    row[0] += spot
                    row[1] += liquidation
        return values

    def lp_position_value(self, index: int, account: str) -> int:
        """BASE base units of an account's LP shares in pool `index`, at spot."""
        pool = self.pools[index]
        shares = self.ledger.balance(pool.lp_token, account)
        supply = pool.total_liquidity
        if not shares or not supply:
            return 0
        # at spot both sides of a constant-product position are worth the same
        return 2 * (pool.reserve_of(self.base) * shares // supply)

    # -------------------------------------------------------------- collection

    def _model_reporters(self) -> dict[str, Any]:
        unit = float(BASE_UNIT)
        fed = self.federation
        reporters: dict[str, Any] = {
            "step": lambda m: m.round,
            "round": lambda m: m.round,
            "accuracy": lambda m: m.accuracy,
            "loss": lambda m: m.loss,
            "participants": lambda m: len(m.last_result.participants) if m.last_result else 0,
            "revenue": lambda m: m.revenue / unit,
            "emission": lambda m: m.emission / unit,
            "treasury_base": lambda m: m.ledger.balance(m.base, fed.account) / unit,
            "revenue_total": lambda m: fed.revenue_total / unit,
        }
        for i in range(self.n_clients):
            token = self.tokens[i]
            pool = self.pools[i]
            reporters |= {
                f"price_{i}": lambda m, p=pool, t=token: p.price(t),
                f"reserve_base_{i}": lambda m, p=pool: p.reserve_of(m.base) / unit,
                f"reserve_token_{i}": lambda m, p=pool, t=token: p.reserve_of(t) / unit,
                f"supply_{i}": lambda m, t=token: m.ledger.total_supply(t) / unit,
                f"volume_base_{i}": lambda m, p=pool: p.volume_in[m.base] / unit,
                f"volume_token_{i}": lambda m, p=pool, t=token: p.volume_in[t] / unit,
                f"fees_base_{i}": lambda m, i=i: m.cumulative_fees[i],
                f"fee_yield_{i}": lambda m, i=i: m.fee_yields[i],
                f"paid_base_{i}": lambda m, i=i: fed.paid_base[i] / unit,
                f"paid_tokens_{i}": lambda m, i=i: fed.paid_tokens[i] / unit,
                f"bought_back_{i}": lambda m, i=i: fed.bought_back_base[i] / unit,
                f"weight_{i}": lambda m, i=i: float(m.weights[i]),
                f"participating_{i}": lambda m, i=i: m.clients[i].participating,
            }
        return reporters

    def tables(self) -> dict[str, pd.DataFrame]:
        """The run's result tables (model, agents, scores, events), deterministic order."""
        model = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        agents = self.datacollector.get_agent_vars_dataframe().reset_index()
        agents = agents.rename(columns={"Step": "step", "AgentID": "agent_id"})
        agents["step"] = agents["step"].astype("int64")
        scores = pd.DataFrame(
            self.score_rows, columns=["round", "client", "method", "score", "participated"]
        )
        events = self.events_frame()
        return {"model": model, "agents": agents, "scores": scores, "events": events}

    def events_frame(self) -> pd.DataFrame:
        """Every ledger event with the step it happened in (0 = genesis); exact int amounts."""
        events = self.ledger.event_rows()
        marks = self.event_marks
        steps = [bisect.bisect_right(marks, seq) - 1 for seq in range(len(events))]
        frame = pd.DataFrame(events, columns=list(Ledger.EVENT_FIELDS))
        frame.insert(1, "step", steps)
        return frame


def run_model(
    scenario: str | Path | dict[str, Any] | Scenario,
    seed: int | None = None,
    overrides: dict[str, Any] | None = None,
    source: ScoreSource | None = None,
    on_round: Any = None,
) -> FederationMarket:
    """Build a model and run it to the end; `on_round(model)` after every step."""
    model = FederationMarket(scenario, seed=seed, overrides=overrides, source=source)
    while model.running:
        model.step()
        if on_round is not None:
            on_round(model)
    return model


__all__ = ["FederationMarket", "fl_stream", "run_model"]
