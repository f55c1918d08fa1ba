"""When daily digests go out: a local time of day in a time zone (pure)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class DigestSchedule:
    """Daily digests at `local_time` (HH:MM) in `timezone` (IANA name)."""

    local_time: dt.time = dt.time(8, 0)
    timezone: str = "UTC"

    @classmethod
    def parse(cls, local_time: str | None, timezone: str | None) -> DigestSchedule:
        """Build from CALEA_BOT_DIGEST_TIME / CALEA_BOT_TIMEZONE values; ConfigError if bad."""
        parsed = dt.time(8, 0)
        if local_time:
            match = _TIME.match(local_time.strip())
            if not match:
                raise ConfigError(
                    f"CALEA_BOT_DIGEST_TIME must be HH:MM (24-hour), got {local_time!r}"
                )
            parsed = dt.time(int(match[1]), int(match[2]))
        zone = (timezone or "UTC").strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"CALEA_BOT_TIMEZONE must be an IANA time zone such as America/New_York, "
                f"got {zone!r}"
            ) from exc
        return cls(parsed, zone)

    def next_after(self, now: dt.datetime) -> dt.datetime:
        """The first digest moment strictly after `now`, in UTC."""
        zone = ZoneInfo(self.timezone)
        local_now = now.astimezone(zone)
        candidate = dt.datetime.combine(local_now.date(), self.local_time, tzinfo=zone)
        if candidate <= local_now:
            candidate = dt.datetime.combine(
                local_now.date() + dt.timedelta(days=1), self.local_time, tzinfo=zone
            )
        return candidate.astimezone(dt.UTC)
