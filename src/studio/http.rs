//! The studio's HTTP API and pages (axum on tokio). Every route is GET: the studio reads files
//! and never writes one an author owns, so there is no method to write with (others get 405).
//!
//! Drawing, binding and indexing run on tokio's blocking pool (`spawn_blocking`), never on the
//! runtime's threads: a slow frame delays only its own answer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::stream::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tower_http::services::ServeFile;

use super::playback::{Playback, Status};
use super::problems::Problem;
use super::workspace::{formats_of, Choice, FrameError, ImageKind, Refused, Workspace};

const INDEX: &str = include_str!("ui/index.html");
const SCRIPT: &str = include_str!("ui/studio.js");
const STYLE: &str = include_str!("ui/studio.css");

#[derive(Clone)]
pub struct Studio {
    pub ws: Arc<Workspace>,
    pub playback: Arc<Playback>,
    pub reloads: broadcast::Sender<u64>,
}

pub fn router(studio: Studio) -> Router {
    Router::new()
        .route("/", get(|| async { Html(INDEX) }))
        .route(
            "/studio.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT) }),
        )
        .route("/studio.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }))
        .route("/api/storyboards", get(storyboards))
        .route("/api/customers", get(customers))
        .route("/api/state", get(state))
        .route("/api/frame", get(frame))
        .route("/api/video", get(video))
        .route("/api/video/{file}", get(video_file))
        .route("/api/events", get(events))
        .route("/page/{storyboard}/{format}/{id}/{file}", get(page_file))
        .route("/page/{storyboard}/{format}/{id}/fonts/{font}", get(page_font))
        .layer(axum::middleware::map_response(no_store))
        .with_state(studio)
}

/// Every answer depends on files that change under it: browsers keep none of them.
async fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A refusal as the page shows it: status and message.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<Refused> for Failure {
    fn from(r: Refused) -> Failure {
        let status = match r {
            Refused::Data(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::NOT_FOUND,
        };
        Failure(status, r.to_string())
    }
}

/// Runs blocking work off the runtime; a panic in it is a 500, not a dead server.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {e}")))
}

#[derive(Serialize)]
struct Storyboards {
    storyboards: Vec<String>,
    first: String,
    version: u64,
}

async fn storyboards(State(s): State<Studio>) -> Json<Storyboards> {
    Json(Storyboards {
        storyboards: s.ws.storyboards(),
        first: s.ws.first_storyboard(),
        version: s.ws.version(),
    })
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
}

async fn customers(State(s): State<Studio>, Query(q): Query<Search>) -> Result<Response, Failure> {
    let index = s.ws.customers();
    let index = index.as_ref().as_ref().map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.clone()))?;
    let found = index.search(&q.q, q.limit.unwrap_or(50).min(500));
    Ok(Json(serde_json::json!({ "total": index.len(), "unreadable": index.unreadable, "customers": found }))
        .into_response())
}

/// What the page draws for a choice: the timeline, the captions, the problems.
#[derive(Serialize)]
struct ChoiceState {
    version: u64,
    storyboard: String,
    id: String,
    formats: Vec<String>,
    /// The record renders (else `problems` says why; the storyboard may not load at all).
    renders: bool,
    storyboard_loads: bool,
    width: u32,
    height: u32,
    fps: u32,
    frames: u32,
    duration: f64,
    scenes: Vec<SceneSpan>,
    captions: Vec<Caption>,
    page: bool,
    problems: Vec<Problem>,
}

#[derive(Serialize)]
struct SceneSpan {
    id: String,
    start: f64,
    end: f64,
}

#[derive(Serialize)]
struct Caption {
    start: f64,
    end: f64,
    text: String,
}

async fn state(State(s): State<Studio>, Query(choice): Query<Choice>) -> Result<Json<ChoiceState>, Failure> {
    let ws = s.ws.clone();
    blocking(move || {
        let bound = ws.bound(&choice)?;
        let loaded = ws.storyboard(&choice.storyboard, choice.format.as_deref())?;
        let formats = loaded.as_ref().as_ref().map(formats_of).unwrap_or_default();
        let mut st = ChoiceState {
            version: bound.version,
            storyboard: choice.storyboard.clone(),
            id: choice.id.clone(),
            formats,
            renders: bound.graph.is_some(),
            storyboard_loads: loaded.is_ok(),
            width: 0,
            height: 0,
            fps: 0,
            frames: 0,
            duration: 0.0,
            scenes: Vec::new(),
            captions: Vec::new(),
            page: false,
            problems: bound.problems.clone(),
        };
        if let Some(g) = &bound.graph {
            let secs = |f: u32| f as f64 / g.fps as f64;
            (st.width, st.height, st.fps, st.frames, st.duration) =
                (g.width, g.height, g.fps, g.total_frames, g.duration_secs());
            st.scenes = g
                .scenes
                .iter()
                .map(|sc| SceneSpan {
                    id: sc.id.clone(),
                    start: secs(sc.start),
                    end: secs(sc.start + sc.frames),
                })
                .collect();
            st.captions = g
                .companions
                .captions
                .iter()
                .map(|c| Caption { start: c.start, end: c.end, text: c.text.clone() })
                .collect();
            st.page = g.companions.page.is_some();
        }
        Ok(Json(st))
    })
    .await?
}

#[derive(Deserialize)]
struct FrameQuery {
    #[serde(flatten)]
    choice: Choice,
    /// Seconds into the video.
    t: f64,
    #[serde(default, rename = "type")]
    kind: ImageKind,
}

