"""HfFileSystem answers for tests/tests/fs.rs: runs the operations listed in HUBTEST_FS_SPEC
(JSON) with Python's HfFileSystem and emits normalised answers, one per operation, in order.

Entries carry `last_commit` (oid, title, date in microseconds) when Python gives one: `ls`
with `detail=True, expand_info=True` and `info` (expanded by default) do.

Spec keys (all optional): "resolve", "ls", "info",
"glob", "find" ([path, maxdepth, withdirs]), "du", "cat" ([path, start, end]), "walk",
"exists", "modified" (commit date as a Unix timestamp).
"""

import datetime
import hashlib
import json

from hubtest import emit, env, ENDPOINT, TOKEN
from huggingface_hub import HfFileSystem


def entry(info):
    out = {"name": info["name"], "size": info["size"], "type": info["type"]}
    if info.get("blob_id") is not None:
        out["blob_id"] = info["blob_id"]
    lfs = info.get("lfs")
    if lfs is not None:
        out["lfs"] = {"size": lfs["size"], "sha256": lfs["sha256"], "pointer_size": lfs["pointer_size"]}
    commit = info.get("last_commit")
    if commit is not None:
        out["last_commit"] = {"oid": commit.oid, "title": commit.title, "date": micros(commit.date)}
    return out


def micros(date):
    """A datetime as exact microseconds since the epoch (None stays None)."""
    if date is None:
        return None
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (date - epoch) // datetime.timedelta(microseconds=1)


def error(e):
    msg = str(e)
    reason = None
    for tag in ("repository not found", "revision not found", "invalid repository id"):
        if msg.endswith("(" + tag + ")"):
            reason = tag
    return {"error": type(e).__name__, "reason": reason}


def attempt(fn):
    try:
        return fn()
    except (FileNotFoundError, NotImplementedError, ValueError) as e:
        return error(e)
    except Exception:  # noqa: BLE001 - any other failure (HTTP error) is compared as a class
        return {"error": "Other", "reason": None}


def main():
    spec = json.loads(env("FS_SPEC"))
    fs = HfFileSystem(endpoint=ENDPOINT, token=TOKEN)
    out = {}

    def resolve(p):
        r = fs.resolve_path(p)
        return {
            "repo_type": r.repo_type,
            "repo_id": r.repo_id,
            "revision": r.revision,
            "path_in_repo": r.path_in_repo,
            "unresolve": r.unresolve(),
        }

    out["resolve"] = [attempt(lambda p=p: resolve(p)) for p in spec.get("resolve", [])]
    out["ls"] = [
        attempt(lambda p=p: sorted((entry(i) for i in fs.ls(p, detail=True, expand_info=True)), key=lambda e: e["name"]))
        for p in spec.get("ls", [])
    ]
    out["info"] = [attempt(lambda p=p: entry(fs.info(p))) for p in spec.get("info", [])]
    out["glob"] = [attempt(lambda p=p: fs.glob(p)) for p in spec.get("glob", [])]
    out["find"] = [
        attempt(lambda a=a: fs.find(a[0], maxdepth=a[1], withdirs=a[2])) for a in spec.get("find", [])
    ]
    out["du"] = [attempt(lambda p=p: fs.du(p)) for p in spec.get("du", [])]
    out["cat"] = [
        attempt(lambda a=a: hashlib.sha256(fs.cat_file(a[0], start=a[1], end=a[2])).hexdigest())
        for a in spec.get("cat", [])
    ]
    out["walk"] = [
        attempt(lambda p=p: [[root, sorted(dirs), sorted(files)] for root, dirs, files in fs.walk(p)])
        for p in spec.get("walk", [])
    ]
    out["exists"] = [fs.exists(p) for p in spec.get("exists", [])]
    out["modified"] = [int(fs.modified(p).timestamp()) for p in spec.get("modified", [])]
    emit(out)


main()
