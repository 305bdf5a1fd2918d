//! The playground's HTTP side, on axum: one page and a small JSON API.
//! A local dev server's manners: requests must name the host it serves (no
//! DNS rebinding), a POST from another origin is refused, bodies are
//! capped, and bad input is a message for the page (400 or 413 with
//! `{"error": ...}`), never a 500.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use micrograd::show::network::Network;
use micrograd::show::page;
use serde::Deserialize;

use super::session::{Session, Settings};
use crate::cli::expression::ExpressionArgs;

/// The largest request body: an uploaded CSV, in bytes.
pub const MAX_BODY: usize = 10 * 1024 * 1024;
/// The longest expression the page may send.
pub const MAX_EXPRESSION: usize = 10_000;
/// Runs held at once; a new one ends the oldest.
const MAX_SESSIONS: usize = 4;

const PAGE: &str = include_str!("page.html");

/// What the handlers share.
pub struct Shared {
    /// The `Host` values a request may carry: the loopback names with the port.
    pub hosts: Vec<String>,
    /// The CSV `micrograd play --data` named, or the page uploaded last.
    pub file: Mutex<Option<String>>,
    sessions: Mutex<BTreeMap<u64, Arc<Session>>>,
    next_id: Mutex<u64>,
}

impl Shared {
    pub fn new(hosts: Vec<String>, file: Option<String>) -> Shared {
        Shared {
            hosts,
            file: Mutex::new(file),
            sessions: Mutex::new(BTreeMap::new()),
            next_id: Mutex::new(1),
        }
    }

    /// Stops every run: the server is going.
    pub fn stop_all(&self) {
        self.sessions.lock().expect("the sessions lock").clear();
    }

    fn session(&self, id: u64) -> Result<Arc<Session>, Refusal> {
        self.sessions
            .lock()
            .expect("the sessions lock")
            .get(&id)
            .cloned()
            .ok_or_else(|| {
                Refusal::bad(format!("no run {id}: it ended; press play to start again"))
            })
    }
}

/// A request refused, with a message for the page.
pub struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn bad(message: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message }).to_string();
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

/// The routes, guarded.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/api/expression", post(expression))
        .route("/api/data", post(upload))
        .route("/api/run", post(start))
        .route("/api/run/{id}/control", post(control))
        .route("/api/run/{id}/frames", get(frames))
        .route("/api/run/{id}/point", post(point))
        .route("/api/run/{id}/download", get(download))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), guard))
        .with_state(shared)
}

/// Refuses a request for another host (DNS rebinding) and a POST from
/// another origin; a body over the cap is refused by the limit layer.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !shared.hosts.iter().any(|known| known == host) {
        return Refusal {
            status: StatusCode::FORBIDDEN,
            message: format!(
                "this server answers to {} only, not Host {host:?}",
                shared.hosts[0]
            ),
        }
        .into_response();
    }
    if request.method() == axum::http::Method::POST && !same_origin(headers, &shared.hosts) {
        return Refusal {
            status: StatusCode::FORBIDDEN,
            message: "a POST from another origin".into(),
        }
        .into_response();
    }
    if let Some(length) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
        && length > MAX_BODY as u64
    {
        return Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!(
                "{length} bytes is more than the {} MB the playground takes",
                MAX_BODY / (1024 * 1024)
            ),
        }
        .into_response();
    }
    next.run(request).await
}

/// A POST's `Origin` (or, without one, its `Referer`) is this server; a
/// request with neither comes from no page (a test, curl) and passes.
fn same_origin(headers: &HeaderMap, hosts: &[String]) -> bool {
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    match from {
        None => true,
        Some(origin) => hosts.iter().any(|host| {
            let ours = format!("http://{host}");
            origin == ours || origin.starts_with(&format!("{ours}/"))
        }),
    }
}

/// A JSON body as `T`, or a message naming what is wrong with it.
fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|err| Refusal::bad(format!("the request: {err}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpressionRequest {
    expr: String,
    #[serde(default)]
    set: String,
}

/// An expression's backprop page (the page `val --html` writes), or its
/// error as the command line says it.
async fn expression(body: Bytes) -> Result<Response, Refusal> {
    let request: ExpressionRequest = parse(&body)?;
    if request.expr.chars().count() > MAX_EXPRESSION {
        return Err(Refusal::bad(format!(
            "the expression is longer than {MAX_EXPRESSION} characters"
        )));
    }
    let mut set = Vec::new();
    for item in request
        .set
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        set.push(crate::cli::expression::parse_assignment(item).map_err(Refusal::bad)?);
    }
    let args = ExpressionArgs {
        expr: Some(request.expr.clone()),
        expr_file: None,
        set,
    };
    let built = tokio::task::spawn_blocking(move || {
        let expression = args.build().map_err(|err| format!("{err:#}"))?;
        if expression.trace.nodes.len() > page::MAX_PAGE_NODES {
            return Err(format!(
                "{} nodes: a page draws at most {}",
                expression.trace.nodes.len(),
                page::MAX_PAGE_NODES
            ));
        }
        let output = expression.trace.nodes.last().map(|node| node.data());
        let html = page::expression_page(
            &expression.trace,
            &expression.names,
            &format!("backprop through {}", request.expr),
        );
        Ok((html, output))
    })
    .await
    .map_err(|err| Refusal::bad(format!("the expression could not be built: {err}")))?;
    let (html, output) = built.map_err(Refusal::bad)?;
    Ok(axum::Json(serde_json::json!({ "html": html, "output": output })).into_response())
}

