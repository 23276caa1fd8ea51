"""Hosts on one machine: Linux network namespaces joined by veth links to one bridge, with the faults of a real
network (a cut, latency, loss) made by `tc`. For `make chaos-distributed` and its CI-sized test; needs root
(CAP_NET_ADMIN). Not product code.

Addresses come from 198.18.0.0/15, the range RFC 2544 reserves for network benchmarks: the lab takes
198.18.0.0/24, assigned inside its own namespaces and on its own bridge (this process, the operator, is .1 on it).
A namespace's only route is that subnet, so nothing run in it can reach any other address; IP forwarding is never
turned on. Everything is removed on leaving, and what an interrupted run left behind is removed before a new lab.

A fault is a `tc` filter on both ends of a host's link (the host's own interface for what it sends, the bridge's
port for what it receives) steering packets between the host and the given peers into a class whose queue holds
nothing: they vanish. All of them is a cut (connections hang until their timeouts, as in a partition); one packet in
128, picked by the low bits of its IP identification, is a lossy link. This machine's kernel has no netem (nor
prio, nor tc actions), only htb, pfifo and u32: latency is therefore added where the lab's runs need it, by the
Service Layer emulator (`latency_ms`), not by the network.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import itertools
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SUBNET = "198.18.0"  # /24 of 198.18.0.0/15 (RFC 2544)
OPERATOR = f"{SUBNET}.1"
BRIDGE = "sb1-br"
LOCK_FILE = Path("/tmp/shopb1-netlab.lock")
NAMESPACE_PREFIX = "sb1-"
PASS, DROP = "1:1", "1:2"  # htb classes: everything, and what vanishes
LOSS_VALUE, LOSS_MASK = "0x0040", "0x007f"  # one packet in 128


def unavailable() -> str | None:
    """Why this machine cannot build a lab, or None."""
    if shutil.which("ip") is None or shutil.which("tc") is None:
        return "iproute2's ip and tc are not installed"
    probe = f"{NAMESPACE_PREFIX}probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        return f"network namespaces cannot be made here (root with CAP_NET_ADMIN is needed): {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], check=False)
    return None


def _ip(*arguments: str, namespace: str | None = None, check: bool = True) -> None:
    command = ["ip", *(["-n", namespace] if namespace else []), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


def _tc(*arguments: str, namespace: str | None = None) -> None:
    command = [*(["ip", "netns", "exec", namespace] if namespace else []), "tc", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


@dataclass(frozen=True)
class Host:
    name: str
    number: int  # its address's last byte

    @property
    def namespace(self) -> str:
        return f"{NAMESPACE_PREFIX}{self.name}"

    @property
    def address(self) -> str:
        return f"{SUBNET}.{self.number}"

    @property
    def port_device(self) -> str:
        """The bridge's port of this host's link, in the operator's namespace."""
        return f"sb1v{self.number}"

    def command(self, argv: list[str]) -> list[str]:
        """`argv` run on this host (`ip netns exec` joins the namespace, then executes argv in place)."""
        return ["ip", "netns", "exec", self.namespace, *argv]


@dataclass
class Fault:
    what: str
    host: Host
    peers: tuple[Host, ...]
    preference: int
    started: float = field(default_factory=time.time)
    ended: float | None = None


