"""The kernel command of the ``book-preloaded`` kernelspec (see __init__.py here).

    python tests/preloaded_kernel/client.py -f CONNECTION_FILE

Asks the fork server named by ``BOOK_KERNEL_SERVER`` (a Unix socket) for a kernel and
stays alive as long as that kernel runs: jupyter_client manages this process as it would
manage the kernel. Signals it receives (an interrupt, a terminate) go on to the kernel;
when it is killed, the server kills the kernel. With no server, or a refusal, it becomes
a fresh kernel (``python -m ipykernel_launcher``), as the plain kernelspec starts one.
Imports nothing slow: it runs once per notebook.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

SERVER_ENV = "BOOK_KERNEL_SERVER"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
             signal.SIGUSR1, signal.SIGUSR2)


def _launcher() -> str:
    """The path ``python -m ipykernel_launcher`` gives as ``sys.argv[0]``, unimported."""
    from importlib.util import find_spec

    return find_spec("ipykernel_launcher").origin


def through_server(path: str, argv: list[str]) -> int | None:
    """Run the kernel as a fork of the server; its exit code, or None when refused."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(path)
        request = {"argv": argv, "launcher": _launcher(), "cwd": os.getcwd(),
                   "env": dict(os.environ), "executable": sys.executable,
                   "path": sys.path[1:]}
        socket.send_fds(sock, [json.dumps(request).encode()], [0, 1, 2])
        reply = sock.recv(4096).decode()
    except OSError as error:
        print(f"book-preloaded: no kernel server ({error}); starting a fresh kernel",
              file=sys.stderr)
        sock.close()
        return None
    if not reply.startswith("started "):
        print(f"book-preloaded: {reply or 'server gone'}; starting a fresh kernel",
              file=sys.stderr)
        sock.close()
        return None
    pid = int(reply.split()[1])

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in FORWARDED:
        signal.signal(signum, forward)
    while True:
        message = sock.recv(4096).decode()
        if not message:  # the server went away, and took the kernel with it
            return 1
        if message.startswith("exit "):
            return int(message.split()[1])


def main(argv: list[str]) -> None:
    path = os.environ.get(SERVER_ENV)
    if path:
        code = through_server(path, argv)
        if code is not None:
            if code < 0:  # killed by a signal: end the same way
                signal.signal(-code, signal.SIG_DFL)
                os.kill(os.getpid(), -code)
            sys.exit(code)
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
