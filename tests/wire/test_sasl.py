"""SASL on the wire: SaslHandshake (17), SaslAuthenticate (36),
DescribeUserScramCredentials (50), AlterUserScramCredentials (51), and
the pre-authentication rules, with raw frames and a SCRAM client written
here from RFC 5802 (hashlib/hmac: independent of the broker's OpenSSL
code).

- before authentication only ApiVersions and SaslHandshake are served;
  Metadata, SaslAuthenticate first, garbage, an oversized frame: closed;
- an unknown mechanism: UNSUPPORTED_SASL_MECHANISM (33) with the list,
  late, then closed; a bad password, unknown user, spoofed authzid,
  malformed PLAIN: SASL_AUTHENTICATION_FAILED (58) with Kafka's message
  after connection.failed.authentication.delay.ms, then closed, and a
  pipelined request behind it is never answered;
- PLAIN (JAAS users) and SCRAM-SHA-256/512 (store users) over SaslHandshake
  v1 + SaslAuthenticate v0/v1/v2 and over v0 raw tokens (kafka-python);
  SCRAM: server signature checked, librdkafka's repeated-nonce form
  accepted, any other nonce refused, channel binding refused, unknown
  users indistinguishable until the proof;
- KIP-368: session_lifetime_ms, re-authentication, expiry closes, a
  different principal on re-authentication is refused;
- an abandoned exchange is closed by sasl.server.authentication.timeout.ms;
- SaslHandshake / SaslAuthenticate on a PLAINTEXT listener:
  ILLEGAL_SASL_STATE (34), connection kept;
- Alter/DescribeUserScramCredentials with Kafka's errors, and the users
  they create can log in;
- no password appears in the broker log (DEBUG level).
"""

import base64
import hashlib
import hmac
import os
import socket
import struct
import time

from wirecommon import harness, kwire

SASL_HANDSHAKE, SASL_AUTHENTICATE = 17, 36
DESCRIBE_SCRAM, ALTER_SCRAM = 50, 51
NONE, UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE = 0, 33, 34
SASL_AUTHENTICATION_FAILED = 58
RESOURCE_NOT_FOUND, DUPLICATE_RESOURCE, UNACCEPTABLE_CREDENTIAL = 91, 92, 93
DELAY_MS = 300
REAUTH_MS = 3000
AUTH_TIMEOUT_MS = 1500
SECRETS = ["admin-secret", "alice-secret", "scram-pw-1", "scram-pw-2",
           "wrong-password-xyz"]
MECHS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


# ---- framing helpers ----------------------------------------------------

def handshake(s, mech, version=1, corr=1):
    r = kwire.call(s, SASL_HANDSHAKE, version, corr, kwire.string(mech))
    err = r.i16()
    mechs = r.array(lambda x: x.string())
    return err, mechs


def authenticate(s, token, version=1, corr=2):
    """-> (error, message, auth_bytes, session_lifetime_ms)."""
    flex = version >= 2
    body = (kwire.uvarint(len(token) + 1) + token + kwire.NO_TAGS if flex
            else kwire.nbytes(token))
    s.sendall(kwire.request(SASL_AUTHENTICATE, version, corr, body, flex))
    return parse_authenticate(kwire.response(s, corr, flex), version)


def parse_authenticate(r, version):
    err = r.i16()
    if version >= 2:
        msg = r.cstring()
        n = r.uvarint()
        data = r.take(n - 1) if n else None
    else:
        msg = r.string()
        data = r.nbytes()
    life = r.i64() if version >= 1 else 0
    return err, msg, data, life


def raw_send(s, token):
    s.sendall(struct.pack(">i", len(token)) + token)


def raw_recv(s):
    (n,) = struct.unpack(">i", kwire.recv_exact(s, 4))
    return kwire.recv_exact(s, n) if n else b""


def metadata_ok(s, corr=50):
    r = kwire.call(s, kwire.API_METADATA, 1, corr, kwire.i32(-1))
    brokers = r.array(lambda x: (x.i32(), x.string(), x.i32(), x.string()))
    assert brokers, "no brokers in Metadata"
    return brokers


def plain_token(user, pw, authzid=""):
    return ("%s\0%s\0%s" % (authzid, user, pw)).encode()


# ---- a SCRAM client (RFC 5802), with knobs to misbehave -----------------

