"""Produce rules that depend on topic configs and on batch contents, in
raw frames (the batches are built here, so every field is known):

- max.message.bytes of the topic (CreateTopics configs): a batch over it
  is MESSAGE_TOO_LARGE (10); raised by IncrementalAlterConfigs, the same
  batch is accepted at once;
- message.timestamp.type=LogAppendTime: the answer carries the append
  time, and the stored batch has the LogAppendTime attribute bit and that
  time as its max timestamp;
- compressed batches are validated like Kafka's LogValidator: a gzip
  batch whose records do not match its record count is INVALID_RECORD
  (87), a stream that does not decompress CORRUPT_MESSAGE (2), more than
  one batch for one partition INVALID_RECORD; a good one is accepted and
  fetched back unchanged;
- nothing refused was appended (the high watermark counts only the
  accepted records).
"""

import struct
import time
import zlib

from wirecommon import harness, kwire
from kwire import i8, i16, i32, i64, string, nbytes, array

CREATE_TOPICS, INCREMENTAL_ALTER_CONFIGS = 19, 44
NONE, CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, INVALID_RECORD = 0, 2, 10, 87
LOG_APPEND_TIME_BIT = 0x08
CORR = [1000]


def call(s, api, ver, body):
    CORR[0] += 1
    return kwire.call(s, api, ver, CORR[0], body)


def nstring(v):
    return i16(-1) if v is None else string(v)


def create_topic(s, name, configs):
    """CreateTopics v2, one partition -> error code."""
    cfg = array([string(k) + nstring(v) for k, v in configs.items()])
    topic = string(name) + i32(1) + i16(1) + array([]) + cfg
    r = call(s, CREATE_TOPICS, 2, array([topic]) + i32(10000) + i8(0))
    r.i32()
    topics = r.array(lambda x: (x.string(), x.i16(), x.string()))
    return topics[0][1]


def alter_config(s, topic, key, value):
    """IncrementalAlterConfigs v0, SET one key -> error code."""
    res = i8(2) + string(topic) + array([string(key) + i8(0) +
                                         nstring(value)])
    r = call(s, INCREMENTAL_ALTER_CONFIGS, 0, array([res]) + i8(0))
    r.i32()
    out = r.array(lambda x: (x.i16(), x.string(), x.i8(), x.string()))
    return out[0][0]


def produce(s, topic, records_bytes):
    """Produce v3 -> (error, base offset)."""
    r = call(s, kwire.API_PRODUCE, 3,
             kwire.produce_body(topic, 0, records_bytes))
    return kwire.parse_produce(r, 3)[(topic, 0)]


def produce_v5(s, topic, records_bytes):
    """Produce v5 -> (error, base offset, log append time)."""
    r = call(s, kwire.API_PRODUCE, 5,
             kwire.produce_body(topic, 0, records_bytes))
    r.i32()
    r.string()
    r.i32()
    idx, err, base, lat = r.i32(), r.i16(), r.i64(), r.i64()
    return err, base, lat


def fetch(s, topic, offset=0):
    r = call(s, kwire.API_FETCH, 4, kwire.fetch_body(topic, 0, offset))
    return kwire.parse_fetch_v4(r)[(topic, 0)]


def batch(records_payload, count, codec=0, base_ts=None):
    """A v2 batch with the given (maybe compressed) records section."""
    ts = base_ts if base_ts is not None else int(time.time() * 1000)
    after_crc = (i16(codec) + i32(count - 1) + i64(ts) + i64(ts + count - 1) +
                 i64(-1) + i16(-1) + i32(-1) + i32(count) + records_payload)
    crc = struct.pack(">I", kwire.crc32c(after_crc))
    tail = i32(-1) + i8(2) + crc + after_crc
    return i64(0) + i32(len(tail)) + tail


def records(n, size):
    return b"".join(kwire.record(i, i, b"k%d" % i, b"v" * size)
                    for i in range(n))


def gzip(data):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def check_max_message_bytes(s):
    assert create_topic(s, "small", {"max.message.bytes": "1000"}) == NONE
    big = batch(records(3, 600), 3)
    assert produce(s, "small", big)[0] == MESSAGE_TOO_LARGE
    assert produce(s, "small", batch(records(2, 10), 2)) == (NONE, 0)
    assert alter_config(s, "small", "max.message.bytes", "100000") == NONE
    assert produce(s, "small", big) == (NONE, 2)
    err, hw, _ = fetch(s, "small")
    assert (err, hw) == (NONE, 5), (err, hw)


def check_log_append_time(s):
    assert create_topic(s, "lat", {"message.timestamp.type":
                                   "LogAppendTime"}) == NONE
    before = int(time.time() * 1000)
    err, base, lat = produce_v5(s, "lat", batch(records(2, 5), 2,
                                                base_ts=12345))
    after = int(time.time() * 1000)
    assert err == NONE and base == 0, (err, base)
    assert before <= lat <= after, (before, lat, after)
    err, hw, data = fetch(s, "lat")
    (attrs,) = struct.unpack(">h", data[21:23])
    (max_ts,) = struct.unpack(">q", data[35:43])
    assert attrs & LOG_APPEND_TIME_BIT, attrs
    assert max_ts == lat, (max_ts, lat)
    assert kwire.batch_crc_ok(data), "stored batch CRC"


def check_compressed(s):
    assert create_topic(s, "comp", {}) == NONE
    good = batch(gzip(records(4, 50)), 4, codec=1)
    assert produce(s, "comp", good) == (NONE, 0)
    wrong_count = batch(gzip(records(4, 50)), 5, codec=1)
    assert produce(s, "comp", wrong_count)[0] == INVALID_RECORD
    broken = bytearray(gzip(records(4, 50)))
    broken[len(broken) // 2] ^= 0xFF
    assert produce(s, "comp", batch(bytes(broken), 4, codec=1))[0] == \
        CORRUPT_MESSAGE
    assert produce(s, "comp", good + good)[0] == INVALID_RECORD
    err, hw, data = fetch(s, "comp")
    assert (err, hw) == (NONE, 4), (err, hw)
    assert data[21:] == good[21:], "compressed batch not served unchanged"


def test():
    if harness.target_is_mock():
        harness.skip("topic configs and validation are sealog's")
    b = harness.Broker().start()
    with kwire.connect(b.port) as s:
        check_max_message_bytes(s)
        check_log_append_time(s)
        check_compressed(s)
    b.stop()


if __name__ == "__main__":
    harness.run(test)
