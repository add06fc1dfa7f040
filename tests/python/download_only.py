"""hf_hub_download of given files (HUBTEST_FILES, comma-separated) from HUBTEST_REPO; used under
fault injection, where only the resolve HEAD/GET pair (which the clients retry and resume) is
exercised."""

import os

from huggingface_hub import hf_hub_download

from hubtest import emit, env

repo = env("REPO")
cache = os.path.join(env("WORK"), "cache-" + env("LABEL", "x"))
paths = {f: hf_hub_download(repo, f, cache_dir=cache) for f in env("FILES").split(",")}
emit({"paths": paths})
