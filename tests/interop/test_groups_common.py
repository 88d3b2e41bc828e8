"""Shared machinery of the consumer-group interop tests (test_groups_*.py).

Not a test by itself. Each consumer runs in a child process (so it can be
killed with SIGKILL by PID) that speaks JSON lines on stdout:

  {"ev": "ready"}                          subscribed
  {"ev": "assignment", "parts": [..]}      its whole assignment after a
                                           rebalance callback
  {"ev": "msg", "p": P, "o": O, "v": V}    one record consumed
  {"ev": "committed", "offsets": {P: O}}   answer to a "commit" command
  {"ev": "closed"}                         answer to "close", then exits 0
  {"ev": "error", "what": "..."}           the client reported an error

and reads commands on stdin, one per line:

  commit                 commit the current positions of its assignment
  commit {"P": O, ...}   commit these offsets (metadata "meta-P")
  close                  close the consumer (LeaveGroup, unless static)

The scenarios below drive members of any client through the same steps
and assert Kafka's group semantics on what they report; the parent
timestamps each event when it reads it (time.monotonic()).
"""

import json
import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PARTITIONS = 6
SESSION_MS = 6000
HEARTBEAT_MS = 500
# Small, but a real delay: three members starting together join one
# generation instead of three (group.initial.rebalance.delay.ms).
INITIAL_DELAY_MS = 1000
OVERRIDES = {
    "num.partitions": str(PARTITIONS),
    "group.initial.rebalance.delay.ms": str(INITIAL_DELAY_MS),
    "group.min.session.timeout.ms": "1000",
}
WAIT = 60.0


