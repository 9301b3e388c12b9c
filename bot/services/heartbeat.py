"""The heartbeat file: the running bot stamps it each time a scheduler tick ends, and
`paperscout health` (a container's HEALTHCHECK, a systemd watchdog) reads it from another
process. A file, not a database row: it says that *this* process (this container) still ticks,
and it can be read when the database is what is broken."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from bot.clock import Clock

log = logging.getLogger(__name__)


class Heartbeat:
    """Writes the time of the last tick (and the process id) to `path`, atomically."""

    def __init__(self, path: str | Path, clock: Clock) -> None:
        self.path = Path(path)
        self._clock = clock
        self._failing = False

    def beat(self) -> None:
        """Stamp the file now. A failure is logged once (until it works again), never raised:
        the bot's work must not stop because its health file cannot be written."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            scratch = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            scratch.write_text(f"{self._clock.now().isoformat()} {os.getpid()}\n")
            os.replace(scratch, self.path)  # a reader never sees half a line
        except OSError as error:
            if not self._failing:
                log.warning("cannot write the heartbeat file %s: %s", self.path, error)
            self._failing = True
        else:
            self._failing = False


def last_beat(path: str | Path) -> tuple[datetime, int] | None:
    """When the file was last stamped and by which process; None when there is no readable
    stamp (never written, or not a heartbeat file)."""
    try:
        stamp, pid = Path(path).read_text().split()
        at = datetime.fromisoformat(stamp)
        return (at, int(pid)) if at.tzinfo is not None else None
    except (OSError, ValueError):
        return None
