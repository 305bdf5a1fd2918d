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
use crate::show::network::{NetworkView, WeightGrad};
use crate::show::story::Story;
use crate::show::text::{fit_middle, fit_unique, four_places};
use crate::show::trace::Trace;

/// The most nodes a page draws: past this its file is tens of megabytes, and
/// a browser cannot lay it out in reasonable time.
pub const MAX_PAGE_NODES: usize = 20_000;

/// Characters of a label the drawing shows; the inspector shows all of it.
const LABEL_CHARS: usize = 24;
/// Characters of a label a narrow drawing's record shows (a phone's), and
/// the space between its columns.
const NARROW_LABEL_CHARS: usize = 12;
const NARROW_COLUMN_GAP: f64 = 22.0;
/// An approximate width of a character of the page's 13px sans-serif font.
const CHAR_WIDTH: f64 = 7.4;
const RECORD_HEIGHT: f64 = 30.0;
/// A tall record's rows: label, data and grad one above the other.
const TALL_ROW: f64 = 19.0;
/// A one-line record, and the space between two in a column.
const LINE_HEIGHT: f64 = 20.0;
const LINE_GAP: f64 = 5.0;
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
    /// The lines beside the graph, for each backward frame.
    lines: Vec<Vec<String>>,
    /// A network's neurons' weights and bias with their grads, by node.
    #[serde(skip_serializing_if = "Option::is_none")]
    weights: Option<Vec<Vec<WeightGrad>>>,
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
}

/// The page of an expression's graph, `names[i]` naming `trace.nodes[i]`,
/// titled `title`.
pub fn expression_page(trace: &Trace, names: &[String], title: &str) -> String {
    let story = Story::new(trace, names);
    let ops = trace.nodes.iter().map(|value| value.op()).collect();
    let lines = story_lines(&story);
    render(
        &PageGraph {
            data: page_data(&story, ops, lines),
            layers: trace.layers(),
            op_circles: true,
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
    let mut data = page_data(&story, ops, network.lines());
    data.weights = Some(network.weight_grads());
    render(
        &PageGraph {
            data,
            layers: network.trace.layers(),
            op_circles: false,
        },
        title,
    )
}

/// Each backward frame's lines, as the story tells them: one pass over the
/// steps, each frame's grads from the last's.
fn story_lines(story: &Story) -> Vec<Vec<String>> {
    let trace = story.trace;
    let mut grads = trace.initial_grads();
    (0..trace.frame_count())
        .map(|frame| {
            if let Some(step) = frame.checked_sub(1).filter(|&s| s < trace.steps.len()) {
                trace.apply(step, &mut grads);
            }
            story.explain(frame, &grads)
        })
        .collect()
}

/// What the page's script plays: the story's words, frame by frame.
fn page_data(story: &Story, ops: Vec<String>, lines: Vec<Vec<String>>) -> PageData {
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
        weights: None,
    }
}

/// How a drawing writes a node's record.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Records {
    /// `label | data | grad` side by side, as micrograd's `draw_dot`.
    Wide,
    /// The three one above the other: an expression on a narrow screen.
    Tall,
    /// `label | value` on one line, the value being what the pass computes
    /// (the grad backward, the data forward): a network on a narrow screen,
    /// where a layer of 16 must fit a phone.
    Line,
}

impl Records {
    /// A record's cells' widths (label, data, grad) and its size, for a
    /// label of `label` characters, data of `data` and grads up to `grad`.
    fn cells(self, label: usize, data: usize, grad: usize) -> ([f64; 3], (f64, f64)) {
        let width = |chars: usize, pad: f64| chars as f64 * CHAR_WIDTH + pad;
        // `[ ] x1`, `data 2.0000`, `★ grad 0.5000`
        let cells = [
            width(label + 4, 14.0),
            width(data + 5, 14.0),
            width(grad + 7, 14.0),
        ];
        match self {
            Records::Wide => (cells, (cells.iter().sum(), RECORD_HEIGHT)),
            Records::Tall => {
                let widest = cells.iter().copied().fold(0.0, f64::max);
                (cells, (widest, 3.0 * TALL_ROW))
            }
            Records::Line => {
                // `★ -0.2035` backward, `= 0.5000` forward
                let value = width(grad.max(data) + 2, 10.0);
                let label = cells[0] - 4.0;
                ([label, 0.0, value], (label + value, LINE_HEIGHT))
            }
        }
    }

    /// The name the page's script knows it by, and its ids' first letter.
    fn name(self) -> &'static str {
        match self {
            Records::Wide => "wide",
            Records::Tall => "tall",
            Records::Line => "line",
        }
    }
}

