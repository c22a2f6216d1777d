"""The Gwent partnership: seeded idempotently (running it twice changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from hafan.agencies.models import Agency
from hafan.core.vocabulary import AgencyKind
from hafan.sharing.services import gwent_hub_agreement_seed


@dataclass(frozen=True)
class AgencySeed:
    code: str
    name_en: str
    name_cy: str
    kind: AgencyKind
    in_partnership: bool = True


GWENT_PARTNERSHIP = [
    AgencySeed("GWP", "Gwent Police", "Heddlu Gwent", AgencyKind.POLICE),
    AgencySeed(
        "ABUHB",
        "Aneurin Bevan University Health Board",
        "Bwrdd Iechyd Prifysgol Aneurin Bevan",
        AgencyKind.HEALTH,
    ),
    AgencySeed(
        "BGCBC",
        "Blaenau Gwent County Borough Council",
        "Cyngor Bwrdeistref Sirol Blaenau Gwent",
        AgencyKind.COUNCIL,
    ),
    AgencySeed(
        "CCBC", "Caerphilly County Borough Council", "Cyngor Bwrdeistref Sirol Caerffili", AgencyKind.COUNCIL
    ),
    AgencySeed("MCC", "Monmouthshire County Council", "Cyngor Sir Fynwy", AgencyKind.COUNCIL),
    AgencySeed("NCC", "Newport City Council", "Cyngor Dinas Casnewydd", AgencyKind.COUNCIL),
    AgencySeed(
        "TCBC", "Torfaen County Borough Council", "Cyngor Bwrdeistref Sirol Torfaen", AgencyKind.COUNCIL
    ),
    AgencySeed("LLAMAU", "Llamau", "Llamau", AgencyKind.CHARITY),
]
# A force outside the partnership: its staff must see nothing (the "outsider" persona).
OUTSIDE_AGENCIES = [
    AgencySeed("DPP", "Dyfed-Powys Police", "Heddlu Dyfed-Powys", AgencyKind.POLICE, in_partnership=False),
]


@transaction.atomic
def partnership_seed() -> list[Agency]:
    agencies = []
    for seed in GWENT_PARTNERSHIP + OUTSIDE_AGENCIES:
        agency, _ = Agency.objects.update_or_create(
            code=seed.code,
            defaults={
                "name_en": seed.name_en,
                "name_cy": seed.name_cy,
                "kind": seed.kind,
                "in_partnership": seed.in_partnership,
            },
        )
        agencies.append(agency)
    # The hub's own sharing agreement (issue 5): partners' facts are shared only under an active one.
    gwent_hub_agreement_seed()
    return agencies
