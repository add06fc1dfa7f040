"""Upload one large LFS file and download it back (used for multipart uploads and, with
0.26.5 and HF_HUB_ENABLE_HF_TRANSFER=1, for hf_transfer's parallel part uploads and range
downloads, which it uses for files > 50 MB)."""

import os

from huggingface_hub import constants, hf_hub_download

from hubtest import api, check, emit, env

if env("EXPECT_HF_TRANSFER", "0") == "1":
    check(constants.HF_HUB_ENABLE_HF_TRANSFER, "HF_HUB_ENABLE_HF_TRANSFER must be set")
    import hf_transfer  # noqa: F401  (the fast path needs it importable)

ns = env("NS")
work = env("WORK")
repo = f"{ns}/{env('PREFIX')}-roundtrip"
hf = api()
hf.create_repo(repo)
src = os.path.join(work, "input", "large.bin")
info = hf.upload_file(path_or_fileobj=src, path_in_repo="large.bin", repo_id=repo)
path = hf_hub_download(repo, "large.bin", cache_dir=os.path.join(work, "cache"))
emit({"repo": repo, "commit": info.oid, "downloaded": path, "size": os.path.getsize(path)})
