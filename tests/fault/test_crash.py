"""Crash test: acks=all + idempotent producer, kill -9 of sealogd at random
points, restart on the same data directory, repeat.

Oracle, checked once at the end by reading every partition from offset 0:
  - every acknowledged message is present exactly once, at the offset its
    delivery report gave, in the order the producer acknowledged it;
  - no message appears twice (unacknowledged ones may be missing).

The producer lives across the crashes, as an application would: librdkafka
retries what was in flight, and the broker's idempotence (producer state
rebuilt from the log at start-up) must turn those retries into no-ops.

usage: test_crash.py [cycles]   (default 20; the slow label runs more)
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "interop"))
import harness  # noqa: E402

ck = harness.need_module("confluent_kafka")
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPIC = "crash"
PARTITIONS = 3
FLUSH_TIMEOUT = 60.0


class Producer:
    def __init__(self, bootstrap):
        self.p = ck.Producer({
            "bootstrap.servers": bootstrap, "acks": "all",
            "enable.idempotence": True, "linger.ms": 2,
            "message.timeout.ms": 120000, "retry.backoff.ms": 50,
            "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200,
            "socket.timeout.ms": 10000})
        self.next = 0
        self.acked = {q: [] for q in range(PARTITIONS)}  # (offset, value)
        self.errors = []

    def _dr(self, err, msg):
        if err is not None:
            self.errors.append(str(err))
        else:
            self.acked[msg.partition()].append((msg.offset(), msg.value()))

    def run(self, seconds):
        """Produce as fast as the queue allows for `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for _ in range(50):
                v = b"m-%08d" % self.next
                try:
                    self.p.produce(TOPIC, value=v,
                                   partition=self.next % PARTITIONS,
                                   on_delivery=self._dr)
                except BufferError:
                    break
                self.next += 1
            self.p.poll(0.005)

    def flush(self):
        left = self.p.flush(FLUSH_TIMEOUT)
        assert left == 0, "%d messages never resolved" % left


def read_all(b):
    c = ck.Consumer({"bootstrap.servers": b.bootstrap,
                     "group.id": "crash-verify", "enable.auto.commit": False,
                     "enable.partition.eof": True})
    c.assign([ck.TopicPartition(TOPIC, q, ck.OFFSET_BEGINNING)
              for q in range(PARTITIONS)])
    got = {q: [] for q in range(PARTITIONS)}
    eof = set()
    deadline = time.monotonic() + 60
    while len(eof) < PARTITIONS:
        assert time.monotonic() < deadline, "verification read timed out"
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            assert m.error().code() == ck.KafkaError._PARTITION_EOF, m.error()
            eof.add(m.partition())
            continue
        eof.discard(m.partition())
        got[m.partition()].append((m.offset(), m.value()))
    c.close()
    return got


def verify(acked, got):
    for q in range(PARTITIONS):
        values = [v for _, v in got[q]]
        dups = len(values) - len(set(values))
        assert dups == 0, "partition %d: %d duplicated messages" % (q, dups)
        offs = [o for o, _ in got[q]]
        assert offs == list(range(len(offs))), \
            "partition %d: offsets not contiguous from 0" % q
        stored = dict(got[q])
        last = -1
        for off, v in acked[q]:
            assert stored.get(off) == v, \
                "partition %d: acked %r at offset %d, log has %r" % (
                    q, v, off, stored.get(off))
            assert off > last, "partition %d: acks out of order" % q
            last = off


def test(cycles):
    if harness.target_is_mock():
        harness.skip("the mock cluster keeps nothing across a kill")
    rnd = random.Random(int(os.environ.get("SEALOG_CRASH_SEED", "0")) or None)
    b = harness.Broker().start()
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])[TOPIC].result(20)
    prod = Producer(b.bootstrap)
    for cycle in range(cycles):
        prod.run(rnd.uniform(0.1, 0.8))
        b.kill9()
        prod.run(rnd.uniform(0.0, 0.2))  # keep queueing while it is down
        b.start()
    prod.run(0.3)
    prod.flush()
    assert not prod.errors, "delivery errors: %r" % prod.errors[:5]
    total = sum(len(v) for v in prod.acked.values())
    assert total > 0, "nothing was acknowledged"
    verify(prod.acked, read_all(b))
    b.restart()  # and once more after a clean restart
    verify(prod.acked, read_all(b))
    print("%d cycles, %d messages acknowledged" % (cycles, total))
    b.stop()


if __name__ == "__main__":
    harness.run(test, int(sys.argv[1]) if len(sys.argv) > 1 else 20)
