"""The one place that knows how to hide API keys and webhook secrets.

Everything that shows a value to a person (console, failure messages, JUnit XML, summaries)
goes through a :class:`Redactor`. A value is shown as its first characters plus its length,
enough to tell two keys apart without revealing either.

Values are masked by what they are, never by the name of the field that carries them: a server
may call its secret ``signingSecret``, ``hmac-key`` or put it in a header. Two rules decide:

* a value the run has seen (the configured keys, every returned secret, every secret-looking
  string in a response: :meth:`Redactor.add` and :meth:`Redactor.scan`) is masked wherever it
  appears, even inside a longer word;
* any other token that looks like a secret (:func:`looks_like_secret`) or like a DevTune key
  (``dtk_live_`` and at least four hex digits, so truncated reprs count too) is masked as well.

Masking is idempotent: a masked token (``c564…(64 chars)``) is recognised and never masked again.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from devtune_contract.constants import UUID_PATTERN, WEBHOOK_SECRET_PREFIX
from devtune_contract.credentials import API_KEY_PREFIX

VISIBLE_PREFIX = 4
# A value this short is never a secret worth hiding, and masking it would garble ordinary text.
MIN_MASKED_LENGTH = 8
_KNOWN_PREFIXES = (API_KEY_PREFIX, WEBHOOK_SECRET_PREFIX)

# What "looks like a secret" means; docs/contributing.md ("The masking rule") states the same
# numbers.
MIN_SECRET_LENGTH = 20
MIN_ESTIMATED_BITS = 80
# Below this a token repeats a few characters ("a1a1a1…", "0000…"): a pattern, not a secret.
MIN_BITS_PER_CHAR = 2.5
# Mixed case plus digits (or base64's +/) at this many bits per character is a random encoding;
# without them, only a higher entropy tells random letters from camelCase words.
MIN_MIXED_CASE_BITS_PER_CHAR = 4.0
MIN_LETTERS_ONLY_BITS_PER_CHAR = 4.5
# Random encodings switch between letters and digits all the time; words do so at most once.
MIN_LETTER_DIGIT_CHANGES = 2

# Runs of the characters hex, base64 and base64url encodings use: the candidates for a secret.
# Shorter runs are never masked (nor the visible part of a mask), so they are not even matched.
TOKEN = re.compile(rf"[A-Za-z0-9+/_-]{{{MIN_MASKED_LENGTH},}}={{0,2}}")
# Keys in the published format, even ones the redactor was never told about, and even the
# truncated ones that reprs show (``'dtk_live_8397f03b...'``). The hex digits stop where another
# key starts: the ``d`` of a glued ``dtk_live_`` is hex, and taking it would leave that key shown.
KEY_LIKE = re.compile(
    rf"{re.escape(API_KEY_PREFIX)}(?:(?!{re.escape(API_KEY_PREFIX)})[0-9a-fA-F]){{4,}}"
)
UUID = UUID_PATTERN
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_ENCODED = re.compile(r"[A-Za-z0-9+/_-]+")
_MASK_TAIL = re.compile(r"…\(\d+ chars\)")
# How reprs and pretty-printers cut a long value short ("c6b4e1...").
_TRUNCATION = re.compile(r"\.\.\.|…")
# Field names that announce a secret: their string values are registered whatever they look like.
_SECRET_NAME = re.compile(r"secret|token|password|passwd|apikey|hmac|signingkey|privatekey")
_ALPHABETS = (
    (re.compile(r"[a-z]"), 26),
    (re.compile(r"[A-Z]"), 26),
    (re.compile(r"[0-9]"), 10),
    (re.compile(r"[+/]"), 2),
    (re.compile(r"[_-]"), 2),
)


def mask(value: str) -> str:
    """``dtk_live_a1b2…(73 chars)``: the prefix and length of ``value``, never the rest."""
    prefix = next((p for p in _KNOWN_PREFIXES if value.startswith(p)), "")
    visible = value[: len(prefix) + VISIBLE_PREFIX]
    return f"{visible}…({len(value)} chars)"


def estimated_bits(token: str) -> float:
    """Entropy of ``token`` if it were random over the character classes it uses.

    A single-case hex string counts 4 bits a character; otherwise each class used adds its size
    to the alphabet (lowercase 26, uppercase 26, digits 10, ``+/`` 2, ``-_`` 2).
    """
    if _HEX.fullmatch(token):
        return 4.0 * len(token)
    alphabet = sum(size for pattern, size in _ALPHABETS if pattern.search(token))
    # Equivalent mutant: `>= 1`; no class has one symbol, so the alphabet is 0 or at least 2.
    return len(token) * math.log2(alphabet) if alphabet > 1 else 0.0


def shannon_bits_per_char(token: str) -> float:
    """Empirical entropy of the characters of ``token``: low for repetitive strings."""
    length = len(token)
    return -sum(n / length * math.log2(n / length) for n in Counter(token).values())


def letter_digit_changes(token: str) -> int:
    """How often ``token`` switches between a letter and a digit."""
    return sum(1 for a, b in itertools.pairwise(token) if _is_letter_digit_pair(a, b))


def _is_letter_digit_pair(a: str, b: str) -> bool:
    return (a.isdigit() and b.isascii() and b.isalpha()) or (
        b.isdigit() and a.isascii() and a.isalpha()
    )


def looks_like_secret(text: str) -> bool:
    """Long and high-entropy: how a random key, token or signing secret looks, whatever its name.

    The token (base64 padding aside) needs at least 20 characters, at least 80 bits by
    :func:`estimated_bits`, at least 2.5 bits per character of Shannon entropy, and the texture
    of a random encoding rather than of words: letters and digits alternating at least twice,
    or mixed case at 4 bits per character with a digit or ``+/`` (4.5 bits without).
    Canonical UUIDs are identifiers DevTune shows on purpose and never count, and neither does
    text outside the encodings' alphabet (timestamps, sentences, media types).
    """
    token = text.rstrip("=")
    if not _ENCODED.fullmatch(token) or UUID.fullmatch(token):
        return False
    if len(token) < MIN_SECRET_LENGTH or estimated_bits(token) < MIN_ESTIMATED_BITS:
        return False
    entropy = shannon_bits_per_char(token)
    if entropy < MIN_BITS_PER_CHAR:
        return False
    if letter_digit_changes(token) >= MIN_LETTER_DIGIT_CHANGES:
        return True
    mixed_case = any(c.islower() for c in token) and any(c.isupper() for c in token)
    has_symbol_or_digit = any(c.isdigit() or c in "+/" for c in token)
    needed = MIN_MIXED_CASE_BITS_PER_CHAR if has_symbol_or_digit else MIN_LETTERS_ONLY_BITS_PER_CHAR
    return mixed_case and entropy >= needed


def _visible_length(run: str) -> int:
    """How much of ``run``'s end is the visible part of a mask that follows it."""
    for prefix in _KNOWN_PREFIXES:
        visible = len(prefix) + VISIBLE_PREFIX
        if run[-visible:].startswith(prefix):
            return visible
    return VISIBLE_PREFIX


