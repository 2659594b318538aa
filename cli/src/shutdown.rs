//! Waiting for Ctrl-C or SIGTERM, so the server drains and the embedded
//! cluster is stopped cleanly.

use tokio::signal::unix::{signal, SignalKind};

/// Installs the handlers now (a signal that arrives before the returned
/// future is first polled is still caught), and resolves on the first one.
pub fn install() -> std::io::Result<impl std::future::Future<Output = ()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down");
    })
}