class Member:
    """One consumer child process. A child that does not speak the JSON
    protocol (kcat) gets parse / parse_err: functions from one line of
    its stdout / stderr to an event dict, or None to skip the line."""

    def __init__(self, name, argv, cwd=None, env=None, log_dir=None,
                 parse=None, parse_err=None):
        self.name = name
        self.events = []
        self.cond = threading.Condition()
        self.log_path = os.path.join(log_dir or "/tmp", "member-%s.log" % name)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if parse_err else self.log, cwd=cwd,
            env=env)
        self.parse = parse or self._parse_json
        self.readers = [threading.Thread(target=self._read, daemon=True,
                                         args=(self.proc.stdout, self.parse,
                                               True))]
        if parse_err:
            self.readers.append(threading.Thread(
                target=self._read, daemon=True,
                args=(self.proc.stderr, parse_err, False)))
        for t in self.readers:
            t.start()
        _members.append(self)

    def _parse_json(self, line):
        try:
            return json.loads(line)
        except ValueError:
            return None

    def _add(self, ev):
        ev["t"] = time.monotonic()
        with self.cond:
            self.events.append(ev)
            self.cond.notify_all()

    def _read(self, stream, parse, main):
        for line in stream:
            ev = parse(line.decode("utf-8", "replace").rstrip("\n"))
            if ev is None or not main:
                self.log.write(line)
            if ev is not None:
                self._add(ev)
        if main:
            self._add({"ev": "exit"})

    # -- commands ----------------------------------------------------------

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def commit(self, offsets=None, timeout=WAIT):
        """Commit (explicit {partition: offset} or the positions); return
        what the member reports as committed."""
        start = len(self.events)
        self.send("commit" if offsets is None else
                  "commit " + json.dumps({str(p): o for p, o in
                                          offsets.items()}))
        ev = self.wait_event("committed", timeout, start)
        return {int(p): o for p, o in ev["offsets"].items()}

    def close(self, timeout=WAIT):
        start = len(self.events)
        self.send("close")
        self.wait_event("closed", timeout, start)
        self.proc.wait(timeout=timeout)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        return time.monotonic()

    # -- observations ------------------------------------------------------

    def wait_event(self, kind, timeout=WAIT, start=0, pred=None):
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.events):
                    ev = self.events[i]
                    i += 1
                    if ev["ev"] == kind and (pred is None or pred(ev)):
                        return ev
                    if ev["ev"] == "exit" and kind != "exit":
                        raise AssertionError("member %s exited while waiting "
                                             "for %s" % (self.name, kind))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("member %s: no %s within %.0f s"
                                         % (self.name, kind, timeout))
                self.cond.wait(left)

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def assignment(self):
        """(the latest assignment, the time it was reported) or (None, 0)."""
        for ev in reversed(self.snapshot()):
            if ev["ev"] == "assignment":
                return frozenset(ev["parts"]), ev["t"]
        return None, 0

    def records(self, since=0.0):
        return [(e["p"], e["o"], e["v"]) for e in self.snapshot()
                if e["ev"] == "msg" and e["t"] >= since]

    def count(self, kind, since=0.0):
        return sum(1 for e in self.snapshot()
                   if e["ev"] == kind and e["t"] >= since)

    def errors(self):
        return [e for e in self.snapshot() if e["ev"] == "error"]

    def dump(self):
        self.log.flush()
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()[-20000:]
        except OSError:
            data = b""
        sys.stdout.write("---- member %s (rc=%r), last events:\n"
                         % (self.name, self.proc.poll()))
        for ev in self.snapshot()[-15:]:
            sys.stdout.write("  %r\n" % (ev,))
        sys.stdout.write("---- member %s log:\n%s\n"
                         % (self.name, data.decode("utf-8", "replace")))

    def reap(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


_members = []


def reap_all():
    for m in list(_members):
        m.reap()
        _members.remove(m)


def run(test, *args):
    """harness.run, and member logs and kills around it."""
    def wrapped():
        try:
            test(*args)
        except BaseException:
            for m in _members:
                m.dump()
            raise
        finally:
            reap_all()
    harness.run(wrapped)


# -- producing ---------------------------------------------------------------

def produce(b, topic, per_partition, start=0):
    """per_partition records into each partition, values "p<P>-<i>";
    every one acknowledged (acks=all). Prefers confluent-kafka, falls
    back to kafka-python; which one does not matter to the group tests."""
    try:
        import confluent_kafka as ck
    except ImportError:
        ck = None
    values = [(p, "p%d-%d" % (p, i)) for i in range(start, start + per_partition)
              for p in range(PARTITIONS)]
    if ck is not None:
        prod = ck.Producer({"bootstrap.servers": b.bootstrap, "acks": "all",
                            "linger.ms": 5})
        errors = []
        for p, v in values:
            prod.produce(topic, value=v.encode(), partition=p,
                         on_delivery=lambda e, m: e and errors.append(e))
            prod.poll(0)
        assert prod.flush(30) == 0 and not errors, errors
        return
    from kafka import KafkaProducer
    prod = KafkaProducer(bootstrap_servers=b.bootstrap, acks="all")
    futs = [prod.send(topic, value=v.encode(), partition=p) for p, v in values]
    for f in futs:
        f.get(timeout=30)
    prod.close()


# -- assertions ---------------------------------------------------------------

def wait_balanced(members, timeout=WAIT, since=0.0, sizes=None):
    """Wait until every member reported an assignment after `since` and
    together they hold every partition exactly once. Returns the time of
    the last assignment that completed the picture."""
    deadline = time.monotonic() + timeout
    while True:
        views = [m.assignment() for m in members]
        if all(a is not None and t >= since for a, t in views):
            parts = [a for a, _ in views]
            union = frozenset().union(*parts)
            disjoint = sum(len(a) for a in parts) == len(union)
            if union == frozenset(range(PARTITIONS)) and disjoint:
                if sizes is not None:
                    assert sorted(len(a) for a in parts) == sorted(sizes), \
                        "assignment sizes %r" % [sorted(a) for a in parts]
                return max(t for _, t in views)
        if time.monotonic() > deadline:
            raise AssertionError("no balanced assignment within %.0f s: %r"
                                 % (timeout, [(m.name, sorted(a) if a else a)
                                              for m, (a, _) in zip(members, views)]))
        time.sleep(0.05)


def wait_consumed(members, end, timeout=WAIT, since=0.0, start=None):
    """Wait until offsets [start[p], end[p]) of every partition (start: 0
    by default) were consumed by some member after `since`; returns
    {p: set(offsets)} of everything they consumed after `since`."""
    deadline = time.monotonic() + timeout
    start = start or {}
    while True:
        seen = {p: set() for p in range(PARTITIONS)}
        for m in members:
            for p, o, v in m.records(since):
                assert v == "p%d-%d" % (p, o), "record %d/%d is %r" % (p, o, v)
                seen[p].add(o)
        missing = {p: sorted(set(range(start.get(p, 0), end[p])) - seen[p])
                   for p in seen}
        if not any(missing.values()):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError("records missing after %.0f s: %r"
                                 % (timeout, missing))
        time.sleep(0.05)


def first_offsets(members, since):
    """{partition: the first offset any member consumed after since}."""
    first = {}
    for m in members:
        for ev in m.snapshot():
            if ev["ev"] == "msg" and ev["t"] >= since:
                first.setdefault(ev["p"], (ev["t"], ev["o"]))
                if ev["t"] < first[ev["p"]][0]:
                    first[ev["p"]] = (ev["t"], ev["o"])
    return {p: o for p, (t, o) in first.items()}


def parse_assignment(data):
    """ConsumerProtocolAssignment (v0-v3): {topic: [partitions]}."""
    off = 2
    out = {}
    (n,) = struct.unpack_from(">i", data, off)
    off += 4
    for _ in range(n):
        (tl,) = struct.unpack_from(">h", data, off)
        topic = data[off + 2:off + 2 + tl].decode()
        off += 2 + tl
        (np_,) = struct.unpack_from(">i", data, off)
        off += 4
        out[topic] = list(struct.unpack_from(">%di" % np_, data, off))
        off += 4 * np_
    return out


def check_described_assignments(blobs, topic):
    """The assignments DescribeGroups returned cover every partition of
    topic exactly once."""
    parts = []
    for blob in blobs:
        parts += parse_assignment(bytes(blob)).get(topic, [])
    assert sorted(parts) == list(range(PARTITIONS)), \
        "described assignments %r" % parts


# -- scenarios -----------------------------------------------------------------

def scenario_failover(b, spawn, topic, group, sizes=(2, 2, 2)):
    """Three members share the topic, every partition exactly once; one
    is killed with SIGKILL; the others take over its partitions within
    the session timeout and resume at its committed offsets; nothing is
    lost. spawn(name, group) starts a Member."""
    produce(b, topic, 10)
    members = [spawn("m%d" % i, group) for i in range(3)]
    wait_balanced(members, sizes=sizes)
    wait_consumed(members, {p: 10 for p in range(PARTITIONS)})
    committed = {}
    for m in members:
        committed.update(m.commit())
    assert committed == {p: 10 for p in range(PARTITIONS)}, committed
    victim, survivors = members[0], members[1:]
    moved = victim.assignment()[0]
    t_kill = victim.kill9()
    t_done = wait_balanced(survivors, since=t_kill, timeout=SESSION_MS / 1000 + 30)
    took = t_done - t_kill
    print("rebalance after SIGKILL of %s: %.2f s (session.timeout.ms=%d, "
          "heartbeat.interval.ms=%d)" % (victim.name, took, SESSION_MS,
                                         HEARTBEAT_MS), flush=True)
    if not b.is_mock:
        # The member's last heartbeat was at most one interval before the
        # kill; the coordinator expires it one session timeout after that,
        # the others learn it at their next heartbeat and rejoin.
        low = (SESSION_MS - HEARTBEAT_MS) / 1000 - 0.5
        high = (SESSION_MS + 2 * HEARTBEAT_MS) / 1000 + 2.0
        assert low <= took <= high, "rebalance took %.2f s, want [%.1f, %.1f]" \
            % (took, low, high)
    produce(b, topic, 10, start=10)
    # Nothing is lost: every record was consumed, before or after.
    wait_consumed(members, {p: 20 for p in range(PARTITIONS)})
    after = wait_consumed(survivors, {p: 0 for p in range(PARTITIONS)},
                          since=t_kill)
    first = first_offsets(survivors, t_kill)
    for p in moved:
        # A partition of the dead member resumes at its committed offset:
        # nothing after it is skipped, nothing before it is read again.
        assert first.get(p) == committed[p], \
            "partition %d resumed at %r, committed %d" % (p, first.get(p),
                                                          committed[p])
        assert min(after[p]) == committed[p], sorted(after[p])
    for m in survivors:
        m.close()


def scenario_resume(b, spawn, topic, group, crash):
    """Commit explicit offsets, stop every member, restart the broker
    (clean, or SIGKILL when crash), start again: consumption resumes
    exactly at the committed offsets. Returns what was committed."""
    end = {p: 12 for p in range(PARTITIONS)}
    produce(b, topic, 12)
    members = [spawn("r%d" % i, group) for i in range(3)]
    wait_balanced(members)
    wait_consumed(members, end)
    want = {p: 3 + p for p in range(PARTITIONS)}
    for m in members:
        mine = {p: want[p] for p in m.assignment()[0]}
        got = m.commit(mine)
        assert got == mine, "committed %r, asked %r" % (got, mine)
    for m in members:
        m.close()
    if crash:
        b.kill9()
        b.start()
    else:
        b.restart()
    t0 = time.monotonic()
    members = [spawn("s%d" % i, group) for i in range(3)]
    wait_balanced(members, since=t0)
    seen = wait_consumed(members, end, since=t0, start=want)
    first = first_offsets(members, t0)
    assert first == want, "resumed at %r, committed %r (%s restart)" \
        % (first, want, "crash" if crash else "clean")
    for p in range(PARTITIONS):
        assert seen[p] == set(range(want[p], end[p])), \
            "partition %d re-read %r" % (p, sorted(seen[p]))
    for m in members:
        m.close()
    return want
