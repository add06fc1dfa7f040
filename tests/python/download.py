"""Downloads for every revision form (branch, tag, commit sha, refs/pr/N) with hf_hub_download and
snapshot_download, into the cache and into a local_dir, plus the typed download errors.

The Rust test wrote the inputs (HUBTEST_WORK/input) and compares every downloaded file to them."""

import os

from huggingface_hub import CommitOperationAdd, hf_hub_download, snapshot_download

from hubtest import (
    IS_026,
    EntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    api,
    check_eq,
    emit,
    env,
    raises,
    sha256_bytes,
)

ns = env("NS")
work = env("WORK")
inp = os.path.join(work, "input")
cache = os.path.join(work, "cache")
repo = f"{ns}/{env('PREFIX')}-download"
hf = api()
out = {"repo": repo}


def add(path_in_repo, name):
    return CommitOperationAdd(path_in_repo=path_in_repo, path_or_fileobj=os.path.join(inp, name))


hf.create_repo(repo)
c1 = hf.create_commit(
    repo,
    [add("text.txt", "text_v1.txt"), add("weights.bin", "weights_v1.bin"), add("sub/nested.bin", "nested.bin")],
    commit_message="v1",
).oid
hf.create_tag(repo, tag="v1", revision=c1)
hf.create_branch(repo, branch="dev", revision=c1)
c2 = hf.create_commit(
    repo, [add("text.txt", "text_v2.txt"), add("weights.bin", "weights_v2.bin")], commit_message="v2"
).oid
hf.create_commit(repo, [add("dev.txt", "dev.txt")], commit_message="dev work", revision="dev")
pr = hf.create_commit(repo, [add("pr.bin", "pr.bin")], commit_message="proposal", create_pr=True)
check_eq(pr.pr_revision, "refs/pr/1", "pr revision")
out["commits"] = {"c1": c1, "c2": c2}

revisions = {"main": "main", "dev": "dev", "tag": "v1", "sha": c1, "pr": "refs/pr/1"}
files_per_rev = {
    "main": ["text.txt", "weights.bin", "sub/nested.bin"],
    "dev": ["text.txt", "weights.bin", "sub/nested.bin", "dev.txt"],
    "tag": ["text.txt", "weights.bin", "sub/nested.bin"],
    "sha": ["text.txt", "weights.bin", "sub/nested.bin"],
    "pr": ["text.txt", "weights.bin", "sub/nested.bin", "pr.bin"],
}
result = {}
for label, rev in revisions.items():
    single = {
        f: hf_hub_download(repo, f, revision=rev, cache_dir=os.path.join(cache, "single")) for f in files_per_rev[label]
    }
    snap_dir = snapshot_download(repo, revision=rev, cache_dir=os.path.join(cache, "snapshot"))
    snap = {}
    for root, _dirs, names in os.walk(snap_dir):
        for n in names:
            full = os.path.join(root, n)
            snap[os.path.relpath(full, snap_dir)] = full
    result[label] = {
        "single": single,
        "snapshot": snap,
        "snapshot_commit": os.path.basename(snap_dir),
        "info_sha": hf.model_info(repo, revision=rev).sha,
    }
out["revisions"] = result

# File metadata (HEAD): ETag is the sha256 for LFS files and the git blob id otherwise, and the
# commit is the resolved revision.
from huggingface_hub import get_hf_file_metadata, hf_hub_url  # noqa: E402

meta_lfs = get_hf_file_metadata(hf_hub_url(repo, "weights.bin"), token=hf.token)
meta_reg = get_hf_file_metadata(hf_hub_url(repo, "text.txt", revision="v1"), token=hf.token)
out["meta_lfs"] = {"etag": meta_lfs.etag, "size": meta_lfs.size, "commit": meta_lfs.commit_hash}
out["meta_regular"] = {"etag": meta_reg.etag, "size": meta_reg.size, "commit": meta_reg.commit_hash}

# local_dir: real files (no symlinks) plus the .cache/huggingface metadata.
local = os.path.join(work, "local")
snapshot_download(repo, local_dir=local)
out["local_dir_files"] = sorted(
    os.path.relpath(os.path.join(r, n), local)
    for r, _d, ns_ in os.walk(local)
    for n in ns_
    if ".cache" not in os.path.relpath(r, local).split(os.sep)
)
out["local_dir_path"] = local