class Scram:
    def __init__(self, mech, user, pw, gs2="n,,", nonce_mode=0):
        self.h = "sha256" if mech == "SCRAM-SHA-256" else "sha512"
        self.user, self.pw, self.gs2 = user, pw, gs2
        self.cnonce = base64.b64encode(os.urandom(18)).decode()
        self.nonce_mode = nonce_mode
        self.bare = "n=%s,r=%s" % (user.replace("=", "=3D").replace(",", "=2C"),
                                   self.cnonce)

    def first(self):
        return (self.gs2 + self.bare).encode()

    def final(self, server_first):
        sf = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in sf.split(","))
        full = attrs["r"]
        assert full.startswith(self.cnonce), "server nonce lacks ours"
        self.salt = base64.b64decode(attrs["s"])
        self.iterations = int(attrs["i"])
        changed = full[:-1] + ("R" if full[-1] == "Q" else "Q")
        nonce = {0: full, 1: self.cnonce + full, 2: "X" + full,
                 3: changed}[self.nonce_mode]
        cb = base64.b64encode(self.gs2.encode()).decode()
        wo = "c=%s,r=%s" % (cb, nonce)
        salted = hashlib.pbkdf2_hmac(self.h, self.pw.encode(), self.salt,
                                     self.iterations)
        ck = hmac.new(salted, b"Client Key", self.h).digest()
        sk = hashlib.new(self.h, ck).digest()
        self.am = ",".join([self.bare, sf, wo]).encode()
        sig = hmac.new(sk, self.am, self.h).digest()
        proof = bytes(a ^ b for a, b in zip(ck, sig))
        self.server_key = hmac.new(salted, b"Server Key", self.h).digest()
        return (wo + ",p=" + base64.b64encode(proof).decode()).encode()

    def verify(self, server_final):
        want = hmac.new(self.server_key, self.am, self.h).digest()
        assert server_final.decode() == "v=" + base64.b64encode(want).decode(), \
            "bad server signature %r" % server_final


def scram_login(s, mech, user, pw, version=1, **kw):
    """Full v1 exchange; -> (error of the last step, lifetime)."""
    err, _ = handshake(s, mech)
    assert err == NONE, "handshake %s: %d" % (mech, err)
    c = Scram(mech, user, pw, **kw)
    err, _, sfirst, _ = authenticate(s, c.first(), version, corr=3)
    if err:
        return err, 0
    err, msg, sfinal, life = authenticate(s, c.final(sfirst), version, corr=4)
    if err == NONE:
        c.verify(sfinal)
    return err, life


def plain_login(s, user, pw, version=1, authzid=""):
    err, _ = handshake(s, "PLAIN")
    assert err == NONE
    return authenticate(s, plain_token(user, pw, authzid), version)


def expect_failure(s, got, started):
    err, msg = got[0], got[1]
    assert err == SASL_AUTHENTICATION_FAILED, "error %d, want 58" % err
    assert msg and "Authentication failed" in msg, msg
    elapsed = (time.monotonic() - started) * 1000
    assert elapsed >= DELAY_MS * 0.9, "answered after %.0f ms" % elapsed
    assert kwire.is_closed(s), "connection open after a failed login"


# ---- Alter/DescribeUserScramCredentials ----------------------------------

def salted_for(mech, pw, salt, iterations):
    h = "sha256" if mech == 1 else "sha512"
    return hashlib.pbkdf2_hmac(h, pw.encode(), salt, iterations)


def cbytes(b):
    return kwire.uvarint(len(b) + 1) + b


def alter(s, deletions=(), upsertions=(), corr=60):
    dels = [kwire.cstring(n) + kwire.i8(m) + kwire.NO_TAGS
            for n, m in deletions]
    ups = []
    for n, m, it, salt, pw in upsertions:
        sp = pw if isinstance(pw, bytes) else salted_for(m, pw, salt, it)
        ups.append(kwire.cstring(n) + kwire.i8(m) + kwire.i32(it) +
                   cbytes(salt) + cbytes(sp) + kwire.NO_TAGS)
    body = kwire.carray(dels) + kwire.carray(ups) + kwire.NO_TAGS
    s.sendall(kwire.request(ALTER_SCRAM, 0, corr, body, flexible=True))
    r = kwire.response(s, corr, True)
    r.i32()

    def res(x):
        out = (x.cstring(), x.i16(), x.cstring())
        x.tags()
        return out
    return r.carray(res)


