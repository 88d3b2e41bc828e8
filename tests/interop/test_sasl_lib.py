"""Shared by test_tls*.py and test_sasl*.py; not a test itself.

Certificates from tools/sealog-certs (made per test run, never
committed), client security settings in each client's own vocabulary, and
one produce-then-consume round trip per client:

  kcat / confluent-kafka   librdkafka keys (security.protocol,
                           sasl.mechanisms, ssl.ca.location, ...)
  kafka-python 2.0.2       security_protocol, sasl_mechanism,
                           sasl_plain_username, ssl_cafile ...
  kafkajs 2.2.4            { ssl: {ca, cert, key}, sasl: {...} }, run by
                           node from a script written to the test's
                           temporary directory

Every record that went in must come back byte for byte, read with a
different client than the one that wrote it where that is cheap.
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
KCAT = shutil.which("kcat") or shutil.which("kafkacat")
TIMEOUT = 40


def tool(name):
    path = os.path.join(os.environ.get("SEALOG_BUILD", "build"), "bin", name)
    if not os.access(path, os.X_OK):
        harness.skip("%s not built (%s)" % (name, path))
    return path


def make_certs(directory, clients=("client1",), expired=(), untrusted=(),
               key_password=None):
    """sealog-certs into directory; -> dict of paths."""
    argv = [tool("sealog-certs"), "--quiet"]
    for c in clients:
        argv += ["--client", c]
    for c in expired:
        argv += ["--expired", c]
    for c in untrusted:
        argv += ["--untrusted", c]
    if key_password:
        argv += ["--key-password", key_password]
    subprocess.run(argv + [directory], check=True, timeout=60,
                   stdout=subprocess.DEVNULL)
    out = {"dir": directory, "ca": os.path.join(directory, "ca.pem"),
           "broker": os.path.join(directory, "broker.pem"),
           "broker_cert": os.path.join(directory, "broker-cert.pem"),
           "broker_key": os.path.join(directory, "broker-key.pem")}
    for c in clients:
        out[c] = (os.path.join(directory, "client-%s-cert.pem" % c),
                  os.path.join(directory, "client-%s-key.pem" % c))
    for c in expired:
        out[c] = (os.path.join(directory, "client-%s-expired-cert.pem" % c),
                  os.path.join(directory, "client-%s-expired-key.pem" % c))
    for c in untrusted:
        out[c] = (os.path.join(directory, "client-%s-untrusted-cert.pem" % c),
                  os.path.join(directory, "client-%s-untrusted-key.pem" % c))
    return out


class Sec:
    """One client's security settings."""

    def __init__(self, protocol="PLAINTEXT", mech=None, user=None, pw=None,
                 ca=None, cert=None, key=None):
        self.protocol, self.mech, self.user, self.pw = protocol, mech, user, pw
        self.ca, self.cert, self.key = ca, cert, key

    def __repr__(self):
        return "%s/%s/%s" % (self.protocol, self.mech or "-", self.user or "-")

    def librdkafka(self):
        c = {"security.protocol": self.protocol}
        if self.mech:
            c.update({"sasl.mechanisms": self.mech,
                      "sasl.username": self.user, "sasl.password": self.pw})
        if self.ca:
            c["ssl.ca.location"] = self.ca
            c["ssl.endpoint.identification.algorithm"] = "https"
        if self.cert:
            c["ssl.certificate.location"] = self.cert
            c["ssl.key.location"] = self.key
        return c

    def kafka_python(self):
        c = {"security_protocol": self.protocol}
        if self.mech:
            c.update({"sasl_mechanism": self.mech,
                      "sasl_plain_username": self.user,
                      "sasl_plain_password": self.pw})
        if self.ca:
            c.update({"ssl_cafile": self.ca, "ssl_check_hostname": True})
        if self.cert:
            c.update({"ssl_certfile": self.cert, "ssl_keyfile": self.key})
        return c

    def kafkajs(self):
        c = {}
        if "SSL" in self.protocol:
            c["ssl"] = {"ca": self.ca, "cert": self.cert, "key": self.key,
                        "servername": "localhost"}
        if self.mech:
            c["sasl"] = {"mechanism": self.mech.lower(),
                         "username": self.user, "password": self.pw}
        return c


