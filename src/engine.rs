//! The native engine: a chunk of bytes in, output bytes and runs out (tests/reference/core/engine.py, fields.py,
//! parse.py and the formats' render, in one render path).
//!
//! Per line: the format (one, `auto`, or none) gives the values to scan and their roles; the event time comes
//! from the format's time field (memoised parsing), else from a timestamp found in the text, else `now`; it picks
//! the window; retention drops old lines; each value is scanned by the scrubber with the real detectors (format
//! fields through per-window bounded caches, as they repeat), and tokens are written straight into the output.
//! A line that does not fit its format is scanned whole. A line that fails (a panic, or a keyring without the
//! window's key) is masked or dropped, and counted. Over-long lines come from the framer in segments, each
//! scanned as text with the bytes before it as context.

mod config;
mod counts;
mod detectors;
mod fields;
mod triggers;

use std::ops::Range;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

pub use config::{Config, FormatChoice, Keys};
pub use counts::Counts;

use crate::framing::{LineFramer, Piece};
use crate::json::TimeValue;
use crate::layout::{Codec, Format, Matcher, Role};
use crate::pseudonym::{Pseudonymizer, Style, TokenError};
use crate::scrub::{self, mask_into, Reading, Scrubber};
use crate::timeparse::{TimeForm, TimeParser};
use crate::{csv::ColumnRole, layout::AutoDetect};
use fields::{Action, Fields};

/// Output of a run of consecutive lines that share a window: (window, length in bytes).
pub type Run = (Option<i64>, usize);

/// Why a line could not be rendered.
enum Fail {
    Token(TokenError),
    Window,
}

impl From<TokenError> for Fail {
    fn from(e: TokenError) -> Fail {
        Fail::Token(e)
    }
}

enum Outcome {
    Written {
        format: Option<usize>,
        window: Option<i64>,
    },
    Dropped,
}

/// The engine: built once from a [`Config`], fed chunks in order.
pub struct Engine {
    framer: LineFramer,
    core: Core,
    pieces: Vec<Piece>,
    /// `jobs - 1` further cores (own caches), built from `config` on first use by a parallel chunk.
    workers: Vec<Core>,
    jobs: usize,
    config: Config,
    /// A block whose last parts the job threads are rendering while the caller writes and reads on.
    ahead: Option<Ahead>,
    /// Output rendered and not handed out yet (a block rendered ahead, once its threads are joined).
    held: Held,
    /// A framer buffer not in use (the one a block rendered ahead was read from), kept for the next.
    spare_buffer: Vec<u8>,
    refused: Refused,
}

/// A block of lines rendered ahead, the last of its parts still with the job threads (they hand back their
/// cores, the parts they took in their scratch). `next` counts out the parts taken.
struct Ahead {
    threads: JoinHandle<(Vec<Core>, Refused)>,
    block: Arc<Block>,
    next: Arc<AtomicUsize>,
    now: f64,
}

/// The framer buffer that holds a block of lines, and the block's parts as ranges of it: cut once, at line
/// starts, and read by this thread and the job threads alike.
struct Block {
    buffer: Vec<u8>,
    parts: Vec<Range<usize>>,
}

impl Block {
    /// `buffer[range]` (whole lines) cut into `n` parts.
    fn cut(buffer: Vec<u8>, range: Range<usize>, n: usize) -> Block {
        let parts = line_parts(&buffer[range.clone()], n)
            .into_iter()
            .map(|part| range.start + part.start..range.start + part.end)
            .collect();
        Block { buffer, parts }
    }

    fn parts(&self) -> Vec<&[u8]> {
        self.parts.iter().map(|r| &self.buffer[r.clone()]).collect()
    }
}

#[derive(Default)]
struct Held {
    out: Vec<u8>,
    runs: Runs,
}

/// Job threads the system did not start (a task limit: systemd's `TasksMax=`, `RLIMIT_NPROC`, a container's
/// pids limit). The parts a refused thread would have taken went to the threads that did start (this one at
/// least), so the output is the same; only slower.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refused {
    pub threads: u64,
    /// The system's reason, the first time (an errno's text: it holds nothing of the input).
    pub reason: Option<String>,
}

impl Refused {
    fn note(&mut self, error: &std::io::Error) {
        self.threads += 1;
        self.reason.get_or_insert_with(|| error.to_string());
    }

    fn add(&mut self, other: Refused) {
        self.threads += other.threads;
        if self.reason.is_none() {
            self.reason = other.reason;
        }
    }
}

impl Core {
    fn new(config: &Config) -> Result<Core, String> {
        let style = Style::from_names(config.keep.iter().map(String::as_str), &config.ip_style)?;
        // With `--jobs N` each thread's core holds its share of the caches: the memory bound stays one job's,
        // and N cores do not crowd each other out of the CPU's shared cache.
        let share = config.jobs.max(1);
        let (cache_size, field_cache) = (config.cache_size / share, config.field_cache / share);
        let pseudonymizer = match &config.keys {
            Keys::Master(key) => Pseudonymizer::with_master(key, config.window, style, cache_size),
            Keys::Keyring(keys) => {
                Pseudonymizer::with_keyring(keys.clone(), config.window, style, cache_size)
            }
        };
        let scrubber = Scrubber::new(detectors::detectors(&config.region), detectors::prefilter());
        Ok(Core {
            choice: config.formats.clone(),
            auto: AutoDetect::new(),
            payload: config.payload_formats.clone(),
            matcher: Matcher::default(),
            times: TimeParser::default(),
            fields: Fields::new(scrubber, pseudonymizer, config.region.clone(), field_cache),
            retention: config.retention,
            drop_on_error: config.drop_on_error,
            counts: Counts::default(),
            last_window: None,
            window: None,
            scratch: Scratch::default(),
            spare: Vec::new(),
        })
    }
}

struct Core {
    choice: FormatChoice,
    auto: AutoDetect,
    payload: Vec<Format>,
    matcher: Matcher,
    times: TimeParser,
    fields: Fields,
    retention: Option<f64>,
    drop_on_error: bool,
    counts: Counts,
    last_window: Option<i64>,
    /// The window of the line being rendered, once known (a failed line is written in it).
    window: Option<Option<i64>>,
    /// The parts of a parallel block this core rendered.
    scratch: Scratch,
    /// Action buffers not in use (a line's, and a payload's inside it), kept so that no line allocates one.
    spare: Vec<Actions>,
}

impl Engine {
    pub fn new(config: Config) -> Result<Engine, String> {
        let core = Core::new(&config)?;
        let jobs = config.jobs.max(1);
        Ok(Engine {
            framer: LineFramer::new(config.max_line),
            pieces: Vec::new(),
            core,
            workers: Vec::new(),
            jobs,
            config,
            ahead: None,
            held: Held::default(),
            spare_buffer: Vec::new(),
            refused: Refused::default(),
        })
    }

    /// A new input begins: `auto` chooses its format again, and no partial line is carried over (the lines of
    /// the input before that are rendered ahead still come out first).
    pub fn start_input(&mut self, max_line: usize) {
        self.core.auto.start_input();
        self.framer = LineFramer::new(max_line);
    }

    /// The identifiers the engine's detectors find in free text (one reading: non-overlapping, in order of
    /// position), with their kinds and normalised values; nothing is counted or replaced.
    pub fn find(&mut self, text: &[u8], reading: Reading) -> Vec<crate::detect::Found> {
        self.core.fields.find(text, reading)
    }

