//! The HTML page of `val --html` and `graph --model --html`: one
//! self-contained page that plays a graph's forward and backward pass. The
//! graph is laid out by `layout` and drawn as inline SVG in the style of
//! micrograd's `draw_dot`: a `label | data | grad` record per value and a
//! circle per op. A small script steps through the frames; what each frame
//! says is the [`Story`]'s, put in the page as JSON. No network, no external
//! fonts. The page is returned as text: the caller writes it.

use std::fmt::Write;

use serde::Serialize;

use crate::show::layout::{self, Graph};
use crate::show::network::NetworkView;
use crate::show::story::Story;
use crate::show::text::{fit_middle, four_places};
use crate::show::trace::Trace;

/// The most nodes a page draws: past this its file is tens of megabytes, and
/// a browser cannot lay it out in reasonable time.
pub const MAX_PAGE_NODES: usize = 20_000;

/// Characters of a label the drawing shows; the inspector shows all of it.
const LABEL_CHARS: usize = 24;
/// An approximate width of a character of the page's 13px sans-serif font.
const CHAR_WIDTH: f64 = 7.4;
const RECORD_HEIGHT: f64 = 30.0;
const OP_SIZE: f64 = 34.0;

/// What the page's script needs, as JSON.
#[derive(Serialize)]
struct PageData {
    names: Vec<String>,
    /// Each name as it stands in a formula: `(x1*w1 + x2*w2)`, `x1`.
    operands: Vec<String>,
    made: Vec<String>,
    ops: Vec<String>,
    data: Vec<f64>,
    inputs: Vec<Vec<usize>>,
    /// Backward's steps in order: the node, and each update as
    /// `[input, local derivative, how it is computed, the input's grad after]`.
    steps: Vec<PageStep>,
    /// The lines under the graph, for each backward frame.
    lines: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct PageStep {
    node: usize,
    updates: Vec<(usize, f64, String, f64)>,
}

/// What a page draws and plays, whatever made it: an expression's scalar
/// graph, or a trained network at the level of neurons.
struct PageGraph {
    data: PageData,
    /// Each node's column: inputs in 0.
    layers: Vec<usize>,
    /// Draw a circle for each node's op between its inputs and it
    /// (micrograd's `draw_dot`); a network's records name their activation instead.
    op_circles: bool,
    /// A weight on each edge `(input, node)`, for a network: drawn as thick
    /// as its size, blue when positive and red when negative.
    weights: Option<Vec<Vec<f64>>>,
}

/// The page of an expression's graph, `names[i]` naming `trace.nodes[i]`,
/// titled `title`.
pub fn expression_page(trace: &Trace, names: &[String], title: &str) -> String {
    let story = Story::new(trace, names);
    let ops = trace.nodes.iter().map(|value| value.op()).collect();
    render(
        &PageGraph {
            data: page_data(&story, ops),
            layers: trace.layers(),
            op_circles: true,
            weights: None,
        },
        title,
    )
}

/// The page of a trained network on one input, a record per neuron, each
/// edge drawn as thick as its weight, backpropagated from one output.
pub fn network_page(network: &NetworkView, title: &str) -> String {
    let story = network.story();
    let ops = network
        .activations
        .iter()
        .map(|activation| activation.map_or("input", |a| a.name()).to_string())
        .collect();
    render(
        &PageGraph {
            data: page_data(&story, ops),
            layers: network.trace.layers(),
            op_circles: false,
            weights: Some(network.weights.clone()),
        },
        title,
    )
}

/// What the page's script plays: the story's words, frame by frame.
fn page_data(story: &Story, ops: Vec<String>) -> PageData {
    let trace = story.trace;
    let steps = trace
        .steps
        .iter()
        .map(|step| PageStep {
            node: step.node,
            updates: step
                .updates
                .iter()
                .zip(story.formulas(step))
                .map(|(u, formula)| (u.input, u.local, formula, u.input_grad_after))
                .collect(),
        })
        .collect();
    // each frame's grads from the last's: one pass over the steps
    let mut grads = trace.initial_grads();
    let lines = (0..trace.frame_count())
        .map(|frame| {
            if let Some(step) = frame.checked_sub(1).filter(|&s| s < trace.steps.len()) {
                trace.apply(step, &mut grads);
            }
            story.explain(frame, &grads)
        })
        .collect();
    PageData {
        names: story.names.clone(),
        operands: (0..trace.nodes.len())
            .map(|node| story.operand(node))
            .collect(),
        made: story.made.clone(),
        ops,
        data: trace.nodes.iter().map(|value| value.data()).collect(),
        inputs: trace.inputs.clone(),
        steps,
        lines,
    }
}

/// The page's drawing before it is placed: a record per node (its three
/// cells' widths), a circle per op when asked, and each edge with the
/// weight it carries when there are weights.
struct Drawing {
    graph: Graph,
    cells: Vec<[f64; 3]>,
    /// Each node's op circle, as a node of `graph`.
    op_of: Vec<Option<usize>>,
    weighted: Vec<Option<f64>>,
    /// Each node's label as drawn, cut to `LABEL_CHARS`.
    shown: Vec<String>,
}

impl Drawing {
    fn new(graph: &PageGraph) -> Drawing {
        let page = &graph.data;
        let n = page.names.len();
        let column = |node: usize| {
            if graph.op_circles {
                2 * graph.layers[node]
            } else {
                graph.layers[node]
            }
        };

        // the drawing: a record per node, and a circle per op when asked
        let shown: Vec<String> = page
            .names
            .iter()
            .map(|name| fit_middle(name, LABEL_CHARS))
            .collect();
        let mut layout_graph = Graph::default();
        let mut cells = Vec::with_capacity(n);
        for (node, (shown, data)) in shown.iter().zip(&page.data).enumerate() {
            let label = format!("[ ] {shown}");
            let data = format!("data {}", four_places(*data));
            // the grad cell has room for the grads the frames will show
            let grad = "grad -99.9999".to_string();
            let widths =
                [&label, &data, &grad].map(|text| text.chars().count() as f64 * CHAR_WIDTH + 14.0);
            cells.push(widths);
            layout_graph.ranks.push(column(node));
            layout_graph
                .sizes
                .push((widths.iter().sum(), RECORD_HEIGHT));
        }
        let mut op_of = vec![None; n];
        // each drawn edge, and the weight it carries when there are weights
        let mut weighted = Vec::new();
        for node in 0..n {
            if page.inputs[node].is_empty() {
                continue;
            }
            if graph.op_circles {
                let op = layout_graph.ranks.len();
                op_of[node] = Some(op);
                layout_graph.ranks.push(column(node) - 1);
                layout_graph.sizes.push((OP_SIZE, OP_SIZE));
                for &input in &page.inputs[node] {
                    layout_graph.edges.push((input, op));
                    weighted.push(None);
                }
                layout_graph.edges.push((op, node));
                weighted.push(None);
            } else {
                for (k, &input) in page.inputs[node].iter().enumerate() {
                    layout_graph.edges.push((input, node));
                    weighted.push(graph.weights.as_ref().map(|weights| weights[node][k]));
                }
            }
        }
        Drawing {
            graph: layout_graph,
            cells,
            op_of,
            weighted,
            shown,
        }
    }
}

/// The page for `graph`, titled `title`.
fn render(graph: &PageGraph, title: &str) -> String {
    let page = &graph.data;
    let n = page.names.len();
    let Drawing {
        graph: layout_graph,
        cells,
        op_of,
        weighted,
        shown,
    } = Drawing::new(graph);
    let placed = layout::layout(&layout_graph);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg id="graph" viewBox="0 0 {w:.0} {h:.0}" data-width="{w:.0}" data-height="{h:.0}" role="img" aria-label="the graph of {title}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##,
        w = placed.width,
        h = placed.height,
        title = escape(title)
    );
    edges_svg(&mut svg, &placed, &weighted);
    for node in 0..n {
        let (cx, cy) = placed.centres[node];
        let (width, height) = layout_graph.sizes[node];
        let (left, top) = (cx - width / 2.0, cy - height / 2.0);
        let [label_width, data_width, _] = cells[node];
        let _ = write!(
            svg,
            r##"<g class="node" id="v{node}" data-node="{node}" tabindex="0" role="button" aria-label="{name}"><rect class="box" x="{left:.1}" y="{top:.1}" width="{width:.1}" height="{height:.1}" rx="3" fill="#ffffff"/><line x1="{a:.1}" y1="{top:.1}" x2="{a:.1}" y2="{bottom:.1}"/><line x1="{b:.1}" y1="{top:.1}" x2="{b:.1}" y2="{bottom:.1}"/><text x="{tl:.1}" y="{ty:.1}" class="label" id="l{node}">[ ] {shown}</text><text x="{td:.1}" y="{ty:.1}">data {data}</text><text x="{tg:.1}" y="{ty:.1}" class="grad" id="g{node}">grad 0.0000</text></g>"##,
            name = escape(&fit_middle(&page.names[node], 200)),
            a = left + label_width,
            b = left + label_width + data_width,
            bottom = top + height,
            tl = left + 7.0,
            td = left + label_width + 7.0,
            tg = left + label_width + data_width + 7.0,
            ty = cy + 4.5,
            shown = escape(&shown[node]),
            data = four_places(page.data[node]),
        );
        if let Some(op) = op_of[node] {
            let (ox, oy) = placed.centres[op];
            let _ = write!(
                svg,
                r#"<g class="op"><circle cx="{ox:.1}" cy="{oy:.1}" r="{r:.1}"/><text x="{ox:.1}" y="{ty:.1}" text-anchor="middle">{symbol}</text></g>"#,
                r = OP_SIZE / 2.0,
                ty = oy + 4.5,
                symbol = escape(&fit_middle(&page.ops[node], 5)),
            );
        }
    }
    svg.push_str("</svg>");

