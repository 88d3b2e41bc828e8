"""fetch.max.bytes, the broker's cap on one Fetch answer, in raw frames.

Kafka answers min(max_bytes of the request, fetch.max.bytes); without the
cap a client asking max_bytes=INT32_MAX over many partitions could make
the broker decrypt and buffer its whole log for one request.

- fetch.max.bytes=4096, three partitions holding four ~1.5 KB batches
  each (18 KB): a Fetch asking INT32_MAX for all three gets at most
  4096 bytes of records, and whole batches;
- a client limit below the cap wins (2000 bytes: one batch, KIP-74's
  first batch still whole);
- a batch larger than the cap, first in the answer, comes back whole
  (KIP-74), so a consumer never gets stuck.
"""

import time

from wirecommon import harness, kwire
from kwire import i8, i32, i64, string, array

TOPIC = "wire-fetch-limit"
PARTITIONS = 3
CAP = 4096
INT32_MAX = 2 ** 31 - 1
CORR = [100]


def call(s, api, ver, body):
    CORR[0] += 1
    return kwire.call(s, api, ver, CORR[0], body)


def ensure_topic(s):
    deadline = time.monotonic() + 10
    while True:
        r = call(s, kwire.API_METADATA, 1, kwire.metadata_body(1, [TOPIC]))
        err, parts = kwire.parse_metadata(r, 1)["topics"][TOPIC]
        if err == 0 and len(parts) == PARTITIONS:
            return
        assert time.monotonic() < deadline, "topic never appeared"
        time.sleep(0.2)


def produce(s, partition, value):
    batch = kwire.record_batch([(None, value, [])], int(time.time() * 1000))
    r = call(s, kwire.API_PRODUCE, 3,
             kwire.produce_body(TOPIC, partition, batch))
    err, _ = kwire.parse_produce(r, 3)[(TOPIC, partition)]
    assert err == 0, "produce error %d" % err
    return len(batch)


def fetch(s, max_bytes, offsets):
    """Fetch v4 of {partition: offset}, partition limits INT32_MAX ->
    {partition: records bytes}."""
    parts = [i32(p) + i64(o) + i32(INT32_MAX) for p, o in offsets.items()]
    body = i32(-1) + i32(100) + i32(1) + i32(max_bytes) + i8(0) + \
        array([string(TOPIC) + array(parts)])
    res = kwire.parse_fetch_v4(call(s, kwire.API_FETCH, 4, body))
    out = {}
    for (_, p), (err, _, data) in res.items():
        assert err == 0, "partition %d: error %d" % (p, err)
        out[p] = data or b""
    return out


def whole_batches(data):
    """The records of one partition end on a batch boundary."""
    off = 0
    while off < len(data):
        length = int.from_bytes(data[off + 8:off + 12], "big")
        off += 12 + length
    return off == len(data)


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no fetch.max.bytes")
    b = harness.Broker(overrides={"num.partitions": str(PARTITIONS),
                                  "fetch.max.bytes": str(CAP)}).start()
    with kwire.connect(b.port) as s:
        ensure_topic(s)
        size = 0
        for p in range(PARTITIONS):
            for i in range(4):
                size = produce(s, p, bytes([65 + i]) * 1400)
        got = fetch(s, INT32_MAX, {p: 0 for p in range(PARTITIONS)})
        total = sum(len(d) for d in got.values())
        assert 0 < total <= CAP, "%d bytes under fetch.max.bytes %d" % (
            total, CAP)
        assert total >= CAP - size, "stopped early: %d" % total
        assert all(whole_batches(d) for d in got.values())
        got = fetch(s, 2000, {p: 0 for p in range(PARTITIONS)})
        assert sum(len(d) for d in got.values()) == size, got.keys()
        # A batch over the cap, first in the answer, is returned whole.
        big = produce(s, 0, b"Z" * (CAP * 2))
        got = fetch(s, INT32_MAX, {0: 4})
        assert len(got[0]) == big, (len(got[0]), big)
    b.stop()


if __name__ == "__main__":
    harness.run(test)
