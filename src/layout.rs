//! Log formats from the plain layout spec that Python compiles from the pattern language
//! (pseudolog/formats/spec.py): a format is patterns tried in order; a pattern is a sequence of literals, runs
//! of spaces and fields.
//!
//! The matcher gives exactly what Python's `regex.fullmatch` gives (the same match or no match, the same field
//! spans) without a regex engine: it walks the elements left to right, each field offering its candidate
//! ends in the order Python's backtracking tries them (one end for the possessive fields, which are most). A
//! failed (element, position) pair is remembered, so no suffix of the pattern is tried twice from one place,
//! and a field or space run tried again one byte further left reuses its scan: the walk stays linear in the
//! line's length even where Python would backtrack.

mod failed;
pub mod fieldtype;

use memchr::memmem;

use failed::FailedMemo;
pub use fieldtype::Scan;
use fieldtype::{candidates, Cands, Ends};

/// What the engine does with a field (fieldtypes.py roles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Numbers that cannot hold an identifier: never rewritten.
    Keep,
    /// The event time: kept when it parses, else scanned as text.
    Time,
    /// address:port.
    IpPort,
    /// A syslog payload: read as JSON when it is JSON, else text.
    Message,
    /// Scanned with every detector.
    Scrub,
}

impl Role {
    pub fn from_name(name: &str) -> Option<Role> {
        Some(match name {
            "keep" => Role::Keep,
            "time" => Role::Time,
            "ipport" => Role::IpPort,
            "message" => Role::Message,
            "scrub" => Role::Scrub,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Keep => "keep",
            Role::Time => "time",
            Role::IpPort => "ipport",
            Role::Message => "message",
            Role::Scrub => "scrub",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    pub type_name: String,
    pub role: Role,
    /// clf, iso, syslog or epoch for a time field.
    pub time_kind: Option<String>,
    /// A user-agent field: dotted quads after a product token are versions.
    pub agent: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(u8)] // a plain tag: the matcher dispatches on it once per element
pub enum Element {
    Lit(Vec<u8>),
    /// One or more spaces (a run of spaces in a literal of the pattern).
    Spaces,
    Field {
        index: usize,
        scan: Scan,
        /// `require:` words: the field's run of non-spaces (up to its first space) holds one of them.
        require: Vec<Vec<u8>>,
    },
}

/// One element of the spec as Python hands it over: (op, text, field index, scan, require words).
pub type ElementSpec = (String, String, i64, String, Vec<String>);

#[derive(Clone, Debug)]
pub struct Pattern {
    pub elements: Vec<Element>,
    pub fields: Vec<FieldInfo>,
    pub time_index: Option<usize>,
}

/// A span of a matched field: `line[start..end]` is field `field` of the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpan {
    pub start: usize,
    pub end: usize,
    pub field: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct SpecError(pub String);

impl Pattern {
    /// A pattern from its spec; `fields` are (name, type, role, time kind or "", agent).
    pub fn from_spec(
        elements: &[ElementSpec],
        fields: &[(String, String, String, String, i64)],
        time_index: i64,
    ) -> Result<Pattern, SpecError> {
        let err = |m: String| Err(SpecError(m));
        let mut out = Vec::with_capacity(elements.len());
        for (op, text, index, scan, words) in elements {
            out.push(match op.as_str() {
                "lit" if !text.is_empty() => Element::Lit(text.as_bytes().to_vec()),
                "spaces" => Element::Spaces,
                "field" => {
                    let stop = match text.as_bytes() {
                        [] => None,
                        [b, ..] => Some(*b),
                    };
                    let Some(scan) = Scan::from_spec(scan, stop) else {
                        return err(format!("layout spec: unknown scan {scan:?}"));
                    };
                    let Ok(index) = usize::try_from(*index) else {
                        return err("layout spec: negative field index".into());
                    };
                    if index >= fields.len() {
                        return err("layout spec: field index out of range".into());
                    }
                    let require = words
                        .iter()
                        .filter(|w| !w.is_empty())
                        .map(|w| w.as_bytes().to_vec())
                        .collect();
                    Element::Field {
                        index,
                        scan,
                        require,
                    }
                }
                _ => return err(format!("layout spec: unknown element {op:?}")),
            });
        }
        let mut infos = Vec::with_capacity(fields.len());
        for (name, type_name, role, time_kind, agent) in fields {
            let Some(role) = Role::from_name(role) else {
                return err(format!("layout spec: unknown role {role:?}"));
            };
            infos.push(FieldInfo {
                name: name.clone(),
                type_name: type_name.clone(),
                role,
                time_kind: (!time_kind.is_empty()).then(|| time_kind.clone()),
                agent: *agent != 0,
            });
        }
        // Keep-fields skip every detector, so only a scan that reads digits alone may feed one: a spec that says
        // otherwise (a hand-edited cache, say) must not open a way round the scan.
        for e in &out {
            if let Element::Field { index, scan, .. } = e {
                if infos[*index].role == Role::Keep && !matches!(scan, Scan::Int | Scan::Num) {
                    return err("layout spec: a keep-field must read a number".into());
                }
            }
        }
        let mut seen = vec![false; infos.len()];
        for e in &out {
            if let Element::Field { index, .. } = e {
                if std::mem::replace(&mut seen[*index], true) {
                    return err("layout spec: a field appears twice".into());
                }
            }
        }
        if seen.iter().any(|s| !s) {
            return err("layout spec: a field is missing from the elements".into());
        }
        let time_index = usize::try_from(time_index).ok();
        if time_index.is_some_and(|t| t >= infos.len()) {
            return err("layout spec: time index out of range".into());
        }
        Ok(Pattern {
            elements: out,
            fields: infos,
            time_index,
        })
    }

    /// Field spans of a line that fits the pattern (indexed by field), or None. `m` is reusable scratch.
    pub fn match_line(&self, line: &[u8], m: &mut Matcher) -> Option<Vec<(usize, usize)>> {
        self.matches(line, m).then(|| m.spans.clone())
    }

    /// Whether the line fits; its field spans are then in `m.spans()`. A line that would cost the matcher more
    /// than `WORK_PER_BYTE` steps per element and byte does not fit (a backstop: no real layout comes near; such
    /// a line is then read as free text, every detector over it).
    pub fn matches(&self, line: &[u8], m: &mut Matcher) -> bool {
        m.reset(self.elements.len(), self.fields.len(), line.len());
        m.budget = m
            .work
            .saturating_add(WORK_PER_BYTE * (self.elements.len() + 1) * (line.len() + 1));
        let fits = m.walk(&self.elements, line, 0, 0, true);
        fits && m.work <= m.budget
    }
}

/// The matcher's budget: steps per element and byte of the line (the fuzz target measures under 5 on real and
/// fuzzed layouts and holds the matcher to 64).
const WORK_PER_BYTE: usize = 32;

/// Candidate sets up to this size are filtered by the next element's first byte before any is tried.
const FEW_ENDS: usize = 16;

/// Scratch state of a match, kept between lines so matching allocates nothing per line.
#[derive(Default)]
pub struct Matcher {
    spans: Vec<(usize, usize)>,
    failed: FailedMemo,
    /// Per element: the last (start, end) of its scan, reused by a start one byte to the left.
    last_run: Vec<Option<(usize, usize)>>,
    /// Per element with `require:` words: the last (start, end of its run of non-spaces, a word found).
    last_required: Vec<Option<(usize, usize, bool)>>,
    /// Per `any` field (not last): the lowest start from which every end was tried and the rest of the pattern
    /// failed, so from any start the ends at or past it need no second try (`require:` words are checked at the
    /// start, before any end).
    any_floor: Vec<usize>,
    /// The (element, position) pairs of the walks in progress.
    chain: Vec<(usize, usize)>,
    /// `last_run`, `last_required` or `any_floor` was written during this match.
    dirty: bool,
    /// What the JSON keys of the stream tell the JSON codec.
    pub json_keys: crate::json::KeyMemo,
    /// Candidate ends and bytes scanned, for the linear-shape tests.
    pub work: usize,
    /// `work` at which the current match gives up.
    budget: usize,
}

impl Matcher {
    /// The field spans of the last successful match, indexed by field.
    pub fn spans(&self) -> &[(usize, usize)] {
        &self.spans
    }

    fn reset(&mut self, elements: usize, fields: usize, len: usize) {
        self.spans.clear();
        self.spans.resize(fields, (0, 0));
        self.chain.clear();
        self.failed.reset(elements, len);
        // Most lines leave these as they were: only a nested walk, a run of spaces, a `require:` word or a
        // failed `.*` writes them.
        if self.dirty || self.last_run.len() != elements {
            self.last_run.clear();
            self.last_run.resize(elements, None);
            self.last_required.clear();
            self.last_required.resize(elements, None);
            self.any_floor.clear();
            self.any_floor.resize(elements, usize::MAX);
            self.dirty = false;
        }
    }

    fn has_failed(&self, i: usize, p: usize) -> bool {
        !self.failed.is_empty() && self.failed.contains(i, p)
    }

    /// The end of a class-run scan for element `i` at `p`, when its last scan started at `p + 1` and `line[p]`
    /// is in the class (then both runs end at the same place).
    fn reuse(&mut self, i: usize, p: usize, in_class: bool) -> Option<usize> {
        match self.last_run[i] {
            Some((s, e)) if in_class && s == p + 1 => {
                self.last_run[i] = Some((p, e));
                Some(e)
            }
            _ => None,
        }
    }

    /// `has_required_word` for element `i` at `p`, reusing the answer from a start further right in the same
    /// run of non-spaces (starts are tried right to left), so a field tried at many starts costs its run once.
    /// The walk from the pattern's start meets the element once: it neither reuses nor keeps an answer, so a
    /// line that needs no nested walk leaves the scratch clean for the next (a reset cost kamailio lines about
    /// 400 instructions each).
    fn required(&mut self, i: usize, line: &[u8], p: usize, words: &[Vec<u8>], top: bool) -> bool {
        let answer = match self.last_required[i] {
            Some((s, run_end, found))
                if !top && p < s && memchr::memchr(b' ', &line[p..s]).is_none() =>
            {
                let longest = words.iter().map(Vec::len).max().unwrap_or(0);
                let hay = &line[p..line.len().min(s + longest)];
                self.work += hay.len();
                let here = words
                    .iter()
                    .any(|w| memmem::find(hay, w).is_some_and(|k| p + k < s));
                (run_end, found || here)
            }
            _ => {
                let run_end = memchr::memchr(b' ', &line[p..]).map_or(line.len(), |k| p + k);
                self.work += run_end - p;
                (run_end, has_required_word(line, p, run_end, words))
            }
        };
        if !top {
            self.last_required[i] = Some((p, answer.0, answer.1));
            self.dirty = true;
        }
        answer.1
    }

    /// Whether elements[i..] match line[p..] to its end; the first success in Python's order wins. `top` is
    /// the walk from the pattern's start.
    fn walk(&mut self, elements: &[Element], line: &[u8], i: usize, p: usize, top: bool) -> bool {
        // Elements with one candidate end (most) are walked in this loop; only a real choice recurses. On
        // failure every (element, position) of the walk is remembered: each failed because the rest did.
        let (mut i, mut p) = (i, p);
        let base = self.chain.len();
        self.dirty |= !top;
        let ok = loop {
            if i == elements.len() {
                break p == line.len();
            }
            if self.has_failed(i, p) || self.work > self.budget {
                break false;
            }
            if !top {
                self.chain.push((i, p));
            }
            match self.step(elements, line, i, p, top) {
                Step::Next(end) => (i, p) = (i + 1, end),
                Step::Done(ok) => break ok,
            }
        };
        // The walk from the pattern's start records nothing: when it fails the match is over, and what it
        // passed is never asked again.
        if !ok && !top {
            for &(element, position) in &self.chain[base..] {
                self.failed.insert(element, position);
            }
        }
        self.chain.truncate(base);
        ok
    }

    /// Element `i` at `p`: its one end, or the outcome of trying each of its ends with the rest.
    #[inline(always)] // one call per element: kept in the walk's loop
    fn step(&mut self, elements: &[Element], line: &[u8], i: usize, p: usize, top: bool) -> Step {
        let last = i + 1 == elements.len();
        match &elements[i] {
            Element::Lit(text) => {
                let fits = match text.as_slice() {
                    [b] => line.get(p) == Some(b), // most literals are one byte: no memcmp call
                    _ => line[p..].starts_with(text),
                };
                if fits {
                    Step::Next(p + text.len())
                } else {
                    Step::Done(false)
                }
            }
            Element::Spaces => {
                if line.get(p) != Some(&b' ') {
                    Step::Done(false)
                } else if line.get(p + 1) != Some(&b' ') {
                    self.one_end(line, p, p + 1, last, None) // one space, the only end (most runs)
                } else if self.has_failed(i, p + 1) {
                    // Every longer run was tried from p + 1 already.
                    Step::Next(p + 1)
                } else {
                    let end = match self.reuse(i, p, true) {
                        Some(e) => e,
                        None => {
                            let e = p + line[p..].iter().take_while(|&&b| b == b' ').count();
                            self.work += e - p;
                            self.last_run[i] = Some((p, e));
                            self.dirty = true;
                            e
                        }
                    };
                    let mut c = Cands::default();
                    c.push(end, p + 1);
                    self.try_ends(elements, line, i, p, c, last, None)
                }
            }
            Element::Field {
                index,
                scan,
                require,
            } => {
                if !require.is_empty() && !self.required(i, line, p, require, top) {
                    Step::Done(false)
                } else if *scan == Scan::Any && !last {
                    // `.*` offers every end; those at or past the floor failed from an earlier start already,
                    // so each end is tried once per line whatever the starts: linear, where Python backtracks.
                    let floor = self.any_floor[i];
                    if p >= floor {
                        return Step::Done(false);
                    }
                    let mut c = Cands::default();
                    c.push(line.len().min(floor - 1), p);
                    let step = self.try_ends(elements, line, i, p, c, last, Some(*index));
                    if matches!(step, Step::Done(false)) {
                        self.any_floor[i] = p;
                        self.dirty = true;
                    }
                    step
                } else {
                    // The walk from the pattern's start meets each element once: its runs are not kept for
                    // a start one byte to the left, which only a nested walk tries.
                    let run_end = match line.get(p) {
                        Some(&b) if !top => scan
                            .run_class(b)
                            .and_then(|in_class| self.reuse(i, p, in_class)),
                        _ => None,
                    };
                    let ends = candidates(*scan, line, p, run_end);
                    if run_end.is_none() && scan.run_class(0).is_some() {
                        if let Some(e) = ends.first() {
                            self.work += e - p;
                            if !top {
                                self.last_run[i] = Some((p, e));
                            }
                        }
                    }
                    match ends {
                        Ends::One(end) => self.one_end(line, p, end, last, Some(*index)),
                        Ends::Many(c) => self.try_ends(elements, line, i, p, c, last, Some(*index)),
                    }
                }
            }
        }
    }

    /// An element with exactly one end: the walk goes on there (the last element must end the line).
    #[inline]
    fn one_end(
        &mut self,
        line: &[u8],
        p: usize,
        end: usize,
        last: bool,
        field: Option<usize>,
    ) -> Step {
        self.work += 1;
        if last && end != line.len() {
            return Step::Done(false);
        }
        if let Some(f) = field {
            self.spans[f] = (p, end);
        }
        Step::Next(end)
    }

    /// Of a few candidate ends, the only one where the next element's first byte stands (an end where it does
    /// not fails at once): then the walk goes on without a choice, as after a time before its `]`.
    fn only_fitting_end(
        &mut self,
        elements: &[Element],
        line: &[u8],
        i: usize,
        c: &Cands,
    ) -> Option<usize> {
        let next = match elements.get(i + 1) {
            Some(Element::Lit(text)) => text[0],
            Some(Element::Spaces) => b' ',
            _ => return None,
        };
        if c.count() > FEW_ENDS {
            return None;
        }
        self.work += c.count();
        let mut fitting = c.iter().filter(|&e| line.get(e) == Some(&next));
        match (fitting.next(), fitting.next()) {
            (Some(end), None) => Some(end),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn try_ends(
        &mut self,
        elements: &[Element],
        line: &[u8],
        i: usize,
        p: usize,
        c: Cands,
        last: bool,
        field: Option<usize>,
    ) -> Step {
        if last {
            // Only an end at the end of the line can finish the match: one check, not one per candidate.
            self.work += 1;
            if !c.contains(line.len()) {
                return Step::Done(false);
            }
            if let Some(f) = field {
                self.spans[f] = (p, line.len());
            }
            return Step::Next(line.len());
        }
        if let Some(end) = c
            .single()
            .or_else(|| self.only_fitting_end(elements, line, i, &c))
        {
            return self.one_end(line, p, end, false, field);
        }
        for end in c.iter() {
            if self.work > self.budget {
                break;
            }
            self.work += 1;
            if let Some(f) = field {
                self.spans[f] = (p, end);
            }
            if self.walk(elements, line, i + 1, end, false) {
                return Step::Done(true);
            }
        }
        Step::Done(false)
    }
}

/// What one element does at one position.
enum Step {
    /// It has this one end: go on with the next element there.
    Next(usize),
    /// It settled the walk from here (after trying several ends, or none fit).
    Done(bool),
}

/// Does some `require:` word start within the field's run of non-spaces, or right after it? (The Python guard
/// `(?=[^ ]*?(?:words))`: a lazy run of non-spaces, then a word; the word itself may run past the run.)
fn has_required_word(line: &[u8], p: usize, run_end: usize, words: &[Vec<u8>]) -> bool {
    words.iter().any(|w| {
        let hay = &line[p..line.len().min(run_end + w.len())];
        memmem::find(hay, w).is_some_and(|k| p + k <= run_end)
    })
}

/// How a format reads its lines.
#[derive(Clone, Debug)]
pub enum Codec {
    /// Patterns tried in order.
    Patterns(Vec<Pattern>),
    Csv(crate::csv::CsvLayout),
    Json(crate::json::JsonLayout),
}

/// A named format, as `auto` tries it.
#[derive(Clone, Debug)]
pub struct Format {
    pub name: String,
    pub codec: Codec,
    /// The program writes `address:port` without brackets (`ports: unbracketed` in a `.pattern` file), so a
    /// last decimal group after an IPv6 address in its text is a port (issue 22 shape 7).
    pub unbracketed_ports: bool,
}

impl Format {
    /// Whether the line fits the format (what the Python format's `parse` answers with "not None").
    pub fn fits(&self, line: &[u8], m: &mut Matcher) -> bool {
        match &self.codec {
            Codec::Patterns(patterns) => patterns.iter().any(|p| p.matches(line, m)),
            Codec::Csv(csv) => csv.parse(line).is_some(),
            Codec::Json(json) => json.parse(line).is_some(),
        }
    }

    /// The index of the first pattern that fits; its field spans are then in `m.spans()`.
    pub fn match_index(&self, line: &[u8], m: &mut Matcher) -> Option<usize> {
        let Codec::Patterns(patterns) = &self.codec else {
            return None;
        };
        patterns.iter().position(|p| p.matches(line, m))
    }

    /// The first pattern that fits and its field spans.
    pub fn match_line(&self, line: &[u8], m: &mut Matcher) -> Option<(usize, Vec<(usize, usize)>)> {
        self.match_index(line, m).map(|i| (i, m.spans().to_vec()))
    }

    /// The byte ranges of a line that are values to scan, with what to scan them as; None when the line does
    /// not fit (it is then scanned as free text). Keep-fields are left out; the event time is included (the
    /// engine keeps it when it parses).
    pub fn values(&self, line: &[u8], m: &mut Matcher) -> Option<Vec<Value>> {
        match &self.codec {
            Codec::Patterns(patterns) => {
                for pattern in patterns {
                    if let Some(spans) = pattern.match_line(line, m) {
                        let values = pattern
                            .fields
                            .iter()
                            .zip(spans)
                            .enumerate()
                            .filter(|(_, (info, _))| info.role != Role::Keep)
                            .map(|(i, (info, (start, end)))| Value {
                                start,
                                end,
                                hint: Hint::Field {
                                    role: info.role,
                                    agent: info.agent,
                                    time: pattern.time_index == Some(i),
                                },
                            })
                            .collect();
                        return Some(values);
                    }
                }
                None
            }
            Codec::Csv(csv) => csv.values(line),
            Codec::Json(json) => json.values(line),
        }
    }
}

/// A value of a structured line: `line[start..end]` is scanned as `hint` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value {
    pub start: usize,
    pub end: usize,
    pub hint: Hint,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    /// A field of a pattern; `time` marks the event time (kept when it parses). A time-typed field that is not
    /// the event time is scanned as text, as every other role but Keep (Keep-fields are not returned).
    Field { role: Role, agent: bool, time: bool },
    /// A CSV column's content (inside its quotes; a doubled quote stands for one).
    Csv(crate::csv::ColumnRole),
    /// A JSON key or string value (the raw bytes between the quotes, escapes as written), or a number under a
    /// phone/IMEI key; `kind` is what its key names (None: scanned as text).
    Json {
        kind: Option<crate::detect::Kind>,
        number: bool,
        /// A string holding an escape (read as the text it stands for: `Action::JsonEscaped`).
        escaped: bool,
    },
}

impl Hint {
    /// A short name for the Python surface and the tests.
    pub fn label(&self) -> String {
        match self {
            Hint::Field { role, agent, time } => {
                let mut s = role.name().to_string();
                if *agent {
                    s.push_str("+agent");
                }
                if *time {
                    s.push_str("+event");
                }
                s
            }
            Hint::Csv(role) => role.name().to_string(),
            Hint::Json { kind, number, .. } => {
                let k = kind.map_or("text", |k| k.name());
                if *number {
                    format!("{k}+number")
                } else {
                    k.to_string()
                }
            }
        }
    }
}

/// `auto`: which format a stream settles on (tests/reference/core/parse.py AutoFormatStep). Every line is tried with
/// every candidate, in order, until one format has fitted `LOCK_MATCHES` lines or `LOCK_LINES` lines have
/// been seen; then the format with most hits (the first to reach that count on a tie) is kept, or none.
#[derive(Clone, Debug, Default)]
pub struct AutoDetect {
    seen: usize,
    /// (format index, lines it fitted), in order of first hit.
    hits: Vec<(usize, usize)>,
    locked: bool,
    chosen: Option<usize>,
}

impl AutoDetect {
    pub const LOCK_MATCHES: usize = 3;
    pub const LOCK_LINES: usize = 20;

    pub fn new() -> AutoDetect {
        AutoDetect::default()
    }

    /// A new input begins (a new file may hold another format).
    pub fn start_input(&mut self) {
        *self = AutoDetect::default();
    }

    pub fn locked(&self) -> bool {
        self.locked
    }

    /// The format settled on (None: not yet, or none fitted: free text).
    pub fn chosen(&self) -> Option<usize> {
        self.chosen
    }

    /// One line while not locked: the index of the first format that fits it, if any. After locking the caller
    /// parses with `chosen()` alone.
    pub fn observe(&mut self, formats: &[Format], line: &[u8], m: &mut Matcher) -> Option<usize> {
        debug_assert!(!self.locked);
        self.seen += 1;
        let hit = formats.iter().position(|f| f.fits(line, m));
        if let Some(h) = hit {
            match self.hits.iter_mut().find(|(f, _)| *f == h) {
                Some((_, n)) => *n += 1,
                None => self.hits.push((h, 1)),
            }
        }
        // Counter.most_common(1): the highest count, the first inserted on a tie.
        let mut best: Option<(usize, usize)> = None;
        for &(f, n) in &self.hits {
            if best.is_none_or(|(_, bn)| n > bn) {
                best = Some((f, n));
            }
        }
        if best.is_some_and(|(_, n)| n >= Self::LOCK_MATCHES) || self.seen >= Self::LOCK_LINES {
            self.locked = true;
            self.chosen = best.map(|(f, _)| f);
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(op: &str, text: &str, index: i64, scan: &str) -> ElementSpec {
        (op.into(), text.into(), index, scan.into(), vec![])
    }

    fn field(name: &str, role: &str) -> (String, String, String, String, i64) {
        (name.into(), "t".into(), role.into(), String::new(), 0)
    }

    /// `%{word:a} %{text:t} b`: Python backtracks into the run of spaces and gives `t` an empty span.
    fn text_between_spaces() -> Pattern {
        let elements = [
            el("field", " ", 0, "nonspace"),
            el("spaces", "", -1, ""),
            el("field", " ", 1, "not"),
            el("spaces", "", -1, ""),
            el("lit", "b", -1, ""),
        ];
        Pattern::from_spec(&elements, &[field("a", "scrub"), field("t", "scrub")], -1).unwrap()
    }

    #[test]
    fn backtracks_into_a_run_of_spaces_like_python() {
        let p = text_between_spaces();
        let mut m = Matcher::default();
        assert_eq!(p.match_line(b"a   b", &mut m), Some(vec![(0, 1), (3, 3)]));
        assert_eq!(p.match_line(b"a  x b", &mut m), Some(vec![(0, 1), (3, 4)]));
        assert_eq!(p.match_line(b"a x  c", &mut m), None);
    }

    #[test]
    fn required_words_look_within_the_first_run_of_non_spaces() {
        let elements = [
            (
                "field".to_string(),
                ":".to_string(),
                0,
                "nonspace_not".to_string(),
                vec!["kamailio".to_string()],
            ),
            el("lit", ":", -1, ""),
            el("spaces", "", -1, ""),
            el("field", "", 1, "any"),
        ];
        let p = Pattern::from_spec(
            &elements,
            &[field("program", "scrub"), field("m", "message")],
            -1,
        )
        .unwrap();
        let mut m = Matcher::default();
        assert_eq!(
            p.match_line(b"/usr/sbin/kamailio[1]: x", &mut m),
            Some(vec![(0, 21), (23, 24)])
        );
        assert_eq!(p.match_line(b"asterisk[1]: kamailio", &mut m), None);
    }

    #[test]
    fn bad_specs_are_refused() {
        let f = [field("a", "scrub")];
        assert!(Pattern::from_spec(&[el("field", "", 0, "regex")], &f, -1).is_err());
        assert!(Pattern::from_spec(&[el("field", "", 1, "any")], &f, -1).is_err());
        assert!(Pattern::from_spec(&[el("lit", "x", -1, "")], &f, -1).is_err());
        assert!(Pattern::from_spec(&[el("field", "", 0, "any")], &f, 3).is_err());
        let keep = [field("n", "keep")];
        assert!(Pattern::from_spec(&[el("field", "", 0, "any")], &keep, -1).is_err());
        assert!(Pattern::from_spec(&[el("field", "", 0, "int")], &keep, -1).is_ok());
    }

    #[test]
    fn auto_settles_like_python() {
        let any = Pattern::from_spec(
            &[el("lit", "x", -1, ""), el("field", "", 0, "any")],
            &[field("a", "scrub")],
            -1,
        )
        .unwrap();
        let formats = vec![Format {
            name: "x".into(),
            codec: Codec::Patterns(vec![any]),
            unbracketed_ports: false,
        }];
        let mut m = Matcher::default();
        let mut auto = AutoDetect::new();
        for line in [&b"x1"[..], b"nope", b"x2"] {
            auto.observe(&formats, line, &mut m);
        }
        assert!(!auto.locked());
        auto.observe(&formats, b"x3", &mut m);
        assert_eq!((auto.locked(), auto.chosen()), (true, Some(0)));
        auto.start_input();
        for _ in 0..AutoDetect::LOCK_LINES {
            auto.observe(&formats, b"nope", &mut m);
        }
        assert_eq!((auto.locked(), auto.chosen()), (true, None));
    }

    /// Patterns shaped like the built-in and corner ones of tests/test_native_layout.py.
    fn patterns() -> Vec<Pattern> {
        let f = |n: usize| {
            (0..n)
                .map(|i| field(&format!("f{i}"), "scrub"))
                .collect::<Vec<_>>()
        };
        let nginx = [
            el("field", " ", 0, "nonspace"),
            el("spaces", "", -1, ""),
            el("lit", "-", -1, ""),
            el("spaces", "", -1, ""),
            el("field", " ", 1, "nonspace"),
            el("spaces", "", -1, ""),
            el("lit", "[", -1, ""),
            el("field", "]", 2, "clf"),
            el("lit", "]", -1, ""),
            el("spaces", "", -1, ""),
            el("lit", "\"", -1, ""),
            el("field", "\"", 3, "quoted"),
            el("lit", "\"", -1, ""),
            el("spaces", "", -1, ""),
            el("field", " ", 4, "int"),
            el("spaces", "", -1, ""),
            el("field", " ", 5, "not"),
            el("spaces", "", -1, ""),
            el("field", "", 6, "any"),
        ];
        let middle = [
            el("field", " ", 0, "any"),
            el("spaces", "", -1, ""),
            el("lit", "end", -1, ""),
            el("spaces", "", -1, ""),
            el("field", "", 1, "nonspace"),
        ];
        let times = [
            el("lit", "[", -1, ""),
            el("field", "]", 0, "clf"),
            el("lit", "]", -1, ""),
            el("field", "|", 1, "int"),
            el("lit", "|", -1, ""),
            el("field", "5", 2, "epoch"),
            el("lit", "5", -1, ""),
            el("spaces", "", -1, ""),
            el("field", "Z", 3, "iso"),
            el("lit", "Z", -1, ""),
            el("field", ".", 4, "syslog"),
            el("lit", ".", -1, ""),
            el("field", " ", 5, "sd"),
            el("spaces", "", -1, ""),
            el("field", ".", 6, "num"),
            el("lit", ".", -1, ""),
            el("field", "", 7, "quoted"),
        ];
        let required = [
            (
                "field".into(),
                "\"".into(),
                0,
                "not".into(),
                vec!["ab".into(), "b c".into()],
            ),
            el("lit", "\"", -1, ""),
            el("field", " ", 1, "nonspace_not"),
            el("spaces", "", -1, ""),
            el("field", "", 2, "any"),
        ];
        let required_after_any = [
            el("field", "\"", 0, "any"),
            el("lit", "\"", -1, ""),
            (
                "field".into(),
                "\"".into(),
                1,
                "not".into(),
                vec!["zz".into()],
            ),
            el("lit", "\"", -1, ""),
        ];
        vec![
            Pattern::from_spec(&required_after_any, &f(2), -1).unwrap(),
            Pattern::from_spec(&nginx, &f(7), 2).unwrap(),
            Pattern::from_spec(&middle, &f(2), -1).unwrap(),
            Pattern::from_spec(&times, &f(8), 0).unwrap(),
            Pattern::from_spec(&required, &f(3), -1).unwrap(),
            text_between_spaces(),
        ]
    }

    /// Work (candidate ends tried and bytes scanned) per byte of line and element of pattern stays bounded.
    fn assert_linear(p: &Pattern, line: &[u8]) {
        let mut m = Matcher::default();
        let _ = p.match_line(line, &mut m);
        let bound = 8 * (line.len() + 1) * (p.elements.len() + 1);
        if std::env::var_os("LAYOUT_WORK").is_some() {
            eprintln!("work {} len {}", m.work, line.len());
        }
        assert!(
            m.work <= bound,
            "work {} > {} for a line of {}",
            m.work,
            bound,
            line.len()
        );
    }

    #[test]
    fn hostile_lines_take_linear_work() {
        let lines: Vec<Vec<u8>> = vec![
            [
                &b"GET /"[..],
                &b"deadbeef".repeat(130_000),
                &b"zz".repeat(5000),
            ]
            .concat(),
            [
                &b"1.2.3.4 - - [21/Nov/2026:10:15:32 +0100] \""[..],
                &b"\\\"".repeat(300_000),
            ]
            .concat(),
            [&b"a"[..], &b" ".repeat(300_000), b"x"].concat(),
            [&b"a"[..], &b" ".repeat(300_000), b"b"].concat(),
            [&b"x"[..], &b" end".repeat(100_000), b" y z"].concat(),
            [&b"[10/Oct/2000:13:55:36."[..], &b"1".repeat(200_000), b"]"].concat(),
            [
                &b"[1/Oct/2000:13:55:36]1|1700000000."[..],
                &b"5".repeat(200_000),
            ]
            .concat(),
            b"[".repeat(200_000),
            b"\"".repeat(200_000),
            [&b"\"".repeat(100_000)[..], b"zz"].concat(),
            [&b"a"[..], &b"\"ab".repeat(100_000)].concat(),
            [&b"\""[..], &b"a ".repeat(100_000), b"\""].concat(),
        ];
        for line in &lines {
            for p in patterns() {
                assert_linear(&p, line);
            }
        }
    }

    /// `any` fields before more elements (the fuzzer's two quadratic finds): each end is tried once per line.
    #[test]
    fn any_fields_before_more_elements_stay_linear() {
        let f = |n: usize| {
            (0..n)
                .map(|i| field(&format!("f{i}"), "scrub"))
                .collect::<Vec<_>>()
        };
        let two_anys = [
            el("field", "", 0, "any"),
            el("lit", ": ", -1, ""),
            el("field", "", 1, "any"),
            el("lit", "x", -1, ""),
        ];
        let any_num_quoted = [
            el("field", "", 0, "any"),
            el("field", "", 1, "num"),
            el("field", "", 2, "quoted"),
            el("lit", "/5X", -1, ""),
        ];
        let p = Pattern::from_spec(&two_anys, &f(2), -1).unwrap();
        assert_linear(&p, &b": ".repeat(50_000));
        // The same pattern still matches where it fits, with Python's spans.
        let mut m = Matcher::default();
        assert_eq!(
            p.match_line(b"a: b: cx", &mut m),
            Some(vec![(0, 4), (6, 7)])
        );
        // Here the quoted scans from each number's end are what costs: the work budget stops the walk (the
        // line fits no layout then, and is read as free text).
        let p = Pattern::from_spec(&any_num_quoted, &f(3), -1).unwrap();
        let line = b"1 0.51.100. ".repeat(20_000);
        let mut m = Matcher::default();
        assert_eq!(p.match_line(&line, &mut m), None);
        assert!(m.work <= (WORK_PER_BYTE + 1) * (line.len() + 1) * (p.elements.len() + 1));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_stays_linear(
            line in proptest::collection::vec(proptest::sample::select(
                b" -[]\"\\.:|5Z0129aNovendTZ+\t\xffkab c".to_vec()), 0..300)
        ) {
            for p in patterns() {
                assert_linear(&p, &line);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(line in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            for p in patterns() {
                let _ = p.match_line(&line, &mut Matcher::default());
            }
        }

        #[test]
        fn a_match_covers_the_line_in_order(
            line in proptest::collection::vec(proptest::sample::select(b" -[]\"\\.end5Z1".to_vec()), 0..60)
        ) {
            for p in patterns() {
                if let Some(spans) = p.match_line(&line, &mut Matcher::default()) {
                    let mut order: Vec<_> = p.elements.iter().filter_map(|e| match e {
                        Element::Field { index, .. } => Some(spans[*index]),
                        _ => None,
                    }).collect();
                    let sorted = { let mut s = order.clone(); s.sort(); s };
                    proptest::prop_assert_eq!(&order, &sorted);
                    order.dedup();
                    proptest::prop_assert!(order.iter().all(|&(s, e)| s <= e && e <= line.len()));
                }
            }
        }
    }
}