def records(n, seed):
    return [(k, v) for k, v, _ in harness.make_records(n, seed, binary=False)]


# ---- kcat -----------------------------------------------------------------

def kcat(bootstrap, sec, args, data=None, check=True, quiet=True):
    if not KCAT:
        harness.skip("kcat not installed")
    argv = [KCAT, "-b", bootstrap] + (["-q"] if quiet else [])
    for k, v in sec.librdkafka().items():
        argv += ["-X", "%s=%s" % (k, v)]
    res = subprocess.run(argv + args, input=data, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=TIMEOUT)
    if check and res.returncode != 0:
        raise AssertionError("kcat %s (%r) failed (%d): %s" % (
            " ".join(args), sec, res.returncode, res.stderr.decode()))
    return res


def kcat_produce(bootstrap, sec, topic, recs):
    data = b"".join(k + b"\t" + v + b"\n" for k, v in recs)
    kcat(bootstrap, sec, ["-P", "-t", topic, "-p", "0", "-K", "\t",
                          "-X", "request.required.acks=-1"], data)


def kcat_consume(bootstrap, sec, topic, count):
    out = kcat(bootstrap, sec, ["-C", "-t", topic, "-p", "0", "-o",
                                "beginning", "-c", str(count), "-e",
                                "-f", "%k\t%s\n"]).stdout
    return [tuple(line.split(b"\t", 1)) for line in out.splitlines()]


def kcat_metadata(bootstrap, sec):
    return kcat(bootstrap, sec, ["-L", "-m", "10"]).stdout.decode()


def kcat_fails(bootstrap, sec, expect):
    """kcat -L must fail, its errors mentioning one of expect."""
    res = kcat(bootstrap, sec, ["-L", "-m", "6"], check=False, quiet=False)
    err = res.stderr.decode()
    assert res.returncode != 0, "kcat -L with %r succeeded" % sec
    assert any(e in err for e in expect), \
        "kcat %r: none of %r in: %s" % (sec, expect, err[-600:])
    return err


# ---- confluent-kafka ------------------------------------------------------

def confluent():
    return harness.need_module("confluent_kafka")


def confluent_produce(bootstrap, sec, topic, recs):
    ck = confluent()
    conf = {"bootstrap.servers": bootstrap, "acks": "all",
            "message.timeout.ms": 20000}
    conf.update(sec.librdkafka())
    p = ck.Producer(conf)
    errors = []
    for k, v in recs:
        p.produce(topic, value=v, key=k, partition=0,
                  on_delivery=lambda e, m: e and errors.append(e))
    left = p.flush(TIMEOUT)
    assert left == 0 and not errors, (left, errors[:3])


def confluent_consume(bootstrap, sec, topic, count):
    ck = confluent()
    conf = {"bootstrap.servers": bootstrap, "group.id": "sec-%d" % os.getpid(),
            "enable.auto.commit": False}
    conf.update(sec.librdkafka())
    c = ck.Consumer(conf)
    c.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    got, deadline = [], time.monotonic() + TIMEOUT
    while len(got) < count:
        assert time.monotonic() < deadline, "confluent consume timed out"
        m = c.poll(0.5)
        if m is None:
            continue
        assert m.error() is None, m.error()
        got.append((m.key(), m.value()))
    c.close()
    return got


def confluent_fails(bootstrap, sec, expect):
    """An AdminClient list_topics must fail with one of expect."""
    ck = confluent()
    from confluent_kafka.admin import AdminClient
    errs = []
    conf = {"bootstrap.servers": bootstrap,
            "error_cb": lambda e: errs.append(str(e))}
    conf.update(sec.librdkafka())
    a = AdminClient(conf)
    try:
        a.list_topics(timeout=6)
        raise AssertionError("confluent list_topics with %r succeeded" % sec)
    except ck.KafkaException as e:
        errs.append(str(e))
    for _ in range(10):  # error_cb is served from poll()
        if any(x in " ".join(errs) for x in expect):
            break
        a.poll(0.5)
    text = " ".join(errs)
    assert any(x in text for x in expect), (sec, expect, text[-600:])


