#!/usr/bin/env python3
"""Docs that cannot rot: runs the marked examples of a markdown file, and checks markdown files.

    md_doctest.py run FILE.md [--path DIR]... [--pythonpath DIR] [--link NAME=TARGET]... [--timeout S]
    md_doctest.py check [--root DIR] PATH...      (a directory: every *.md directly in it)

run: every fenced code block whose opening fence is directly below a line `<!-- doctest -->` (no blank
line between) is run, in the order of the file, each as a process of its own, all in one fresh
temporary directory that is their working directory and HOME (so later blocks see the files earlier
ones wrote). The fence's info string says how:

    ```sh, ```bash   the block is a script for `bash -euo pipefail`
    ```console       a transcript: the lines starting with `$ ` (and the lines a trailing `\\`
                     continues) are the commands, run as one such script; the other lines show
                     their output, which is not compared
    ```python        the block is a script for python3 (this interpreter); needs --pythonpath (the
                     build's python/ directory): without it a python block fails, never skips

A block marked `<!-- doctest: NAME -->` instead (NAME a file name, no '/') is not run: its text is
written to the file NAME in the temporary directory, whatever its language, for the blocks after it
(e.g. a C++ source that a later shell block compiles).

The blocks' environment is this process's, without ProgressTable, WorkTopic, AlertTopic, DynamoDbEndpoint and
every AWS_* variable (an example cannot reach a real service), with PATH prefixed by the --path
directories, PYTHONPATH set to --pythonpath and each --env NAME=VALUE set. --link NAME=TARGET makes a symbolic link NAME in
the temporary directory (e.g. examples -> the checkout's examples/, for an example run from a
checkout). A block that exits non-zero or runs longer than --timeout seconds (default 120) fails:
the file, the block's line, the block, its stdout, stderr and exit code are printed, the remaining
blocks are not run, and the exit code is 1. A file without a marked block is an error too (exit 1):
the test that names it would otherwise pass without testing anything.

check: in each file, fences left unclosed (``` and ~~~, any length, with or without an info string),
links to a heading that does not exist (`[x](#anchor)` in the file, `[x](other.md#anchor)` in
another; the anchors of `#` headings as GitHub makes them: lowercase, punctuation removed, spaces to
'-', the second heading of the same anchor gets -1, the third -2, ...; and HTML id/name
attributes), and relative links or images whose file does not exist (relative to the file; a path starting with '/' is relative to --root, default: the
current directory). Each problem is printed as FILE:LINE: message; exit 1 when there is any.

Exit codes: 0 all good, 1 a block or a check failed, 2 usage error. Python 3 standard library only.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unicodedata
import urllib.parse

MARKER = "<!-- doctest -->"
FILE_MARKER = re.compile(r"^<!-- doctest: ([A-Za-z0-9_.+-]+) -->$")
SHELL_KINDS = ("sh", "bash")
REMOVED_ENV = ("ProgressTable", "WorkTopic", "AlertTopic", "DynamoDbEndpoint")

_FENCE_OPEN = re.compile(r"^( *)(`{3,}|~{3,})(.*)$")
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")


# ----------------------------------------------------------------------------------------------
# Markdown structure


class Fence:
    """A fenced code block: its opening line (1-based), info string, body lines, closing line."""

    def __init__(self, line, info, indent):
        self.line = line
        self.info = info
        self.indent = indent
        self.body = []
        self.close_line = None  # None: never closed
        self.file_name = None   # `<!-- doctest: NAME -->`: written to this file, not run

    @property
    def kind(self):
        return self.info.split()[0].lower() if self.info.split() else ""


def scan(lines):
    """Splits a file's lines into fences and the lines outside them.

    Returns (fences, outside): outside is a list of (line number, text) of the lines that are not
    part of a fence. A fence opens with 3 or more ` or ~ (indented by any number of spaces, as in
    a list item) and closes with a line of the same character, at least as many, and nothing else
    but spaces; a ` fence's info string cannot hold a `.
    """
    fences, outside = [], []
    current = None
    closer = None
    for number, text in enumerate(lines, 1):
        if current is not None:
            stripped = text.strip()
            if closer.fullmatch(stripped):
                current.close_line = number
                current = None
            else:
                body = text
                # Strip the opening fence's indentation from the body, as CommonMark does.
                for _ in range(current.indent):
                    if body.startswith(" "):
                        body = body[1:]
                current.body.append(body)
            continue
        match = _FENCE_OPEN.match(text)
        if match and not (match.group(2)[0] == "`" and "`" in match.group(3)):
            current = Fence(number, match.group(3).strip(), len(match.group(1)))
            fences.append(current)
            char, count = match.group(2)[0], len(match.group(2))
            closer = re.compile(re.escape(char) + "{%d,}" % count)
            continue
        outside.append((number, text))
    return fences, outside


def _strip_code_spans(text):
    """The line without its inline code spans (`x`, ``x``): links inside them are not links."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "`":
            j = i
            while j < len(text) and text[j] == "`":
                j += 1
            ticks = text[i:j]
            end = text.find(ticks, j)
            while end != -1 and end + len(ticks) < len(text) and text[end + len(ticks)] == "`":
                end = text.find(ticks, end + len(ticks) + 1)
            if end == -1:
                out.append(ticks)
                i = j
            else:
                out.append(" ")
                i = end + len(ticks)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def heading_text(raw):
    """The text GitHub renders for a heading's markdown: code spans keep their content, links their
    text, emphasis markers and HTML tags go."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", raw)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("`", "")
    text = re.sub(r"(\*+)(\S.*?\S|\S)\1", r"\2", text)
    text = re.sub(r"(?<![A-Za-z0-9])(_+)(\S.*?\S|\S)\1(?![A-Za-z0-9])", r"\2", text)
    return text


def github_slug(text):
    """GitHub's anchor of a heading's rendered text (before duplicates are numbered): lowercase,
    every character that is not a letter, mark, digit, connector (such as '_'), space or '-'
    removed, then each space turned into '-'."""
    kept = []
    for ch in text.strip().lower():
        category = unicodedata.category(ch)
        if ch in " -" or category[0] in "LMN" or category == "Pc":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors(lines):
    """Every anchor of a file: its ATX headings' (duplicates numbered -1, -2, ... as GitHub does)
    and the ids and names of HTML elements (<a name="x">)."""
    _, outside = scan(lines)
    found, counts = set(), {}
    for _, text in outside:
        match = _ATX_HEADING.match(text)
        if match:
            slug = github_slug(heading_text(match.group(2) or ""))
            n = counts.get(slug, 0)
            counts[slug] = n + 1
            found.add(slug if n == 0 else "%s-%d" % (slug, n))
        for html in re.finditer(r"""<[a-zA-Z][^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""", text):
            found.add(html.group(1))
    return found


# ----------------------------------------------------------------------------------------------
# check


_LINK_TARGET = re.compile(r"\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


def check_file(path, root, anchor_cache):
    """The problems of one markdown file, as 'FILE:LINE: message' strings."""
    problems = []
    lines = read_lines(path)
    fences, outside = scan(lines)
    for fence in fences:
        if fence.close_line is None:
            problems.append("%s:%d: code fence opened here is never closed (an odd number of fences)"
                            % (path, fence.line))

    def file_anchors(target):
        key = os.path.realpath(target)
        if key not in anchor_cache:
            anchor_cache[key] = anchors(read_lines(target))
        return anchor_cache[key]

    for number, text in outside:
        stripped = _strip_code_spans(text)
        targets = [m.group(1) for m in _LINK_TARGET.finditer(stripped)]
        ref = _REFERENCE_DEF.match(stripped)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            if target.startswith("<") and target.endswith(">"):
                target = target[1:-1]
            if not target or _SCHEME.match(target) or target.startswith("//"):
                continue
            link_path, _, fragment = target.partition("#")
            link_path = urllib.parse.unquote(link_path.split("?")[0])
            fragment = urllib.parse.unquote(fragment)
            if link_path:
                if link_path.startswith("/"):
                    resolved = os.path.join(root, link_path.lstrip("/"))
                else:
                    resolved = os.path.join(os.path.dirname(path) or ".", link_path)
                resolved = os.path.normpath(resolved)
                if not os.path.exists(resolved):
                    problems.append("%s:%d: link to '%s': no file %s" % (path, number, target, resolved))
                    continue
            else:
                resolved = path
            if fragment:
                if not resolved.endswith(".md") or not os.path.isfile(resolved):
                    continue  # anchors of other kinds of files (source lines, ...) are not checked
                if fragment not in file_anchors(resolved):
                    where = "" if resolved == path else " in %s" % resolved
                    problems.append("%s:%d: link to '%s': no heading with anchor '#%s'%s"
                                    % (path, number, target, fragment, where))
    return problems


def markdown_files(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files.extend(sorted(os.path.join(p, name) for name in os.listdir(p) if name.endswith(".md")))
        else:
            files.append(p)
    return files


def cmd_check(args):
    files = markdown_files(args.paths)
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        print("md_doctest: no such file: %s" % ", ".join(missing), file=sys.stderr)
        return 2
    if not files:
        print("md_doctest: no markdown files in %s" % ", ".join(args.paths), file=sys.stderr)
        return 2
    problems, cache = [], {}
    for f in files:
        problems.extend(check_file(f, args.root, cache))
    for p in problems:
        print(p)
    print("md_doctest: checked %d files: %d problem%s" % (len(files), len(problems), "" if len(problems) == 1 else "s"),
          file=sys.stderr)
    return 1 if problems else 0


# ----------------------------------------------------------------------------------------------
# run


def marked_blocks(lines):
    """The fences directly below a `<!-- doctest -->` line, and the problems of markers that mark
    no fence (a blank line or text between marker and fence) or an unclosed one."""
    fences, _ = scan(lines)
    by_line = {f.line: f for f in fences}
    blocks, problems = [], []
    fence_lines = set()
    for f in fences:
        fence_lines.update(range(f.line, (f.close_line or len(lines)) + 1))
    for number, text in enumerate(lines, 1):
        file_marker = FILE_MARKER.match(text.strip())
        if (text.strip() != MARKER and not file_marker) or number in fence_lines:
            continue
        fence = by_line.get(number + 1)
        if fence is None:
            problems.append("%d: %s is not directly above a code fence (no blank line allowed between)"
                            % (number, MARKER))
        elif fence.close_line is None:
            problems.append("%d: the marked code fence is never closed" % fence.line)
        else:
            fence.file_name = file_marker.group(1) if file_marker else None
            blocks.append(fence)
    return blocks, problems


def console_script(body):
    """The commands of a console transcript: the `$ ` lines and their `\\` continuations."""
    commands, continuing = [], False
    for text in body:
        if continuing:
            commands.append(text)
        elif text.startswith("$ ") or text == "$":
            commands.append(text[2:])
        else:
            continue
        continuing = text.rstrip().endswith("\\")
    return "\n".join(commands) + "\n"


def block_environment(args, workdir):
    env = {k: v for k, v in os.environ.items() if k not in REMOVED_ENV and not k.startswith("AWS_")}
    prefix = [os.path.abspath(p) for p in args.path]
    env["PATH"] = os.pathsep.join(prefix + [env.get("PATH", os.defpath)])
    env["HOME"] = workdir
    env.pop("PYTHONPATH", None)
    if args.pythonpath:
        env["PYTHONPATH"] = os.path.abspath(args.pythonpath)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for setting in args.env:
        name, _, value = setting.partition("=")
        env[name] = value
    return env


def run_block(fence, args, workdir, env):
    """Runs one block; returns None when it passed, else (exit code, or 'none (killed)' on timeout,
    or 'not run'; stdout; stderr; what went wrong)."""
    kind = fence.kind
    source = "\n".join(fence.body) + "\n"
    if fence.file_name:
        with open(os.path.join(workdir, fence.file_name), "w") as f:
            f.write(source)
        return None
    if kind in SHELL_KINDS:
        argv = ["bash", "-euo", "pipefail", "-c", source, "doctest"]
    elif kind == "console":
        argv = ["bash", "-euo", "pipefail", "-c", console_script(fence.body), "doctest"]
    elif kind == "python":
        if not args.pythonpath:
            return ("not run", "", "", "a python block, and no --pythonpath: this build has no Python module "
                                  "(configure with -DWP_BUILD_PYTHON=ON)")
        argv = [args.python, "-c", source]
    else:
        return ("not run", "", "", "unsupported fence '%s': a marked block is sh, bash, console or python" % fence.info)
    # A process group of its own, so that a timeout kills what the block started too.
    proc = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return ("none (killed)", out.decode(errors="replace"), err.decode(errors="replace"),
                "still running after %g s (--timeout): killed" % args.timeout)
    if proc.returncode != 0:
        return (proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), "exit code %d" % proc.returncode)
    return None


def _indented(text):
    return "".join("    | " + line + "\n" for line in text.rstrip("\n").split("\n")) if text else "    (empty)\n"


def cmd_run(args):
    try:
        lines = read_lines(args.file)
    except OSError as e:
        print("md_doctest: cannot read %s: %s" % (args.file, e.strerror), file=sys.stderr)
        return 2
    blocks, problems = marked_blocks(lines)
    if problems:
        for p in problems:
            print("%s:%s" % (args.file, p))
        return 1
    if not blocks:
        print("%s: no marked blocks (a line %s directly above a fence): nothing to test" % (args.file, MARKER))
        return 1
    links = []
    for link in args.link:
        name, sep, target = link.partition("=")
        if not sep or not name or "/" in name:
            print("md_doctest: --link expects NAME=TARGET, not '%s'" % link, file=sys.stderr)
            return 2
        links.append((name, os.path.abspath(target)))
    workdir = tempfile.mkdtemp(prefix="md-doctest.")
    try:
        for name, target in links:
            os.symlink(target, os.path.join(workdir, name))
        env = block_environment(args, workdir)
        for index, fence in enumerate(blocks, 1):
            failure = run_block(fence, args, workdir, env)
            if failure is None:
                what = "written to " + fence.file_name if fence.file_name else "passed"
                print("%s:%d: block %d of %d (%s) %s" % (args.file, fence.line, index, len(blocks), fence.kind, what))
                continue
            code, out, err, what = failure
            print("%s:%d: block %d of %d (%s) FAILED: %s" % (args.file, fence.line, index, len(blocks), fence.kind, what))
            print("  block:\n" + _indented("\n".join(fence.body)))
            print("  stdout:\n" + _indented(out))
            print("  stderr:\n" + _indented(err))
            print("  exit code: %s" % code)
            return 1
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="md_doctest.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a file's marked blocks")
    run.add_argument("file")
    run.add_argument("--path", action="append", default=[], help="a directory to put first on PATH (repeatable)")
    run.add_argument("--pythonpath", help="PYTHONPATH of python blocks (the build's python/ directory)")
    run.add_argument("--python", default=sys.executable, help="the interpreter of python blocks (default: this one)")
    run.add_argument("--link", action="append", default=[], help="NAME=TARGET: a symbolic link in the working directory")
    run.add_argument("--env", action="append", default=[], help="NAME=VALUE: set in the blocks' environment")
    run.add_argument("--timeout", type=float, default=120.0, help="seconds a block may run (default 120)")
    check = sub.add_parser("check", help="check markdown files")
    check.add_argument("paths", nargs="+")
    check.add_argument("--root", default=".", help="the repository root, for links starting with '/'")
    args = parser.parse_args(argv)
    return cmd_run(args) if args.command == "run" else cmd_check(args)


if __name__ == "__main__":
    sys.exit(main())
