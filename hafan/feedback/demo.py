"""Demo feedback (hafan demo_data): a link for every held debrief, answered for about 40% of them.

Deterministic without touching the demo planner's random stream: each debrief's own choices come from its
episode reference, so adding feedback changes nothing else the generator makes."""

from __future__ import annotations

import datetime
import random
import zlib
from typing import Any

from hafan.feedback.services import feedback_link_create, feedback_submit

ANSWER_RATE = 0.4
# Synthetic comments, as young people might write them.
COMMENTS = {
    "en": [
        "She listened and didn't judge me.",
        "It was ok. I didn't want to talk at first.",
        "Thanks for the chat and the hot chocolate.",
        "I want to see the same person next time.",
        "It helped a bit.",
        "Please don't tell my mum everything.",
    ],
    "cy": [
        "Roedd hi'n garedig ac yn gwrando.",
        "Diolch am y sgwrs.",
        "Roedd yn iawn. Do'n i ddim eisiau siarad i ddechrau.",
    ],
}


def _answer(rng: random.Random, *, yes: float, a_bit: float) -> str:
    roll = rng.random()
    return "yes" if roll < yes else ("a_bit" if roll < yes + a_bit else "no")


def demo_feedback(
    *, debrief: Any, worker: Any, held_at: datetime.datetime, latest: datetime.datetime
) -> None:
    rng = random.Random(zlib.crc32(f"feedback:{debrief.episode.reference}".encode()))  # noqa: S311 - seeded demo data, not a secret
    asked_at = min(held_at + datetime.timedelta(hours=2), latest)
    link, token = feedback_link_create(debrief=debrief, actor=worker, now=asked_at)
    if rng.random() >= ANSWER_RATE:
        return
    answered_at = min(asked_at + datetime.timedelta(hours=rng.randint(1, 24 * 6)), latest)
    comments = COMMENTS[link.language if link.language in COMMENTS else "en"]
    feedback_submit(
        token=token,
        listened_to=_answer(rng, yes=0.8, a_bit=0.15),
        felt_safe=_answer(rng, yes=0.75, a_bit=0.2),
        helped=_answer(rng, yes=0.55, a_bit=0.3),
        right_language=_answer(rng, yes=0.9, a_bit=0.05) if rng.random() < 0.9 else "",
        would_tell_a_friend=_answer(rng, yes=0.6, a_bit=0.25) if rng.random() < 0.85 else "",
        comment=rng.choice(comments) if rng.random() < 0.3 else "",
        language=link.language,
        now=answered_at,
    )
