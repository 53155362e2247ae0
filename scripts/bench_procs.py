"""Memory and CPU of processes, read from /proc (psutil is not a dependency): what the read
benchmark reports for the product at rest and for the API during an export."""

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    """One process at one moment."""

    pid: int
    name: str
    rss_mb: float
    peak_mb: float
    cpu_seconds: float


def _status(pid: int) -> dict[str, str]:
    """The fields of /proc/PID/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _kb_to_mb(value: str) -> float:
    """'1234 kB' in megabytes."""
    return int(value.split()[0]) / 1024 if value else 0.0


def name_of(pid: int) -> str:
    """A short name for a process: the procure command, or what it runs."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    words = [word.decode(errors="replace") for word in argv if word]
    if "api.cli" in words:
        return " ".join(words[words.index("api.cli") + 1 :][:1]) or "procure"
    for word in words[1:]:
        if not word.startswith("-"):
            return Path(word).name if "/" in word else word
    return Path(words[0]).name if words else str(pid)


def sample(pid: int) -> Sample:
    """Memory now, peak memory, and CPU seconds used so far by one process."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces: the fields start after its closing parenthesis.
    fields = stat.rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    status = _status(pid)
    return Sample(
        pid=pid,
        name=name_of(pid),
        rss_mb=_kb_to_mb(status.get("VmRSS", "")),
        peak_mb=_kb_to_mb(status.get("VmHWM", "")),
        cpu_seconds=cpu,
    )


def tree(root: int) -> list[int]:
    """`root` and every process descended from it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, []))
    return found


def sample_tree(root: int) -> list[Sample]:
    """A sample of every live process in `root`'s tree."""
    samples = []
    for pid in tree(root):
        try:
            samples.append(sample(pid))
        except (OSError, IndexError):
            continue  # ended between listing and reading
    return samples
