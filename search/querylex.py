"""Split query text into tokens, reading a character as an operator only where it is clearly meant.

`-word` and `+word` are operators only at the start of a word (after a space, an
opening bracket or the start of the query); AND, OR and NOT only in capitals, as
whole words, in a query that also holds lower-case letters (in an all-capitals
query they are words); `name:value` only for a lower-case name directly followed
by its value; `prefix*` only at the end of a word; quotes and brackets only when
balanced. Everything else, a lone quote, `?`, `!`, a stray colon, a hyphen inside
a word, emoji, is text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = ("AND", "OR", "NOT")
# Typographic quotes read as the plain one, so a pasted “phrase” stays a phrase.
QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
FIELD_RE = re.compile(r"([a-z_]+):(?=[\w\"(])")
WORD_CHAR = re.compile(r"[^\W_]")


@dataclass
class Token:
    kind: str          # word, phrase, open, close, and, or, not, plus, minus, field
    text: str = ""
    prefix: bool = False   # a word that ended in * (prefix search)


def _balanced(text: str, open_: str, close: str) -> set[int]:
    """Return the positions of the brackets that pair up; the others are text."""
    stack, paired = [], set()
    for i, ch in enumerate(text):
        if ch == open_:
            stack.append(i)
        elif ch == close and stack:
            paired.update((stack.pop(), i))
    return paired


def _quotes(text: str) -> set[int]:
    """Return the positions of the quotes that pair up, left to right (a last odd one is text)."""
    found = [i for i, ch in enumerate(text) if ch == '"']
    return set(found[:len(found) - len(found) % 2])


def _word_start(text: str, i: int) -> bool:
    return i == 0 or text[i - 1].isspace() or text[i - 1] == "("


def _opens(text: str, i: int) -> bool:
    """Say whether what follows position i is a word, a phrase or a group."""
    return i < len(text) and (bool(WORD_CHAR.match(text[i])) or text[i] in "\"(")


def tokenize(text: str) -> list[Token]:
    """Return the tokens of a query; never raises."""
    text = text.translate(QUOTES)
    quotes = _quotes(text)
    parens = _balanced(text, "(", ")")
    keywords = any(ch.islower() for ch in text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == '"' and i in quotes:
            end = text.index('"', i + 1)
            tokens.append(Token("phrase", text[i + 1:end]))
            i = end + 1
        elif ch in "()" and i in parens:
            tokens.append(Token("open" if ch == "(" else "close"))
            i += 1
        elif ch in "+-" and _word_start(text, i) and _opens(text, i + 1):
            tokens.append(Token("plus" if ch == "+" else "minus"))
            i += 1
        elif (field := FIELD_RE.match(text, i)) and _word_start(text, i) or \
                (field and tokens and tokens[-1].kind in ("plus", "minus")):
            tokens.append(Token("field", field.group(1)))
            i = field.end()
        else:
            end = i
            while end < n and not text[end].isspace() and not (text[end] == '"' and end in quotes) \
                    and not (text[end] in "()" and end in parens):
                end += 1
            word = text[i:end]
            if keywords and word in KEYWORDS:
                tokens.append(Token(word.lower()))
            else:
                prefix = word.endswith("*") and bool(WORD_CHAR.match(word[-2:-1] or " "))
                tokens.append(Token("word", word.rstrip("*") if prefix else word, prefix))
            i = end
    return tokens


def words(text: str) -> str:
    """Return the text with every operator character made a space: the fallback reading."""
    return re.sub(r"[\"()*:+]", " ", text.translate(QUOTES))
