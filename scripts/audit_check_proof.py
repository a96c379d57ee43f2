#!/usr/bin/env python3
"""Checks a santepki audit inclusion proof offline, independently of santepki's Rust code.

Written from the specifications, not from santepki or tlog_tiles:
- RFC 9162, section 2.1.1 (leaf hash SHA-256(0x00 || leaf), node hash SHA-256(0x01 || l || r))
  and section 2.1.3.2 (verifying an inclusion proof);
- C2SP signed-note (key id = SHA-256(name || "\\n" || 0x01 || public key)[:4], Ed25519 over the
  note text) and C2SP tlog-checkpoint (origin, size, base64 root hash).

Usage: audit_check_proof.py PROOF.json VERIFIER_KEY
Prints "ok" and exits 0 if the proof holds; prints why and exits 1 otherwise.
"""

import base64
import hashlib
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(why):
    print(why)
    sys.exit(1)


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(leaf_index, tree_size, leaf_hash, path):
    """RFC 9162, section 2.1.3.2."""
    if leaf_index >= tree_size:
        fail("leaf index beyond the tree")
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash
    for p in path:
        if sn == 0:
            fail("the audit path is too long")
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        fail("the audit path is too short")
    return r


def open_note(note, vkey):
    """C2SP signed-note with one Ed25519 key; returns the note's text."""
    name, key_id_hex, key_b64 = vkey.strip().split("+", 2)
    key = base64.b64decode(key_b64)
    if key[0] != 0x01 or len(key) != 33:
        fail("the verifier key is not an Ed25519 key")
    if hashlib.sha256(name.encode() + b"\n" + key).digest()[:4] != bytes.fromhex(key_id_hex):
        fail("the verifier key's id does not match its name and key")
    text, sep, sigs = note.partition("\n\n")
    if not sep:
        fail("the note has no signature block")
    text += "\n"
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            fail(f"not a signature line: {line!r}")
        sig_name, sig_b64 = line[2:].split(" ")
        sig = base64.b64decode(sig_b64)
        if sig_name != name or sig[:4] != bytes.fromhex(key_id_hex):
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(sig[4:], text.encode())
        except InvalidSignature:
            fail("the checkpoint's signature does not verify")
        return text
    fail("the checkpoint is not signed by the verifier key")


def main():
    proof = json.load(open(sys.argv[1]))
    vkey = open(sys.argv[2]).read() if os.path.isfile(sys.argv[2]) else sys.argv[2]
    text = open_note(proof["checkpoint"], vkey)
    origin, size, root_b64 = text.splitlines()[:3]
    if origin != vkey.split("+", 1)[0]:
        fail("the checkpoint's origin is not the key's name")
    if int(size) != proof["tree_size"] or base64.b64decode(root_b64) != base64.b64decode(proof["root_hash"]):
        fail("the checkpoint does not sign the proof's tree")
    leaf = base64.b64decode(proof["leaf"])
    if json.loads(leaf)["id"] != proof["event_id"]:
        fail("the leaf is another event")
    leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
    path = [base64.b64decode(h) for h in proof["proof"]]
    if root_from_inclusion_proof(proof["leaf_index"], int(size), leaf_hash, path) != base64.b64decode(root_b64):
        fail("the audit path does not lead to the signed root")
    print("ok")


if __name__ == "__main__":
    main()
