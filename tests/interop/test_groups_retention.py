"""offsets.retention.minutes with real clients, in real time (label slow).

offsets.retention.minutes=1 and offsets.retention.check.interval.ms=1000:
  - a group that only stores offsets (kafka-python assign + commit, no
    generation): its offset expires a minute after the commit, and the
    group with it;
  - a consumer group whose members all left (librdkafka): its offsets
    expire a minute after it became Empty;
  - a Stable consumer group (KIP-496): the offset of a topic no member
    subscribes to expires a minute after its commit, while the group's
    subscribed topic keeps its offset.
Observed with kafka-python's KafkaAdminClient. The rules themselves are
unit-tested with a moved clock (tests/unit/group/group_expiry_test.c);
this checks the timer and the clients' view.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_groups_common as common  # noqa: E402
import test_groups_confluent as confluent  # noqa: E402

RETENTION_S = 60
CHECK_S = 1.0
SUBSCRIBED, OTHER = "ret-subscribed", "ret-other"


def standalone_commit(b, group, topic, offset):
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=group,
                      enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.commit({tp: OffsetAndMetadata(offset, "standalone")})
    c.close(autocommit=False)
    return time.monotonic()


def offsets(admin, group):
    return {(tp.topic, tp.partition): om.offset
            for tp, om in admin.list_consumer_group_offsets(group).items()}


def test():
    harness.need_module("kafka")
    harness.need_module("confluent_kafka")
    if harness.target_is_mock():
        harness.skip("offset retention is sealog's")
    from kafka import KafkaAdminClient
    ov = dict(common.OVERRIDES, **{
        "offsets.retention.minutes": "1",
        "offsets.retention.check.interval.ms": str(int(CHECK_S * 1000))})
    b = harness.Broker(overrides=ov).start()
    common.produce(b, SUBSCRIBED, 3)
    common.produce(b, OTHER, 3)
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
    t_alone = standalone_commit(b, "ret-alone", OTHER, 2)
    t_other = standalone_commit(b, "ret-stable", OTHER, 1)
    spawn = confluent.spawner(b, SUBSCRIBED, "range")
    stable = spawn("stable", "ret-stable")
    leaving = spawn("leaving", "ret-empty")
    common.wait_balanced([stable])
    common.wait_consumed([stable], {p: 3 for p in range(common.PARTITIONS)})
    stable.commit()
    leaving.wait_event("assignment", pred=lambda e: e["parts"])
    leaving.commit({0: 1})
    leaving.close()
    t_empty = time.monotonic()
    assert offsets(admin, "ret-stable")[(OTHER, 0)] == 1
    assert offsets(admin, "ret-empty") == {(SUBSCRIBED, 0): 1}
    gone = {}
    deadline = t_empty + RETENTION_S + 15
    while len(gone) < 3 and time.monotonic() < deadline:
        now = time.monotonic()
        if "alone" not in gone and not offsets(admin, "ret-alone"):
            gone["alone"] = now - t_alone
        if "empty" not in gone and not offsets(admin, "ret-empty"):
            gone["empty"] = now - t_empty
        stable_offs = offsets(admin, "ret-stable")
        if "other" not in gone and (OTHER, 0) not in stable_offs:
            gone["other"] = now - t_other
        time.sleep(0.25)
    print("expired after (s): %s" % json.dumps(gone), flush=True)
    assert len(gone) == 3, gone
    for what, took in gone.items():
        assert RETENTION_S - 1 <= took <= RETENTION_S + CHECK_S + 3, (what, took)
    # The subscribed topic of the Stable group keeps its offsets.
    kept = offsets(admin, "ret-stable")
    assert kept == {(SUBSCRIBED, p): 3 for p in range(common.PARTITIONS)}, kept
    listed = dict(admin.list_consumer_groups())
    assert "ret-alone" not in listed and "ret-empty" not in listed, listed
    assert listed.get("ret-stable") == "consumer", listed
    stable.close()
    admin.close()
    b.stop()


if __name__ == "__main__":
    common.run(test)