def describe(s, users, corr=70):
    if users is None:
        arr = kwire.uvarint(0)
    else:
        arr = kwire.carray([kwire.cstring(u) + kwire.NO_TAGS for u in users])
    s.sendall(kwire.request(DESCRIBE_SCRAM, 0, corr, arr + kwire.NO_TAGS,
                            flexible=True))
    r = kwire.response(s, corr, True)
    r.i32()
    top = r.i16()
    r.cstring()

    def info(x):
        out = (x.i8(), x.i32())
        x.tags()
        return out

    def res(x):
        out = (x.cstring(), x.i16(), x.cstring(), x.carray(info))
        x.tags()
        return out
    return top, r.carray(res)


# ---- the checks -----------------------------------------------------------

def check_preauth(port):
    with kwire.connect(port) as s:  # ApiVersions is served, and lists ours
        r = kwire.call(s, kwire.API_VERSIONS, 0, 1, b"")
        err, apis = kwire.parse_api_versions(r, 0)
        assert err == 0
        for key, hi in ((SASL_HANDSHAKE, 1), (SASL_AUTHENTICATE, 2),
                        (DESCRIBE_SCRAM, 0), (ALTER_SCRAM, 0)):
            assert apis.get(key, (None, None))[1] == hi, (key, apis.get(key))
        s.sendall(kwire.request(kwire.API_METADATA, 1, 2, kwire.i32(-1)))
        assert kwire.is_closed(s), "Metadata before SASL: not closed"
    with kwire.connect(port) as s:  # SaslAuthenticate before SaslHandshake
        s.sendall(kwire.request(SASL_AUTHENTICATE, 0, 1,
                                kwire.nbytes(plain_token("admin", "admin-secret"))))
        assert kwire.is_closed(s), "SaslAuthenticate first: not closed"
    with kwire.connect(port) as s:  # after v1, only SaslAuthenticate
        assert handshake(s, "PLAIN")[0] == NONE
        s.sendall(kwire.request(kwire.API_VERSIONS, 0, 5, b""))
        assert kwire.is_closed(s), "ApiVersions mid-exchange: not closed"
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                 struct.pack(">i", 600000) + b"\x00\x11\x00\x01" + bytes(599996)):
        with kwire.connect(port) as s:
            try:
                s.sendall(junk)
            except OSError:
                pass
            assert kwire.is_closed(s), "junk pre-auth %r: not closed" % junk[:8]
    with kwire.connect(port) as s:  # the limit is on the raw v0 token too
        assert handshake(s, "PLAIN", version=0)[0] == NONE
        raw_send(s, b"\0admin\0" + b"x" * 600000)
        assert kwire.is_closed(s), "oversized raw token: not closed"


def check_mechanisms(port):
    with kwire.connect(port) as s:
        started = time.monotonic()
        err, mechs = handshake(s, "GSSAPI")
        assert err == UNSUPPORTED_SASL_MECHANISM, err
        assert mechs == MECHS, mechs
        assert (time.monotonic() - started) * 1000 >= DELAY_MS * 0.9
        assert kwire.is_closed(s)
    with kwire.connect(port) as s:  # names are case-sensitive, as Kafka's
        assert handshake(s, "plain")[0] == UNSUPPORTED_SASL_MECHANISM
    for v in (0, 1):
        with kwire.connect(port) as s:
            err, mechs = handshake(s, "SCRAM-SHA-512", version=v)
            assert err == NONE and mechs == MECHS, (err, mechs)


def check_plain(port):
    for version in (0, 1, 2):
        with kwire.connect(port) as s:
            err, msg, data, life = plain_login(s, "alice", "alice-secret",
                                               version)
            assert err == NONE and msg is None and data == b"", (err, msg)
            assert life == (REAUTH_MS if version >= 1 else 0), life
            metadata_ok(s)
            # An authenticated session cannot SaslAuthenticate again.
            err, msg, _, _ = authenticate(s, b"x", version, corr=9)
            assert err == ILLEGAL_SASL_STATE and "after successful" in msg
            metadata_ok(s, corr=51)
    bad = [plain_token("alice", "wrong-password-xyz"),
           plain_token("nobody", "alice-secret"),
           plain_token("alice", "alice-secret", authzid="admin"),
           plain_token(" alice", "alice-secret"),
           b"\0alice", b"\0alice\0alice-secret\0extra", b"\0\0alice-secret",
           b"\0alice\0"]
    for token in bad:
        with kwire.connect(port) as s:
            assert handshake(s, "PLAIN")[0] == NONE
            started = time.monotonic()
            expect_failure(s, authenticate(s, token, 1), started)
    with kwire.connect(port) as s:  # authzid equal to the user is fine
        assert plain_login(s, "alice", "alice-secret", 1, "alice")[0] == NONE
    with kwire.connect(port) as s:  # a request pipelined behind a failure
        assert handshake(s, "PLAIN")[0] == NONE
        s.sendall(kwire.request(SASL_AUTHENTICATE, 1, 7,
                                kwire.nbytes(plain_token("alice", "nope"))) +
                  kwire.request(kwire.API_METADATA, 1, 8, kwire.i32(-1)))
        started = time.monotonic()
        got = parse_authenticate(kwire.response(s, 7), 1)
        expect_failure(s, got, started)


