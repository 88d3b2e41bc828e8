"""ApiVersions (key 18) on the wire.

- v0..v3 answered; v3 is flexible but its response header stays v0
  (KIP-511), and the list advertises ApiVersions itself with max >= 3;
- an unsupported version (99) gets a v0 response with
  UNSUPPORTED_VERSION (35) and the API list, so the client can retry;
- an unknown API key: Kafka closes the connection;
- 1,000 pipelined requests in one write come back in order.
"""

from wirecommon import harness, kwire, assert_serves

UNSUPPORTED_VERSION = 35


def check_versions(port, top=3):
    with kwire.connect(port) as s:
        for v in range(top + 1):
            r = kwire.call(s, kwire.API_VERSIONS, v, 100 + v,
                           kwire.api_versions_body(v), flexible=v >= 3)
            err, apis = kwire.parse_api_versions(r, v)
            assert err == 0, "v%d error %d" % (v, err)
            assert r.rest() == 0, "v%d: %d trailing bytes" % (v, r.rest())
            lo, hi = apis[kwire.API_VERSIONS]
            assert lo == 0 and hi >= top, "ApiVersions range %r" % ((lo, hi),)
            for key in (kwire.API_PRODUCE, kwire.API_FETCH,
                        kwire.API_LIST_OFFSETS, kwire.API_METADATA):
                assert key in apis, "v%d lacks api %d" % (v, key)
                assert apis[key][0] <= apis[key][1]


def check_unsupported_version(port, flexible=True):
    with kwire.connect(port) as s:
        s.sendall(kwire.request(kwire.API_VERSIONS, 99, 7,
                                kwire.api_versions_body(3), flexible))
        r = kwire.response(s, 7)
        err, apis = kwire.parse_api_versions(r, 0)
        assert err == UNSUPPORTED_VERSION, "error %d" % err
        assert kwire.API_VERSIONS in apis, "no API list: %r" % apis
        # The connection stays usable for the retry at a lower version.
        r = kwire.call(s, kwire.API_VERSIONS, 0, 8, b"")
        assert kwire.parse_api_versions(r, 0)[0] == 0


def check_unknown_key(port):
    with kwire.connect(port) as s:
        s.sendall(kwire.request(32000, 0, 9, b""))
        assert kwire.is_closed(s), "unknown api key: connection not closed"
    assert_serves(port)


def check_pipelined(port, count=1000):
    reqs = b"".join(kwire.request(kwire.API_VERSIONS, i % 3, 10000 + i, b"")
                    for i in range(count))
    with kwire.connect(port, timeout=30) as s:
        s.sendall(reqs)
        for i in range(count):
            r = kwire.response(s, 10000 + i)
            assert kwire.parse_api_versions(r, i % 3)[0] == 0


def test():
    b = harness.Broker().start()
    # librdkafka's mock serves ApiVersions v0-2 only and cannot parse
    # an unknown version at all.
    check_versions(b.port, 2 if b.is_mock else 3)
    if not b.is_mock:
        check_unsupported_version(b.port)
    check_pipelined(b.port)
    if not b.is_mock:  # the mock keeps the connection open
        check_unknown_key(b.port)
    assert_serves(b.port)
    b.stop()


if __name__ == "__main__":
    harness.run(test)
