"""In which order stage runs go, and how many at once: a person waiting on their decision's
next stage goes before bulk work (new cases, imports, sweeps, stages that follow on by
themselves), and bulk work never takes the last free slot, so it cannot shut a person out."""

from enum import IntEnum


class Priority(IntEnum):
    """Lower goes first."""

    PERSON_WAITS = 0
    BULK = 1


def priority_of(*, decided_by_person: bool) -> Priority:
    """A stage asked for by a person's decision or change is awaited; the rest is bulk."""
    return Priority.PERSON_WAITS if decided_by_person else Priority.BULK


def may_start(priority: Priority, *, running: int, running_bulk: int, concurrency: int) -> bool:
    """Whether a run of `priority` may start with `running` runs in flight (of which
    `running_bulk` are bulk) and room for `concurrency`: any free slot for a person; bulk
    leaves one slot free for them whenever there is more than one."""
    if running >= concurrency:
        return False
    if priority is Priority.PERSON_WAITS or concurrency == 1:
        return True
    return running_bulk < concurrency - 1