async fn frame(State(s): State<Studio>, Query(q): Query<FrameQuery>) -> Result<Response, Failure> {
    let ws = s.ws.clone();
    let FrameQuery { choice, t, kind } = q;
    let bytes = blocking(move || ws.frame(&choice, t, kind)).await?.map_err(|e| {
        let status = match &e {
            FrameError::Refused(Refused::Data(_)) | FrameError::Encode(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            FrameError::Refused(_) => StatusCode::NOT_FOUND,
            FrameError::DoesNotBind(_) | FrameError::Time(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Failure(status, e.to_string())
    })?;
    Ok(([(header::CONTENT_TYPE, kind.mime())], bytes.as_ref().clone()).into_response())
}

/// The preview video's status, its encoding started on first ask; the page polls it.
async fn video(State(s): State<Studio>, Query(choice): Query<Choice>) -> Result<Json<Status>, Failure> {
    let ws = s.ws.clone();
    let bound = blocking(move || ws.bound(&choice).map(|b| (choice, b))).await??;
    Ok(Json(s.playback.status(&bound.0, bound.1)))
}

async fn video_file(State(s): State<Studio>, UrlPath(file): UrlPath<String>, req: Request) -> Response {
    // Only the names this studio gives its preview videos: nothing else of the disk is served.
    let ok = file
        .strip_prefix("preview-")
        .and_then(|r| r.strip_suffix(".mp4"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return StatusCode::NOT_FOUND.into_response();
    }
    match ServeFile::new(s.playback.dir().join(&file)).try_call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Each new version, as server-sent events (`reload`), so every open page redraws.
async fn events(State(s): State<Studio>) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    let rx = s.reloads.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(v) => return Some((Ok(Event::default().event("reload").data(v.to_string())), rx)),
                // Missed some: the newest one will do.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// A choice named in a page's path (`-` for the default format), so the page's relative links
/// (`fonts/…`, `video.mp4`) resolve under it.
fn page_choice(storyboard: String, format: String, id: String) -> Choice {
    Choice { storyboard, id, format: (format != "-").then_some(format) }
}

/// The landing page as `render` writes it for this customer, with its files served beside it:
/// `index.html`, `video.mp4` (the preview video), `poster.jpg`, `captions.vtt`.
async fn page_file(
    State(s): State<Studio>,
    UrlPath((storyboard, format, id, file)): UrlPath<(String, String, String, String)>,
    req: Request,
) -> Result<Response, Failure> {
    let choice = page_choice(storyboard, format, id);
    let ws = s.ws.clone();
    let (choice, bound) = blocking(move || ws.bound(&choice).map(|b| (choice, b))).await??;
    let Some(graph) = &bound.graph else {
        return Err(Failure(StatusCode::UNPROCESSABLE_ENTITY, "this record does not render".into()));
    };
    match file.as_str() {
        "index.html" => {
            let files = crate::outputs::page::Files {
                video: "video.mp4",
                poster: (!graph.companions.poster.off).then_some("poster.jpg"),
                captions: Some("captions.vtt"),
            };
            let html = crate::outputs::page::render(graph, &files)
                .ok_or_else(|| Failure(StatusCode::NOT_FOUND, "this storyboard has no `page:`".into()))?;
            Ok(Html(html).into_response())
        }
        "captions.vtt" => {
            let vtt = crate::outputs::captions::to_vtt_in(
                &graph.companions.captions,
                &graph.companions.captions_lang,
            );
            Ok(([(header::CONTENT_TYPE, "text/vtt; charset=utf-8")], vtt).into_response())
        }
        "poster.jpg" => {
            let at = graph.companions.poster.at;
            let ws = s.ws.clone();
            let bytes = blocking(move || ws.frame(&choice, at, ImageKind::Jpeg))
                .await?
                .map_err(|e| Failure(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
            Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes.as_ref().clone()).into_response())
        }
        "video.mp4" => match s.playback.status(&choice, bound.clone()) {
            Status::Ready { file, .. } => Ok(video_file(State(s), UrlPath(file), req).await),
            Status::Rendering => {
                Err(Failure(StatusCode::SERVICE_UNAVAILABLE, "the preview video is being made".into()))
            }
            Status::Failed { message } => Err(Failure(StatusCode::INTERNAL_SERVER_ERROR, message)),
        },
        _ => Err(Failure(StatusCode::NOT_FOUND, format!("no file `{file}` beside the page"))),
    }
}

/// A font the page's buttons use (only those `outputs::page::fonts` lists).
async fn page_font(
    State(s): State<Studio>,
    UrlPath((storyboard, format, id, font)): UrlPath<(String, String, String, String)>,
) -> Result<Response, Failure> {
    let choice = page_choice(storyboard, format, id);
    let ws = s.ws.clone();
    let bound = blocking(move || ws.bound(&choice)).await??;
    let graph = bound.graph.as_ref().ok_or_else(|| Failure(StatusCode::NOT_FOUND, "no page".into()))?;
    let wanted = format!("fonts/{font}");
    let (path, _) = crate::outputs::page::fonts(graph)
        .into_iter()
        .find(|(_, url)| *url == wanted)
        .ok_or_else(|| Failure(StatusCode::NOT_FOUND, format!("the page uses no font `{font}`")))?;
    let path = path.to_path_buf();
    let bytes = blocking(move || std::fs::read(path))
        .await?
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "font/otf")], bytes).into_response())
}
