"""Everything the hub holds about one child, found by walking the models rather than listing them.

Starting from the child's hub identity, every row that refers to a row already found (through any
foreign key, in any app) is part of the child's data: identities merged into the child, agency records
and their versions, facts, episodes and their risk assessments and debriefs, referrals and their events, plans,
allocations, emergency-access grants, disclosures, legal holds, linkage decisions, rights requests, and
whatever a later app adds. The subject-access export and the retention run use the same walk, so what a
child is shown and what is deleted cannot drift apart. The audit trail holds no foreign key to a child
(only its public id) and is never part of the walk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from hafan.people.models import Child
from hafan.sharing.models import AuditEvent

CHUNK = 500


def _chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def reverse_relations(model: type[models.Model]) -> list[Any]:
    """Every foreign key or one-to-one field, in any model, that points at `model` (hidden ones too)."""
    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]


def surviving_identity(child: Child) -> Child:
    """The identity a merged-in child now lives on (itself when it was never merged)."""
    seen: set[int] = set()
    while child.merged_into_id is not None and child.pk not in seen:
        seen.add(child.pk)
        child = Child.objects.get(pk=child.merged_into_id)
    return child


@dataclass
class Holdings:
    """The rows that make up a child's data, by model (primary keys), in the order they were found, and
    references from rows outside it that are cleared rather than deleted (SET_NULL foreign keys)."""

    rows: dict[type[models.Model], set[Any]] = field(default_factory=dict)
    cleared: list[tuple[type[models.Model], str, set[Any]]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {model._meta.label: len(pks) for model, pks in self.rows.items() if pks}

    def children(self) -> list[Child]:
        return list(Child.objects.filter(pk__in=self.rows.get(Child, set())).order_by("pk"))

    def queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return model._base_manager.filter(pk__in=sorted(self.rows.get(model, set())))

    def deletion_order(self) -> list[type[models.Model]]:
        """Models so that every row is deleted before the rows it refers to (referencing tables first)."""
        found = list(self.rows)
        refers_to: dict[type[models.Model], set[type[models.Model]]] = {
            m: {
                f.related_model
                for f in m._meta.concrete_fields
                if f.is_relation and f.related_model in self.rows and f.related_model is not m
            }
            for m in found
        }
        order: list[type[models.Model]] = []
        remaining = set(found)
        while remaining:
            # A model nothing remaining refers to can go now.
            free = [m for m in found if m in remaining and not any(m in refers_to[o] for o in remaining)]
            if not free:
                raise RuntimeError("The child's data has a cycle of foreign keys between models.")
            order.extend(free)
            remaining -= set(free)
        return order


def _referenced_values(model: type[models.Model], pks: set[Any], target_attname: str) -> list[Any]:
    if target_attname == model._meta.pk.attname:
        return sorted(pks)
    values: list[Any] = []
    for batch in _chunks(sorted(pks)):
        values += model._base_manager.filter(pk__in=batch).values_list(target_attname, flat=True)
    return values


def holdings_for(child: Child) -> Holdings:
    """The child's data: the identity itself, identities merged into it, and every row that refers to
    any of them, directly or through other rows of theirs."""
    holdings = Holdings(rows={Child: {child.pk}})
    queue: deque[tuple[type[models.Model], set[Any]]] = deque([(Child, {child.pk})])
    while queue:
        model, pks = queue.popleft()
        for rel in reverse_relations(model):
            related: type[models.Model] = rel.related_model
            fk = rel.field
            if related is AuditEvent:
                raise RuntimeError("The audit trail must never refer to a child's rows by foreign key.")
            found: set[Any] = set()
            for batch in _chunks(_referenced_values(model, pks, fk.target_field.attname)):
                found |= set(
                    related._base_manager.filter(**{f"{fk.attname}__in": batch}).values_list("pk", flat=True)
                )
            if not found:
                continue
            if fk.remote_field.on_delete is models.SET_NULL:
                holdings.cleared.append((related, fk.name, found))
                continue
            new = found - holdings.rows.get(related, set())
            if new:
                holdings.rows.setdefault(related, set()).update(new)
                queue.append((related, new))
    # A row cleared because it refers to the child's data may itself be part of that data.
    holdings.cleared = [
        (m, name, pks - holdings.rows.get(m, set()))
        for m, name, pks in holdings.cleared
        if pks - holdings.rows.get(m, set())
    ]
    return holdings


def holdings_delete(holdings: Holdings) -> dict[str, int]:
    """Deletes the rows (the caller holds the transaction). Returns rows deleted per model."""
    for model, name, referencing in holdings.cleared:
        for batch in _chunks(sorted(referencing)):
            model._base_manager.filter(pk__in=batch).update(**{name: None})
    deleted: dict[str, int] = {}
    for model in holdings.deletion_order():
        pks = sorted(holdings.rows[model])
        # References between rows of the same model (a merged identity, a corrected fact) are cleared first.
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is model and f.null:
                for batch in _chunks(pks):
                    model._base_manager.filter(pk__in=batch).update(**{f.name: None})
        count = 0
        for batch in _chunks(pks):
            _, per_model = model._base_manager.filter(pk__in=batch).delete()
            count += per_model.get(model._meta.label, 0)
        deleted[model._meta.label] = count
    return deleted
