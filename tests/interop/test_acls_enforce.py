"""ACL enforcement by the data and group APIs, as the Kafka test suites
exercise it: PLAINTEXT, an authorizer, allow.everyone.if.no.acl.found=true
and DENY ACLs for User:* (trivup, kafka-python fixtures, kafka-go), plus a
super user, a prefixed allow without the fallback, and a revocation that
reaches an open producer connection.

Every handler authorizes through broker/authorize.c.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TOPIC_AUTHZ, GROUP_AUTHZ, CLUSTER_AUTHZ = 29, 30, 31
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def admin_acl(b, principal, op, perm, rtype, name, ptype=None):
    from kafka.admin import (ACL, ACLResourcePatternType, KafkaAdminClient,
                             ResourcePattern)
    a = KafkaAdminClient(bootstrap_servers=b.bootstrap,
                         request_timeout_ms=15000)
    res = a.create_acls([ACL(principal, "*", op, perm, ResourcePattern(
        rtype, name, ptype or ACLResourcePatternType.LITERAL))])
    a.close()
    assert not res["failed"], res


def produce(p, topic, value):
    errs = []
    p.produce(topic, value, on_delivery=lambda e, m: errs.append(e))
    p.flush(20)
    assert len(errs) == 1, "no delivery report"
    return errs[0]


def test_deny_user_star(b):
    ck = harness.need_module("confluent_kafka")
    from kafka.admin import ACLOperation, ACLPermissionType, ResourceType
    p = ck.Producer({"bootstrap.servers": b.bootstrap,
                     "message.send.max.retries": 0})
    assert produce(p, "open-topic", b"v") is None
    assert produce(p, "denied-topic", b"v") is None
    # revocation: the producer's connection stays open across the change
    admin_acl(b, "User:*", ACLOperation.WRITE, ACLPermissionType.DENY,
              ResourceType.TOPIC, "denied-topic")
    e = produce(p, "denied-topic", b"v2")
    assert e is not None and e.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED, e
    assert produce(p, "open-topic", b"v3") is None
    # Metadata lists only the topics the principal may describe
    admin_acl(b, "User:*", ACLOperation.DESCRIBE, ACLPermissionType.DENY,
              ResourceType.TOPIC, "denied-topic")
    md = p.list_topics(timeout=10)
    assert "open-topic" in md.topics and "denied-topic" not in md.topics, \
        list(md.topics)
    # Fetch needs READ. Any ACL on a topic removes the
    # allow.everyone.if.no.acl.found fallback for it (Kafka's rule), so
    # Describe must now be allowed explicitly for Metadata to pass.
    admin_acl(b, "User:*", ACLOperation.DESCRIBE, ACLPermissionType.ALLOW,
              ResourceType.TOPIC, "open-topic")
    admin_acl(b, "User:*", ACLOperation.READ, ACLPermissionType.DENY,
              ResourceType.TOPIC, "open-topic")
    c = ck.Consumer({"bootstrap.servers": b.bootstrap, "group.id": "g-open",
                     "auto.offset.reset": "earliest"})
    c.assign([ck.TopicPartition("open-topic", 0, 0)])
    deadline = time.monotonic() + 20
    err = None
    while err is None and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is not None and m.error():
            err = m.error()
    c.close()
    assert err is not None and err.code() == \
        ck.KafkaError.TOPIC_AUTHORIZATION_FAILED, err


def test_group_denied(b):
    from kafka import KafkaConsumer, errors
    from kafka.admin import ACLOperation, ACLPermissionType, ResourceType
    admin_acl(b, "User:*", ACLOperation.READ, ACLPermissionType.DENY,
              ResourceType.GROUP, "no-group")
    c = KafkaConsumer("open-topic", bootstrap_servers=b.bootstrap,
                      group_id="no-group", consumer_timeout_ms=5000)
    try:
        c.poll(timeout_ms=5000)
        raise AssertionError("joined a denied group")
    except errors.GroupAuthorizationFailedError:
        pass
    finally:
        c.close()


def test_prefixed_without_fallback():
    """No fallback: a prefixed ALLOW for User:ANONYMOUS is all it has."""
    ck = harness.need_module("confluent_kafka")
    ov = {"authorizer.class.name": AUTHORIZER, "super.users": "User:nobody"}
    with harness.Broker(ov) as b:
        harness_dir = b.data_dir
        b.stop()
        import subprocess
        tool = os.path.join(os.environ.get("SEALOG_BUILD", "build"), "bin",
                            "sealog-acls")
        subprocess.run([tool, "--data-dir", harness_dir, "--add",
                        "--allow-principal", "User:ANONYMOUS", "--producer",
                        "--topic", "app.", "--resource-pattern-type",
                        "prefixed"], check=True, stdout=subprocess.DEVNULL)
        b.start()
        p = ck.Producer({"bootstrap.servers": b.bootstrap,
                         "message.send.max.retries": 0})
        assert produce(p, "app.events", b"x") is None
        e = produce(p, "other", b"x")
        assert e is not None and e.code() in (
            ck.KafkaError.TOPIC_AUTHORIZATION_FAILED,
            ck.KafkaError._MSG_TIMED_OUT), e


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no authorizer")
    harness.need_module("kafka")
    ov = {"authorizer.class.name": AUTHORIZER,
          "allow.everyone.if.no.acl.found": "true"}
    with harness.Broker(ov) as b:
        test_deny_user_star(b)
        test_group_denied(b)
    test_prefixed_without_fallback()


if __name__ == "__main__":
    harness.run(test)
