#!/usr/bin/env python3
"""Run the shell examples of README.md or of the manual's EXAMPLES and compare
their output with the text.

An example is a line "$ COMMAND" in a fenced block (README) or in the literal
block of the manual's EXAMPLES section; the lines after it, up to the next
"$ " line, are its output: standard output and standard error together, as a
terminal shows them. Each command runs under a pseudo-terminal, as typed: a
password prompt is answered with $EXAMPLE_PASSWORD, a "[y/N]" question with
the answer the text shows after it; a cd stays for the commands after it.
Values that differ from run to run are
masked: a 14-digit revision id or backup stamp (in a later command, an id the
text names stands for the value last printed in its place), a SHA-256, the
salt and hash of an Argon2 string, a timestamp, an Alembic revision id; the
scratch folder's path reads as /home/dev/exoplanet_analyzer.

Blocks run in order in one scratch folder. An HTML comment just before a
fence changes that for the block:
    <!-- example: new -->           a fresh empty folder and environment
    <!-- example: tree -->          the same, with a copy of the source tree
                                    (its tracked files, built, in git)
    <!-- example: setup CMD -->     CMD runs first, unseen; it must succeed
                                    ($TOP is the source tree)
Several may share one comment, separated by " ;; ".

usage: examples.py check|update FILE EXODB
"update" rewrites FILE's outputs with what the commands print.
"""
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PASSWORD = "correct horse battery"
PROJECT = "/home/dev/exoplanet_analyzer"   # how the scratch folder is shown
TIMEOUT = 120

MASKS = [
    ("id", r"(?<![0-9a-f])[0-9]{14}(?![0-9a-f])"),
    ("hex", r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])"),
    ("phc", r"(\$argon2id?\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$)"
            r"[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"),
    ("time", r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
             r"(\.[0-9]+)?Z"),
    ("commit", r"(?<=\[master )[0-9a-f]{7,12}(?=\])"),
    ("alembic", r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])"),
]
MASK_RE = re.compile("|".join("(?P<%s>%s)" % (n, p) for n, p in MASKS))
PROMPT_RE = re.compile(r"(password[^\n]*|Repeat[^\n]*): ?$", re.I)
QUESTION_RE = re.compile(r"\[y/N\] ?$")


class Example:
    def __init__(self, command, output, line):
        self.command = command
        self.output = output
        self.line = line        # 0-based index of the "$ " line in FILE


class Block:
    def __init__(self, directives):
        self.directives = directives
        self.examples = []
        self.end = None         # index of the closing line


def unroff(line):
    return (line.replace("\\e", "\\").replace("\\-", "-")
            .replace("\\&", "").replace("\\(aq", "'"))


def parse(lines, manual):
    """The blocks of FILE that hold examples."""
    blocks = []
    i = 0
    pending = []
    in_examples = False
    while i < len(lines):
        line = lines[i]
        if manual:
            if line.startswith(".Sh "):
                in_examples = line.strip() == ".Sh EXAMPLES"
            opens = in_examples and line.startswith(".Bd -literal")
            closes = lambda s: s.startswith(".Ed")
        else:
            m = re.match(r"\s*<!-- example: (.*) -->\s*$", line)
            if m:
                pending += [d.strip() for d in m.group(1).split(";;")]
                i += 1
                continue
            if line.startswith("```") and line.rstrip() != "```":
                i += 1      # a block in another language: not shell
                while i < len(lines) and lines[i].rstrip() != "```":
                    i += 1
                pending = []
                i += 1
                continue
            opens = line.rstrip() == "```"
            closes = lambda s: s.rstrip() == "```"
        if not opens:
            if line.strip() and not line.lstrip().startswith("<!--"):
                pending = []
            i += 1
            continue
        block = Block(pending)
        pending = []
        i += 1
        cur = None
        while i < len(lines) and not closes(lines[i]):
            text = unroff(lines[i]) if manual else lines[i]
            if text.startswith("$ "):
                cur = Example(text[2:], [], i)
                block.examples.append(cur)
            elif cur is not None:
                cur.output.append(text)
            i += 1
        block.end = i
        if block.examples:
            blocks.append(block)
        i += 1
    return blocks


