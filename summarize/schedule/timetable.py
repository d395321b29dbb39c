"""When each schedule is due.

Time: croniter steps through local wall-clock times (naive, so it never sees a
DST transition) and zoneinfo turns each into an instant. A wall time that a
spring-forward skips happens at the end of the gap; one that an autumn
fall-back repeats happens at its first occurrence. So every local day has one
due instant: none is skipped, none doubled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

# Walking this far from a wall time covers any UTC offset change on record.
_SLACK = timedelta(hours=26)


@dataclass(frozen=True)
class Due:
    instant: datetime  # aware, UTC
    day: date  # the briefing date: the local calendar day the schedule fires on


def _local_wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def wall_time_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """When the naive local time `wall` happens in `zone`, as UTC."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _local_wall(first, zone) == wall:
        return first  # exists; fold=0 is the first of a repeated hour
    # Skipped by a spring-forward: fold=1 applies the later offset, landing
    # before the gap; search for the first instant whose wall time reaches `wall`.
    low, high = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _local_wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def due_at_or_before(cron: str, zone: ZoneInfo, now: datetime) -> Due | None:
    """The most recent due time at or before `now`."""
    walls = croniter(cron, _local_wall(now, zone) + _SLACK)
    for _ in range(100_000):
        wall = walls.get_prev(datetime)
        instant = wall_time_instant(wall, zone)
        if instant <= now:
            return Due(instant, wall.date())
    return None


def due_after(cron: str, zone: ZoneInfo, moment: datetime) -> Due:
    """The first due time strictly after `moment`."""
    walls = croniter(cron, _local_wall(moment, zone) - _SLACK)
    while True:
        wall = walls.get_next(datetime)
        instant = wall_time_instant(wall, zone)
        if instant > moment:
            return Due(instant, wall.date())


def utc_now() -> datetime:
    return datetime.now(UTC)
