"""Small-number suppression for published totals: no count below 5 shown, and none that a
reader could work out from the numbers that are shown and the table's total."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SMALL = 5
FEWER = "fewer than 5"
# A count of 5 or more hidden so that a small one beside it cannot be worked out.
WITHHELD = "withheld"


@dataclass(frozen=True)
class Cell:
    """A published count: the number, or why it is not shown."""

    value: int | None
    note: str = ""

    @property
    def text(self) -> str:
        return str(self.value) if self.value is not None else self.note


@dataclass(frozen=True)
class Published:
    cells: list[Cell]
    total: Cell
    # False when even hiding every cell would leave a small count to be worked out.
    shown: bool = True


def suppress(counts: Sequence[int]) -> Published:
    """The cells of a one-way table and its total, ready to publish.

    Any count below 5 (zero too: "nobody" is a small count) is shown as "fewer than 5". The
    total is shown (the number who answered is published anyway), so the reader knows the
    hidden cells' sum; while that pins a small cell down (one hidden cell; or several whose
    sum can only be made one way), the smallest shown cell is withheld as well.
    """
    total = sum(counts)
    if total < SMALL:
        return Published([Cell(None, FEWER) for _ in counts], Cell(None, FEWER), False)
    notes = [FEWER if n < SMALL else "" for n in counts]
    while any(n < SMALL for n in counts) and recoverable(counts, notes):
        shown = [i for i, note in enumerate(notes) if not note]
        if not shown:
            return Published([Cell(None, WITHHELD) for _ in counts], Cell(total), False)
        notes[min(shown, key=lambda i: (counts[i], i))] = WITHHELD
    cells = [Cell(None, note) if note else Cell(n) for n, note in zip(counts, notes, strict=True)]
    return Published(cells, Cell(total))


def bounds(note: str) -> tuple[float, float]:
    """What a reader knows of a hidden cell from its label."""
    return (0, SMALL - 1) if note == FEWER else (SMALL, math.inf)


def recoverable(counts: Sequence[int], notes: Sequence[str]) -> bool:
    """Whether a reader who knows the total can work out any hidden small cell exactly."""
    hidden = [i for i, note in enumerate(notes) if note]
    rest = sum(counts[i] for i in hidden)  # the total minus the shown cells
    for i in hidden:
        if notes[i] != FEWER:
            continue
        others = [bounds(notes[j]) for j in hidden if j != i]
        lo = max(0, rest - sum(hi for _, hi in others))
        hi = min(SMALL - 1, rest - sum(lo_ for lo_, _ in others))
        if lo == hi:
            return True
    return False
