from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hafan.core.models import HafanModel
from hafan.core.vocabulary import AgencyKind


class Agency(HafanModel):
    code = models.CharField(max_length=16, unique=True, help_text=_("Short code used in feeds and the API."))
    name_en = models.CharField(_("name in English"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200)
    kind = models.CharField(max_length=16, choices=AgencyKind.choices)
    in_partnership = models.BooleanField(
        default=True,
        help_text=_(
            "Partner agencies share under the hub's information sharing protocol; others see nothing."
        ),
    )

    class Meta:
        ordering = ["kind", "name_en"]
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_cy if (get_language() or "en").startswith("cy") and self.name_cy else self.name_en
