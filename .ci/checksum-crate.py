"""Writes .cargo-checksum.json for an unpacked crate, as `cargo vendor` does,
so that a directory source accepts it: checksum-crate.py UNPACKED_DIR CRATE_FILE."""
import hashlib
import json
import os
import sys


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main(root, crate):
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            files[os.path.relpath(path, root)] = sha256(path)
    with open(os.path.join(root, ".cargo-checksum.json"), "w") as out:
        json.dump({"files": files, "package": sha256(crate)}, out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
