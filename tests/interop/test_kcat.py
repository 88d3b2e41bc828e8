"""kcat (librdkafka's CLI) against a spawned sealogd.

No admin API in kcat: the topic is auto-created by the first produce
(auto.create.topics.enable=true, num.partitions=3). Produce keyed records
with headers to explicit partitions with every codec and acks=0/1/all;
consume back from explicit partitions/offsets with a length-prefixed
format (byte-exact); -Q for earliest (-2), latest (-1) and by timestamp;
restart; consume again.
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TOPIC = "interop-kcat"
PARTITIONS = 3
PER_RUN = 20
TIMEOUT = 30
KCAT = shutil.which("kcat") or shutil.which("kafkacat")
# One record per "header line\nkey value\n": the header line carries the
# lengths, so keys and values are read by length, not by delimiter.
FMT = r"%p %o %T %K %S %h\n%k%s\n"


def kcat(b, args, data=None):
    res = subprocess.run([KCAT, "-b", b.bootstrap, "-q"] + args, input=data,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=TIMEOUT)
    if res.returncode != 0:
        raise AssertionError("kcat %s failed (%d): %s" % (
            " ".join(args), res.returncode, res.stderr.decode()))
    return res.stdout


def produce(b, partition, records, headers, codec, acks):
    data = b"".join(k + b"\t" + v + b"\n" for k, v, _ in records)
    args = ["-P", "-t", TOPIC, "-p", str(partition), "-K", "\t",
            "-X", "compression.codec=" + codec,
            "-X", "request.required.acks=" + acks]
    for name, value in headers:
        args += ["-H", "%s=%s" % (name, value.decode())]
    kcat(b, args, data)


def parse_headers(text):
    if not text:
        return []
    out = []
    for item in text.split(","):
        name, _, value = item.partition("=")
        out.append((name, value.encode()))
    return out


def consume(b, partition, count):
    out = kcat(b, ["-C", "-t", TOPIC, "-p", str(partition), "-o",
                   "beginning", "-c", str(count), "-e", "-f", FMT])
    recs, pos = [], 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        fields = out[pos:nl].decode().split(" ", 5)
        p, off, ts, klen, vlen = (int(x) for x in fields[:5])
        hdrs = parse_headers(fields[5] if len(fields) > 5 else "")
        pos = nl + 1
        key = out[pos:pos + klen] if klen >= 0 else None
        pos += max(klen, 0)
        val = out[pos:pos + vlen] if vlen >= 0 else None
        pos += max(vlen, 0)
        assert out[pos:pos + 1] == b"\n", "kcat output framing at %d" % pos
        pos += 1
        assert p == partition
        recs.append((off, key, val, hdrs, ts))
    return recs


def query(b, partition, ts):
    out = kcat(b, ["-Q", "-t", "%s:%d:%d" % (TOPIC, partition, ts)])
    # "<topic> [<partition>] offset <n>"
    return int(out.decode().split("offset")[-1].split()[0])


def verify(b, expected):
    for q in range(PARTITIONS):
        got = consume(b, q, len(expected[q]))
        want = [(off, k, v, h) for off, (k, v, h) in enumerate(expected[q])]
        harness.check_equal("partition %d records" % q,
                            [r[:4] for r in got], want)
        stamps = [r[4] for r in got]
        assert query(b, q, -2) == 0, "earliest offset"
        assert query(b, q, -1) == len(want), "latest offset"
        if b.is_mock:
            continue  # the mock answers -1 to every timestamp lookup
        for target in (stamps[0], stamps[len(stamps) // 2], stamps[-1] + 1):
            want_off = harness.offset_for_time(stamps, target)
            got_off = query(b, q, target)
            assert got_off == want_off, "-Q p%d ts=%d: %d want %d" % (
                q, target, got_off, want_off)


def test():
    if not KCAT:
        harness.skip("kcat not installed")
    b = harness.Broker(overrides={"auto.create.topics.enable": "true",
                                  "num.partitions": str(PARTITIONS)},
                       mock_topics={TOPIC: PARTITIONS}).start()
    expected = {q: [] for q in range(PARTITIONS)}
    runs = [(c, "-1") for c in ("none", "gzip", "snappy", "lz4", "zstd")] + \
        [("none", "0"), ("none", "1"), ("gzip", "1")]
    for run_no, (codec, acks) in enumerate(runs):
        q = run_no % PARTITIONS
        headers = [("codec", codec.encode()), ("run", b"%d" % run_no)]
        records = [(k, v, headers) for k, v, _ in
                   harness.make_records(PER_RUN, 200 + run_no, binary=False)]
        produce(b, q, records, headers, codec, acks)
        expected[q] += records
    verify(b, expected)
    b.restart()
    verify(b, expected)
    b.stop()


if __name__ == "__main__":
    harness.run(test)
