"""Docs tied to the code: every command and option has help text and appears in the README."""

from __future__ import annotations

import re

import pytest

from pseudolog.cli import app
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def _commands():
    import typer.main

    root = typer.main.get_command(app)
    stack = [((), root)]
    while stack:
        path, cmd = stack.pop()
        subs = getattr(cmd, "commands", None)
        if subs:
            stack.extend(((*path, name), sub) for name, sub in subs.items())
        else:
            yield " ".join(path), cmd


COMMANDS = sorted(_commands(), key=lambda c: c[0])


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_command_documented(name, cmd):
    assert (cmd.help or "").strip(), f"{name} has no help text"
    assert f"pseudolog {name}" in README, f"README does not mention 'pseudolog {name}'"
    for param in cmd.params:
        if param.param_type_name == "option":
            assert (param.help or "").strip(), f"{name} {param.opts[0]} has no help"
            long_opts = [o for o in param.opts if o.startswith("--")]
            assert any(o in README for o in long_opts), f"README does not mention {long_opts}"


def test_readme_commands_match_ci():
    """The two set-up commands in the README are the ones .ci/run executes."""
    ci = (REPO / ".ci" / "run").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    setup = [line for b in blocks for line in b.splitlines() if "pip install" in line]
    assert len(setup) >= 2
    for line in setup[:2]:
        assert line.strip() in ci, line


def test_vectors_are_quoted_in_readme():
    import json

    vectors = json.loads((REPO / "tests" / "vectors" / "pseudonyms.json").read_text())
    for v in vectors["vectors"][:3]:
        assert v["expected"] in README


def test_exit_code_table_matches_the_code():
    """README's table, `pseudolog --help`'s and the constants the commands exit with are one table."""
    from pseudolog.errors import EXIT_CODES

    section = README.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.M)
    assert [(int(code), text.replace("\\|", "|")) for code, text in rows] == list(EXIT_CODES)


def test_every_example_is_listed_in_the_readme():
    examples = sorted(p.name for p in (REPO / "examples").iterdir())
    section = README.split("## Examples", 1)[1].split("\n## ", 1)[0]
    listed = sorted(re.findall(r"^\| \[`examples/([^`]+)`\]", section, re.M))
    assert listed == examples


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_metavars_say_what_to_type(name, cmd):
    """No `<str>`/`<int>`: every option that takes a value names what to type, in capitals (or its choices)."""
    for param in cmd.params:
        if param.param_type_name == "option" and not param.is_flag:
            assert param.metavar and (param.metavar.isupper() or "|" in param.metavar), (name, param.opts)


def test_readme_lists_every_pseudonym_prefix():
    from pseudolog.pseudonym import PREFIXES

    listed = re.search(r"# PREFIX: ([A-Z, ]+)", README)
    assert listed is not None
    assert [p.strip() for p in listed.group(1).split(",")] == list(PREFIXES.values())
