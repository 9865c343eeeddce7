"""A fork server for the notebook kernels of one pytest process (see __init__.py here).

    python tests/preloaded_kernel/server.py SOCKET_PATH

Imports Keras (and with it TensorFlow) once, then, for every request on the Unix socket
``SOCKET_PATH``, forks: the child becomes an IPython kernel exactly as
``python -m ipykernel_launcher -f CONNECTION_FILE`` starts one, with the requester's
working folder, environment, standard streams and arguments. A kernel started this way
skips the three to four seconds that importing TensorFlow takes in every fresh kernel.

A request is refused (and the client starts a fresh kernel instead) when it does not come
from the same interpreter and module path, or when an environment variable that a module
reads on import differs from this server's (``IMPORT_TIME_ENV``), or when the hash seed is
random: the forked kernel would then not be the kernel a fresh process gives.

Protocol (SOCK_SEQPACKET, one message per send): the client sends the JSON request with
its file descriptors 0, 1 and 2 attached; the server answers ``started PID`` or
``refused REASON``, and later ``exit CODE`` when the kernel ends. A client that goes away
(its socket closes) takes its kernel with it (SIGKILL). The server exits when its parent
(the pytest process) does, and kills the kernels it still has.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import signal
import socket
import sys
import traceback

#: What the server imports once for all its kernels: the slow imports every chapter makes
#: first. Not matplotlib (it reads MPLBACKEND, which the kernel sets, on import).
PRELOAD = ("keras",)
#: Environment variables read when those modules are imported (names, or prefixes ending
#: in "_"): a kernel asking for other values gets a fresh process.
IMPORT_TIME_ENV = ("PYTHON", "TF_", "KERAS_", "XLA_", "JAX_", "CUDA_", "OMP_", "MKL_",
                   "OPENBLAS_", "NPY_", "NUMPY_", "ABSL_", "GRPC_", "LD_", "HOME", "TMPDIR")
REQUEST_LIMIT = 1 << 20


def import_time_env(env: dict[str, str]) -> dict[str, str]:
    """The variables of ``env`` that a preloaded module may have read on import."""
    return {key: value for key, value in env.items() if key.startswith(IMPORT_TIME_ENV)}


def refusal(request: dict, identity: dict) -> str | None:
    """Why a fork would not give the kernel a fresh process gives, or None."""
    if request.get("executable") != identity["executable"]:
        return f"another interpreter ({request.get('executable')})"
    if request.get("path") != identity["path"]:
        return "another module path"
    env = import_time_env(request.get("env", {}))
    if env != identity["env"]:
        keys = sorted(key for key in env.keys() | identity["env"].keys()
                      if env.get(key) != identity["env"].get(key))
        return "other import-time environment: " + ", ".join(keys)
    if env.get("PYTHONHASHSEED", "random") == "random":
        return "a random hash seed (each fresh kernel would get its own)"
    return None


def become_kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: take the request's streams, folder and environment, run the
    kernel, and leave as a process leaves (exit handlers run), never returning."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [request["launcher"], *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=request["argv"])
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the kernel's stderr, then exit 1
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(path: str) -> None:
    identity = {"executable": sys.executable, "path": list(sys.path),
                "env": import_time_env(dict(os.environ))}
    parent = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # leave through `finally`
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(16)  # requests wait here while the imports below run
    for name in PRELOAD:
        __import__(name)
    import ipykernel.kernelapp  # noqa: F401 - the kernel's own start-up imports

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    kernels: dict[int, socket.socket] = {}

    def end(pid: int, code: int) -> None:
        conn = kernels.pop(pid)
        try:
            conn.send(f"exit {code}".encode())
        except OSError:
            pass
        with contextlib.suppress(KeyError):  # unregistered already if its client went
            selector.unregister(conn)
        conn.close()

    try:
        while os.getppid() == parent:
            for key, _ in selector.select(timeout=0.5):
                if key.fileobj is listener:
                    conn, _ = listener.accept()
                    try:
                        message, fds, _, _ = socket.recv_fds(conn, REQUEST_LIMIT, 3)
                        request = json.loads(message)
                        reason = refusal(request, identity) if len(fds) == 3 else "no streams"
                    except (OSError, ValueError) as error:
                        fds, reason = [], f"unreadable request ({error})"
                    if reason:
                        for fd in fds:
                            os.close(fd)
                        conn.send(f"refused {reason}".encode())
                        conn.close()
                        continue
                    pid = os.fork()
                    if pid == 0:
                        listener.close()
                        selector.close()
                        for other in kernels.values():
                            other.close()
                        conn.close()
                        become_kernel(request, fds)
                    for fd in fds:
                        os.close(fd)
                    kernels[pid] = conn
                    selector.register(conn, selectors.EVENT_READ, pid)
                    conn.send(f"started {pid}".encode())
                else:  # the client went away: its kernel goes too
                    try:
                        gone = not key.fileobj.recv(64)
                    except OSError:
                        gone = True
                    if gone:
                        try:
                            os.kill(key.data, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                        selector.unregister(key.fileobj)
            while kernels:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                if pid in kernels:
                    end(pid, os.waitstatus_to_exitcode(status))
    finally:
        for pid in list(kernels):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        listener.close()
        os.unlink(path)


if __name__ == "__main__":
    del sys.path[0]  # like ipykernel_launcher: the script's folder is not on the path
    serve(sys.argv[1])
