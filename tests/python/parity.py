"""Hub parity: ids without a namespace, metrics, commit pages, abbreviated commit ids, tree order,
and the Hub's auth/visibility statuses and error texts.

Inputs: HUBTEST_NS (alice), HUBTEST_PREFIX, HUBTEST_WORK, HUBTEST_BOB_TOKEN, HUBTEST_CANONICAL
(a model id without namespace, owned by alice), HUBTEST_CANONICAL_DATASET (likewise a dataset),
HUBTEST_METRICS_ORG (an org alice belongs to whose Spaces are metrics).
"""

import os
import subprocess

from huggingface_hub import hf_hub_download
from huggingface_hub.utils import get_session

from hubtest import (
    ENDPOINT,
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    api,
    check,
    check_eq,
    emit,
    env,
    hf_errors,
)

ns = env("NS")
prefix = env("PREFIX")
work = env("WORK")
canonical = env("CANONICAL")
canonical_ds = env("CANONICAL_DATASET")
metrics_org = env("METRICS_ORG")
hf = api()
bob = api(env("BOB_TOKEN"))
anon = api(False)
out = {}


def error(exc_class, fn, *args, **kwargs):
    """Calls fn, asserts it raises exc_class, returns type, status and the server's message."""
    try:
        fn(*args, **kwargs)
    except exc_class as e:
        response = getattr(e, "response", None)
        return {
            "type": type(e).__name__,
            "status": getattr(response, "status_code", None),
            "server_message": getattr(e, "server_message", None),
            "text": str(e),
        }
    except Exception as e:
        raise AssertionError(f"expected {exc_class.__name__}, got {type(e).__name__}: {e}") from e
    raise AssertionError(f"expected {exc_class.__name__}, but the call succeeded")


def page(url):
    r = get_session().get(url)
    return {"status": r.status_code, "type": r.headers.get("content-type", ""), "text": r.text}