/// The page's drawing before it is placed: a record per node (its cells'
/// widths), a circle per op when asked, and which record each edge leads
/// to, and from.
struct Drawing {
    graph: Graph,
    records: Records,
    /// Label, data and grad cells; a `Line` record's data cell is empty.
    cells: Vec<[f64; 3]>,
    /// Each node's op circle, as a node of `graph`.
    op_of: Vec<Option<usize>>,
    /// Each edge's records: where it comes from, and the node it feeds.
    ends: Vec<(usize, usize)>,
    /// Each node's label as drawn, cut to fit.
    shown: Vec<String>,
}

impl Drawing {
    fn new(graph: &PageGraph, records: Records) -> Drawing {
        let page = &graph.data;
        let n = page.names.len();
        let column = |node: usize| {
            if graph.op_circles {
                2 * graph.layers[node]
            } else {
                graph.layers[node]
            }
        };
        let label_chars = match records {
            Records::Wide => LABEL_CHARS,
            Records::Tall | Records::Line => NARROW_LABEL_CHARS,
        };
        let named: Vec<(usize, &str)> = page
            .names
            .iter()
            .enumerate()
            .map(|(node, name)| (node, name.as_str()))
            .collect();
        let shown = fit_unique(&named, label_chars);
        let mut layout_graph = Graph::default();
        if records != Records::Wide {
            layout_graph.column_gap = NARROW_COLUMN_GAP;
        }
        if records == Records::Line {
            layout_graph.row_gap = LINE_GAP;
        }
        let mut cells = Vec::with_capacity(n);
        // the grad cells have room for the widest grad the frames show
        let widest = page
            .steps
            .iter()
            .flat_map(|step| step.updates.iter().map(|update| update.3))
            .chain([1.0])
            .map(|grad| four_places(grad).len())
            .max()
            .unwrap_or(6);
        for (node, (shown, data)) in shown.iter().zip(&page.data).enumerate() {
            let (widths, size) =
                records.cells(shown.chars().count(), four_places(*data).len(), widest);
            cells.push(widths);
            layout_graph.ranks.push(column(node));
            layout_graph.sizes.push(size);
        }
        let mut op_of = vec![None; n];
        let mut ends = Vec::new();
        for (node, inputs) in page.inputs.iter().enumerate() {
            if inputs.is_empty() {
                continue;
            }
            let target = if graph.op_circles {
                let op = layout_graph.ranks.len();
                op_of[node] = Some(op);
                layout_graph.ranks.push(column(node) - 1);
                layout_graph.sizes.push((OP_SIZE, OP_SIZE));
                layout_graph.edges.push((op, node));
                ends.push((node, node));
                op
            } else {
                node
            };
            for &input in inputs {
                layout_graph.edges.push((input, target));
                ends.push((input, node));
            }
        }
        Drawing {
            graph: layout_graph,
            records,
            cells,
            op_of,
            ends,
            shown,
        }
    }
}

/// The page for `graph`, titled `title`: two drawings of it, records side
/// by side for wide screens and one above the other for phones; the
/// script shows the one that suits the window.
fn render(graph: &PageGraph, title: &str) -> String {
    let narrow = if graph.op_circles {
        Records::Tall
    } else {
        Records::Line
    };
    let mut svgs = String::new();
    for records in [Records::Wide, narrow] {
        svgs.push_str(&drawing_svg(graph, &Drawing::new(graph, records), title));
    }
    let json = serde_json::to_string(&graph.data).expect("page data serialises");
    TEMPLATE
        .replace("{{TITLE}}", &escape(title))
        .replace("{{SVG}}", &svgs)
        .replace("{{DATA}}", &script_safe(&json))
}