def check_scram(port):
    for mech in MECHS[1:]:
        for version in (0, 1, 2):
            with kwire.connect(port) as s:
                err, life = scram_login(s, mech, "scram-user", "scram-pw-1",
                                        version)
                assert err == NONE, "%s v%d: %d" % (mech, version, err)
                assert life == (REAUTH_MS if version >= 1 else 0)
                metadata_ok(s)
        with kwire.connect(port) as s:  # librdkafka < 2.6.1's final nonce
            assert scram_login(s, mech, "scram-user", "scram-pw-1",
                               nonce_mode=1)[0] == NONE
        for knobs in ({"nonce_mode": 2}, {"nonce_mode": 3},
                      {"pw": "wrong-password-xyz"}, {"user": "nobody"},
                      {"gs2": "n,a=admin,"}):
            args = {"user": "scram-user", "pw": "scram-pw-1"}
            args.update(knobs)
            user, pw = args.pop("user"), args.pop("pw")
            with kwire.connect(port) as s:
                assert handshake(s, mech)[0] == NONE
                c = Scram(mech, user, pw, **args)
                err, _, sfirst, _ = authenticate(s, c.first(), 1, corr=3)
                if err == NONE:  # unknown users look alike until here
                    assert b",s=" in sfirst and b",i=" in sfirst
                    started = time.monotonic()
                    got = authenticate(s, c.final(sfirst), 1, corr=4)
                else:
                    started, got = time.monotonic() - 1, (err, "Authentication failed")
                expect_failure(s, got, started)
        with kwire.connect(port) as s:  # no channel binding
            assert handshake(s, mech)[0] == NONE
            started = time.monotonic()
            c = Scram(mech, "scram-user", "scram-pw-1", gs2="p=tls-unique,,")
            expect_failure(s, authenticate(s, c.first(), 1), started)


def check_raw_v0(port):
    """kafka-python 2.0.2: SaslHandshake v0, then bare tokens."""
    with kwire.connect(port) as s:
        assert handshake(s, "PLAIN", version=0)[0] == NONE
        raw_send(s, plain_token("admin", "admin-secret"))
        assert raw_recv(s) == b""
        metadata_ok(s)
    for mech in MECHS[1:]:
        with kwire.connect(port) as s:
            assert handshake(s, mech, version=0)[0] == NONE
            c = Scram(mech, "scram-user", "scram-pw-1")
            raw_send(s, c.first())
            raw_send(s, c.final(raw_recv(s)))
            c.verify(raw_recv(s))
            metadata_ok(s)
    with kwire.connect(port) as s:  # failure: no answer, late close
        assert handshake(s, "PLAIN", version=0)[0] == NONE
        started = time.monotonic()
        raw_send(s, plain_token("admin", "wrong-password-xyz"))
        assert kwire.is_closed(s)
        assert (time.monotonic() - started) * 1000 >= DELAY_MS * 0.9


