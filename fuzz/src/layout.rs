//! Target `layout`: a layout spec from a small grammar driven by the input's first bytes, and the rest of the
//! input as the line.
//!
//! Grammar (one byte per decision): `count` elements, each a literal (1-4 bytes, printable ASCII), a run of
//! spaces, or a field with one of the scans (a stop byte for `not`/`nonspace_not`, sometimes a `require:`
//! word); field roles are `keep` for number scans, else one of the others, and maybe one time field.
//!
//! Checked: the spec compiles (the grammar only makes valid specs); no panic; a match gives one span per
//! field, each within the line and in element order; matching the same line again (reused scratch, and fresh
//! scratch) agrees on match/no-match and on the spans; `Format::values` agrees with the match; the matcher's
//! work stays linear (within 64 x elements x bytes), also on the line repeated to a few KB.

use _core::layout::{Codec, ElementSpec, Format, Matcher, Pattern};

const SCANS: [&str; 12] = [
    "any",
    "nonspace",
    "nonspace_not",
    "not",
    "quoted",
    "int",
    "num",
    "sd",
    "clf",
    "iso",
    "syslog",
    "epoch",
];
const ROLES: [&str; 4] = ["scrub", "time", "ipport", "message"];
/// Stop bytes and literal bytes are drawn from what log layouts use.
const PUNCT: &[u8] = b" \"[]<>:;,=|-/.'{}()@\t";
const WORDS: [&str; 4] = ["sip", "@", "=", "HTTP"];

/// Reads the grammar's decisions from the front of the input.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = (self.pos + 1).min(self.data.len());
        b
    }

    fn printable(&mut self) -> char {
        let b = self.byte();
        if b & 0x80 != 0 {
            char::from(PUNCT[usize::from(b) % PUNCT.len()])
        } else {
            char::from(b' ' + b % 95)
        }
    }
}

pub type FieldSpec = (String, String, String, String, i64);

/// A spec from the grammar, and where the line starts in the input.
pub fn spec(data: &[u8]) -> (Vec<ElementSpec>, Vec<FieldSpec>, i64, usize) {
    let mut r = Reader { data, pos: 0 };
    let count = 1 + usize::from(r.byte() % 8);
    let mut elements = Vec::new();
    let mut fields: Vec<FieldSpec> = Vec::new();
    let mut time_fields = Vec::new();
    for _ in 0..count {
        let op = r.byte();
        match op % 3 {
            0 => {
                let len = 1 + usize::from(op >> 2) % 4;
                let text: String = (0..len).map(|_| r.printable()).collect();
                elements.push(("lit".into(), text, -1, String::new(), Vec::new()));
            }
            1 => elements.push((
                "spaces".into(),
                String::new(),
                -1,
                String::new(),
                Vec::new(),
            )),
            _ => {
                let scan = SCANS[usize::from(r.byte()) % SCANS.len()];
                let stop = char::from(PUNCT[usize::from(r.byte()) % PUNCT.len()]);
                let words = if op & 0x40 != 0 {
                    vec![WORDS[usize::from(op >> 2) % WORDS.len()].to_string()]
                } else {
                    Vec::new()
                };
                let index = fields.len();
                let role = if matches!(scan, "int" | "num") {
                    "keep"
                } else {
                    ROLES[usize::from(op >> 3) % ROLES.len()]
                };
                if role == "time" {
                    time_fields.push(index);
                }
                let time_kind = if role == "time" { scan } else { "" };
                fields.push((
                    format!("f{index}"),
                    scan.to_string(),
                    role.to_string(),
                    time_kind.to_string(),
                    i64::from(op >> 7),
                ));
                elements.push((
                    "field".into(),
                    stop.to_string(),
                    index as i64,
                    scan.to_string(),
                    words,
                ));
            }
        }
    }
    let time_index = match time_fields.first() {
        Some(&t) if r.byte() & 1 == 1 => t as i64,
        _ => -1,
    };
    (elements, fields, time_index, r.pos)
}

pub fn check(data: &[u8]) {
    let (elements, fields, time_index, at) = spec(data);
    let pattern = Pattern::from_spec(&elements, &fields, time_index)
        .unwrap_or_else(|e| panic!("the grammar made a spec the compiler refused: {e:?}"));
    let line = &data[at..];
    let mut m = Matcher::default();
    let first = pattern.match_line(line, &mut m);
    if let Some(spans) = &first {
        assert_eq!(spans.len(), fields.len(), "one span per field");
        let mut last_end = 0;
        for e in &elements {
            if e.0 == "field" {
                let (s, end) = spans[e.2 as usize];
                assert!(
                    s <= end && end <= line.len(),
                    "span {s}..{end} outside the line"
                );
                assert!(s >= last_end, "field spans out of element order");
                last_end = end;
            }
        }
    }
    let again = pattern.match_line(line, &mut m);
    assert_eq!(
        first, again,
        "the matcher disagrees with itself (reused scratch)"
    );
    let fresh = pattern.match_line(line, &mut Matcher::default());
    assert_eq!(
        first, fresh,
        "the matcher disagrees with itself (fresh scratch)"
    );
    assert_eq!(pattern.matches(line, &mut m), first.is_some());

    // Linear shape: each (element, position) pair is tried once and scans are reused, so the matcher's work
    // stays within a constant times elements x bytes (measured at under 5 on the fuzzed corpus; 64 is slack),
    // also on the line repeated into a long one, where a backtracking matcher would blow up. An `any` field
    // (`.*`) tries each end once per line, whatever the starts (`{a:any}: {b:any}x` on `: : : ...`).
    let long = line.repeat((4096 / (line.len() + 1)).clamp(1, 64));
    for text in [line, &long[..]] {
        let mut w = Matcher::default();
        pattern.matches(text, &mut w);
        let bound = 64 * (elements.len() + 1) * (text.len() + 1);
        assert!(
            w.work <= bound,
            "matcher work {} over {bound}: not linear",
            w.work
        );
    }

    let format = Format {
        name: "fuzz".into(),
        codec: Codec::Patterns(vec![pattern]),
        unbracketed_ports: false,
    };
    assert_eq!(format.fits(line, &mut m), first.is_some());
    let values = format.values(line, &mut m);
    assert_eq!(
        values.is_some(),
        first.is_some(),
        "values() disagrees with the match"
    );
    if let (Some(values), Some(spans)) = (values, first) {
        for v in values {
            assert!(v.start <= v.end && v.end <= line.len());
            assert!(
                spans.contains(&(v.start, v.end)),
                "a value that is no field span"
            );
        }
    }
}
