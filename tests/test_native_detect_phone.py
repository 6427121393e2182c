"""The native phone, SIP and context detectors (src/detect/{phone,sip,context}.rs) against the Python ones they
replace: the same spans, kinds and normalised values, on generated lines, every corpus line, the fuzz
regressions and the texts of the Python tests' tables. Normalisation (`normalise_phone`, the engine's own
reading of phonenumbers' metadata through pseudolog.phone_rules) is held to phonenumbers on generated numbers
for several regions."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pseudolog.phone_rules import native_region
from tests.conftest import CORPORA, texts_from
from tests.issue22_differences import assert_findings_cover
from tests.reference.detect import context as py_context
from tests.reference.detect import phone as py_phone
from tests.reference.detect import sip as py_sip

_core = pytest.importorskip("pseudolog._core")
if not hasattr(_core, "PhoneRegion"):
    pytest.skip("the native module was built without the phone detectors", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ["DE", "US", "GB", "FR", "AT", "CH", "NL"]
# Regions whose trunk prefix needs phonenumbers' transform rules or has none: the engine's full parse path.
HARD_REGIONS = ["IT", "AR", "BR", "MX", "RU", "IE", "IN", "TR", "ES", "PL", "JP", "AU"]

# (name, Python rule, native rule): each rule as the scrubber calls it.
RULES = [
    ("international", py_phone.find_international, _core.find_international),
    ("sip", py_sip.find_sip, _core.find_sip),
    ("context", py_context.find_context, _core.find_context),
    ("uri", py_context.uri_numbers, _core.uri_numbers),
    ("keyed", py_context.keyed_numbers, _core.keyed_numbers),
    ("provisioning", py_context.provisioning_macs, _core.provisioning_macs),
]

# Where today's Python is clearly wrong and the Rust is kept right: (rule, text, region) -> native findings.
# None so far: every difference found was a porting error and was fixed in the Rust.
EXPECTED_DIFFERENCES: dict[tuple[str, bytes, str], list[tuple[int, int, str, str]]] = {}


def python_findings(rule, text: bytes, region: str) -> list[tuple[int, int, str, str]]:
    return [tuple(f) for f in rule(text, region)]


def assert_same(text: bytes, region: str = "DE", rules=RULES) -> None:
    native = native_region(region)
    for name, py_rule, rust_rule in rules:
        got = rust_rule(native, text)
        want = EXPECTED_DIFFERENCES.get((name, text, region))
        if want is None:
            want = python_findings(py_rule, text, region)
        if got != want:
            # Recorded difference (issue 22, tests/issue22_differences.py): native's rules find more (keys by
            # rule, numeric display names, DIN 5008 and form-encoded numbers) and cover every Python finding.
            assert_findings_cover(text, want, got)


# --- generated lines -------------------------------------------------------------------------------------

NUMBER_PIECES = [
    "0",
    "00",
    "1",
    "49",
    "30",
    "1234",
    "12345",
    "1234567",
    "0301234567",
    "4930123456",
    "0123456789012345",
    "+",
    "%2B",
    "%2b",
    "%20",
    "%",
    "(",
    ")",
    "(0)",
    "/",
    ".",
    "-",
    " ",
    " ",
    "a",
    "x",
    "&",
    ";",
]
URI_PIECES = [
    *NUMBER_PIECES,
    "sip:",
    "sips:",
    "SIP:",
    "tel:",
    "TEL:",
    "@",
    "@host",
    ";user=phone",
    ";phone-context=+4930",
    ";phone-context=example.com",
    ">",
    "<",
    '"',
    "'",
]
KEY_PIECES = [
    *NUMBER_PIECES,
    "to=",
    "from=",
    "caller: ",
    "msisdn=",
    '"to": "',
    "tel:",
    "tel=",
    "number=",
    "mac=",
    "SN:",
    "DevId=",
    "imei=",
    "001565abcdef",
    "00:15:65:AB:CD:EF",
    "0015.65ab.cdef",
    "490154203237518",
    "35-209900-176148-1",
    ".89",
    "/192.0.2.1",
    "=",
    ":",
    '"',
    "'",
    "_",
]
SIP_PIECES = [
    *NUMBER_PIECES,
    '"',
    '""',
    "<",
    ">",
    "<sip:",
    "@",
    "@example.com",
    "@[",
    "PJSIP/",
    "SIP/",
    "sip/",
    "IAX2/",
    "Local/",
    "sofia/internal/",
    "trunk/",
    "-0000001a",
    "user ",
    "username=",
    "USER:",
    "1702970778:",
    "<1702970778:",
    "+sip.instance=",
    "sip.INSTANCE=",
    '"<urn:uuid:',
    "urn:uuid:",
    "00000000-0000-1000-8000-aabbccddeeff",
    "AABBCCDDEEFF",
    ">",
    "to ",
    "extension ",
    "exten '",
    "callerid \t",
    "'",
    "\t",
    "\n",
]
PROVISIONING_PIECES = [
    "/",
    "=",
    "SEP",
    "y",
    "001565abcdef",
    "001565ABCDEF",
    "000000000028",
    "abcdefabcdef",
    "0",
    "a",
    "-",
    "_",
    ".",
    ".cfg",
    ".cnf.xml",
    ".htm",
    ".html",
    ".xml",
    ".boot",
    ".tar.gz",
    "x",
    " ",
]


@pytest.mark.parametrize(
    ("pieces", "rules"),
    [
        pytest.param(NUMBER_PIECES, RULES, id="numbers"),
        pytest.param(URI_PIECES, RULES, id="uris"),
        pytest.param(KEY_PIECES, RULES, id="keys"),
        pytest.param(SIP_PIECES, RULES, id="sip"),
        pytest.param(PROVISIONING_PIECES, RULES, id="provisioning"),
    ],
)
def test_generated_lines(pieces, rules):
    @given(texts_from(pieces, max_size=24), st.sampled_from(REGIONS))
    @settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def check(text, region):
        assert_same(text, region, rules)

    check()


@given(st.binary(max_size=60))
@settings(max_examples=1500, deadline=None)
def test_arbitrary_bytes(text):
    assert_same(text)


# --- normalisation ---------------------------------------------------------------------------------------


@given(
    st.sampled_from(["", "+", "%2B", "0", "00", "000", "+0", "0049", "+49", "+1", "+44", "011", "(0)", "+49 (0)"]),
    st.lists(st.text(alphabet="0123456789", min_size=1, max_size=6), min_size=1, max_size=4),
    st.sampled_from(["", " ", "-", "/", ".", "%20", "(", ")"]),
    st.sampled_from(REGIONS + HARD_REGIONS),
)
@settings(max_examples=6000, deadline=None)
def test_normalise_phone_agrees(mark, groups, separator, region):
    raw = mark + separator.join(groups)
    assert _core.normalise_phone(native_region(region), raw) == py_phone.normalise_phone(raw, region), (raw, region)


@given(st.text(alphabet="0123456789", min_size=2, max_size=17), st.sampled_from(REGIONS + HARD_REGIONS))
@settings(max_examples=6000, deadline=None)
def test_normalise_digits_agrees(digits, region):
    native = native_region(region)
    for raw in (digits, "+" + digits, "0" + digits, "00" + digits):
        assert _core.normalise_phone(native, raw) == py_phone.normalise_phone(raw, region), (raw, region)


@pytest.mark.parametrize("region", REGIONS + HARD_REGIONS)
def test_normalise_every_country_code(region):
    """A number after every calling code phonenumbers knows, in national lengths 4 to 14."""
    import phonenumbers

    native = native_region(region)
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        for length in range(4, 15):
            for lead in "0123456789":
                raw = f"+{code}{lead}{'23456789012345'[: length - 1]}"
                assert _core.normalise_phone(native, raw) == py_phone.normalise_phone(raw, region), raw


# --- real lines, fuzz regressions, the Python tests' tables ----------------------------------------------


def corpus_lines() -> list[bytes]:
    if not CORPORA.is_dir():
        return []
    lines: list[bytes] = []
    for path in sorted(p for p in CORPORA.rglob("*") if p.is_file()):
        lines.extend(path.read_bytes().splitlines())
    return lines


def test_corpora():
    lines = corpus_lines()
    if not lines:
        pytest.skip("no corpora in this run")
    for line in lines:
        assert_same(line)


def test_fuzz_regressions():
    for path in sorted((ROOT / "fuzz" / "regressions").iterdir()):
        data = path.read_bytes()
        assert_same(data)
        for line in data.splitlines():
            assert_same(line)


TABLE_MODULES = [
    "tests.test_detect_phone",
    "tests.test_detect_sip",
    "tests.test_detect_context",
    "tests.test_telephony",
    "tests.test_prefilter",
    "tests.test_hostile",
]


def _bytes_in(value, out: list[bytes]) -> None:
    if isinstance(value, bytes):
        out.append(value)
    elif isinstance(value, str):
        out.append(value.encode("utf-8", "surrogateescape"))
    elif isinstance(value, (tuple, list)):
        for item in value:
            _bytes_in(item, out)
    elif hasattr(value, "values") and isinstance(getattr(value, "values", None), tuple):  # pytest.param
        _bytes_in(value.values, out)


def table_texts() -> list[bytes]:
    texts: list[bytes] = []
    for name in TABLE_MODULES:
        module = importlib.import_module(name)
        for attr in vars(module).values():
            for mark in getattr(attr, "pytestmark", []):
                if mark.name == "parametrize" and len(mark.args) > 1:
                    _bytes_in(list(mark.args[1]), texts)
            if isinstance(attr, (list, tuple)):
                _bytes_in(attr, texts)
    # Short texts only: the hostile tables' megabyte lines are held linear in the Rust tests.
    return sorted({t for t in texts if len(t) < 4096})


def test_tables():
    texts = table_texts()
    assert len(texts) > 50
    for text in texts:
        for region in ("DE", "US"):
            assert_same(text, region)
            for line in text.splitlines():
                assert_same(line, region)


def test_hostile_lines_agree():
    """The hostile shapes of issue 21 at a size Python reads in a moment."""
    for unit in [b"+49 30 1234567 ", b"1 ", b"sip:", b"<", b'"', b"'", b"to=", b"SIP/", b"1@", b"user:"]:
        assert_same(unit * 2000)


def test_normalise_device():
    for text in [
        "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>",
        '"urn:uuid:00000000-0000-1000-8000-aabbccddeeff"',
        "00000000-0000-1000-8000-aabbccddeeff",
        " urn:uuid:00000000-0000-1000-8000-aabbccddeef",
        "urn:uuid:x",
    ]:
        assert _core.normalise_device(text) == py_sip.normalise_device(text)


# Text no detector hands the normaliser, only a person typing a value for `lookup`: the engine reads ASCII digits
# and phone punctuation (what every rule finds), and leaves phonenumbers' vanity letters, extensions and non-ASCII
# digits alone. (raw, region) -> (native, Python). Detector-shaped text has no such difference (the tests above).
LOOKUP_ONLY_DIFFERENCES = {
    # Vanity letters: phonenumbers maps them to digits; the engine keeps the digits it sees (fallback form).
    ("030-CALL-NOW", "DE"): ("DE:030", "+49302255669"),
    ("0800 ABC", "DE"): ("DE:0800", "+49800222"),
    ("+1 800 FLOWERS", "DE"): ("+1800", "+18003569377"),
    # An extension after a number phonenumbers must parse in full (the parenthesis): the engine does not cut it.
    ("+44 (0)20 7946 0000 ext 12", "DE"): ("+440207946000012", "+442079460000"),
    # Non-ASCII digits: no digits for the engine; Python's fallback form even keeps the full-width digits.
    ("０３０ １２３４５６７", "DE"): (None, "+49301234567"),
    ("+４９ ３０ １２３４５６７", "DE"): (None, "+４９３０１２３４５６７"),
}


@pytest.mark.parametrize(("raw", "region"), sorted(LOOKUP_ONLY_DIFFERENCES))
def test_lookup_only_differences(raw, region):
    native, python = LOOKUP_ONLY_DIFFERENCES[(raw, region)]
    assert _core.normalise_phone(native_region(region), raw) == native
    assert py_phone.normalise_phone(raw, region) == python


@pytest.mark.parametrize(
    "raw",
    [
        "+49 30 1234567 ext. 5",
        "030 1234567 x12",
        "(030) 1234567",
        "tel:+49-30-1234567",
        "1-800-FLOWERS",
        "030 1234567#",
    ],
)
def test_lookup_forms_that_agree(raw):
    assert _core.normalise_phone(native_region("DE"), raw) == py_phone.normalise_phone(raw, "DE")
