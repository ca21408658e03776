"""A local Event Hubs-compatible AMQP 1.0 endpoint, for tests only, on python-qpid-proton.

There is no Event Hubs emulator that runs here without Docker, and generic AMQP brokers do not
speak Event Hubs' dialect (the `$cbs` token node, `$management` reads, partition addresses,
selector filters), so this module serves just enough of it for the real `azure-eventhub` client
to send and receive over a socket:

- `$cbs`: every `put-token` is accepted (status 200); tokens are not checked.
- `$management`: `READ` of `com.microsoft:eventhub` (name, created_at, partition_ids) and
  `com.microsoft:partition` (begin/last sequence number, last offset, last enqueued time,
  is_partition_empty).
- sender links to `<hub>` and `<hub>/Partitions/<n>`: messages, batched or not, are stored per
  partition with `x-opt-sequence-number`, `x-opt-offset`, `x-opt-enqueued-time` and
  `x-opt-partition-key` annotations. A partition key always maps to the same partition (CRC-32).
- receiver links on `<hub>/ConsumerGroups/<group>/Partitions/<n>` honour the
  `apache.org:selector-filter:string` position filter (offset, sequence number or enqueued time).

Proton omits trailing null fields of performatives, which the client's decoder cannot read (see
`frame_padding`), so clients connect to a small relay in front of proton that pads every frame
proton writes. Run it as a process (`python -m tests.transport.eventhub_endpoint --port P`), so a
test can kill it for real; it prints `READY <port>` when it accepts connections. Messages live in
memory unless `--journal FILE` is given, in which case they are appended there before they are
acknowledged and loaded again on start (for tests that restart the endpoint mid-stream).
Fault knobs: `--ack-delay S --slow-acks N` holds back the acknowledgement of the first N
transfers to the hub by S seconds (the message is stored at once, so a client that times out and
resends creates a duplicate, as with the real service).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import socket
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from proton import Condition, Data, Delivery, Endpoint, Message, symbol, timestamp
from proton.handlers import FlowController, Handshaker
from proton.reactor import Container

from tests.transport.frame_padding import FramePadder

SELECTOR_FILTER = symbol("apache.org:selector-filter:string")
_SELECTOR = re.compile(
    r"amqp\.annotation\.x-opt-(offset|sequence-number|enqueued-time)\s*(>=|>)\s*'([^']*)'"
)
_MESSAGE_SECTION = re.compile(rb"\x00\x53[\x70-\x78]")


@dataclass(slots=True)
class Record:
    """One stored event, as the client will receive it (annotations included)."""

    sequence_number: int
    offset: int
    enqueued_ms: int
    encoded: bytes


@dataclass
class Partition:
    records: list[Record] = field(default_factory=list)
    next_offset: int = 0


class Hub:
    """The messages of one event hub, per partition, optionally journalled to a file."""

    def __init__(self, name: str, partitions: int, journal: Path | None = None) -> None:
        self.name = name
        self.created_ms = int(time.time() * 1000)
        self.partitions = [Partition() for _ in range(partitions)]
        self._journal = None
        self._round_robin = 0
        if journal is not None:
            if journal.exists():
                for line in journal.read_text().splitlines():
                    row = json.loads(line)
                    self._append(row["p"], row["t"], base64.b64decode(row["m"]))
            self._journal = journal.open("a")

    def partition_for(self, key: str | None) -> int:
        if key is None:
            self._round_robin = (self._round_robin + 1) % len(self.partitions)
            return self._round_robin
        return zlib.crc32(key.encode("utf-8")) % len(self.partitions)

    def store(self, partition: int, message: Message, key: str | None) -> Record:
        """Annotate and keep one message; journalled (if asked) before the caller acks it."""
        annotations = dict(message.annotations or {})
        if key is not None:
            annotations[symbol("x-opt-partition-key")] = key
        message.annotations = annotations
        enqueued_ms = int(time.time() * 1000)
        record = self._append(partition, enqueued_ms, message.encode())
        if self._journal is not None:
            row = {"p": partition, "t": enqueued_ms, "m": base64.b64encode(record.encoded)}
            self._journal.write(json.dumps(row, default=bytes.decode) + "\n")
            self._journal.flush()
        return record

    def _append(self, partition: int, enqueued_ms: int, encoded: bytes) -> Record:
        """Add the broker's annotations to an encoded message and keep it."""
        log = self.partitions[partition]
        message = Message()
        message.decode(encoded)
        annotations = dict(message.annotations or {})
        annotations[symbol("x-opt-sequence-number")] = len(log.records)
        annotations[symbol("x-opt-offset")] = str(log.next_offset)
        annotations[symbol("x-opt-enqueued-time")] = timestamp(enqueued_ms)
        message.annotations = annotations
        record = Record(len(log.records), log.next_offset, enqueued_ms, message.encode())
        log.records.append(record)
        log.next_offset += len(record.encoded)
        return record

    def properties(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": "com.microsoft:eventhub",
            "created_at": timestamp(self.created_ms),
            "partition_count": len(self.partitions),
            "partition_ids": [str(i) for i in range(len(self.partitions))],
        }

    def partition_properties(self, partition: int) -> dict[str, object]:
        records = self.partitions[partition].records
        last = records[-1] if records else None
        return {
            "name": self.name,
            "type": "com.microsoft:partition",
            "partition": str(partition),
            "begin_sequence_number": 0,
            "last_enqueued_sequence_number": last.sequence_number if last else -1,
            "last_enqueued_offset": str(last.offset) if last else "-1",
            "last_enqueued_time_utc": timestamp(last.enqueued_ms if last else 0),
            "is_partition_empty": last is None,
        }

    def first_index(self, partition: int, selector: str | None) -> int:
        """Index of the first record a receiver with this selector filter gets."""
        records = self.partitions[partition].records
        if selector is None:
            return len(records)
        match = _SELECTOR.fullmatch(selector.strip())
        if match is None:
            raise ValueError(f"unsupported selector filter {selector!r}")
        kind, operator, value = match.groups()
        if kind == "offset" and value == "-1":
            return 0
        if kind == "offset" and value == "@latest":
            return len(records)

        def position(r: Record) -> int:
            if kind == "offset":
                return r.offset
            return r.sequence_number if kind == "sequence-number" else r.enqueued_ms

        bound = int(value)
        for index, record in enumerate(records):
            if position(record) > bound or (operator == ">=" and position(record) == bound):
                return index
        return len(records)


