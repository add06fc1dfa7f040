"""Uploads: upload_file (regular, LFS by pattern, LFS by size), upload_folder with patterns and
delete_patterns, create_commit with every operation kind, pull requests, branches and tags, and
the listing endpoints that show the result."""

import os

from huggingface_hub import CommitOperationAdd, CommitOperationCopy, CommitOperationDelete

from hubtest import (
    EntryNotFoundError,
    HfHubHTTPError,
    RevisionNotFoundError,
    api,
    check,
    check_eq,
    emit,
    env,
    raises,
)

ns = env("NS")
work = env("WORK")
inp = os.path.join(work, "input")
repo = f"{ns}/{env('PREFIX')}-upload"
hf = api()
out = {"repo": repo}

hf.create_repo(repo)

# --- upload_file: regular (README triggers validate-yaml), LFS by *.bin, LFS by size (>10 MB) ---
commits = {}
for name in ["README.md", "config.json", "weights.bin", "big.dat"]:
    info = hf.upload_file(
        path_or_fileobj=os.path.join(inp, name),
        path_in_repo=name,
        repo_id=repo,
        commit_message=f"Upload {name}",
    )
    check_eq(len(info.oid), 40, f"commit oid of {name}")
    check(info.commit_url.endswith(info.oid), f"commit url {info.commit_url}")
    commits[name] = info.oid
out["upload_commits"] = commits

# Uploading identical content again is a no-op: preupload reports the same oid, no new commit.
again = hf.upload_file(path_or_fileobj=os.path.join(inp, "config.json"), path_in_repo="config.json", repo_id=repo)
out["noop_reupload_oid"] = again.oid
out["head_after_uploads"] = hf.model_info(repo).sha

info = hf.model_info(repo, files_metadata=True)
out["last_modified_after_uploads"] = info.last_modified.isoformat() if info.last_modified else None
out["created_at"] = info.created_at.isoformat() if info.created_at else None
out["siblings"] = {
    s.rfilename: {
        "size": s.size,
        "blob_id": s.blob_id,
        "lfs_sha256": s.lfs.sha256 if s.lfs else None,
        "lfs_size": s.lfs.size if s.lfs else None,
    }
    for s in info.siblings
}

# --- upload_folder with allow/ignore patterns, then delete_patterns ------------------------------
res = hf.upload_folder(
    repo_id=repo,
    folder_path=os.path.join(work, "folder"),
    path_in_repo="data",
    allow_patterns=["*.txt", "*.bin"],
    ignore_patterns=["skip/*"],
    commit_message="Upload folder",
)
out["after_folder"] = sorted(f for f in hf.list_repo_files(repo) if f.startswith("data/"))

hf.upload_folder(
    repo_id=repo,
    folder_path=os.path.join(work, "folder2"),
    path_in_repo="data",
    delete_patterns=["*.txt"],
    commit_message="Replace text files",
)
out["after_delete_patterns"] = sorted(f for f in hf.list_repo_files(repo) if f.startswith("data/"))

# A .gitignore uploaded in the same commit makes the server mark matching files shouldIgnore;
# empty files are always committed as regular files.
# (The client sends the content of a root .gitignore of the same commit as `gitIgnore`.)
hf.upload_folder(repo_id=repo, folder_path=os.path.join(work, "folder3"))
root_files = set(hf.list_repo_files(repo))
out["after_gitignore"] = sorted(f for f in root_files if f in {".gitignore", "keep.txt", "drop.log", "empty.txt"})

# The committed .gitignore applies to later commits too.
hf.upload_file(path_or_fileobj=b"later\n", path_in_repo="later.log", repo_id=repo)
out["later_log_committed"] = "later.log" in hf.list_repo_files(repo)

# A correct parent_commit is accepted.
head = hf.model_info(repo).sha
ok = hf.upload_file(path_or_fileobj=b"on top\n", path_in_repo="parent.txt", repo_id=repo, parent_commit=head)
out["parent_commit_ok"] = ok.oid != head
hf.create_commit(
    repo,
    [CommitOperationDelete(path_in_repo=p) for p in [".gitignore", "keep.txt", "empty.txt", "parent.txt"]],
    commit_message="Remove gitignore test files",
)

# --- create_commit: add, copy (LFS and regular), delete file, then delete folder ----------------
ops = [
    CommitOperationAdd(path_in_repo="ops/added.txt", path_or_fileobj=b"added by create_commit\n"),
    CommitOperationCopy(src_path_in_repo="weights.bin", path_in_repo="ops/weights-copy.bin"),
    CommitOperationCopy(src_path_in_repo="config.json", path_in_repo="ops/config-copy.json"),
    CommitOperationDelete(path_in_repo="data/sub/c.bin"),
]
c = hf.create_commit(repo, ops, commit_message="Mixed operations", commit_description="add, copy, delete")
out["mixed_commit"] = c.oid
out["after_mixed"] = sorted(hf.list_repo_files(repo))
c = hf.create_commit(repo, [CommitOperationDelete(path_in_repo="data/")], commit_message="Delete data folder")
out["after_delete_folder"] = sorted(hf.list_repo_files(repo))
info = hf.model_info(repo, files_metadata=True)
out["siblings_final"] = {
    s.rfilename: {"size": s.size, "blob_id": s.blob_id, "lfs_sha256": s.lfs.sha256 if s.lfs else None}
    for s in info.siblings
}

