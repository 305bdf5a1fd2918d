//! `micrograd val --html FILE`: one self-contained page that plays an
//! expression's forward and backward pass. The graph is laid out here
//! (`micrograd::layout`) and drawn as inline SVG in the style of micrograd's
//! `draw_dot`: a `label | data | grad` record per value and a circle per op.
//! A small script steps through the frames `val --visualize` shows; the
//! data it needs sits in the page as JSON. No network, no external fonts.

use std::fmt::Write;

use micrograd::layout::{self, Graph};
use serde::Serialize;

use super::expression::Expression;
use super::visualize::Frames;

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
    made: Vec<String>,
    ops: Vec<String>,
    data: Vec<f64>,
    inputs: Vec<Vec<usize>>,
    /// Backward's steps in order: the node, and each update as
    /// `[input, local derivative, its formula, the input's grad after]`.
    steps: Vec<PageStep>,
    /// The lines under the graph, for each backward frame.
    lines: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct PageStep {
    node: usize,
    updates: Vec<(usize, f64, String, f64)>,
}

/// The page for `expression`, titled `title`.
pub fn page(expression: &Expression, title: &str) -> String {
    let trace = &expression.trace;
    let frames = Frames::new(expression);
    let n = trace.nodes.len();
    let layers = trace.layers();

    // the drawing: a record per value, a circle per op between its inputs and it
    let shown: Vec<String> = frames
        .names
        .iter()
        .map(|name| fit_middle(name, LABEL_CHARS))
        .collect();
    let mut graph = Graph::default();
    let mut cells = Vec::with_capacity(n);
    for (node, value) in trace.nodes.iter().enumerate() {
        let label = format!("[ ] {}", shown[node]);
        let data = format!("data {:.4}", value.data());
        // the grad cell has room for the grads the frames will show
        let grad = "grad -99.9999".to_string();
        let widths =
            [&label, &data, &grad].map(|text| text.chars().count() as f64 * CHAR_WIDTH + 14.0);
        cells.push(widths);
        graph.ranks.push(2 * layers[node]);
        graph.sizes.push((widths.iter().sum(), RECORD_HEIGHT));
    }
    let mut op_of = vec![None; n];
    for node in 0..n {
        if trace.inputs[node].is_empty() {
            continue;
        }
        let op = graph.ranks.len();
        op_of[node] = Some(op);
        graph.ranks.push(2 * layers[node] - 1);
        graph.sizes.push((OP_SIZE, OP_SIZE));
        for &input in &trace.inputs[node] {
            graph.edges.push((input, op));
        }
        graph.edges.push((op, node));
    }
    let placed = layout::layout(&graph);

    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg id="graph" viewBox="0 0 {w:.0} {h:.0}" data-width="{w:.0}" data-height="{h:.0}" role="img" aria-label="the graph of {title}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##,
        w = placed.width,
        h = placed.height,
        title = escape(title)
    );
    for &(from, to) in &graph.edges {
        let (fx, fy) = placed.centres[from];
        let (tx, ty) = placed.centres[to];
        let (x1, x2) = (fx + graph.sizes[from].0 / 2.0, tx - graph.sizes[to].0 / 2.0);
        let bend = (x2 - x1) / 2.0;
        let _ = write!(
            svg,
            r#"<path class="edge" d="M{x1:.1},{fy:.1} C{:.1},{fy:.1} {:.1},{ty:.1} {x2:.1},{ty:.1}" marker-end="url(#arrow)"/>"#,
            x1 + bend,
            x2 - bend
        );
    }
    for (node, value) in trace.nodes.iter().enumerate() {
        let (cx, cy) = placed.centres[node];
        let (width, height) = graph.sizes[node];
        let (left, top) = (cx - width / 2.0, cy - height / 2.0);
        let [label_width, data_width, _] = cells[node];
        let _ = write!(
            svg,
            r##"<g class="node" id="v{node}" data-node="{node}" tabindex="0" role="button" aria-label="{name}"><rect class="box" x="{left:.1}" y="{top:.1}" width="{width:.1}" height="{height:.1}" rx="3" fill="#ffffff"/><line x1="{a:.1}" y1="{top:.1}" x2="{a:.1}" y2="{bottom:.1}"/><line x1="{b:.1}" y1="{top:.1}" x2="{b:.1}" y2="{bottom:.1}"/><text x="{tl:.1}" y="{ty:.1}" class="label" id="l{node}">[ ] {shown}</text><text x="{td:.1}" y="{ty:.1}">data {data:.4}</text><text x="{tg:.1}" y="{ty:.1}" class="grad" id="g{node}">grad 0.0000</text></g>"##,
            name = escape(&fit_middle(&frames.names[node], 200)),
            a = left + label_width,
            b = left + label_width + data_width,
            bottom = top + height,
            tl = left + 7.0,
            td = left + label_width + 7.0,
            tg = left + label_width + data_width + 7.0,
            ty = cy + 4.5,
            shown = escape(&shown[node]),
            data = value.data(),
        );
        if let Some(op) = op_of[node] {
            let (ox, oy) = placed.centres[op];
            let _ = write!(
                svg,
                r#"<g class="op"><circle cx="{ox:.1}" cy="{oy:.1}" r="{r:.1}"/><text x="{ox:.1}" y="{ty:.1}" text-anchor="middle">{symbol}</text></g>"#,
                r = OP_SIZE / 2.0,
                ty = oy + 4.5,
                symbol = escape(&fit_middle(&value.op(), 5)),
            );
        }
    }
    svg.push_str("</svg>");

    let data = PageData {
        names: frames.names.clone(),
        made: frames.made.clone(),
        ops: trace.nodes.iter().map(|value| value.op()).collect(),
        data: trace.nodes.iter().map(|value| value.data()).collect(),
        inputs: trace.inputs.clone(),
        steps: trace
            .steps
            .iter()
            .map(|step| PageStep {
                node: step.node,
                updates: step
                    .updates
                    .iter()
                    .map(|u| (u.input, u.local, u.formula.clone(), u.input_grad_after))
                    .collect(),
            })
            .collect(),
        lines: (0..frames.count())
            .map(|frame| frames.explain(frame, &trace.grads_after(frame)))
            .collect(),
    };
    let json = serde_json::to_string(&data).expect("page data serialises");
    TEMPLATE
        .replace("{{TITLE}}", &escape(title))
        .replace("{{SVG}}", &svg)
        .replace("{{DATA}}", &script_safe(&json))
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

