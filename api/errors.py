"""Errors meant for the user: their messages are shown; every other error is masked."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the request that the caller can fix; the message is shown as is."""


class PermissionDenied(UserError):
    pass
