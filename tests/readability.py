"""A small readability measure for the letters: Flesch-Kincaid grade, as a reading age.

reading age = Flesch-Kincaid grade level + 5 (a US grade is a year of school; grade 1 is
age 6), and grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59.

Sentences: each paragraph, heading and list item ends one, as does ". ", "? " or "! "
inside a paragraph. Words: runs of letters (digits count as a one-syllable word).
Syllables: groups of vowels, less a silent final "e" or "-es"/"-ed" (the usual English
heuristic; it is within a syllable of a dictionary for most words). The measure is only
ever used on what a template says around the data: addresses, e-mail addresses and links
are left out, since they are not read as prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
_NOT_PROSE = re.compile(r"\S+@\S+|https?://\S+|\b\d{4,5} ?\d{3} ?\d{3,4}\b")


def syllables(word: str) -> int:
    w = word.lower().strip("'’-")
    if w.isdigit() or len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", w)))


@dataclass(frozen=True)
class Measure:
    sentences: int
    words: int
    syllables: int

    @property
    def grade(self) -> float:
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59

    @property
    def reading_age(self) -> float:
        return self.grade + 5


def measure(blocks: list[str]) -> Measure:
    """Blocks of prose (paragraphs, headings, list items), each ending a sentence."""
    sentences = words = sylls = 0
    for block in blocks:
        text = _NOT_PROSE.sub(" ", block)
        parts = [p for p in _SENTENCE_END.split(text) if _WORD.search(p)]
        sentences += len(parts)
        for word in _WORD.findall(text):
            words += 1
            sylls += syllables(word)
    return Measure(max(sentences, 1), max(words, 1), sylls)


def reading_age(blocks: list[str]) -> float:
    return measure(blocks).reading_age
