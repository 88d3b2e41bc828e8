"""sealog-acls' TLS and SASL client (--command-config), end to end.

sealogd does not serve TLS or SASL listeners yet, so the test puts a proxy
in front of its PLAINTEXT port, written with Python's ssl / hashlib / hmac
(an implementation independent of ours): it terminates TLS (optionally
requiring a client certificate) and, for SASL, answers ApiVersions (the
broker's list plus SaslHandshake and SaslAuthenticate), SaslHandshake and
SaslAuthenticate itself -- PLAIN, and the server side of SCRAM-SHA-256/512
(RFC 5802) -- then forwards the bytes. Covered: trust store, hostname
verification on and off, an untrusted CA, mutual TLS with a plain and an
encrypted key (ssl.key.password), SASL_PLAINTEXT PLAIN, SASL_SSL
SCRAM-SHA-256 and SCRAM-SHA-512, wrong passwords, a mechanism the server
does not enable, and a server that fails to prove it knows the password.

Pending: the same against sealogd's own SASL and mTLS listeners (principals
from SASL user names and mapped DNs) once they exist.
"""

import base64
import hashlib
import hmac
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
USERS = {"alice": "alice-secret", "bob": "b\u00f6b pw,="}
ITER = 4096


def build_dir():
    return os.environ.get("SEALOG_BUILD", "build")


