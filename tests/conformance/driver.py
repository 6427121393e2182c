"""Start one real server on loopback, drive it with injected identifiers, stop it, leave its log files.

Run inside a private network namespace (`unshare --net python3 driver.py SERVER WORKDIR`): loopback is the only
interface, so nothing can leave the machine. Writes WORKDIR/injected.json (every identifier injected: form,
kind, the value and how the log writes it) and WORKDIR/logs.json (the log files to check). Every wait has a
deadline; every process started is stopped before the driver exits.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DEADLINE = 20.0
WORK = Path(sys.argv[2]) if len(sys.argv) > 2 else Path.cwd()
PROCS: list[subprocess.Popen] = []
INJECTED: list[dict] = []


def sh(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, timeout=60, **kw)


def start(*args: str, log: str | None = None, **kw) -> subprocess.Popen:
    out = open(WORK / log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(list(args), stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL, **kw)
    PROCS.append(proc)
    return proc


def stop_all() -> None:
    for proc in reversed(PROCS):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in reversed(PROCS):
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=DEADLINE)


def listening(port: int, udp: bool = False) -> bool:
    names = ("udp", "udp6") if udp else ("tcp", "tcp6")
    for name in names:
        try:
            rows = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local = row.split()[1]
            if int(local.rsplit(":", 1)[1], 16) == port and (udp or row.split()[3] == "0A"):
                return True
    return False


def wait_for(what: str, check, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what}: the server exited with {proc.returncode}")
        time.sleep(0.05)
    raise SystemExit(f"{what}: not ready within {DEADLINE} s")


def inject(form: str, kind: str, value: str, written: str | None = None) -> str:
    INJECTED.append({"form": form, "kind": kind, "value": value, "written": written or value})
    return written or value


# --- identifiers, drawn from a seed per server ------------------------------------------------------------------
RNG = random.Random(sys.argv[1] if len(sys.argv) > 1 else "x")


def digits(n: int) -> str:
    return "".join(RNG.choice("0123456789") for _ in range(n))


def mobile() -> str:  # a German mobile number, national significant part
    return "15" + RNG.choice("1279") + digits(8)


def mac() -> str:
    return "00:15:65:" + ":".join(f"{RNG.randrange(256):02x}" for _ in range(3))


def imei() -> str:
    body = "35209900" + digits(6)
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def doc_v4(prefix: str = "203.0.113") -> str:
    """An address of a documentation or benchmark range; each form draws from its own range, so forms never
    share a value."""
    tail = ".".join(str(RNG.randrange(1, 255)) for _ in range(4 - prefix.count(".") - 1))
    return f"{prefix}.{tail}"


def doc_v6() -> str:
    return f"2001:db8::{RNG.randrange(1, 0xFFFF):x}"


# --- HTTP clients (nginx, haproxy, squid) -----------------------------------------------------------------------
def v6_sources(count: int) -> list[str]:
    """IPv6 client addresses of a documentation prefix, added to loopback inside the namespace."""
    sources = []
    for _ in range(count):
        src = f"2001:db8:10::{RNG.randrange(1, 0xFFFF):x}"
        sh("ip", "-6", "addr", "add", f"{src}/128", "dev", "lo", "nodad")
        sources.append(src)
    return sources


def http_requests(port: int, proxy: int | None = None, sources: int = 6, per_source: int = 2) -> None:
    v4 = [f"127.{10 + s}.{RNG.randrange(256)}.{RNG.randrange(1, 255)}" for s in range(sources)]
    for src in [*v4, *v6_sources(2)]:
        inject("client" if ":" not in src else "client-v6", "ip", src)
        for _ in range(per_source):
            n1, n2, n3 = mobile(), "30" + digits(8), mobile()
            m, i, a4, a4b = mac(), imei(), doc_v4("198.18"), doc_v4("198.19")
            q = (
                f"to={inject('query-plus-escaped', 'phone', '+49' + n1, '%2B49' + n1)}"
                f"&from={inject('query-00', 'phone', '0049' + n2)}"
                f"&mac={inject('query-mac', 'mac', m)}"
                f"&imei={inject('query-imei', 'imei', i)}"
                f"&ip={inject('query-ip', 'ip', a4)}"
                f"&msg=client%20{inject('pct-ip', 'ip', a4b)}%20x"
            )
            xff = f"{inject('xff-v4', 'ip', doc_v4())}, {inject('xff-v6', 'ip', doc_v6())}"
            mac12 = mac().replace(":", "")
            paths = [
                f"/api/calls?{q}",
                f"/prov/{inject('path-mac-file', 'mac', mac12)}.cfg",
                f"/api/v1/numbers/{inject('rest-number', 'phone', '0' + n3)}/forwarding",
            ]
            server = "[::1]" if ":" in src else "127.0.0.1"
            for path in paths:
                base = f"http://{server}:{port}"
                cmd = ["curl", "-s", "-o", "/dev/null", "--max-time", "5", "--interface", src]
                cmd += ["-H", f"X-Forwarded-For: {xff}", "-A", "Yealink SIP-T46S 66.86.0.15"]
                if proxy is not None:
                    cmd += ["-x", f"http://{server}:{proxy}"]
                sh(*cmd, base + path)


def nginx() -> list[str]:
    conf = WORK / "nginx.conf"
    (WORK / "tmp").mkdir(exist_ok=True)
    conf.write_text(
        f"""worker_processes 1;
