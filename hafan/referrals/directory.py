"""The directory of services a child can be referred to, seeded idempotently."""

from __future__ import annotations

from django.db import transaction

from hafan.referrals.models import Service, ServiceKind

DIRECTORY = [
    (
        ServiceKind.PEER_MENTORING,
        "Peer mentoring for young people",
        "Mentora cymheiriaid i bobl ifanc",
        "Llamau",
        True,
    ),
    (ServiceKind.FAMILY_MEDIATION, "Family mediation", "Cyfryngu teuluol", "Llamau", True),
    (
        ServiceKind.EXPLOITATION,
        "CSE and CCE specialist service",
        "Gwasanaeth arbenigol CRhB a CTaB",
        "Gwent exploitation service",
        True,
    ),
    (
        ServiceKind.CAMHS,
        "Child and adolescent mental health (CAMHS)",
        "Gwasanaethau Iechyd Meddwl Plant a’r Glasoed (CAMHS)",
        "Aneurin Bevan University Health Board",
        True,
    ),
    (
        ServiceKind.SUBSTANCE_MISUSE,
        "Young people's substance misuse service",
        "Gwasanaeth camddefnyddio sylweddau i bobl ifanc",
        "Gwent substance misuse service",
        True,
    ),
    (
        ServiceKind.EDUCATION_SUPPORT,
        "Education inclusion support",
        "Cymorth cynhwysiant addysg",
        "Council education service",
        True,
    ),
    (
        ServiceKind.BEREAVEMENT,
        "Bereavement support",
        "Cymorth profedigaeth",
        "Regional bereavement service",
        True,
    ),
    # For under-18s an NRM referral needs no consent.
    (
        ServiceKind.NRM,
        "National Referral Mechanism",
        "Y Mecanwaith Atgyfeirio Cenedlaethol",
        "Home Office (single competent authority)",
        False,
    ),
]


@transaction.atomic
def service_directory_seed() -> list[Service]:
    services = []
    for kind, name_en, name_cy, provider, needs_consent in DIRECTORY:
        service, _ = Service.objects.update_or_create(
            name_en=name_en,
            defaults={
                "kind": kind,
                "name_cy": name_cy,
                "provider_name": provider,
                "needs_consent": needs_consent,
            },
        )
        services.append(service)
    return services