    /// The counts of every line rendered (the job threads of a block rendered ahead are waited for).
    pub fn counts(&mut self) -> &Counts {
        self.join_ahead();
        &self.core.counts
    }

    /// The job threads the system did not start, over the run (their parts were rendered by the others).
    pub fn refused(&mut self) -> &Refused {
        self.join_ahead();
        &self.refused
    }

    /// The format `auto` has settled on (None: not settled, or no format fitted; also None for text and one).
    pub fn detected(&self) -> Option<&str> {
        match &self.core.choice {
            FormatChoice::Auto(fs) if self.core.auto.locked() => {
                self.core.auto.chosen().map(|i| fs[i].name.as_str())
            }
            _ => None,
        }
    }

    /// The window of the last line rendered (window files use it).
    pub fn last_window(&mut self) -> Option<i64> {
        self.join_ahead();
        self.core.last_window
    }

    /// Every complete line (and segment of an over-long one) in `chunk` and the bytes held before it, appended
    /// to `out`; the runs of output that share a window, in order.
    pub fn feed(&mut self, chunk: &[u8], now: f64, out: &mut Vec<u8>) -> Vec<Run> {
        self.frame(chunk);
        self.render_framed(now, out)
    }

    /// The first half of `feed`: `chunk` framed. `render_framed` renders its lines.
    pub fn frame(&mut self, chunk: &[u8]) {
        self.pieces.clear();
        self.framer.feed(chunk, &mut self.pieces);
    }

    /// `frame` of `len` bytes that `fill` writes into the framer's buffer: a caller's read buffer is copied
    /// straight in, not first into a chunk of its own. When `fill` fails, nothing was fed.
    pub fn frame_with<E>(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.pieces.clear();
        self.framer.feed_with(len, fill, &mut self.pieces)
    }

    /// The second half of `feed`: the lines framed last, appended to `out` (after any held).
    pub fn render_framed(&mut self, now: f64, out: &mut Vec<u8>) -> Vec<Run> {
        let mut runs = Runs::default();
        self.hand_out_held(out, &mut runs);
        self.render_parallel(now, out, &mut runs);
        runs.done()
    }

    /// `render_framed` for a caller that feeds again at once (it reads a regular file). With `--jobs`, a large
    /// block's lines come out with the next feed (or `finish`): this thread renders its share of the block's
    /// parts but leaves the last ones to the job threads, which render them while the caller writes the output
    /// of the block before and reads its next chunk; the next feed takes those they have not begun. So the
    /// reads, writes and copies that one thread does alone overlap with rendering, and neither thread waits for
    /// the other longer than a part. A pipe may wait for its next line, so its caller uses `render_framed`: every
    /// line that came in goes out before the next read.
    pub fn render_ahead(&mut self, now: f64, out: &mut Vec<u8>) -> Vec<Run> {
        let mut runs = Runs::default();
        self.hand_out_held(out, &mut runs);
        let Some(block) = self.parallel_start(now, out, &mut runs) else {
            return runs.done();
        };
        let buffer = self
            .framer
            .hand_over(std::mem::take(&mut self.spare_buffer));
        let count = self.jobs * PARTS_PER_JOB;
        let block = Arc::new(Block::cut(buffer, block, count));
        let next = Arc::new(AtomicUsize::new(0));
        // The cores go to the job thread once it has started: a thread the system refuses keeps none of them.
        let (give, cores) = std::sync::mpsc::channel::<Vec<Core>>();
        let started = {
            let (block, next) = (Arc::clone(&block), Arc::clone(&next));
            std::thread::Builder::new().spawn(move || {
                let mut workers = cores.recv().unwrap_or_default();
                let mut cores: Vec<&mut Core> = workers.iter_mut().collect();
                let refused = take_parts_on_threads(&mut cores, &block.parts(), &next, now);
                (workers, refused)
            })
        };
        let parts = block.parts();
        self.core.begin_parts();
        let threads = match started {
            Ok(threads) => threads,
            Err(e) => {
                // Every part on this thread, as one job would; the output is held as a joined block's is.
                self.refused.note(&e);
                self.core.take_parts(&parts, &next, count, now);
                let held = &mut self.held;
                merge_parts(&mut self.core, &[], count, &mut held.out, &mut held.runs);
                drop(parts);
                self.recover_buffer(block);
                return runs.done();
            }
        };
        // The job thread waits for them (its receiver lives as long as it does, so the send cannot fail).
        let _ = give.send(std::mem::take(&mut self.workers));
        // The last parts for the job threads: together longer than this thread's copies, write and read before
        // its next feed, which then takes what they have not (`join_ahead`).
        let limit = count.saturating_sub(LEFT_AHEAD * (self.jobs - 1));
        self.core.take_parts(&parts, &next, limit, now);
        drop(parts);
        self.ahead = Some(Ahead {
            threads,
            block,
            next,
            now,
        });
        runs.done()
    }

    /// The lines framed last that go to the job threads, as a range of the framer's buffer: with `--jobs`,
    /// when they are one block large enough (segments of an over-long line are rendered in order), after
    /// the first lines are rendered here until `auto` has settled (as one job would), so that every part is
    /// read with the same format, which the workers are given. None: the lines were rendered on this thread.
    fn parallel_start(
        &mut self,
        now: f64,
        out: &mut Vec<u8>,
        runs: &mut Runs,
    ) -> Option<Range<usize>> {
        let range = match self.pieces.as_slice() {
            [Piece::Lines(range)] if self.jobs > 1 && range.len() >= self.config.parallel_min => {
                range.clone()
            }
            _ => {
                self.render_pieces(now, out, runs);
                return None;
            }
        };
        let mut start = range.start;
        if let FormatChoice::Auto(_) = self.core.choice {
            let buf = self.framer.buffer();
            while !self.core.auto.locked() && start < range.end {
                let block = &buf[start..range.end];
                let end = memchr::memchr(b'\n', block).map_or(block.len(), |nl| nl + 1);
                self.core.line(&block[..end], now, out, runs);
                start += end;
            }
        }
        if !self.ensure_workers() {
            let buf = self.framer.buffer();
            self.core.lines(&buf[start..range.end], now, out, runs);
            return None;
        }
        for worker in &mut self.workers {
            worker.auto = self.core.auto.clone();
        }
        Some(start..range.end)
    }

    /// The `jobs - 1` worker cores (false: one could not be built, and this thread renders alone).
    fn ensure_workers(&mut self) -> bool {
        while self.workers.len() < self.jobs - 1 {
            match Core::new(&self.config) {
                Ok(core) => self.workers.push(core),
                Err(_) => return false,
            }
        }
        true
    }

    /// The workers' counts added to this thread's.
    fn gather_counts(&mut self) {
        for worker in &mut self.workers {
            let counts = std::mem::take(&mut worker.counts);
            self.core.counts.merge(&counts);
        }
    }

    /// Waits for the job threads of a block rendered ahead; its output (every part, in order) is held.
    fn join_ahead(&mut self) {
        let Some(ahead) = self.ahead.take() else {
            return;
        };
        // The parts the job threads have not taken yet are taken here, not waited for.
        let parts = ahead.block.parts();
        let count = parts.len();
        self.core.take_parts(&parts, &ahead.next, count, ahead.now);
        drop(parts);
        let (workers, refused) = ahead
            .threads
            .join()
            .unwrap_or_else(|panic| resume_unwind(panic));
        self.workers = workers;
        self.refused.add(refused);
        let held = &mut self.held;
        merge_parts(
            &mut self.core,
            &self.workers,
            count,
            &mut held.out,
            &mut held.runs,
        );
        self.gather_counts();
        self.recover_buffer(ahead.block);
    }

