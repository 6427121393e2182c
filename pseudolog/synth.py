"""Synthetic, realistic log corpora for benchmarks and sizing: deterministic for a seed.

Identifiers repeat the way they do in real traffic (a few busy clients, a long tail), and every line
carries the mix the benchmarks care about: IPv4 and IPv6 clients, phone numbers in query strings, MACs
in provisioning paths, IMEIs, and decoys (versions, hex ids, durations).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Yealink SIP-T46S 66.86.0.15 00:15:65:aa:bb:cc",
    "Linphone/5.2.0 (belle-sip/5.2.0)",
    "curl/8.4.0",
    "Grandstream GXP2170 1.0.11.23",
)
PATHS = (
    "/api/v1/calls?to={phone}&from={phone2}",
    "/provisioning/{mac}.cfg",
    "/index.html",
    "/static/app.3f9a2c1b.js",
    "/api/v1/devices?imei={imei}",
    "/api/v1/numbers/{phone}",
    "/login",
)


def luhn_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _ipv4(n: int) -> str:
    return f"{(n >> 16) % 223 + 1}.{(n >> 8) & 255}.{n & 255}.{(n * 13) % 254 + 1}"


def _ipv6(n: int) -> str:
    return f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}::{(n * 7) & 0xFFFF:x}"


class Identities:
    """Pools of identifiers with a skewed popularity, like real clients."""

    def __init__(self, rng: random.Random, distinct: int) -> None:
        self.rng = rng
        self.distinct = distinct

    def pick(self) -> int:
        """An identity's number, Pareto-like: most lines come from a few ids, the rest from a long tail."""
        return (
            min(int(self.rng.paretovariate(1.2)) - 1, self.distinct - 1)
            if self.rng.random() < 0.8
            else (self.rng.randrange(self.distinct))
        )

    def ip(self) -> str:
        """An address, one in seven of them IPv6."""
        n = self.pick()
        return _ipv6(n) if n % 7 == 0 else _ipv4(n)

    def ipv4(self) -> str:
        return _ipv4(self.pick())

    def ipv6(self) -> str:
        return _ipv6(self.pick())

    def phone(self) -> str:
        n = self.pick()
        return f"%2B4930{1000000 + n % 9000000}" if n % 2 else f"0151{10000000 + n % 90000000}"

    def dialled(self) -> str:
        """A phone number as SIP and CDR lines write it (a literal +, not %2B)."""
        return self.phone().replace("%2B", "+")

    def mac(self) -> str:
        n = self.pick()
        return f"001565{n & 0xFFFFFF:06x}"

    def imei(self) -> str:
        body = f"35{209900 + self.pick() % 90000:06d}{self.pick() % 1000000:06d}"
        return body + luhn_digit(body)


def _clock(i: int) -> str:
    """Minutes and seconds of line i: ten lines a second, as a busy host writes them."""
    return f"{(i // 600) % 60:02d}:{(i // 10) % 60:02d}"


def nginx_lines(count: int, seed: int = 1, distinct: int = 50_000) -> Iterator[str]:
    rng = random.Random(seed)
    ids = Identities(rng, distinct)
    second = 1795262400
    for i in range(count):
        if i % 20 == 0:
            second += 1
        ts = _clf(second)
        path = rng.choice(PATHS).format(phone=ids.phone(), phone2=ids.phone(), mac=ids.mac(), imei=ids.imei())
        yield (
            f'{ids.ip()} - - [{ts}] "GET {path} HTTP/1.1" {rng.choice((200, 200, 200, 304, 404))} '
            f'{rng.randrange(200, 90000)} "-" "{rng.choice(AGENTS)}"\n'
        )


def nginx_fresh_lines(count: int, seed: int = 6) -> Iterator[str]:
    """nginx lines whose identifiers hardly repeat, so no speed can come from a cache: each line's client, numbers,
    MAC and IMEI are drawn uniformly from pools of 16 million or more (a million lines hold about a million
    distinct addresses and two million numbers), one line in three carries two numbers."""
    rng = random.Random(seed)
    second = 1795262400
    for i in range(count):
        if i % 20 == 0:
            second += 1
        n = rng.getrandbits(24)
        client = _ipv6(n) if n % 7 == 0 else _ipv4(n)
        first = f"%2B49{rng.randrange(30_000_000, 99_999_999_999)}"
        second_number = f"0151{rng.randrange(10_000_000, 99_999_999)}"
        body = f"35{rng.randrange(209_900, 999_999):06d}{rng.getrandbits(20) % 1_000_000:06d}"
        path = rng.choice(PATHS).format(
            phone=first, phone2=second_number, mac=f"{rng.getrandbits(48):012x}", imei=body + luhn_digit(body)
        )
        if "phone2" not in path and i % 3 == 0:
            path += f"&cb={second_number}" if "?" in path else f"?cb={second_number}"
        yield (
            f'{client} - - [{_clf(second)}] "GET {path} HTTP/1.1" {rng.choice((200, 200, 200, 304, 404))} '
            f'{rng.randrange(200, 90000)} "-" "{rng.choice(AGENTS)}"\n'
        )