def _redact_token(token: str) -> str:
    """Mask ``token`` if it is a secret; else mask the secrets and keys glued inside it.

    Canonical UUIDs split a token (``projects/<uuid>/webhooks``): the stretches between them
    are judged one by one, so the ids stay visible and a secret glued to one does not.
    """
    if len(token) < MIN_SECRET_LENGTH and API_KEY_PREFIX not in token:
        return token
    pieces = UUID.split(token)
    ids = UUID.findall(token)
    return "".join(
        _redact_stretch(piece) + (ids[i] if i < len(ids) else "") for i, piece in enumerate(pieces)
    )


def _redact_stretch(stretch: str) -> str:
    if looks_like_secret(stretch):
        return mask(stretch)
    # A key glued to other text: masked, and what remains judged as the next pass would see it.
    pieces = KEY_LIKE.split(stretch)
    keys = KEY_LIKE.findall(stretch)
    return "".join(
        (mask(piece) if looks_like_secret(piece) else piece)
        + (mask(keys[i]) if i < len(keys) else "")
        for i, piece in enumerate(pieces)
    )


def _trie_pattern(values: Iterable[str]) -> str:
    """One regex matching any of ``values``, longest first, at the cost of one trie walk."""
    trie: dict[str, Any] = {}
    for value in values:
        node = trie
        for char in value:
            node = node.setdefault(char, {})
        node[""] = {}  # equivalent mutant: None; only the key's presence is read
    return _trie_node_pattern(trie)


def _trie_node_pattern(node: dict[str, Any]) -> str:
    branches = []
    for char, child in node.items():
        if not char:
            continue
        chain = [char]
        # Equivalent mutants of the next line and of `alternation`: chaining single children
        # and leaving out a one-branch group only shorten the pattern, never change its matches.
        while len(child) == 1 and "" not in child:  # a chain of single children: no group
            ((next_char, child),) = child.items()
            chain.append(next_char)
        branches.append(re.escape("".join(chain)) + _trie_node_pattern(child))
    if not branches:
        return ""
    alternation = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy optional: where a shorter value ends, the longer one is still preferred.
    return f"(?:{alternation})?" if "" in node else alternation


