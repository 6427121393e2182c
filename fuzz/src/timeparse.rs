//! Target `timeparse`: every time form, the sniffer and the syslog year inference on arbitrary bytes.
//!
//! Checked: no panic; a parsed time is finite; the memo agrees with a fresh parse (the same text parsed twice,
//! and by a parser that never saw it, gives the same answer); syslog candidates are finite and the pick is
//! one of them.

use _core::timeparse::{self, TimeForm, TimeParser};

/// 2026-11-21T00:00:00Z, the CI reference time, and a reference time near a year's end.
const NOWS: [f64; 2] = [1_795_219_200.0, 1_798_675_200.0];
const FORMS: [&str; 6] = ["clf", "iso", "epoch", "slashed", "ctime", "syslog"];

fn bits(t: Option<f64>) -> Option<u64> {
    t.map(f64::to_bits)
}

pub fn check(data: &[u8]) {
    let mut memo = TimeParser::new(64);
    for now in NOWS {
        for name in FORMS {
            let Some(form) = TimeForm::from_name(name) else {
                continue;
            };
            let first = memo.parse(form, data, now);
            if let Some(t) = first {
                assert!(t.is_finite(), "{name}: a time that is not finite");
            }
            let again = memo.parse(form, data, now);
            let fresh = TimeParser::new(64).parse(form, data, now);
            assert_eq!(
                bits(first),
                bits(again),
                "{name}: the memo changed the answer"
            );
            assert_eq!(bits(first), bits(fresh), "{name}: a fresh parser disagrees");
        }
        let sniffed = memo.sniff(data, now);
        assert_eq!(
            bits(sniffed),
            bits(TimeParser::new(64).sniff(data, now)),
            "sniff: a fresh parser disagrees"
        );
        if let Some(candidates) = timeparse::syslog_year_candidates(data, timeparse::year_of(now)) {
            assert!(candidates.iter().all(|c| c.is_finite()));
            if !candidates.is_empty() {
                let pick = timeparse::pick_syslog_year(&candidates, now);
                assert!(candidates.iter().any(|c| c.to_bits() == pick.to_bits()));
            }
        }
    }
    for parse in [
        timeparse::parse_clf,
        timeparse::parse_iso,
        timeparse::parse_epoch,
        timeparse::parse_slashed,
        timeparse::parse_ctime,
    ] {
        if let Some(t) = parse(data) {
            assert!(t.is_finite());
        }
    }
}