def split_batch(raw: bytes) -> tuple[Message, list[Message]]:
    """The outer message and the events in it (a batch's data sections are whole messages)."""
    outer = Message()
    outer.decode(raw)
    inner: list[Message] = []
    rest = raw
    while rest:
        data = Data()
        used = data.decode(rest)
        rest = rest[used:]
        value = data.get_object()
        body = getattr(value, "value", None)
        if isinstance(body, memoryview):
            body = bytes(body)
        descriptor = getattr(value, "descriptor", None)
        if descriptor == 0x75 and isinstance(body, bytes) and _MESSAGE_SECTION.match(body):
            message = Message()
            message.decode(body)
            inner.append(message)
    return outer, inner or [outer]


class _Settle:
    """Timer task: acknowledge a delivery later (the slow-ack fault)."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery

    def on_timer_task(self, _event: object) -> None:
        if not self.delivery.link.state & Endpoint.LOCAL_CLOSED:
            self.delivery.update(Delivery.ACCEPTED)
            self.delivery.settle()


class EndpointHandler(FlowController):
    """Proton event handler: the Event Hubs nodes on one container."""

    def __init__(
        self, hub: Hub, *, max_message_size: int, ack_delay: float = 0.0, slow_acks: int = 0
    ) -> None:
        super().__init__(window=100)
        self.handlers = [Handshaker()]
        self.hub = hub
        self.max_message_size = max_message_size
        self.ack_delay = ack_delay
        self.slow_acks = slow_acks
        self._readers: dict[object, tuple[int, int]] = {}  # sender link -> (partition, next)

    # -- links ---------------------------------------------------------------------------

    def on_link_remote_open(self, event) -> None:  # noqa: ANN001 - proton event
        link = event.link
        if not link.state & Endpoint.LOCAL_UNINIT:
            return
        link.source.copy(link.remote_source)
        link.target.copy(link.remote_target)
        link.max_message_size = self.max_message_size
        link.open()
        address = _path(link.remote_source if link.is_sender else link.remote_target)
        try:
            if link.is_sender and address not in ("$cbs", "$management"):
                partition = self._consumer_partition(address)
                filters = link.remote_source.filter
                filters.rewind()
                selector = filters.get_object() if filters.next() else {}
                described = selector.get(SELECTOR_FILTER)
                text = getattr(described, "value", described)
                self._readers[link] = (partition, self.hub.first_index(partition, text))
                self._pump(link)
            elif link.is_receiver and address not in ("$cbs", "$management"):
                self._target_partition(address)
        except ValueError as exc:
            link.condition = Condition("amqp:not-found", str(exc))
            link.close()

    def on_link_final(self, event) -> None:  # noqa: ANN001
        self._readers.pop(event.link, None)

    def on_link_flow(self, event) -> None:  # noqa: ANN001
        super().on_link_flow(event)
        if event.link in self._readers:
            self._pump(event.link)

    def _consumer_partition(self, address: str) -> int:
        parts = address.split("/")
        if (
            len(parts) == 5
            and parts[0] == self.hub.name
            and parts[1].lower() == "consumergroups"
            and parts[3].lower() == "partitions"
        ):
            return self._partition_id(parts[4], address)
        raise ValueError(f"no such consumer address {address!r}")

    def _target_partition(self, address: str) -> int | None:
        if address == self.hub.name:
            return None
        parts = address.split("/")
        if len(parts) == 3 and parts[0] == self.hub.name and parts[1].lower() == "partitions":
            return self._partition_id(parts[2], address)
        raise ValueError(f"no such event hub address {address!r}")

    def _partition_id(self, text: str, address: str) -> int:
        if text.isdigit() and int(text) < len(self.hub.partitions):
            return int(text)
        raise ValueError(f"no such partition in {address!r}")

    def _pump(self, link) -> None:  # noqa: ANN001
        partition, index = self._readers[link]
        records = self.hub.partitions[partition].records
        while link.credit > 0 and index < len(records):
            delivery = link.delivery(str(index))
            link.stream(records[index].encoded)
            link.advance()
            delivery.settle()  # pre-settled, as Event Hubs sends to consumers
            index += 1
        self._readers[link] = (partition, index)

    # -- deliveries ----------------------------------------------------------------------

    def on_delivery(self, event) -> None:  # noqa: ANN001
        delivery, link = event.delivery, event.link
        super().on_delivery(event)  # top up credit
        if not link.is_receiver or not delivery.readable or delivery.partial:
            return
        raw = link.recv(delivery.pending)
        link.advance()
        if link.state & Endpoint.LOCAL_CLOSED:
            return
        address = _path(link.remote_target)
        if address in ("$cbs", "$management"):
            self._answer(link, _decoded(raw), address)
            delivery.update(Delivery.ACCEPTED)
            delivery.settle()
            return
        outer, events = split_batch(raw)
        key = (outer.annotations or {}).get(symbol("x-opt-partition-key"))
        partition = self._target_partition(address)
        if partition is None:
            partition = self.hub.partition_for(key)
        for message in events:
            self.hub.store(partition, message, key)
        for reader in [r for r, (p, _) in self._readers.items() if p == partition]:
            self._pump(reader)
        if self.slow_acks > 0:
            self.slow_acks -= 1
            event.container.schedule(self.ack_delay, _Settle(delivery))
        else:
            delivery.update(Delivery.ACCEPTED)
            delivery.settle()

    def _answer(self, link, request: Message, node: str) -> None:  # noqa: ANN001
        """Reply to a `$cbs` or `$management` request on the client's reply link."""
        props = request.properties or {}
        status, description, body = 200, "OK", None
        if node == "$management":
            kind = props.get("type")
            if props.get("operation") != "READ" or props.get("name") != self.hub.name:
                status, description = 404, f"no entity {props.get('name')!r}"
            elif kind == "com.microsoft:eventhub":
                body = self.hub.properties()
            elif kind == "com.microsoft:partition":
                partition = str(props.get("partition"))
                if partition.isdigit() and int(partition) < len(self.hub.partitions):
                    body = self.hub.partition_properties(int(partition))
                else:
                    status, description = 404, f"no partition {partition!r}"
            else:
                status, description = 400, f"unsupported management type {kind!r}"
        reply = Message(
            correlation_id=request.id,
            properties={"status-code": status, "status-description": description},
            body=body,
        )
        active = Endpoint.LOCAL_ACTIVE | Endpoint.REMOTE_ACTIVE
        candidate = link.connection.link_head(active)
        while candidate is not None:
            if candidate.is_sender and _path(candidate.remote_source) == node:
                candidate.send(reply).settle()
                return
            candidate = candidate.next(active)


