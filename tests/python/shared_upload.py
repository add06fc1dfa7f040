"""Upload input/large.bin to a new repo and download it back, counting the LFS content PUTs
(signed /_upload URLs) the client sends to the server — none when the server already has the
object — and the part PUTs it sends straight to an S3 store (presigned `uploadId` URLs).

Inputs: HUBTEST_NS, HUBTEST_PREFIX, HUBTEST_WORK.
"""

import os

import requests
from huggingface_hub import hf_hub_download

from hubtest import api, emit, env, sha256_file

ns = env("NS")
work = env("WORK")
repo = f"{ns}/{env('PREFIX')}-shared"
hf = api()
hf.create_repo(repo)

puts = []
store_parts = []
real_request = requests.Session.request


def counting_request(self, method, url, *args, **kwargs):
    if method.upper() == "PUT" and "/_upload/" in url:
        puts.append(url.split("?")[0])
    elif method.upper() == "PUT" and "uploadId=" in url:
        store_parts.append(url.split("?")[0])
    return real_request(self, method, url, *args, **kwargs)


requests.Session.request = counting_request
info = hf.upload_file(path_or_fileobj=os.path.join(work, "input", "large.bin"), path_in_repo="large.bin", repo_id=repo)
requests.Session.request = real_request
path = hf_hub_download(repo, "large.bin", cache_dir=os.path.join(work, "cache-shared"))
emit({"puts": len(puts), "store_parts": len(store_parts), "sha256": sha256_file(path), "commit": info.oid})