# ---- kafka-python ---------------------------------------------------------

def kafka_python():
    return harness.need_module("kafka")


def kp_produce(bootstrap, sec, topic, recs):
    kafka = kafka_python()
    p = kafka.KafkaProducer(bootstrap_servers=bootstrap, acks="all",
                            retries=0, request_timeout_ms=20000,
                            api_version_auto_timeout_ms=20000,
                            **sec.kafka_python())
    futs = [p.send(topic, value=v, key=k, partition=0) for k, v in recs]
    p.flush(timeout=TIMEOUT)
    for f in futs:
        f.get(timeout=TIMEOUT)
    p.close(timeout=10)


def kp_consume(bootstrap, sec, topic, count):
    kafka = kafka_python()
    c = kafka.KafkaConsumer(bootstrap_servers=bootstrap,
                            enable_auto_commit=False,
                            consumer_timeout_ms=5000,
                            api_version_auto_timeout_ms=20000,
                            **sec.kafka_python())
    tp = kafka.TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got, deadline = [], time.monotonic() + TIMEOUT
    while len(got) < count and time.monotonic() < deadline:
        for msgs in c.poll(timeout_ms=500).values():
            got += [(m.key, m.value) for m in msgs]
    c.close()
    return got


def kp_fails(bootstrap, sec):
    kafka = kafka_python()
    try:
        a = kafka.KafkaAdminClient(bootstrap_servers=bootstrap,
                                   request_timeout_ms=6000,
                                   api_version_auto_timeout_ms=6000,
                                   **sec.kafka_python())
        a.list_topics()
        a.close()
    except (kafka.errors.NoBrokersAvailable, kafka.errors.KafkaError,
            OSError):
        return
    raise AssertionError("kafka-python with %r succeeded" % sec)


# ---- kafkajs --------------------------------------------------------------

KAFKAJS_SCRIPT = r"""
'use strict'
const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')
const spec = JSON.parse(fs.readFileSync(process.argv[2]))
const sec = spec.sec
if (sec.ssl) {
  for (const k of ['ca', 'cert', 'key']) {
    if (sec.ssl[k]) sec.ssl[k] = [fs.readFileSync(sec.ssl[k])]
    else delete sec.ssl[k]
  }
  if (sec.ssl.cert) sec.ssl.cert = sec.ssl.cert[0]
  if (sec.ssl.key) sec.ssl.key = sec.ssl.key[0]
}
const kafka = new Kafka(Object.assign({
  clientId: 'sealog-sec', brokers: [spec.bootstrap], logLevel: logLevel.NOTHING,
  retry: { retries: spec.retries }, connectionTimeout: 5000, requestTimeout: 15000
}, sec))
async function main () {
  const out = {}
  try {
    const p = kafka.producer({ allowAutoTopicCreation: true })
    await p.connect()
    if (spec.records.length) {
      const r = await p.send({ topic: spec.topic, acks: -1, messages: spec.records.map(
        ([k, v]) => ({ key: Buffer.from(k, 'base64'), value: Buffer.from(v, 'base64'), partition: 0 })) })
      out.sent = r.map((x) => x.errorCode)
    }
    await p.disconnect()
    const a = kafka.admin()
    await a.connect()
    out.offsets = await a.fetchTopicOffsets(spec.topic)
    await a.disconnect()
    out.ok = true
  } catch (e) {
    out.ok = false
    out.error = e.name + ': ' + e.message
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(out))
}
main()
"""


def kafkajs(bootstrap, sec, topic, recs, tmp, retries=2):
    node = shutil.which("node")
    if not node:
        harness.skip("node not installed")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "kafkajs")):
        harness.skip("kafkajs not installed: run `npm ci` in %s" % NODE_DIR)
    import base64
    script = os.path.join(tmp, "sec.js")
    with open(script, "w") as f:
        f.write(KAFKAJS_SCRIPT)
    spec = os.path.join(tmp, "spec.json")
    result = os.path.join(tmp, "result.json")
    with open(spec, "w") as f:
        json.dump({"bootstrap": bootstrap, "sec": sec.kafkajs(),
                   "topic": topic, "retries": retries,
                   "records": [[base64.b64encode(k).decode(),
                                base64.b64encode(v).decode()]
                               for k, v in recs]}, f)
    env = dict(os.environ)
    env["NODE_PATH"] = os.path.join(NODE_DIR, "node_modules")
    subprocess.run([node, script, spec, result], cwd=NODE_DIR, env=env,
                   timeout=90, check=True)
    with open(result) as f:
        return json.load(f)


