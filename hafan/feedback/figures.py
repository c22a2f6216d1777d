"""Small-number suppression for feedback counts (pure: no database).

With a handful of answers, a count can point at one young person ("the only one who said no"). So, for anyone
outside the service asked about, a count from 1 to HAFAN_SMALL_NUMBER_THRESHOLD - 1 is shown as "fewer than N":
- when a service has fewer answers than the threshold, every figure about the answers is withheld, zeros too
  (with two answers, "no: 0" tells you what both said);
- otherwise each count below the threshold is withheld, and when only one count of a question is, the next
  smallest is withheld as well, so the hidden one cannot be worked out by taking the others from the total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Count:
    """A figure as shown: the number, or None when it is withheld."""

    value: int | None

    @property
    def withheld(self) -> bool:
        return self.value is None


def is_small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def shown(n: int, *, threshold: int, exact: bool) -> Count:
    """One figure on its own (links sent, answers)."""
    return Count(n if exact or not is_small(n, threshold) else None)


def suppress_counts(
    counts: Mapping[str, int], *, order: Sequence[str], threshold: int, exact: bool, answers: int
) -> dict[str, Count]:
    """One question's counts (answer -> how many), withheld as the module says unless `exact`."""
    if exact:
        return {key: Count(counts.get(key, 0)) for key in order}
    if is_small(answers, threshold):
        return {key: Count(None) for key in order}
    hidden = {key for key in order if is_small(counts.get(key, 0), threshold)}
    if len(hidden) == 1:
        rest = sorted((counts.get(key, 0), order.index(key), key) for key in order if key not in hidden)
        if rest:
            hidden.add(rest[0][2])
    return {key: Count(None if key in hidden else counts.get(key, 0)) for key in order}


def response_rate(responses: int, asked: int, *, threshold: int, exact: bool) -> int | None:
    """Answers per link sent, as a whole percentage; withheld when either figure is."""
    if asked == 0:
        return None
    if not exact and (is_small(responses, threshold) or is_small(asked, threshold)):
        return None
    return round(100 * responses / asked)
