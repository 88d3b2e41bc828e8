"""TLS and mutual TLS listeners with real clients, several listeners at
once, and certificate reload on SIGHUP.

One broker, four listeners (Kafka's keys throughout):
  SSL       ssl.client.auth=required, ssl.principal.mapping.rules
            RULE:^CN=([^,]+)$/$1/L,DEFAULT: the principal is the mapped DN
  MTLSOPT   SSL with client auth requested (listener.name.* overrides)
  STRICT    SSL with a rule list that matches only CN=admin (no DEFAULT)
  PLAIN     PLAINTEXT, advertised as localhost:<port>
Checks:
- kcat, confluent-kafka, kafka-python and kafkajs produce over SSL with a
  client certificate; every record is read back by another client;
- the principal is User:client1 (DEBUG log and audit log); without a
  certificate on MTLSOPT it is User:ANONYMOUS; on STRICT a certificate
  no rule maps is refused;
- Metadata returns the advertised endpoint of the listener the client
  came in on (four different answers);
- refused: no client certificate where required, an untrusted one, an
  expired one, a client that does not trust the broker's CA, a plaintext
  client on the TLS port, a TCP connection that never finishes its
  handshake (ssl.handshake.timeout.ms);
- SIGHUP reloads the certificates: an open connection keeps working, new
  connections get the new certificate, a broken file keeps the old one;
- no key material or password in the broker's log or audit log.
"""

import os
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_sasl_lib as lib  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(lib.HERE), "wire"))
import kwire  # noqa: E402

CLIENTS = ["kcat", "confluent", "kafka-python", "kafkajs"]
HANDSHAKE_MS = 1500


def tls_conn(port, ca, cert=None):
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def api_versions_ok(s, corr):
    r = kwire.call(s, kwire.API_VERSIONS, 0, corr, b"")
    assert kwire.parse_api_versions(r, 0)[0] == 0


def serial_of(s):
    return s.getpeercert()["serialNumber"]


def closed_without_answer(s, timeout):
    """EOF (or reset) within timeout; any bytes before are TLS alerts,
    never a Kafka response to the request sent."""
    s.settimeout(timeout)
    got = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            data = s.recv(4096)
            if not data:
                break
            got += data
        else:
            return False
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        return False
    assert b"\x00\x00\x00\x2a" not in got[:8], "got a Kafka answer %r" % got
    return True


def check_clients(b, ports, certs, sec, tmp):
    plain = lib.Sec()
    for i, name in enumerate(CLIENTS):
        lib.roundtrip(name, "127.0.0.1:%d" % ports["SSL"], sec,
                      "tls-%s" % name, tmp, "127.0.0.1:%d" % ports["PLAIN"],
                      plain, seed=i)
    log = lib.broker_lines(b)
    assert b"Authenticated User:client1 with SSL" in log, "no mTLS principal"
    assert b"DN CN=client1" in log
    events = [e for e in lib.audit_events(b) if e.get("event") == "authentication"]
    assert any(e.get("principal") == "User:client1" and e.get("result") == "SUCCESS"
               and e.get("listener") == "SSL" for e in events), events[-3:]


def check_principals(b, ports, certs):
    ca = certs["ca"]
    # Requested, no certificate: served as User:ANONYMOUS.
    before = lib.broker_lines(b).count(b"with SSL")
    with tls_conn(ports["MTLSOPT"], ca) as s:
        api_versions_ok(s, 1)
    assert lib.broker_lines(b).count(b"with SSL") == before
    with tls_conn(ports["MTLSOPT"], ca, certs["admin"]) as s:
        api_versions_ok(s, 2)
    assert b"Authenticated User:admin with SSL" in lib.broker_lines(b)
    # A DN no rule maps is refused at the first request.
    with tls_conn(ports["STRICT"], ca, certs["admin"]) as s:
        api_versions_ok(s, 3)  # CN=admin: mapped
    with tls_conn(ports["STRICT"], ca, certs["client1"]) as s:
        s.sendall(kwire.request(kwire.API_VERSIONS, 0, 4, b""))
        assert closed_without_answer(s, 10), "unmapped DN served"
    assert b"ssl.principal.mapping.rules: no rule applies for CN=client1" in \
        lib.broker_lines(b)


def check_advertised(b, ports, certs, sec):
    md = lib.kcat_metadata("127.0.0.1:%d" % ports["SSL"], sec)
    assert "broker 1 at 127.0.0.1:%d" % ports["SSL"] in md, md
    md = lib.kcat_metadata("127.0.0.1:%d" % ports["PLAIN"], lib.Sec())
    assert "broker 1 at localhost:%d" % ports["PLAIN"] in md, md
    opt = lib.Sec("SSL", ca=certs["ca"])
    md = lib.kcat_metadata("127.0.0.1:%d" % ports["MTLSOPT"], opt)
    assert "broker 1 at 127.0.0.1:%d" % ports["MTLSOPT"] in md, md