    /// The framer buffer of a block no thread reads any longer, kept for the next block.
    fn recover_buffer(&mut self, block: Arc<Block>) {
        if let Ok(block) = Arc::try_unwrap(block) {
            self.spare_buffer = block.buffer;
        }
    }

    /// The held output, first into `out` (taken over whole when `out` is empty).
    fn hand_out_held(&mut self, out: &mut Vec<u8>, runs: &mut Runs) {
        self.join_ahead();
        for &(w, n) in &self.held.runs.runs {
            runs.add(w, n);
        }
        self.held.runs.runs.clear();
        if out.is_empty() {
            std::mem::swap(out, &mut self.held.out);
        } else {
            out.extend_from_slice(&self.held.out);
        }
        self.held.out.clear();
    }

    /// `render_pieces`, with a large block of lines cut at line boundaries into parts (a line belongs to the
    /// part it starts in), `PARTS_PER_JOB` per thread: each of the `jobs` threads (this one included) takes the
    /// next part not yet taken until none is left, so a thread slowed down (by the scheduler, or by costlier
    /// lines) takes fewer parts instead of holding the others up at the end. The parts' output is written back
    /// in input order. `auto` settles on the first lines before the split, so every part reads with the same
    /// format. Each core keeps its output buffers between chunks (no fresh pages per chunk).
    fn render_parallel(&mut self, now: f64, out: &mut Vec<u8>, runs: &mut Runs) {
        let Some(block) = self.parallel_start(now, out, runs) else {
            return;
        };
        let buf = self.framer.buffer();
        let parts = split_lines(&buf[block], self.jobs * PARTS_PER_JOB);
        let next = AtomicUsize::new(0);
        let mut cores: Vec<&mut Core> = std::iter::once(&mut self.core)
            .chain(&mut self.workers)
            .collect();
        let refused = take_parts_on_threads(&mut cores, &parts, &next, now);
        self.refused.add(refused);
        merge_parts(&mut self.core, &self.workers, parts.len(), out, runs);
        self.gather_counts();
    }

    /// End of input: any held output, then the partial last line as it was (without a terminator).
    pub fn finish(&mut self, now: f64, out: &mut Vec<u8>) -> Vec<Run> {
        self.end(now, out, LineFramer::finish)
    }

    /// `finish` for a stop asked for before the input's end: the line in progress is ended with a line end of
    /// its own and its last word masked (`LineFramer::cut_short`), as `follow` does with a pipe at a stop.
    pub fn cut_short(&mut self, now: f64, out: &mut Vec<u8>) -> Vec<Run> {
        self.end(now, out, |framer, pieces| {
            framer.cut_short(pieces);
        })
    }

    /// What is held, then what `last` gets from the framer.
    fn end(
        &mut self,
        now: f64,
        out: &mut Vec<u8>,
        last: impl FnOnce(&mut LineFramer, &mut Vec<Piece>),
    ) -> Vec<Run> {
        let mut runs = Runs::default();
        self.hand_out_held(out, &mut runs);
        self.pieces.clear();
        last(&mut self.framer, &mut self.pieces);
        self.render_pieces(now, out, &mut runs);
        runs.done()
    }

    fn render_pieces(&mut self, now: f64, out: &mut Vec<u8>, runs: &mut Runs) {
        let buf = self.framer.buffer();
        let mut joined = Vec::new();
        for piece in &self.pieces {
            let piece = CutPiece::of(piece, buf);
            self.core.piece(piece, now, out, runs, &mut joined);
        }
    }

    /// Pieces another framer cut (a `follow` source's, whose framer holds the partial line its checkpoint leaves
    /// out), rendered as that framer cut them: lines as lines, each segment of an over-long line with its flags
    /// and the bytes before it. Nothing is held back here, so all that framer delivered is written: framing it
    /// again held up to a segment of a long line, which a stop then lost while the checkpoint counted it read.
    pub fn render_cut(&mut self, pieces: &[CutPiece], now: f64, out: &mut Vec<u8>) -> Vec<Run> {
        let mut runs = Runs::default();
        self.hand_out_held(out, &mut runs);
        let mut joined = Vec::new();
        for &piece in pieces {
            self.core.piece(piece, now, out, &mut runs, &mut joined);
        }
        runs.done()
    }
}

/// A piece as a framer cut it, over the bytes it was cut from (see [`Engine::render_cut`]).
#[derive(Clone, Copy)]
pub enum CutPiece<'a> {
    /// Complete lines (the last may lack its terminator when its input ended).
    Lines(&'a [u8]),
    /// A segment of an over-long line, the bytes of the line just before it, and (last, mask head, mask tail).
    Segment {
        data: &'a [u8],
        context: &'a [u8],
        flags: (bool, bool, bool),
    },
}

impl<'a> CutPiece<'a> {
    /// A framer's piece over the framer's buffer.
    pub fn of(piece: &Piece, buf: &'a [u8]) -> CutPiece<'a> {
        match piece {
            Piece::Lines(range) => CutPiece::Lines(&buf[range.clone()]),
            Piece::Segment {
                range,
                context,
                last,
                mask_head,
                mask_tail,
            } => CutPiece::Segment {
                data: &buf[range.clone()],
                context: &buf[context.clone()],
                flags: (*last, *mask_head, *mask_tail),
            },
        }
    }
}

/// `parts` rendered by `cores`, one thread each (the calling thread takes the first core's); each takes the next
/// part not yet taken until none is left. A thread the system does not start takes none: the others take its
/// parts.
fn take_parts_on_threads(
    cores: &mut [&mut Core],
    parts: &[&[u8]],
    next: &AtomicUsize,
    now: f64,
) -> Refused {
    for core in cores.iter_mut() {
        core.begin_parts();
    }
    let mut refused = Refused::default();
    let Some((first, others)) = cores.split_first_mut() else {
        return refused;
    };
    std::thread::scope(|scope| {
        for core in others {
            let started = std::thread::Builder::new()
                .spawn_scoped(scope, || core.take_parts(parts, next, parts.len(), now));
            if let Err(e) = started {
                refused.note(&e);
            }
        }
        first.take_parts(parts, next, parts.len(), now);
    });
    refused
}

/// The output of a block's `count` parts appended to `out` in input order, from the scratch of the core (`main`
/// or a worker) that took each; `main`'s last window becomes that of the block's last line, if it had one.
fn merge_parts(
    main: &mut Core,
    workers: &[Core],
    count: usize,
    out: &mut Vec<u8>,
    runs: &mut Runs,
) {
    let cores: Vec<&Core> = std::iter::once(&*main).chain(workers).collect();
    // Part i is in the scratch of the core that took it: (core, entry).
    let mut owner = vec![(0, 0); count];
    for (c, core) in cores.iter().enumerate() {
        for (e, done) in core.scratch.parts.iter().enumerate() {
            owner[done.part] = (c, e);
        }
    }
    let mut last = None;
    for (c, e) in owner {
        let scratch = &cores[c].scratch;
        let done = &scratch.parts[e];
        out.extend_from_slice(&scratch.out[done.out.clone()]);
        for &(w, n) in &scratch.runs.runs[done.runs.clone()] {
            runs.add(w, n);
            last = Some(w);
        }
    }
    if let Some(w) = last {
        main.last_window = w;
    }
}

/// Blocks of lines smaller than this are not worth the threads. Below a pipe's capacity (64 KiB a read on
/// Linux), so that input from a pipe is split too; 32 KiB is ~200 lines, a millisecond of work against tens of
/// microseconds to start and join a thread.
pub const PARALLEL_MIN: usize = 32 << 10;
/// Parts a parallel block is cut into, per thread: enough that a thread held up by the scheduler leaves its
/// share to the others and that neither waits long for the other's last part, few enough that each part is long
/// (a 2 MiB chunk on 2 threads: parts of 64 KiB, about 0.6 ms of work).
/// Digits in a run that an unfitted CSV record masks: a national number has six or more (`030555123`), a date
/// or time field's runs at most four, a duration or status fewer.
const UNFITTED_RECORD_DIGITS: usize = 6;

const PARTS_PER_JOB: usize = 16;
/// Parts of a block rendered ahead left to each job thread (see `Engine::render_ahead`): about 2.5 ms of work,
/// more than the caller's copies, write and read of a 2 MiB chunk (about 1.6 ms).
const LEFT_AHEAD: usize = 4;

/// `block` (whole lines) cut into `n` parts at line starts (some may be empty): a line belongs to the part it
/// starts in.
fn split_lines(block: &[u8], n: usize) -> Vec<&[u8]> {
    line_parts(block, n)
        .into_iter()
        .map(|part| &block[part])
        .collect()
}

/// `split_lines`, as ranges of `block`.
fn line_parts(block: &[u8], n: usize) -> Vec<Range<usize>> {
    let mut parts = Vec::with_capacity(n);
    let mut start = 0;
    for i in 1..n {
        let target = (block.len() * i / n).max(start);
        let cut = match memchr::memchr(b'\n', &block[target..]) {
            Some(nl) => target + nl + 1,
            None => block.len(),
        };
        parts.push(start..cut);
        start = cut;
    }
    parts.push(start..block.len());
    parts
}

/// Output lengths grouped into runs of lines that share a window (fastpath.Runs).
#[derive(Default)]
struct Runs {
    runs: Vec<Run>,
    /// Runs below this index belong to an earlier part and are not extended.
    floor: usize,
}

impl Runs {
    fn add(&mut self, window: Option<i64>, len: usize) {
        let open = self.runs.len() > self.floor;
        match self.runs.last_mut() {
            Some((w, n)) if open && *w == window => *n += len,
            _ => self.runs.push((window, len)),
        }
    }