def pattern(expected):
    """A regular expression for an expected line, and its ids in order."""
    parts, ids, pos = ["^"], [], 0
    for m in MASK_RE.finditer(expected):
        parts.append(re.escape(expected[pos:m.start()]))
        kind = m.lastgroup
        if kind == "id":
            parts.append("(?P<i%d>[0-9]{14})" % len(ids))
            ids.append(m.group(0))
        elif kind == "phc":
            parts.append(re.escape(m.group(m.lastindex + 1)) +
                         r"[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")
        else:
            parts.append(MASKS[[n for n, _ in MASKS].index(kind)][1])
        pos = m.end()
    parts.append(re.escape(expected[pos:]) + "$")
    return re.compile("".join(parts)), ids


def compare(expected, actual, binding):
    """Whether actual matches expected, binding the text's ids."""
    if len(expected) != len(actual):
        return False
    trial = dict(binding)
    for want, got in zip(expected, actual):
        rx, ids = pattern(want)
        m = rx.match(got)
        if not m:
            return False
        for k, name in enumerate(ids):
            trial[name] = m.group("i%d" % k)
    binding.update(trial)
    return True


def run(command, cwd, env, expected):
    """Run command under a pseudo-terminal; its output as lines."""
    answers = [m.group(1) for m in
               (re.search(r"\[y/N\] (\S+)$", e) for e in expected) if m]
    where = os.path.join(os.path.dirname(cwd), ".cwd")
    script = command + '\nrc=$?; pwd >"$EXAMPLE_CWD"; exit $rc'
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execvpe("bash", ["bash", "-c", script],
                   dict(env, EXAMPLE_CWD=where))
    out = b""
    answered = 0
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            out += b"\n[timed out]"
            break
        r, _, _ = select.select([fd], [], [], min(left, 0.05))
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            answered = 0
        tail = out.decode("utf-8", "replace").replace("\r", "")
        tail = tail.rsplit("\n", 1)[-1]
        if not r and tail and answered == 0:
            if QUESTION_RE.search(tail):
                os.write(fd, ((answers.pop(0) if answers else "n") +
                              "\n").encode())
                answered = 1
            elif PROMPT_RE.search(tail):
                os.write(fd, (PASSWORD + "\n").encode())
                answered = 1
    os.waitpid(pid, 0)
    try:
        with open(where) as f:
            cwd = f.read().strip() or cwd     # a cd in the command stays
        os.unlink(where)
    except OSError:
        pass
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    text = text.replace("\r", "")
    lines = [l.rstrip() for l in text.split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return lines, cwd


class Runner:
    def __init__(self, exodb, top):
        self.root = tempfile.mkdtemp(prefix="exodb-examples.")
        self.top = top
        self.bin = os.path.join(self.root, "bin")
        os.mkdir(self.bin)
        os.symlink(exodb, os.path.join(self.bin, "exodb"))
        self.n = 0
        self.env = {
            "PATH": self.bin + ":" + os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.root, "LANG": "C.UTF-8", "TERM": "dumb",
            "EXAMPLE_PASSWORD": PASSWORD,
            "BOB_PASSWORD": "bob's long password",
            "DAVE_PASSWORD": "dave's long password",
            "GIT_AUTHOR_NAME": "exodb", "GIT_AUTHOR_EMAIL": "exodb@invalid",
            "GIT_COMMITTER_NAME": "exodb",
            "GIT_COMMITTER_EMAIL": "exodb@invalid",
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "CC"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.base = dict(self.env)
        self.cwd = self.fresh()

    def fresh(self):
        self.n += 1
        d = os.path.join(self.root, "ex%d" % self.n)
        os.mkdir(d)
        self.ctx = d
        return d

    def tree(self):
        """A copy of the source tree with its build outputs, built."""
        d = self.fresh()
        files = subprocess.run(["git", "-C", self.top, "ls-files", "-z"],
                               capture_output=True, check=True).stdout
        for f in files.decode().split("\0"):
            if f and os.path.exists(os.path.join(self.top, f)):
                os.makedirs(os.path.join(d, os.path.dirname(f)),
                            exist_ok=True)
                shutil.copy2(os.path.join(self.top, f), os.path.join(d, f))
        build = os.path.join(self.top, "build")
        if os.path.isdir(build):
            os.mkdir(os.path.join(d, "build"))
            for f in os.listdir(build):
                if f.endswith(".o") or f == "model-sql.c":
                    shutil.copy2(os.path.join(build, f),
                                 os.path.join(d, "build", f))
        self.setup("git init -q && git add -A && git commit -q -m tree && "
                   "make -s >/dev/null", d)
        return d

    def setup(self, command, cwd=None):
        p = subprocess.run(["bash", "-c", command], cwd=cwd or self.cwd,
                           env=dict(self.env, TOP=self.top), capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("setup '%s' failed: %s%s" %
                               (command, p.stdout, p.stderr))

    def block(self, block):
        for d in block.directives:
            if d == "new":
                self.env = dict(self.base)
                self.cwd = self.fresh()
            elif d == "tree":
                self.env = dict(self.base)
                self.cwd = self.tree()
            elif d.startswith("setup "):
                self.setup(d[6:])
            else:
                raise RuntimeError("unknown directive '%s'" % d)


def main():
    mode, path, exodb = sys.argv[1:4]
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(path) as f:
        lines = f.read().split("\n")
    manual = path.endswith(".1")
    blocks = parse(lines, manual)
    runner = Runner(os.path.abspath(exodb), top)
    binding = {}
    failures = 0
    count = 0
    try:
        for block in blocks:
            runner.block(block)
            for ex in block.examples:
                count += 1
                command = ex.command
                for name, value in binding.items():
                    command = command.replace(name, value)
                m = re.match(r"export ([A-Za-z_]+)=(\S*)$", command)
                if m:
                    runner.env[m.group(1)] = m.group(2)
                actual, runner.cwd = run(command, runner.cwd, runner.env,
                                         ex.output)
                actual = [l.replace(runner.ctx, PROJECT) for l in actual]
                if os.environ.get("EXAMPLES_DEBUG"):
                    print("$ " + command + "\n" + "\n".join(actual))
                if compare(ex.output, actual, binding):
                    continue
                if mode == "update":
                    # Written with the text's ids where they are known.
                    back = {v: k for k, v in binding.items()}
                    actual = [re.sub("(?<![0-9])[0-9]{14}(?![0-9])",
                                     lambda m: back.get(m.group(0),
                                                        m.group(0)), l)
                              for l in actual]
                    token = re.compile("(?<![0-9])[0-9]{14}(?![0-9])")
                    for name, value in zip(token.findall("\n".join(ex.output)),
                                           token.findall("\n".join(actual))):
                        binding[name] = value
                    ex.output = actual
                    continue
                failures += 1
                print("%s:%d: $ %s" % (path, ex.line + 1, ex.command))
                print("  the text says:")
                for l in ex.output:
                    print("    | " + l)
                print("  it prints:")
                for l in actual:
                    print("    | " + l)
    finally:
        shutil.rmtree(runner.root, ignore_errors=True)
    if mode == "update":
        out, edits = [], {}
        for block in blocks:
            start = block.examples[0].line
            text = []
            for ex in block.examples:
                text.append("$ " + ex.command)
                text += ex.output
            if manual:
                text = [("\\&" if t[:1] in ".'" else "") +
                        t.replace("\\", "\\e") for t in text]
            edits[start] = (block.end, text)
        i = 0
        while i < len(lines):
            if i in edits:
                end, text = edits[i]
                out += text
                i = end
            else:
                out.append(lines[i])
                i += 1
        with open(path, "w") as f:
            f.write("\n".join(out))
    print("%s: %d examples, %d differ" % (path, count, failures))
    return 1 if failures and mode == "check" else 0


if __name__ == "__main__":
    sys.exit(main())
