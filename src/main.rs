use std::process::ExitCode;

use billreel::cli::{self, Cli, LogFormat};
use billreel::warnings::OncePerRecord;
use clap::Parser;
use tracing_subscriber::filter::FilterExt;
use tracing_subscriber::prelude::*;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn,ffmpeg=error",
        1 => "debug,ffmpeg=warn",
        _ => "trace",
    };
    // ICU4X logs a missing-data warning with the request, which can hold a record's value (a
    // currency code, a locale): billreel reports those problems itself, without the value.
    let level = format!("{level},icu_provider=off");
    let filter = EnvFilter::try_from_env("BILLREEL_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    // Colours only on a terminal: a log file or a collector gets plain lines.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A warning repeated within a record (once a frame, say) is logged once, then counted.
    let filter = filter.and(OncePerRecord);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::registry().with(layer.with_filter(filter)).init(),
        LogFormat::Json => tracing_subscriber::registry().with(layer.json().with_filter(filter)).init(),
    }
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            if e.is::<cli::SomeRecordsFailed>() {
                ExitCode::from(3)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
