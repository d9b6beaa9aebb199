"""Who runs an import job: a worker named "host:pid:token", and whether that process lives.

The token tells one life of a process id from the next: on Linux it is the boot, the pid
namespace and the start time of the process (from /proc), so any process on the same host
can tell whether the worker that claimed a job still runs. Elsewhere it is a random token,
and a worker on this host counts as gone only when its pid is.
"""

import os
import socket
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROC = Path("/proc")
MAX_HOST = 120


@dataclass(frozen=True)
class Worker:
    host: str
    pid: int
    token: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @classmethod
    def parse(cls, text: str) -> "Worker | None":
        """The worker a job names, or None for a job that names none (or garbage)."""
        host, sep, rest = (text or "").rpartition(":")
        host, sep2, pid = host.rpartition(":")
        if not (sep and sep2 and host and pid.isdigit() and rest):
            return None
        return cls(host, int(pid), rest)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


@cache
def _boot_id() -> str | None:
    boot = _read(PROC / "sys/kernel/random/boot_id")
    return boot.replace("-", "")[:12] if boot else None


def _pid_namespace(pid: int | str) -> str | None:
    try:
        link = os.readlink(PROC / str(pid) / "ns/pid")  # "pid:[4026531836]"
    except OSError:
        return None
    return "".join(ch for ch in link if ch.isdigit()) or None


def _start_ticks(pid: int) -> str | None:
    stat = _read(PROC / str(pid) / "stat")
    if not stat:
        return None
    # The command name (field 2) may hold spaces and parentheses: fields resume after ")".
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None  # a zombie has ended; only its exit status is left to collect
    return fields[19]  # field 22, starttime


def proc_token(pid: int) -> str | None:
    """The token of the process `pid` of this host as it runs now, None if there is none
    (or /proc cannot tell)."""
    boot, ns, ticks = _boot_id(), _pid_namespace("self"), _start_ticks(pid)
    if not (boot and ns and ticks):
        return None
    return f"{boot}.{ns}.{ticks}"


@cache
def _random_token() -> str:
    return "r" + uuid.uuid4().hex[:12]


def host() -> str:
    return socket.gethostname()[:MAX_HOST] or "localhost"


def current() -> Worker:
    """This process as a worker. Computed each time: a forked child is another worker."""
    pid = os.getpid()
    return Worker(host(), pid, _token_of_self(pid))


@cache
def _token_of_self(pid: int) -> str:
    # Keyed by pid so that a forked child computes its own.
    return proc_token(pid) or _random_token()


def alive(worker: Worker | None) -> bool | None:
    """Whether the worker's process still runs: True, False, or None when this process
    cannot tell (another host, another pid namespace, no /proc): then only its lease counts."""
    if worker is None:
        return False
    me = current()
    if worker.host != me.host:
        return None
    if worker.pid == me.pid:
        return worker.token == me.token
    if worker.token.startswith("r") or me.token.startswith("r"):
        # A random token (no /proc): a reused pid cannot be told, so a running pid counts.
        return _pid_runs(worker.pid)
    boot, ns, _ticks = [*worker.token.split("."), "", ""][:3]
    my_boot, my_ns, _ticks = me.token.split(".")
    if boot != my_boot:
        return False  # started before this host last booted
    if ns != my_ns:
        return None  # another pid namespace (a container sharing the host name)
    return proc_token(worker.pid) == worker.token


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True
