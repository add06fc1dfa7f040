"""Speaks the LFS multipart protocol by hand to upload *other* bytes than the declared oid:
the completion must be refused and the object must not become available.

Inputs: HUBTEST_NS, HUBTEST_PREFIX, HUBTEST_SIZE.
"""

import hashlib
import os

import requests

from hubtest import ENDPOINT, TOKEN, api, check, emit, env

ns = env("NS")
size = int(env("SIZE"))
repo = f"{ns}/{env('PREFIX')}-tamper"
api().create_repo(repo)
real = os.urandom(size)
oid = hashlib.sha256(real).hexdigest()
headers = {
    "Authorization": f"Bearer {TOKEN}",
    "Accept": "application/vnd.git-lfs+json",
    "Content-Type": "application/vnd.git-lfs+json",
}
batch_url = f"{ENDPOINT}/{repo}.git/info/lfs/objects/batch"
body = {"operation": "upload", "transfers": ["basic", "multipart"], "objects": [{"oid": oid, "size": size}], "hash_algo": "sha256"}


def batch():
    r = requests.post(batch_url, json=body, headers=headers)
    r.raise_for_status()
    return r.json()["objects"][0]


obj = batch()
upload = obj["actions"]["upload"]
chunk = int(upload["header"]["chunk_size"])
fake = bytes(b ^ 0xFF for b in real)  # same size, other bytes
parts = []
for n in range(1, (size + chunk - 1) // chunk + 1):
    r = requests.put(upload["header"][str(n)], data=fake[(n - 1) * chunk : n * chunk])
    r.raise_for_status()
    parts.append({"partNumber": n, "etag": r.headers.get("etag", "")})
done = requests.post(upload["href"], json={"oid": oid, "parts": parts}, headers=headers)
again = batch()
check("actions" in again, "a refused upload must not count as stored")
emit({
    "part_hosts": sorted({u.split("/")[2] for k, u in upload["header"].items() if k != "chunk_size"}),
    "complete_status": done.status_code,
    "complete_body": done.text,
    "stored_after": "actions" not in again,
})
