"""The directory of services a child can be referred to, seeded idempotently.

Synthetic but shaped like Gwent's: the charity (Llamau) runs peer mentoring and family mediation, the health
board runs CAMHS, each council runs its own education support; the rest are services outside the partnership
whose answers the referrer records. Contacts are made up: `.invalid` addresses and Ofcom's drama numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from hafan.referrals.models import Service, ServiceKind

ALL_GWENT: tuple[str, ...] = ()
COUNCILS = {
    "BGCBC": ("Blaenau Gwent", "Blaenau Gwent"),
    "CCBC": ("Caerphilly", "Caerffili"),
    "MCC": ("Monmouthshire", "Sir Fynwy"),
    "NCC": ("Newport", "Casnewydd"),
    "TCBC": ("Torfaen", "Torfaen"),
}


@dataclass(frozen=True)
class ServiceSeed:
    kind: ServiceKind
    name_en: str
    name_cy: str
    provider_name: str
    provider_agency_code: str | None
    areas: tuple[str, ...]
    contact_email: str
    contact_phone: str
    capacity: int | None
    description_en: str
    description_cy: str = ""
    needs_consent: bool = True


DIRECTORY: list[ServiceSeed] = [
    ServiceSeed(
        ServiceKind.PEER_MENTORING,
        "Peer mentoring for young people",
        "Mentora cymheiriaid i bobl ifanc",
        "Llamau",
        "LLAMAU",
        ALL_GWENT,
        "mentoring@llamau.invalid",
        "029 2018 0410",
        24,
        "Weekly sessions with a trained young mentor who has been through something similar, for up to six months.",
    ),
    ServiceSeed(
        ServiceKind.FAMILY_MEDIATION,
        "Family mediation",
        "Cyfryngu teuluol",
        "Llamau",
        "LLAMAU",
        ALL_GWENT,
        "mediation@llamau.invalid",
        "029 2018 0411",
        18,
        "Sessions with the young person and their family to rebuild communication and agree ways forward.",
    ),
    ServiceSeed(
        ServiceKind.EXPLOITATION,
        "CSE and CCE specialist service",
        "Gwasanaeth arbenigol CRhB a CTaB",
        "Gwent exploitation service",
        None,
        ALL_GWENT,
        "exploitation.referrals@gwent-exploitation.invalid",
        "029 2018 0420",
        30,
        "Specialist one-to-one work with children at risk of sexual or criminal exploitation, including county lines.",
    ),
    ServiceSeed(
        ServiceKind.CAMHS,
        "Child and adolescent mental health (CAMHS)",
        "Gwasanaethau Iechyd Meddwl Plant a’r Glasoed (CAMHS)",
        "Aneurin Bevan University Health Board",
        "ABUHB",
        ALL_GWENT,
        "camhs.spoa@abuhb.invalid",
        "01632 960430",
        60,
        "Assessment and treatment for children with mental health needs, through the single point of access.",
    ),
    ServiceSeed(
        ServiceKind.SUBSTANCE_MISUSE,
        "Young people's substance misuse service",
        "Gwasanaeth camddefnyddio sylweddau i bobl ifanc",
        "Gwent substance misuse service",
        None,
        ALL_GWENT,
        "young.people@gwent-substance.invalid",
        "01632 960440",
        40,
        "Harm reduction and one-to-one support for young people using alcohol or drugs.",
    ),
    *[
        ServiceSeed(
            ServiceKind.EDUCATION_SUPPORT,
            f"Education inclusion support: {en}",
            f"Cymorth cynhwysiant addysg: {cy}",
            f"{en} education service",
            code,
            (code,),
            f"inclusion@{code.lower()}.invalid",
            f"029 2018 04{50 + i}",
            12,
            "Support to get back into school: attendance, reduced timetables, alternative provision.",
        )
        for i, (code, (en, cy)) in enumerate(COUNCILS.items())
    ],
    ServiceSeed(
        ServiceKind.BEREAVEMENT,
        "Bereavement support",
        "Cymorth profedigaeth",
        "Regional bereavement service",
        None,
        ALL_GWENT,
        "referrals@gwent-bereavement.invalid",
        "01632 960460",
        20,
        "Support for children and young people after the death of someone close to them.",
    ),
    ServiceSeed(
        ServiceKind.YOUTH_WORK,
        "Detached youth work: east Gwent",
        "Gwaith ieuenctid ar y stryd: dwyrain Gwent",
        "East Gwent youth service",
        None,
        ("MCC", "NCC", "TCBC"),
        "east@gwent-youth.invalid",
        "029 2018 0470",
        35,
        "Youth workers who meet young people where they spend time: parks, town centres, the bus station.",
    ),
    ServiceSeed(
        ServiceKind.YOUTH_WORK,
        "Detached youth work: west Gwent",
        "Gwaith ieuenctid ar y stryd: gorllewin Gwent",
        "West Gwent youth service",
        None,
        ("BGCBC", "CCBC"),
        "west@gwent-youth.invalid",
        "029 2018 0471",
        25,
        "Youth workers who meet young people where they spend time: parks, town centres, the bus station.",
    ),
    # For under-18s an NRM referral needs no consent (an adult's does: referrals.services.referral_send).
    ServiceSeed(
        ServiceKind.NRM,
        "National Referral Mechanism",
        "Y Mecanwaith Atgyfeirio Cenedlaethol",
        "Home Office (single competent authority)",
        None,
        ALL_GWENT,
        "nrm@sca.invalid",
        "01632 960480",
        None,
        "A child suspected of being trafficked or exploited for modern slavery is referred by a first responder.",
        needs_consent=False,
    ),
]
# Entries an older directory had, replaced by the ones above: kept (referrals point at them) but inactive.
RETIRED = ["Education inclusion support"]


@transaction.atomic
def service_directory_seed() -> list[Service]:
    """Creates or updates every service in DIRECTORY (running it twice changes nothing) and returns them."""
    from hafan.agencies.models import Agency

    agencies = {a.code: a for a in Agency.objects.all()}
    services = []
    for seed in DIRECTORY:
        service, _ = Service.objects.update_or_create(
            name_en=seed.name_en,
            defaults={
                "kind": seed.kind,
                "name_cy": seed.name_cy,
                "provider_name": seed.provider_name,
                "provider_agency": agencies.get(seed.provider_agency_code or ""),
                "areas": list(seed.areas),
                "contact_email": seed.contact_email,
                "contact_phone": seed.contact_phone,
                "capacity": seed.capacity,
                "description_en": seed.description_en,
                "description_cy": seed.description_cy,
                "needs_consent": seed.needs_consent,
                "active": True,
            },
        )
        services.append(service)
    Service.objects.filter(name_en__in=RETIRED).update(active=False)
    return services


def service_for(*, kind: str, council_code: str | None) -> Service:
    """The active service of this kind that covers the council (the first by name when several do)."""
    for service in Service.objects.filter(kind=kind, active=True).order_by("name_en"):
        if service.covers(council_code):
            return service
    raise Service.DoesNotExist(f"No active {kind} service covers {council_code}")