def check_reauth(port):
    with kwire.connect(port) as s:
        err, _, _, life = plain_login(s, "alice", "alice-secret", 1)
        assert err == NONE and life == REAUTH_MS
        metadata_ok(s)
        # Re-authenticate (same principal) before the lifetime ends.
        time.sleep(REAUTH_MS / 2000)
        err, _, _, life = plain_login(s, "alice", "alice-secret", 2)
        assert err == NONE and life == REAUTH_MS, (err, life)
        time.sleep(REAUTH_MS / 2000)
        metadata_ok(s)  # still inside the renewed lifetime
        time.sleep(REAUTH_MS / 1000 + 0.3)
        s.sendall(kwire.request(kwire.API_METADATA, 1, 60, kwire.i32(-1)))
        assert kwire.is_closed(s), "expired session still served"
    with kwire.connect(port) as s:  # another principal is refused
        assert plain_login(s, "alice", "alice-secret", 1)[0] == NONE
        assert handshake(s, "PLAIN")[0] == NONE
        started = time.monotonic()
        expect_failure(s, authenticate(s, plain_token("admin", "admin-secret")),
                       started)
    with kwire.connect(port) as s:  # so is another mechanism
        assert plain_login(s, "alice", "alice-secret", 1)[0] == NONE
        assert handshake(s, "SCRAM-SHA-256")[0] == UNSUPPORTED_SASL_MECHANISM
        assert kwire.is_closed(s)
    with kwire.connect(port) as s:  # v0 sessions cannot re-authenticate
        assert plain_login(s, "alice", "alice-secret", 0)[0] == NONE
        assert handshake(s, "PLAIN")[0] == ILLEGAL_SASL_STATE
        metadata_ok(s)


def check_timeout(port):
    for step in ("connect", "versions", "handshake", "first"):
        with kwire.connect(port) as s:
            if step != "connect":
                kwire.call(s, kwire.API_VERSIONS, 0, 1, b"")
            if step in ("handshake", "first"):
                assert handshake(s, "SCRAM-SHA-256")[0] == NONE
            if step == "first":
                c = Scram("SCRAM-SHA-256", "scram-user", "scram-pw-1")
                assert authenticate(s, c.first())[0] == NONE
            started = time.monotonic()
            assert kwire.is_closed(s, timeout=AUTH_TIMEOUT_MS / 1000 + 5), step
            assert time.monotonic() - started < AUTH_TIMEOUT_MS / 1000 + 1


def check_plaintext_listener(port):
    with kwire.connect(port) as s:
        assert handshake(s, "PLAIN")[0] == ILLEGAL_SASL_STATE
        err, msg, _, _ = authenticate(s, plain_token("a", "b"))
        assert err == ILLEGAL_SASL_STATE, err
        metadata_ok(s)


