//! E.164 normalisation from numbering rules Python extracts from `phonenumbers`' metadata at start-up
//! (pseudolog/phone_rules.py writes the spec). `parse_e164` is what Python's
//! `parse` + `is_possible_number` + `format_number(E164)` give, for the text shapes the detectors hand it
//! (ASCII: `+`, digits and phone punctuation). Letters, extensions (`ext. 12`) and RFC 3966 parameters are
//! not read here: such text gives `None` (the caller's fallback form), where Python might parse it.
//!
//! The engine is built with the spec Python hands it (`pseudolog.phone_rules.region_spec()`), once:
//! `Region::new(Arc::new(PhoneRules::from_spec(spec)?), "DE")`; the detectors take `&Region`. Regexes of a
//! record are compiled on first use and shared by every thread (`Region` is `Send + Sync`, cheap to clone).

use crate::hashing::HashMap;
use regex::Regex;
use std::sync::{Arc, OnceLock};

/// phonenumbers' limits (`_MIN_LENGTH_FOR_NSN`, `_MAX_LENGTH_FOR_NSN`, `_MAX_LENGTH_COUNTRY_CODE`,
/// `_MAX_INPUT_STRING_LENGTH`).
const MIN_NSN: usize = 2;
const MAX_NSN: usize = 17;
const MAX_CC_DIGITS: usize = 3;
const MAX_INPUT: usize = 250;

/// One metadata record: a region's, or a non-geographic calling code's.
#[derive(Debug)]
pub struct Meta {
    pub id: String,
    pub country_code: u32,
    pub national_prefix: String,
    international_prefix: String,
    prefix_for_parsing: String,
    transform_rule: String,
    pub possible_lengths: Vec<usize>,
    local_lengths: Vec<usize>,
    national_pattern: String,
    // Compiled on first use: a run meets a handful of countries, the spec holds ~250.
    idd_re: OnceLock<Option<Regex>>,
    prefix_re: OnceLock<Option<Regex>>,
    national_re: OnceLock<Option<Regex>>,
}

/// Python's `re.match`: anchored at the start only.
fn compile_prefix(pattern: &str) -> Option<Regex> {
    if pattern.is_empty() {
        return None;
    }
    Regex::new(&format!("^(?:{pattern})")).ok()
}

