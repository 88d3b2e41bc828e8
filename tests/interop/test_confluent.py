"""confluent-kafka (librdkafka) against a spawned sealogd.

AdminClient create_topics; produce keyed records with headers and explicit
timestamps with every codec (none, gzip, snappy, lz4, zstd) and with
acks=0/1/all; consume back from explicit partitions/offsets (assign, no
group join); watermarks and offsets_for_times; restart; consume again.
Everything is compared byte-exact: keys, values, headers, order, offsets.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ck = harness.need_module("confluent_kafka")
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPIC = "interop-confluent"
PARTITIONS = 3
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
PER_RUN = 30
TIMEOUT = 30.0


def create_topic(b):
    if b.is_mock:
        return  # the mock has no CreateTopics; mock_topics pre-creates it
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    futs = admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)],
                               request_timeout=15)
    futs[TOPIC].result(timeout=20)
    md = admin.list_topics(TOPIC, timeout=10)
    got = len(md.topics[TOPIC].partitions)
    assert got == PARTITIONS, "metadata shows %d partitions" % got


def produce(b, records, ts0, codec, acks):
    """Produce records round-robin over the partitions; return the delivery
    reports as {partition: [offset, ...]} (offset -1 with acks=0)."""
    p = ck.Producer({"bootstrap.servers": b.bootstrap,
                     "compression.type": codec, "acks": acks,
                     "linger.ms": 5, "enable.idempotence": False,
                     "max.in.flight": 1})
    reports = {q: [] for q in range(PARTITIONS)}
    errors = []

    def dr(err, msg):
        if err is not None:
            errors.append(err)
        else:
            reports[msg.partition()].append(msg.offset())

    for i, (k, v, h) in enumerate(records):
        p.produce(TOPIC, value=v, key=k, headers=h,
                  partition=i % PARTITIONS, timestamp=ts0 + i,
                  on_delivery=dr)
        p.poll(0)
    left = p.flush(TIMEOUT)
    assert left == 0, "%d messages not delivered" % left
    assert not errors, "delivery errors: %r" % errors[:5]
    return reports


def norm_headers(h):
    # librdkafka gives None for "no headers". Header values are sent as
    # b"" (length 0, not the null length -1), so they must come back b"".
    return [(k, v) for k, v in (h or [])]


def consume_all(b, want_counts):
    c = ck.Consumer({"bootstrap.servers": b.bootstrap,
                     "group.id": "interop-assign-%d" % os.getpid(),
                     "enable.auto.commit": False,
                     "enable.auto.offset.store": False,
                     "enable.partition.eof": False})
    c.assign([ck.TopicPartition(TOPIC, q, ck.OFFSET_BEGINNING)
              for q in range(PARTITIONS)])
    got = {q: [] for q in range(PARTITIONS)}
    deadline = time.monotonic() + TIMEOUT
    while any(len(got[q]) < want_counts[q] for q in got):
        assert time.monotonic() < deadline, "consume timed out: %r of %r" % (
            {q: len(v) for q, v in got.items()}, want_counts)
        m = c.poll(0.5)
        if m is None:
            continue
        assert m.error() is None, "consume error: %s" % m.error()
        got[m.partition()].append((m.offset(), m.key(), m.value(),
                                   norm_headers(m.headers()),
                                   m.timestamp()[1]))
    c.close()
    return got


def verify(b, expected):
    want_counts = {q: len(expected[q]) for q in expected}
    got = consume_all(b, want_counts)
    for q in range(PARTITIONS):
        want = [(off, k, v, h, ts)
                for off, (k, v, h, ts) in enumerate(expected[q])]
        harness.check_equal("partition %d records" % q, got[q], want)
    verify_list_offsets(b, expected)


def verify_list_offsets(b, expected):
    c = ck.Consumer({"bootstrap.servers": b.bootstrap,
                     "group.id": "interop-offsets-%d" % os.getpid(),
                     "enable.auto.commit": False})
    for q in range(PARTITIONS):
        tp = ck.TopicPartition(TOPIC, q)
        lo, hi = c.get_watermark_offsets(tp, timeout=10)
        assert (lo, hi) == (0, len(expected[q])), \
            "watermarks p%d: %r" % (q, (lo, hi))
        if b.is_mock:
            continue  # the mock answers -1 to every timestamp lookup
        stamps = [r[3] for r in expected[q]]
        for target in (stamps[0], stamps[len(stamps) // 2], stamps[-1],
                       stamps[-1] + 1):
            res = c.offsets_for_times([ck.TopicPartition(TOPIC, q, target)],
                                      timeout=10)
            want = harness.offset_for_time(stamps, target)
            assert res[0].error is None, res[0].error
            assert res[0].offset == want, \
                "offsets_for_times p%d ts=%d: got %d want %d" % (
                    q, target, res[0].offset, want)
    c.close()


def test():
    b = harness.Broker(mock_topics={TOPIC: PARTITIONS}).start()
    create_topic(b)
    expected = {q: [] for q in range(PARTITIONS)}
    ts0 = int(time.time() * 1000) - 3600 * 1000
    runs = [(codec, "all") for codec in CODECS] + \
        [("none", "0"), ("none", "1"), ("lz4", "1"), ("zstd", "0")]
    for run_no, (codec, acks) in enumerate(runs):
        records = harness.make_records(PER_RUN, seed=run_no)
        base = ts0 + run_no * 1000
        reports = produce(b, records, base, codec, acks)
        for i, (k, v, h) in enumerate(records):
            expected[i % PARTITIONS].append((k, v, h, base + i))
        if acks != "0":
            check_reports(reports, expected)
    verify(b, expected)
    b.restart()
    verify(b, expected)
    b.stop()


def check_reports(reports, expected):
    """Delivery-report offsets of the last run are the tail of each
    partition, contiguous, in produce order."""
    for q, offs in reports.items():
        n = len(expected[q])
        want = list(range(n - len(offs), n))
        assert offs == want, "p%d delivery offsets %r, want %r" % (
            q, offs, want)


if __name__ == "__main__":
    harness.run(test)
