"""Template filters for the child's risk matrix (issue 6, item 3)."""

from __future__ import annotations

from typing import Any

from django import template

from hafan.risk.rules import matrix_rating

register = template.Library()


@register.filter(name="matrix_rating")
def matrix_rating_of(plan: Any) -> str:
    """The rating ("low", "medium", "high" or "") of a response plan's likelihood x harm."""
    try:
        return matrix_rating(getattr(plan, "likelihood", "") or "", getattr(plan, "harm", "") or "")
    except ValueError:
        return ""
