"""Drives a command in a real pseudo-terminal, for tests/support/terminal.ts.

node-pty needs an install script, so the terminal is Python's pty module.
Reads one JSON object on stdin: {"argv": [...], "env": {...}, "cwd": "...",
"steps": [{"expect": "<regex>", "send": "<text>"}], "timeoutSec": N}.
Each step waits until the regex matches the output printed since the
previous step (ANSI escapes removed), then types `send`. Prints one JSON
object: {"code": exit code or -signal, "output": everything printed,
"failedStep": index of a step whose text never appeared, or null}.
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def main():
    spec = json.load(sys.stdin)
    deadline = time.time() + spec.get("timeoutSec", 30)
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(spec["cwd"])
        os.execvpe(spec["argv"][0], spec["argv"], spec["env"])
    # 100 columns: a terminal of width 0 makes prompts wrap at every character.
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    output = ""
    mark = 0
    failed = None
    closed = False

    def pump(wait):
        nonlocal output, closed
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            closed = True
        output += chunk.decode("utf-8", errors="replace")

    for index, step in enumerate(spec["steps"]):
        pattern = re.compile(step["expect"])
        while not pattern.search(ANSI.sub("", output[mark:])):
            if closed or time.time() > deadline:
                failed = index
                break
            pump(0.05)
        if failed is not None:
            break
        mark = len(output)
        os.write(fd, step["send"].encode())
    while not closed and time.time() < deadline:
        pump(0.05)
    if not closed:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    json.dump({"code": code, "output": ANSI.sub("", output), "failedStep": failed}, sys.stdout)


main()
