"""The numbering rules the native engine applies, extracted from `phonenumbers`' metadata at start-up.

The engine normalises phone numbers to E.164 without calling back into Python: it applies the same steps as
`phonenumbers.parse` + `is_possible_number` + `format_number(E164)` (country code, international and trunk
prefixes, possible lengths, national number pattern) to a compiled spec. The spec is plain text, one metadata
record a line, so the engine needs no parser crate and the metadata is always the one Python has installed:

    M <TAB> id <TAB> country code <TAB> international prefix <TAB> national prefix <TAB>
      national prefix for parsing <TAB> transform rule <TAB> possible lengths <TAB> local-only lengths <TAB>
      national number pattern
    C <TAB> country code <TAB> main region id

`id` is a region code (`DE`) or `001+<code>` for a non-geographic calling code (`001+800`). An absent value is
an empty field; lengths are comma-separated.

Why not the Rust `phonenumber` crate (0.3.10, metadata 9.0.33): on 100,000 generated numbers for DE, US, GB, FR,
AT, CH and NL its `parse` + E.164 disagreed with Python's on 16 % (leading zeros of the national number dropped:
`+440112` became `+44112`; numbers Python parses refused), it has no public `is_possible_number`, and its
metadata is a release apart from the installed phonenumbers'. This spec is the installed metadata itself.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pseudolog._core import sha256_hex

NON_GEO = "001"


def _record(ident: str, metadata: Any) -> str:
    general = metadata.general_desc
    fields = (
        "M",
        ident,
        str(metadata.country_code),
        metadata.international_prefix or "",
        metadata.national_prefix or "",
        metadata.national_prefix_for_parsing or "",
        metadata.national_prefix_transform_rule or "",
        ",".join(map(str, general.possible_length or ())),
        ",".join(map(str, general.possible_length_local_only or ())),
        general.national_number_pattern or "",
    )
    for field in fields:
        if "\t" in field or "\n" in field:
            raise ValueError(f"phonenumbers metadata for {ident} holds a tab or newline")
    return "\t".join(fields)


def _cache_path() -> Path | None:
    """Where the spec is cached, named by this file and phonenumbers' installed data (no phonenumbers import)."""
    found = importlib.util.find_spec("phonenumbers")
    if found is None or found.origin is None:
        return None
    data = Path(found.origin).parent / "data" / "__init__.py"
    try:
        info = data.stat()
        mine = Path(__file__).read_bytes()
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except (OSError, RuntimeError):
        return None
    h = sha256_hex(mine + f"{data}\0{info.st_size}\0{info.st_mtime_ns}".encode())[:24]
    return Path(base) / "pseudolog" / f"region-spec-{h}.txt"


@lru_cache(maxsize=1)
def region_spec() -> str:
    """The spec for every region and non-geographic calling code phonenumbers knows; cached on disk, so a
    start-up that finds the cache current does not import phonenumbers."""
    path = _cache_path()
    if path is not None:
        try:
            cached = _checked(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cached = None
        if cached is not None:
            return cached
    spec = _build_region_spec()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(f"{_SUM}{_digest(spec)}\n{spec}", encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass
    return spec


# The cache's first line holds a digest of the rest: a file cut short (a crash, a full disk) or changed is built
# again instead of read as rules (it once failed every later run with "unknown region").
_SUM = "# sha256 "


def _digest(spec: str) -> str:
    return sha256_hex(spec.encode())


def _checked(text: str) -> str | None:
    """The spec a cache file holds, if its digest says it is whole."""
    head, _, spec = text.partition("\n")
    return spec if head.startswith(_SUM) and head[len(_SUM) :] == _digest(spec) else None


@lru_cache(maxsize=1)
def supported_regions() -> frozenset[str]:
    """The two-letter regions phonenumbers has metadata for (phonenumbers.SUPPORTED_REGIONS), from the spec."""
    return frozenset(
        line.split("\t", 2)[1]
        for line in region_spec().splitlines()
        if line.startswith("M\t") and not line.split("\t", 2)[1].startswith(NON_GEO)
    )


def _build_region_spec() -> str:
    import phonenumbers
    from phonenumbers import PhoneMetadata

    lines = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is not None:
            lines.append(_record(region, metadata))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        metadata = PhoneMetadata.metadata_for_nongeo_region(code, None)
        if metadata is not None:
            lines.append(_record(f"{NON_GEO}+{code}", metadata))
    for code, regions in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()):
        main = regions[0]
        lines.append(f"C\t{code}\t{NON_GEO}+{code}" if main == NON_GEO else f"C\t{code}\t{main}")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=64)
def native_region(region: str):  # the native type has no stub
    """The engine's compiled rules for `region` (an ISO country code), built once per region."""
    from pseudolog import _core

    return _core.PhoneRegion(region_spec(), region)
