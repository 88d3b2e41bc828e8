"""Consumer groups with kafka-python 2.0.2 (Debian's python3-kafka).

Against a spawned sealogd, with members in child processes (this file
with --member runs one, see test_groups_common.py):
  - range: three members over six partitions, each partition exactly
    once; SIGKILL of one member -> the others take over within the
    session timeout and resume at its committed offsets, nothing lost;
  - roundrobin and sticky: balance, a member leaves, the rest rebalance
    (sticky: keeping what they held);
  - commit (with metadata), stop every member, restart the broker (clean,
    then SIGKILL): consumption resumes exactly at the committed offsets;
  - KafkaAdminClient: list_consumer_groups, describe_consumer_groups
    (state, protocol, members' subscriptions and assignments),
    list_consumer_group_offsets (offsets and metadata after the
    restarts), delete_consumer_groups (NON_EMPTY_GROUP while members
    remain, GROUP_ID_NOT_FOUND for an unknown group, then deleted).
kafka-python 2.0.2 has no static membership (group.instance.id): the
wire test and test_groups_confluent.py cover it. Its sticky assignor
cannot rejoin on Python 3 (a client bug, worked around in the child, see
fixed_sticky).
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

TOPIC = "groups-kpy"


# -- the member child -----------------------------------------------------------

def fixed_sticky(base):
    """kafka-python 2.0.2's StickyPartitionAssignor.metadata() hands its
    encoder an iterator where a list is needed, so every rejoin after a
    first assignment raises TypeError on Python 3 (fixed in later
    kafka-python). The same bytes, built from a list."""
    from collections import defaultdict

    from kafka.coordinator.assignors.sticky.sticky_assignor import \
        StickyAssignorUserDataV1
    from kafka.coordinator.protocol import ConsumerProtocolMemberMetadata

    class FixedSticky(base):
        @classmethod
        def metadata(cls, topics):
            user_data = b""
            if cls.member_assignment is not None:
                by_topic = defaultdict(list)
                for tp in cls.member_assignment:
                    by_topic[tp.topic].append(tp.partition)
                # Keep a reference: encode() holds its object weakly.
                data = StickyAssignorUserDataV1(list(by_topic.items()),
                                                cls.generation)
                user_data = data.encode()
            return ConsumerProtocolMemberMetadata(cls.version, list(topics),
                                                  user_data)
    return FixedSticky


def member_main(cfg):
    from kafka import (ConsumerRebalanceListener, KafkaConsumer,
                       OffsetAndMetadata, TopicPartition)
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import \
        RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import \
        StickyPartitionAssignor

    def emit(ev, **kw):
        kw["ev"] = ev
        sys.stdout.write(json.dumps(kw) + "\n")
        sys.stdout.flush()

    assignor = {"range": RangePartitionAssignor,
                "roundrobin": RoundRobinPartitionAssignor,
                "sticky": fixed_sticky(StickyPartitionAssignor)}[cfg["assignor"]]
    topic = cfg["topic"]
    c = KafkaConsumer(bootstrap_servers=cfg["bootstrap"],
                      group_id=cfg["group"], client_id="kpy-" + cfg["name"],
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      session_timeout_ms=common.SESSION_MS,
                      heartbeat_interval_ms=common.HEARTBEAT_MS,
                      partition_assignment_strategy=[assignor])

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            emit("assignment", parts=[])

        def on_partitions_assigned(self, assigned):
            emit("assignment", parts=sorted(tp.partition for tp in assigned))

    c.subscribe([topic], listener=Listener())
    emit("ready")
    cmds = queue.Queue()
    threading.Thread(target=lambda: [cmds.put(x.strip()) for x in sys.stdin],
                     daemon=True).start()
    while True:
        for batch in c.poll(timeout_ms=50).values():
            for m in batch:
                emit("msg", p=m.partition, o=m.offset, v=m.value.decode())
        try:
            cmd = cmds.get_nowait()
        except queue.Empty:
            continue
        if cmd == "close":
            c.close(autocommit=False)
            emit("closed")
            return 0
        arg = cmd[len("commit"):].strip()
        if arg:
            offs = {int(p): o for p, o in json.loads(arg).items()}
        else:
            offs = {tp.partition: c.position(tp) for tp in c.assignment()}
        c.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "meta-%d" % p)
                  for p, o in offs.items()})
        emit("committed", offsets={str(p): o for p, o in offs.items()})


# -- the test ---------------------------------------------------------------------

def spawner(b, topic, assignor):
    def spawn(name, group):
        cfg = {"bootstrap": b.bootstrap, "group": group, "topic": topic,
               "assignor": assignor, "name": name}
        return common.Member(name, [sys.executable, os.path.abspath(__file__),
                                    "--member", json.dumps(cfg)],
                             log_dir=b.tmp)
    return spawn


def scenario_assignor(b, assignor):
    topic, group = "%s-%s" % (TOPIC, assignor), "kpy-%s" % assignor
    spawn = spawner(b, topic, assignor)
    common.produce(b, topic, 5)
    members = [spawn("%s%d" % (assignor[:2], i), group) for i in range(3)]
    common.wait_balanced(members, sizes=(2, 2, 2))
    common.wait_consumed(members, {p: 5 for p in range(common.PARTITIONS)})
    held = {m.name: m.assignment()[0] for m in members[1:]}
    t0 = time.monotonic()
    members[0].close()
    common.wait_balanced(members[1:], since=t0, sizes=(3, 3))
    if assignor == "sticky":
        for m in members[1:]:
            assert held[m.name] <= m.assignment()[0], \
                "%s lost %r" % (m.name, held[m.name] - m.assignment()[0])
    common.produce(b, topic, 5, start=5)
    common.wait_consumed(members, {p: 10 for p in range(common.PARTITIONS)})
    for m in members[1:]:
        m.close()


def err_name(err):
    return getattr(err, "__name__", type(err).__name__)


def scenario_admin(b, committed):
    """Describe a live group, check the offsets committed before the
    restarts, delete groups."""
    from kafka import KafkaAdminClient, TopicPartition
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap,
                             client_id="kpy-admin")
    topic, group = TOPIC + "-admin", "kpy-admin"
    spawn = spawner(b, topic, "range")
    common.produce(b, topic, 2)
    members = [spawn("ad%d" % i, group) for i in range(3)]
    common.wait_balanced(members, sizes=(2, 2, 2))
    listed = dict(admin.list_consumer_groups())
    assert listed.get(group) == "consumer", listed
    (info,) = admin.describe_consumer_groups([group])
    assert (info.state, info.protocol_type, info.protocol) == \
        ("Stable", "consumer", "range"), info
    assert len(info.members) == 3, info.members
    parts = []
    for m in info.members:
        assert m.client_host == "/127.0.0.1" and m.client_id.startswith("kpy-")
        assert m.member_metadata.subscription == [topic], m.member_metadata
        parts += [p for t, ps in m.member_assignment.assignment
                  if t == topic for p in ps]
    assert sorted(parts) == list(range(common.PARTITIONS)), parts
    res = dict(admin.delete_consumer_groups([group, "kpy-missing"]))
    assert err_name(res[group]) == "NonEmptyGroupError", res
    assert err_name(res["kpy-missing"]) == "GroupIdNotFoundError", res
    for m in members:
        m.close()
    (info,) = admin.describe_consumer_groups([group])
    assert (info.state, info.members) == ("Empty", []), info
    # What was committed (with metadata) before the restarts is there.
    group_c, topic_c, want = committed
    offs = admin.list_consumer_group_offsets(group_c)
    got = {tp.partition: (om.offset, om.metadata) for tp, om in offs.items()
           if tp.topic == topic_c}
    assert got == {p: (o, "meta-%d" % p) for p, o in want.items()}, got
    res = dict(admin.delete_consumer_groups([group, group_c]))
    assert all(err_name(e) == "NoError" for e in res.values()), res
    listed = dict(admin.list_consumer_groups())
    assert group not in listed and group_c not in listed, listed
    (info,) = admin.describe_consumer_groups([group_c])
    assert info.state == "Dead", info
    assert admin.list_consumer_group_offsets(
        group_c, partitions=[TopicPartition(topic_c, 0)])[
        TopicPartition(topic_c, 0)].offset == -1
    admin.close()


def test():
    harness.need_module("kafka")
    b = harness.Broker(overrides=common.OVERRIDES,
                       mock_topics={TOPIC: common.PARTITIONS}).start()
    common.scenario_failover(b, spawner(b, TOPIC, "range"), TOPIC, "kpy-failover")
    if b.is_mock:
        return  # the mock cluster keeps nothing across restarts
    for assignor in ("roundrobin", "sticky"):
        scenario_assignor(b, assignor)
    committed = None
    for crash, name in ((False, "-clean"), (True, "-crash")):
        want = common.scenario_resume(b, spawner(b, TOPIC + name, "range"),
                                      TOPIC + name, "kpy" + name, crash=crash)
        committed = committed or ("kpy" + name, TOPIC + name, want)
    b.restart()
    scenario_admin(b, committed)
    b.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--member"]:
        sys.exit(member_main(json.loads(sys.argv[2])))
    common.run(test)
