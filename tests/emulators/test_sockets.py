"""emulators/sockets.py reads listening addresses and process groups from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

from emulators import sockets
from emulators.azurite import wait_until


def test_a_listening_socket_is_found_with_its_address() -> None:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family) as server:
            server.bind((host, 0))
            server.listen()
            port = server.getsockname()[1]
            found = sockets.listening([os.getpid()])[os.getpid()]
            assert (host, port) in found


def test_loopback_is_told_from_every_other_address() -> None:
    assert all(map(sockets.is_loopback, ["127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"]))
    assert not any(map(sockets.is_loopback, ["0.0.0.0", "::", "10.0.0.5", "::ffff:10.0.0.5"]))


CHILD_AND_WAIT = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); time.sleep(30)"
)


def test_process_groups_include_children_and_forget_the_dead() -> None:
    leader = subprocess.Popen([sys.executable, "-c", CHILD_AND_WAIT], start_new_session=True)
    try:
        assert sockets.start_time(leader.pid) is not None
        assert wait_until(lambda: len(sockets.processes_in_groups([leader.pid])) == 2, 10)
        assert leader.pid in sockets.processes_in_groups([leader.pid])
    finally:
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
    assert wait_until(lambda: not sockets.processes_in_groups([leader.pid]), 10)
    assert sockets.start_time(leader.pid) is None