def check_refusals(b, ports, certs, tmp):
    url = "127.0.0.1:%d" % ports["SSL"]
    ca = certs["ca"]
    # The TLS alert each client must report: the broker's refusal reason.
    cases = [
        ("no client certificate", lib.Sec("SSL", ca=ca),
         ["certificate required"]),
        ("untrusted certificate",
         lib.Sec("SSL", ca=ca, cert=certs["evil"][0], key=certs["evil"][1]),
         ["unknown ca"]),
        ("expired certificate",
         lib.Sec("SSL", ca=ca, cert=certs["old"][0], key=certs["old"][1]),
         ["certificate expired"]),
        ("broker not trusted",
         lib.Sec("SSL", ca=os.path.join(certs["dir"], "untrusted-ca.pem"),
                 cert=certs["client1"][0], key=certs["client1"][1]),
         ["certificate verify failed", "unable to verify"]),
    ]
    for what, sec, expect in cases:
        for name in CLIENTS:
            lib.fails(name, url, sec, tmp, expect)
        print("refused as expected: %s" % what, flush=True)
    # A plaintext Kafka client on the TLS port.
    with kwire.connect(ports["SSL"]) as s:
        s.sendall(kwire.request(kwire.API_VERSIONS, 0, 42, b""))
        assert closed_without_answer(s, 10), "plaintext client not closed"
    # A TCP connection that never finishes the handshake, and one that
    # drips it: both closed by ssl.handshake.timeout.ms.
    for drip in (False, True):
        with kwire.connect(ports["SSL"]) as s:
            started = time.monotonic()
            if drip:
                for byte in b"\x16\x03\x01\x02\x00\x01":
                    s.sendall(bytes([byte]))
                    time.sleep(0.2)
            assert closed_without_answer(s, HANDSHAKE_MS / 1000 + 5)
            took = time.monotonic() - started
            assert took < HANDSHAKE_MS / 1000 + 2, "closed after %.1f s" % took


def check_reload(b, ports, certs, certs2):
    ca1, ca2 = certs["ca"], certs2["ca"]
    client = certs["client1"]
    keep = tls_conn(ports["SSL"], ca1, client)
    api_versions_ok(keep, 1)
    old_serial = serial_of(keep)
    # New broker key/certificate (another CA) and a trust store that
    # knows both CAs, then SIGHUP.
    with open(os.path.join(certs["dir"], "trust.pem"), "w") as f:
        f.write(open(ca1).read() + open(ca2).read())
    shutil.copy(certs2["broker"], os.path.join(certs["dir"], "live.pem"))
    b.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while b"Listener SSL: certificates reloaded" not in lib.broker_lines(b):
        assert time.monotonic() < deadline, "no reload logged"
        time.sleep(0.1)
    api_versions_ok(keep, 2)  # the open connection keeps its context
    assert serial_of(keep) == old_serial
    keep.close()
    with tls_conn(ports["SSL"], ca2, client) as s:
        api_versions_ok(s, 3)
        assert serial_of(s) != old_serial
    try:
        tls_conn(ports["SSL"], ca1, client).close()
        raise AssertionError("the old certificate is still served")
    except ssl.SSLCertVerificationError:
        pass
    # A broken file: the reload fails, the current certificate stays.
    with open(os.path.join(certs["dir"], "live.pem"), "w") as f:
        f.write("not a PEM file\n")
    b.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while b"certificate reload failed, keeping the current ones" not in \
            lib.broker_lines(b):
        assert time.monotonic() < deadline, "no failed reload logged"
        time.sleep(0.1)
    with tls_conn(ports["SSL"], ca2, client) as s:
        api_versions_ok(s, 4)


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no TLS listeners")
    tmp = tempfile.mkdtemp(prefix="sealog-tls-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):
    certs = lib.make_certs(os.path.join(tmp, "certs"),
                           clients=("client1", "admin"), expired=("old",),
                           untrusted=("evil",))
    certs2 = lib.make_certs(os.path.join(tmp, "certs2"))
    live = os.path.join(certs["dir"], "live.pem")
    trust = os.path.join(certs["dir"], "trust.pem")
    shutil.copy(certs["broker"], live)
    shutil.copy(certs["ca"], trust)
    ports = {n: harness.free_port() for n in ("SSL", "MTLSOPT", "STRICT", "PLAIN")}
    b = harness.Broker({
        "log.level": "DEBUG",
        "listeners": ",".join("%s://127.0.0.1:%d" % (n, p) for n, p in ports.items()),
        "advertised.listeners": "SSL://127.0.0.1:%d,MTLSOPT://127.0.0.1:%d,"
                                "STRICT://127.0.0.1:%d,PLAIN://localhost:%d"
                                % (ports["SSL"], ports["MTLSOPT"],
                                   ports["STRICT"], ports["PLAIN"]),
        "listener.security.protocol.map": "SSL:SSL,MTLSOPT:SSL,STRICT:SSL,PLAIN:PLAINTEXT",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": live,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": trust,
        "ssl.client.auth": "required",
        "ssl.handshake.timeout.ms": str(HANDSHAKE_MS),
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+)$/$1/L,DEFAULT",
        "listener.name.mtlsopt.ssl.client.auth": "requested",
        "listener.name.strict.ssl.principal.mapping.rules": "RULE:^CN=admin$/admin/",
        "inter.broker.listener.name": "PLAIN",
    })
    b.start()
    sec = lib.Sec("SSL", ca=certs["ca"], cert=certs["client1"][0],
                  key=certs["client1"][1])
    check_clients(b, ports, certs, sec, tmp)
    check_principals(b, ports, certs)
    check_advertised(b, ports, certs, sec)
    check_refusals(b, ports, certs, tmp)
    check_reload(b, ports, certs, certs2)
    b.stop()
    secrets = []
    for path in (certs["broker_key"], certs["client1"][1], certs2["broker_key"]):
        secrets += lib.pem_body_lines(path)
    lib.no_secrets(b, secrets, [os.path.join(b.data_dir, "audit.log")])


if __name__ == "__main__":
    harness.run(test)
