"""Commit rules as on the Hub: implicit folder delete, path names, README metadata validation
(client-side through /api/validate-yaml, server-side on preupload and commit), RepoCard.validate.

Inputs: HUBTEST_NS, HUBTEST_PREFIX, HUBTEST_WORK.
"""

import os
import warnings

import huggingface_hub.repocard as repocard
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, RepoCard

from hubtest import ENDPOINT, HfHubHTTPError, api, check, check_eq, emit, env, hf_errors

ns = env("NS")
prefix = env("PREFIX")
work = env("WORK")
hf = api()
out = {}
repo = f"{ns}/{prefix}-rules"
hf.create_repo(repo)


def error(exc_class, fn, *args, **kwargs):
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


# --- implicit folder delete -----------------------------------------------------------------------
hf.create_commit(
    repo,
    operations=[
        CommitOperationAdd(path_in_repo="dir/a.txt", path_or_fileobj=b"a"),
        CommitOperationAdd(path_in_repo="dir/sub/b.txt", path_or_fileobj=b"b"),
        CommitOperationAdd(path_in_repo="dirt.txt", path_or_fileobj=b"c"),
    ],
    commit_message="files",
)
# No trailing slash: the client sends a file deletion; the Hub deletes the folder.
hf.create_commit(repo, operations=[CommitOperationDelete(path_in_repo="dir", is_folder=False)], commit_message="rm dir")
out["after_folder_delete"] = sorted(hf.list_repo_files(repo))
out["delete_missing"] = error(HfHubHTTPError, hf.delete_file, "no-such-thing", repo)

# --- path names -----------------------------------------------------------------------------------
odd = "folder/..\\..\\..\\file.txt"
hf.upload_file(path_or_fileobj=b"odd", path_in_repo=odd, repo_id=repo)
out["backslash_listed"] = odd in hf.list_repo_files(repo)
out["backslash_info"] = [p.path for p in hf.get_paths_info(repo, [odd])]
out["leading_dotdot_backslash"] = error(HfHubHTTPError, hf.upload_file, path_or_fileobj=b"x", path_in_repo="..\\ddd", repo_id=repo)
out["empty_segment"] = error(HfHubHTTPError, hf.upload_file, path_or_fileobj=b"x", path_in_repo="a//b.txt", repo_id=repo)
out["dot_segment"] = error(HfHubHTTPError, hf.upload_file, path_or_fileobj=b"x", path_in_repo="a/./b.txt", repo_id=repo)

# --- README metadata ------------------------------------------------------------------------------
invalid_yaml = b"---\nlicense: [mit\n---\n# Card\n"
bad_index = (
    b"---\nmodel-index:\n- name: m\n  results:\n  - task:\n      type: text-classification\n"
    b"    metrics:\n    - type: accuracy\n---\n# Card\n"
)
# Client-side, through /api/validate-yaml.
out["client_invalid_yaml"] = error(ValueError, hf.upload_file, path_or_fileobj=invalid_yaml, path_in_repo="README.md", repo_id=repo)
out["client_bad_index"] = error(ValueError, hf.upload_file, path_or_fileobj=bad_index, path_in_repo="README.md", repo_id=repo)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    hf.upload_file(path_or_fileobj=b"---\n---\n# Empty metadata\n", path_in_repo="README.md", repo_id=repo)
out["empty_metadata_warnings"] = [str(w.message) for w in caught if "README" in str(w.message)]
out["empty_metadata_committed"] = "README.md" in hf.list_repo_files(repo)

# Server-side: a client that skips validation meets the same rules at preupload (small README,
# the sample is the whole file) and at commit (larger README).
HfApi._validate_yaml = lambda self, *a, **k: None
out["preupload_invalid"] = error(HfHubHTTPError, hf.upload_file, path_or_fileobj=bad_index, path_in_repo="README.md", repo_id=repo)
big_bad = invalid_yaml + b"x" * 2000 + b"\n"
out["commit_invalid"] = error(HfHubHTTPError, hf.upload_file, path_or_fileobj=big_bad, path_in_repo="README.md", repo_id=repo)
good = b"---\nlicense: mit\ntags:\n- a\n---\n# Good card\n" + b"y" * 1000
hf.upload_file(path_or_fileobj=good, path_in_repo="README.md", repo_id=repo)
out["good_readme"] = hf.model_info(repo).card_data.get("license") if hf.model_info(repo).card_data else None

# --- RepoCard.validate (hard-wired to huggingface.co: redirected to the test server) -------------
real_session = repocard.get_session


class ToTestServer:
    def __init__(self, session):
        self.session = session

    def post(self, url, *args, **kwargs):
        check(url.startswith("https://huggingface.co/"), url)
        return self.session.post(url.replace("https://huggingface.co", ENDPOINT), *args, **kwargs)


repocard.get_session = lambda: ToTestServer(real_session())
RepoCard("---\nlicense: mit\n---\n# Fine\n").validate(repo_type="model")
out["repocard_valid"] = True
out["repocard_invalid"] = error(ValueError, RepoCard(bad_index.decode()).validate, repo_type="model")

emit(out)