# --- ids without a namespace on every route ------------------------------------------------------
info = hf.model_info(canonical)
check_eq(info.id, canonical, "canonical model id")
ci = hf.upload_file(path_or_fileobj=b'{"n_layer": 12}\n', path_in_repo="config.json", repo_id=canonical)
out["canonical_commit_url"] = ci.commit_url
check_eq(ci.commit_url, f"{ENDPOINT}/{canonical}/commit/{ci.oid}", "canonical commit url")
hf.upload_file(path_or_fileobj=b"weights", path_in_repo="pytorch_model.bin", repo_id=canonical)
sha = hf.model_info(canonical).sha
out["canonical_sha"] = sha
out["canonical_revision_info"] = hf.model_info(canonical, revision="main").sha
out["canonical_files"] = sorted(hf.list_repo_files(canonical))
out["canonical_tree"] = [e.path for e in hf.list_repo_tree(canonical)]
out["canonical_commits"] = [c.title for c in hf.list_repo_commits(canonical)]
path = hf_hub_download(canonical, "config.json", cache_dir=os.path.join(work, "cache"))
out["canonical_download"] = open(path, "rb").read().decode()
path = hf_hub_download(canonical, "pytorch_model.bin", cache_dir=os.path.join(work, "cache"))
out["canonical_lfs_download"] = open(path, "rb").read().decode()
out["canonical_anon_info"] = anon.model_info(canonical).id
out["canonical_refs"] = [b.name for b in hf.list_repo_refs(canonical).branches]
out["canonical_missing"] = error(RepositoryNotFoundError, hf.model_info, canonical + "-missing")
clone = os.path.join(work, "clone")
subprocess.run(["git", "clone", "-q", f"{ENDPOINT}/{canonical}", clone], check=True)
out["canonical_git_clone"] = sorted(f for f in os.listdir(clone) if f != ".git")
clone_git = os.path.join(work, "clone-dot-git")
subprocess.run(["git", "clone", "-q", f"{ENDPOINT}/{canonical}.git", clone_git], check=True)
out["canonical_git_head"] = subprocess.run(
    ["git", "-C", clone_git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
).stdout.strip()

ds = hf.dataset_info(canonical_ds)
check_eq(ds.id, canonical_ds, "canonical dataset id")
ci_ds = hf.upload_file(
    path_or_fileobj=b"a,b\n1,2\n", path_in_repo="train.csv", repo_id=canonical_ds, repo_type="dataset"
)
out["canonical_dataset_commit_url"] = ci_ds.commit_url
path = hf_hub_download(canonical_ds, "train.csv", repo_type="dataset", cache_dir=os.path.join(work, "cache"))
out["canonical_dataset_download"] = open(path, "rb").read().decode()

# --- commit pages (model, dataset, space, canonical) -----------------------------------------------
repo = f"{ns}/{prefix}-parity"
hf.create_repo(repo)
ci_model = hf.upload_file(path_or_fileobj=b"hello\n", path_in_repo="a.txt", repo_id=repo, commit_message="Add a.txt")
out["commit_page"] = page(ci_model.commit_url)
out["commit_page_sha"] = ci_model.oid
out["commit_page_canonical"] = page(ci.commit_url)
out["commit_page_dataset"] = page(ci_ds.commit_url)
space = f"{ns}/{prefix}-space"
hf.create_repo(space, repo_type="space", space_sdk="static")
ci_space = hf.upload_file(path_or_fileobj=b"<p>hi</p>", path_in_repo="index.html", repo_id=space, repo_type="space")
check(ci_space.commit_url.startswith(f"{ENDPOINT}/spaces/{space}/commit/"), ci_space.commit_url)
out["commit_page_space"] = page(ci_space.commit_url)
out["commit_page_missing"] = page(f"{ENDPOINT}/{repo}/commit/{'0' * 40}")["status"]

# --- abbreviated commit ids ---------------------------------------------------------------------
full = ci_model.oid
out["abbrev_info"] = hf.model_info(repo, revision=full[:7]).sha
path = hf_hub_download(repo, "a.txt", revision=full[:10], cache_dir=os.path.join(work, "cache2"))
out["abbrev_download"] = open(path, "rb").read().decode()
hf.create_branch(repo, branch="from-abbrev", revision=full[:8])
hf.create_tag(repo, tag="v-abbrev", revision=full[:7])
refs = hf.list_repo_refs(repo)
out["abbrev_branch"] = [b.target_commit for b in refs.branches if b.name == "from-abbrev"]
out["abbrev_tag"] = [t.target_commit for t in refs.tags if t.name == "v-abbrev"]
out["abbrev_commits"] = [c.commit_id for c in hf.list_repo_commits(repo, revision=full[:9])][:1]

# --- tree listings: folders before files ---------------------------------------------------------
folder = os.path.join(work, "folder")
for rel in ["a.txt", "c.txt", "b/x.txt", "z/y.txt", "b/inner/deep.txt", "b/w.txt"]:
    p = os.path.join(folder, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(rel)
hf.upload_folder(folder_path=folder, repo_id=repo)
out["tree_root"] = [e.path for e in hf.list_repo_tree(repo)]
out["tree_b"] = [e.path for e in hf.list_repo_tree(repo, path_in_repo="b")]

# --- metrics --------------------------------------------------------------------------------------
metric = f"{metrics_org}/{prefix}-accuracy"
hf.create_repo(metric, repo_type="space", space_sdk="static")
hf.upload_file(
    path_or_fileobj=b"---\ntitle: Accuracy\ndescription: The proportion of correct predictions.\n---\n# Accuracy\n",
    path_in_repo="README.md",
    repo_id=metric,
    repo_type="space",
)
out["metrics"] = [
    {"id": m.id, "space_id": m.space_id, "description": m.description} for m in hf.list_metrics()
]

# --- auth and visibility --------------------------------------------------------------------------
private = f"{ns}/{prefix}-private"
hf.create_repo(private, private=True)
out["private_anon"] = error(RepositoryNotFoundError, anon.model_info, private)
out["private_bob"] = error(RepositoryNotFoundError, bob.model_info, private)
out["missing_anon"] = error(RepositoryNotFoundError, anon.model_info, f"{ns}/{prefix}-nope")
out["invalid_token"] = error(HfHubHTTPError, api("hf_invalid_token_xyz").model_info, repo)
out["invalid_token_whoami"] = error(Exception, api("hf_invalid_token_xyz").whoami)

gated = f"{ns}/{prefix}-gated"
hf.create_repo(gated)
hf.upload_file(path_or_fileobj=b"secret", path_in_repo="s.txt", repo_id=gated)
hf.update_repo_settings(gated, gated="manual")
out["gated_bob"] = error(
    hf_errors.GatedRepoError, hf_hub_download, gated, "s.txt", token=env("BOB_TOKEN"),
    cache_dir=os.path.join(work, "cache3"),
)
out["gated_anon"] = error(
    hf_errors.GatedRepoError, hf_hub_download, gated, "s.txt", token=False,
    cache_dir=os.path.join(work, "cache3"),
)

# Anyone who can read may open a pull request (regular and LFS files), never touch a branch.
pr = bob.upload_file(
    path_or_fileobj=b"bob's weights", path_in_repo="bob.bin", repo_id=repo, create_pr=True,
)
out["bob_pr_revision"] = pr.pr_revision
pr2 = bob.create_commit(
    repo,
    operations=[
        __import__("huggingface_hub").CommitOperationAdd(path_in_repo="bob.txt", path_or_fileobj=b"text"),
    ],
    commit_message="Bob's text",
    create_pr=True,
)
out["bob_pr2_revision"] = pr2.pr_revision
out["bob_pr_main_files"] = sorted(hf.list_repo_files(repo))
out["bob_pr_files"] = sorted(hf.list_repo_files(repo, revision=pr.pr_revision))
path = hf_hub_download(repo, "bob.bin", revision=pr.pr_revision, cache_dir=os.path.join(work, "cache4"))
out["bob_pr_lfs"] = open(path, "rb").read().decode()
# The PR's author may add commits to it; others may not.
bob.upload_file(path_or_fileobj=b"more", path_in_repo="bob2.txt", repo_id=repo, revision=pr.pr_revision)
out["bob_pr_files_after_push"] = sorted(hf.list_repo_files(repo, revision=pr.pr_revision))
carol_pr = error(
    HfHubHTTPError, api(env("READ_TOKEN")).upload_file, path_or_fileobj=b"x", path_in_repo="r.txt",
    repo_id=repo, revision=pr.pr_revision,
)
out["read_token_pr_push"] = carol_pr
out["bob_direct_commit"] = error(
    HfHubHTTPError, bob.upload_file, path_or_fileobj=b"x", path_in_repo="direct.txt", repo_id=repo
)

out["delete_main"] = error(HfHubHTTPError, hf.delete_branch, repo, branch="main")
out["branch_missing_start_bad_name"] = error(
    RevisionNotFoundError, hf.create_branch, repo, branch="bad..name", revision="no-such-rev"
)
out["branch_bad_name"] = error(HfHubHTTPError, hf.create_branch, repo, branch="bad..name")

# --- error texts of the not-found cases -----------------------------------------------------------
out["revision_missing"] = error(RevisionNotFoundError, hf.model_info, repo, revision="no-such-rev")
out["entry_missing"] = error(
    EntryNotFoundError, hf_hub_download, repo, "nope.txt", cache_dir=os.path.join(work, "cache5")
)
out["repo_missing"] = error(RepositoryNotFoundError, hf.model_info, f"{ns}/{prefix}-nope")

emit(out)
