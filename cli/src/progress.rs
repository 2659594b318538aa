//! Progress for long jobs: an indicatif bar on a terminal, plain periodic
//! lines when stderr is a file or a pipe (CI logs stay readable).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{HumanCount, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use perfledger_projections::report::Step;

pub struct Progress {
    bar: Option<ProgressBar>,
    label: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// `total` is in `unit`s (bytes for a file); `label` names the job.
    pub fn new(label: &'static str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {percent:>3}% {binary_bytes_per_sec} eta {eta}")
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            bar.set_message(label);
            bar
        });
        let now = Instant::now();
        Progress { bar, label, total, done: 0, started: now, last_line: now }
    }

    /// Sets the position and the message (e.g. events so far).
    pub fn update(&mut self, done: u64, message: impl FnOnce() -> String) {
        self.done = done;
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(format!("{} {}", self.label, message()));
            }
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                let percent = (done * 100).checked_div(self.total).unwrap_or(100);
                eprintln!("{}: {percent}% {} ({:.0}s)", self.label, message(), self.started.elapsed().as_secs_f64());
            }
            None => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Bars for a projection job (`replay`, `verify`, `project --once`), fed the
/// library's [`Step`]s: one bar per projector (checkpoint of head, events/s,
/// ETA), one for the scoring pass (weeks), a spinner per phase (compare,
/// switch). indicatif redraws at most 10 times a second, so a report per
/// batch costs the fold nothing. When stderr is not a terminal: one plain
/// line every few seconds instead.
pub struct StepBars {
    label: &'static str,
    multi: Option<MultiProgress>,
    tracks: Vec<Track>,
    started: Instant,
    last_line: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Projector,
    Scoring,
    Phase,
}

struct Track {
    name: &'static str,
    kind: Kind,
    bar: Option<ProgressBar>,
    position: u64,
    length: u64,
    /// Position and time when the current catch-up started, for events/s.
    since: (u64, Instant),
    /// Weeks of earlier scoring passes (a round scores twice).
    base: u64,
    done: bool,
}

impl Track {
    fn rate(&self) -> f64 {
        let seconds = self.since.1.elapsed().as_secs_f64();
        if seconds <= 0.0 {
            return 0.0;
        }
        self.position.saturating_sub(self.since.0) as f64 / seconds
    }

    fn plain(&self) -> String {
        match self.kind {
            Kind::Projector => format!("{} {}/{} ({:.0} ev/s)", self.name, self.position, self.length, self.rate()),
            Kind::Scoring => format!("scoring {}/{} weeks", self.position, self.length),
            Kind::Phase if self.done => format!("{} done", self.name),
            Kind::Phase => format!("{}…", self.name),
        }
    }
}

const BAR_WIDTH: &str = "30";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(&template.replace("WIDTH", BAR_WIDTH))
        .expect("the template is valid")
        .progress_chars("=> ")
}

