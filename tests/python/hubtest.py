"""Helpers shared by the interop scripts (imported via PYTHONPATH=tests/python).

Conventions of every script:
  * the server comes from HF_ENDPOINT, alice's write token from HF_TOKEN; other inputs come from
    HUBTEST_* environment variables set by the Rust test (see tests/tests/interop_server.rs);
  * assertions raise (non-zero exit, traceback on stderr);
  * the last line printed on stdout is one JSON object that the Rust test checks again.
"""

import hashlib
import json
import os
import sys

import huggingface_hub
from huggingface_hub import HfApi
from huggingface_hub import errors as hf_errors

VERSION = huggingface_hub.__version__
IS_026 = VERSION.startswith("0.")
ENDPOINT = os.environ["HF_ENDPOINT"]
TOKEN = os.environ["HF_TOKEN"]


def env(name, default=None):
    """A HUBTEST_* input, required unless a default is given."""
    value = os.environ.get("HUBTEST_" + name, default)
    if value is None:
        raise KeyError("missing environment variable HUBTEST_" + name)
    return value


def api(token=None):
    """An HfApi on the test server; token=False means anonymous."""
    return HfApi(endpoint=ENDPOINT, token=TOKEN if token is None else token)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def raises(exc_class, fn, *args, **kwargs):
    """Calls fn and asserts it raises exc_class; returns a short description of the error."""
    try:
        fn(*args, **kwargs)
    except exc_class as e:  # noqa: PERF203 - explicit check is the point
        status = getattr(getattr(e, "response", None), "status_code", None)
        return {"type": type(e).__name__, "status": status, "request_id": getattr(e, "request_id", None)}
    except Exception as e:  # wrong kind: show what we got
        raise AssertionError(f"expected {exc_class.__name__}, got {type(e).__name__}: {e}") from e
    raise AssertionError(f"expected {exc_class.__name__}, but the call succeeded")


def emit(obj):
    """Prints the result line the Rust side parses."""
    obj = dict(obj)
    obj["huggingface_hub"] = VERSION
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


RepositoryNotFoundError = hf_errors.RepositoryNotFoundError
RevisionNotFoundError = hf_errors.RevisionNotFoundError
EntryNotFoundError = hf_errors.EntryNotFoundError
HfHubHTTPError = hf_errors.HfHubHTTPError
