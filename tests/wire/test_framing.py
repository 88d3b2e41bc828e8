"""Hostile framing: every case must end in a closed connection (no
response, no crash), and a second client must still be served.

garbage bytes, an HTTP request, frame sizes 0, 4 (shorter than a request
header), negative, larger than socket.request.max.bytes, a truncated frame
followed by close, and trailing bytes after a request body (Kafka:
INVALID_REQUEST (42) or close).
"""

import struct

from wirecommon import harness, kwire, assert_serves

MAX_BYTES = 1 << 20  # socket.request.max.bytes for this broker
INVALID_REQUEST = 42


def expect_close(port, data, what):
    with kwire.connect(port) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert kwire.is_closed(s), "%s: connection not closed" % what
    assert_serves(port)


def check_truncated(port):
    with kwire.connect(port) as s:
        s.sendall(struct.pack(">i", 100) + b"\x00\x12\x00\x00\x00")
    # The broker must drop the half frame with the connection.
    assert_serves(port)


def check_trailing(port):
    """Bytes after a complete ApiVersions v3 body: INVALID_REQUEST (42)
    in the response, or the connection closed."""
    req = kwire.request(kwire.API_VERSIONS, 3, 56,
                        kwire.api_versions_body(3) + b"junk", flexible=True)
    with kwire.connect(port) as s:
        s.sendall(req)
        try:
            r = kwire.response(s, 56)
        except (ConnectionError, OSError):
            r = None  # closed: fine
        if r is not None:
            err = r.i16()
            assert err == INVALID_REQUEST, "ApiVersions + junk: error %d" % err
    assert_serves(port)


def test():
    if harness.target_is_mock():
        harness.skip("librdkafka's mock does not police framing")
    b = harness.Broker(overrides={"socket.request.max.bytes":
                                  str(MAX_BYTES)}).start()
    p = b.port
    expect_close(p, bytes(range(7, 250)) * 3, "garbage")
    expect_close(p, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP")
    expect_close(p, struct.pack(">i", 0), "size 0")
    expect_close(p, struct.pack(">i", 4) + b"\x00\x12\x00\x00", "size 4")
    expect_close(p, struct.pack(">i", -1) + b"\x00" * 16, "size -1")
    expect_close(p, struct.pack(">i", -2147483648), "size INT_MIN")
    expect_close(p, struct.pack(">i", MAX_BYTES + 1) + b"\x00" * 64,
                 "size > socket.request.max.bytes")
    check_truncated(p)
    check_trailing(p)
    assert_serves(p)
    b.stop()


if __name__ == "__main__":
    harness.run(test)