/// `fullmatch`.
fn compile_full(pattern: &str) -> Option<Regex> {
    if pattern.is_empty() {
        return None;
    }
    Regex::new(&format!("^(?:{pattern})$")).ok()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

impl Meta {
    fn idd(&self) -> Option<&Regex> {
        self.idd_re
            .get_or_init(|| compile_prefix(&self.international_prefix))
            .as_ref()
    }

    fn prefix_for_parsing(&self) -> Option<&Regex> {
        self.prefix_re
            .get_or_init(|| compile_prefix(&self.prefix_for_parsing))
            .as_ref()
    }

    fn national(&self) -> Option<&Regex> {
        self.national_re
            .get_or_init(|| compile_full(&self.national_pattern))
            .as_ref()
    }

    pub fn has_transform_rule(&self) -> bool {
        !self.transform_rule.is_empty()
    }

    pub fn prefix_for_parsing_text(&self) -> &str {
        &self.prefix_for_parsing
    }

    /// The general description's national number pattern matches all of `number`.
    pub fn matches_national(&self, number: &str) -> bool {
        self.national().is_some_and(|re| re.is_match(number))
    }

    /// `_test_number_length` for the general description.
    fn test_length(&self, number: &str) -> Length {
        let n = number.len();
        if self.local_lengths.contains(&n) {
            return Length::LocalOnly;
        }
        let (Some(&min), Some(&max)) =
            (self.possible_lengths.first(), self.possible_lengths.last())
        else {
            return Length::Invalid;
        };
        if n == min || (n > min && n <= max && self.possible_lengths[1..].contains(&n)) {
            Length::Possible
        } else if n < min {
            Length::TooShort
        } else if n > max {
            Length::TooLong
        } else {
            Length::Invalid
        }
    }

    /// `_maybe_strip_national_prefix_carrier_code`: the number with its trunk prefix (and carrier code) taken
    /// off, or as it was.
    fn strip_national_prefix(&self, number: &str) -> String {
        let Some(re) = self.prefix_for_parsing() else {
            return number.to_string();
        };
        if number.is_empty() {
            return number.to_string();
        }
        let Some(caps) = re.captures(number) else {
            return number.to_string();
        };
        let whole = caps.get(0).expect("group 0");
        let viable = self.matches_national(number);
        let groups = caps.len() - 1;
        let last_group_set = groups > 0 && caps.get(groups).is_some();
        let stripped = if self.transform_rule.is_empty() || !last_group_set {
            // Python indexes groups()[-1] on an empty tuple only when a transform rule exists; the metadata
            // has none without groups.
            number[whole.end()..].to_string()
        } else {
            let mut out = String::new();
            caps.expand(&self.transform_rule, &mut out);
            out.push_str(&number[whole.end()..]);
            out
        };
        if viable && !self.matches_national(&stripped) {
            return number.to_string();
        }
        stripped
    }
}

/// Every record of the spec, and the main record per country calling code.
#[derive(Debug)]
pub struct PhoneRules {
    metas: Vec<Meta>,
    by_id: HashMap<String, usize>,
    by_code: HashMap<u32, usize>,
}

fn lengths(field: &str) -> Result<Vec<usize>, String> {
    if field.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = field
        .split(',')
        .map(|n| {
            n.parse::<usize>()
                .map_err(|e| format!("bad length {n:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_unstable();
    Ok(out)
}

impl PhoneRules {
    /// Reads the spec `pseudolog.phone_rules.region_spec()` writes.
    pub fn from_spec(spec: &str) -> Result<PhoneRules, String> {
        let mut metas = Vec::new();
        let mut by_id = HashMap::default();
        let mut mains = Vec::new();
        for (n, line) in spec.lines().enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["M", id, cc, idd, np, npp, rule, possible, local, pattern] => {
                    let country_code = cc
                        .parse()
                        .map_err(|e| format!("line {}: bad country code: {e}", n + 1))?;
                    by_id.insert(id.to_string(), metas.len());
                    metas.push(Meta {
                        id: id.to_string(),
                        country_code,
                        international_prefix: idd.to_string(),
                        national_prefix: np.to_string(),
                        prefix_for_parsing: npp.to_string(),
                        // Python's `\1` is the regex crate's `${1}`.
                        transform_rule: python_template(rule),
                        possible_lengths: lengths(possible)
                            .map_err(|e| format!("line {}: {e}", n + 1))?,
                        local_lengths: lengths(local)
                            .map_err(|e| format!("line {}: {e}", n + 1))?,
                        national_pattern: pattern.to_string(),
                        idd_re: OnceLock::new(),
                        prefix_re: OnceLock::new(),
                        national_re: OnceLock::new(),
                    });
                }
                ["C", cc, main] => {
                    let code: u32 = cc
                        .parse()
                        .map_err(|e| format!("line {}: bad country code: {e}", n + 1))?;
                    mains.push((code, main.to_string(), n + 1));
                }
                [""] => {}
                _ => return Err(format!("line {}: not a spec record", n + 1)),
            }
        }
        let mut by_code = HashMap::default();
        for (code, main, n) in mains {
            let idx = *by_id
                .get(&main)
                .ok_or_else(|| format!("line {n}: no record {main}"))?;
            by_code.insert(code, idx);
        }
        Ok(PhoneRules {
            metas,
            by_id,
            by_code,
        })
    }

    pub fn region(&self, region: &str) -> Option<&Meta> {
        self.by_id
            .get(&region.to_ascii_uppercase())
            .map(|&i| &self.metas[i])
    }

    /// The main region's record for a calling code (phonenumbers' `metadata_for_region_or_calling_code`).
    pub fn for_code(&self, code: u32) -> Option<&Meta> {
        self.by_code.get(&code).map(|&i| &self.metas[i])
    }

    /// `_extract_country_code`: the calling code leading `digits` and the rest, or None.
    fn extract_country_code<'a>(&self, digits: &'a str) -> Option<(u32, &'a str)> {
        if digits.is_empty() || digits.starts_with('0') {
            return None;
        }
        (1..=MAX_CC_DIGITS.min(digits.len())).find_map(|size| {
            let code: u32 = digits[..size].parse().ok()?;
            self.by_code
                .contains_key(&code)
                .then(|| (code, &digits[size..]))
        })
    }
}

fn python_template(rule: &str) -> String {
    let mut out = String::with_capacity(rule.len() + 4);
    let mut chars = rule.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                out.push_str("${");
                out.push(chars.next().expect("peeked"));
                out.push('}');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// A `--region` and the rules it is read with; cheap to clone.
#[derive(Clone, Debug)]
pub struct Region {
    pub rules: Arc<PhoneRules>,
    /// As the user gave it: it names the fallback form of numbers no rule reads (`DE:1234`).
    pub code: String,
    /// The region's record, looked up once (None for a code the metadata does not know).
    meta: Option<usize>,
}

impl Region {
    pub fn new(rules: Arc<PhoneRules>, code: &str) -> Region {
        let meta = rules.by_id.get(&code.to_ascii_uppercase()).copied();
        Region {
            rules,
            code: code.to_string(),
            meta,
        }
    }

    pub fn meta(&self) -> Option<&Meta> {
        self.meta.map(|i| &self.rules.metas[i])
    }
}

/// ASCII punctuation phonenumbers allows between digits (`_VALID_PUNCTUATION` and `*`).
fn is_punctuation(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'x' | b' ' | b'(' | b')' | b'.' | b'[' | b']' | b'/' | b'~' | b'*'
    )
}

/// `_build_national_number_for_parsing` and `_is_viable_phone_number` for ASCII text without letters (other
/// than phonenumbers' `x` punctuation): the text from its first `+` or digit, trailing punctuation dropped;
/// None when it is no viable number or holds what this port does not read.
fn viable_part(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let start = b.iter().position(|&c| c == b'+' || c.is_ascii_digit())?;
    // `_UNWANTED_END_CHARS`: a trailing run of `_` and characters that are neither `#` nor word characters.
    let mut end = b.len();
    while end > start && !(b[end - 1].is_ascii_alphanumeric() || b[end - 1] == b'#') {
        end -= 1;
    }
    let mut part = &text[start..end];
    // `_SECOND_NUMBER_START`: `\` or `/`, blanks, `x`.
    let pb = part.as_bytes();
    for (i, &c) in pb.iter().enumerate() {
        if c == b'\\' || c == b'/' {
            let mut j = i + 1;
            while j < pb.len() && pb[j] == b' ' {
                j += 1;
            }
            if j < pb.len() && pb[j] == b'x' {
                part = &part[..i];
                break;
            }
        }
    }
    let pb = part.as_bytes();
    if pb.len() < MIN_NSN {
        return None;
    }
    if pb.len() == 2 && pb.iter().all(u8::is_ascii_digit) {
        return Some(part);
    }
    let body = &pb[pb.iter().position(|&c| c != b'+').unwrap_or(pb.len())..];
    let digits = body.iter().filter(|c| c.is_ascii_digit()).count();
    if digits < 3
        || !body
            .iter()
            .all(|&c| c.is_ascii_digit() || is_punctuation(c))
    {
        return None; // not viable, or letters / an extension this port does not read
    }
    // The `x` that phonenumbers takes for punctuation also starts extensions (`1234 x 56`): not read here.
    if body.contains(&b'x') {
        return None;
    }
    Some(part)
}

fn digits_only(text: &str) -> String {
    text.bytes()
        .filter(u8::is_ascii_digit)
        .map(char::from)
        .collect()
}

enum CcError {
    InvalidCountryCode,
    Other,
}

/// `_maybe_extract_country_code`: (calling code or 0, national number).
fn extract_country_code(
    rules: &PhoneRules,
    number: &str,
    meta: Option<&Meta>,
) -> Result<(u32, String), CcError> {
    if number.is_empty() {
        return Ok((0, String::new()));
    }
    let (from_default, full) = if let Some(rest) = number.strip_prefix('+') {
        (false, digits_only(rest.trim_start_matches('+')))
    } else {
        let digits = digits_only(number);
        match meta.and_then(Meta::idd).and_then(|re| re.find(&digits)) {
            // No calling code starts with 0, so a 0 after the prefix means it was none.
            Some(m) if !digits[m.end()..].starts_with('0') => {
                (false, digits[m.end()..].to_string())
            }
            _ => (true, digits),
        }
    };
    if !from_default {
        if full.len() <= MIN_NSN {
            return Err(CcError::Other);
        }
        return match rules.extract_country_code(&full) {
            Some((code, rest)) => Ok((code, rest.to_string())),
            None => Err(CcError::InvalidCountryCode),
        };
    }
    if let Some(meta) = meta {
        let code = meta.country_code.to_string();
        if let Some(rest) = full.strip_prefix(code.as_str()) {
            let potential = meta.strip_national_prefix(rest);
            if (!meta.matches_national(&full) && meta.matches_national(&potential))
                || meta.test_length(&full) == Length::TooLong
            {
                return Ok((meta.country_code, potential));
            }
        }
    }
    Ok((0, String::new()))
}

/// `phonenumbers.parse(text, region)`, then `is_possible_number`, then E.164; None where Python raises or
/// finds the number impossible. `region` None is Python's `None` (only `+` numbers parse).
pub fn parse_e164(rules: &PhoneRules, text: &str, region: Option<&str>) -> Option<String> {
    if text.len() > MAX_INPUT || !text.is_ascii() {
        return None;
    }
    let number = viable_part(text)?;
    let meta = region.and_then(|r| rules.region(r));
    if meta.is_none() && !number.starts_with('+') {
        return None; // `_check_region_for_parsing`
    }
    let (code, national) = match extract_country_code(rules, number, meta) {
        Ok(found) => found,
        Err(CcError::InvalidCountryCode) if number.starts_with('+') => {
            match extract_country_code(rules, number.trim_start_matches('+'), meta) {
                Ok((0, _)) | Err(_) => return None,
                Ok(found) => found,
            }
        }
        Err(_) => return None,
    };
    let (code, mut national, meta) = if code != 0 {
        // The region of the calling code replaces the default one (the same record when they agree).
        (code, national, rules.for_code(code))
    } else {
        let meta = meta?;
        (meta.country_code, digits_only(number), Some(meta))
    };
    if national.len() < MIN_NSN {
        return None;
    }
    if let Some(meta) = meta {
        let potential = meta.strip_national_prefix(&national);
        if !matches!(
            meta.test_length(&potential),
            Length::TooShort | Length::LocalOnly | Length::Invalid
        ) {
            national = potential;
        }
    }
    if national.len() < MIN_NSN || national.len() > MAX_NSN {
        return None;
    }
    // `is_possible_number`, read with the calling code's main region.
    let main = rules.for_code(code)?;
    match main.test_length(&national) {
        Length::Possible | Length::LocalOnly => Some(format!("+{code}{national}")),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The spec pseudolog/phone_rules.py wrote when the tests were last regenerated (tests/test_native_detect_phone.py
    /// holds the Rust results to Python's with the spec of the installed phonenumbers).
    pub(crate) const SPEC: &str = include_str!("testdata/phone_rules.tsv");

    pub(crate) fn rules() -> Arc<PhoneRules> {
        static RULES: OnceLock<Arc<PhoneRules>> = OnceLock::new();
        RULES
            .get_or_init(|| Arc::new(PhoneRules::from_spec(SPEC).expect("spec reads")))
            .clone()
    }

    #[test]
    fn parses_the_common_forms() {
        let r = rules();
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("+49 30 1234567", None, Some("+49301234567")),
            ("+49 (0)30 1234567", None, Some("+49301234567")),
            ("030 1234567", Some("DE"), Some("+49301234567")),
            ("0049 30 1234567", Some("DE"), Some("+49301234567")),
            ("+1 415 555 2671", None, Some("+14155552671")),
            ("0207 946 0000", Some("GB"), Some("+442079460000")),
            ("+0 123", None, None),
            ("12", None, None),
            ("030 1234567 ext 5", Some("DE"), None),
        ];
        for &(text, region, want) in cases {
            assert_eq!(
                parse_e164(&r, text, region).as_deref(),
                want,
                "{text} {region:?}"
            );
        }
    }

    #[test]
    fn every_pattern_of_the_spec_compiles() {
        let r = rules();
        for meta in &r.metas {
            assert_eq!(
                meta.idd().is_some(),
                !meta.international_prefix.is_empty(),
                "{}",
                meta.id
            );
            assert_eq!(
                meta.prefix_for_parsing().is_some(),
                !meta.prefix_for_parsing.is_empty(),
                "{}",
                meta.id
            );
            assert_eq!(
                meta.national().is_some(),
                !meta.national_pattern.is_empty(),
                "{}",
                meta.id
            );
        }
    }

    #[test]
    fn templates_convert() {
        assert_eq!(python_template("9\\1"), "9${1}");
        assert_eq!(python_template("\\2"), "${2}");
    }
}
