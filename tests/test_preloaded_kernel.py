"""The preloaded notebook kernels (tests/preloaded_kernel) start as fresh ones do.

nbval runs every chapter in a kernel forked from a process that imported Keras once.
These tests start such a kernel and a fresh one side by side and compare what a notebook
could see (module path, arguments, folder, environment, hash seed) once the fresh one has
imported Keras too, then check the parts
jupyter_client relies on: an interrupt reaches the kernel, a shutdown ends it, and a
kernel the server cannot give exactly is started fresh.
"""

from __future__ import annotations

import json
import os
import time
from types import SimpleNamespace

import ipykernel.kernelspec
import preloaded_kernel
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

pytestmark = pytest.mark.slow

PROBE = """
import json, os, sys
print(json.dumps({"keras_imported": "keras" in sys.modules, "argv0": sys.argv[0],
                  "argv": sys.argv[1:2], "path": sys.path, "cwd": os.getcwd(),
                  "probe": os.environ.get("BOOK_PROBE"), "hash": hash("return_sequences"),
                  "main": type(sys.modules["__main__"]).__name__, "pid": os.getpid()}))
"""


@pytest.fixture(scope="module")
def server():
    """The server conftest.py started for this pytest process's notebooks, when there is
    one (it has Keras imported already); else one of this module's own."""
    path = os.environ.get(preloaded_kernel.SERVER_ENV)
    if path and os.path.exists(path):
        yield SimpleNamespace(path=path)
        return
    running = preloaded_kernel.Server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("jupyter")
    preloaded_kernel.write_kernelspec(directory)
    fresh = directory / "kernels" / "fresh"
    fresh.mkdir()
    (fresh / "kernel.json").write_text(json.dumps(ipykernel.kernelspec.get_kernel_dict()))
    return KernelSpecManager(kernel_dirs=[str(directory / "kernels")])


def start(specs, name, cwd, **env):
    environment = {**os.environ, "BOOK_PROBE": "42", **env}
    manager = KernelManager(kernel_name=name, kernel_spec_manager=specs)
    manager.start_kernel(cwd=str(cwd), env=environment)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return manager, client


def run(client, code, timeout=60):
    """Execute ``code``; its stdout and the reply's content."""
    reply = client.execute_interactive(code, timeout=timeout, output_hook=_collect)
    return "".join(_collect.text), reply["content"]


def _collect(message):
    if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
        _collect.text.append(message["content"]["text"])


def probe(client):
    _collect.text = []
    text, reply = run(client, PROBE)
    assert reply["status"] == "ok", reply
    return json.loads(text)


@pytest.fixture
def kernels():
    started = []
    yield started
    for manager, client in started:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_preloaded_kernel_starts_as_a_fresh_one_does_once_it_imported_keras(
        server, specs, kernels, tmp_path):
    """Compared after the fresh kernel's own ``import keras``: importing can change what
    a notebook sees (on the compatibility stack it adds setuptools' vendored folder to
    ``sys.path``), and the preloaded kernel starts in that state."""
    kernels.append(start(specs, "fresh", tmp_path))
    kernels.append(start(specs, preloaded_kernel.KERNEL_NAME, tmp_path,
                         **{preloaded_kernel.SERVER_ENV: server.path}))
    (_, fresh_client), (_, preloaded_client) = kernels
    assert probe(fresh_client)["keras_imported"] is False
    _collect.text = []
    assert run(fresh_client, "import keras")[1]["status"] == "ok"
    fresh, preloaded = probe(fresh_client), probe(preloaded_client)
    assert fresh.pop("keras_imported") is preloaded.pop("keras_imported") is True
    assert fresh.pop("pid") != preloaded.pop("pid") != os.getpid()
    assert preloaded == fresh
    assert fresh["cwd"] == str(tmp_path) and fresh["probe"] == "42"


@pytest.mark.parametrize("env", [{"PYTHONHASHSEED": "random"}, {"TF_CPP_MIN_LOG_LEVEL": "1"}],
                         ids=["random hash seed", "other TensorFlow log level"])
def test_a_kernel_the_server_cannot_give_exactly_is_started_fresh(server, specs, kernels,
                                                                  tmp_path, env):
    kernels.append(start(specs, preloaded_kernel.KERNEL_NAME, tmp_path,
                         **{preloaded_kernel.SERVER_ENV: server.path}, **env))
    assert probe(kernels[0][1])["keras_imported"] is False


def test_without_a_server_the_kernel_is_started_fresh(specs, kernels, tmp_path):
    kernels.append(start(specs, preloaded_kernel.KERNEL_NAME, tmp_path,
                         **{preloaded_kernel.SERVER_ENV: str(tmp_path / "no-such.sock")}))
    assert probe(kernels[0][1])["keras_imported"] is False


def test_an_interrupt_reaches_the_forked_kernel(server, specs, kernels, tmp_path):
    kernels.append(start(specs, preloaded_kernel.KERNEL_NAME, tmp_path,
                         **{preloaded_kernel.SERVER_ENV: server.path}))
    manager, client = kernels[0]
    assert probe(client)["keras_imported"] is True
    message = client.execute("import time; time.sleep(60)")
    time.sleep(1)
    started = time.monotonic()
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == message
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert time.monotonic() - started < 30


def test_shutting_the_kernel_down_ends_the_forked_process(server, specs, tmp_path):
    manager, client = start(specs, preloaded_kernel.KERNEL_NAME, tmp_path,
                            **{preloaded_kernel.SERVER_ENV: server.path})
    details = probe(client)
    assert details["keras_imported"] is True
    client.stop_channels()
    manager.shutdown_kernel(now=True)  # SIGKILL to the client: the server kills the kernel
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(details["pid"]):
        time.sleep(0.1)
    assert not _alive(details["pid"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # a zombie counts as ended
        return stat.read().split(") ")[1][0] != "Z"