# snapshot_download with patterns only fetches what matches.
only_bins = snapshot_download(repo, allow_patterns=["*.bin"], ignore_patterns=["sub/*"], cache_dir=os.path.join(cache, "patterns"))
out["pattern_files"] = sorted(
    os.path.relpath(os.path.join(r, n), only_bins) for r, _d, ns_ in os.walk(only_bins) for n in ns_
)

# File names that need percent-encoding in resolve URLs and the tree API.
odd = "odd dir/my file+x#?&=%.txt"
hf.upload_file(path_or_fileobj=os.path.join(inp, "text_v1.txt"), path_in_repo=odd, repo_id=repo)
out["odd_download"] = hf_hub_download(repo, odd, cache_dir=os.path.join(cache, "odd"))
out["odd_tree"] = [e.path for e in hf.list_repo_tree(repo, path_in_repo="odd dir")]
out["odd_paths_info"] = [e.path for e in hf.get_paths_info(repo, [odd])]

# Datasets and Spaces use their own URL prefixes.
for repo_type in ["dataset", "space"]:
    rid = f"{ns}/{env('PREFIX')}-{repo_type}"
    kwargs = {"space_sdk": "static"} if repo_type == "space" else {}
    hf.create_repo(rid, repo_type=repo_type, **kwargs)
    hf.upload_file(path_or_fileobj=os.path.join(inp, "weights_v1.bin"), path_in_repo="data.bin", repo_id=rid, repo_type=repo_type)
    out[f"{repo_type}_download"] = hf_hub_download(rid, "data.bin", repo_type=repo_type, cache_dir=os.path.join(cache, repo_type))
    snap = snapshot_download(rid, repo_type=repo_type, cache_dir=os.path.join(cache, repo_type + "-snap"))
    out[f"{repo_type}_snapshot_files"] = sorted(os.listdir(snap))

# 0.26 resumes a partial blob left by an interrupted run with `Range: bytes=N-`.
if IS_026:
    resume_cache = os.path.join(cache, "resume")
    folder = os.path.join(resume_cache, "models--" + repo.replace("/", "--"), "blobs")
    os.makedirs(folder, exist_ok=True)
    full = open(os.path.join(inp, "weights_v2.bin"), "rb").read()
    partial = os.path.join(folder, sha256_bytes(full) + ".incomplete")
    with open(partial, "wb") as f:
        f.write(full[:100_000])
    out["resumed_download"] = hf_hub_download(repo, "weights.bin", cache_dir=resume_cache)

# A private repo: the signed LFS URL on the other host works without the Authorization header.
private = f"{ns}/{env('PREFIX')}-private"
hf.create_repo(private, private=True)
hf.upload_file(path_or_fileobj=os.path.join(inp, "weights_v1.bin"), path_in_repo="w.bin", repo_id=private)
out["private_download"] = hf_hub_download(private, "w.bin", cache_dir=os.path.join(cache, "private"))
out["private_anonymous"] = raises(
    RepositoryNotFoundError, hf_hub_download, private, "w.bin", token=False, cache_dir=os.path.join(cache, "private-anon")
)

# Anonymous download of a public repo works; typed errors for what does not exist.
out["anon_download"] = hf_hub_download(repo, "text.txt", token=False, cache_dir=os.path.join(cache, "anon"))
errcache = os.path.join(cache, "errors")
out["missing_entry"] = raises(EntryNotFoundError, hf_hub_download, repo, "nope.txt", cache_dir=errcache)
out["missing_revision"] = raises(
    RevisionNotFoundError, hf_hub_download, repo, "text.txt", revision="nope", cache_dir=errcache
)
out["missing_repo"] = raises(
    RepositoryNotFoundError, hf_hub_download, f"{ns}/does-not-exist", "text.txt", cache_dir=errcache
)
out["missing_snapshot_revision"] = raises(
    RevisionNotFoundError, snapshot_download, repo, revision="nope", cache_dir=errcache
)

emit(out)
