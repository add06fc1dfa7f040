# The Python side of `cargo xtask bench fs`: random ranged reads through huggingface_hub's
# HfFileSystem, each checked against the local copy of the file (exit status 1 on a mismatch).
# usage: python bench_fs.py (open|open-block|cat) HF_PATH LOCAL_FILE OFFSETS_FILE LENGTH
import sys

from huggingface_hub import HfFileSystem

mode, path, local, offsets_file, length = sys.argv[1:6]
length = int(length)
with open(offsets_file) as f:
    offsets = [int(line) for line in f.read().split()]
fs = HfFileSystem()
if mode == "open":
    remote = fs.open(path, "rb")
elif mode == "open-block":
    remote = fs.open(path, "rb", block_size=length)
else:
    remote = None
checked = 0
with open(local, "rb") as loc:
    for i, offset in enumerate(offsets):
        loc.seek(offset)
        want = loc.read(length)
        if remote is not None:
            remote.seek(offset)
            got = remote.read(length)
        else:
            got = fs.cat_file(path, start=offset, end=offset + length)
        if got != want:
            sys.exit(f"range {i} at offset {offset}: got {len(got)} bytes, expected {len(want)} (or different content)")
        checked += len(got)
print(f"{len(offsets)} ranges, {checked} bytes checked")
