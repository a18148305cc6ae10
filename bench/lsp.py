#!/usr/bin/env python3
"""Measures the language server as an editor sees it, over stdio.

    bench/lsp.py WORKSPACE [FILE] [--edits N] [--binary PATH]

Starts `cargo-fitness lsp` (the release build by default), initializes it on WORKSPACE and
waits for the first full check, then opens FILE (default: the largest Rust file of the
workspace) and types N edits into it, one at a time: each waits for the diagnostics published
for that version. Prints the first check's time, the time from an edit to its diagnostics (200
ms of it is the debounce) and the server's own time to check the edited file again (from its
log). Only the Python standard library is used.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse


def uri(path):
    return "file://" + urllib.parse.quote(os.path.abspath(path))


class Server:
    def __init__(self, binary, root):
        self.process = subprocess.Popen(
            [binary, "lsp"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.log = []

    def send(self, message):
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self):
        length = 0
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise EOFError("the server closed its output")
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        message = json.loads(self.process.stdout.read(length))
        if message.get("method") == "window/logMessage":
            self.log.append(message["params"]["message"])
        return message

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id and "method" not in message:
                return message

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, predicate):
        while True:
            message = self.receive()
            if predicate(message):
                return message


def largest_rust_file(root):
    best, size = None, -1
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("target", ".git", "node_modules")]
        for name in files:
            if name.endswith(".rs"):
                path = os.path.join(directory, name)
                if os.path.getsize(path) > size:
                    best, size = path, os.path.getsize(path)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace")
    parser.add_argument("file", nargs="?")
    parser.add_argument("--edits", type=int, default=20)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "release", "cargo-fitness"))
    args = parser.parse_args()
    root = os.path.realpath(args.workspace)
    path = os.path.realpath(args.file) if args.file else largest_rust_file(root)

    server = Server(args.binary, root)
    started = time.monotonic()
    server.request("initialize", {"processId": os.getpid(), "rootUri": uri(root), "capabilities": {}})
    server.notify("initialized", {})
    server.wait(lambda m: m.get("method") == "window/logMessage"
                and m["params"]["message"].startswith("checked ") and " files of " in m["params"]["message"])
    first = (time.monotonic() - started) * 1000
    first_log = server.log[-1]

    with open(path, encoding="utf-8") as f:
        text = f.read()
    document = uri(path)
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": document, "languageId": "rust", "version": 1, "text": text}})
    server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == document and m["params"].get("version") == 1)
    latencies = []
    for version in range(2, args.edits + 2):
        # A realistic keystroke: a line added at the end of the file.
        text = text + "// edit %d\n" % version
        sent = time.monotonic()
        server.notify("textDocument/didChange", {
            "textDocument": {"uri": document, "version": version},
            "contentChanges": [{"text": text}]})
        server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] == document and m["params"].get("version") == version)
        latencies.append((time.monotonic() - sent) * 1000)
    server.request("shutdown", None)
    server.notify("exit", None)
    server.process.wait(timeout=30)

    rechecks = [int(line.rsplit(" in ", 1)[1].split()[0]) for line in server.log
                if line.startswith("checked ") and " again in " in line]
    print("workspace: %s" % root)
    print("first check: %.0f ms from initialize to the first diagnostics (server: %s)" % (first, first_log))
    print("edited: %s (%d lines)" % (os.path.relpath(path, root), text.count("\n")))
    print("edit -> diagnostics: median %.0f ms, max %.0f ms over %d edits (200 ms debounce included)"
          % (statistics.median(latencies), max(latencies), len(latencies)))
    if rechecks:
        print("server re-check of the edited file: median %d ms, max %d ms"
              % (statistics.median(rechecks), max(rechecks)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
