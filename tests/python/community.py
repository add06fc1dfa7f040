"""Discussions and pull requests (create, comment, close, merge), super-squash, and HfFileSystem
(ls, info, glob, ranged reads through the LFS redirect, writes and deletes)."""

import os

from huggingface_hub import HfFileSystem

from hubtest import ENDPOINT, TOKEN, api, check, check_eq, emit, env, sha256_bytes

ns = env("NS")
work = env("WORK")
repo = f"{ns}/{env('PREFIX')}-community"
hf = api()
out = {"repo": repo}

hf.create_repo(repo)
hf.upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=repo)
hf.upload_file(path_or_fileobj=os.path.join(work, "input", "big.bin"), path_in_repo="big.bin", repo_id=repo)

# --- discussions and pull requests ---------------------------------------------------------------
pr = hf.upload_file(path_or_fileobj=b"from the pr\n", path_in_repo="pr.txt", repo_id=repo, create_pr=True)
disc = hf.create_discussion(repo, title="A question", description="Is this right?")
out["pr_num"] = pr.pr_num
out["discussion_num"] = disc.num
out["discussion_is_pr"] = disc.is_pull_request
hf.comment_discussion(repo, disc.num, "Yes it is.")
details = hf.get_discussion_details(repo, disc.num)
out["discussion_comments"] = [e.content for e in details.events if e.type == "comment"]
hf.change_discussion_status(repo, disc.num, "closed", comment="Answered")
out["discussion_status"] = hf.get_discussion_details(repo, disc.num).status
pr_details = hf.get_discussion_details(repo, pr.pr_num)
out["pr_status_before"] = pr_details.status
out["pr_git_ref"] = pr_details.git_reference
out["listed"] = sorted(
    (d.num, d.is_pull_request, d.status, d.title) for d in hf.get_repo_discussions(repo)
)
hf.merge_pull_request(repo, pr.pr_num)
out["pr_status_after"] = hf.get_discussion_details(repo, pr.pr_num).status
out["main_after_merge"] = sorted(hf.list_repo_files(repo))
empty_pr = hf.create_pull_request(repo, title="Empty PR", description="nothing yet")
out["empty_pr"] = {"num": empty_pr.num, "is_pr": empty_pr.is_pull_request}

# --- super-squash --------------------------------------------------------------------------------
files_before = sorted(hf.list_repo_files(repo))
out["commits_before_squash"] = len(hf.list_repo_commits(repo))
hf.super_squash_history(repo, commit_message="Squashed")
commits = hf.list_repo_commits(repo)
out["commits_after_squash"] = [c.title for c in commits]
check_eq(sorted(hf.list_repo_files(repo)), files_before, "files unchanged by super-squash")

# --- HfFileSystem --------------------------------------------------------------------------------
fs = HfFileSystem(endpoint=ENDPOINT, token=TOKEN)
out["fs_ls"] = sorted(os.path.basename(p) for p in fs.ls(repo, detail=False))
out["fs_info_size"] = fs.info(f"{repo}/big.bin")["size"]
out["fs_glob"] = sorted(os.path.basename(p) for p in fs.glob(f"{repo}/*.txt"))
with fs.open(f"{repo}/big.bin", "rb") as f:
    f.seek(100_000)
    chunk = f.read(50_000)
out["fs_range_sha256"] = sha256_bytes(chunk)
out["fs_range_len"] = len(chunk)
check(fs.exists(f"{repo}/base.txt"), "exists")
with fs.open(f"{repo}/written.txt", "w") as f:
    f.write("written through fsspec\n")
out["fs_cat"] = fs.cat(f"{repo}/written.txt").decode()
fs.rm(f"{repo}/written.txt")
out["fs_after_rm"] = sorted(hf.list_repo_files(repo))

emit(out)
