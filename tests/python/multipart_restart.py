"""One multipart LFS upload across a server restart: every part PUT is logged (part number and
HTTP status, or the exception of a cut connection), with a pause after each so the Rust side
can kill -9 the server in the middle; the client's own retries carry it over the restart.

Inputs: HUBTEST_NS, HUBTEST_PREFIX, HUBTEST_WORK (input/large.bin), HUBTEST_PART_DELAY.
"""

import os
import re
import time

import requests
from huggingface_hub import hf_hub_download

from hubtest import api, emit, env, sha256_file

ns = env("NS")
work = env("WORK")
delay = float(env("PART_DELAY"))
repo = f"{ns}/{env('PREFIX')}-mp-restart"
hf = api()
hf.create_repo(repo)

sends = []
real_request = requests.Session.request


def logging_request(self, method, url, *args, **kwargs):
    m = re.search(r"/_upload/[0-9a-f]{64}/(\d+)\?", url)
    if method.upper() != "PUT" or m is None:
        return real_request(self, method, url, *args, **kwargs)
    part = int(m.group(1))
    try:
        r = real_request(self, method, url, *args, **kwargs)
    except Exception as e:
        sends.append([part, type(e).__name__])
        raise
    sends.append([part, r.status_code])
    time.sleep(delay)
    return r


requests.Session.request = logging_request
src = os.path.join(work, "input", "large.bin")
info = hf.upload_file(path_or_fileobj=src, path_in_repo="large.bin", repo_id=repo)
requests.Session.request = real_request
path = hf_hub_download(repo, "large.bin", cache_dir=os.path.join(work, "cache"))
emit({"sends": sends, "commit": info.oid, "sha256": sha256_file(path), "size": os.path.getsize(path)})
