"""Is a secret's encoded part plausibly random? Four statistics, each with a proven bound.

A secret that is long but generated badly (a counter, zero padding, a repeated block, a handful
of characters) passes the length check; these statistics fail it. Each one fails a string of
``n`` symbols drawn uniformly from an alphabet of ``A`` symbols with a probability bounded by a
union bound, and each threshold is the smallest (most sensitive) one whose bound is at most
:data:`BUDGET`, recomputed for every length:

- **runs**: some symbol repeated ``r`` times in a row. ``P <= (n - r + 1) * A**-(r - 1)``.
- **zero padding**: the secret starts or ends with ``z`` symbols that encode zero bits (``0`` in
  hex, ``A`` in base64; base64 ``=`` padding is stripped first, it is not zero padding).
  ``P <= A**-z + A**-(z - 1) * q``, where ``q`` bounds the chance that the last symbol is the
  zero symbol: ``1/A`` in hex, ``1/4`` in base64, whose last symbol may carry only two bits.
- **tiny alphabet**: at most ``d`` distinct symbols. ``P <= C(A, d) * (d / A)**(n - 1)`` (the
  last symbol is left out, as it may not be uniform).
- **repeated block**: some block of ``b`` symbols occurs at two positions (overlapping or not).
  ``P <= C(n - b + 1, 2) * A**-b``: for any two positions the ``b`` equalities each pin one
  fresh uniform symbol.

A random secret may also be misjudged by the identifier check (it contains a project id,
webhook id or API key of at least :data:`MIN_IDENTIFIER_LENGTH` characters, compared ignoring
case): ``P <= K * n * p**16`` for ``K`` <= :data:`MAX_IDENTIFIERS` identifiers, with ``p``
``1/16`` for hex and ``2/64`` for base64. And a random base64 secret without the ``whsec_``
prefix whose symbols all happen to be hex digits is judged as hex: ``P <= (22/64)**(n - 1)``.

:func:`false_failure_bound` sums all of these. With ``BUDGET = 1.5e-10`` the sum is below
``8e-10`` (< 1e-9) per secret for hex of 32 symbols or more and base64 of 22 symbols or more,
i.e. every encoding and length the strength check accepts (128 bits and up):
``tests/unit/test_checks_randomness.py`` computes it for every such length up to 4096 symbols,
and every per-statistic term is at most ``BUDGET`` by construction at any length. Longer
secrets are judged on their first :data:`MAX_JUDGED_SYMBOLS` symbols.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import attrs

BUDGET = 1.5e-10
# Longer secrets are judged on their first symbols: enough for any statistic, bounded in time.
MAX_JUDGED_SYMBOLS = 4096
MIN_IDENTIFIER_LENGTH = 16
MAX_IDENTIFIERS = 16


@attrs.frozen
class Encoding:
    """A secret encoding as the statistics see it."""

    name: str
    alphabet_size: int
    zero_symbol: str
    # Upper bound on the probability that the last symbol is the zero symbol.
    last_is_zero: float
    # Probability that one symbol of a random identifier character matches (ignoring case).
    case_folded_match: float
    bits_per_symbol: int


HEX = Encoding("hex", 16, "0", 1 / 16, 1 / 16, 4)
BASE64 = Encoding("base64", 64, "A", 1 / 4, 2 / 64, 6)


def _smallest(start: int, stop: int, fits: Callable[[int], bool]) -> int | None:
    # Equivalent mutant: starting from 0 changes nothing, as no limit below 2 fits the budget.
    return next((value for value in range(start, stop) if fits(value)), None)


def run_bound(encoding: Encoding, n: int, run: int) -> float:
    return max(0, n - run + 1) * float(encoding.alphabet_size) ** -(run - 1)


def padding_bound(encoding: Encoding, z: int) -> float:
    a = float(encoding.alphabet_size)
    return a**-z + a ** -(z - 1) * encoding.last_is_zero


def alphabet_bound(encoding: Encoding, n: int, distinct: int) -> float:
    a = encoding.alphabet_size
    return math.comb(a, distinct) * (distinct / a) ** (n - 1)


def block_bound(encoding: Encoding, n: int, block: int) -> float:
    # Equivalent mutant: max(1, ...) changes nothing, as comb(0, 2) == comb(1, 2) == 0.
    return math.comb(max(0, n - block + 1), 2) * float(encoding.alphabet_size) ** -block


@attrs.frozen
class Thresholds:
    """The most sensitive limits whose false-failure bounds stay within :data:`BUDGET`."""

    run: int | None  # fail at a run this long
    padding: int | None  # fail at this many zero symbols at either end
    distinct: int  # fail at this many distinct symbols or fewer (0: never)
    block: int | None  # fail when a block this long repeats


@functools.cache
def thresholds(encoding: Encoding, n: int) -> Thresholds:
    """Limits for ``n`` symbols of ``encoding``; cached, as secrets share a few lengths."""
    run = _smallest(2, n + 1, lambda r: run_bound(encoding, n, r) <= BUDGET)
    padding = _smallest(1, n + 1, lambda z: padding_bound(encoding, z) <= BUDGET)
    distinct = 0
    for d in range(1, encoding.alphabet_size):
        if alphabet_bound(encoding, n, d) > BUDGET:
            break
        distinct = d
    block = _smallest(1, n, lambda b: block_bound(encoding, n, b) <= BUDGET)
    return Thresholds(run, padding, distinct, block)


def false_failure_bound(encoding: Encoding, n: int, *, may_look_hex: bool) -> float:
    """Upper bound on the probability that a truly random secret of ``n`` symbols fails."""
    limits = thresholds(encoding, n)
    total = MAX_IDENTIFIERS * n * encoding.case_folded_match**MIN_IDENTIFIER_LENGTH
    if limits.run is not None:
        total += run_bound(encoding, n, limits.run)
    if limits.padding is not None:
        total += padding_bound(encoding, limits.padding)
    if limits.distinct:
        total += alphabet_bound(encoding, n, limits.distinct)
    if limits.block is not None:
        total += block_bound(encoding, n, limits.block)
    if may_look_hex:
        total += (22 / 64) ** (n - 1)
    return total


def longest_run(text: str) -> int:
    longest = current = 0
    previous = None  # equivalent mutant: "" (no symbol equals it either)
    for symbol in text:
        current = current + 1 if symbol == previous else 1
        previous = symbol
        longest = max(longest, current)
    return longest


def zero_padding(text: str, zero: str) -> int:
    return max(len(text) - len(text.lstrip(zero)), len(text) - len(text.rstrip(zero)))


def has_repeated_block(text: str, block: int) -> bool:
    seen: set[str] = set()
    # Equivalent mutant: one more start only adds a shorter piece, never equal to a full one.
    for start in range(len(text) - block + 1):
        piece = text[start : start + block]
        if piece in seen:
            return True
        seen.add(piece)
    return False


def not_random(encoding: Encoding, symbols: str) -> str | None:
    """Why ``symbols`` (the encoded part, without padding) do not look random, or ``None``."""
    symbols = symbols[:MAX_JUDGED_SYMBOLS]
    if encoding is HEX:
        symbols = symbols.lower()  # equivalent mutant: upper(); any one case will do
    limits = thresholds(encoding, len(symbols))
    if limits.padding is not None and zero_padding(symbols, encoding.zero_symbol) >= (
        limits.padding
    ):
        return f"zero padding of {zero_padding(symbols, encoding.zero_symbol)} symbols"
    if limits.run is not None and longest_run(symbols) >= limits.run:
        return f"one character repeated {longest_run(symbols)} times in a row"
    distinct = len(set(symbols))
    if distinct <= limits.distinct:
        return f"only {distinct} distinct characters of {encoding.alphabet_size}"
    if limits.block is not None and has_repeated_block(symbols, limits.block):
        return f"a block of {limits.block} characters occurs twice"
    return None