daemon off;
master_process off;
pid {WORK}/nginx.pid;
error_log {WORK}/error.log;
events {{ worker_connections 64; }}
http {{
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    access_log {WORK}/access.log main;
    client_body_temp_path {WORK}/tmp; proxy_temp_path {WORK}/tmp; fastcgi_temp_path {WORK}/tmp;
    uwsgi_temp_path {WORK}/tmp; scgi_temp_path {WORK}/tmp;
    server {{ listen 127.0.0.1:8080; listen [::1]:8080; location / {{ return 200 "ok\\n"; }} }}
}}
"""
    )
    proc = start("nginx", "-c", str(conf), "-e", str(WORK / "error.log"), log="nginx.out")
    wait_for("nginx", lambda: listening(8080), proc)
    http_requests(8080)
    return ["access.log"]


def haproxy() -> list[str]:
    # haproxy logs through syslog, as on Debian: a real rsyslogd receives it and writes the file.
    (WORK / "rsyslog.conf").write_text(
        f"""module(load="imudp")
input(type="imudp" address="127.0.0.1" port="5514")
local0.* action(type="omfile" file="{WORK}/haproxy.log" template="RSYSLOG_TraditionalFileFormat")
"""
    )
    rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    rs = start(rsyslogd, "-n", "-f", str(WORK / "rsyslog.conf"), "-i", str(WORK / "rsyslog.pid"), log="rsyslog.out")
    wait_for("rsyslogd", lambda: listening(5514, udp=True), rs)
    (WORK / "haproxy.cfg").write_text(
        """global
    log 127.0.0.1:5514 local0
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:8081
    bind [::1]:8081
    capture request header X-Forwarded-For len 80
    http-request return status 200 content-type text/plain string ok
"""
    )
    proc = start("haproxy", "-db", "-f", str(WORK / "haproxy.cfg"), log="haproxy.out")
    wait_for("haproxy", lambda: listening(8081), proc)
    http_requests(8081)
    expected = 8 * 2 * 3
    wait_for(
        "haproxy log lines",
        lambda: (WORK / "haproxy.log").exists() and (WORK / "haproxy.log").read_bytes().count(b"HTTP/1.1") >= expected,
    )
    return ["haproxy.log"]


def squid() -> list[str]:
    logs = WORK / "squid"
    logs.mkdir(exist_ok=True)
    os.chmod(logs, 0o777)
    (WORK / "squid.conf").write_text(
        f"""http_port 127.0.0.1:3128
http_port [::1]:3128
acl all_src src all
http_access allow all_src
cache_effective_user proxy
access_log stdio:{logs}/access.log squid
cache_log {logs}/cache.log
cache_store_log none
pid_filename none
shutdown_lifetime 0 seconds
dns_nameservers 127.0.0.1
cache deny all
strip_query_terms off
"""
    )
    proc = start("squid", "-N", "-f", str(WORK / "squid.conf"), log="squid.out")
    wait_for("squid", lambda: listening(3128), proc)
    http_requests(9, proxy=3128)
    return ["squid/access.log"]


def coturn() -> list[str]:
    secret = "conformance-secret"
    proc = start(
        "turnserver", "-n", "--listening-ip=127.0.0.1", "--listening-port=3478", "--relay-ip=127.0.0.1",
        "--min-port=49152", "--max-port=49999", "--use-auth-secret", f"--static-auth-secret={secret}",
        "--realm=turn.example.net", "--no-tls", "--no-dtls", "--no-cli", f"--log-file={WORK}/turn.log",
        "--simple-log", "--no-stdout-log", "--allow-loopback-peers", "--verbose",
        log="turnserver.out",
    )  # fmt: skip
    wait_for("turnserver", lambda: listening(3478, udp=True), proc)
    clients = []
    sources = []
    for s in range(6):
        src = inject("client", "ip", f"127.{30 + s}.{RNG.randrange(256)}.{RNG.randrange(1, 255)}")
        sources.append(src)
        number = "49" + mobile()
        # turnutils_uclient makes the TURN REST username itself: `expiry:userid`, the userid an MSISDN
        user = inject("rest-username", "phone", "+" + number, number)
        clients.append(
            subprocess.Popen(
                [
                    "turnutils_uclient",
                    "-y",
                    "-n",
                    "1",
                    "-m",
                    "1",
                    "-c",
                    "-L",
                    src,
                    "-u",
                    user,
                    "-W",
                    secret,
                    "-e",
                    "127.0.0.1",
                    "127.0.0.1",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    for client in clients:
        try:
            client.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            client.kill()
            client.wait()
    log = WORK / "turn.log"
    wait_for("coturn sessions closed", lambda: all(f"remote {s}:".encode() in log.read_bytes() for s in sources))
    return ["turn.log"]


# Kamailio's stock accounting line (acc's log_request fields, with dst_ouser as issue 22 quotes it), by xlog.
ACC = (
    "ACC: request accounted: timestamp=$Ts;method=$rm;from_tag=$ft;to_tag=$tt;call_id=$ci;code=200;reason=OK;"
    "src_user=$fU;src_domain=$fd;src_ip=$si;dst_ouser=$tU;dst_user=$rU;dst_domain=$rd"
)
KAMAILIO_CFG = r"""#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:5060
listen=udp:[::1]:5060
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
request_route {
    xlog("L_NOTICE", "ACC_FORMAT\n");
    xlog("L_INFO", "request $rm from $si:$sp display=$fn ua=$ua contact=$ct\n");
    if (is_method("ACK")) { exit; }
    sl_send_reply("200", "OK");
}
"""

SIPP_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="conformance">
  <send retrans="500"><![CDATA[
    INVITE sip:[field1]@[remote_ip]:[remote_port] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
    From: "[field2]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
    To: <sip:[field3]@[remote_ip]:[remote_port]>
    Call-ID: [call_id]
    CSeq: 1 INVITE
    Contact: <sip:[field0]@[local_ip]:[local_port]>;+sip.instance="<urn:gsma:imei:[field5]>"
    User-Agent: Grandstream Model HW GXP2170 SW 1.0.11.23 DevId [field4]
    Max-Forwards: 70
    Content-Length: 0

  ]]></send>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
    ACK sip:[field1]@[remote_ip]:[remote_port] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
    From: "[field2]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
    To: <sip:[field3]@[remote_ip]:[remote_port]>
    Call-ID: [call_id]
    CSeq: 1 ACK
    Max-Forwards: 70
    Content-Length: 0

  ]]></send>
  <send retrans="500"><![CDATA[
    BYE sip:[field1]@[remote_ip]:[remote_port] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
    From: "[field2]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
    To: <sip:[field3]@[remote_ip]:[remote_port]>
    Call-ID: [call_id]
    CSeq: 2 BYE
    Max-Forwards: 70
    Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
"""


