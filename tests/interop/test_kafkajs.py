"""kafkajs 2.x (npm, tests/interop/node) against a spawned sealogd.

kafkajs can only consume through a consumer group, so without groups this
test covers: admin createTopics, producing keyed records with headers and
explicit timestamps (every codec: gzip built in, snappy, lz4 and zstd
through codec plugins, see node/interop.js; acks -1/0/1), admin
fetchTopicMetadata /
fetchTopicOffsets / fetchTopicOffsetsByTimestamp / listTopics, restart,
and the admin calls again. The records kafkajs produced are read back
byte-exact by kafka-python with assign (an independent client as oracle).

With --groups (CTest: interop_kafkajs_groups) the kafkajs group consumer
reads everything back byte-exact instead (test_groups_kafkajs.py covers
the group semantics themselves).
"""

import base64
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
TOPIC = "interop-kafkajs"
PARTITIONS = 3
PER_RUN = 30
TIMEOUT = 60


def enc(b):
    return base64.b64encode(b).decode()


def need_node():
    node = shutil.which("node")
    if not node:
        harness.skip("node not installed")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "kafkajs")):
        harness.skip("kafkajs not installed: run `npm ci` in %s" % NODE_DIR)
    return node


def build_spec(b):
    ts0 = int(time.time() * 1000) - 3600 * 1000
    runs, expected = [], {q: [] for q in range(PARTITIONS)}
    plan = [("none", -1), ("gzip", -1), ("snappy", -1), ("lz4", -1),
            ("zstd", -1), ("none", 1), ("gzip", 0)]
    for run_no, (codec, acks) in enumerate(plan):
        recs = []
        for i, (k, v, h) in enumerate(
                harness.make_records(PER_RUN, 300 + run_no)):
            q = i % PARTITIONS
            ts = ts0 + run_no * 1000 + i
            recs.append({"key": enc(k), "value": enc(v), "partition": q,
                         "headers": [[n, enc(x)] for n, x in h],
                         "timestamp": ts})
            expected[q].append((k, v, h, ts))
        runs.append({"codec": codec, "acks": acks, "records": recs})
    spec = {"bootstrap": b.bootstrap, "topic": TOPIC,
            "partitions": PARTITIONS, "createTopic": not b.is_mock,
            "groupId": "interop-kafkajs-%d" % os.getpid(), "runs": runs}
    return spec, expected


def node_step(node, b, step, spec):
    tmp = b.tmp
    spec_path = os.path.join(tmp, "spec-%s.json" % step)
    out_path = os.path.join(tmp, "out-%s.json" % step)
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ, KAFKAJS_NO_PARTITIONER_WARNING="1")
    res = subprocess.run([node, os.path.join(NODE_DIR, "interop.js"), step,
                          spec_path, out_path], cwd=NODE_DIR,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=TIMEOUT, env=env)
    sys.stdout.write(res.stdout.decode("utf-8", "replace"))
    if res.returncode != 0:
        raise AssertionError("kafkajs step %s failed (%d)"
                             % (step, res.returncode))
    with open(out_path) as f:
        return json.load(f)


def check_sends(result, spec, expected):
    """Each acked send reports, per partition, the base offset its batch
    got: the count of records already in that partition."""
    counts = {q: 0 for q in range(PARTITIONS)}
    for run, metas in zip(spec["runs"], result["sends"]):
        if run["acks"] != 0:
            got = {m["partition"]: (m["errorCode"], int(m["baseOffset"]))
                   for m in metas}
            want = {q: (0, counts[q]) for q in range(PARTITIONS)}
            assert got == want, "send metadata %r, want %r" % (got, want)
        for r in run["records"]:
            counts[r["partition"]] += 1


def check_admin(b, node, spec, expected):
    stamps = {q: [r[3] for r in expected[q]] for q in expected}
    targets = [stamps[0][0], stamps[0][len(stamps[0]) // 2],
               stamps[0][-1] + 1]
    spec = dict(spec, timestamps=[] if b.is_mock else targets)
    res = node_step(node, b, "admin", spec)
    parts = sorted(p["partitionId"] for p in res["partitions"])
    assert parts == list(range(PARTITIONS)), "metadata %r" % res
    assert all(p["partitionErrorCode"] == 0 for p in res["partitions"])
    assert res["listed"], "listTopics lacks %s" % TOPIC
    offs = {o["partition"]: o for o in res["offsets"]}
    for q in range(PARTITIONS):
        o = offs[q]
        want = (str(len(expected[q])), "0", str(len(expected[q])))
        assert (o["offset"], o["low"], o["high"]) == want, \
            "fetchTopicOffsets p%d: %r" % (q, o)
    for ts in spec["timestamps"]:
        got = {o["partition"]: int(o["offset"])
               for o in res["byTime"][str(ts)]}
        for q in range(PARTITIONS):
            want = harness.offset_for_time(stamps[q], ts)
            if want == -1:
                # kafkajs maps "no such offset" to the high watermark
                want = len(expected[q])
            assert got[q] == want, "offsetsByTimestamp p%d ts=%d: %d "\
                "want %d" % (q, ts, got[q], want)


def read_back(b, expected):
    """kafka-python as the oracle for what kafkajs wrote."""
    try:
        from kafka import KafkaConsumer, TopicPartition
    except ImportError:
        print("kafka-python missing: byte-exact read-back skipped")
        return
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=None,
                      enable_auto_commit=False)
    tps = [TopicPartition(TOPIC, q) for q in range(PARTITIONS)]
    c.assign(tps)
    for tp in tps:
        c.seek(tp, 0)
    got = {q: [] for q in range(PARTITIONS)}
    deadline = time.monotonic() + 30
    while any(len(got[q]) < len(expected[q]) for q in got):
        assert time.monotonic() < deadline, "read-back timed out"
        for batch in c.poll(timeout_ms=500).values():
            for m in batch:
                got[m.partition].append((m.offset, m.key, m.value,
                                         list(m.headers), m.timestamp))
    c.close()
    for q in range(PARTITIONS):
        want = [(o, k, v, h, ts) for o, (k, v, h, ts) in
                enumerate(expected[q])]
        harness.check_equal("partition %d records" % q, got[q], want)


def check_group(b, node, spec, expected):
    res = node_step(node, b, "group", spec)
    got = {q: [] for q in range(PARTITIONS)}
    for r in res["records"]:
        got[r["partition"]].append((
            int(r["offset"]), base64.b64decode(r["key"]),
            base64.b64decode(r["value"] or ""),
            [(n, base64.b64decode(v)) for n, v in r["headers"]]))
    for q in range(PARTITIONS):
        want = [(o, k, v, h) for o, (k, v, h, _) in enumerate(expected[q])]
        harness.check_equal("group partition %d" % q,
                            sorted(got[q], key=lambda r: r[0]), want)


def test(groups_only=False):
    node = need_node()
    b = harness.Broker(mock_topics={TOPIC: PARTITIONS}).start()
    spec, expected = build_spec(b)
    result = node_step(node, b, "produce", spec)
    check_sends(result, spec, expected)
    if groups_only:
        check_group(b, node, spec, expected)
        b.stop()
        return
    check_admin(b, node, spec, expected)
    read_back(b, expected)
    b.restart()
    check_admin(b, node, spec, expected)
    read_back(b, expected)
    b.stop()


if __name__ == "__main__":
    harness.run(test, groups_only="--groups" in sys.argv[1:])
