"""sealogd start-up and shutdown contract (kafka-server-start.sh-like).

- a config file given as argument is read (server.properties syntax);
- a bad value exits 2 and the message names the key;
- an unreadable / missing config file exits 2 and names the file;
- SIGTERM exits 0 within 5 s, also after serving a client;
- a restart on the same data directory comes up again.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

EXIT_TIMEOUT = 10


def expect_config_error(overrides=None, config_file=None, names=()):
    b = harness.Broker(overrides=overrides, config_file=config_file)
    try:
        b.spawn()
        rc = b.wait_exit(EXIT_TIMEOUT)
        if rc is None:
            raise AssertionError("broker kept running with a bad config "
                                 "(%r, %r)" % (overrides, config_file))
        log = b.log_bytes().split(b"=== start")[-1].decode("utf-8",
                                                            "replace")
        assert rc == 2, "exit %d, want 2; output:\n%s" % (rc, log)
        for name in names:
            assert name in log, "message does not name %r:\n%s" % (name,
                                                                     log)
    finally:
        b.close()


def test_bad_values():
    cases = [
        ("num.partitions", "abc"),
        ("num.partitions", "0"),
        ("auto.create.topics.enable", "maybe"),
        ("listeners", "PLAINTEXT://127.0.0.1:notaport"),
        ("socket.request.max.bytes", "-5"),
    ]
    for key, value in cases:
        expect_config_error(overrides={key: value}, names=(key,))


def test_unreadable_file():
    b = harness.Broker()
    missing = os.path.join(b.tmp, "no-such-server.properties")
    a_dir = os.path.join(b.tmp, "a-directory.properties")
    os.mkdir(a_dir)
    # chmod 000 does not stop root, so use a missing path and a directory.
    expect_config_error(config_file=missing, names=(missing,))
    expect_config_error(config_file=a_dir, names=(a_dir,))
    b.close()


def test_config_file_and_sigterm():
    b = harness.Broker()
    port = harness.free_port()
    path = os.path.join(b.tmp, "server.properties")
    with open(path, "w") as f:
        f.write("# comment\nnode.id=1\nprocess.roles=broker,controller\n"
                "listeners=PLAINTEXT://127.0.0.1:%d\nlog.dirs=%s\n"
                "num.partitions = 2\n" % (port, b.data_dir))
    b.config_file = path
    b.overrides = {}
    b.port = port
    b.bootstrap = "127.0.0.1:%d" % port
    # The file alone must be enough: drop the harness's own overrides.
    b.argv = lambda: [harness.sealogd_path(), path]
    b.start()
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    assert os.path.isdir(b.data_dir), "log.dirs from the file not used"
    b.stop()
    b.start()
    b.stop()
    b.close()


def test_sigterm_idle():
    b = harness.Broker().start()
    b.stop()
    b.restart()
    b.stop()
    b.close()


def test():
    if harness.target_is_mock():
        harness.skip("start-up contract is sealogd's, not the mock's")
    test_sigterm_idle()
    test_config_file_and_sigterm()
    test_bad_values()
    test_unreadable_file()


if __name__ == "__main__":
    harness.run(test)