    fn done(self) -> Vec<Run> {
        self.runs
    }
}

/// (body, terminator): the terminator is \r\n, \n or nothing.
fn split_terminator(line: &[u8]) -> (&[u8], &[u8]) {
    if line.ends_with(b"\r\n") {
        line.split_at(line.len() - 2)
    } else if line.ends_with(b"\n") {
        line.split_at(line.len() - 1)
    } else {
        (line, &[])
    }
}

/// The values of a line to rewrite, in order: (start, end, what to do).
type Actions = Vec<(usize, usize, Action)>;

/// A line as its format reads it (its values are written into an `Actions` buffer held by the caller): the event
/// time (None: the format gives none).
struct Parsed {
    time: Option<f64>,
    /// The event time field, kept as it is when its time parsed.
    time_span: Option<(usize, usize)>,
}

/// What a core wrote for the parts of a parallel block it took, kept between chunks so its buffers are reused.
#[derive(Default)]
struct Scratch {
    out: Vec<u8>,
    runs: Runs,
    parts: Vec<PartDone>,
}

/// Part `part` of the block: its output and runs, as ranges into the scratch's buffers.
struct PartDone {
    part: usize,
    out: Range<usize>,
    runs: Range<usize>,
}

impl Core {
    /// A new block: the scratch holds no part (a core whose thread did not start takes none).
    fn begin_parts(&mut self) {
        self.scratch.out.clear();
        self.scratch.runs.runs.clear();
        self.scratch.parts.clear();
    }

