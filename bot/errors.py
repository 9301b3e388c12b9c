"""Domain errors: each carries a short message meant for the user who caused it."""

from __future__ import annotations

Choices = tuple[tuple[str, str], ...]  # (label, what to type instead)


class UserFacingError(Exception):
    """An error whose message is safe and useful to show the user, ephemerally. `choices`:
    what the user may have meant (a "did you mean"), offered as buttons that run the command
    again with that value."""

    def __init__(self, user_message: str, choices: Choices = ()) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.choices = choices


class BadInput(UserFacingError):
    """The user typed something we cannot use; nothing was written."""


class NotFoundError(UserFacingError):
    """What the user asked about does not exist (an unknown author, paper or id)."""


class UpstreamDown(UserFacingError):
    """A source the answer depends on is unreachable right now."""
