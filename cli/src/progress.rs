//! Progress for long jobs: an indicatif bar on a terminal, plain periodic
//! lines when stderr is a file or a pipe (CI logs stay readable).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

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
