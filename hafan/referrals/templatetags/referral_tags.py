"""`{% child_referrals child %}`: the child's referrals this user may see, with status and outcome, for the
child's record page (every referral has a visible state and outcome)."""

from __future__ import annotations

from typing import Any

from django import template

from hafan.referrals.selectors import referrals_for_child_visible_to

register = template.Library()


@register.inclusion_tag("referrals/_child_referrals.html", takes_context=True)
def child_referrals(context: template.Context, child: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    referrals = list(referrals_for_child_visible_to(user=user, child=child)[:50]) if user is not None else []
    return {"referrals": referrals}
