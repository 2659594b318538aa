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
use perfledger_store::{IngestReport, Ingestor};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::config::{GlobalArgs, ImportArgs};
use crate::progress::Progress;

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
    let ingestor = Ingestor::new(db.pool.clone(), "import");
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
    let mut summary = ImportSummary::default();
    let mut report = IngestReport::default();
    let mut rejects: Option<BufWriter<File>> = None;
    while let Some(batch) = receiver.recv().await {
        let batch = batch?;
        summary.lines = batch.lines.last().copied().unwrap_or(summary.lines);
        let batch_report = ingestor.ingest(&batch.items).await?;
        for rejected in &batch_report.rejected {
            let out = match &mut rejects {
                Some(out) => out,
                None => rejects.insert(BufWriter::new(
                    File::create(&rejects_file).with_context(|| format!("cannot write {}", rejects_file.display()))?,
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
        }
        report.merge(batch_report, 0);
        if let Some(progress) = &mut progress {
            let accepted = report.accepted;
            progress.update(batch.bytes_read, || format!("{accepted} events"));
        }
    }
    reader_thread.join().map_err(|_| anyhow::anyhow!("the file reader thread panicked"))?;
    if let Some(progress) = &progress {
        progress.finish();
    }
    if let Some(mut out) = rejects {
        out.flush()?;
    }
    summary.accepted = report.accepted;
    summary.duplicates = report.duplicates;
    summary.rejected = report.rejected.len();
    summary.seconds = started.elapsed().as_secs_f64();
    summary.events_per_s = summary.accepted as f64 / summary.seconds.max(1e-9);
    Ok(summary)
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
