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