/// One drawing of `graph` as SVG: its edges, then a record per node and a
/// circle per op. Ids start with the first letter of its records' name.
fn drawing_svg(graph: &PageGraph, drawing: &Drawing, title: &str) -> String {
    let page = &graph.data;
    let placed = layout::layout(&drawing.graph);
    let kind = drawing.records.name();
    let prefix = &kind[..1];
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg id="graph-{kind}" class="graph" viewBox="0 0 {w:.0} {h:.0}" data-width="{w:.0}" data-height="{h:.0}" role="img" aria-label="the graph of {title}"><defs><marker id="{prefix}arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##,
        w = placed.width,
        h = placed.height,
        title = escape(title)
    );
    edges_svg(&mut svg, &placed, drawing, page, prefix);
    for node in 0..page.names.len() {
        let (cx, cy) = placed.centres[node];
        let (width, height) = drawing.graph.sizes[node];
        record_svg(
            &mut svg,
            drawing,
            page,
            node,
            (cx - width / 2.0, cy - height / 2.0),
            prefix,
        );
        if let Some(op) = drawing.op_of[node] {
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
    svg
}

/// Node `node`'s record with its top left corner at `corner`: its cells
/// side by side, or one above the other in a tall drawing.
fn record_svg(
    svg: &mut String,
    drawing: &Drawing,
    page: &PageData,
    node: usize,
    (left, top): (f64, f64),
    prefix: &str,
) {
    let (width, height) = drawing.graph.sizes[node];
    let [label_width, data_width, _] = drawing.cells[node];
    // the lines between the cells, and where each cell's text starts
    let ty = top + height / 2.0 + 4.5;
    let (dividers, texts): (Vec<_>, Vec<_>) = match drawing.records {
        Records::Tall => {
            let (y1, y2) = (top + TALL_ROW, top + 2.0 * TALL_ROW);
            let row = |k: f64| (left + 7.0, top + k * TALL_ROW + 13.5);
            (
                vec![(left, y1, left + width, y1), (left, y2, left + width, y2)],
                vec![row(0.0), row(1.0), row(2.0)],
            )
        }
        Records::Wide => {
            let (a, b) = (left + label_width, left + label_width + data_width);
            (
                vec![(a, top, a, top + height), (b, top, b, top + height)],
                vec![(left + 7.0, ty), (a + 7.0, ty), (b + 7.0, ty)],
            )
        }
        Records::Line => {
            let a = left + label_width;
            (
                vec![(a, top, a, top + height)],
                vec![(left + 5.0, ty), (a + 5.0, ty)],
            )
        }
    };
    let _ = write!(
        svg,
        r##"<g class="node" id="{prefix}v{node}" data-node="{node}" tabindex="0" role="button" aria-label="{name}"><rect class="box" x="{left:.1}" y="{top:.1}" width="{width:.1}" height="{height:.1}" rx="3" fill="#ffffff"/>"##,
        name = escape(&fit_middle(&page.names[node], 200)),
    );
    for (x1, y1, x2, y2) in dividers {
        let _ = write!(
            svg,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}"/>"#
        );
    }
    let label = format!("[ ] {}", escape(&drawing.shown[node]));
    let words = match drawing.records {
        Records::Line => vec![("label", label), ("grad", "0.0000".to_string())],
        _ => vec![
            ("label", label),
            ("data", format!("data {}", four_places(page.data[node]))),
            ("grad", "grad 0.0000".to_string()),
        ],
    };
    for ((x, y), (class, text)) in texts.into_iter().zip(words) {
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{y:.1}" class="{class}">{text}</text>"#
        );
    }
    svg.push_str("</g>");
}

