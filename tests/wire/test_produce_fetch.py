"""Produce v3 of a hand-built v2 record batch, then Fetch v4 of it.

- the batch (CRC32C computed here) is appended at offset 0 and fetched
  back byte-exact from the attributes onward (base offset assigned by the
  broker, partition leader epoch is the broker's to set);
- a batch with a corrupted CRC: CORRUPT_MESSAGE (2), nothing appended;
- acks=2: INVALID_REQUIRED_ACKS (21), nothing appended;
- a second good batch lands at offset 3 (after the first three records).
"""

import time

from wirecommon import harness, kwire

TOPIC = "wire-produce"
CORRUPT_MESSAGE = 2
INVALID_REQUIRED_ACKS = 21
LEADER_NOT_AVAILABLE = 5


def ensure_topic(port):
    """Auto-create through Metadata v1 and wait for a leader."""
    deadline = time.monotonic() + 10
    while True:
        with kwire.connect(port) as s:
            r = kwire.call(s, kwire.API_METADATA, 1, 1,
                           kwire.metadata_body(1, [TOPIC]))
            err, parts = kwire.parse_metadata(r, 1)["topics"][TOPIC]
        if err == 0 and parts and parts[0][2] >= 0:
            return
        assert err in (0, LEADER_NOT_AVAILABLE), "metadata error %d" % err
        assert time.monotonic() < deadline, "topic never got a leader"
        time.sleep(0.2)


def produce(s, corr, batch, acks=-1):
    r = kwire.call(s, kwire.API_PRODUCE, 3, corr,
                   kwire.produce_body(TOPIC, 0, batch, acks))
    res = kwire.parse_produce(r, 3)
    assert r.rest() == 0, "%d trailing bytes" % r.rest()
    return res[(TOPIC, 0)]


def fetch(s, corr, offset):
    r = kwire.call(s, kwire.API_FETCH, 4, corr,
                   kwire.fetch_body(TOPIC, 0, offset))
    res = kwire.parse_fetch_v4(r)
    assert r.rest() == 0, "%d trailing bytes" % r.rest()
    return res[(TOPIC, 0)]


def split_batches(data):
    out, off = [], 0
    while off + 12 <= len(data):
        length = int.from_bytes(data[off + 8:off + 12], "big")
        if off + 12 + length > len(data):
            break  # a partial trailing batch is allowed in Fetch
        out.append(data[off:off + 12 + length])
        off += 12 + length
    return out


def same_batch(got, sent, base_offset):
    """Equal except base offset (assigned) and leader epoch (broker's)."""
    assert int.from_bytes(got[:8], "big", signed=True) == base_offset
    assert len(got) == len(sent), (len(got), len(sent))
    assert got[8:12] == sent[8:12], "batch length differs"
    assert got[16:] == sent[16:], "batch content differs"
    assert kwire.batch_crc_ok(got), "fetched batch CRC is wrong"


def test():
    b = harness.Broker(overrides={"auto.create.topics.enable": "true",
                                  "num.partitions": "1"},
                       mock_topics={TOPIC: 1}).start()
    ensure_topic(b.port)
    now = int(time.time() * 1000)
    recs = [(b"k0", b"v0", [("h", b"x")]), (None, b"\x00\xff" * 300, []),
            (b"k2", None, [("a", b""), ("b", b"bb")])]
    batch = kwire.record_batch(recs, now)
    assert kwire.batch_crc_ok(batch)
    with kwire.connect(b.port) as s:
        assert produce(s, 10, batch) == (0, 0)
        err, hw, data = fetch(s, 11, 0)
        assert err == 0 and hw == 3, (err, hw)
        got = split_batches(data)
        assert got, "fetch returned no complete batch"
        same_batch(got[0], batch, 0)

        bad = bytearray(batch)
        bad[-1] ^= 0x01  # flip a bit inside the last record
        if not b.is_mock:  # the mock neither checks CRCs nor acks
            err, _ = produce(s, 12, bytes(bad))
            assert err == CORRUPT_MESSAGE, "corrupt CRC: error %d" % err
            err, _ = produce(s, 13, batch, acks=2)
            assert err == INVALID_REQUIRED_ACKS, "acks=2: error %d" % err
            assert fetch(s, 14, 0)[1] == 3, "a rejected batch was appended"

        batch2 = kwire.record_batch([(b"k3", b"v3", [])], now + 10)
        assert produce(s, 15, batch2, acks=1) == (0, 3)
        err, hw, data = fetch(s, 16, 3)
        assert err == 0 and hw == 4, (err, hw)
        same_batch(split_batches(data)[0], batch2, 3)
    b.restart()
    with kwire.connect(b.port) as s:
        err, hw, data = fetch(s, 20, 0)
        assert err == 0 and hw == 4, (err, hw)
        got = split_batches(data)
        same_batch(got[0], batch, 0)
        if len(got) > 1:
            same_batch(got[1], batch2, 3)
    b.stop()


if __name__ == "__main__":
    harness.run(test)
