//! `perfledger import FILE.ndjson`: streams the file in batches through the
//! same validation and writer as `POST /api/v1/events`.
//!
//! A reader thread splits and parses lines while the writer commits the
//! previous batch. Bad lines go, with their reasons, to `FILE.rejects.ndjson`;
//! the exit code is non-zero when there are any.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use perfledger_domain::{parse_envelope_bytes, Activity, ItemRejection};
use perfledger_store::{is_conflict, is_duplicate_event_id, IngestReport, Ingestor, Plan, PlanCache, RejectedItem};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::config::{GlobalArgs, ImportArgs};
use crate::progress::Progress;

/// Entities whose state the import keeps in memory between batches (a few
/// hundred bytes each); past this the cache starts over from the log.
const MAX_CACHED_ENTITIES: usize = 400_000;

/// One batch read from the file.
struct Batch {
    /// Line number (1-based) of each item.
    lines: Vec<u64>,
    raw: Vec<Vec<u8>>,
    items: Vec<Result<Activity, ItemRejection>>,
    bytes_read: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub lines: u64,
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub seconds: f64,
    pub events_per_s: f64,
}

pub async fn run(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<ExitCode> {
    check_file(&args.file)?;
    let db = super::open_database(global).await?;
    let ingestor = Ingestor::new(db.pool.clone(), "import").with_window(global.occurred_window());
    let result = import_file(&ingestor, &args.file, args.batch as usize, true).await;
    db.close().await;
    let summary = result?;
    eprintln!(
        "imported {}: {} accepted, {} duplicates, {} rejected in {:.1}s ({:.0} events/s)",
        args.file.display(),
        summary.accepted,
        summary.duplicates,
        summary.rejected,
        summary.seconds,
        summary.events_per_s
    );
    if summary.rejected > 0 {
        eprintln!("rejected lines and their reasons are in {}", rejects_path(&args.file).display());
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn check_file(path: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!("{} is not a file", path.display());
    }
    if meta.len() == 0 {
        anyhow::bail!("{} is empty: there is nothing to import", path.display());
    }
    Ok(())
}

pub fn rejects_path(file: &Path) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".ndjson").unwrap_or(&name);
    file.with_file_name(format!("{stem}.rejects.ndjson"))
}

