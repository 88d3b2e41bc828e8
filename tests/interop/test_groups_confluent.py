"""Consumer groups with librdkafka (Debian's python3-confluent-kafka 1.7.0).

Against a spawned sealogd, with members in child processes (this file
with --member runs one, see test_groups_common.py):
  - range: three members over six partitions, each partition exactly
    once; SIGKILL of one member -> the others take over within the
    session timeout and resume at its committed offsets, nothing lost;
  - roundrobin and cooperative-sticky: balance, a member leaves, the rest
    rebalance (cooperative: without giving up what they hold);
  - commit, stop every member, restart the broker (clean, then SIGKILL):
    consumption resumes exactly at the committed offsets;
  - a Stable group outlives a clean restart and a SIGKILL of the broker:
    its members keep their partitions, no rebalance;
  - static membership (group.instance.id): a member killed and restarted
    gets its partitions back without a rebalance (no assignment change
    anywhere, no "Preparing to rebalance" in the broker log); a second
    process with the same instance id fences the first
    (FENCED_INSTANCE_ID, fatal in librdkafka);
  - AdminClient.list_groups (ListGroups + DescribeGroups): state,
    protocol, members and their assignments (confluent-kafka 1.7.0 has
    no delete: test_groups_kafka_python.py and the wire test cover it).
"""

import json
import os
import queue
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_groups_common as common  # noqa: E402

TOPIC = "groups-confluent"


# -- the member child -----------------------------------------------------------

def member_main(cfg):
    import confluent_kafka as ck

    def emit(ev, **kw):
        kw["ev"] = ev
        sys.stdout.write(json.dumps(kw) + "\n")
        sys.stdout.flush()

    conf = {"bootstrap.servers": cfg["bootstrap"], "group.id": cfg["group"],
            "session.timeout.ms": cfg.get("session", common.SESSION_MS),
            "heartbeat.interval.ms": common.HEARTBEAT_MS,
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "partition.assignment.strategy": cfg["assignor"],
            # librdkafka gives its membership up after session.timeout.ms
            # without a heartbeat answer (SESSTMOUT), and its reconnect
            # backoff grows to 10 s: a broker restart of 3 s could be
            # seen 6 s late. Keep the reconnects prompt.
            "reconnect.backoff.max.ms": 500,
            "error_cb": lambda e: emit("error", what=str(e),
                                       fatal=e.fatal())}
    if cfg.get("instance"):
        conf["group.instance.id"] = cfg["instance"]
    c = ck.Consumer(conf)
    cooperative = cfg["assignor"] == "cooperative-sticky"
    topic = cfg["topic"]
    current = set()

    def on_assign(_c, parts):
        nonlocal current
        got = {tp.partition for tp in parts}
        current = current | got if cooperative else got
        emit("assignment", parts=sorted(current))

    def on_revoke(_c, parts):
        nonlocal current
        gone = {tp.partition for tp in parts}
        current = current - gone if cooperative else set()
        emit("assignment", parts=sorted(current))

    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    emit("ready")
    cmds = queue.Queue()
    threading.Thread(target=lambda: [cmds.put(x.strip()) for x in sys.stdin],
                     daemon=True).start()
    while True:
        m = c.poll(0.05)
        if m is not None and m.error():
            emit("error", what=str(m.error()), fatal=False)
        elif m is not None:
            emit("msg", p=m.partition(), o=m.offset(), v=m.value().decode())
        try:
            cmd = cmds.get_nowait()
        except queue.Empty:
            continue
        if cmd == "close":
            c.close()
            emit("closed")
            return 0
        arg = cmd[len("commit"):].strip()
        if arg:
            offs = {int(p): o for p, o in json.loads(arg).items()}
        else:
            tps = c.position([ck.TopicPartition(topic, p) for p in current])
            offs = {tp.partition: tp.offset for tp in tps if tp.offset >= 0}
        res = c.commit(offsets=[ck.TopicPartition(topic, p, o)
                                for p, o in offs.items()], asynchronous=False)
        emit("committed", offsets={str(tp.partition): tp.offset
                                   for tp in res if not tp.error})


# -- the test ---------------------------------------------------------------------

def spawner(b, topic, assignor, session_ms=None):
    def spawn(name, group, instance=None):
        cfg = {"bootstrap": b.bootstrap, "group": group, "topic": topic,
               "assignor": assignor, "instance": instance}
        if session_ms:
            cfg["session"] = session_ms
        return common.Member(name, [sys.executable, os.path.abspath(__file__),
                                    "--member", json.dumps(cfg)],
                             log_dir=b.tmp)
    return spawn


def scenario_assignor(b, assignor):
    topic, group = "%s-%s" % (TOPIC, assignor), "g-%s" % assignor
    spawn = spawner(b, topic, assignor)
    common.produce(b, topic, 5)
    members = [spawn("%s%d" % (assignor[:2], i), group) for i in range(3)]
    common.wait_balanced(members, sizes=(2, 2, 2))
    common.wait_consumed(members, {p: 5 for p in range(common.PARTITIONS)})
    held = {m.name: m.assignment()[0] for m in members[1:]}
    t0 = time.monotonic()
    members[0].close()  # LeaveGroup: the rest rebalance at once
    common.wait_balanced(members[1:], since=t0, sizes=(3, 3))
    if assignor == "cooperative-sticky":
        # Incremental: a survivor never gave up a partition it held.
        for m in members[1:]:
            for ev in m.snapshot():
                if ev["ev"] == "assignment" and ev["t"] >= t0:
                    assert held[m.name] <= set(ev["parts"]), \
                        "%s revoked %r" % (m.name, held[m.name] - set(ev["parts"]))
    common.produce(b, topic, 5, start=5)
    common.wait_consumed(members, {p: 10 for p in range(common.PARTITIONS)})
    for m in members[1:]:
        m.close()