def check_users(admin_port, sasl_port):
    salt = os.urandom(24)
    with kwire.connect(admin_port) as s:
        res = alter(s, upsertions=[("carol", 1, 8192, salt, "scram-pw-2"),
                                   ("dave", 2, 4096, salt, "scram-pw-2")])
        assert sorted(res) == [("carol", 0, None), ("dave", 0, None)], res
        top, res = describe(s, ["carol", "dave", "nobody", "carol"])
        assert top == 0
        byname = {u: (e, m, i) for u, e, m, i in res}
        assert byname["dave"] == (0, None, [(2, 4096)]), byname["dave"]
        assert byname["nobody"][0] == RESOURCE_NOT_FOUND
        assert "does not exist: nobody" in byname["nobody"][1]
        assert byname["carol"][0] == DUPLICATE_RESOURCE
        top, res = describe(s, None)
        names = [u for u, _, _, _ in res]
        assert names == sorted(names) and "carol" in names and "scram-user" in names
        assert dict((u, i) for u, _, _, i in res)["scram-user"] == [(1, 4096), (2, 4096)]
        errors = alter(s, deletions=[("nobody", 1), ("", 1), ("eve", 9)],
                       upsertions=[("few", 1, 1000, salt, "p"),
                                   ("many", 1, 20000, salt, "p"),
                                   ("twice", 1, 4096, salt, "p"),
                                   ("twice", 2, 4096, salt, "p"),
                                   ("short", 1, 4096, salt, b"x" * 31),
                                   ("nosalt", 1, 4096, b"", "p")])
        got = {u: (e, m) for u, e, m in errors}
        assert got["nobody"][0] == RESOURCE_NOT_FOUND
        assert got[""] == (UNACCEPTABLE_CREDENTIAL, "Username must not be empty")
        assert got["eve"] == (UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism")
        assert got["few"] == (UNACCEPTABLE_CREDENTIAL, "Too few iterations")
        assert got["many"] == (UNACCEPTABLE_CREDENTIAL, "Too many iterations")
        assert got["twice"][0] == DUPLICATE_RESOURCE
        assert got["short"][0] == UNACCEPTABLE_CREDENTIAL
        assert got["nosalt"][0] == UNACCEPTABLE_CREDENTIAL
        assert describe(s, ["twice"])[1][0][1] == RESOURCE_NOT_FOUND
    with kwire.connect(sasl_port) as s:
        assert scram_login(s, "SCRAM-SHA-256", "carol", "scram-pw-2")[0] == NONE
    with kwire.connect(sasl_port) as s:  # PLAIN is checked against SCRAM
        assert plain_login(s, "dave", "scram-pw-2")[0] == NONE
    with kwire.connect(admin_port) as s:
        assert alter(s, deletions=[("carol", 1)]) == [("carol", 0, None)]
        assert describe(s, ["carol"])[1][0][1] == RESOURCE_NOT_FOUND
    with kwire.connect(sasl_port) as s:
        err, _ = handshake(s, "SCRAM-SHA-256")
        c = Scram("SCRAM-SHA-256", "carol", "scram-pw-2")
        err, _, sfirst, _ = authenticate(s, c.first(), corr=3)
        started = time.monotonic()
        expect_failure(s, authenticate(s, c.final(sfirst), corr=4), started)


def broker_lines(b):
    """The log without the harness's own "=== start <argv>" lines, which
    hold the overrides (and so the JAAS passwords) given on the command
    line."""
    return b"\n".join(l for l in b.log_bytes().split(b"\n")
                      if not l.startswith(b"=== start"))


def check_log(b):
    log = broker_lines(b)
    for secret in SECRETS:
        assert secret.encode() not in log, "%s in the broker log" % secret
    assert b"Authenticated User:alice with PLAIN" in log
    assert b"Authenticated User:scram-user with SCRAM-SHA-512" in log
    assert b"librdkafka" in log  # the quirk path was taken (DEBUG line)
    # The audit log: logins (no principal on failure) and user changes.
    import json
    with open(os.path.join(b.data_dir, "audit.log"), "rb") as f:
        raw = f.read()
    for secret in SECRETS:
        assert secret.encode() not in raw, "%s in the audit log" % secret
    events = [json.loads(line) for line in raw.splitlines() if line.strip()]
    authn = [e for e in events if e["event"] == "authentication"]
    assert any(e["result"] == "SUCCESS" and e.get("principal") == "User:alice"
               and e.get("mechanism") == "PLAIN" for e in authn)
    assert any(e["result"] != "SUCCESS" and "principal" not in e for e in authn)
    users = [(e.get("action"), e.get("user"), e.get("mechanism"), e["result"])
             for e in events if e["event"] == "user"]
    assert ("upsert", "carol", "SCRAM-SHA-256", "SUCCESS") in users, users
    assert ("delete", "carol", "SCRAM-SHA-256", "SUCCESS") in users, users
    assert ("upsert", "few", "SCRAM-SHA-256", "UNACCEPTABLE_CREDENTIAL") in users


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no SASL listeners")
    sasl_port = harness.free_port()
    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
            'user_admin="admin-secret" user_alice="alice-secret";')
    b = harness.Broker({
        "log.level": "DEBUG",
        "sasl.enabled.mechanisms": ",".join(MECHS),
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
        "listener.name.sasl_plaintext.connections.max.reauth.ms": str(REAUTH_MS),
        "connection.failed.authentication.delay.ms": str(DELAY_MS),
        "sasl.server.authentication.timeout.ms": str(AUTH_TIMEOUT_MS),
    })
    b.overrides["listeners"] = ("PLAINTEXT://127.0.0.1:%d,"
                                "SASL_PLAINTEXT://127.0.0.1:%d"
                                % (b.port, sasl_port))
    b.start()
    with kwire.connect(b.port) as s:  # the store users, through the API
        salt = os.urandom(16)
        res = alter(s, upsertions=[("scram-user", 1, 4096, salt, "scram-pw-1")])
        assert res == [("scram-user", 0, None)], res
        res = alter(s, upsertions=[("scram-user", 2, 4096, salt, "scram-pw-1")])
        assert res == [("scram-user", 0, None)], res
    check_preauth(sasl_port)
    check_mechanisms(sasl_port)
    check_plain(sasl_port)
    check_scram(sasl_port)
    check_raw_v0(sasl_port)
    check_reauth(sasl_port)
    check_timeout(sasl_port)
    check_plaintext_listener(b.port)
    check_users(b.port, sasl_port)
    with kwire.connect(sasl_port) as s:  # still serving after all that
        assert plain_login(s, "admin", "admin-secret")[0] == NONE
    b.stop()
    check_log(b)


if __name__ == "__main__":
    harness.run(test)