/// A CSV the page dropped: kept for runs of `"data": "file"`.
async fn upload(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Refusal> {
    let text =
        String::from_utf8(body.to_vec()).map_err(|_| Refusal::bad("the file is not UTF-8 text"))?;
    let dataset = micrograd::train::data::Dataset::from_csv(&text, &Default::default())
        .map_err(|err| Refusal::bad(format!("the file: {err}")))?;
    let answer = serde_json::json!({
        "rows": dataset.len(),
        "features": dataset.feature_names,
        "target": dataset.target_name,
    });
    *shared.file.lock().expect("the file lock") = Some(text);
    Ok(axum::Json(answer).into_response())
}

/// Starts a run, paused, ending the page's last one.
async fn start(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Refusal> {
    #[derive(Deserialize)]
    struct StartRequest {
        settings: Settings,
        /// The run this one replaces.
        #[serde(default)]
        replaces: Option<u64>,
    }
    let request: StartRequest = parse(&body)?;
    let id = {
        let mut next = shared.next_id.lock().expect("the id lock");
        *next += 1;
        *next - 1
    };
    let file = shared.file.lock().expect("the file lock").clone();
    let settings = request.settings;
    let (session, started) =
        tokio::task::spawn_blocking(move || Session::start(id, &settings, file.as_deref()))
            .await
            .map_err(|err| Refusal::bad(err.to_string()))?
            .map_err(Refusal::bad)?;
    let mut sessions = shared.sessions.lock().expect("the sessions lock");
    if let Some(old) = request.replaces {
        sessions.remove(&old);
    }
    while sessions.len() >= MAX_SESSIONS {
        sessions.pop_first();
    }
    sessions.insert(id, Arc::new(session));
    Ok(axum::Json(started).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlRequest {
    playing: bool,
    #[serde(default)]
    steps: usize,
    /// The most steps a second while playing; 0 or none for no limit.
    #[serde(default)]
    rate: Option<f64>,
}

/// Play, pause, or a number of steps.
async fn control(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let request: ControlRequest = parse(&body)?;
    shared
        .session(id)?
        .control(request.playing, request.steps.min(1_000_000), request.rate);
    Ok(axum::Json(serde_json::json!({ "ok": true })).into_response())
}

/// The run's frames as Server-Sent Events, the newest each time; the run
/// ends when the page goes (its stream is dropped).
async fn frames(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Refusal> {
    let session = shared.session(id)?;
    let receiver = session.frames.clone();
    // the last holder of this ends the run when the stream goes
    let ender = EndOnDrop {
        shared: Arc::clone(&shared),
        id,
    };
    let stream =
        futures_util::stream::unfold((receiver, ender), |(mut receiver, ender)| async move {
            receiver.changed().await.ok()?;
            let frame = Arc::clone(&receiver.borrow_and_update());
            let event = Event::default().json_data(&*frame).ok()?;
            Some((Ok(event), (receiver, ender)))
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Ends run `id` when dropped: the page that watched it has gone.
struct EndOnDrop {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        self.shared
            .sessions
            .lock()
            .expect("the sessions lock")
            .remove(&self.id);
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PointRequest {
    x: Vec<f64>,
}

/// The network page of one data point through the run's current model:
/// its forward pass and backward from the output, a neuron at a time.
async fn point(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let request: PointRequest = parse(&body)?;
    let session = shared.session(id)?;
    let saved = session
        .latest
        .lock()
        .expect("the latest lock")
        .clone()
        .ok_or_else(|| Refusal::bad("the run has no steps yet: press play or step"))?;
    // a point of the plane, when there is one; else the features themselves
    let plane = session.plane.as_ref();
    let wanted = plane.map_or(saved.features.len(), |plane| plane.columns.len());
    if request.x.len() != wanted || request.x.iter().any(|x| !x.is_finite()) {
        return Err(Refusal::bad(format!("a point has {wanted} finite numbers")));
    }
    let features = plane.map_or_else(|| request.x.clone(), |plane| plane.apply(&request.x));
    let html = tokio::task::spawn_blocking(move || {
        let x = match &saved.standardization {
            Some(scaling) => scaling.apply(&features),
            None => features,
        };
        let model = saved.to_mlp();
        let network = Network::new(&model, &saved.features, &x, 1, false)?;
        let shown: Vec<String> = request.x.iter().map(|x| format!("{x:.3}")).collect();
        let title = format!(
            "backprop of the point ({}) after {} steps",
            shown.join(", "),
            saved.metrics.steps
        );
        Some(page::network_page(&network.view(), &title))
    })
    .await
    .map_err(|err| Refusal::bad(err.to_string()))?
    .ok_or_else(|| Refusal::bad("the model has no output"))?;
    Ok(axum::Json(serde_json::json!({ "html": html })).into_response())
}

/// The run as `micrograd train` reproduces it: the model file as it stands,
/// the config of that many steps, and the data.
async fn download(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
) -> Result<Response, Refusal> {
    let session = shared.session(id)?;
    let made = tokio::task::spawn_blocking(move || {
        let saved = session.model_now()?;
        let config = session.config_at(saved.metrics.steps);
        Some((saved.to_json(), config, session.csv.to_string()))
    })
    .await
    .map_err(|err| Refusal::bad(err.to_string()))?;
    let (model, config, data) = made.ok_or_else(|| Refusal::bad("the run has ended"))?;
    Ok(axum::Json(serde_json::json!({
        "model": model,
        "config": config,
        "data": data,
        "data_file": super::session::DATA_FILE,
    }))
    .into_response())
}