class Redactor:
    """Masks every registered value and every secret-looking token in text, exactly once.

    Thread-safe: the suite registers secrets as responses arrive, possibly from several threads.
    :meth:`redact` costs two regex passes over the text whatever the number of values.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._index: _Index | None = None
        self.add(*values)

    def add(self, *values: str | None) -> None:
        """Mask these values from now on, wherever they appear (short values are ignored)."""
        fresh = {v for v in values if v and len(v) >= MIN_MASKED_LENGTH}
        with self._lock:
            if not fresh <= self._values:  # equivalent mutant: `<` only rebuilds an equal index
                self._values |= fresh
                self._index = None

    def scan(self, obj: object) -> None:
        """Register every secret in a parsed JSON value or a header mapping, whatever its name.

        A string counts when it (or a token in it) looks like a secret or a key, or when its
        field is named like a secret (``signingSecret``, ``hmac-key``) and could be one.
        """
        if isinstance(obj, Mapping):
            for name, value in obj.items():
                self.scan(name)
                if isinstance(value, str) and names_a_secret(str(name)):
                    self.add(value if _could_be_secret(value) else None)
                self.scan(value)
        elif isinstance(obj, list | tuple):
            for item in obj:
                self.scan(item)
        elif isinstance(obj, str):
            tokens = TOKEN.findall(obj)
            self.add(*(t for t in tokens if KEY_LIKE.fullmatch(t) or looks_like_secret(t)))
            if looks_like_secret(obj):
                self.add(obj)

    def scan_encoded(self, obj: object) -> None:
        """Register every string value in ``obj`` that could be an encoded secret, however
        ordinary it looks: 20 or more characters of the encodings' alphabet (a known prefix and
        base64 padding aside), not a UUID.

        For bodies that carry a new secret by design (a successful rotation), where the value
        rule alone would miss about 3% of random 128-bit base64 secrets under a renamed field.
        Timestamps, URLs, sentences and short codes are outside that alphabet or length.
        """
        if isinstance(obj, Mapping):
            for value in obj.values():
                self.scan_encoded(value)
        elif isinstance(obj, list | tuple):
            for item in obj:
                self.scan_encoded(item)
        elif isinstance(obj, str) and _could_be_encoded(obj):
            self.add(obj)

    def __contains__(self, value: str) -> bool:
        return value in self._values

    def redact(self, text: str) -> str:
        """``text`` with every registered value and secret-looking token masked; idempotent."""
        index = self._current_index()
        masked = index.mask_values(text) if index is not None else text
        return TOKEN.sub(lambda match: _redact_run(match, index), masked)

    def _current_index(self) -> _Index | None:
        with self._lock:
            if self._index is None and self._values:
                self._index = _Index.build(self._values)
            return self._index


@attrs.frozen
class _Index:
    """The registered values as one trie regex, and sorted for prefix look-ups."""

    pattern: re.Pattern[str]
    ordered: tuple[str, ...]

    @classmethod
    def build(cls, values: Iterable[str]) -> _Index:
        return cls(re.compile(_trie_pattern(values)), tuple(sorted(values)))

    def mask_values(self, text: str) -> str:
        pieces: list[str] = []
        shown_up_to = 0  # equivalent mutant: None slices the same
        match = self.pattern.search(text)
        while match is not None:
            start, end = match.span()
            # Overlapping values are masked as one span: neither leaves a visible tail.
            for probe in range(start + 1, end):
                inner = self.pattern.match(text, probe)
                if inner is not None:
                    end = max(end, inner.end())
            pieces += [text[shown_up_to:start], mask(text[start:end])]
            shown_up_to = end
            match = self.pattern.search(text, end)
        pieces.append(text[shown_up_to:])
        return "".join(pieces)

    def starts_a_value(self, prefix: str) -> bool:
        """Whether ``prefix`` is the beginning of a registered value (a truncated display)."""
        if len(prefix) < MIN_MASKED_LENGTH:  # equivalent mutant of the return: runs are longer
            return False
        position = bisect.bisect_left(self.ordered, prefix)
        return position < len(self.ordered) and self.ordered[position].startswith(prefix)


def _redact_run(match: re.Match[str], index: _Index | None) -> str:
    run, text, after = match.group(0), match.string, match.end()
    if _MASK_TAIL.match(text, after):
        # The run ends in the visible part of a mask; only what comes before it is judged.
        visible = min(len(run), _visible_length(run))
        before = run[: len(run) - visible]
        # Equivalent mutant: redacting "" anyway returns "".
        return (_redact_token(before) if before else "") + run[len(run) - visible :]
    if index is not None and _TRUNCATION.match(text, after) and index.starts_a_value(run):
        return mask(run)
    return _redact_token(run)


def _could_be_encoded(value: str) -> bool:
    token = value.rstrip("=")
    for prefix in _KNOWN_PREFIXES:
        token = token.removeprefix(prefix)
    return (
        len(token) >= MIN_SECRET_LENGTH
        and _ENCODED.fullmatch(token) is not None
        and not UUID.fullmatch(token)
    )


def _could_be_secret(value: str) -> bool:
    """A secret-named field holds an identifier or a sentence sometimes: those stay visible."""
    return not UUID.fullmatch(value) and not any(c.isspace() for c in value)


def names_a_secret(name: str) -> bool:
    """Whether a field or header name says it holds a secret (``signingSecret``, ``api_key``,
    ``X-Hmac-Key``): the one naming rule, for masking and for the exposure check alike."""
    normalised = re.sub(r"[^a-z]", "", name.lower())
    return _SECRET_NAME.search(normalised) is not None
