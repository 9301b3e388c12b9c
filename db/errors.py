"""The error `db` raises when the configured database cannot be used at all."""

from __future__ import annotations


class DatabaseUnavailable(Exception):
    """The database at the URL cannot be reached, opened, written or migrated by this code.

    The message is one line for the operator: what is wrong and how to fix it, never the
    password. Raised where start-up first touches the database (`db.migrate`); a database
    that goes away later surfaces as the driver's own errors.
    """
