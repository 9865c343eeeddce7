"""No network at run time: unit tests and notebook kernels can reach loopback only."""

from __future__ import annotations

import os
import socket
import threading

import nbformat
import pytest
import pytest_socket
from nbclient import NotebookClient

#: TEST-NET-3 (RFC 5737): an address reserved for documentation, never routed.
OUTSIDE = ("203.0.113.1", 80)


def test_the_guard_is_on_for_this_process():
    assert os.environ.get("IPYTHONDIR", "").count("book-ipython-") == 1


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_a_unit_test_cannot_connect_outside():
    with pytest.raises(pytest_socket.SocketConnectBlockedError, match="203.0.113.1"):
        socket.create_connection(OUTSIDE, timeout=1)


def test_a_unit_test_can_still_reach_loopback():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        accepted = threading.Thread(target=lambda: server.accept()[0].close())
        accepted.start()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        accepted.join(timeout=5)


KERNEL_CELLS = [
    "import socket\nsocket.create_connection(('203.0.113.1', 80), timeout=1)",
    "server = socket.create_server(('127.0.0.1', 0))\n"
    "socket.create_connection(server.getsockname(), timeout=5).close()\n'loopback ok'",
]


def test_a_notebook_kernel_cannot_connect_outside_but_reaches_loopback():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in KERNEL_CELLS])
    nb.cells[0].metadata["tags"] = ["raises-exception"]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    blocked, loopback = nb.cells[0].outputs[-1], nb.cells[1].outputs[-1]
    assert blocked.output_type == "error"
    assert blocked.ename == "SocketConnectBlockedError"
    assert "203.0.113.1" in blocked.evalue
    assert loopback["data"]["text/plain"] == "'loopback ok'"
