"""The one text normalization shared by training and serving, so the two can never disagree.

The training data (SST-2) is lower-cased and Penn-Treebank tokenized (``it 's``, ``does n't``,
``good .``) while real traffic is raw text (``It's``, ``doesn't``, ``good.``). Normalizing both to
the same token stream is what lets a model trained on one score the other well.

Negation scoping: tokens after a negator (``not``, ``n't``, ``never``, ``no`` ...) up to the next
punctuation mark get a ``not_`` prefix, so "not good" and "good" become different features for a
linear model. Whether it is applied is a hyperparameter (``negation_scope``; 0 turns it off).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Typographic quotes and dashes that real text uses and the tokenized training data does not.
_CHARACTER_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": " -- ",
        "\u0085": " ",
        "\u2028": " ",
        "\u00a0": " ",
    }
)
# SST writes quotes as `` and ''; both and straight double quotes become one token.
_QUOTE_TOKENS = re.compile(r"``|''|\"")
# PTB contraction split: don't -> do n't, can't -> ca n't, it's -> it 's, we'll -> we 'll.
_NT = re.compile(r"(\w)n't\b")
# The same contractions typed without the apostrophe, common in reviews ("dont", "cant", "wasnt").
# Only forms that are not also ordinary words; "ca"/"wo" follow the PTB split of can't/won't.
_NT_BARE = re.compile(r"\b(do|does|did|is|was|are|were|could|should|would|have|has|had|must|need|ca|wo)nt\b")
_CLITIC = re.compile(r"(\w)'(s|m|d|re|ve|ll)\b")
# Punctuation becomes its own token; runs like "!!!" or "..." stay one token.
_PUNCTUATION = re.compile(r"([.!?,;:()\[\]{}]+|--+|\s-\s)")
_PUNCTUATION_CHARS = frozenset(".!?,;:()[]{}-")
_WHITESPACE = re.compile(r"\s+")
_NEGATORS = frozenset(
    {
        "not",
        "n't",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nor",
        "neither",
        "nowhere",
        "cannot",
        "without",
    }
)
# A negation scope ends at any punctuation token or at one of these contrastive words.
_SCOPE_ENDERS = frozenset({"but", "however", "yet", "although", "though"})


def tokenize(text: str) -> list[str]:
    """Lower-case, PTB-style tokens: the same for raw text and for already-tokenized SST text."""
    text = unicodedata.normalize("NFKC", text).translate(_CHARACTER_MAP).lower()
    text = _QUOTE_TOKENS.sub(' " ', text)
    text = text.replace("can't", "ca n't").replace("won't", "wo n't")
    text = _NT_BARE.sub(r"\1 n't", text)
    text = _NT.sub(r"\1 n't", text)
    text = _CLITIC.sub(r"\1 '\2", text)
    text = _PUNCTUATION.sub(r" \1 ", text)
    return _WHITESPACE.sub(" ", text).strip().split(" ") if text.strip() else []


def _is_punctuation(token: str) -> bool:
    return all(char in _PUNCTUATION_CHARS for char in token)


def mark_negation(tokens: list[str], scope: int) -> list[str]:
    """Prefix up to ``scope`` tokens after a negator with ``not_``, stopping at punctuation."""
    if scope <= 0:
        return tokens
    marked: list[str] = []
    remaining = 0
    for token in tokens:
        if token in _SCOPE_ENDERS or _is_punctuation(token):
            remaining = 0
            marked.append(token)
        elif token in _NEGATORS:
            remaining = scope
            marked.append(token)
        elif remaining > 0:
            marked.append("not_" + token)
            remaining -= 1
        else:
            marked.append(token)
    return marked


def normalize(text: str, negation_scope: int = 0) -> str:
    """Space-joined normalized tokens: what every vectorizer of the model sees."""
    return " ".join(mark_negation(tokenize(text), negation_scope))


# --- Batch normalization: ``normalize`` for many texts in one pass -------------------------------
# Texts are joined with NUL (not whitespace, not a word character, so every pattern treats it like
# the edge of a string), normalized in one go and split again: each regular expression then runs
# once per batch instead of once per text, which was most of the cost (27 -> ~7 us per text). The
# patterns below start with a literal so the regex engine can skip ahead instead of trying every
# position. The output equals ``normalize`` on every text of SST-2 and the UCI sets (tested); the
# known differences are contrived: NUL inside a text (becomes a space) and chained clitics ("it's's").
TEXT_SEPARATOR = "\x00"
_NT_BARE_FAST = re.compile(
    r"nt\b(?:(?<=\b(?:do|is|ca|wo)nt)|(?<=\b(?:did|was|are|has|had)nt)"
    r"|(?<=\b(?:does|were|have|must|need)nt)|(?<=\b(?:could|would)nt)|(?<=\bshouldnt))"
)
_NT_FAST = re.compile(r"n't(?<=\wn't)\b")
# The clitic's apostrophe alone (the suffix in a look-ahead), so the replacement is a literal: in
# Python 3.11 a template with a group reference (r"\1") costs a Python call per match.
_CLITIC_FAST = re.compile(r"'(?<=\w')(?=(?:s|m|d|re|ve|ll)\b)")
# One group around the whole match: " ".join(pattern.split(text)) puts a space on each side of every
# match, as sub(r" \g<0> ") would, without a Python call per match.
_PUNCTUATION_FAST = re.compile(r"([.!?,;:()\[\]{}]+|-(?:-+|(?<=\s-)(?=\s)))")
_PUNCTUATION_WORD = r"[.!?,;:()\[\]{}\-]+"
_STOP = rf"(?:{'|'.join(sorted(_SCOPE_ENDERS))}|{_PUNCTUATION_WORD})(?=[ \x00]|$)"
# A negator and the tokens after it up to punctuation, a scope ender or the end of its text. The
# negators are _NEGATORS spelled as a trie (a test checks they agree), so the engine can skip ahead.
_NEGATION_SPAN = re.compile(
    rf"(?:n(?:o(?:t|thing|body|ne|r|where)?|'t|ever|either)|cannot|without)(?=[ \x00]|$)"
    rf"(?: (?!{_STOP})[^ \x00]+)*"
)


def _mark_span(match: re.Match[str], scope: int) -> str:
    tokens = match.group(0).split(" ")
    start = match.start()
    if start > 0 and match.string[start - 1] not in " \x00":
        # The "negator" is the tail of a longer token ("xnot"): not a negator, and the state before
        # it is "no scope open" (an open scope would have been part of an earlier span).
        return " ".join([tokens[0], *mark_negation(tokens[1:], scope)])
    return " ".join(mark_negation(tokens, scope))


def normalize_joined(texts: Sequence[str], negation_scope: int = 0) -> str:
    """``normalize(text, negation_scope)`` of every text, joined by TEXT_SEPARATOR."""
    joined = TEXT_SEPARATOR.join(texts)
    if joined.count(TEXT_SEPARATOR) != len(texts) - 1:
        joined = TEXT_SEPARATOR.join(text.replace(TEXT_SEPARATOR, " ") for text in texts)
    return _normalize_joined(joined, negation_scope)


def normalize_one(text: str, negation_scope: int = 0) -> str:
    """``normalize_joined([text], negation_scope)`` without the batch bookkeeping (one text's path)."""
    if TEXT_SEPARATOR in text:
        text = text.replace(TEXT_SEPARATOR, " ")
    return _normalize_joined(text, negation_scope)


def _normalize_joined(joined: str, negation_scope: int) -> str:
    if not joined.isascii():
        joined = unicodedata.normalize("NFKC", joined)
        for source, target in _CHARACTER_MAP.items():
            character = chr(source)
            if character in joined:
                joined = joined.replace(character, str(target))
    text = joined.lower()
    if '"' in text or "`" in text or "''" in text:
        text = _QUOTE_TOKENS.sub(' " ', text)
    text = text.replace("can't", "ca n't").replace("won't", "wo n't")
    text = _NT_BARE_FAST.sub(" n't", text)
    if "'" in text:
        text = _NT_FAST.sub(" n't", text)
        text = _CLITIC_FAST.sub(" '", text)
    text = " ".join(_PUNCTUATION_FAST.split(text))
    # str.split() splits on exactly the characters \s matches; NUL is not one of them.
    text = " ".join(text.split())
    if TEXT_SEPARATOR in text:
        text = text.replace(" \x00", "\x00").replace("\x00 ", "\x00")
    if negation_scope > 0:
        text = _NEGATION_SPAN.sub(lambda match: _mark_span(match, negation_scope), text)
    return text


def normalize_batch(texts: Sequence[str], negation_scope: int = 0) -> list[str]:
    """``[normalize(text, negation_scope) for text in texts]``, computed in one pass."""
    if not texts:
        return []
    return normalize_joined(texts, negation_scope).split(TEXT_SEPARATOR)