def _path(terminus) -> str:  # noqa: ANN001
    """A terminus address without scheme and host: the client sends `amqps://host/hub/...`."""
    address = terminus.address or ""
    if "://" in address:
        address = address.split("://", 1)[1].partition("/")[2]
    return address


def _decoded(raw: bytes) -> Message:
    message = Message()
    message.decode(raw)
    return message


class PaddingRelay:
    """TCP relay from clients to proton, padding every frame proton writes (see module doc)."""

    def __init__(self, listen_port: int, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.server = socket.create_server(("127.0.0.1", listen_port), reuse_port=False)
        self.port = self.server.getsockname()[1]

    def serve_forever(self) -> None:
        while True:
            client, _ = self.server.accept()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_copy, args=(client, upstream, None), daemon=True).start()
        _copy(upstream, client, FramePadder())


def _copy(source: socket.socket, sink: socket.socket, padder: FramePadder | None) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(padder.feed(data) if padder else data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="client port (0: any free port)")
    parser.add_argument("--hub", default="footfall-events")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--journal", type=Path, help="keep messages in this file across restarts")
    parser.add_argument("--max-message-size", type=int, default=1024 * 1024)
    parser.add_argument("--ack-delay", type=float, default=0.0)
    parser.add_argument("--slow-acks", type=int, default=0)
    args = parser.parse_args(argv)

    hub = Hub(args.hub, args.partitions, args.journal)
    handler = EndpointHandler(
        hub,
        max_message_size=args.max_message_size,
        ack_delay=args.ack_delay,
        slow_acks=args.slow_acks,
    )
    container = Container(handler)
    container.allowed_mechs = "ANONYMOUS PLAIN"
    container.allow_insecure_mechs = True
    upstream = _free_port()
    container.listen(f"127.0.0.1:{upstream}")
    relay = PaddingRelay(args.port, upstream)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    print(f"READY {relay.port}", flush=True)
    container.run()


if __name__ == "__main__":
    sys.exit(main())
