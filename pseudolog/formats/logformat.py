"""nginx `log_format` and Apache `LogFormat` strings -> pattern elements, for `--log-format`.

    nginx   ::= ( "$" NAME | "${" NAME "}" | text )+
    apache  ::= ( "%" [condition] ["<" | ">"] ["{" param "}"] LETTER | "%%" | text )+

Variables map to field types by what they hold (`$status` is a number, `%t` a CLF time); anything not
known to be numeric or a time is scanned as text, so an unknown variable costs speed, never privacy.
"""

from __future__ import annotations

import pyparsing as pp

from pseudolog.errors import FormatError
from pseudolog.formats.grammar import Element, Field, Literal, merge_literals

NGINX_TYPES = {
    "remote_addr": "host",
    "realip_remote_addr": "host",
    "server_addr": "host",
    "remote_user": "word",
    "time_local": "clf",
    "time_iso8601": "iso",
    "msec": "epoch",
    "status": "int",
    "body_bytes_sent": "int",
    "bytes_sent": "int",
    "request_length": "int",
    "connection": "int",
    "connection_requests": "int",
    "pid": "int",
    "server_port": "int",
    "remote_port": "int",
    "content_length": "int",
    "request_time": "num",
}
APACHE_TYPES = {
    "h": "host",
    "a": "host",
    "A": "host",
    "l": "word",
    "u": "word",
    "v": "word",
    "V": "word",
    "s": "int",
    "b": "int",
    "B": "int",
    "O": "int",
    "I": "int",
    "S": "int",
    "D": "int",
    "T": "int",
    "k": "int",
    "p": "int",
    "P": "int",
}

_NAME = pp.Word(pp.alphas + "_", pp.alphanums + "_")
_NGINX_VAR = (pp.Suppress("$") + (pp.Suppress("{") + _NAME + pp.Suppress("}") | _NAME)).set_name("$variable")
_NGINX_VAR.set_parse_action(lambda t: Field(NGINX_TYPES.get(t[0], "text"), t[0]))
_NGINX_TEXT = pp.Regex(r"[^$]+").set_name("literal text").set_parse_action(lambda t: Literal(t[0]))
NGINX_FORMAT = pp.OneOrMore(_NGINX_VAR | _NGINX_TEXT).set_name("nginx log_format")

_APACHE_DIRECTIVE = pp.Regex(
    r"%(?:!?[0-9]{3}(?:,[0-9]{3})*)?(?P<mod>[<>])?(?:\{(?P<param>[^}]*)\})?(?P<letter>[a-zA-Z])"
)
_APACHE_DIRECTIVE.set_name("%directive")
_APACHE_PERCENT = pp.Literal("%%").set_name("%%").set_parse_action(lambda: Literal("%"))
_APACHE_TEXT = pp.Regex(r"(?:[^%\\]|\\.)+").set_name("literal text")
NGINX_APACHE_ESCAPES = {'\\"': '"', "\\t": "\t", "\\n": "\n", "\\\\": "\\"}


def _apache_text(t: pp.ParseResults) -> Literal:
    text = t[0]
    for raw, real in NGINX_APACHE_ESCAPES.items():
        text = text.replace(raw, real)
    return Literal(text)


def _apache_directive(t: pp.ParseResults) -> list[Element]:
    letter, param = t["letter"], t.get("param")
    if letter == "t" and param is None:
        return [Literal("["), Field("clf", "time"), Literal("]")]
    name = f"{letter}_{param}" if param else letter
    safe_name = "".join(c if c.isalnum() else "_" for c in name)
    field_type = APACHE_TYPES.get(letter, "text")
    if letter == "t" or (letter == "P" and param == "hextid"):
        field_type = "text"
    return [Field(field_type, safe_name)]


_APACHE_DIRECTIVE.set_parse_action(_apache_directive)
_APACHE_TEXT.set_parse_action(_apache_text)
APACHE_FORMAT = pp.OneOrMore(_APACHE_PERCENT | _APACHE_DIRECTIVE | _APACHE_TEXT).set_name("Apache LogFormat")
for _expr in (_NGINX_VAR, _NGINX_TEXT, NGINX_FORMAT, _APACHE_DIRECTIVE, _APACHE_PERCENT, _APACHE_TEXT, APACHE_FORMAT):
    _expr.leave_whitespace()


def parse_log_format(text: str) -> list[Element]:
    """Elements for an nginx (`$var`) or Apache (`%x`) format string; the syntax is told by its markers."""
    grammar, kind = (NGINX_FORMAT, "nginx log_format") if "$" in text else (APACHE_FORMAT, "Apache LogFormat")
    try:
        elements = list(grammar.parse_string(text, parse_all=True))
    except pp.ParseException as exc:
        detail = exc.explain(depth=0).splitlines()[-1]
        raise FormatError(f"--log-format: not a valid {kind}: {detail}") from None
    # Names must be unique per pattern for readable stats; number repeats.
    seen: dict[str, int] = {}
    unique: list[Element] = []
    for e in merge_literals(elements):
        if isinstance(e, Field):
            seen[e.name] = seen.get(e.name, 0) + 1
            if seen[e.name] > 1:
                e = Field(e.type, f"{e.name}_{seen[e.name]}")
        unique.append(e)
    return unique
