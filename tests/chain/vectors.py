"""Uniswap v2-core's own test vectors, shared by the math and pool tests."""

E18 = 10**18

# (swap_amount, reserve0, reserve1, expected_output) — UniswapV2Pair.spec.ts swapTestCases
SWAP_VECTORS = [
    (1 * E18, 5 * E18, 10 * E18, 1662497915624478906),
    (1 * E18, 10 * E18, 5 * E18, 453305446940074565),
    (2 * E18, 5 * E18, 10 * E18, 2851015155847869602),
    (2 * E18, 10 * E18, 5 * E18, 831248957812239453),
    (1 * E18, 10 * E18, 10 * E18, 906610893880149131),
    (1 * E18, 100 * E18, 100 * E18, 987158034397061298),
    (1 * E18, 1000 * E18, 1000 * E18, 996006981039903216),
]