def kamailio() -> list[str]:
    (WORK / "kamailio.cfg").write_text(KAMAILIO_CFG.replace("ACC_FORMAT", ACC))
    (WORK / "uac.xml").write_text(SIPP_SCENARIO)
    proc = start("kamailio", "-DD", "-E", "-f", str(WORK / "kamailio.cfg"), "-Y", str(WORK), log="kamailio.log")
    wait_for(
        "kamailio", lambda: listening(5060, udp=True) and b"ERROR" not in (WORK / "kamailio.log").read_bytes(), proc
    )
    sources = [f"127.{20 + s}.{RNG.randrange(256)}.{RNG.randrange(1, 255)}" for s in range(5)] + ["::1"]
    for s, src in enumerate(sources):
        inject("client", "ip", src)
        rows = ["SEQUENTIAL"]
        for _ in range(3):
            caller_nsn = "30" + digits(8)
            caller = inject("src_user", "phone", "+49" + caller_nsn, "49" + caller_nsn)
            ruri_nsn = mobile()
            ruri = inject("dst_user", "phone", "+49" + ruri_nsn, "0" + ruri_nsn)
            display_nsn = "40" + digits(8)
            display = inject("display", "phone", "+49" + display_nsn, "49" + display_nsn)
            to_nsn = mobile()
            to_user = inject("dst_ouser", "phone", "+49" + to_nsn, "0" + to_nsn)
            dev = inject("ua-devid", "mac", mac().replace(":", ""))
            i = imei()
            inject("contact-imei", "imei", i, f"{i[:8]}-{i[8:14]}-{i[14]}")
            rows.append(";".join([caller, ruri, display, to_user, dev, f"{i[:8]}-{i[8:14]}-{i[14]}"]))
        (WORK / f"numbers{s}.csv").write_text("\n".join(rows) + "\n")
        remote = "[::1]:5060" if src == "::1" else "127.0.0.1:5060"
        sh(
            "sipp", remote, "-sf", str(WORK / "uac.xml"), "-inf", str(WORK / f"numbers{s}.csv"), "-i", src,
            "-p", str(5062 + 2 * s), "-m", "3", "-r", "50", "-nostdin", "-timeout", "15s",
            "-trace_err", "-error_file", str(WORK / f"sipp{s}.err"),
        )  # fmt: skip
    stop_all()  # kamailio writes its last lines on the way out
    return ["kamailio.log"]


SERVERS = {"nginx": nginx, "haproxy": haproxy, "squid": squid, "coturn": coturn, "kamailio": kamailio}


def main() -> None:
    name = sys.argv[1]
    sh("ip", "link", "set", "lo", "up")
    # Anything but loopback would be a bug in the set-up: refuse to drive servers on a shared network.
    links = sh("ip", "-o", "link").stdout.decode().splitlines()
    if any(": lo:" not in line for line in links):
        raise SystemExit("not in a private network namespace: refusing to start servers")
    try:
        logs = SERVERS[name]()
    finally:
        stop_all()
    (WORK / "injected.json").write_text(json.dumps(INJECTED))
    (WORK / "logs.json").write_text(json.dumps(logs))


if __name__ == "__main__":
    main()
