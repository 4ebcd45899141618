#!/usr/bin/python3
"""A stand-in for qmail-queue that checks its input exactly as qmail-queue(8) describes it.

qmail-queue reads the message from descriptor 0, then the envelope from descriptor 1:
an F line (the sender), one T line per recipient, each followed by a NUL, and one more NUL.
This program writes what it read to OUT_DIR (message, sender, recipients) or, when the
framing is wrong, the reason to OUT_DIR/framing-error and exits 91, qmail-queue's
"envelope format error". Otherwise it exits with STATUS.

usage: qmail-queue-check.py OUT_DIR STATUS
"""
import os
import sys

out_dir, status = sys.argv[1], int(sys.argv[2])


def read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def fail(reason):
    with open(os.path.join(out_dir, "framing-error"), "w") as f:
        f.write(reason)
    sys.exit(91)


message = read_all(0)
try:
    envelope = read_all(1)
except OSError as e:
    fail("descriptor 1 is not readable: %s" % e)

if not envelope.startswith(b"F"):
    fail("envelope does not start with F: %r" % envelope[:20])
if not envelope.endswith(b"\0\0"):
    fail("envelope does not end with NUL NUL: %r" % envelope[-20:])
fields = envelope[:-2].split(b"\0")
sender, recipients = fields[0][1:], fields[1:]
if not recipients:
    fail("no T field")
for field in recipients:
    if not field.startswith(b"T") or len(field) < 2:
        fail("bad recipient field %r" % field)

with open(os.path.join(out_dir, "message"), "wb") as f:
    f.write(message)
with open(os.path.join(out_dir, "sender"), "wb") as f:
    f.write(sender)
with open(os.path.join(out_dir, "recipients"), "wb") as f:
    f.write(b"\n".join(r[1:] for r in recipients))
sys.exit(status)
