"""Domain errors: each carries a short message meant for the user who caused it."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message is safe and useful to show the user, ephemerally."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class BadInput(UserFacingError):
    """The user typed something we cannot use; nothing was written."""


class NotFoundError(UserFacingError):
    """What the user asked about does not exist (an unknown author, paper or id)."""


class UpstreamDown(UserFacingError):
    """A source the answer depends on is unreachable right now."""