def _clf(epoch: int) -> str:
    import time

    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch))


def syslog_sip_lines(count: int, seed: int = 2, distinct: int = 50_000) -> Iterator[str]:
    """Kamailio-style free-text lines: no format fits, every line is scanned whole."""
    rng = random.Random(seed)
    ids = Identities(rng, distinct)
    for i in range(count):
        ts = f"Nov 21 10:{_clock(i)}"
        yield (
            f"{ts} sip1 kamailio[2929]: NOTICE: <script>: INVITE from sip:{ids.dialled()}"
            f"@{ids.ip()} to sip:0{30 + i % 60}{1000000 + i % 999999}@pbx.example.com "
            f"Call-ID: {rng.getrandbits(64):016x}@{ids.ip()} UA='Linphone/5.2.0'\n"
        )


def asterisk_lines(count: int, seed: int = 3, distinct: int = 50_000) -> Iterator[str]:
    rng = random.Random(seed)
    ids = Identities(rng, distinct)
    for i in range(count):
        ts = f"2026-11-21 10:{_clock(i)}"
        callee = ids.dialled()
        if i % 3 == 0:
            yield (f"[{ts}] VERBOSE[{1900 + i % 50}][C-{i:08x}] app_dial.c: Called PJSIP/{callee}@trunk\n")
        elif i % 3 == 1:
            yield (
                f'[{ts}] NOTICE[{1900 + i % 50}] chan_sip.c: Registration from \'"{ids.phone()[-10:]}" '
                f"<sip:{1000 + i % 900}@{ids.ip()}>' failed for '{ids.ip()}:5060' - Wrong password\n"
            )
        else:
            yield (
                f'[{ts}] SECURITY[1204] res_security_log.c: SecurityEvent="InvalidAccountID",'
                f'EventTV="{1795256132 + i}-500975",Severity="Error",Service="SIP",AccountID="{callee}",'
                f'RemoteAddress="IPV4/UDP/{ids.ip()}/5060"\n'
            )


def cdr_lines(count: int, seed: int = 4, distinct: int = 50_000) -> Iterator[str]:
    rng = random.Random(seed)
    ids = Identities(rng, distinct)
    for i in range(count):
        src, dst = ids.dialled(), ids.dialled()
        start = f"2026-11-21 10:{_clock(i)}"
        yield (
            f'"","{src}","{dst}","from-internal","""Caller"" <{src}>","PJSIP/{1000 + i % 900}-{i:08x}",'
            f'"PJSIP/trunk-{i:08x}","Dial","PJSIP/{dst}@trunk,30,tT","{start}","{start}","{start}",'
            f'{rng.randrange(1, 900)},{rng.randrange(0, 800)},"ANSWERED","DOCUMENTATION","{1795256132 + i}.{i % 97}"\n'
        )


def json_lines(count: int, seed: int = 5, distinct: int = 50_000) -> Iterator[str]:
    rng = random.Random(seed)
    ids = Identities(rng, distinct)
    for i in range(count):
        yield (
            f'{{"ts":"2026-11-21T10:{_clock(i)}Z","event":"call.end",'
            f'"client_ip":"{ids.ip()}","caller":"{ids.dialled()}","callee":"{ids.phone()[-10:]}",'
            f'"imei":"{ids.imei()}","duration":{rng.randrange(1, 900)},"mos":{rng.randrange(10, 45) / 10}}}\n'
        )


GENERATORS = {
    "nginx": nginx_lines,
    "nginx_fresh": nginx_fresh_lines,
    "sip_syslog": syslog_sip_lines,
    "asterisk": asterisk_lines,
    "cdr_csv": cdr_lines,
    "json_lines": json_lines,
}
