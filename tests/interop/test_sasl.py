"""SASL with real clients: SASL_PLAINTEXT and SASL_SSL, PLAIN,
SCRAM-SHA-256 and SCRAM-SHA-512, with kcat, confluent-kafka (both
librdkafka 2.0.2: the SCRAM client-final nonce quirk), kafka-python 2.0.2
(SaslHandshake v0 and raw tokens) and kafkajs 2.2.4.

Users come from every place Kafka puts them:
  alice     PLAIN, listener.name.sasl_plaintext.plain.sasl.jaas.config
  jaasuser  PLAIN, the KafkaServer section of the JAAS file named by
            KAFKA_OPTS=-Djava.security.auth.login.config=<file>
  admin     SCRAM, created before the first start by sealog-storage
            format --add-scram (or, if that tool is not built, by
            AlterUserScramCredentials over the PLAINTEXT listener)
  bob       SCRAM, created by AlterUserScramCredentials; also logs in with
            PLAIN (checked against the SCRAM store)
Checks: every client x protocol x mechanism produces records that another
client reads back byte for byte; the session principal is User:<name>
(DEBUG log, audit log); kafkajs re-authenticates (KIP-368,
connections.max.reauth.ms on SASL_PLAINTEXT); wrong passwords and
unknown users fail in every client; no password appears in the broker's
log or audit log.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_sasl_lib as lib  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(lib.HERE), "wire"))
import kwire  # noqa: E402

CLIENTS = ["kcat", "confluent", "kafka-python", "kafkajs"]
MECHS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
PW = {"alice": "alice-pw-7Hq", "jaasuser": "jaas-pw-3Zk", "admin": "admin-pw-9Lm",
      "bob": "bob-pw-4Rt", "wrong": "not-the-pw-8Xy", "broker": "broker-own-pw-2Wd"}


class Broker(harness.Broker):
    """With KAFKA_OPTS pointing at a JAAS file, as the Kafka images do."""

    kafka_opts = None

    def env(self):
        env = super().env()
        if self.kafka_opts:
            env["KAFKA_OPTS"] = self.kafka_opts
        return env


def write_jaas(path):
    with open(path, "w") as f:
        f.write("""// as kafka_server_jaas.conf in Kafka test setups
