"""A jupyter_client kernel provisioner whose kernels are forks of a preloaded fork server.

Registered through jupyter_client's documented entry point (``pyproject.toml``:
``[project.entry-points."jupyter_client.kernel_provisioners"]``) as
``qoswb-forked-provisioner``, and chosen per kernel by its kernelspec's
``metadata.kernel_provisioner``, which :class:`ForkingKernelSpecs` adds to
ipykernel specs this interpreter runs. Everything else (the connection file,
ports, the environment) is jupyter_client's :class:`LocalProvisioner`; only the
launch differs, and the process it watches is a ``multiprocessing.Process``
(:mod:`qoswb.reports.stdlibfork`), whose exit code says how the kernel ended.

>>> from jupyter_client.manager import AsyncKernelManager
>>> km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ForkingKernelSpecs(preload=["pandas"]))  # doctest: +SKIP
>>> km.kernel_spec.metadata["kernel_provisioner"]["provisioner_name"]   # doctest: +SKIP
'qoswb-forked-provisioner'
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import List, Unicode

from qoswb.reports import stdlibfork

NAME = "qoswb-forked-provisioner"


class ForkedProvisioner(LocalProvisioner):
    """Starts an ipykernel as a fork of this worker's fork server (preloaded with ``preload``)."""

    preload = List(Unicode(), help="modules the fork server imports before forking kernels").tag(config=True)
    kernel = None  # the multiprocessing.Process running the kernel

    @property
    def has_process(self) -> bool:
        return self.kernel is not None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        server = stdlibfork.ForkServer.get(self.preload)
        self.kernel = server.spawn(stdlibfork.kernel_args(cmd) or [], str(kwargs.get("cwd") or os.getcwd()),
                                   dict(kwargs.get("env") or os.environ))
        return self.connection_info

    async def poll(self) -> int | None:
        return None if self.kernel is None or self.kernel.is_alive() else self.kernel.exitcode

    async def wait(self) -> int | None:
        """The kernel's exit code once it has ended (minus the signal that killed it)."""
        if self.kernel is None:
            return 0
        while self.kernel.is_alive():
            await asyncio.sleep(0.05)
        return self.kernel.exitcode

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel's session (it leads one: what it started gets the signal too)."""
        if self.kernel is None or not self.kernel.is_alive():
            return
        try:
            os.killpg(self.kernel.pid, signum)
        except OSError:
            os.kill(self.kernel.pid, signum)

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGTERM)

    async def get_provisioner_info(self) -> dict:
        info = await super().get_provisioner_info()
        info.update(pid=None if self.kernel is None else self.kernel.pid)
        return info


class ForkingKernelSpecs(KernelSpecManager):
    """Kernel specs as jupyter_client finds them; an ipykernel this interpreter runs (and whose
    spec names no provisioner of its own) gets :class:`ForkedProvisioner`, preloaded with ``preload``."""

    preload = List(Unicode()).tag(config=True)

    def get_kernel_spec(self, kernel_name: str):
        spec = super().get_kernel_spec(kernel_name)
        if stdlibfork.forkable(spec.argv) and "kernel_provisioner" not in spec.metadata:
            spec.metadata = {**spec.metadata, "kernel_provisioner": {
                "provisioner_name": NAME, "config": {"preload": list(self.preload)}}}
        return spec