# Deleting a missing file is an EntryNotFoundError; a stale parent commit is rejected (412).
out["delete_missing"] = raises(EntryNotFoundError, hf.delete_file, "nope.txt", repo)
out["stale_parent"] = raises(
    HfHubHTTPError,
    hf.upload_file,
    path_or_fileobj=b"x",
    path_in_repo="stale.txt",
    repo_id=repo,
    parent_commit=commits["README.md"],
)

# --- pull requests ------------------------------------------------------------------------------
head_before_pr = hf.model_info(repo).sha
pr = hf.upload_file(path_or_fileobj=b"proposed change\n", path_in_repo="pr.txt", repo_id=repo, create_pr=True)
out["pr_url"] = pr.pr_url
out["pr_revision"] = pr.pr_revision
out["pr_num"] = pr.pr_num
hf.upload_file(path_or_fileobj=b"second pr commit\n", path_in_repo="pr2.txt", repo_id=repo, revision=pr.pr_revision)
out["pr_files"] = sorted(hf.list_repo_files(repo, revision=pr.pr_revision))
out["main_files_after_pr"] = sorted(hf.list_repo_files(repo))
check_eq(hf.model_info(repo).sha, head_before_pr, "main head unchanged by PR")
out["pr_commit_titles"] = [c.title for c in hf.list_repo_commits(repo, revision=pr.pr_revision)][:3]

# --- branches and tags --------------------------------------------------------------------------
hf.create_branch(repo, branch="dev", revision=commits["config.json"])
hf.create_branch(repo, branch="dev", exist_ok=True)
out["branch_exists"] = raises(HfHubHTTPError, hf.create_branch, repo, branch="dev")
out["branch_bad_start"] = raises(RevisionNotFoundError, hf.create_branch, repo, branch="x", revision="nope")
hf.create_branch(repo, branch="feature/slash")
hf.create_tag(repo, tag="v1.0", revision=commits["weights.bin"], tag_message="first release")
hf.create_tag(repo, tag="v1.0", exist_ok=True)
out["tag_exists"] = raises(HfHubHTTPError, hf.create_tag, repo, tag="v1.0")
out["dev_sha"] = hf.model_info(repo, revision="dev").sha
out["tag_sha"] = hf.model_info(repo, revision="v1.0").sha
out["slash_branch_files"] = sorted(hf.list_repo_files(repo, revision="feature/slash"))
refs = hf.list_repo_refs(repo, include_pull_requests=True)
out["refs"] = {
    "branches": sorted((b.name, b.ref, b.target_commit) for b in refs.branches),
    "tags": sorted((t.name, t.ref, t.target_commit) for t in refs.tags),
    "converts": [b.name for b in refs.converts],
    "pull_requests": sorted((p.name, p.ref) for p in refs.pull_requests),
}
hf.delete_branch(repo, branch="dev")
hf.delete_tag(repo, tag="v1.0")
out["delete_missing_branch"] = raises(RevisionNotFoundError, hf.delete_branch, repo, branch="dev")
out["delete_missing_tag"] = raises(RevisionNotFoundError, hf.delete_tag, repo, tag="v1.0")
refs = hf.list_repo_refs(repo)
out["refs_after_delete"] = {
    "branches": sorted(b.name for b in refs.branches),
    "tags": sorted(t.name for t in refs.tags),
}

# --- listings -----------------------------------------------------------------------------------
tree = list(hf.list_repo_tree(repo, recursive=True))
out["tree_recursive"] = sorted((type(e).__name__, e.path) for e in tree)
out["tree_ops"] = sorted(e.path for e in hf.list_repo_tree(repo, path_in_repo="ops"))
out["tree_missing"] = raises(EntryNotFoundError, lambda: list(hf.list_repo_tree(repo, path_in_repo="nope")))
big = [e for e in tree if e.path == "big.dat"][0]
out["tree_big"] = {"size": big.size, "lfs_sha256": big.lfs.sha256 if big.lfs else None, "blob_id": big.blob_id}
expanded = [e for e in hf.list_repo_tree(repo, expand=True) if e.path == "README.md"][0]
out["tree_expand_last_commit"] = expanded.last_commit.title if expanded.last_commit else None
infos = hf.get_paths_info(repo, ["README.md", "weights.bin", "ops", "missing.txt"])
out["paths_info"] = [
    (type(e).__name__, e.path, getattr(e, "size", None), (e.lfs.sha256 if getattr(e, "lfs", None) else None))
    for e in infos
]
commits_list = hf.list_repo_commits(repo)
out["commit_authors"] = sorted({a for c in commits_list[:-1] for a in c.authors})
out["commit_titles"] = [c.title for c in commits_list]
out["commit_ids_unique"] = len({c.commit_id for c in commits_list}) == len(commits_list)

emit(out)
