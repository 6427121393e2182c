"""A varied corpus of version decoys beside real identifiers (issue 22, "decoys that must survive").

Each line holds one decoy (a dotted-quad software version in a place where versions are written) and real
identifiers (a client address, a phone number, a MAC) that must be replaced. The decoys are written the way the
programs write them: SIP phones' and soft clients' user agents (vendors' own formats, firmware numbering taken
from their release notes), browsers, version and firmware keys in key=value, JSON and header form, each in an
access log, a Kamailio or Asterisk line or a JSON event. Versions are drawn so that every one is also a valid
IPv4 address, and some fall in public address space: only the context can tell them apart.

`lines(n, seed)` -> [(line, decoy, identifiers)]; the same seed gives the same corpus.
"""

from __future__ import annotations

import random
from collections.abc import Callable

Rng = random.Random


def _quad(rng: Rng, first: tuple[int, int] = (1, 120)) -> str:
    a = rng.randint(*first)
    return f"{a}.{rng.randint(0, 99)}.{rng.randint(0, 60)}.{rng.randint(0, 250)}"


# User agents: (template, how the version is drawn). `{v}` is the decoy version.
AGENTS: list[tuple[str, Callable[[Rng], str]]] = [
    ("Yealink SIP-T46S {v}", lambda r: f"66.86.0.{r.randint(1, 250)}"),
    ("Yealink SIP-T54W {v}", lambda r: f"96.{r.randint(80, 86)}.0.{r.randint(1, 250)}"),
    ("Yealink W60B {v}", lambda r: f"77.{r.randint(80, 85)}.0.{r.randint(1, 99)}"),
    ("Grandstream GXP2170 {v}", lambda r: f"1.0.{r.randint(9, 11)}.{r.randint(1, 99)}"),
    ("Grandstream HT802 {v}", lambda r: f"1.0.{r.randint(30, 50)}.{r.randint(1, 20)}"),
    ("Grandstream Model HW GXP2135 SW {v} DevId c074ad0a0b0c", lambda r: f"1.0.{r.randint(7, 11)}.{r.randint(1, 70)}"),
    ("Fanvil X4U {v}", lambda r: f"2.{r.randint(10, 14)}.{r.randint(0, 9)}.{r.randint(1, 99)}"),
    ("snom710/{v}", lambda r: f"10.1.{r.randint(40, 80)}.{r.randint(1, 30)}"),
    ("snomD785/{v}", lambda r: f"10.1.{r.randint(100, 180)}.{r.randint(1, 30)}"),
    ("PolycomVVX-VVX_411-UA/{v}", lambda r: f"{r.randint(5, 6)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(1, 99)}"),  # noqa: E501
    ("Cisco/SPA504G-{v}", lambda r: f"7.{r.randint(4, 6)}.{r.randint(0, 9)}.{r.randint(1, 9)}"),
    ("Zoiper rv{v}", lambda r: f"2.{r.randint(8, 10)}.{r.randint(0, 20)}.{r.randint(1, 9)}"),
    ("Linphone/{v} (belle-sip/5.2.0)", lambda r: f"5.{r.randint(0, 3)}.{r.randint(0, 9)}.{r.randint(1, 9)}"),
    ("MicroSIP/{v}", lambda r: f"3.{r.randint(19, 21)}.{r.randint(0, 9)}.{r.randint(1, 9)}"),
    ("Gigaset N510 IP PRO/{v}", lambda r: f"42.{r.randint(200, 250)}.0.0"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/{v} Safari/537.36",
     lambda r: f"{r.randint(100, 131)}.0.{r.randint(5000, 6999) % 250}.{r.randint(1, 200)}"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/{v}",
     lambda r: f"{r.randint(100, 131)}.0.{r.randint(1, 249)}.{r.randint(1, 99)}"),
]  # fmt: skip

# Keys that hold a version. `{v}` is the decoy.
KEYED: list[str] = [
    "version={v}",
    "fw={v}",
    "firmware={v}",
    "sw_version={v}",
    "build={v}",
    "app_version={v}",
    "fw_ver={v}",
]
JSON_KEYED: list[str] = ['"app_version":"{v}"', '"version": "{v}"', '"firmware":"{v}"', '"build_version":"{v}"']


def _client(rng: Rng) -> str:
    return f"{rng.choice((198, 203, 100))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _phone(rng: Rng) -> str:
    return f"+4930{rng.randint(1000000, 9999999)}"


def _mac(rng: Rng) -> str:
    return ":".join(f"{rng.randint(0, 255):02x}" for _ in range(6))


def _agent(rng: Rng) -> tuple[str, str]:
    template, draw = rng.choice(AGENTS)
    v = draw(rng)
    agent = template.format(v=v)
    return agent, v


def _nginx(rng: Rng) -> tuple[str, str, list[str]]:
    agent, v = _agent(rng)
    client, mac = _client(rng), _mac(rng)
    line = (
        f'{client} - - [21/Nov/2026:10:15:32 +0000] "GET /provisioning/{mac.replace(":", "")}.cfg HTTP/1.1" '
        f'200 1834 "-" "{agent}"'
    )
    return line, v, [client, mac.replace(":", "")]


def _kamailio(rng: Rng) -> tuple[str, str, list[str]]:
    agent, v = _agent(rng)
    client, phone = _client(rng), _phone(rng)
    line = (
        f"Nov 21 10:15:32 sip1 kamailio[9687]: NOTICE: <script>: REGISTER from sip:{phone}@pbx.example "
        f"src_ip={client} UA={agent}"
    )
    return line, v, [client, phone]


def _asterisk(rng: Rng) -> tuple[str, str, list[str]]:
    agent, v = _agent(rng)
    client, phone = _client(rng), _phone(rng)
    line = (
        f"[2026-11-21 10:15:32] VERBOSE[2201] res_pjsip_registrar.c: Added contact "
        f"'sip:{phone}@{client}:5060' to AOR '{phone[1:]}' with expiration of 3600 seconds, User-Agent: {agent}"
    )
    return line, v, [client, phone]


def _keyed(rng: Rng) -> tuple[str, str, list[str]]:
    v = _quad(rng)
    client, mac = _client(rng), _mac(rng)
    key = rng.choice(KEYED).format(v=v)
    line = f"Nov 21 10:15:32 prov1 provisiond[311]: device {mac} at {client} checked in {key} status=ok"
    return line, v, [client, mac]


def _json(rng: Rng) -> tuple[str, str, list[str]]:
    v = _quad(rng)
    client, phone = _client(rng), _phone(rng)
    key = rng.choice(JSON_KEYED).format(v=v)
    line = f'{{"ts":"2026-11-21T10:15:32Z","client":"{client}","caller":"{phone}",{key},"event":"register"}}'
    return line, v, [client, phone]


SHAPES = [_nginx, _kamailio, _asterisk, _keyed, _json]


def lines(n: int, seed: int = 22) -> list[tuple[str, str, list[str]]]:
    rng = random.Random(seed)
    return [SHAPES[i % len(SHAPES)](rng) for i in range(n)]