def tool(*args):
    res = subprocess.run([os.path.join(build_dir(), "bin", "sealog-acls")] +
                         list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    return res.returncode, res.stdout.decode(), res.stderr.decode()


# -- Kafka frames (stdlib) -----------------------------------------------------

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def read_frame(s):
    (n,) = struct.unpack(">i", recv_exact(s, 4))
    return recv_exact(s, n)


def frame(body):
    return struct.pack(">i", len(body)) + body


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def header(data):
    """-> (api key, version, correlation id, offset of the body)."""
    key, ver, corr = struct.unpack(">hhi", data[:8])
    (clen,) = struct.unpack(">h", data[8:10])
    off = 10 + max(clen, 0)
    return key, ver, corr, off


def broker_api_versions(port):
    """ApiVersions v0 to the real broker: [(key, min, max)]."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(struct.pack(">hhih", 18, 0, 1, -1)))
        r = read_frame(s)
    n = struct.unpack(">i", r[6:10])[0]
    return [struct.unpack(">hhh", r[10 + 6 * i:16 + 6 * i]) for i in range(n)]


def api_versions_reply(corr, ver, apis):
    apis = apis + [(17, 0, 1), (36, 0, 2)]
    if ver >= 3:
        body = struct.pack(">h", 0) + uvarint(len(apis) + 1)
        body += b"".join(struct.pack(">hhh", *a) + b"\0" for a in apis)
        body += struct.pack(">i", 0) + b"\0"
    else:
        body = struct.pack(">hi", 0, len(apis))
        body += b"".join(struct.pack(">hhh", *a) for a in apis)
        if ver >= 1:
            body += struct.pack(">i", 0)
    return frame(struct.pack(">i", corr) + body)


def handshake_reply(corr, mech, enabled):
    err = 0 if mech in enabled else 33
    body = struct.pack(">hi", err, len(enabled))
    body += b"".join(struct.pack(">h", len(m)) + m.encode() for m in enabled)
    return frame(struct.pack(">i", corr) + body)


def auth_reply(corr, ver, err, msg, data):
    body = struct.pack(">h", err)
    body += struct.pack(">h", -1) if msg is None else \
        struct.pack(">h", len(msg)) + msg.encode()
    body += struct.pack(">i", len(data)) + data
    if ver >= 1:
        body += struct.pack(">q", 0)
    return frame(struct.pack(">i", corr) + body)


# -- the SASL server side -----------------------------------------------------

class Scram:
    def __init__(self, mech, lie=False):
        self.h = hashlib.sha256 if mech.endswith("256") else hashlib.sha512
        self.lie = lie
        self.salt = os.urandom(16)

    def hm(self, key, msg):
        return hmac.new(key, msg, self.h).digest()

    def first(self, msg):
        gs2, _, bare = msg.decode().partition(",,")
        assert gs2 == "n", msg
        attrs = dict(kv.split("=", 1) for kv in bare.split(","))
        user = attrs["n"].replace("=2C", ",").replace("=3D", "=")
        self.user, self.bare = user, bare
        self.nonce = attrs["r"] + base64.b64encode(os.urandom(12)).decode()
        self.server_first = "r=%s,s=%s,i=%d" % (
            self.nonce, base64.b64encode(self.salt).decode(), ITER)
        return self.server_first.encode()

    def final(self, msg):
        text = msg.decode()
        without, _, proof = text.rpartition(",p=")
        if self.user not in USERS or \
                not without.startswith("c=biws,r=" + self.nonce):
            return None
        salted = hashlib.pbkdf2_hmac(self.h().name, USERS[self.user].encode(),
                                     self.salt, ITER)
        ckey = self.hm(salted, b"Client Key")
        am = ("%s,%s,%s" % (self.bare, self.server_first, without)).encode()
        sig = self.hm(self.h(ckey).digest(), am)
        got = bytes(a ^ b for a, b in zip(base64.b64decode(proof), sig))
        if self.h(got).digest() != self.h(ckey).digest():
            return None
        ssig = self.hm(self.hm(salted, b"Server Key"), am)
        if self.lie:
            ssig = bytes([ssig[0] ^ 1]) + ssig[1:]
        return b"v=" + base64.b64encode(ssig)


class Proxy:
    """TLS terminator and SASL front for the broker's PLAINTEXT port."""

    def __init__(self, broker_port, ctx=None, sasl=None, host="127.0.0.1",
                 lie=False):
        self.broker_port, self.ctx, self.sasl = broker_port, ctx, sasl
        self.lie = lie
        self.peers = []
        self.lsock = socket.socket()
        self.lsock.bind((host, 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        try:
            if self.ctx:
                c = self.ctx.wrap_socket(c, server_side=True)
                cert = c.getpeercert()
                if cert:
                    self.peers.append(dict(x[0] for x in cert["subject"]))
            if self.sasl and not self.authenticate(c):
                return
            b = socket.create_connection(("127.0.0.1", self.broker_port))
            threading.Thread(target=pump, args=(b, c), daemon=True).start()
            pump(c, b)
        except (OSError, ssl.SSLError, ConnectionError, AssertionError):
            pass
        finally:
            c.close()

    def authenticate(self, c):
        mech, scram = None, None
        apis = broker_api_versions(self.broker_port)
        while True:
            data = read_frame(c)
            key, ver, corr, off = header(data)
            if key == 18:
                c.sendall(api_versions_reply(corr, ver, apis))
            elif key == 17:
                (n,) = struct.unpack(">h", data[off:off + 2])
                mech = data[off + 2:off + 2 + n].decode()
                c.sendall(handshake_reply(corr, mech, self.sasl))
                if mech not in self.sasl:
                    return False
                scram = Scram(mech, self.lie) if mech.startswith("SCRAM") \
                    else None
            elif key == 36:
                (n,) = struct.unpack(">i", data[off:off + 4])
                token = data[off + 4:off + 4 + n]
                done, reply = self.sasl_step(mech, scram, token)
                if reply is None:
                    c.sendall(auth_reply(
                        corr, ver, 58, "Authentication failed during "
                        "authentication due to invalid credentials with "
                        "SASL mechanism %s" % mech, b""))
                    return False
                c.sendall(auth_reply(corr, ver, 0, None, reply))
                if done:
                    return True
            else:
                return False

    @staticmethod
    def sasl_step(mech, scram, token):
        if mech == "PLAIN":
            _, user, pw = token.decode().split("\0")
            return True, b"" if USERS.get(user) == pw else None
        if not hasattr(scram, "nonce"):
            return False, scram.first(token)
        return True, scram.final(token)

    def close(self):
        self.lsock.close()


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


# -- the cases ------------------------------------------------------------------

def server_ctx(certs, client_ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certs, "broker-cert.pem"),
                        os.path.join(certs, "broker-key.pem"))
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
    return ctx


def props(tmp, name, lines):
    path = os.path.join(tmp, name + ".properties")
    with open(path, "w") as f:
        f.write("default.api.timeout.ms=5000\nrequest.timeout.ms=5000\n")
        f.write("\n".join(lines) + "\n")
    return path


def listing(host, port, cfg):
    return tool("--bootstrap-server", "%s:%d" % (host, port),
                "--command-config", cfg, "--list")


def ok(res, what):
    rc, out, err = res
    assert rc == 0, "%s: exit %d\n%s%s" % (what, rc, out, err)
    assert "User:carol" in out, (what, out)


def fails(res, what, text):
    rc, out, err = res
    assert rc == 1 and out.startswith("Error while executing ACL command: ")\
        and text in out, "%s:\n%s%s" % (what, out, err)


def encrypt_key(certs, tmp):
    """client-alice.pem with its key encrypted (PKCS#8, AES-256)."""
    openssl = shutil.which("openssl")
    if not openssl:
        return None
    enc = subprocess.run([openssl, "pkcs8", "-topk8", "-v2", "aes-256-cbc",
                          "-passout", "pass:kpw", "-in",
                          os.path.join(certs, "client-alice-key.pem")],
                         stdout=subprocess.PIPE, check=True).stdout
    path = os.path.join(tmp, "alice-encrypted.pem")
    with open(path, "wb") as f:
        f.write(enc)
        f.write(open(os.path.join(certs, "client-alice-cert.pem"), "rb").read())
    return path


def tls_cases(b, certs, tmp):
    ca = os.path.join(certs, "ca.pem")
    p = Proxy(b.port, server_ctx(certs))
    cfg = props(tmp, "ssl", ["security.protocol=SSL", "ssl.truststore.type=PEM",
                             "ssl.truststore.location=" + ca])
    ok(listing("127.0.0.1", p.port, cfg), "SSL")
    ok(listing("localhost", p.port, cfg), "SSL by name")
    inline = open(ca).read().replace("\n", "\\n")
    cfg2 = props(tmp, "ssl-inline", ["security.protocol=SSL",
                                     "ssl.truststore.certificates=" + inline])
    ok(listing("127.0.0.1", p.port, cfg2), "SSL inline trust store")
    bad = props(tmp, "ssl-bad", ["security.protocol=SSL",
                                 "ssl.truststore.location=" +
                                 os.path.join(certs, "untrusted-ca.pem")])
    fails(listing("127.0.0.1", p.port, bad), "untrusted CA",
          "SslAuthenticationException: SSL handshake failed")
    p.close()
    # hostname verification: 127.0.0.2 is not in the certificate
    p = Proxy(b.port, server_ctx(certs), host="127.0.0.2")
    fails(listing("127.0.0.2", p.port, cfg), "hostname check",
          "SslAuthenticationException")
    nohost = props(tmp, "ssl-nohost", ["security.protocol=SSL",
                                       "ssl.truststore.location=" + ca,
                                       "ssl.endpoint.identification.algorithm="])
    ok(listing("127.0.0.2", p.port, nohost), "hostname check off")
    p.close()
    # mutual TLS
    p = Proxy(b.port, server_ctx(certs, client_ca=ca))
    fails(listing("127.0.0.1", p.port, cfg), "mTLS without a certificate", "")
    mtls = props(tmp, "mtls", ["security.protocol=SSL",
                               "ssl.truststore.location=" + ca,
                               "ssl.keystore.type=PEM",
                               "ssl.keystore.location=" +
                               os.path.join(certs, "client-alice.pem")])
    ok(listing("127.0.0.1", p.port, mtls), "mTLS")
    assert {"commonName": "alice"} in p.peers, p.peers
    enc = encrypt_key(certs, tmp)
    if enc:
        good = props(tmp, "mtls-enc", ["security.protocol=SSL",
                                       "ssl.truststore.location=" + ca,
                                       "ssl.keystore.location=" + enc,
                                       "ssl.key.password=kpw"])
        ok(listing("127.0.0.1", p.port, good), "mTLS encrypted key")
        wrong = props(tmp, "mtls-enc-bad", ["security.protocol=SSL",
                                            "ssl.truststore.location=" + ca,
                                            "ssl.keystore.location=" + enc,
                                            "ssl.key.password=nope"])
        fails(listing("127.0.0.1", p.port, wrong), "wrong ssl.key.password",
              "ssl.key.password")
    else:
        print("openssl CLI missing: encrypted-key case skipped", flush=True)
    p.close()


def jaas(mech, user, pw):
    module = "plain.PlainLoginModule" if mech == "PLAIN" else \
        "scram.ScramLoginModule"
    return ("sasl.jaas.config=org.apache.kafka.common.security.%s required "
            "username=\"%s\" password=\"%s\";" % (module, user,
                                                   pw.replace('"', '\\"')))


def sasl_cases(b, certs, tmp):
    ca = os.path.join(certs, "ca.pem")
    p = Proxy(b.port, sasl=["PLAIN"])
    plain = props(tmp, "plain", ["security.protocol=SASL_PLAINTEXT",
                                 "sasl.mechanism=PLAIN",
                                 jaas("PLAIN", "alice", USERS["alice"])])
    ok(listing("127.0.0.1", p.port, plain), "SASL PLAIN")
    wrong = props(tmp, "plain-bad", ["security.protocol=SASL_PLAINTEXT",
                                     "sasl.mechanism=PLAIN",
                                     jaas("PLAIN", "alice", "nope")])
    fails(listing("127.0.0.1", p.port, wrong), "PLAIN wrong password",
          "SaslAuthenticationException: Authentication failed")
    scram = props(tmp, "scram-off", ["security.protocol=SASL_PLAINTEXT",
                                     "sasl.mechanism=SCRAM-SHA-256",
                                     jaas("SCRAM", "alice", USERS["alice"])])
    fails(listing("127.0.0.1", p.port, scram), "mechanism not enabled",
          "UnsupportedSaslMechanismException: Client SASL mechanism "
          "'SCRAM-SHA-256' not enabled in the server, enabled mechanisms "
          "are [PLAIN]")
    p.close()
    p = Proxy(b.port, server_ctx(certs), sasl=["SCRAM-SHA-256",
                                               "SCRAM-SHA-512"])
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        for user in USERS:
            cfg = props(tmp, mech + user, [
                "security.protocol=SASL_SSL", "ssl.truststore.location=" + ca,
                "sasl.mechanism=" + mech, jaas("SCRAM", user, USERS[user])])
            ok(listing("127.0.0.1", p.port, cfg), "%s %s" % (mech, user))
        bad = props(tmp, mech + "bad", [
            "security.protocol=SASL_SSL", "ssl.truststore.location=" + ca,
            "sasl.mechanism=" + mech, jaas("SCRAM", "alice", "wrong")])
        fails(listing("127.0.0.1", p.port, bad), mech + " wrong password",
              "SaslAuthenticationException: Authentication failed during "
              "authentication due to invalid credentials with SASL mechanism "
              + mech)
    p.close()
    p = Proxy(b.port, sasl=["SCRAM-SHA-256"], lie=True)
    cfg = props(tmp, "liar", ["security.protocol=SASL_PLAINTEXT",
                              "sasl.mechanism=SCRAM-SHA-256",
                              jaas("SCRAM", "alice", USERS["alice"])])
    fails(listing("127.0.0.1", p.port, cfg), "server signature",
          "invalid SCRAM server signature")
    p.close()
    gssapi = props(tmp, "gssapi", ["security.protocol=SASL_PLAINTEXT",
                                   jaas("PLAIN", "a", "b")])
    rc, out, _ = listing("127.0.0.1", b.port, gssapi)
    assert rc == 1 and "Unsupported sasl.mechanism GSSAPI" in out, out


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no ACL APIs")
    certgen = os.path.join(build_dir(), "bin", "sealog-certs")
    if not os.access(certgen, os.X_OK):
        harness.skip("sealog-certs not built")
    tmp = tempfile.mkdtemp(prefix="sealog-acls-tls-")
    try:
        certs = os.path.join(tmp, "certs")
        subprocess.run([certgen, "--quiet", "--client", "alice",
                        "--untrusted", "mallory", certs], check=True)
        ov = {"authorizer.class.name": AUTHORIZER,
              "super.users": "User:ANONYMOUS"}
        with harness.Broker(ov) as b:
            rc, out, err = tool("--bootstrap-server", b.bootstrap, "--add",
                                "--allow-principal", "User:carol",
                                "--topic", "t")
            assert rc == 0, out + err
            tls_cases(b, certs, tmp)
            sasl_cases(b, certs, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.run(test)
