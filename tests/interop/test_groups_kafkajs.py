"""Consumer groups with kafkajs 2.2.4 (npm, tests/interop/node/groups.js).

Against a spawned sealogd, with members in node child processes:
  - three members (kafkajs' RoundRobinAssigner) over six partitions, each
    partition exactly once; SIGKILL of one member -> the others take over
    within the session timeout and resume at its committed offsets,
    nothing lost;
  - commit (with metadata), stop every member, restart the broker (clean,
    then SIGKILL): consumption resumes exactly at the committed offsets;
  - admin: listGroups, describeGroups (state, protocol, members and their
    assignments), fetchOffsets (offsets and metadata after the restarts),
    deleteGroups (NON_EMPTY_GROUP while members remain, then deleted).
kafkajs has no static membership: the wire test and
test_groups_confluent.py cover it.
"""

import base64
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_groups_common as common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
SCRIPT = os.path.join(NODE_DIR, "groups.js")
TOPIC = "groups-kjs"
PROTOCOL = "RoundRobinAssigner"
NON_EMPTY_GROUP = 68


def need_node():
    node = shutil.which("node")
    if not node:
        harness.skip("node not installed")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "kafkajs")):
        harness.skip("kafkajs not installed: run `npm ci` in %s" % NODE_DIR)
    return node


def spawner(b, node, topic):
    env = dict(os.environ, KAFKAJS_NO_PARTITIONER_WARNING="1")

    def spawn(name, group):
        cfg = {"bootstrap": b.bootstrap, "group": group, "topic": topic,
               "name": name, "sessionMs": common.SESSION_MS,
               "heartbeatMs": common.HEARTBEAT_MS}
        return common.Member(name, [node, SCRIPT, "member", json.dumps(cfg)],
                             cwd=NODE_DIR, env=env, log_dir=b.tmp)
    return spawn


def admin(b, node, op, groups=(), topic=None):
    cfg = {"bootstrap": b.bootstrap, "op": op, "groups": list(groups),
           "topic": topic}
    res = subprocess.run([node, SCRIPT, "admin", json.dumps(cfg)],
                         cwd=NODE_DIR, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    if res.returncode != 0:
        raise AssertionError("kafkajs admin %s failed: %s"
                             % (op, res.stderr.decode("utf-8", "replace")))
    return json.loads(res.stdout.decode().strip().splitlines()[-1])


def scenario_admin(b, node, committed):
    topic, group = TOPIC + "-admin", "kjs-admin"
    common.produce(b, topic, 2)
    members = [spawner(b, node, topic)("ad%d" % i, group) for i in range(3)]
    common.wait_balanced(members, sizes=(2, 2, 2))
    listed = {g["groupId"]: g["protocolType"]
              for g in admin(b, node, "list")["groups"]}
    assert listed.get(group) == "consumer", listed
    (desc,) = admin(b, node, "describe", [group])
    assert (desc["state"], desc["protocolType"], desc["protocol"]) == \
        ("Stable", "consumer", PROTOCOL), desc
    assert sorted(m["clientId"] for m in desc["members"]) == \
        ["kjs-ad0", "kjs-ad1", "kjs-ad2"], desc["members"]
    common.check_described_assignments(
        [base64.b64decode(m["memberAssignment"]) for m in desc["members"]],
        topic)
    res = admin(b, node, "delete", [group])
    assert res.get("error") == "KafkaJSDeleteGroupsError" and \
        res["results"][0]["errorCode"] == NON_EMPTY_GROUP, res
    for m in members:
        m.close()
    (desc,) = admin(b, node, "describe", [group])
    assert (desc["state"], desc["members"]) == ("Empty", []), desc
    # What was committed (with metadata) before the restarts is there.
    group_c, topic_c, want = committed
    (offs,) = admin(b, node, "offsets", [group_c], topic_c)
    got = {p["partition"]: (int(p["offset"]), p["metadata"])
           for p in offs["partitions"]}
    assert got == {p: (o, "meta-%d" % p) for p, o in want.items()}, got
    res = admin(b, node, "delete", [group, group_c])
    assert sorted(r["groupId"] for r in res["results"]) == \
        sorted([group, group_c]) and \
        all(r["errorCode"] == 0 for r in res["results"]), res
    listed = {g["groupId"] for g in admin(b, node, "list")["groups"]}
    assert group not in listed and group_c not in listed, listed


def test():
    node = need_node()
    b = harness.Broker(overrides=common.OVERRIDES,
                       mock_topics={TOPIC: common.PARTITIONS}).start()
    common.scenario_failover(b, spawner(b, node, TOPIC), TOPIC, "kjs-failover")
    if b.is_mock:
        return  # the mock cluster keeps nothing across restarts
    committed = None
    for crash, name in ((False, "-clean"), (True, "-crash")):
        want = common.scenario_resume(b, spawner(b, node, TOPIC + name),
                                      TOPIC + name, "kjs" + name, crash=crash)
        committed = committed or ("kjs" + name, TOPIC + name, want)
    b.restart()
    scenario_admin(b, node, committed)
    b.stop()


if __name__ == "__main__":
    common.run(test)
