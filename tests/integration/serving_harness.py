"""The real server (`python -m serving`) as a subprocess on a free port, for integration tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from llm.paths import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: offline, quiet, low CPU priority set by the caller."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "GRADIO_ANALYTICS_ENABLED": "False", "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


def at_low_priority() -> None:
    """Run a child at niceness 10 (or the caller's, if already higher): long jobs keep the CPU first."""
    os.nice(max(0, 10 - os.nice(0)))


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


class ServerProcess:
    """`python -m serving --config FILE` on a free port; `wait_ready` polls /readyz."""

    def __init__(self, config: dict, tmp_dir: Path, name: str = "server") -> None:
        self.port = free_port()
        self.config_path = write_yaml(tmp_dir / f"{name}.yaml", {**config, "port": self.port})
        self.log_path = tmp_dir / f"{name}.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "serving", "--config", str(self.config_path)], cwd=PROJECT_ROOT,
            env=child_env(), stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=at_low_priority)

    def log(self) -> str:
        return self.log_path.read_text()

    def wait(self, path: str = "/readyz", timeout_s: float = 300, expect: int = 200) -> dict:
        """Poll `path` until it answers `expect`; fail with the log if the server dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                response = httpx.get(self.url + path, timeout=5)
                last = response
                if response.status_code == expect:
                    return response.json()
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{path} never answered {expect} (last: {last and last.text}):\n"
                           f"{self.log()[-4000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode
