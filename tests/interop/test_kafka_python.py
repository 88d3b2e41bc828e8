"""kafka-python (Debian's python3-kafka 2.0.2) against a spawned sealogd.

KafkaAdminClient create_topics; produce keyed records with headers and
explicit timestamps with every codec this installation can do (gzip is
built in; snappy/lz4/zstd need extra modules Debian may lack - those are
skipped, and said so) and with acks=0/1/all; consume back with assign +
seek (no group); beginning_offsets/end_offsets/offsets_for_times;
restart; consume again. Byte-exact comparison throughout.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

kafka = harness.need_module("kafka")
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402
from kafka import codec as kcodec  # noqa: E402

TOPIC = "interop-kafka-python"
PARTITIONS = 3
PER_RUN = 30
TIMEOUT = 30.0


def codecs():
    have = {"gzip": kcodec.has_gzip(), "snappy": kcodec.has_snappy(),
            "lz4": kcodec.has_lz4(), "zstd": kcodec.has_zstd()}
    missing = [c for c, ok in have.items() if not ok]
    # scripts/dev.sh installs python3-snappy, python3-lz4 and
    # python3-zstandard: every codec is tested, none silently left out.
    assert not missing, ("kafka-python %s lacks codec libraries for %s"
                         % (kafka.__version__, ", ".join(missing)))
    return [None] + list(have)


def create_topic(b):
    if b.is_mock:
        return  # the mock has no CreateTopics; mock_topics pre-creates it
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap,
                             request_timeout_ms=15000)
    admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)], timeout_ms=15000)
    admin.close()


def produce(b, records, ts0, codec, acks):
    p = KafkaProducer(bootstrap_servers=b.bootstrap, compression_type=codec,
                      acks=acks, linger_ms=5, retries=0,
                      max_in_flight_requests_per_connection=1)
    futs = []
    for i, (k, v, h) in enumerate(records):
        futs.append(p.send(TOPIC, value=v, key=k, headers=h,
                           partition=i % PARTITIONS, timestamp_ms=ts0 + i))
    p.flush(timeout=TIMEOUT)
    metas = [f.get(timeout=TIMEOUT) for f in futs]
    p.close(timeout=10)
    return metas


def consume_all(b, want_counts):
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=None,
                      enable_auto_commit=False, consumer_timeout_ms=1000)
    tps = [TopicPartition(TOPIC, q) for q in range(PARTITIONS)]
    c.assign(tps)
    for tp in tps:
        c.seek(tp, 0)
    got = {q: [] for q in range(PARTITIONS)}
    deadline = time.monotonic() + TIMEOUT
    while any(len(got[q]) < want_counts[q] for q in got):
        assert time.monotonic() < deadline, "consume timed out: %r of %r" % (
            {q: len(v) for q, v in got.items()}, want_counts)
        for batch in c.poll(timeout_ms=500).values():
            for m in batch:
                got[m.partition].append((m.offset, m.key, m.value,
                                         list(m.headers), m.timestamp))
    c.close()
    return got


def verify(b, expected):
    got = consume_all(b, {q: len(expected[q]) for q in expected})
    for q in range(PARTITIONS):
        want = [(off, k, v, h, ts)
                for off, (k, v, h, ts) in enumerate(expected[q])]
        harness.check_equal("partition %d records" % q, got[q], want)
    verify_list_offsets(b, expected)


def verify_list_offsets(b, expected):
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=None,
                      enable_auto_commit=False)
    tps = [TopicPartition(TOPIC, q) for q in range(PARTITIONS)]
    lo = c.beginning_offsets(tps)
    hi = c.end_offsets(tps)
    for tp in tps:
        assert lo[tp] == 0, "beginning_offsets %r: %d" % (tp, lo[tp])
        assert hi[tp] == len(expected[tp.partition]), \
            "end_offsets %r: %d" % (tp, hi[tp])
    if b.is_mock:
        c.close()
        return  # the mock answers -1 to every timestamp lookup
    for tp in tps:
        stamps = [r[3] for r in expected[tp.partition]]
        for target in (stamps[0], stamps[len(stamps) // 2], stamps[-1],
                       stamps[-1] + 1):
            res = c.offsets_for_times({tp: target})[tp]
            want = harness.offset_for_time(stamps, target)
            got = -1 if res is None else res.offset
            assert got == want, "offsets_for_times %r ts=%d: %d want %d" % (
                tp, target, got, want)
    c.close()


def test():
    b = harness.Broker(mock_topics={TOPIC: PARTITIONS}).start()
    create_topic(b)
    expected = {q: [] for q in range(PARTITIONS)}
    ts0 = int(time.time() * 1000) - 3600 * 1000
    runs = [(codec, "all") for codec in codecs()] + [(None, 0), (None, 1),
                                                   ("gzip", 1)]
    for run_no, (codec, acks) in enumerate(runs):
        records = harness.make_records(PER_RUN, seed=100 + run_no)
        base = ts0 + run_no * 1000
        metas = produce(b, records, base, codec, acks)
        for i, (k, v, h) in enumerate(records):
            q = i % PARTITIONS
            if acks != 0:
                assert metas[i].partition == q
                assert metas[i].offset == len(expected[q]), \
                    "record %d: offset %d, want %d" % (
                        i, metas[i].offset, len(expected[q]))
            expected[q].append((k, v, h, base + i))
    verify(b, expected)
    b.restart()
    verify(b, expected)
    b.stop()


if __name__ == "__main__":
    harness.run(test)
