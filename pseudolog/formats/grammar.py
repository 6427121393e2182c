"""Grammar of the pattern language and of `.pattern` files, in pyparsing.

    pattern  ::= element+
    element  ::= field | escape | literal
    field    ::= "%{" TYPE [ ":" NAME ] "}"        e.g. %{host:remote_addr}  %{clf:time_local}
    escape   ::= "%%"                              a literal percent sign
    literal  ::= any characters but "%"            matched exactly; a run of spaces matches one or more

    file     ::= ( comment | blank | entry )*
    entry    ::= KEY ":" value                     KEY: name description sample pattern time codec
                                                        columns min_columns phone keep require
    comment  ::= "#" text

Every element is named (set_name) so `explain()` says what was expected where. Whitespace is significant
in patterns, so each element leaves it alone; no global pyparsing switch is flipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyparsing as pp

from pseudolog.errors import FormatError


@dataclass(frozen=True, slots=True)
class Literal:
    text: str


@dataclass(frozen=True, slots=True)
class Field:
    type: str
    name: str


Element = Literal | Field

_IDENT = pp.Word(pp.alphas + "_", pp.alphanums + "_")
_FIELD = (
    pp.Suppress(pp.Literal("%{"))
    + _IDENT.copy().set_name("field type")("type")
    + pp.Opt(pp.Suppress(":") + _IDENT.copy().set_name("field name")("name"))
    + pp.Suppress(pp.Literal("}"))
).set_name("field %{type:name}")
_FIELD.set_parse_action(lambda t: Field(t["type"], t.get("name", t["type"])))
_ESCAPE = pp.Literal("%%").set_name("escaped percent").set_parse_action(lambda: Literal("%"))
_LITERAL = pp.Regex(r"[^%]+").set_name("literal text").set_parse_action(lambda t: Literal(t[0]))
_ELEMENT = (_FIELD | _ESCAPE | _LITERAL).set_name("pattern element")
PATTERN = pp.OneOrMore(_ELEMENT).set_name("pattern")
for _expr in (_FIELD, _ESCAPE, _LITERAL, _ELEMENT, PATTERN):
    _expr.leave_whitespace()

_KEY = pp.one_of(
    "name description sample pattern time codec columns min_columns phone keep require ports", as_keyword=True
).set_name("key")
_VALUE = pp.Regex(r"[^\n]*").set_name("value")
_ENTRY = pp.Group(_KEY("key") + pp.Suppress(":") + pp.Opt(pp.White(" \t")).suppress() + _VALUE("value"))
_ENTRY.set_name("entry key: value")
_COMMENT = pp.Regex(r"#[^\n]*").set_name("comment")
PATTERN_FILE = pp.ZeroOrMore(_COMMENT.suppress() | _ENTRY) + pp.StringEnd()
PATTERN_FILE.set_whitespace_chars(" \t\n\r", copy_defaults=False)


def merge_literals(elements: list[Element]) -> list[Element]:
    out: list[Element] = []
    for e in elements:
        if isinstance(e, Literal) and out and isinstance(out[-1], Literal):
            out[-1] = Literal(out[-1].text + e.text)
        else:
            out.append(e)
    return out


def parse_pattern(text: str, where: str = "pattern") -> list[Element]:
    try:
        result = PATTERN.parse_string(text, parse_all=True)
    except pp.ParseException as exc:
        detail = exc.explain(depth=0).splitlines()[-1]
        raise FormatError(f"{where}: {detail}") from None
    return merge_literals(list(result))


def parse_pattern_file(text: str, where: str) -> list[tuple[str, str]]:
    """(key, value) entries of a `.pattern` file, in order."""
    try:
        result = PATTERN_FILE.parse_string(text, parse_all=True)
    except pp.ParseException as exc:
        raise FormatError(f"{where}: line {exc.lineno}: expected a 'key: value' entry or a # comment") from None
    return [(entry["key"], entry["value"].rstrip()) for entry in result]