    let json = serde_json::to_string(page).expect("page data serialises");
    TEMPLATE
        .replace("{{TITLE}}", &escape(title))
        .replace("{{SVG}}", &svg)
        .replace("{{DATA}}", &script_safe(&json))
}

/// Each edge along its route, with an arrow: a curve across each gap
/// between columns, straight through each column it crosses (where the
/// layout held it a place). An edge with a weight is as thick as its size,
/// blue when positive and red when negative.
fn edges_svg(svg: &mut String, placed: &layout::Placed, weighted: &[Option<f64>]) {
    let largest = weighted
        .iter()
        .flatten()
        .fold(0.0f64, |largest: f64, w: &f64| largest.max(w.abs()));
    for (route, weight) in placed.routes.iter().zip(weighted) {
        let style = match weight {
            Some(w) => format!(
                r#" style="stroke:{};stroke-width:{:.2}"><title>weight {w:.4}</title></path>"#,
                if *w < 0.0 { "#c01c28" } else { "#1a5fb4" },
                0.4 + 3.6 * w.abs() / largest.max(f64::MIN_POSITIVE)
            ),
            None => "/>".to_string(),
        };
        let _ = write!(
            svg,
            r#"<path class="edge" d="{}" marker-end="url(#arrow)"{style}"#,
            path_of(route)
        );
    }
}