impl StepBars {
    /// `projectors` are the names the job's runner reports, in order (bars
    /// for names it reports later are added then).
    pub fn new(label: &'static str, projectors: &[&'static str]) -> Self {
        let multi = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)));
        let now = Instant::now();
        let mut bars = StepBars { label, multi, tracks: Vec::new(), started: now, last_line: now };
        for name in projectors {
            bars.track(name, Kind::Projector);
        }
        bars
    }

    /// Bars for every projector the worker runs (`projections::projectors()`).
    pub fn for_projectors(label: &'static str) -> Self {
        let names: Vec<&'static str> = perfledger_projections::projectors().iter().map(|p| p.name()).collect();
        Self::new(label, &names)
    }

    /// The track named `name`, added (with its bar) when new.
    fn track(&mut self, name: &'static str, kind: Kind) -> &mut Track {
        let index = match self.tracks.iter().position(|t| t.name == name && t.kind == kind) {
            Some(index) => index,
            None => {
                let bar = self.multi.as_ref().map(|multi| {
                    let bar = match kind {
                        Kind::Projector => ProgressBar::new(0).with_style(style(
                            "{prefix:>12} [{bar:WIDTH}] {human_pos:>11}/{human_len:<11} {msg:>12} eta {eta}",
                        )),
                        Kind::Scoring => ProgressBar::new(0).with_style(style(
                            "{prefix:>12} [{bar:WIDTH}] {pos:>5}/{len:<5} weeks {elapsed} eta {eta}",
                        )),
                        Kind::Phase => {
                            let bar = ProgressBar::new_spinner().with_style(
                                ProgressStyle::with_template("{prefix:>12} {spinner} {elapsed} {msg}")
                                    .expect("the template is valid"),
                            );
                            bar.enable_steady_tick(Duration::from_millis(100));
                            bar
                        }
                    };
                    multi.add(bar.with_prefix(name))
                });
                let now = Instant::now();
                self.tracks.push(Track {
                    name,
                    kind,
                    bar,
                    position: 0,
                    length: 0,
                    since: (0, now),
                    base: 0,
                    done: false,
                });
                self.tracks.len() - 1
            }
        };
        &mut self.tracks[index]
    }

    /// Takes one step into the bars (or the periodic line).
    pub fn step(&mut self, step: Step) {
        match step {
            Step::CatchUpStarted { projector, checkpoint, head } => {
                let track = self.track(projector, Kind::Projector);
                let (position, length) = (checkpoint.max(0) as u64, head.max(checkpoint).max(0) as u64);
                track.position = position;
                track.length = length;
                track.since = (position, Instant::now());
                if let Some(bar) = &track.bar {
                    bar.set_length(length);
                    bar.set_position(position);
                    bar.reset_eta();
                }
            }
            Step::Advanced { projector, position, .. } => {
                let track = self.track(projector, Kind::Projector);
                track.position = position.max(0) as u64;
                track.length = track.length.max(track.position);
                if let Some(bar) = &track.bar {
                    bar.set_length(track.length);
                    bar.set_position(track.position);
                    bar.set_message(format!("{} ev/s", HumanCount(track.rate() as u64)));
                }
            }
            Step::BatchDone { .. } => {}
            Step::WeeksScored { done, total } => {
                let track = self.track("scoring", Kind::Scoring);
                if done == 0 {
                    // A new pass: earlier passes' weeks stay counted.
                    track.base = track.position;
                }
                track.position = track.base + done as u64;
                track.length = track.base + total as u64;
                if let Some(bar) = &track.bar {
                    bar.set_length(track.length);
                    bar.set_position(track.position);
                }
            }
            Step::PhaseStarted { phase } => {
                let track = self.track(phase, Kind::Phase);
                track.done = false;
            }
            Step::PhaseDone { phase } => {
                let track = self.track(phase, Kind::Phase);
                track.done = true;
                if let Some(bar) = &track.bar {
                    bar.finish_with_message("done");
                }
            }
        }
        if self.multi.is_none() && self.last_line.elapsed() >= PLAIN_EVERY {
            self.last_line = Instant::now();
            eprintln!("{}", self.line());
        }
    }

    /// The plain progress line: every track so far.
    fn line(&self) -> String {
        let tracks: Vec<String> =
            self.tracks.iter().filter(|t| t.length > 0 || t.kind == Kind::Phase).map(Track::plain).collect();
        format!("{}: {} ({:.0}s)", self.label, tracks.join(" · "), self.started.elapsed().as_secs_f64())
    }

    /// Leaves the bars in their final state.
    pub fn finish(&self) {
        for track in &self.tracks {
            if let Some(bar) = track.bar.as_ref().filter(|b| !b.is_finished()) {
                bar.finish();
            }
        }
        if self.multi.is_some() {
            // The terminal's cursor is left at the end of the last bar.
            eprintln!();
        }
    }
}