/// `text` in at most `width` characters, the middle given up for `…`.
fn fit_middle(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    let head = (width - 1).div_ceil(2);
    let tail = width - 1 - head;
    let mut fitted: String = chars[..head].iter().collect();
    fitted.push('…');
    fitted.extend(&chars[chars.len() - tail..]);
    fitted
}

const TEMPLATE: &str = include_str!("page.html");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::expression::ExpressionArgs;

    fn expression(expr: &str) -> Expression {
        ExpressionArgs {
            expr: Some(expr.to_string()),
            expr_file: None,
            set: Vec::new(),
        }
        .build()
        .expect("a valid expression")
    }

    #[test]
    fn the_lecture_neuron_is_a_small_page() {
        let expression = ExpressionArgs {
            expr: None,
            expr_file: None,
            set: Vec::new(),
        }
        .build()
        .expect("the default");
        let html = page(&expression, "the lecture's neuron");
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
        let html = page(&expression(&hostile), "</script><script>alert(1)</script>");
        assert!(html.ends_with("</html>\n"), "the page is whole");
        assert_eq!(
            html.matches("</script>").count(),
            2,
            "the page's own two scripts only"
        );
        assert!(!html.contains("<script>alert"));
        let sneaky = expression("y = 2 * 3");
        let html = page(&sneaky, "a \"title\" & <b>");
        assert!(html.contains("a &quot;title&quot; &amp; &lt;b&gt;"));
    }
}