class Lab:
    """The hosts of `names` (addresses .11 upwards), a bridge between them and this process."""

    def __init__(self, names: list[str]) -> None:
        self.hosts = {name: Host(name, 11 + index) for index, name in enumerate(names)}
        self.faults: list[Fault] = []
        self._preferences = itertools.count(10)

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def __enter__(self) -> Lab:
        # One lab on a machine at a time: its names and addresses are fixed, and a second one would remove the
        # first's as leftovers. A second waits for the first (a test beside a manual run, say).
        self._lock = LOCK_FILE.open("w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        remove_leftovers()
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        remove_leftovers()
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()

    def _build(self) -> None:
        _ip("link", "add", BRIDGE, "type", "bridge")
        _ip("addr", "add", f"{OPERATOR}/24", "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")
        for host in self.hosts.values():
            inside = f"sb1h{host.number}"
            _ip("netns", "add", host.namespace)
            _ip("link", "add", host.port_device, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", host.namespace)
            _ip("link", "set", host.port_device, "master", BRIDGE)
            _ip("link", "set", host.port_device, "up")
            _ip("link", "set", inside, "name", "eth0", namespace=host.namespace)
            _ip("addr", "add", f"{host.address}/24", "dev", "eth0", namespace=host.namespace)
            _ip("link", "set", "eth0", "up", namespace=host.namespace)
            _ip("link", "set", "lo", "up", namespace=host.namespace)
            # On both ends of the link: class 1:1 passes everything unfiltered, class 1:2 queues nothing.
            for device, namespace in (("eth0", host.namespace), (host.port_device, None)):
                _tc("qdisc", "add", "dev", device, "root", "handle", "1:", "htb", "default", "1", namespace=namespace)
                for band in (PASS, DROP):
                    _tc("class", "add", "dev", device, "parent", "1:", "classid", band, "htb", "rate", "10gbit",
                        "quantum", "60000", namespace=namespace)  # fmt: skip
                _tc("qdisc", "add", "dev", device, "parent", DROP, "handle", "20:", "pfifo", "limit", "0",
                    namespace=namespace)  # fmt: skip

    # --- faults ---

    def cut(self, host: str, peers: list[str], port: int | None = None) -> Fault:
        """Packets between `host` and `peers` (to and from `port` of theirs only, if given) vanish."""
        return self._steer(f"{host} cut from {', '.join(peers)}", host, peers, port, [])

    def lossy(self, host: str, peers: list[str], port: int | None = None) -> Fault:
        """One packet in 128 between `host` and `peers` vanishes, each way (0.8 %; TCP retransmits it)."""
        what = f"{host} <-> {', '.join(peers)}: 1 packet in 128 lost each way"
        # A socket's IP identification starts at random and counts up, retransmissions included. Not the value 0:
        # Linux sends a SYN-ACK with identification 0, and dropping every SYN-ACK would be a cut. (The TCP checksum
        # is no better: on a veth it is left to offloading and barely changes.)
        return self._steer(what, host, peers, port, ["match", "u16", LOSS_VALUE, LOSS_MASK, "at", "4"])

    def heal(self, fault: Fault) -> None:
        for device, namespace in (("eth0", fault.host.namespace), (fault.host.port_device, None)):
            _tc("filter", "del", "dev", device, "parent", "1:", "protocol", "ip", "prio", str(fault.preference),
                namespace=namespace)  # fmt: skip
        fault.ended = time.time()

    def _steer(self, what: str, host: str, peers: list[str], port: int | None, extra: list[str]) -> Fault:
        target, others = self.hosts[host], tuple(self.hosts[peer] for peer in peers)
        fault = Fault(what, target, others, next(self._preferences))
        for peer in others:
            # What the host sends to the peer leaves by its own eth0; what the peer sends it leaves the bridge by
            # the host's port.
            sent = ["match", "ip", "dst", f"{peer.address}/32", *(["match", "ip", "dport", str(port), "0xffff"]
                                                                  if port else [])]  # fmt: skip
            received = ["match", "ip", "src", f"{peer.address}/32", *(["match", "ip", "sport", str(port), "0xffff"]
                                                                      if port else [])]  # fmt: skip
            for device, namespace, match in (("eth0", target.namespace, sent), (target.port_device, None, received)):
                _tc("filter", "add", "dev", device, "parent", "1:", "protocol", "ip", "prio", str(fault.preference),
                    "u32", *match, *extra, "flowid", DROP, namespace=namespace)  # fmt: skip
        self.faults.append(fault)
        return fault


def remove_leftovers() -> None:
    """Every namespace, bridge and link a lab makes (deleting a namespace deletes the veth pairs in it)."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    for line in listed.splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(NAMESPACE_PREFIX):
            _ip("netns", "del", name, check=False)
    _ip("link", "del", BRIDGE, check=False)
    # A veth pair left in this namespace when a build failed half way.
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=False).stdout
    for line in links.splitlines():
        name = line.split(":")[1].strip().split("@")[0] if line.count(":") >= 2 else ""
        if name.startswith(("sb1v", "sb1h")):
            _ip("link", "del", name, check=False)


# --- a round-robin load balancer, in front of the ingest hosts -------------------------------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: bytes = b"", *,
                half_close: bool = False) -> None:  # fmt: skip
    """Copy until EOF. `half_close`: then only shut the writing side, so that the answer to a request whose client
    gave up still comes back (and is logged)."""
    try:
        if first:
            writer.write(first)
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
        if half_close and writer.can_write_eof():
            writer.write_eof()
            return
    except OSError:
        pass
    with contextlib.suppress(OSError):
        writer.close()


async def _balance(listen: tuple[str, int], backends: list[tuple[str, str, int]], log_path: Path) -> None:
    """A TCP load balancer as a cloud's or kube-proxy's: each new connection goes to the next backend in turn (the
    webhook sender opens one per delivery), with no health check. Each answer's status line is logged with the
    backend and the time, so that a run can tell what an ingest host answered while it was cut off."""
    turn = itertools.cycle(backends)
    log = log_path.open("a", buffering=1)

    async def serve(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        name, host, port = next(turn)
        try:
            backend_reader, backend_writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
        except (OSError, TimeoutError):
            client_writer.close()
            return
        upstream = asyncio.create_task(_pipe(client_reader, backend_writer, half_close=True))
        try:
            first = await backend_reader.read(65536)
        except OSError:
            first = b""
        if first.startswith(b"HTTP/"):
            status = first.split(b" ", 2)[1].decode(errors="replace")
            log.write(json.dumps({"at": time.time(), "backend": name, "status": int(status)}) + "\n")
        await asyncio.gather(_pipe(backend_reader, client_writer, first), upstream)
        with contextlib.suppress(OSError):
            backend_writer.close()

    server = await asyncio.start_server(serve, *listen)
    async with server:
        await server.serve_forever()


def answers(log_path: Path) -> list[dict[str, object]]:
    """The balancer's log: one {at, backend, status} per answer."""
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connector.testing.netlab")
    commands = parser.add_subparsers(dest="command", required=True)
    balance = commands.add_parser("balance", help="round-robin TCP balancer")
    balance.add_argument("--listen", required=True, help="host:port")
    balance.add_argument("--backend", action="append", required=True, help="name=host:port, in turn")
    balance.add_argument("--log", required=True, type=Path)
    commands.add_parser("clean", help="remove what an interrupted lab left behind")
    args = parser.parse_args(argv)
    if args.command == "clean":
        remove_leftovers()
        return
    host, port = args.listen.rsplit(":", 1)
    backends = []
    for backend in args.backend:
        name, address = backend.split("=", 1)
        backend_host, backend_port = address.rsplit(":", 1)
        backends.append((name, backend_host, int(backend_port)))
    asyncio.run(_balance((host, int(port)), backends, args.log))


if __name__ == "__main__":
    sys.exit(main())