/// Imports a file. Used by the command, the demo and the benchmark.
pub async fn import_file(
    ingestor: &Ingestor,
    file: &Path,
    batch_size: usize,
    show_progress: bool,
) -> anyhow::Result<ImportSummary> {
    let started = Instant::now();
    let total_bytes = std::fs::metadata(file)?.len();
    let reader = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let rejects_file = rejects_path(file);
    let _ = std::fs::remove_file(&rejects_file);

    // Two batches in flight: one being parsed while the other is written.
    let (sender, mut receiver) = mpsc::channel::<anyhow::Result<Batch>>(2);
    let reader_thread =
        std::thread::spawn(move || read_batches(BufReader::with_capacity(1 << 20, reader), batch_size, sender));

    let mut progress = show_progress.then(|| Progress::new("importing", total_bytes));
    let mut rejects = RejectsFile { path: rejects_file, out: None };
    let mut summary = ImportSummary::default();
    let mut totals = IngestReport::default();
    let mut record = |batch: &Batch, report: IngestReport| -> anyhow::Result<()> {
        summary.lines = batch.lines.last().copied().unwrap_or(summary.lines);
        for rejected in &report.rejected {
            rejects.write(batch, rejected)?;
        }
        totals.merge(report, 0);
        if let Some(progress) = &mut progress {
            let accepted = totals.accepted;
            progress.update(batch.bytes_read, || format!("{accepted} events"));
        }
        Ok(())
    };

    // Double buffering: batch N is committed while batch N+1 is planned
    // against the cache that already holds N's effects.
    let mut cache = PlanCache::optimistic_import();
    let mut pending: Option<(Batch, Plan)> = None;
    loop {
        let next = receiver.recv().await.transpose()?;
        let Some((batch, plan)) = pending.take() else {
            match next {
                Some(next) => {
                    let plan = ingestor.plan(&mut cache, &next.items).await?;
                    pending = Some((next, plan));
                    continue;
                }
                None => break,
            }
        };
        cache.set_in_flight(&plan);
        cache.evict_beyond(MAX_CACHED_ENTITIES, Some(&plan));
        let (committed, next_plan) = match &next {
            Some(next) => {
                let (committed, planned) = tokio::join!(ingestor.commit(&plan), ingestor.plan(&mut cache, &next.items));
                (committed, Some(planned))
            }
            None => (ingestor.commit(&plan).await, None),
        };
        match committed {
            Ok(positions) => record(&batch, plan.into_report(positions))?,
            Err(err) if is_conflict(&err) => {
                // A duplicate event_id, an entity that already existed, or
                // another writer: forget what we assumed and take the slow,
                // always-correct path for both batches.
                if is_duplicate_event_id(&err) {
                    cache.distrust_event_ids();
                } else {
                    tracing::info!("entities of this import changed under it; re-planning");
                }
                cache.clear();
                record(&batch, ingestor.ingest(&batch.items).await?)?;
                if let Some(next) = next {
                    let plan = ingestor.plan(&mut cache, &next.items).await?;
                    pending = Some((next, plan));
                }
                continue;
            }
            Err(err) => return Err(err.into()),
        }
        if let (Some(next), Some(planned)) = (next, next_plan) {
            pending = Some((next, planned?));
        }
    }
    reader_thread.join().map_err(|_| anyhow::anyhow!("the file reader thread panicked"))?;
    if let Some(progress) = &progress {
        progress.finish();
    }
    rejects.flush()?;
    summary.accepted = totals.accepted;
    summary.duplicates = totals.duplicates;
    summary.rejected = totals.rejected.len();
    summary.seconds = started.elapsed().as_secs_f64();
    summary.events_per_s = summary.accepted as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

/// `FILE.rejects.ndjson`, created on the first rejected line.
struct RejectsFile {
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl RejectsFile {
    fn write(&mut self, batch: &Batch, rejected: &RejectedItem) -> anyhow::Result<()> {
        let out = match &mut self.out {
            Some(out) => out,
            None => self.out.insert(BufWriter::new(
                File::create(&self.path).with_context(|| format!("cannot write {}", self.path.display()))?,
            )),
        };
        let line = RejectLine {
            line: batch.lines[rejected.index],
            event_id: rejected.event_id.as_deref(),
            field: &rejected.field,
            error: &rejected.error,
            raw: String::from_utf8_lossy(&batch.raw[rejected.index]).trim_end().to_string(),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(out) = &mut self.out {
            out.flush()?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct RejectLine<'a> {
    line: u64,
    event_id: Option<&'a str>,
    field: &'a str,
    error: &'a str,
    raw: String,
}

fn read_batches(mut reader: impl BufRead, batch_size: usize, sender: mpsc::Sender<anyhow::Result<Batch>>) {
    let mut line_number = 0u64;
    let mut bytes_read = 0u64;
    loop {
        let mut batch = Batch {
            lines: Vec::with_capacity(batch_size),
            raw: Vec::with_capacity(batch_size),
            items: Vec::new(),
            bytes_read: 0,
        };
        while batch.raw.len() < batch_size {
            let mut line = Vec::with_capacity(512);
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(n) => {
                    line_number += 1;
                    bytes_read += n as u64;
                    if line.iter().all(|b| b.is_ascii_whitespace()) {
                        continue;
                    }
                    batch.lines.push(line_number);
                    batch.raw.push(line);
                }
                Err(err) => {
                    let _ = sender.blocking_send(Err(anyhow::anyhow!("reading line {}: {err}", line_number + 1)));
                    return;
                }
            }
        }
        if batch.raw.is_empty() {
            return;
        }
        batch.items = batch.raw.iter().map(|line| parse_envelope_bytes(trim_newline(line))).collect();
        batch.bytes_read = bytes_read;
        if sender.blocking_send(Ok(batch)).is_err() {
            return; // the writer stopped on an error; it reports it
        }
    }
}

fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