KafkaServer {
    org.apache.kafka.common.security.plain.PlainLoginModule required
    username="broker" password="%s"
    user_jaasuser="%s";
    org.apache.kafka.common.security.scram.ScramLoginModule required;
};
Client { org.apache.zookeeper.server.auth.DigestLoginModule required username="zk" password="zk"; };
""" % (PW["broker"], PW["jaasuser"]))


def format_dir(cfg_path, data_dir):
    """The first admin, before the first start: sealog-storage format."""
    path = os.path.join(os.environ.get("SEALOG_BUILD", "build"), "bin",
                        "sealog-storage")
    if not os.access(path, os.X_OK):
        return False
    res = subprocess.run([path, "format", "-c", cfg_path,
                          "--override", "log.dirs=" + data_dir,
                          "--add-scram", "SCRAM-SHA-256=[name=admin,password=%s]" % PW["admin"],
                          "--add-scram", "SCRAM-SHA-512=[name=admin,iterations=8192,password=%s]" % PW["admin"]],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = res.stdout.decode()
    assert res.returncode == 0, out
    assert PW["admin"] not in out, "the tool printed the password"
    assert "Added SCRAM-SHA-512 credential for user admin (8192 iterations)" in out, out
    return True


def alter_user(port, name, pw, mech):
    """AlterUserScramCredentials upsertion, salted by us (as the admin
    clients do)."""
    salt = os.urandom(20)
    h = "sha256" if mech == 1 else "sha512"
    salted = hashlib.pbkdf2_hmac(h, pw.encode(), salt, 4096)
    ups = (kwire.cstring(name) + kwire.i8(mech) + kwire.i32(4096) +
           kwire.uvarint(len(salt) + 1) + salt +
           kwire.uvarint(len(salted) + 1) + salted + kwire.NO_TAGS)
    body = kwire.carray([]) + kwire.carray([ups]) + kwire.NO_TAGS
    with kwire.connect(port) as s:
        s.sendall(kwire.request(51, 0, 1, body, flexible=True))
        r = kwire.response(s, 1, True)
        r.i32()
        res = r.carray(lambda x: (x.cstring(), x.i16(), x.cstring(), x.tags()))
    assert [(u, e) for u, e, _, _ in res] == [(name, 0)], res


def user_for(proto, mech):
    if mech != "PLAIN":
        return "admin"
    return "alice" if proto == "SASL_PLAINTEXT" else "jaasuser"


def check_matrix(b, ports, ca, tmp):
    oracle = "127.0.0.1:%d" % ports["PLAINTEXT"]
    n = 0
    for proto in ("SASL_PLAINTEXT", "SASL_SSL"):
        for mech in MECHS:
            user = user_for(proto, mech)
            sec = lib.Sec(proto, mech, user, PW[user],
                          ca=ca if proto == "SASL_SSL" else None)
            for name in CLIENTS:
                lib.roundtrip(name, "127.0.0.1:%d" % ports[proto], sec,
                              "sasl-%d" % n, tmp, oracle, lib.Sec(), n=10,
                              seed=n)
                n += 1
            print("ok: %s %s as %s with every client" % (proto, mech, user),
                  flush=True)
    # A SCRAM-store user over PLAIN.
    sec = lib.Sec("SASL_SSL", "PLAIN", "bob", PW["bob"], ca=ca)
    lib.roundtrip("kcat", "127.0.0.1:%d" % ports["SASL_SSL"], sec, "sasl-bob",
                  tmp, oracle, lib.Sec(), n=5)


def check_refusals(b, ports, ca, tmp):
    expect = ["Authentication failed", "authentication failed"]
    cases = [("SASL_PLAINTEXT", "PLAIN", "alice", PW["wrong"]),
             ("SASL_SSL", "SCRAM-SHA-256", "admin", PW["wrong"]),
             ("SASL_SSL", "SCRAM-SHA-512", "nobody", PW["admin"]),
             ("SASL_PLAINTEXT", "PLAIN", "nobody", PW["alice"]),
             ("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", PW["alice"])]
    for i, (proto, mech, user, pw) in enumerate(cases):
        sec = lib.Sec(proto, mech, user, pw,
                      ca=ca if proto == "SASL_SSL" else None)
        for name in CLIENTS if i < 3 else ["kcat", "kafkajs"]:
            lib.fails(name, "127.0.0.1:%d" % ports[proto], sec, tmp, expect)
        print("refused as expected: %r" % sec, flush=True)


def check_principals(b):
    log = lib.broker_lines(b)
    for user, mech in (("alice", "PLAIN"), ("jaasuser", "PLAIN"),
                       ("admin", "SCRAM-SHA-256"), ("admin", "SCRAM-SHA-512"),
                       ("bob", "PLAIN")):
        line = b"Authenticated User:%s with %s" % (user.encode(), mech.encode())
        assert line in log, "no %r in the log" % line
    assert b"librdkafka before 2.6.1" in log, "the nonce quirk path was not taken"
    assert b"(re-authentication)" in log, "kafkajs did not re-authenticate"
    events = [e for e in lib.audit_events(b) if e.get("event") == "authentication"]
    ok = {(e.get("principal"), e.get("mechanism")) for e in events
          if e.get("result") == "SUCCESS"}
    assert ("User:admin", "SCRAM-SHA-512") in ok and ("User:alice", "PLAIN") in ok, ok
    failed = [e for e in events if e.get("result") != "SUCCESS"]
    assert failed and all(e.get("principal") is None for e in failed), failed[:3]


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no SASL listeners")
    tmp = tempfile.mkdtemp(prefix="sealog-sasl-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):
    certs = lib.make_certs(os.path.join(tmp, "certs"))
    jaas = os.path.join(tmp, "kafka_server_jaas.conf")
    write_jaas(jaas)
    ports = {p: harness.free_port() for p in ("SASL_PLAINTEXT", "SASL_SSL")}
    b = Broker()
    ports["PLAINTEXT"] = b.port
    cfg = os.path.join(tmp, "server.properties")
    with open(cfg, "w") as f:
        f.write("listeners=" + ",".join("%s://127.0.0.1:%d" % (p, n)
                                        for p, n in ports.items()) + "\n")
        f.write("sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n"
                "listener.name.sasl_plaintext.plain.sasl.jaas.config="
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                'user_alice="%s";\n' % PW["alice"] +
                "ssl.keystore.type=PEM\nssl.keystore.location=%s\n"
                "ssl.truststore.type=PEM\nssl.truststore.location=%s\n"
                "log.level=DEBUG\nconnection.failed.authentication.delay.ms=50\n"
                # KIP-368: kafkajs (SaslAuthenticate v1) re-authenticates;
                # librdkafka 2.0.2 and kafka-python use v0 (no lifetime).
                "listener.name.sasl_plaintext.connections.max.reauth.ms=3000\n"
                % (certs["broker"], certs["ca"]))
    b.config_file = cfg
    b.overrides["listeners"] = ",".join("%s://127.0.0.1:%d" % (p, n)
                                        for p, n in ports.items())
    b.kafka_opts = "-Xmx256m -Djava.security.auth.login.config=%s" % jaas
    formatted = format_dir(cfg, b.data_dir)
    b.start()
    if not formatted:
        print("sealog-storage not built: admin created with "
              "AlterUserScramCredentials instead", flush=True)
        alter_user(ports["PLAINTEXT"], "admin", PW["admin"], 1)
        alter_user(ports["PLAINTEXT"], "admin", PW["admin"], 2)
    alter_user(ports["PLAINTEXT"], "bob", PW["bob"], 2)
    check_matrix(b, ports, certs["ca"], tmp)
    check_refusals(b, ports, certs["ca"], tmp)
    b.stop()
    check_principals(b)
    lib.no_secrets(b, PW.values(), [os.path.join(b.data_dir, "audit.log")])


if __name__ == "__main__":
    harness.run(test)
