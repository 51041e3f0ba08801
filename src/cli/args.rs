//! The command line's arguments, one struct per command (clap derive); what each command does
//! is in [`super`].

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct StudioArgs {
    #[command(flatten)]
    pub source: Source,
    /// Billing data: JSON Lines (.jsonl) or CSV (.csv); its customers can be searched by id or name.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// The record field to search customers by name (default: `customer.name`, `name`, or
    /// `customer.first_name` and `customer.last_name`).
    #[arg(long)]
    pub name_field: Option<String>,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = crate::studio::DEFAULT_PORT)]
    pub port: u16,
    /// Address to listen on. The studio shows customers' data: anything but a loopback address
    /// (127.0.0.1, ::1) lets other machines see it.
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: std::net::IpAddr,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    #[command(flatten)]
    pub source: Source,
    /// Billing data: JSON Lines (.jsonl) or CSV (.csv), streamed; or s3://bucket/key.jsonl,
    /// copied to a temporary file first.
    #[arg(long)]
    pub data: PathBuf,
    /// Output folder: videos, posters and the manifest; or s3://bucket/prefix (credentials,
    /// region and endpoint from the AWS_* environment variables).
    #[arg(long)]
    pub out: PathBuf,
    /// With --out s3://…: the local folder records are rendered in before they are uploaded
    /// (default: a folder in the system's temporary folder named after the target).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Videos rendered at once (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Public URL prefix for the manifest, e.g. https://videos.example.com/run1/
    #[arg(long)]
    pub base_url: Option<String>,
    /// File holding the secret that makes link names unguessable (or set BILLREEL_LINK_SECRET).
    #[arg(long)]
    pub link_secret_file: Option<PathBuf>,
    /// Name files after record ids instead: `C0001.mp4`, `C0001.jpg`, ... (an id with other
    /// characters than ASCII letters, digits, `-` and `_` gets them replaced by `_` and 8 hex
    /// characters of its hash, `a_b.1f2e3d4c.mp4`). Local demos only: anyone can guess a link.
    #[arg(long)]
    pub guessable_links: bool,
    /// Render every record, even those a previous run finished (not those `billreel purge`
    /// deleted: that takes --recreate-purged).
    #[arg(long)]
    pub force: bool,
    /// Stop after this many failed records (default: never).
    #[arg(long)]
    pub max_failures: Option<usize>,
    /// Render only shard I of N (0-based), e.g. 0/4; default from JOB_COMPLETION_INDEX and
    /// JOB_COMPLETIONS (Kubernetes Indexed Job).
    #[arg(long)]
    pub shard: Option<String>,
    #[arg(long, default_value = "id")]
    pub id_field: String,
    #[arg(long)]
    pub preset: Option<String>,
    #[arg(long)]
    pub crf: Option<u8>,
    #[command(flatten)]
    pub x264: X264Args,
    /// Also write the captions as SubRip (.srt) beside the WebVTT file.
    #[arg(long)]
    pub srt: bool,
    /// Draw the captions into the picture (for players that show no caption track).
    #[arg(long)]
    pub burn_captions: bool,
    /// Print where the time went: per stage, summed over the rendered records.
    #[arg(long)]
    pub timings: bool,
    /// Memory for coded segments shared between videos: scenes that come out the same for
    /// several records (an intro, an outro) are encoded once and spliced into each video.
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub segment_cache_mb: usize,
    /// The formats to render, of those the storyboard declares (`formats:`), e.g.
    /// `--formats landscape,portrait` (default: all of them). The default format's files are
    /// `NAME.mp4`, `NAME.jpg`…; another's are `NAME-FORMAT.mp4`…; one page offers them all.
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    pub formats: Vec<String>,
    /// Encode every video whole (no shared segments).
    #[arg(long)]
    pub no_segment_cache: bool,
    /// Wall time one record may take (bind, draw, encode, write), e.g. 30s or 500ms; a record
    /// that takes longer fails alone (`error_kind` `timeout`) and the run goes on. Default 120s;
    /// the same as `--limit record-timeout=...`.
    #[arg(long, value_name = "DURATION")]
    pub record_timeout: Option<String>,
    #[command(flatten)]
    pub observe: super::observe::ObserveArgs,

    /// Render again the records `billreel purge` deleted (their manifest line says `deleted`);
    /// by default a rerun leaves them deleted and counts them as purged.
    #[arg(long)]
    pub recreate_purged: bool,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// How many customers.
    #[arg(long, default_value_t = 100)]
    pub customers: u64,
    /// Same seed, same run.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Output file (.jsonl), or - for standard output.
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct Source {
    /// The storyboard YAML file.
    pub storyboard: PathBuf,
    /// Assets folder (default: the storyboard's `assets:` key, else assets/ beside it or above it).
    #[arg(long)]
    pub assets: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RecordChoice {
    /// Billing data: JSON Lines (.jsonl) or CSV (.csv).
    #[arg(long)]
    pub data: PathBuf,
    /// The id of the record to render.
    #[arg(long)]
    pub id: String,
    /// The record field holding the id (dotted paths allowed).
    #[arg(long, default_value = "id")]
    pub id_field: String,
}

/// x264 tuning beyond preset and crf (override the storyboard's `video.encoder`).
#[derive(Debug, Args)]
pub struct X264Args {
    /// x264's --tune (default `animation`; `none` for none).
    #[arg(long)]
    pub tune: Option<String>,
    /// Extra x264 options, `key=value:key=value` (default `me=dia:subme=1`; `none` for none).
    #[arg(long)]
    pub x264_params: Option<String>,
    /// Constant frame rate: encode every frame, held ones too (by default a held picture is
    /// one long sample, re-sent every half second; some upload APIs need constant frame rate).
    #[arg(long)]
    pub cfr: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub record: RecordChoice,
    /// Output MP4 file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// x264 preset (overrides the storyboard's video.encoder.preset; default veryfast).
    #[arg(long)]
    pub preset: Option<String>,
    /// x264 constant rate factor, 0-51 (overrides the storyboard; default 23).
    #[arg(long)]
    pub crf: Option<u8>,
    #[command(flatten)]
    pub x264: X264Args,
    /// Draw the captions into the picture instead of only writing them beside the video.
    #[arg(long)]
    pub burn_captions: bool,
    /// Also write the captions as SubRip (.srt) beside the WebVTT file.
    #[arg(long)]
    pub srt: bool,
    /// Print where the time went: bind, raster, colour conversion, encode, audio, mux, files,
    /// and the slowest frames.
    #[arg(long)]
    pub timings: bool,
    /// The format to render, of those the storyboard declares (default: its first).
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub source: Source,
    /// Billing data: JSON Lines (.jsonl) or CSV (.csv).
    #[arg(long)]
    pub data: PathBuf,
    /// The record to show; with --sheet, repeat it for one row per record.
    #[arg(long = "id", required = true)]
    pub ids: Vec<String>,
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// Time of the frame, with a unit: `12.5s`, `800ms`.
    #[arg(long, default_value = "0s", conflicts_with = "sheet")]
    pub at: String,
    /// A contact sheet instead: the middle of every scene each record plays, one row per
    /// record (and format), each frame a third of the video's size.
    #[arg(long)]
    pub sheet: bool,
    /// The format to show, of those the storyboard declares (default: its first); with
    /// --sheet, repeat it (or give `a,b`) for a row per format of each record.
    #[arg(long = "format", value_delimiter = ',', value_name = "NAME")]
    pub formats: Vec<String>,
    /// Output PNG file.
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: Source,
    /// Also bind every record of this billing run and report each one that fails.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// With --data: also write the full report (every problem, by record) as JSON here.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// A run's output folder, where `batch` wrote its manifest (repeatable: one customer's
    /// outputs across runs).
    #[arg(long = "out", value_name = "TARGET")]
    pub outs: Vec<String>,
    /// Every run under ROOT: each folder in it (ROOT too) that holds a manifest (repeatable).
    #[arg(long, value_name = "ROOT")]
    pub runs: Vec<String>,
    /// The record id of a customer whose outputs go (repeatable).
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,
    /// The records whose files are all older than this, by their modification time: `90d`,
    /// `12h`, `2w`. With --id, only those ids' records that old.
    #[arg(long, value_name = "PERIOD")]
    pub older_than: Option<String>,
    /// Why, for the manifest's `deleted_reason` and the audit log, e.g. "erasure request 2026-117".
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// List what would be deleted, and delete and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}
