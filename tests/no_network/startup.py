# IPython start-up file installed by the root conftest.py into a temporary IPYTHONDIR:
# every notebook kernel that the tests start (nbval, nbclient) runs it before the first
# cell. Outbound connections then fail; loopback (the kernel's own channels, a local
# server) and Unix sockets stay open. It prints nothing, so stored outputs are unchanged.
import pytest_socket as _pytest_socket

_pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"], allow_unix_socket=True)
del _pytest_socket
