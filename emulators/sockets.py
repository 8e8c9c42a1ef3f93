"""Which TCP addresses a set of processes listens on, read from /proc (Linux, no psutil).

Used to prove that local servers bind to loopback only: a web UI that
listens on 0.0.0.0 answers the whole network, whatever port it is on.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterable
from pathlib import Path

LISTEN = "0A"  # TCP state code in /proc/net/tcp*
PROC = Path("/proc")


def _decode(address: str, v6: bool) -> tuple[str, int]:
    host_hex, port_hex = address.split(":")
    raw = bytes.fromhex(host_hex)
    if v6:
        # Four 32-bit words, each in host byte order.
        words = struct.unpack("<4I", raw)
        host = socket.inet_ntop(socket.AF_INET6, struct.pack(">4I", *words))
    else:
        host = socket.inet_ntop(socket.AF_INET, struct.pack(">I", struct.unpack("<I", raw)[0]))
    return host, int(port_hex, 16)


def _listening_by_inode() -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for name, v6 in (("tcp", False), ("tcp6", True)):
        table = PROC / "net" / name
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            cols = line.split()
            if len(cols) > 9 and cols[3] == LISTEN:
                found[cols[9]] = _decode(cols[1], v6)
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(PROC / str(pid) / "fd"):
            try:
                target = os.readlink(PROC / str(pid) / "fd" / fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:  # gone, or not ours to read
        pass
    return inodes


def listening(pids: Iterable[int]) -> dict[int, list[tuple[str, int]]]:
    """Each pid's listening (host, port) pairs."""
    table = _listening_by_inode()
    return {
        pid: sorted(table[i] for i in _socket_inodes(pid) if i in table) for pid in pids
    }


def is_loopback(host: str) -> bool:
    return host in ("::1", "::ffff:127.0.0.1") or host.startswith("127.")


def processes_in_groups(groups: Iterable[int]) -> list[int]:
    """Every live pid whose process group is one of ``groups`` (children included)."""
    wanted = set(groups)
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) in wanted:
            found.append(int(entry.name))
    return sorted(found)


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot: tells a reused pid apart."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])