/// Each edge along its route, with an arrow: a curve across each gap
/// between columns, straight through each column it crosses (where the
/// layout held it a place). Each says which records it joins
/// (`data-from`, `data-to`). On a network's page an edge is its weight: as
/// thick as its size, blue when positive and red when negative, named
/// by its neuron (`L2.N3.w1`).
fn edges_svg(
    svg: &mut String,
    placed: &layout::Placed,
    drawing: &Drawing,
    page: &PageData,
    prefix: &str,
) {
    // each edge's weight and name, on a network's page
    let weighted: Vec<Option<&WeightGrad>> = drawing
        .ends
        .iter()
        .map(|&(from, to)| {
            let k = page.inputs[to].iter().position(|&input| input == from)?;
            page.weights.as_ref()?.get(to)?.get(k)
        })
        .collect();
    let largest = weighted
        .iter()
        .flatten()
        .fold(0.0f64, |largest, w| largest.max(w.data.abs()));
    for ((route, weight), (from, to)) in placed.routes.iter().zip(&weighted).zip(&drawing.ends) {
        let style = match weight {
            Some(w) => format!(
                r#" style="stroke:{};stroke-width:{:.2}"><title>{} = {}</title></path>"#,
                if w.data < 0.0 { "#c01c28" } else { "#1a5fb4" },
                0.4 + 3.6 * w.data.abs() / largest.max(f64::MIN_POSITIVE),
                escape(&w.name),
                four_places(w.data)
            ),
            None => "/>".to_string(),
        };
        let _ = write!(
            svg,
            r#"<path class="edge" data-from="{from}" data-to="{to}" d="{}" marker-end="url(#{prefix}arrow)"{style}"#,
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
        // two drawings: records side by side, and one above the other
        assert_eq!(html.matches("class=\"node\"").count(), 2 * 10);
        assert_eq!(html.matches("class=\"op\"").count(), 2 * 5);
        assert!(html.contains("id=\"graph-wide\"") && html.contains("id=\"graph-tall\""));
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

    /// The page's drawing of `source` with `records`, placed.
    fn placed(source: &str, values: &[(&str, f64)], records: Records) -> (Graph, layout::Placed) {
        let (trace, names) = traced(source, values);
        let story = Story::new(&trace, &names);
        let ops = trace.nodes.iter().map(|value| value.op()).collect();
        let lines = story_lines(&story);
        let graph = PageGraph {
            data: page_data(&story, ops, lines),
            layers: trace.layers(),
            op_circles: true,
        };
        let drawing = Drawing::new(&graph, records);
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

    /// The three graphs the geometry tests lay out: the lecture's neuron, a
    /// two-neuron expression and a random expression of about 100 nodes
    /// (each `vK` made from one or two earlier ones and `a`).
    fn geometry_cases() -> Vec<(String, Vec<(&'static str, f64)>)> {
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
        let lecture = vec![
            ("x1", 2.0),
            ("x2", 0.0),
            ("w1", -3.0),
            ("w2", 1.0),
            ("b", 6.88),
        ];
        let two = vec![
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
        ];
        vec![
            ("n = x1*w1 + x2*w2 + b; o = tanh(n)".into(), lecture),
            (
                "h1 = tanh(x1*a1 + x2*a2 + c1); h2 = tanh(x1*b1 + x2*b2 + c2); o = h1*v1 + h2*v2 + b"
                    .into(),
                two,
            ),
            (random, vec![("a", 0.5), ("b", -1.0), ("c", 0.25)]),
        ]
    }

    /// Regression: an edge ran under nodes that were not its ends (at
    /// `#step=5`, the edge from `b` to `n`'s `+` ran under `x1*w1 + x2*w2`,
    /// as if `b` fed it), since every leaf sat in the first column. Now a
    /// leaf sits beside its use, and a long edge holds a place in each column
    /// it crosses: no point of an edge lies inside a node's box but its ends',
    /// and no two boxes overlap, in both drawings of the three geometry cases.
    #[test]
    fn no_edge_runs_under_a_node() {
        for (source, values) in geometry_cases() {
            for records in [Records::Wide, Records::Tall] {
                let (graph, placed) = placed(&source, &values, records);
                assert!(graph.ranks.len() > 10);
                let n = graph.ranks.len();
                let boxes: Vec<_> = (0..n)
                    .map(|node| (placed.centres[node], graph.sizes[node]))
                    .collect();
                for (a, &((xa, ya), (wa, ha))) in boxes.iter().enumerate() {
                    for &((xb, yb), (wb, hb)) in &boxes[a + 1..] {
                        let overlap =
                            (xa - xb).abs() < (wa + wb) / 2.0 && (ya - yb).abs() < (ha + hb) / 2.0;
                        assert!(!overlap, "{source}: node {a} overlaps another");
                    }
                }
                for ((from, to), route) in graph.edges.iter().zip(&placed.routes) {
                    for (x, y) in along(route) {
                        for (node, &((cx, cy), (w, h))) in boxes.iter().enumerate() {
                            if node == *from || node == *to {
                                continue;
                            }
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

    /// An edge as drawn: its ends, and points along it.
    type Drawn = ((usize, usize), Vec<(f64, f64)>);

    /// How many times edges cross, counted on the drawn curves: each edge
    /// as the polyline of points along it (`along` for ours, the same
    /// sampling of Graphviz's Bézier pieces for `dot`'s), each pair of
    /// edges with no end in common (edges that share a node meet there by
    /// design), each place where two of their segments cross or touch
    /// counted once (places closer than a unit are one: curves that cross at
    /// a point of both polylines touch in four pairs of segments).
    fn crossings(edges: &[Drawn]) -> usize {
        type Point = (f64, f64);
        let side =
            |a: Point, b: Point, c: Point| (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
        // where segments pq and rs meet, if they do and are not parallel
        let meet = |p: Point, q: Point, r: Point, s: Point| {
            let (d1, d2) = (side(p, q, r), side(p, q, s));
            let (d3, d4) = (side(r, s, p), side(r, s, q));
            if d1 * d2 > 0.0 || d3 * d4 > 0.0 || d3 == d4 {
                return None;
            }
            let t = d3 / (d3 - d4);
            Some((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)))
        };
        let mut count = 0;
        for (i, ((a, b), first)) in edges.iter().enumerate() {
            for ((c, d), second) in &edges[i + 1..] {
                if a == c || a == d || b == c || b == d {
                    continue;
                }
                let mut places: Vec<Point> = Vec::new();
                for p in first.windows(2) {
                    for q in second.windows(2) {
                        if let Some(at) = meet(p[0], p[1], q[0], q[1]) {
                            let (x, y) = at;
                            if places.iter().all(|&(u, v)| (u - x).hypot(v - y) >= 1.0) {
                                places.push(at);
                            }
                        }
                    }
                }
                count += places.len();
            }
        }
        count
    }

    /// `graph` laid out by Graphviz's `dot` (left to right, each node a box
    /// of its size), as each edge's points along its curve; `None` when
    /// Graphviz is not installed (and CI, which installs it, has not said
    /// it must be).
    fn dot_edges(graph: &Graph) -> Option<Vec<Drawn>> {
        use std::io::Write as _;
        use std::process::{Command, Stdio};
        let mut source = String::from("digraph { rankdir=LR; nodesep=0.2; ranksep=0.5;\n");
        for (node, (w, h)) in graph.sizes.iter().enumerate() {
            let _ = writeln!(
                source,
                "n{node} [shape=box, fixedsize=true, label=\"\", width={:.3}, height={:.3}];",
                w / 72.0,
                h / 72.0
            );
        }
        for (from, to) in &graph.edges {
            let _ = writeln!(source, "n{from} -> n{to};");
        }
        source.push('}');
        let child = Command::new("dot")
            .arg("-Tplain")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(_) if std::env::var_os("MICROGRAD_REQUIRE_GRAPHVIZ").is_none() => return None,
            Err(err) => panic!("MICROGRAD_REQUIRE_GRAPHVIZ is set but dot cannot run: {err}"),
        };
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(source.as_bytes())
            .expect("dot reads");
        let plain = String::from_utf8(child.wait_with_output().expect("dot runs").stdout)
            .expect("dot writes text");
        let node = |word: &str| word[1..].parse::<usize>().expect("a node n<i>");
        let edges = plain
            .lines()
            .filter_map(|line| line.strip_prefix("edge "))
            .map(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                let count: usize = words[2].parse().expect("a point count");
                let points: Vec<(f64, f64)> = (0..count)
                    .map(|k| {
                        let x: f64 = words[3 + 2 * k].parse().expect("x");
                        let y: f64 = words[4 + 2 * k].parse().expect("y");
                        (x * 72.0, y * 72.0)
                    })
                    .collect();
                // a B-spline of cubic Bézier pieces: p0, then three points each
                let mut along = vec![points[0]];
                for piece in points[1..].chunks(3).filter(|piece| piece.len() == 3) {
                    let p0 = *along.last().expect("a start");
                    for k in 1..=40 {
                        let t = k as f64 / 40.0;
                        let u = 1.0 - t;
                        let at = |f: fn((f64, f64)) -> f64| {
                            u * u * u * f(p0)
                                + 3.0 * u * u * t * f(piece[0])
                                + 3.0 * u * t * t * f(piece[1])
                                + t * t * t * f(piece[2])
                        };
                        along.push((at(|p| p.0), at(|p| p.1)));
                    }
                }
                ((node(words[0]), node(words[1])), along)
            })
            .collect();
        Some(edges)
    }

    /// The layout crosses edges no more often than Graphviz's `dot` does on
    /// the same graph (the same boxes and edges), counted the same way (see
    /// `crossings`), for the three geometry cases in both drawings.
    #[test]
    fn edges_cross_no_more_often_than_under_graphviz() {
        for (source, values) in geometry_cases() {
            for records in [Records::Wide, Records::Tall] {
                let (graph, placed) = placed(&source, &values, records);
                let Some(theirs) = dot_edges(&graph) else {
                    eprintln!("skipped: Graphviz's dot is not installed");
                    return;
                };
                let ours: Vec<_> = graph
                    .edges
                    .iter()
                    .zip(&placed.routes)
                    .map(|(&edge, route)| (edge, along(route)))
                    .collect();
                let (ours, theirs) = (crossings(&ours), crossings(&theirs));
                eprintln!("{records:?} {source:.30}: ours {ours}, dot {theirs}");
                assert!(ours <= theirs, "{source}: {ours} crossings, dot {theirs}");
            }
        }
    }
}
