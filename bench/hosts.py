"""Machines for `make scale`, on one box: each host a Linux network namespace with its own
address on a bridge, its processes started inside it, and HAProxy in front.

The shared PostgreSQL and Redis listen on 127.0.0.1 only, and may not be restarted: a TCP
forwarder (HAProxy in TCP mode, started here) listens on the bridge's address in the root
namespace and passes connections on to them, as a database host's address would. Everything
made here is named with PREFIX, so a run removes what an earlier, interrupted one left.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "wmsc"
BRIDGE = f"{PREFIX}0"
# An address block of the run's own: the bridge is .1, hosts from .11.
SUBNET = "10.231.19"
GATEWAY = f"{SUBNET}.1"
PORTS = {"postgres": 5432, "redis": 6379}


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=check, capture_output=True, text=True)


@dataclass
class Host:
    """A network namespace standing for one machine, with the processes started on it."""

    name: str
    address: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return f"{PREFIX}-{self.name}"

    def start(
        self, command: list[str], env: dict[str, str], log: Path, cwd: Path
    ) -> subprocess.Popen[bytes]:
        """Start `command` inside this host's namespace, in a process group of its own (so
        that it and its children can be signalled together), its output into `log`."""
        with log.open("ab") as out:
            process = subprocess.Popen(
                ["ip", "netns", "exec", self.namespace, *command],
                env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.processes.append(process)
        return process

    def stop(self, how: int = signal.SIGTERM, wait: float = 30.0) -> None:
        """Stop this host's processes: SIGKILL to every process of theirs at once (a
        machine dying), or another signal to each leader, which stops its own children
        (granian's graceful shutdown); then SIGKILL to whatever lingers."""
        for process in self.processes:
            if how == signal.SIGKILL:
                signal_group(process, how)
            elif process.poll() is None:
                process.send_signal(how)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=wait)
            signal_group(process, signal.SIGKILL)
            process.wait(timeout=10)
        self.processes.clear()


def signal_group(process: subprocess.Popen[bytes], how: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, how)


def network_up(names: Iterable[str]) -> dict[str, Host]:
    """The bridge, and a namespace per name joined to it by a veth pair."""
    network_down()
    run("ip", "link", "add", BRIDGE, "type", "bridge")
    run("ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
    run("ip", "link", "set", BRIDGE, "up")
    hosts = {}
    for n, name in enumerate(names, start=11):
        host = Host(name, f"{SUBNET}.{n}")
        veth = f"{PREFIX}v{n}"
        run("ip", "netns", "add", host.namespace)
        run(
            "ip",
            "link",
            "add",
            veth,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            host.namespace,
        )
        run("ip", "link", "set", veth, "master", BRIDGE, "up")
        inside = ("ip", "-n", host.namespace)
        run(*inside, "addr", "add", f"{host.address}/24", "dev", "eth0")
        run(*inside, "link", "set", "eth0", "up")
        run(*inside, "link", "set", "lo", "up")
        hosts[name] = host
    return hosts


def network_down() -> None:
    """Remove every namespace and link this module makes, whoever made them: after a crash
    the next run starts clean. Processes still inside a namespace are killed first."""
    namespaces = run("ip", "netns", "list", check=False).stdout.split()
    for namespace in [word for word in namespaces if word.startswith(f"{PREFIX}-")]:
        pids = run("ip", "netns", "pids", namespace, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        run("ip", "netns", "del", namespace, check=False)
    run("ip", "link", "del", BRIDGE, check=False)


def haproxy_forwarder(
    directory: Path, smtp: tuple[str, int] | None = None
) -> subprocess.Popen[bytes]:
    """TCP forwarders on the bridge's address to PostgreSQL and Redis on 127.0.0.1: the
    route from the hosts to the database machine."""
    sections = []
    for name, port in PORTS.items():
        sections.append(
            f"listen {name}\n  mode tcp\n  bind {GATEWAY}:{port}\n"
            f"  timeout client 1h\n  timeout server 1h\n  timeout connect 2s\n"
            f"  server local 127.0.0.1:{port}\n"
        )
    config = directory / "forwarder.cfg"
    config.write_text("global\n  maxconn 2000\ndefaults\n  log global\n\n" + "\n".join(sections))
    return start_haproxy(config, directory / "forwarder.log")


def start_haproxy(config: Path, log: Path) -> subprocess.Popen[bytes]:
    run("haproxy", "-c", "-q", "-f", str(config))
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["haproxy", "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    time.sleep(0.3)
    if process.poll() is not None:
        raise SystemExit(f"haproxy exited at start; see {log}")
    return process


class LoadBalancer:
    """HAProxy in HTTP mode on 127.0.0.1 in front of the web hosts: health checks, and the
    runtime API (a Unix socket) to drain a server, put it in maintenance and back.

    It speaks for a TLS terminator too: it tells the app the request came over HTTPS
    (X-Forwarded-Proto), as production's proxy does, so secure cookies and CSRF's origin
    checks run as they do there."""

    def __init__(self, directory: Path, port: int, servers: dict[str, str], host: str,
                 health_path: str, web_port: int) -> None:  # fmt: skip
        self.socket = directory / "lb.sock"
        self.port = port
        self.servers = list(servers)
        lines = [
            "global",
            "  maxconn 4000",
            f"  stats socket {self.socket} mode 600 level admin",
            "defaults",
            "  mode http",
            "  timeout connect 2s",
            "  timeout client 60s",
            "  timeout server 60s",
            "  timeout http-keep-alive 10s",
            # A request that could not reach a server (refused, reset before it was sent)
            # goes to another; one that was sent is never sent twice.
            "  option redispatch",
            "  retries 3",
            "listen web",
            f"  bind 127.0.0.1:{port}",
            "  balance roundrobin",
            "  option forwardfor",
            "  http-request set-header X-Forwarded-Proto https",
            "  option httpchk",
            f"  http-check send meth GET uri {health_path} ver HTTP/1.1 hdr Host {host}",
            "  http-check expect status 200",
            # Checked every second; a refused connection takes a server out at once.
            "  default-server inter 1s fall 2 rise 2 observe layer4 error-limit 1"
            " on-error mark-down",
            *(f"  server {name} {address}:{web_port} check" for name, address in servers.items()),
        ]
        self.config = directory / "lb.cfg"
        self.config.write_text("\n".join(lines) + "\n")
        self.process = start_haproxy(self.config, directory / "lb.log")

    def command(self, line: str) -> str:
        import socket

        with socket.socket(socket.AF_UNIX) as runtime:
            runtime.connect(str(self.socket))
            runtime.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := runtime.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self) -> dict[str, dict[str, str]]:
        """Each server's row of `show stat`: status (UP, DOWN, MAINT, DRAIN...), scur
        (requests on it now), stot (requests it has had)..."""
        text = self.command("show stat").lstrip("# ")
        rows = [line.split(",") for line in text.splitlines() if line]
        header = rows[0]
        return {
            row[1]: dict(zip(header, row, strict=False))
            for row in rows[1:]
            if row[0] == "web" and row[1] in self.servers
        }

    def set_state(self, server: str, state: str) -> None:
        """ready, drain or maint."""
        answer = self.command(f"set server web/{server} state {state}").strip()
        if answer:
            raise SystemExit(f"haproxy refused 'state {state}' for {server}: {answer}")

    def wait_for(self, server: str, status: str, seconds: float = 60.0) -> float:
        """Wait until the server's status starts with `status`; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.stats()[server]["status"].startswith(status):
                return time.monotonic() - started
            time.sleep(0.1)
        raise SystemExit(f"{server} was not {status} after {seconds:.0f} s: {self.stats()[server]}")
