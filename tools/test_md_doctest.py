#!/usr/bin/env python3
"""Tests of tools/md_doctest.py (ctest: Docs.Tool): each check finds what it must on a small file,
and passes a sound one. Runs the tool as a process, as ctest does. Standard library only."""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "md_doctest.py")
sys.path.insert(0, os.path.dirname(TOOL))
import md_doctest  # noqa: E402


class ToolTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="md-doctest-test.")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))
        return path

    def tool(self, *args, env=None):
        result = subprocess.run([sys.executable, TOOL, *args], cwd=self.dir, capture_output=True, text=True,
                                env=env, timeout=300)
        return result.returncode, result.stdout + result.stderr

    # ---- check ------------------------------------------------------------------------------

    def test_sound_files_pass(self):
        self.write("docs/other.md", """
            # Other file

            ## The lease and watchbot's retries

            ## `serve [--listen HOST:PORT]`
            """)
        self.write("code.txt", "x\n")
        self.write("README.md", """
            # Title

            ## Usage

            ## Usage

            See [usage](#usage), [again](#usage-1), [other](docs/other.md#the-lease-and-watchbots-retries),
            [serve](docs/other.md#serve---listen-hostport), [file](code.txt), [web](https://example.com/x#y),
            ![image](docs/other.md) and `[not a link](missing.md)`.

            ````md
            ```sh
            [inside a fence](missing.md)
            ```
            ````

            ~~~python
            print(1)
            ~~~
            """)
        code, out = self.tool("check", "README.md", "docs")
        self.assertEqual(code, 0, out)
        self.assertIn("checked 2 files: 0 problems", out)

    def test_unclosed_fence_fails_with_its_line(self):
        self.write("a.md", """
            # A

            ```sh
            echo closed
            ```

            ~~~
            never closed
            ```
            """)
        code, out = self.tool("check", "a.md")
        self.assertEqual(code, 1, out)
        self.assertIn("a.md:7: code fence opened here is never closed", out)

    def test_fence_with_info_string_does_not_close(self):
        self.write("a.md", """
            ```sh
            echo 1
            ```sh
            """)
        code, out = self.tool("check", "a.md")
        self.assertEqual(code, 1, out)
        self.assertIn("a.md:1: code fence opened here is never closed", out)

    def test_bad_anchors_fail(self):
        self.write("b.md", "# B file\n\n## Real heading\n")
        self.write("a.md", """
            # A

            [here](#no-such-heading) and [there](b.md#real-heading) and
            [wrong](b.md#unreal-heading) and [dup](#a-1)
            """)
        code, out = self.tool("check", "a.md", "b.md")
        self.assertEqual(code, 1, out)
        self.assertIn("a.md:3: link to '#no-such-heading': no heading with anchor '#no-such-heading'", out)
        self.assertIn("a.md:4: link to 'b.md#unreal-heading': no heading with anchor '#unreal-heading' in", out)
        self.assertIn("a.md:4: link to '#a-1'", out)
        self.assertNotIn("b.md#real-heading", out)
        self.assertIn("3 problems", out)

    def test_missing_file_fails(self):
        self.write("docs/a.md", "[gone](../src/gone.cpp) [up](../docs/a.md) [root](/docs/a.md) [rootgone](/x.md)\n")
        code, out = self.tool("check", "--root", self.dir, "docs")
        self.assertEqual(code, 1, out)
        self.assertIn("docs/a.md:1: link to '../src/gone.cpp': no file", out)
        self.assertIn("docs/a.md:1: link to '/x.md': no file", out)
        self.assertIn("2 problems", out)

    def test_github_slugs(self):
        cases = {
            "`info JOBID [--format json|table]`": "info-jobid---format-jsontable",
            "The lease and watchbot's retries": "the-lease-and-watchbots-retries",
            "`worker [options] -- CMD [ARGS...]`: a worker in any language":
                "worker-options----cmd-args-a-worker-in-any-language",
            "DynamoDB layouts of new jobs: `--dynamodb-layout`": "dynamodb-layouts-of-new-jobs---dynamodb-layout",
            "**Bold** and [a link](x.md) and `snake_case`": "bold-and-a-link-and-snake_case",
            "Ünïcode café": "ünïcode-café",
        }
        for heading, slug in cases.items():
            self.assertEqual(md_doctest.github_slug(md_doctest.heading_text(heading)), slug, heading)
        self.assertEqual(md_doctest.anchors(["# X", "## X", "```", "# not a heading", "```", "# X"]),
                         {"x", "x-1", "x-2"})

    # ---- run --------------------------------------------------------------------------------

    def test_passing_blocks_share_a_directory_in_order(self):
        self.write("doc.md", """
            # Doc

            Not marked, would fail:

            ```sh
            exit 1
            ```

            <!-- doctest -->
            ```sh
            echo hello > greeting.txt
            [ "$HOME" = "$PWD" ]
            [ -z "${ProgressTable:-}" ] && [ -z "${WorkTopic:-}" ] && [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]
            ```

            <!-- doctest -->
            ```console
            $ grep -q hello greeting.txt && \\
                  echo shown output is not compared
            this line is output
            $ test -L linked
            ```

            <!-- doctest -->
            ```bash
            [[ $(cat greeting.txt) == hello ]]
            ```
            """)
        env = dict(os.environ, ProgressTable="arn:aws:dynamodb:us-east-1:1:table/t", WorkTopic="x",
                   AWS_SECRET_ACCESS_KEY="secret")
        code, out = self.tool("run", "doc.md", "--link", "linked=" + self.dir, env=env)
        self.assertEqual(code, 0, out)
        self.assertIn("doc.md:10: block 1 of 3 (sh) passed", out)
        self.assertIn("doc.md:17: block 2 of 3 (console) passed", out)
        self.assertIn("doc.md:25: block 3 of 3 (bash) passed", out)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "greeting.txt")))

    def test_file_blocks_are_written_for_later_blocks_and_env_is_set(self):
        self.write("doc.md", """
            # Doc

            <!-- doctest: hello.cpp -->
            ```cpp
            int main() { return 0; }
            ```

            <!-- doctest -->
            ```sh
            grep -q 'int main' hello.cpp
            [ "$GREETING" = "a=b" ]
            ```
            """)
        code, out = self.tool("run", "doc.md", "--env", "GREETING=a=b")
        self.assertEqual(code, 0, out)
        self.assertIn("doc.md:4: block 1 of 2 (cpp) written to hello.cpp", out)
        self.assertIn("doc.md:9: block 2 of 2 (sh) passed", out)

    def test_failing_block_reports_file_line_block_output_and_code(self):
        self.write("doc.md", """
            <!-- doctest -->
            ```sh
            echo first
            ```

            <!-- doctest -->
            ```sh
            echo to-stdout
            echo to-stderr >&2
            false
            echo never
            ```

            <!-- doctest -->
            ```sh
            touch not-reached
            ```
            """)
        code, out = self.tool("run", "doc.md")
        self.assertEqual(code, 1, out)
        self.assertIn("doc.md:7: block 2 of 3 (sh) FAILED: exit code 1", out)
        self.assertIn("| echo to-stderr >&2", out)
        self.assertIn("| to-stdout", out)
        self.assertIn("| to-stderr", out)
        self.assertIn("exit code: 1", out)
        self.assertNotIn("| never", out.split("stdout:")[1])
        self.assertNotIn("block 3 of 3", out)

    def test_failing_console_command_fails(self):
        self.write("doc.md", "<!-- doctest -->\n```console\n$ true\noutput\n$ ls no-such-file\n```\n")
        code, out = self.tool("run", "doc.md")
        self.assertEqual(code, 1, out)
        self.assertIn("doc.md:2: block 1 of 1 (console) FAILED: exit code 2", out)

    def test_pipefail(self):
        self.write("doc.md", "<!-- doctest -->\n```sh\nfalse | cat\n```\n")
        code, out = self.tool("run", "doc.md")
        self.assertEqual(code, 1, out)

    def test_timeout_fails_the_block(self):
        self.write("doc.md", "<!-- doctest -->\n```sh\nsleep 60 &\nwait\n```\n")
        code, out = self.tool("run", "doc.md", "--timeout", "0.5")
        self.assertEqual(code, 1, out)
        self.assertIn("FAILED: still running after 0.5 s (--timeout): killed", out)
        self.assertIn("exit code: none (killed)", out)

    def test_python_block_without_module_fails_loudly(self):
        self.write("doc.md", "<!-- doctest -->\n```python\nprint('hi')\n```\n")
        code, out = self.tool("run", "doc.md")
        self.assertEqual(code, 1, out)
        self.assertIn("no --pythonpath: this build has no Python module", out)
        self.assertIn("exit code: not run", out)

    def test_python_block_with_pythonpath(self):
        self.write("pkg/mymod.py", "VALUE = 42\n")
        self.write("doc.md", """
            <!-- doctest -->
            ```python
            import os, mymod
            assert mymod.VALUE == 42
            assert "ProgressTable" not in os.environ
            open("made.txt", "w").write("x")
            ```

            <!-- doctest -->
            ```python
            import sys
            sys.exit(0 if open("made.txt").read() == "x" else 1)
            ```
            """)
        code, out = self.tool("run", "doc.md", "--pythonpath", os.path.join(self.dir, "pkg"),
                              env=dict(os.environ, ProgressTable="sqlite:///x.db"))
        self.assertEqual(code, 0, out)
        self.assertIn("block 2 of 2 (python) passed", out)

    def test_file_without_marked_blocks_fails(self):
        self.write("doc.md", "# Doc\n\n```sh\necho 1\n```\n")
        code, out = self.tool("run", "doc.md")
        self.assertEqual(code, 1, out)
        self.assertIn("no marked blocks", out)

    def test_marker_with_blank_line_before_fence_fails(self):
        self.write("doc.md", "<!-- doctest -->\n\n```sh\necho 1\n```\n")
        code, out = self.tool("run", "doc.md")
        self.assertEqual(code, 1, out)
        self.assertIn("doc.md:1: <!-- doctest --> is not directly above a code fence", out)

    def test_unsupported_fence_fails(self):
        self.write("doc.md", "<!-- doctest -->\n```cpp\nint main() {}\n```\n")
        code, out = self.tool("run", "doc.md")
        self.assertEqual(code, 1, out)
        self.assertIn("unsupported fence 'cpp'", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
