"""Domain errors. Services raise these; views and the API turn them into responses."""

from __future__ import annotations

from django.http import Http404


class HafanError(Exception):
    """Base class for errors a user can act on."""


class NotFoundOrNoAccess(Http404):
    """The record does not exist or the user may not see it: the two are indistinguishable on purpose."""


class NotPermitted(HafanError):
    """The user may see the record but may not do this to it."""


class InvalidAction(HafanError):
    """The action does not fit the record's state (e.g. recording a return for a closed episode)."""


class EditConflict(HafanError):
    """Someone else saved the same record since this user opened it. Nothing is overwritten: the page shows both
    versions (`current` is what is saved now) and the user decides."""

    def __init__(self, message: str, *, current: object) -> None:
        super().__init__(message)
        self.current = current
