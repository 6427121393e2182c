import pytest

from pseudolog.config import FilterOptions, parse_duration, parse_region, parse_size
from pseudolog.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("12h", 43200), ("7d", 604800), ("1w", 604800), ("1d12h", 129600), (" 2D ", 172800)],
)
def test_durations_read_as_seconds(text, seconds):
    assert parse_duration(text, option="--x") == seconds


@pytest.mark.parametrize("text", ["0", "none", "NONE", "off"])
def test_zero_or_none_means_static_where_allowed(text):
    assert parse_duration(text, option="--window", allow_none=True) is None


@pytest.mark.parametrize("text", ["", "7", "3x", "d7", "-1d", "1.5h", "7 d", "0"])
def test_bad_durations_name_the_option(text):
    with pytest.raises(ConfigError, match="--retention"):
        parse_duration(text, option="--retention")


def test_region_is_checked_against_phonenumbers():
    assert parse_region("de") == "DE"
    with pytest.raises(ConfigError, match="--region"):
        parse_region("XX")


def test_options_reject_tiny_line_limit():
    with pytest.raises(ConfigError):
        FilterOptions(max_line=10)


@pytest.mark.parametrize(
    ("text", "size"),
    [("65536", 65536), ("64K", 65536), ("64KiB", 65536), ("64kb", 65536), ("1M", 1 << 20), ("2 MiB", 2 << 20),
     ("1g", 1 << 30), ("4096 bytes", 4096), (8192, 8192)],
)  # fmt: skip
def test_sizes(text, size):
    assert parse_size(text, option="--max-line") == size


@pytest.mark.parametrize("text", ["", "abc", "1x", "-5", "1.5M", "0", "0K", 0])
def test_sizes_refused(text):
    with pytest.raises(ConfigError, match="--max-line"):
        parse_size(text, option="--max-line")