def rebalances_logged(b, group):
    return b.log_bytes().count(
        ("Preparing to rebalance group %s " % group).encode())


def check_list_groups(b, group, state, members):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    found = [g for g in admin.list_groups(timeout=15) if g.id == group]
    assert len(found) == 1, "list_groups lacks %s" % group
    g = found[0]
    assert (g.state, g.protocol_type) == (state, "consumer"), \
        (g.state, g.protocol_type)
    assert len(g.members) == members, [m.id for m in g.members]
    if state == "Stable":
        assert g.protocol == "range", g.protocol
        assert all(m.client_host == "/127.0.0.1" for m in g.members)
        common.check_described_assignments([m.assignment for m in g.members],
                                           TOPIC + "-static")


def scenario_static(b):
    topic, group = TOPIC + "-static", "g-static"
    spawn = spawner(b, topic, "range")
    common.produce(b, topic, 5)
    members = [spawn("st%d" % i, group, "inst-%d" % i) for i in range(3)]
    common.wait_balanced(members, sizes=(2, 2, 2))
    common.wait_consumed(members, {p: 5 for p in range(common.PARTITIONS)})
    check_list_groups(b, group, "Stable", 3)
    before = members[1].assignment()[0]
    logged = rebalances_logged(b, group)
    t_kill = members[1].kill9()
    again = spawn("st1b", group, "inst-1")
    ev = again.wait_event("assignment", pred=lambda e: e["parts"])
    assert frozenset(ev["parts"]) == before, (ev["parts"], before)
    # Give the others two heartbeats: a rebalance would show now.
    time.sleep(2 * common.HEARTBEAT_MS / 1000 + 1)
    for m in (members[0], members[2]):
        assert m.count("assignment", since=t_kill) == 0, \
            "%s saw a rebalance after the static restart" % m.name
    assert rebalances_logged(b, group) == logged, "the broker rebalanced"
    common.produce(b, topic, 5, start=5)
    common.wait_consumed(members + [again],
                         {p: 10 for p in range(common.PARTITIONS)})
    # A second process with the same group.instance.id takes over; the
    # first is fenced at its next heartbeat.
    dup = spawn("st1c", group, "inst-1")
    ev = dup.wait_event("assignment", pred=lambda e: e["parts"])
    assert frozenset(ev["parts"]) == before, ev
    again.wait_event("error", pred=lambda e: "fenced" in e["what"].lower())
    assert rebalances_logged(b, group) == logged, "the broker rebalanced"
    for m in (members[0], members[2], dup):
        m.close()


def scenario_broker_restart(b):
    """A Stable group outlives a clean restart of the broker and a SIGKILL
    of it: the members reconnect, heartbeat in their generation and keep
    their partitions -- no rebalance, no assignment change."""
    topic, group = TOPIC + "-kept", "g-kept"
    # A longer session: the clients' own SESSTMOUT clock runs while the
    # broker is down, and a loaded CI machine restarts it slowly.
    session_ms = 10000
    spawn = spawner(b, topic, "range", session_ms)
    common.produce(b, topic, 3)
    members = [spawn("kp%d" % i, group) for i in range(3)]
    common.wait_balanced(members, sizes=(2, 2, 2))
    common.wait_consumed(members, {p: 3 for p in range(common.PARTITIONS)})
    for crash in (False, True):
        logged = rebalances_logged(b, group)
        t0 = time.monotonic()
        if crash:
            b.kill9()
            b.start()
        else:
            b.restart()
        down = time.monotonic() - t0
        print("broker %s and back in %.2f s" % (
            "killed" if crash else "restarted", down), flush=True)
        # The members must reach it within their session timeout, or
        # they give the membership up themselves (the client's rule).
        assert down < session_ms / 1000 - 3, \
            "the broker took %.2f s to come back" % down
        start = 3 if not crash else 6
        common.produce(b, topic, 3, start=start)
        common.wait_consumed(members, {p: start + 3
                                       for p in range(common.PARTITIONS)})
        # A member the broker forgot would be told at its next heartbeat;
        # one it restored without a fresh session deadline would expire
        # within a session timeout. Wait that long: nothing moves.
        time.sleep(session_ms / 1000 + 2)
        for m in members:
            assert m.count("assignment", since=t0) == 0, \
                "%s was reassigned after the %s" % (
                    m.name, "crash" if crash else "restart")
        assert rebalances_logged(b, group) == logged, "the broker rebalanced"
    for m in members:
        m.close()


def test():
    harness.need_module("confluent_kafka")
    b = harness.Broker(overrides=common.OVERRIDES,
                       mock_topics={TOPIC: common.PARTITIONS}).start()
    common.scenario_failover(b, spawner(b, TOPIC, "range"), TOPIC, "g-failover")
    if b.is_mock:
        return  # the mock cluster keeps nothing across restarts
    for assignor in ("roundrobin", "cooperative-sticky"):
        scenario_assignor(b, assignor)
    scenario_static(b)
    scenario_broker_restart(b)
    for crash, name in ((False, "-clean"), (True, "-crash")):
        common.scenario_resume(b, spawner(b, TOPIC + name, "range"),
                               TOPIC + name, "g" + name, crash=crash)
    b.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--member"]:
        sys.exit(member_main(json.loads(sys.argv[2])))
    common.run(test)
