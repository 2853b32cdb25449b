"""Build, start and stop the real Neo4j 5.26 that tests and users without Docker run.

The server is Neo4j community from Maven Central, started in a JVM by the small launcher in
``docker/neo4j-launcher`` (Bolt on 127.0.0.1 only, authentication on).

    python docker/neo4j_launcher.py start --home .ci/neo4j-home --port 7687   # background
    python docker/neo4j_launcher.py stop --home .ci/neo4j-home
    python docker/neo4j_launcher.py run --home DIR --port 7687                # foreground

The password comes from ``NEO4J_PASSWORD`` (at least 8 characters).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "neo4j-launcher"
JAR = PROJECT / "target" / "kgmed-neo4j-launcher.jar"
READY = "KGMED-NEO4J-READY"


def build(quiet: bool = True) -> Path:
    """Build the launcher jar with Maven (downloads Neo4j from Maven Central once)."""
    if JAR.exists() and (PROJECT / "target" / "lib").is_dir():
        return JAR
    cmd = ["mvn", "-B", "-f", str(PROJECT / "pom.xml"), "package", "-DskipTests"]
    if quiet:
        cmd.insert(1, "-q")
    subprocess.run(cmd, check=True)
    return JAR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    home: Path, port: int, password: str, log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start Neo4j in the background; returns once Bolt accepts connections."""
    build()
    home.mkdir(parents=True, exist_ok=True)
    log_path = log_path or home / "launcher.log"
    env = dict(os.environ, NEO4J_PASSWORD=password)
    log = log_path.open("wb")
    proc = subprocess.Popen(
        ["java", "-Xmx2g", "-jar", str(JAR), "--home", str(home), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    (home / "launcher.pid").write_text(str(proc.pid))
    wait_ready(proc, log_path, port)
    return proc


def wait_ready(
    proc: subprocess.Popen[bytes], log_path: Path, port: int, timeout: float = 180.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Neo4j launcher exited ({proc.returncode}); see {log_path}")
        if READY in log_path.read_text(errors="replace"):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
        time.sleep(0.5)
    stop_process(proc)
    raise RuntimeError(f"Neo4j did not open Bolt on port {port} in {timeout:.0f} s; see {log_path}")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stop_home(home: Path) -> None:
    pid_file = home / "launcher.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(120):
            os.kill(pid, 0)
            time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["build", "start", "stop", "run"])
    parser.add_argument("--home", type=Path, default=Path(".ci/neo4j-home"))
    parser.add_argument("--port", type=int, default=7687)
    args = parser.parse_args()
    if args.action == "build":
        print(build(quiet=False))
        return 0
    if args.action == "stop":
        stop_home(args.home)
        return 0
    password = os.environ.get("NEO4J_PASSWORD", "")
    if len(password) < 8:
        print("set NEO4J_PASSWORD (at least 8 characters)", file=sys.stderr)
        return 2
    if args.action == "start":
        proc = start(args.home.resolve(), args.port, password)
        print(f"Neo4j ready at bolt://127.0.0.1:{args.port} (pid {proc.pid})")
        return 0
    build(quiet=False)
    args.home.mkdir(parents=True, exist_ok=True)
    return subprocess.call(
        ["java", "-jar", str(JAR), "--home", str(args.home), "--port", str(args.port)]
    )


if __name__ == "__main__":
    sys.exit(main())
