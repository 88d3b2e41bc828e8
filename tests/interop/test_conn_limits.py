"""Connection caps (broker/conn_limits.h, net/quota.c) against the real
sealogd, with raw sockets whose source address is chosen inside
127.0.0.0/8 (one machine playing several client addresses) and with
librdkafka (confluent-kafka) as the client that must keep working:

- max.connections.per.ip=4, override 127.0.0.3:1: four connections from
  127.0.0.1 are served, a fifth is closed before any answer; 127.0.0.2
  is unaffected; 127.0.0.3 gets one;
- a flood of 300 connections from the capped address: every one closed,
  the broker answers 127.0.0.2 throughout, and the rejections are logged
  a line a second, not a line each;
- once the raw sockets are gone, a confluent-kafka producer and consumer
  (bootstrap plus broker connections, within the cap) produce and read
  back records;
- max.connections=2 (a second broker): a third connection waits in the
  backlog unanswered, and is served as soon as one of the two closes;
- max.connection.creation.rate=10 (a third broker): 30 connections in a
  burst are all served, over at least the second and a half the rate
  allows, and librdkafka produces and consumes through it.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "wire"))
import harness  # noqa: E402
import kwire  # noqa: E402

CORR = [0]
# librdkafka's consumer holds three connections (bootstrap, broker,
# group coordinator); one more of slack.
PER_IP = 4


def dial(b, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", b.port))
    return s


def api_versions(s, timeout=10.0):
    """True when an ApiVersions v0 answer comes back within timeout, False
    when the broker closed the connection, None when nothing came."""
    CORR[0] += 1
    s.settimeout(timeout)
    try:
        s.sendall(kwire.request(kwire.API_VERSIONS, 0, CORR[0], b""))
        r = kwire.response(s, CORR[0])
        return r.i16() == 0
    except (ConnectionError, BrokenPipeError):
        return False
    except socket.timeout:
        return None


def rejected_lines(b):
    return b.log_bytes().count(b"Rejected connection from /127.0.0.1,")


def per_ip(b):
    held = [dial(b, "127.0.0.1") for _ in range(PER_IP)]
    assert all(api_versions(s) for s in held)
    extra = dial(b, "127.0.0.1")
    assert api_versions(extra) is False, "one over the cap served"
    extra.close()
    other = dial(b, "127.0.0.2")
    assert api_versions(other), "127.0.0.2 refused"
    c3 = [dial(b, "127.0.0.3") for _ in range(2)]
    assert api_versions(c3[0]) and api_versions(c3[1]) is False
    for s in c3:
        s.close()
    # A flood from the capped address: all refused, others served.
    logged = rejected_lines(b)
    t0 = time.monotonic()
    for i in range(300):
        s = dial(b, "127.0.0.1")
        assert api_versions(s) is False, "flood connection %d served" % i
        s.close()
        if i % 50 == 0:
            assert api_versions(other), "127.0.0.2 starved by the flood"
    took = time.monotonic() - t0
    lines = rejected_lines(b) - logged
    assert rejected_lines(b) >= 1, "no rejection logged"
    assert lines <= took + 2, "%d rejection lines in %.1f s" % (lines, took)
    print("flood of 300 refused in %.2f s, %d log lines" % (took, lines),
          flush=True)
    for s in held + [other]:
        s.close()


def real_client(b):
    import confluent_kafka as ck
    topic = "conn-limits"
    p = ck.Producer({"bootstrap.servers": b.bootstrap,
                     "enable.idempotence": True})
    for i in range(10):
        p.produce(topic, key=b"k%d" % i, value=b"v%d" % i)
    assert p.flush(30) == 0
    del p  # its two connections close: the consumer needs three
    wait_slots_free(b, "127.0.0.1", PER_IP - 1)
    c = ck.Consumer({"bootstrap.servers": b.bootstrap, "group.id": "cl",
                     "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got, deadline = [], time.monotonic() + 30
    while len(got) < 10 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append(m.value())
    c.close()
    assert got == [b"v%d" % i for i in range(10)], got


def wait_slots_free(b, src, want):
    """The broker frees an address's slots once it has closed the sockets;
    wait until want connections from src are served again."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        socks = [dial(b, src) for _ in range(want)]
        ok = all(api_versions(s, 2) for s in socks)
        for s in socks:
            s.close()
        if ok:
            return
        time.sleep(0.1)
    raise AssertionError("%s never got %d connections back" % (src, want))


def broker_wide(b):
    a = [dial(b, "127.0.0.1"), dial(b, "127.0.0.2")]
    assert all(api_versions(s) for s in a)
    late = dial(b, "127.0.0.3")  # connects into the listen backlog
    assert api_versions(late, timeout=1.0) is None, "served beyond the cap"
    a[0].close()
    late.settimeout(5)
    r = kwire.response(late, CORR[0])  # the answer held back
    assert r.i16() == 0
    assert api_versions(a[1])
    for s in (a[1], late):
        s.close()
    assert b"the configured max.connections" in b.log_bytes()


def rate_limited(b):
    t0 = time.monotonic()
    socks = []
    for _ in range(30):
        socks.append(dial(b, "127.0.0.1"))
        assert api_versions(socks[-1], timeout=20), "refused, not throttled"
    took = time.monotonic() - t0
    for s in socks:
        s.close()
    print("30 connections at max.connection.creation.rate=10: %.2f s"
          % took, flush=True)
    assert took >= 1.3, "not throttled: %.2f s" % took
    real_client(b)


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no connection caps")
    harness.need_module("confluent_kafka")
    ov = {"max.connections.per.ip": str(PER_IP),
          "max.connections.per.ip.overrides": "127.0.0.3:1"}
    with harness.Broker(ov) as b:
        per_ip(b)
        wait_slots_free(b, "127.0.0.1", PER_IP)
        real_client(b)
    with harness.Broker({"max.connections": "2"}) as b:
        broker_wide(b)
    with harness.Broker({"max.connection.creation.rate": "10"}) as b:
        rate_limited(b)


if __name__ == "__main__":
    harness.run(test)
