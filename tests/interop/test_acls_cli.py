"""sealog-acls option handling, against kafka-acls 3.x (AclCommand):
every validation message, the order Kafka checks in, the exit status, and
the runtime-error line. No broker is needed: validation happens before
any connection (a few cases use --data-dir on a temporary directory).
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BS = ["--bootstrap-server", "127.0.0.1:1"]

# (arguments, first stderr line) -- each exits 1 with the usage after it
USAGE = [
    ([], "This tool helps to manage acls on kafka."),
    (["--help"], "This tool helps to manage acls on kafka."),
    (["--zookeeper", "x"], "zookeeper is not a recognized option"),
    (BS + ["--list", "--topic"], "Option topic requires an argument"),
    (BS + ["--list=yes"], "Option list does not take an argument"),
    (["--list"], "One of --bootstrap-server, --bootstrap-controller or "
     "--data-dir must be specified"),
    (BS + ["--authorizer", "x", "--list"],
     "Only one of --bootstrap-server or --authorizer must be specified"),
    (["--authorizer-properties", "zookeeper.connect=x", "--list"],
     "The --authorizer, --authorizer-properties and --zk-tls-config-file "
     "options (ZooKeeper) are not supported: use --bootstrap-server, or "
     "--data-dir on a stopped broker"),
    (BS + ["--bootstrap-controller", "x:1", "--list"],
     "Only one of --bootstrap-server or --bootstrap-controller must be "
     "specified"),
    (["--data-dir", "/tmp", "--command-config", "c", "--list"],
     "The --command-config option can only be used with --bootstrap-server "
     "option"),
    (BS, "Command must include exactly one action: --list, --add, "
     "--remove. "),
    (BS + ["--add", "--remove"], "Command must include exactly one action: "
     "--list, --add, --remove. "),
    (BS + ["--list", "--producer"],
     'Option "[list]" can\'t be used with option "[producer]"'),
    (BS + ["--list", "--allow-host", "h"],
     'Option "[list]" can\'t be used with option "[allow-host]"'),
    (BS + ["--add", "--producer", "--operation", "Read", "--topic", "t"],
     'Option "[producer]" can\'t be used with option "[operation]"'),
    (BS + ["--add", "--consumer", "--deny-principal", "User:a"],
     'Option "[consumer]" can\'t be used with option "[deny-principal]"'),
    (BS + ["--add", "--principal", "User:a"],
     "The --principal option is only available if --list is set"),
    (BS + ["--add", "--producer"],
     "With --producer you must specify a --topic"),
    (BS + ["--add", "--idempotent", "--topic", "t"],
     "The --idempotent option is only available if --producer is set"),
    (BS + ["--add", "--consumer", "--topic", "t"],
     "With --consumer you must specify a --topic and a --group and no "
     "--cluster or --transactional-id option should be specified."),
    (BS + ["--add", "--consumer", "--topic", "t", "--group", "g",
           "--cluster"],
     "With --consumer you must specify a --topic and a --group and no "
     "--cluster or --transactional-id option should be specified."),
    (BS + ["--add", "--allow-principal", "User:a"],
     "You must provide at least one resource: --topic <topic> or --cluster "
     "or --group <group> or --delegation-token <Delegation Token ID>"),
    (BS + ["--add", "--topic", "t"],
     "You must specify one of: --allow-principal, --deny-principal when "
     "trying to add ACLs."),
    (BS + ["--add", "--allow-principal", "User:a", "--topic", "t",
           "--resource-pattern-type", "match"],
     "A '--resource-pattern-type' value of 'MATCH' is not valid when adding "
     "acls."),
    (BS + ["--add", "--allow-principal", "User:a", "--topic", "t",
           "--operation", "ClusterAction"],
     "ResourceType TOPIC only supports operations Read, Write, Create, "
     "Describe, Delete, Alter, DescribeConfigs, AlterConfigs, All"),
    (BS + ["--add", "--allow-principal", "User:a", "--group", "g",
           "--operation", "IDEMPOTENT_WRITE"],
     "ResourceType GROUP only supports operations Read, Describe, Delete, "
     "DescribeConfigs, AlterConfigs, All"),
    (BS + ["--add", "--allow-principal", "User:a", "--transactional-id", "x",
           "--operation", "Read"],
     "ResourceType TRANSACTIONAL_ID only supports operations Describe, "
     "Write, All"),
    (BS + ["--add", "--allow-principal", "User:a", "--cluster",
           "--operation", "Read"],
     "ResourceType CLUSTER only supports operations Create, ClusterAction, "
     "DescribeConfigs, AlterConfigs, IdempotentWrite, Alter, Describe, All"),
    # --remove with MATCH on a cluster: no cluster filter (LITERAL only)
    (BS + ["--remove", "--cluster", "--resource-pattern-type", "match"],
     "You must provide at least one resource: --topic <topic> or --cluster "
     "or --group <group> or --delegation-token <Delegation Token ID>"),
    (BS + ["--explain", "--operation", "Read", "--topic", "t"],
     "With --explain you must specify exactly one --principal"),
    (BS + ["--explain", "--principal", "User:a", "--topic", "t"],
     "With --explain you must specify exactly one --operation"),
    (BS + ["--explain", "--principal", "User:a", "--operation", "Read",
           "--topic", "t", "--group", "g"],
     "With --explain you must specify exactly one resource: --topic, "
     "--group, --cluster, --transactional-id, --delegation-token or "
     "--user-principal"),
    (BS + ["--list", "--host", "1.2.3.4"],
     "The --host, --super-users and --allow-everyone-if-no-acl-found "
     "options are only available if --explain is set"),
]

# (arguments, the "Error while executing ACL command: ..." line): runtime
# errors raised inside Kafka's command, before any connection
RUNTIME = [
    (BS + ["--add", "--allow-principal", "alice", "--topic", "t"],
     "expected a string in format principalType:principalName but got "
     "alice"),
    (BS + ["--add", "--allow-principal", "User:a", "--topic", "t",
           "--resource-pattern-type", "bogus"],
     "Cannot parse argument 'bogus' of option resource-pattern-type"),
]


def tool():
    return os.path.join(os.environ.get("SEALOG_BUILD", "build"), "bin",
                        "sealog-acls")


def run(args, stdin=b""):
    res = subprocess.run([tool()] + args, input=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=30)
    return res.returncode, res.stdout.decode(), res.stderr.decode()


def test():
    if not os.access(tool(), os.X_OK):
        raise AssertionError("sealog-acls not built: %s" % tool())
    for args, first in USAGE:
        rc, out, err = run(args)
        lines = err.split("\n")
        assert rc == 1, (args, rc, out, err)
        assert lines[0] == first, "%r:\n  got  %r\n  want %r" % (
            args, lines[0], first)
        assert lines[1].startswith("Option ") and "Description" in lines[1], \
            (args, err[:300])
        assert out == "", (args, out)
    for args, msg in RUNTIME:
        rc, out, err = run(args)
        assert rc == 1 and out == \
            "Error while executing ACL command: %s\n" % msg, (args, out, err)
    rc, out, _ = run(["--version"])
    assert rc == 0 and out.startswith("0.1.0"), out
    # operation names: PascalCase or any case without underscores
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data")
        for op in ("IdempotentWrite", "IDEMPOTENTWRITE", "idempotentwrite"):
            rc, out, err = run(["--data-dir", data, "--add",
                                "--allow-principal", " User:a ",
                                "--operation", op, "--cluster"])
            assert rc == 0, (op, out, err)
            assert "(principal=User:a, host=*, operation=IDEMPOTENT_WRITE, " \
                "permissionType=ALLOW)" in out, out
        # non-option words are ignored, as joptsimple collects them
        rc, out, _ = run(["--data-dir", data, "--list", "stray", "--cluster"])
        assert rc == 0 and out.count("IDEMPOTENT_WRITE") == 1, out
        # --list on a directory that does not exist does not create it
        rc, out, _ = run(["--data-dir", os.path.join(d, "nope"), "--list"])
        assert rc == 1 and not os.path.exists(os.path.join(d, "nope")), out
        # the explain exit codes over the directory
        rc, out, _ = run(["--data-dir", data, "--explain", "--principal",
                          "User:a", "--operation", "Describe", "--cluster"])
        assert rc == 3 and "DefaultDeny" in out, out
        rc, out, _ = run(["--data-dir", data, "--explain", "--principal",
                          "User:root", "--operation", "Alter", "--cluster",
                          "--super-users", "User:x; User:root"])
        assert rc == 0 and "based on rule SuperUser" in out, out


if __name__ == "__main__":
    harness.run(test)
