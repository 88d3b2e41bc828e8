"""kcat -G (librdkafka's balanced consumer in the CLI) against sealogd.

Three `kcat -G` members over six partitions: every partition assigned
exactly once (from kcat's "rebalanced ... assigned:" lines) and every
record consumed; SIGKILL of one -> the others take over within the
session timeout, from its last auto-commit, and nothing is lost; SIGTERM
of the rest (they commit and leave); more records; the broker restarts;
a last `kcat -G -e` reads exactly the records after the committed
offsets.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_groups_common as common  # noqa: E402

TOPIC = "groups-kcat"
GROUP = "kcat-group"
KCAT = shutil.which("kcat") or shutil.which("kafkacat")
ASSIGNED = re.compile(r"rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)")
PART = re.compile(re.escape(TOPIC) + r" \[(\d+)\]")


def parse_out(line):
    p, o, v = line.split(" ", 2)
    return {"ev": "msg", "p": int(p), "o": int(o), "v": v}


def parse_err(line):
    m = ASSIGNED.search(line)
    if not m:
        return None
    parts = [int(x) for x in PART.findall(m.group(2))]
    # Eager (range): a revoke empties the assignment, an assign is whole.
    return {"ev": "assignment", "parts": parts if m.group(1) == "assigned" else []}


def member_argv(b, extra=()):
    return [KCAT, "-b", b.bootstrap, "-G", GROUP, "-u", "-f", "%p %o %s\\n",
            "-X", "session.timeout.ms=%d" % common.SESSION_MS,
            "-X", "heartbeat.interval.ms=%d" % common.HEARTBEAT_MS,
            "-X", "auto.offset.reset=earliest"] + list(extra) + [TOPIC]


def spawn(b, name):
    return common.Member(name, member_argv(b), log_dir=b.tmp,
                         parse=parse_out, parse_err=parse_err)


def produce(b, start, count):
    for p in range(common.PARTITIONS):
        data = "".join("p%d-%d\n" % (p, i) for i in range(start, start + count))
        subprocess.run([KCAT, "-b", b.bootstrap, "-q", "-P", "-t", TOPIC,
                        "-p", str(p), "-X", "request.required.acks=-1"],
                       input=data.encode(), check=True, timeout=30)


def test():
    if not KCAT:
        harness.skip("kcat not installed")
    b = harness.Broker(overrides=common.OVERRIDES,
                       mock_topics={TOPIC: common.PARTITIONS}).start()
    produce(b, 0, 10)
    members = [spawn(b, "k%d" % i) for i in range(3)]
    common.wait_balanced(members, sizes=(2, 2, 2))
    common.wait_consumed(members, {p: 10 for p in range(common.PARTITIONS)})
    victim, survivors = members[0], members[1:]
    moved = victim.assignment()[0]
    t_kill = victim.kill9()
    t_done = common.wait_balanced(survivors, since=t_kill)
    print("kcat -G rebalance after SIGKILL: %.2f s" % (t_done - t_kill),
          flush=True)
    if not b.is_mock:
        assert t_done - t_kill <= (common.SESSION_MS + 2 * common.HEARTBEAT_MS) \
            / 1000 + 2.0, t_done - t_kill
    produce(b, 10, 5)
    common.wait_consumed(members, {p: 15 for p in range(common.PARTITIONS)})
    # kcat auto-commits on its own schedule: the new owner resumes at the
    # dead member's last commit, at or before where it stopped (the
    # exact resume point is checked after the clean close below).
    first = common.first_offsets(survivors, t_kill)
    for p in moved:
        assert first[p] <= 10, "partition %d resumed at %d, after 10" \
            % (p, first[p])
    for m in survivors:
        m.proc.send_signal(signal.SIGTERM)  # kcat commits and leaves
        assert m.proc.wait(timeout=30) == 0
    produce(b, 15, 5)
    if b.is_mock:
        return
    b.restart()
    res = subprocess.run(member_argv(b, ["-e", "-q"]), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    assert res.returncode == 0, res.stderr
    got = sorted(tuple(parse_out(x).values())[1:] for x in
                 res.stdout.decode().splitlines())
    want = sorted((p, o, "p%d-%d" % (p, o)) for p in range(common.PARTITIONS)
                  for o in range(15, 20))
    harness.check_equal("records after the restart", got, want)
    b.stop()


if __name__ == "__main__":
    common.run(test)
