"""One adapter per agency format, all the same shape (hafan.ingest.adapters.base)."""

from __future__ import annotations

from importlib import import_module

from hafan.ingest.adapters.base import Adapter

# format name (as typed in `hafan import FORMAT`) -> adapter class. Loaded lazily: the FHIR library is large.
ADAPTERS: dict[str, str] = {
    "police-csv": "hafan.ingest.adapters.police_csv.PoliceCsvAdapter",
    "police-pole": "hafan.ingest.adapters.police_pole.PolicePoleAdapter",
    "ssda903": "hafan.ingest.adapters.ssda903.Ssda903Adapter",
    "caselist": "hafan.ingest.adapters.caselist.CaseListAdapter",
    "fhir": "hafan.ingest.adapters.fhir.FhirBundleAdapter",
    "ctf": "hafan.ingest.adapters.ctf.CtfAdapter",
    "generic": "hafan.ingest.adapters.generic_csv.GenericCsvAdapter",
}


class UnknownFormat(LookupError):
    pass


def adapter_for(format_name: str) -> Adapter:
    try:
        dotted = ADAPTERS[format_name]
    except KeyError:
        raise UnknownFormat(
            f"Unknown format '{format_name}'. Choose one of: {', '.join(sorted(ADAPTERS))}."
        ) from None
    module, _, name = dotted.rpartition(".")
    adapter: Adapter = getattr(import_module(module), name)()
    return adapter
