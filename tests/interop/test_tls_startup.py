"""Security misconfiguration stops start-up: exit 2 with one message that
names the key or the file, and never a secret.

TLS: a missing key store, an unreadable one (a directory), a wrong
ssl.key.password, a key that does not match its certificate, client
authentication required without a trust store, a bad
ssl.principal.mapping.rules regex, a listener-prefixed key naming itself.
SASL: an unknown mechanism, Kafka's default GSSAPI and OAUTHBEARER (not
served), a JAAS syntax error in listener.name.<l>.plain.sasl.jaas.config,
a missing JAAS file named by KAFKA_OPTS, a bad sasl.server.max.receive.size.
And a good configuration of every kind does start (so the cases above fail
for the reason they test).
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_sasl_lib as lib  # noqa: E402

EXIT_TIMEOUT = 15
KEY_PW = "key-pw-Zq81"
JAAS_PW = "jaas-pw-Kx27"


class Broker(harness.Broker):
    kafka_opts = None

    def env(self):
        env = super().env()
        if self.kafka_opts:
            env["KAFKA_OPTS"] = self.kafka_opts
        return env


def listeners(b, proto):
    return {"listeners": "%s://127.0.0.1:%d" % (proto, b.port)}


def expect(overrides, proto, names, kafka_opts=None, secrets=()):
    b = Broker()
    ov = listeners(b, proto)
    ov.update(overrides)
    b.overrides = ov
    b.kafka_opts = kafka_opts
    try:
        b.spawn()
        rc = b.wait_exit(EXIT_TIMEOUT)
        log = lib.broker_lines(b).decode("utf-8", "replace")
        assert rc is not None, "broker kept running: %r" % overrides
        assert rc == 2, "exit %d, want 2:\n%s" % (rc, log)
        for name in names:
            assert name in log, "message does not name %r:\n%s" % (name, log)
        for s in secrets:
            assert s not in log, "a secret in the message:\n%s" % log
        print("exit 2 as expected, naming %s" % ", ".join(names), flush=True)
    finally:
        b.close()


def expect_starts(overrides, proto, kafka_opts=None):
    b = Broker()
    ov = listeners(b, proto)
    ov.update(overrides)
    b.overrides = ov
    b.kafka_opts = kafka_opts
    b.start()
    b.stop()
    b.close()


def test():
    if harness.target_is_mock():
        harness.skip("start-up rules of sealogd only")
    tmp = tempfile.mkdtemp(prefix="sealog-tls-startup-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):
    certs = lib.make_certs(os.path.join(tmp, "c"), key_password=KEY_PW)
    plain = lib.make_certs(os.path.join(tmp, "p"), clients=("client1",))
    mismatched = os.path.join(tmp, "mismatched.pem")
    with open(mismatched, "w") as f:  # client1's key with the broker's cert
        f.write(open(plain["client1"][1]).read() + open(plain["broker_cert"]).read())
    jaas = os.path.join(tmp, "jaas.conf")
    with open(jaas, "w") as f:
        f.write('KafkaServer { org.apache.kafka.common.security.plain.PlainLoginModule '
                'required user_a="%s"; };\n' % JAAS_PW)
    tls = {"ssl.keystore.type": "PEM", "ssl.keystore.location": plain["broker"],
           "ssl.truststore.type": "PEM", "ssl.truststore.location": plain["ca"]}
    missing = os.path.join(tmp, "nope.pem")

    def with_tls(**kw):
        d = dict(tls)
        for k, v in kw.items():
            d[k.replace("_", ".")] = v
        return d

    expect(with_tls(ssl_keystore_location=missing), "SSL",
           ["ssl.keystore.location", missing])
    expect(with_tls(ssl_keystore_location=tmp), "SSL", ["ssl.keystore.location", tmp])
    expect({"ssl.keystore.type": "PEM", "ssl.keystore.location": certs["broker"],
            "ssl.key.password": "wrong-" + KEY_PW}, "SSL",
           ["ssl.key.password"], secrets=[KEY_PW])
    expect(with_tls(ssl_keystore_location=mismatched), "SSL", [mismatched])
    expect({"ssl.keystore.type": "PEM", "ssl.keystore.location": plain["broker"],
            "ssl.client.auth": "required"}, "SSL", ["ssl.truststore"])
    expect(with_tls(**{"ssl_principal_mapping_rules": "RULE:^CN=(.*$/$1/"}),
           "SSL", ["ssl.principal.mapping.rules"])
    expect({"listener.name.ssl.ssl.keystore.location": missing,
            "ssl.keystore.location": plain["broker"]}, "SSL",
           ["listener.name.ssl.ssl.keystore.location"])
    expect({"sasl.enabled.mechanisms": "PLAIN,FOO"}, "SASL_PLAINTEXT",
           ["sasl.enabled.mechanisms", "FOO"])
    expect({}, "SASL_PLAINTEXT", ["sasl.enabled.mechanisms", "GSSAPI"])
    expect({"listener.name.sasl_plaintext.sasl.enabled.mechanisms": "OAUTHBEARER"},
           "SASL_PLAINTEXT",
           ["listener.name.sasl_plaintext.sasl.enabled.mechanisms", "OAUTHBEARER"])
    expect({"sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config":
            'org.apache.kafka.common.security.plain.PlainLoginModule required '
            'user_a="%s"' % JAAS_PW}, "SASL_PLAINTEXT",
           ["listener.name.sasl_plaintext.plain.sasl.jaas.config"],
           secrets=[JAAS_PW])
    expect({"sasl.enabled.mechanisms": "PLAIN"}, "SASL_PLAINTEXT",
           ["java.security.auth.login.config", missing],
           kafka_opts="-Djava.security.auth.login.config=" + missing)
    expect({"sasl.enabled.mechanisms": "SCRAM-SHA-256",
            "sasl.server.max.receive.size": "lots"}, "SASL_PLAINTEXT",
           ["sasl.server.max.receive.size"])
    expect(dict(with_tls(), **{"sasl.enabled.mechanisms": "PLAIN",
                               "connections.max.reauth.ms": "-1"}),
           "SASL_SSL", ["connections.max.reauth.ms"])
    # The same keys, right, do start.
    expect_starts({"ssl.keystore.type": "PEM", "ssl.keystore.location": certs["broker"],
                   "ssl.key.password": KEY_PW}, "SSL")
    expect_starts(dict(tls, **{"ssl.client.auth": "required",
                               "ssl.principal.mapping.rules": "RULE:^CN=(.*)$/$1/,DEFAULT"}),
                  "SSL")
    expect_starts({"sasl.enabled.mechanisms": "PLAIN"}, "SASL_PLAINTEXT",
                  kafka_opts="-Djava.security.auth.login.config=" + jaas)
    expect_starts(dict(tls, **{"sasl.enabled.mechanisms": "SCRAM-SHA-512",
                               "connections.max.reauth.ms": "60000"}), "SASL_SSL")


if __name__ == "__main__":
    harness.run(test)