# ---- checks ---------------------------------------------------------------

def roundtrip(name, bootstrap, sec, topic, tmp, oracle_bootstrap,
              oracle_sec, n=20, seed=0):
    """Write n records with client name, read them back with another
    client (the oracle, over its own listener), byte for byte."""
    recs = records(n, seed)
    if name == "kcat":
        kcat_produce(bootstrap, sec, topic, recs)
        got = kp_consume(oracle_bootstrap, oracle_sec, topic, n)
    elif name == "confluent":
        confluent_produce(bootstrap, sec, topic, recs)
        got = kcat_consume(oracle_bootstrap, oracle_sec, topic, n)
    elif name == "kafka-python":
        kp_produce(bootstrap, sec, topic, recs)
        got = confluent_consume(oracle_bootstrap, oracle_sec, topic, n)
    elif name == "kafkajs":
        res = kafkajs(bootstrap, sec, topic, recs, tmp)
        assert res.get("ok"), "kafkajs %r: %s" % (sec, res.get("error"))
        assert res["sent"] == [0], res
        assert [o["high"] for o in res["offsets"]] == [str(n)], res["offsets"]
        got = kcat_consume(oracle_bootstrap, oracle_sec, topic, n)
    else:
        raise AssertionError(name)
    harness.check_equal("%s %r records" % (name, sec), got, recs)
    # And the writer reads its own records back over its own listener.
    if name == "kcat":
        harness.check_equal("kcat read-back", kcat_consume(bootstrap, sec, topic, n), recs)
    elif name == "kafka-python":
        harness.check_equal("kafka-python read-back", kp_consume(bootstrap, sec, topic, n), recs)
    elif name == "confluent":
        harness.check_equal("confluent read-back", confluent_consume(bootstrap, sec, topic, n), recs)


def fails(name, bootstrap, sec, tmp, expect):
    """Client name must fail to use the broker with sec."""
    if name == "kcat":
        kcat_fails(bootstrap, sec, expect)
    elif name == "confluent":
        confluent_fails(bootstrap, sec, expect)
    elif name == "kafka-python":
        kp_fails(bootstrap, sec)
    elif name == "kafkajs":
        res = kafkajs(bootstrap, sec, "never-created", [], tmp, retries=0)
        assert not res.get("ok"), "kafkajs with %r succeeded" % sec
        print("kafkajs %r: %s" % (sec, res["error"]), flush=True)
        assert any(e.lower() in res["error"].lower() for e in expect), \
            "kafkajs %r: none of %r in %s" % (sec, expect, res["error"])
    else:
        raise AssertionError(name)


def broker_lines(b):
    """The broker's log without the harness's "=== start <argv>" lines
    (they hold the overrides given on the command line)."""
    return b"\n".join(line for line in b.log_bytes().split(b"\n")
                      if not line.startswith(b"=== start"))


def no_secrets(b, secrets, files=()):
    """None of secrets (passwords, PEM key bodies) in the broker's log or
    in files (e.g. its audit log)."""
    texts = [("broker log", broker_lines(b))]
    for path in files:
        if os.path.exists(path):
            with open(path, "rb") as f:
                texts.append((path, f.read()))
    for what, text in texts:
        for s in secrets:
            s = s.encode() if isinstance(s, str) else s
            assert s not in text, "a secret (%r...) appears in %s" % (s[:6], what)


def pem_body_lines(path):
    """The base64 lines of every PEM block in path (key material)."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("-----") and len(line) >= 40:
                out.append(line)
    return out


def audit_events(b):
    path = os.path.join(b.data_dir, "audit.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
