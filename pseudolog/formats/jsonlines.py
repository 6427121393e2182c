"""JSON lines: one object per line, read with orjson.

Every string value is scanned. Keys that say what they hold (`client_ip`, `caller`, `msisdn`, `imei`, ...)
make their value that kind even when it looks unusual (`"msisdn": "4915112345678"`, `"caller": 4930123456`).
Keys are scanned too. The output is valid JSON with the same keys in the same order; numbers stay numbers,
except a number under a phone/IMEI key, which becomes its token. A line without identifiers is left byte
for byte as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from pseudolog.core.fields import FieldScrubber
    from pseudolog.timeparse import TimeParser

KEY_KINDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "ip",
            "ip_address",
            "ipaddr",
            "client",
            "client_ip",
            "clientip",
            "remote_ip",
            "remote_addr",
            "remoteaddr",
            "src_ip",
            "source_ip",
            "dst_ip",
            "destination_ip",
            "peer_ip",
            "x_forwarded_for",
            "xff",
            "received",
            "contact_ip",
            "media_ip",
            "rtp_ip",
            "public_ip",
        ),
        "ip",
    ),
    **dict.fromkeys(
        (
            "caller",
            "callee",
            "calling",
            "called",
            "msisdn",
            "phone",
            "phone_number",
            "phonenumber",
            "number",
            "from_number",
            "to_number",
            "caller_id",
            "callerid",
            "caller_number",
            "callee_number",
            "cli",
            "clid",
            "ani",
            "dnis",
            "did",
            "a_number",
            "b_number",
            "anumber",
            "bnumber",
            "e164",
            "src_number",
            "dst_number",
            "caller_id_number",
            "destination_number",
            "mobile",
            "tel",
            "telephone",
            "dialed_number",
        ),
        "phone",
    ),
    **dict.fromkeys(("mac", "mac_address", "macaddress", "macaddr", "hwaddr", "hw_addr", "device_mac"), "mac"),
    **dict.fromkeys(("imei", "imeisv", "device_imei"), "imei"),
    **dict.fromkeys(("sip_instance", "instance_id", "sip_instance_id"), "device"),
}
SUFFIX_KINDS = (
    ("_ip", "ip"),
    ("_ipv4", "ip"),
    ("_ipv6", "ip"),
    ("_mac", "mac"),
    ("_imei", "imei"),
    ("_msisdn", "phone"),
    ("_phone", "phone"),
)
TIME_KEYS = ("@timestamp", "timestamp", "time", "ts", "datetime", "date", "event_time", "start_time", "logged_at")


def _key_name(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(".", "_").replace(" ", "_")


@lru_cache(maxsize=4096)
def _kind_of(rules: tuple[tuple[str, str], ...], key: str) -> str | None:
    """The kind a key names (`--json-field` rules first), memoised: a stream's objects repeat their keys."""
    name = _key_name(key)
    for rule_key, kind in rules:
        if _key_name(rule_key) == name:
            return None if kind == "text" else kind
    kind = KEY_KINDS.get(name)
    if kind is None:
        kind = next((k for suffix, k in SUFFIX_KINDS if name.endswith(suffix)), None)
    return kind


@dataclass(frozen=True)
class JsonLinesFormat:
    name: str
    description: str
    samples: tuple[str, ...] = field(default=())
    rules: tuple[tuple[str, str], ...] = ()  # --json-field KEY=KIND, checked first

    @property
    def specificity(self) -> int:
        return 100  # a JSON object is unmistakable: try it before any text pattern

    def with_rules(self, rules: tuple[tuple[str, str], ...]) -> JsonLinesFormat:
        return JsonLinesFormat(self.name, self.description, self.samples, rules)

    def kind_of(self, key: str) -> str | None:
        return _kind_of(self.rules, key)

    def parse(self, body: bytes) -> dict[str, Any] | None:
        if body.lstrip()[:1] != b"{":
            return None
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def event_time(self, obj: dict[str, Any], times: TimeParser, now: float) -> float | None:
        usec = obj.get("__REALTIME_TIMESTAMP")  # a systemd journal entry: microseconds since the epoch
        if isinstance(usec, str) and usec.isdigit():
            return int(usec) / 1e6
        for key in TIME_KEYS:
            value = obj.get(key)
            if isinstance(value, str):
                raw = value.encode("utf-8", "replace")
                for kind in ("iso", "clf", "epoch"):
                    t = times.parse(kind, raw, now)
                    if t is not None:
                        return t
            elif isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                return value / 1000.0 if value > 1e11 else float(value)
        return None

    def render(
        self, body: bytes, obj: dict[str, Any], fields: FieldScrubber, window: int | None, time_ok: bool
    ) -> bytes:
        walker = _Walker(self, fields, window)
        out = walker.value(obj, None)
        return orjson.dumps(out) if walker.changed else body


class _Walker:
    def __init__(self, fmt: JsonLinesFormat, fields: FieldScrubber, window: int | None) -> None:
        self.fmt = fmt
        self.fields = fields
        self.window = window
        self.changed = False

    def _str(self, text: str, kind: str | None) -> str:
        raw = text.encode("utf-8")
        out = self.fields.as_kind(kind, raw, self.window) if kind else self.fields.field(raw, self.window)
        if out != raw:
            self.changed = True
            return out.decode("utf-8")
        return text

    def value(self, value: Any, kind: str | None) -> Any:
        if isinstance(value, str):
            return self._str(value, kind)
        if isinstance(value, dict):
            return {self._str(k, None): self.value(v, self.fmt.kind_of(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, kind) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) and kind in ("phone", "imei"):
            token = self._str(str(value), kind)
            return token if token != str(value) else value
        return value
