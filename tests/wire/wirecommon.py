"""Shared set-up for wire tests: the interop harness plus kwire."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

import harness  # noqa: E402,F401
import kwire  # noqa: E402,F401


def assert_serves(port):
    """A fresh client still gets ApiVersions answered: the broker is up."""
    with kwire.connect(port) as s:
        r = kwire.call(s, kwire.API_VERSIONS, 0, 4242, b"")
        err, apis = kwire.parse_api_versions(r, 0)
        assert err == 0 and kwire.API_VERSIONS in apis, (err, apis)
