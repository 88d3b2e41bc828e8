"""Metadata v1 and v9 (flexible) for an auto-created topic.

With auto.create.topics.enable=true and num.partitions=2, Metadata for an
unknown topic creates it; the first answer may be LEADER_NOT_AVAILABLE
(5) while it is being created, then the topic has two partitions led by
this broker, which advertises our listener (127.0.0.1:<port>).
"""

import time

from wirecommon import harness, kwire

PARTITIONS = 2
LEADER_NOT_AVAILABLE = 5
UNKNOWN_TOPIC_OR_PARTITION = 3


def metadata(port, version, topic, corr):
    with kwire.connect(port) as s:
        r = kwire.call(s, kwire.API_METADATA, version, corr,
                       kwire.metadata_body(version, [topic]),
                       flexible=version >= 9)
        md = kwire.parse_metadata(r, version)
        assert r.rest() == 0, "v%d: %d trailing bytes" % (version, r.rest())
        return md


def wait_topic(port, version, topic):
    deadline = time.monotonic() + 10
    while True:
        md = metadata(port, version, topic, 1000 + version)
        err, parts = md["topics"][topic]
        if err == 0 and parts and all(p[0] == 0 and p[2] >= 0
                                      for p in parts):
            return md
        assert err in (0, LEADER_NOT_AVAILABLE), "topic error %d" % err
        assert time.monotonic() < deadline, "topic not ready: %r" % (md,)
        time.sleep(0.2)


def check(b, version, topic):
    md = wait_topic(b.port, version, topic)
    brokers = {n: (h, p) for n, h, p in md["brokers"]}
    assert len(brokers) == 1, brokers
    (node, (host, port)), = brokers.items()
    if not b.is_mock:
        assert (host, port) == ("127.0.0.1", b.port), brokers
    err, parts = md["topics"][topic]
    want = PARTITIONS if not b.is_mock else len(parts)
    assert sorted(p[1] for p in parts) == list(range(want)), parts
    for perr, idx, leader, replicas, isr in parts:
        assert leader == node and replicas == [node] and isr == [node], \
            (idx, leader, replicas, isr)


def check_no_autocreate(b):
    """v4+ lets the client say no: the topic stays unknown."""
    with kwire.connect(b.port) as s:
        r = kwire.call(s, kwire.API_METADATA, 9, 77,
                       kwire.metadata_body(9, ["wire-no-create"], False),
                       flexible=True)
        md = kwire.parse_metadata(r, 9)
    err, _ = md["topics"]["wire-no-create"]
    assert err == UNKNOWN_TOPIC_OR_PARTITION, "error %d" % err


def test():
    b = harness.Broker(overrides={"auto.create.topics.enable": "true",
                                  "num.partitions": str(PARTITIONS)}).start()
    check(b, 1, "wire-meta-v1")
    if b.is_mock:
        print("mock: Metadata v9 and allow_auto_topic_creation skipped "
              "(the mock serves older versions)")
    else:
        check(b, 9, "wire-meta-v9")
        check(b, 1, "wire-meta-v9")
        check_no_autocreate(b)
    b.stop()


if __name__ == "__main__":
    harness.run(test)