    /// Takes the next part of `parts` not yet taken (`next` counts them out), until none below `limit` is
    /// left; each part's lines are written into the core's scratch after those it took before in the block.
    fn take_parts(&mut self, parts: &[&[u8]], next: &AtomicUsize, limit: usize, now: f64) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let limit = limit.min(parts.len());
        while let Ok(i) = next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |i| {
            (i < limit).then_some(i + 1)
        }) {
            let block = parts[i];
            let (out_at, runs_at) = (scratch.out.len(), scratch.runs.runs.len());
            scratch.runs.floor = runs_at;
            self.lines(block, now, &mut scratch.out, &mut scratch.runs);
            scratch.parts.push(PartDone {
                part: i,
                out: out_at..scratch.out.len(),
                runs: runs_at..scratch.runs.runs.len(),
            });
        }
        self.scratch = scratch;
    }

    /// Every line of `block` (whole lines; the last may lack its terminator).
    fn lines(&mut self, block: &[u8], now: f64, out: &mut Vec<u8>, runs: &mut Runs) {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', block) {
            self.line(&block[start..=nl], now, out, runs);
            start = nl + 1;
        }
        if start < block.len() {
            self.line(&block[start..], now, out, runs);
        }
    }

    fn line(&mut self, line: &[u8], now: f64, out: &mut Vec<u8>, runs: &mut Runs) {
        self.counts.lines_in += 1;
        let (body, end) = split_terminator(line);
        let at = out.len();
        let mut replaced = scrub::Counts::default();
        self.window = None;
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.render_line(body, now, out, &mut replaced)
        }));
        let window = match result {
            Ok(Ok(Outcome::Dropped)) => {
                out.truncate(at);
                self.counts.drop_line("retention");
                return;
            }
            Ok(Ok(Outcome::Written { format, window })) => {
                self.counts.replaced.merge(&replaced);
                let name = match format {
                    Some(i) => format_name(&self.choice, i),
                    None => {
                        if !matches!(self.choice, FormatChoice::Text) {
                            self.counts.unmatched += 1;
                        }
                        "text"
                    }
                };
                self.counts.wrote(name);
                window
            }
            Ok(Err(fail)) => {
                out.truncate(at);
                if !self.failed(fail) {
                    return;
                }
                mask_into(body, out);
                self.counts.wrote("masked");
                self.window_or_now(now)
            }
            Err(_) => {
                out.truncate(at);
                if !self.failed(Fail::Window) {
                    return;
                }
                mask_into(body, out);
                self.counts.wrote("masked");
                self.window_or_now(now)
            }
        };
        out.extend_from_slice(end);
        self.last_window = window;
        runs.add(window, out.len() - at);
    }

    fn window_or_now(&self, now: f64) -> Option<i64> {
        match self.window {
            Some(w) => w,
            None => self.fields.pseudonymizer.window_of(now).unwrap_or(None),
        }
    }

    /// Counts a failed line; whether it is still written (masked).
    fn failed(&mut self, fail: Fail) -> bool {
        self.counts.masked_on_error += 1;
        if let Fail::Token(TokenError::MissingWindowKey(w)) = fail {
            self.counts.missing_window_keys += 1;
            if let Some(w) = w {
                self.counts.missing_window(w);
            }
        }
        if self.drop_on_error {
            self.counts.drop_line("error");
            return false;
        }
        true
    }

    /// Which format reads the line (index into the choice's formats) and how; its values go into `actions`.
    fn parse(&mut self, body: &[u8], now: f64, actions: &mut Actions) -> Option<(usize, Parsed)> {
        parse(
            &self.choice,
            &mut self.auto,
            &mut self.matcher,
            &mut self.times,
            body,
            now,
            actions,
        )
    }

    fn render_line(
        &mut self,
        body: &[u8],
        now: f64,
        out: &mut Vec<u8>,
        replaced: &mut scrub::Counts,
    ) -> Result<Outcome, Fail> {
        let mut actions = self.spare.pop().unwrap_or_default();
        let outcome = self.render_with(body, now, &mut actions, out, replaced);
        self.spare.push(actions);
        outcome
    }

    fn render_with(
        &mut self,
        body: &[u8],
        now: f64,
        actions: &mut Actions,
        out: &mut Vec<u8>,
        replaced: &mut scrub::Counts,
    ) -> Result<Outcome, Fail> {
        let parsed = self.parse(body, now, actions);
        let mut t = None;
        let mut time_ok = false;
        if let Some((_, p)) = &parsed {
            t = p.time;
            time_ok = t.is_some();
        }
        if t.is_none() {
            t = self.times.sniff(body, now);
        }
        let window = self
            .fields
            .pseudonymizer
            .window_of(t.unwrap_or(now))
            .map_err(|_| Fail::Window)?;
        self.window = Some(window);
        if let (Some(retention), Some(t)) = (self.retention, t) {
            if t < now - retention {
                return Ok(Outcome::Dropped);
            }
        }
        match parsed {
            None => {
                let at = out.len();
                self.fields
                    .text(body, Reading::TEXT, window, out, replaced)?;
                // A record of a named CSV format (a CDR) that does not fit its columns (cut short by a crash, a
                // stray quote) lost what made a bare national number in `src` or `dst` a phone number: as free
                // text it passed raw. Its long digit runs are masked: fail closed.
                if let FormatChoice::One(Format {
                    codec: Codec::Csv(_),
                    ..
                }) = &self.choice
                {
                    let scanned = out.split_off(at);
                    scrub::mask_digit_runs(&scanned, UNFITTED_RECORD_DIGITS, out);
                }
                Ok(Outcome::Written {
                    format: None,
                    window,
                })
            }
            Some((index, p)) => {
                let keep = if time_ok { p.time_span } else { None };
                self.render(body, actions, keep, window, out, replaced)?;
                Ok(Outcome::Written {
                    format: Some(index),
                    window,
                })
            }
        }
    }

    /// The line with each value rewritten by its action (the one render path of every codec).
    fn render(
        &mut self,
        body: &[u8],
        actions: &[(usize, usize, Action)],
        keep: Option<(usize, usize)>,
        window: Option<i64>,
        out: &mut Vec<u8>,
        replaced: &mut scrub::Counts,
    ) -> Result<(), Fail> {
        let mut pos = 0;
        for &(start, end, action) in actions {
            if keep == Some((start, end)) {
                continue;
            }
            out.extend_from_slice(&body[pos..start]);
            let text = &body[start..end];
            if let Action::Message(reading) = action {
                self.message(text, reading, window, out, replaced)?;
            } else {
                self.fields.apply(action, text, window, out, replaced)?;
            }
            pos = end;
        }
        out.extend_from_slice(&body[pos..]);
        Ok(())
    }

    /// A syslog payload: read with a structured format when one fits (JSON, a CDR record), else scanned whole.
    fn message(
        &mut self,
        text: &[u8],
        reading: Reading,
        window: Option<i64>,
        out: &mut Vec<u8>,
        replaced: &mut scrub::Counts,
    ) -> Result<(), Fail> {
        let mut actions = self.spare.pop().unwrap_or_default();
        let mut fitted = false;
        for format in &self.payload {
            if read(
                format,
                text,
                0.0,
                &mut self.matcher,
                &mut self.times,
                &mut actions,
            )
            .is_some()
            {
                fitted = true;
                break;
            }
        }
        let result = if fitted {
            // Payloads are rendered without their time kept (fields.message passes time_ok=False).
            for (_, _, a) in actions.iter_mut() {
                if let Action::Message(r) = *a {
                    *a = Action::Field(r);
                }
            }
            self.render(text, &actions, None, window, out, replaced)
        } else {
            Ok(self.fields.text(text, reading, window, out, replaced)?)
        };
        self.spare.push(actions);
        result
    }

    /// A segment of an over-long line, scanned as text in the window of `now`.
    /// One piece as its framer cut it: lines as lines, a segment with its flags after the bytes before it
    /// (`joined`: scratch for the two).
    fn piece(
        &mut self,
        piece: CutPiece,
        now: f64,
        out: &mut Vec<u8>,
        runs: &mut Runs,
        joined: &mut Vec<u8>,
    ) {
        match piece {
            CutPiece::Lines(block) => self.lines(block, now, out, runs),
            CutPiece::Segment {
                data,
                context,
                flags,
            } => {
                joined.clear();
                joined.extend_from_slice(context);
                joined.extend_from_slice(data);
                self.segment_run(joined, context.len(), now, flags, out, runs);
            }
        }
    }

    /// `segment`, its output counted as a run of its window.
    fn segment_run(
        &mut self,
        data: &[u8],
        context: usize,
        now: f64,
        flags: (bool, bool, bool),
        out: &mut Vec<u8>,
        runs: &mut Runs,
    ) {
        let at = out.len();
        self.segment(data, context, now, flags, out);
        runs.add(self.last_window, out.len() - at);
    }

    fn segment(
        &mut self,
        data: &[u8],
        context: usize,
        now: f64,
        (last, mask_head, mask_tail): (bool, bool, bool),
        out: &mut Vec<u8>,
    ) {
        let (data, end) = if last {
            self.counts.lines_in += 1;
            // The terminator is the segment's own: a cut between CR and LF leaves the CR in the context,
            // where it was written out with the previous segment.
            let (body, end) = split_terminator(&data[context..]);
            (&data[..context + body.len()], end)
        } else {
            (data, &[][..])
        };
        let window = self.fields.pseudonymizer.window_of(now).unwrap_or(None);
        self.last_window = window;
        let at = out.len();
        let mut replaced = scrub::Counts::default();
        let ok = catch_unwind(AssertUnwindSafe(|| {
            self.fields.segment(
                data,
                context,
                mask_head,
                mask_tail,
                window,
                out,
                &mut replaced,
            )
        }));
        if matches!(ok, Ok(Ok(()))) {
            self.counts.replaced.merge(&replaced);
        } else {
            out.truncate(at);
            self.counts.masked_on_error += 1;
            mask_into(&data[context..], out);
        }
        out.extend_from_slice(end);
        if last {
            self.counts.wrote("segmented");
        }
    }
}

/// The name of format `i` of `choice`, as the counts know it.
fn format_name(choice: &FormatChoice, i: usize) -> &str {
    match choice {
        FormatChoice::Text => "text",
        FormatChoice::One(f) => &f.name,
        FormatChoice::Auto(fs) => &fs[i].name,
    }
}

/// Which format of `choice` reads the line (index into the choice's formats) and how; `auto` observes the line
/// while it has not settled.
fn parse(
    choice: &FormatChoice,
    auto: &mut AutoDetect,
    matcher: &mut Matcher,
    times: &mut TimeParser,
    body: &[u8],
    now: f64,
    actions: &mut Actions,
) -> Option<(usize, Parsed)> {
    let index = match choice {
        FormatChoice::Text => return None,
        FormatChoice::One(_) => 0,
        FormatChoice::Auto(formats) => {
            if auto.locked() {
                auto.chosen()?
            } else {
                auto.observe(formats, body, matcher)?
            }
        }
    };
    let format = match choice {
        FormatChoice::One(f) => f,
        FormatChoice::Auto(fs) => &fs[index],
        FormatChoice::Text => unreachable!(),
    };
    let parsed = read(format, body, now, matcher, times, actions)?;
    Some((index, parsed))
}