/// An SVG path along `route`: curves with level ends across the gaps (its
/// even hops), straight lines through columns (its odd ones).
fn path_of(route: &[(f64, f64)]) -> String {
    let mut d = format!("M{:.1},{:.1}", route[0].0, route[0].1);
    for (hop, pair) in route.windows(2).enumerate() {
        let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
        if hop % 2 == 0 {
            let bend = (x2 - x1) / 2.0;
            let _ = write!(
                d,
                " C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}",
                x1 + bend,
                x2 - bend
            );
        } else {
            let _ = write!(d, " L{x2:.1},{y2:.1}");
        }
    }
    d
}

/// Text for HTML and SVG: `& < > " '` as entities.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// JSON that can sit inside a `<script>` element: no `</script>`, no `<!--`.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
}

const TEMPLATE: &str = include_str!("page.html");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::expr;

    /// `source` built with `values`, backpropagated and traced, with names.
    fn traced(source: &str, values: &[(&str, f64)]) -> (Trace, Vec<String>) {
        let values: Vec<(String, f64)> = values
            .iter()
            .map(|(name, value)| (name.to_string(), *value))
            .collect();
        let built = expr::parse(source)
            .expect("parses")
            .build(&values)
            .expect("builds");
        built.backward_and_trace()
    }

    fn page(source: &str, values: &[(&str, f64)], title: &str) -> String {
        let (trace, names) = traced(source, values);
        expression_page(&trace, &names, title)
    }

    #[test]
    fn the_lecture_neuron_is_a_small_page() {
        let lecture = [
            ("x1", 2.0),
            ("x2", 0.0),
            ("w1", -3.0),
            ("w2", 1.0),
            ("b", 6.881_373_587_019_543),
        ];
        let html = page(
            "n = x1*w1 + x2*w2 + b; o = tanh(n)",
            &lecture,
            "the lecture's neuron",
        );
        assert!(html.len() < 100_000, "{} bytes", html.len());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(html.matches("class=\"node\"").count(), 10);
        assert_eq!(html.matches("class=\"op\"").count(), 5);
        // nothing is fetched
        for fetch in ["http://", "https://", "src=", "@import", "url(http"] {
            assert!(!html.contains(fetch), "{fetch}");
        }
    }

    #[test]
    fn labels_cannot_break_the_page() {
        let long = "x".repeat(10_000_000);
        let hostile = format!("a = 1; {long} = 2; b = a + {long}; c = b * 3");
        let html = page(&hostile, &[], "</script><script>alert(1)</script>");
        assert!(html.ends_with("</html>\n"), "the page is whole");
        assert_eq!(
            html.matches("</script>").count(),
            2,
            "the page's own two scripts only"
        );
        assert!(!html.contains("<script>alert"));
        let html = page("y = 2 * 3", &[], "a \"title\" & <b>");
        assert!(html.contains("a &quot;title&quot; &amp; &lt;b&gt;"));
    }

    /// The page's drawing of `source`, placed.
    fn placed(source: &str, values: &[(&str, f64)]) -> (Graph, layout::Placed) {
        let (trace, names) = traced(source, values);
        let story = Story::new(&trace, &names);
        let ops = trace.nodes.iter().map(|value| value.op()).collect();
        let graph = PageGraph {
            data: page_data(&story, ops),
            layers: trace.layers(),
            op_circles: true,
            weights: None,
        };
        let drawing = Drawing::new(&graph);
        let placed = layout::layout(&drawing.graph);
        (drawing.graph, placed)
    }

    /// Points along an edge's route, as `path_of` draws it.
    fn along(route: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let mut points = Vec::new();
        for (hop, pair) in route.windows(2).enumerate() {
            let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
            let bend = (x2 - x1) / 2.0;
            for k in 0..=40 {
                let t = k as f64 / 40.0;
                let point = if hop % 2 == 0 {
                    // the cubic with control points (x1 + bend, y1), (x2 - bend, y2)
                    let u = 1.0 - t;
                    let x = u * u * u * x1
                        + 3.0 * u * u * t * (x1 + bend)
                        + 3.0 * u * t * t * (x2 - bend)
                        + t * t * t * x2;
                    let y = u * u * u * y1
                        + 3.0 * u * u * t * y1
                        + 3.0 * u * t * t * y2
                        + t * t * t * y2;
                    (x, y)
                } else {
                    (x1 + t * (x2 - x1), y1 + t * (y2 - y1))
                };
                points.push(point);
            }
        }
        points
    }

    /// Regression: an edge ran under nodes that were not its ends (at
    /// `#step=5`, the edge from `b` to `n`'s `+` ran under `x1*w1 + x2*w2`,
    /// as if `b` fed it), since every leaf sat in the first column. Now a
    /// leaf sits beside its use, and a long edge holds a place in each column
    /// it crosses: no point of an edge lies inside a node's box but its ends',
    /// for the lecture's neuron, a two-neuron expression and a random
    /// expression of about 100 nodes.
    #[test]
    fn no_edge_runs_under_a_node() {
        let lecture = [
            ("x1", 2.0),
            ("x2", 0.0),
            ("w1", -3.0),
            ("w2", 1.0),
            ("b", 6.88),
        ];
        let mut random = String::from("v0 = a*b + c");
        let mut state = 7u64;
        for k in 1..40 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (i, j) = ((state >> 33) as usize % k, (state >> 40) as usize % k);
            let op = ["+", "*"][(state >> 50) as usize % 2];
            let f = if (state >> 55).is_multiple_of(3) {
                "tanh"
            } else {
                ""
            };
            random.push_str(&format!("; v{k} = {f}(v{i} {op} v{j}) + a"));
        }
        let cases: [(&str, &[(&str, f64)]); 3] = [
            ("n = x1*w1 + x2*w2 + b; o = tanh(n)", &lecture),
            (
                "h1 = tanh(x1*a1 + x2*a2 + c1); h2 = tanh(x1*b1 + x2*b2 + c2); o = h1*v1 + h2*v2 + b",
                &[
                    ("x1", 1.0),
                    ("x2", -2.0),
                    ("a1", 0.5),
                    ("a2", -0.3),
                    ("c1", 0.1),
                    ("b1", 0.2),
                    ("b2", 0.7),
                    ("c2", -0.4),
                    ("v1", 1.5),
                    ("v2", -1.1),
                    ("b", 0.3),
                ],
            ),
            (&random, &[("a", 0.5), ("b", -1.0), ("c", 0.25)]),
        ];
        for (source, values) in cases {
            let (graph, placed) = placed(source, values);
            assert!(graph.ranks.len() > 10);
            for ((from, to), route) in graph.edges.iter().zip(&placed.routes) {
                for (x, y) in along(route) {
                    for node in 0..graph.ranks.len() {
                        if node == *from || node == *to {
                            continue;
                        }
                        let ((cx, cy), (w, h)) = (placed.centres[node], graph.sizes[node]);
                        let inside =
                            (x - cx).abs() < w / 2.0 - 0.5 && (y - cy).abs() < h / 2.0 - 0.5;
                        assert!(
                            !inside,
                            "{source}: edge {from} -> {to} runs under node {node}"
                        );
                    }
                }
            }
        }
    }
}
