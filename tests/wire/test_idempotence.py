"""The idempotent producer's sequence rules (broker/producer.c), in raw
frames, with batches whose producer id, epoch and base sequence are set
here (so every case is exact):

- InitProducerId v1 without a transactional id: a producer id, epoch 0;
- the first batch (sequence 0, 3 records) lands at offset 0; the same
  batch again is a duplicate: answered with offset 0, nothing appended;
- a gap (sequence 5 after 0-2) is OUT_OF_ORDER_SEQUENCE_NUMBER (45); the
  next sequence (3) lands at offset 3;
- a higher epoch must start at sequence 0 (else 45); after it, the old
  epoch is INVALID_PRODUCER_EPOCH (47);
- the state is rebuilt after a restart: the last batch retried is still
  answered with its original offset;
- producer.id.expiration.ms: once the producer has been idle that long
  its state is dropped, and a batch with any sequence is accepted as
  from a new producer (as Kafka accepts an unknown producer id since
  KIP-360), instead of 45.
"""

import struct
import time

from wirecommon import harness, kwire
from kwire import i8, i16, i32, i64

TOPIC = "wire-idempotence"
INIT_PRODUCER_ID = 22
OUT_OF_ORDER, INVALID_EPOCH = 45, 47
EXPIRY_MS = 3000  # the checks after the restart must fit in it
CORR = [200]


def call(s, api, ver, body):
    CORR[0] += 1
    return kwire.call(s, api, ver, CORR[0], body)


def init_producer_id(s):
    r = call(s, INIT_PRODUCER_ID, 1, i16(-1) + i32(60000))
    r.i32()
    err, pid, epoch = r.i16(), r.i64(), r.i16()
    assert err == 0, "InitProducerId error %d" % err
    return pid, epoch


def batch(pid, epoch, seq, count):
    """count records, uncompressed, with the producer fields set."""
    now = int(time.time() * 1000)
    recs = b"".join(kwire.record(i, i, b"k", b"v%d" % (seq + i))
                    for i in range(count))
    after_crc = i16(0) + i32(count - 1) + i64(now) + i64(now + count - 1) + \
        i64(pid) + i16(epoch) + i32(seq) + i32(count) + recs
    crc = struct.pack(">I", kwire.crc32c(after_crc))
    tail = i32(-1) + i8(2) + crc + after_crc
    return i64(0) + i32(len(tail)) + tail


def produce(s, data):
    r = call(s, kwire.API_PRODUCE, 3, kwire.produce_body(TOPIC, 0, data))
    return kwire.parse_produce(r, 3)[(TOPIC, 0)]


def high_watermark(s):
    r = call(s, kwire.API_FETCH, 4, kwire.fetch_body(TOPIC, 0, 0))
    return kwire.parse_fetch_v4(r)[(TOPIC, 0)][1]


def ensure_topic(s):
    deadline = time.monotonic() + 10
    while True:
        r = call(s, kwire.API_METADATA, 1, kwire.metadata_body(1, [TOPIC]))
        err, parts = kwire.parse_metadata(r, 1)["topics"][TOPIC]
        if err == 0 and parts:
            return
        assert time.monotonic() < deadline, "topic never appeared"
        time.sleep(0.2)


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster does not check sequences")
    b = harness.Broker(overrides={
        "num.partitions": "1",
        "producer.id.expiration.ms": str(EXPIRY_MS),
        "producer.id.expiration.check.interval.ms": "100"}).start()
    with kwire.connect(b.port) as s:
        ensure_topic(s)
        pid, epoch = init_producer_id(s)
        assert pid >= 0 and epoch == 0, (pid, epoch)
        first = batch(pid, 0, 0, 3)
        assert produce(s, first) == (0, 0)
        assert produce(s, first) == (0, 0), "duplicate not recognised"
        assert high_watermark(s) == 3, "the duplicate was appended"
        assert produce(s, batch(pid, 0, 5, 1))[0] == OUT_OF_ORDER
        assert produce(s, batch(pid, 0, 3, 2)) == (0, 3)
        assert produce(s, batch(pid, 1, 4, 1))[0] == OUT_OF_ORDER
        last = batch(pid, 1, 0, 1)
        assert produce(s, last) == (0, 5)
        assert produce(s, batch(pid, 0, 5, 1))[0] == INVALID_EPOCH
        assert high_watermark(s) == 6
    b.restart()
    with kwire.connect(b.port) as s:
        assert produce(s, last) == (0, 5), "state lost over a restart"
        assert produce(s, batch(pid, 1, 7, 1))[0] == OUT_OF_ORDER
        # Idle past producer.id.expiration.ms: the state is gone.
        time.sleep(EXPIRY_MS / 1000 + 1.0)
        assert produce(s, batch(pid, 1, 7, 1)) == (0, 6), \
            "expired producer state still enforced"
        assert high_watermark(s) == 7
    assert b"Removed 1 expired producer states" in b.log_bytes()
    b.stop()


if __name__ == "__main__":
    harness.run(test)