/// A line's own time as the engine reads it, without rendering the line: its format's time field (the format
/// picked as the engine picks it, `auto` per input), else a timestamp found in the text. `find` windows its
/// search with it.
pub struct Clock {
    choice: FormatChoice,
    auto: AutoDetect,
    matcher: Matcher,
    times: TimeParser,
    actions: Actions,
}

impl Clock {
    pub fn new(choice: FormatChoice) -> Clock {
        Clock {
            choice,
            auto: AutoDetect::new(),
            matcher: Matcher::default(),
            times: TimeParser::default(),
            actions: Actions::new(),
        }
    }

    /// A new input begins: `auto` chooses its format again.
    pub fn start_input(&mut self) {
        self.auto.start_input();
    }

    /// The epoch seconds of a line (without its "\n"; trailing "\r"s are not read), or None when it holds no
    /// time the engine can read. A line that fails to read (a panic) has no time.
    pub fn time_of(&mut self, line: &[u8], now: f64) -> Option<f64> {
        let end = line.iter().rposition(|&c| c != b'\r').map_or(0, |p| p + 1);
        let body = &line[..end];
        catch_unwind(AssertUnwindSafe(|| {
            let parsed = parse(
                &self.choice,
                &mut self.auto,
                &mut self.matcher,
                &mut self.times,
                body,
                now,
                &mut self.actions,
            );
            parsed
                .and_then(|(_, p)| p.time)
                .or_else(|| self.times.sniff(body, now))
        }))
        .unwrap_or(None)
    }
}

/// Python's `bytes.isdigit()`: non-empty, ASCII digits only.
fn all_digits(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(u8::is_ascii_digit)
}

/// The line read by `format`, or None when it does not fit.
fn read(
    format: &Format,
    body: &[u8],
    now: f64,
    m: &mut Matcher,
    times: &mut TimeParser,
    actions: &mut Actions,
) -> Option<Parsed> {
    actions.clear();
    match &format.codec {
        Codec::Patterns(patterns) => {
            let pattern = &patterns[format.match_index(body, m)?];
            let spans = m.spans();
            let mut time = None;
            let mut time_span = None;
            if let Some(ti) = pattern.time_index {
                let span = spans[ti];
                let form = pattern.fields[ti]
                    .time_kind
                    .as_deref()
                    .and_then(TimeForm::from_name)
                    .unwrap_or(TimeForm::Iso);
                time = times.parse(form, &body[span.0..span.1], now);
                time_span = Some(span);
            }
            let reading = |in_agent| Reading {
                in_agent,
                unbracketed_ports: format.unbracketed_ports,
            };
            actions.extend(
                pattern
                    .fields
                    .iter()
                    .zip(spans)
                    .filter(|(info, _)| info.role != Role::Keep)
                    .map(|(info, &(s, e))| {
                        let action = match info.role {
                            Role::IpPort => Action::IpPort,
                            Role::Message => Action::Message(reading(info.agent)),
                            _ => Action::Field(reading(info.agent)),
                        };
                        (s, e, action)
                    }),
            );
            Some(Parsed {
                time,
                time_span: time_span.filter(|_| {
                    pattern
                        .time_index
                        .is_some_and(|ti| pattern.fields[ti].role == Role::Time)
                }),
            })
        }
        Codec::Csv(csv) => {
            let spans = csv.parse(body)?;
            let mut time = None;
            let mut time_span = None;
            if let Some(ti) = csv.time_index {
                let span = spans[ti];
                time = times.parse(TimeForm::Iso, &body[span.0..span.1], now);
                time_span = Some(span);
            }
            actions.extend(csv.roles.iter().zip(spans).filter_map(|(&role, (s, e))| {
                let text = &body[s..e];
                let action = match role {
                    ColumnRole::Phone => Action::ContextPhone,
                    ColumnRole::Keep if all_digits(text) => return None,
                    _ if text.is_empty() => return None,
                    _ => Action::Field(Reading::TEXT),
                };
                Some((s, e, action))
            }));
            Some(Parsed { time, time_span })
        }
        Codec::Json(json) => {
            let (values, candidates) = json.read_with(body, &mut m.json_keys)?;
            let journal = journal_time(body, &values);
            actions.extend(values.into_iter().map(|v| {
                let action = match v.hint {
                    crate::layout::Hint::Json {
                        kind,
                        escaped: true,
                        ..
                    } => Action::JsonEscaped(kind),
                    crate::layout::Hint::Json {
                        kind: Some(kind),
                        number,
                        ..
                    } => Action::AsKind { kind, number },
                    _ => Action::Field(Reading::TEXT),
                };
                (v.start, v.end, action)
            }));
            Some(Parsed {
                time: journal.or_else(|| json_time(body, &candidates, now, times)),
                time_span: None,
            })
        }
    }
}

/// JsonLinesFormat.event_time over the candidates json.rs found: the first string that reads as ISO, CLF or
/// epoch time, or positive number (milliseconds when above 1e11).
fn json_time(
    body: &[u8],
    candidates: &[TimeValue],
    now: f64,
    times: &mut TimeParser,
) -> Option<f64> {
    for c in candidates {
        let raw = &body[c.start..c.end];
        if c.number {
            let v = std::str::from_utf8(raw)
                .ok()
                .and_then(|s| s.parse::<f64>().ok());
            if let Some(v) = v.filter(|&v| v > 0.0) {
                return Some(if v > 1e11 { v / 1000.0 } else { v });
            }
        } else {
            for form in [TimeForm::Iso, TimeForm::Clf, TimeForm::Epoch] {
                if let Some(t) = times.parse(form, raw, now) {
                    return Some(t);
                }
            }
        }
    }
    None
}

/// A systemd journal entry's `__REALTIME_TIMESTAMP` (microseconds since the epoch, as a string of digits): the
/// last occurrence of the key whose value is the string right after it.
fn journal_time(body: &[u8], values: &[crate::layout::Value]) -> Option<f64> {
    const KEY: &[u8] = b"__REALTIME_TIMESTAMP";
    let mut found = None;
    for (i, v) in values.iter().enumerate() {
        if &body[v.start..v.end] != KEY {
            continue;
        }
        let mut p = v.end + 1;
        while body
            .get(p)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b':'))
        {
            p += 1;
        }
        if body.get(p) != Some(&b'"') {
            found = None;
            continue;
        }
        found = values
            .get(i + 1)
            .filter(|next| next.start == p + 1)
            .map(|next| &body[next.start..next.end])
            .filter(|digits| all_digits(digits))
            .and_then(|digits| std::str::from_utf8(digits).ok()?.parse::<u64>().ok())
            .map(|usec| usec as f64 / 1e6);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::phone_rules::tests::rules;

    fn engine(formats: FormatChoice, max_line: usize) -> Engine {
        Engine::new(Config {
            formats,
            max_line,
            ..config_text()
        })
        .expect("engine builds")
    }

    use crate::detect::phone_rules::Region;

    fn run(e: &mut Engine, data: &[u8]) -> (Vec<u8>, Vec<Run>) {
        let mut out = Vec::new();
        let mut runs = e.feed(data, 1.7e9, &mut out);
        runs.extend(e.finish(1.7e9, &mut out));
        (out, runs)
    }

    /// The hostile lines of issue 21, each with an identifier that must not survive.
    fn hostile() -> Vec<(Vec<u8>, &'static [u8])> {
        let mut deadbeef = b"GET /?from=198.51.100.77 ".to_vec();
        deadbeef.extend(b"deadbeef".repeat(130_000));
        deadbeef.extend(b"zz".repeat(5_000));
        deadbeef.push(b'\n');
        let mut xff = b"X-Forwarded-For: ".to_vec();
        for i in 0..32_000u32 {
            xff.extend(format!("10.{}.{}.{}, ", i >> 16, (i >> 8) & 255, i & 255).as_bytes());
        }
        xff.push(b'\n');
        let mut phones = b"+49 30 1234567 ".repeat(100_000);
        phones.push(b'\n');
        vec![
            (deadbeef, b"198.51.100.77"),
            (xff, b"10.0.1.2,"),
            (phones, b"1234567"),
        ]
    }

    #[test]
    fn hostile_lines_pass_whole_and_in_segments_without_raw_identifiers() {
        for max_line in [1 << 24, 1 << 16] {
            for (line, raw) in hostile() {
                let mut e = engine(FormatChoice::Text, max_line);
                let (out, runs) = run(&mut e, &line);
                assert!(memchr::memmem::find(&out, raw).is_none(), "{max_line}");
                assert_eq!(runs.iter().map(|r| r.1).sum::<usize>(), out.len());
                assert_eq!(e.counts().lines_in, 1);
                assert_eq!(e.counts().lines_out, 1);
                assert!(out.ends_with(b"\n"));
            }
        }
    }

    #[test]
    fn lines_keep_their_terminators_and_invalid_utf8() {
        let mut e = engine(FormatChoice::Text, 1 << 20);
        let (out, runs) = run(&mut e, b"a 192.0.2.1\r\nb \xff\xfe\n\nlast 192.0.2.1");
        let lines: Vec<&[u8]> = out.split(|&c| c == b'\n').collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].ends_with(b"\r") && lines[0].starts_with(b"a IP-"));
        assert_eq!(lines[1], b"b \xff\xfe");
        assert_eq!(lines[2], b"");
        assert!(lines[3].starts_with(b"last IP-"));
        // One run from the feed, one from finish (the unterminated last line), both in one window.
        assert!(runs.iter().all(|r| r.0 == Some(1_699_920_000)));
        assert_eq!(runs.iter().map(|r| r.1).sum::<usize>(), out.len());
        assert_eq!(e.counts().replaced.get(crate::detect::Kind::Ip), 2);
        assert_eq!(e.counts().formats["text"], 4);
    }

    /// A cut between the CR and the LF of an over-long line: the last segment is the LF alone, and its line
    /// terminator must not be taken out of the context before it (found by `cargo fuzz run engine`; it
    /// panicked, and the fail-closed path panicked again on the same slice).
    #[test]
    fn a_cut_between_cr_and_lf_ends_the_line() {
        let mut e = Engine::new(Config {
            max_line: 4,
            ..config_text()
        })
        .unwrap();
        let (out, _) = run(&mut e, b"abc\r\nfrom 192.0.2.1\r\n");
        assert_eq!(e.counts().masked_on_error, 0);
        assert!(out.starts_with(b"abc\r\n") && out.ends_with(b"\r\n"));
        assert_eq!(out.iter().filter(|&&c| c == b'\n').count(), 2);
        assert!(!out.windows(9).any(|w| w == b"192.0.2.1"));
    }

    #[test]
    fn a_keyring_without_the_window_masks_the_line() {
        let mut e = Engine::new(Config {
            keys: Keys::Keyring(Default::default()),
            ..config_text()
        })
        .unwrap();
        let (out, _) = run(&mut e, b"from 192.0.2.1 port 5060\n");
        assert_eq!(out, b"from MASKED port MASKED\n");
        assert_eq!(e.counts().missing_window_keys, 1);
        assert_eq!(e.counts().formats["masked"], 1);
        let mut e = Engine::new(Config {
            keys: Keys::Keyring(Default::default()),
            drop_on_error: true,
            ..config_text()
        })
        .unwrap();
        let (out, _) = run(&mut e, b"from 192.0.2.1\n");
        assert!(out.is_empty());
        assert_eq!(e.counts().dropped["error"], 1);
    }

    fn config_text() -> Config {
        Config::text(Region::new(rules(), "DE"), vec![7; 32])
    }

    /// The clock `find` uses reads a line's time as the engine does: a timestamp in free text, trailing CRs not
    /// read, None without one; and it finds the same identifiers the engine would replace.
    #[test]
    fn the_clock_reads_times_and_the_engine_finds_identifiers() {
        let mut clock = Clock::new(FormatChoice::Text);
        let t = clock.time_of(b"2026-11-21T10:15:32Z call from 192.0.2.1\r\r", 0.0);
        assert_eq!(t, Some(1_795_256_132.0));
        assert_eq!(clock.time_of(b"no time here", 0.0), None);
        assert_eq!(clock.time_of(b"", 0.0), None);
        let mut e = Engine::new(config_text()).unwrap();
        let found = e.find(b"from 192.0.2.1 to +49 30 1234567", Reading::TEXT);
        let kinds: Vec<&str> = found.iter().map(|f| f.kind().name()).collect();
        assert_eq!(kinds, ["ip", "phone"]);
        assert_eq!(found[0].start..found[0].end, 5..14);
    }

    /// Pieces another framer cut render as the engine renders what it frames itself: lines, and the segments of
    /// over-long lines with their flags and context, in any chunking of the reads (`follow`'s path).
    #[test]
    fn pieces_cut_by_another_framer_render_as_the_engine_frames_them() {
        let mut data = b"short 192.0.2.1\n".to_vec();
        for i in 0..3000u32 {
            data.extend(
                format!(
                    "w{i} 10.{}.{}.7 +49 30 {:07} ",
                    i % 250,
                    i / 250,
                    1_000_000 + i
                )
                .as_bytes(),
            );
        }
        // Lines with no blank to cut at: cuts fall inside values, so heads and tails are masked and context read.
        data.push(b'\n');
        for i in 0..6000u32 {
            data.extend(format!("10.{}.{}.{},", i >> 16, (i >> 8) & 255, i & 255).as_bytes());
        }
        data.extend(b"\nx=");
        data.extend(b"deadbeef0123".repeat(1500));
        data.extend(b"\nafter 198.51.100.9\r\nunterminated 203.0.113.5");
        let max_line = 4096;
        let (want, _) = run(&mut engine(FormatChoice::Text, max_line), &data);
        for cut in [1000, 4096, 7777, 100_000] {
            let mut e = engine(FormatChoice::Text, max_line);
            let mut framer = LineFramer::new(max_line);
            let (mut out, mut pieces) = (Vec::new(), Vec::new());
            let mut render = |framer: &LineFramer, pieces: &[Piece], out: &mut Vec<u8>| {
                let buf = framer.buffer();
                let cut: Vec<CutPiece> = pieces.iter().map(|p| CutPiece::of(p, buf)).collect();
                e.render_cut(&cut, 1.7e9, out);
            };
            for chunk in data.chunks(cut) {
                pieces.clear();
                framer.feed(chunk, &mut pieces);
                render(&framer, &pieces, &mut out);
            }
            pieces.clear();
            framer.finish(&mut pieces);
            render(&framer, &pieces, &mut out);
            assert_eq!(out, want, "reads of {cut}");
        }
    }

    #[test]
    fn the_engine_is_send() {
        fn send<T: Send>() {}
        send::<Engine>();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Nothing survives: addresses and numbers between words, in any chunking, come out as tokens only, and
        /// the output is the same however the input was cut into chunks.
        #[test]
        fn nothing_survives_any_chunking(
            items in proptest::collection::vec((0u8..3, 1u32..200_000, 0usize..4), 1..40),
            cut in 1usize..200,
        ) {
            let mut data = Vec::new();
            let mut raw: Vec<Vec<u8>> = Vec::new();
            for (i, &(shape, n, words)) in items.iter().enumerate() {
                let value = match shape {
                    0 => format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255),
                    1 => format!("+49 30 {:07}", 1_000_000 + n),
                    _ => format!("2001:db8::{:x}", n & 0xffff),
                };
                data.extend(b"word ".repeat(words));
                data.extend(value.as_bytes());
                data.extend(if i % 3 == 0 { &b"\n"[..] } else { &b" , "[..] });
                raw.push(value.into_bytes());
            }
            let mut whole = engine(FormatChoice::Text, 1 << 20);
            let (out, _) = run(&mut whole, &data);
            for r in &raw {
                proptest::prop_assert!(memchr::memmem::find(&out, r).is_none());
            }
            let mut pieces = engine(FormatChoice::Text, 1 << 20);
            let mut chunked = Vec::new();
            for chunk in data.chunks(cut) {
                pieces.feed(chunk, 1.7e9, &mut chunked);
            }
            pieces.finish(1.7e9, &mut chunked);
            proptest::prop_assert_eq!(chunked, out);
        }
    }

    /// Measurement only (`cargo test --release -- --ignored --nocapture measure`): seconds per MB of hostile
    /// lines of 1, 4, 16 and 64 MB through the whole engine (max_line 1 MiB, so the long ones are segmented).
    #[test]
    #[ignore]
    fn measure_hostile_seconds_per_mb() {
        for mb in [1usize, 4, 16, 64] {
            let size = mb << 20;
            let mut mixed = Vec::with_capacity(size + 64);
            let mut i = 0u32;
            while mixed.len() < size {
                mixed.extend(
                    format!(
                        "10.{}.{}.{} +49 30 {:07} ",
                        (i >> 16) & 255,
                        (i >> 8) & 255,
                        i & 255,
                        i
                    )
                    .as_bytes(),
                );
                i += 1;
            }
            mixed.push(b'\n');
            let mut deadbeef = b"GET /".to_vec();
            deadbeef.extend(b"deadbeef".repeat(size / 8));
            deadbeef.extend(b"zz\n");
            for (name, line) in [("mixed", &mixed), ("deadbeef", &deadbeef)] {
                for max_line in [1usize << 20, 1 << 27] {
                    let mut e = engine(FormatChoice::Text, max_line);
                    let t = std::time::Instant::now();
                    let (out, _) = run(&mut e, line);
                    let s = t.elapsed().as_secs_f64();
                    println!(
                        "{name} {mb} MB max_line {max_line}: {:.3} s, {:.4} s/MB, out {} bytes",
                        s,
                        s / mb as f64,
                        out.len()
                    );
                }
            }
        }
    }

    /// Lines of one window with runs of lines in other windows (by their own time), some across the parts' cuts.
    fn lines_in_windows() -> Vec<u8> {
        let mut data = Vec::new();
        for i in 0..40_000u32 {
            data.extend_from_slice(
                format!(
                    "10.0.{}.{} - - call from +49 30 1234{:03} done\n",
                    i % 250,
                    i % 7,
                    i % 1000
                )
                .as_bytes(),
            );
            // Runs of lines in other windows (by their own time), some of them across the parts' cuts.
            if (i / 997) % 5 == 1 {
                data.extend_from_slice(
                    format!(
                        "2026-11-{:02}T10:00:00Z from 192.0.2.{}\n",
                        1 + i % 3,
                        i % 200
                    )
                    .as_bytes(),
                );
            }
        }
        data
    }

    #[test]
    fn parallel_parts_write_what_one_job_writes() {
        let data = lines_in_windows();
        let run = |jobs: usize| {
            let mut cfg = config_text();
            cfg.jobs = jobs;
            let mut e = Engine::new(cfg).unwrap();
            let mut out = Vec::new();
            let runs = e.feed(&data, 1.7e9, &mut out);
            (out, runs, e.counts().clone())
        };
        let one = run(1);
        assert!(
            one.1.len() > 20,
            "the lines fall into runs of several windows"
        );
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        assert_eq!(
            split_lines(b"a\nbb\nccc\n", 2),
            vec![&b"a\nbb\n"[..], &b"ccc\n"[..]]
        );
        assert_eq!(
            split_lines(b"abc\n", 3),
            vec![&b"abc\n"[..], &b""[..], &b""[..]]
        );
    }

    #[test]
    fn blocks_rendered_ahead_write_what_one_job_writes() {
        let data = lines_in_windows();
        let mut cfg = config_text();
        let mut e = Engine::new(cfg.clone()).unwrap();
        let mut out = Vec::new();
        let runs = e.feed(&data, 1.7e9, &mut out);
        let one = (out, runs, e.counts().clone());
        for jobs in [2, 3] {
            cfg.jobs = jobs;
            cfg.parallel_min = 4 << 10;
            let mut e = Engine::new(cfg.clone()).unwrap();
            // A run that spans two feeds comes out in two: they are joined as one job's would be.
            let (mut out, mut runs, mut fed) = (Vec::new(), Runs::default(), 0);
            let mut add = |feed: Vec<Run>| feed.into_iter().for_each(|(w, n)| runs.add(w, n));
            for (i, chunk) in data.chunks(50_000 + jobs * 777).enumerate() {
                e.frame(chunk);
                add(e.render_ahead(1.7e9, &mut out));
                fed += chunk.len();
                let written = memchr::memchr_iter(b'\n', &out).count();
                let framed = memchr::memchr_iter(b'\n', &data[..fed]).count();
                if i == 0 {
                    assert!(
                        written < framed,
                        "the block's parts come out with the next feed"
                    );
                }
                if i == 3 {
                    // Counts wait for the job threads: every framed line is counted.
                    assert_eq!(e.counts().lines_in, framed as u64);
                }
            }
            add(e.finish(1.7e9, &mut out));
            assert_eq!((out, runs.done(), e.counts().clone()), one);
        }
    }

    #[test]
    fn a_new_input_keeps_the_lines_rendered_ahead() {
        let data = lines_in_windows();
        let cut = 200_000 + memchr::memchr(b'\n', &data[200_000..]).unwrap() + 1;
        let (first, second) = data.split_at(cut);
        let mut cfg = config_text();
        let mut e = Engine::new(cfg.clone()).unwrap();
        let mut one = Vec::new();
        e.feed(first, 1.7e9, &mut one);
        e.start_input(cfg.max_line);
        e.feed(second, 1.7e9, &mut one);
        e.finish(1.7e9, &mut one);
        cfg.jobs = 2;
        cfg.parallel_min = 4 << 10;
        let mut e = Engine::new(cfg.clone()).unwrap();
        let mut out = Vec::new();
        e.frame(first);
        e.render_ahead(1.7e9, &mut out);
        e.start_input(cfg.max_line);
        e.frame(second);
        e.render_ahead(1.7e9, &mut out);
        e.finish(1.7e9, &mut out);
        assert_eq!(out, one);
    }
}
