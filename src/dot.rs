//! Graphviz DOT for a traced graph, in the style of micrograd's `draw_dot`:
//! a record per value (`{ label | data | grad }`), a small node per op, edges
//! from inputs through the op to its output. Returns text; the caller writes it.

use std::fmt::Write;

use crate::trace::{State, Trace};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankDir {
    LeftRight,
    TopBottom,
}

#[derive(Clone, Debug)]
pub struct DotOptions {
    pub rankdir: RankDir,
    /// Show each value's grad (as of `frame` when given, else after backward).
    pub show_grad: bool,
    /// Colour the values as the visualizer's frame K: yellow active, green done, white waiting.
    /// Frame 0 seeds the output's grad; the last has every node done.
    pub frame: Option<usize>,
}

/// The DOT text for `trace`, with `names[i]` the label of `trace.nodes[i]`.
pub fn render(trace: &Trace, names: &[String], options: &DotOptions) -> String {
    let grads = trace.grads_after(options.frame.unwrap_or(trace.frame_count() - 1));
    let mut dot = header(options.rankdir);
    let mut line = |text: String| {
        dot.push_str(&text);
        dot.push('\n');
    };
    for (node, value) in trace.nodes.iter().enumerate() {
        let label = record(
            &names[node],
            value.data(),
            options.show_grad.then_some(grads[node]),
        );
        let fill = match options.frame.map(|frame| trace.state(frame, node)) {
            None => String::new(),
            Some(State::Active) => ", style=filled, fillcolor=yellow".into(),
            Some(State::Done) => ", style=filled, fillcolor=palegreen".into(),
            Some(State::Waiting) => ", style=filled, fillcolor=white".into(),
        };
        line(format!("  v{node} [label=\"{label}\"{fill}];"));
        if trace.inputs[node].is_empty() {
            continue;
        }
        let op = escape_quoted(&value.op());
        line(format!(
            "  v{node}_op [label=\"{op}\", shape=ellipse, fontsize=10, height=0.3];"
        ));
        line(format!("  v{node}_op -> v{node};"));
        for input in &trace.inputs[node] {
            line(format!("  v{input} -> v{node}_op;"));
        }
    }
    line("}".into());
    dot
}

/// A neuron (or an input) in a network-level graph.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkNode {
    pub label: String,
    pub data: f64,
    /// d(output)/d(this neuron's output).
    pub grad: f64,
}

/// A network at the level of neurons: `layers[0]` are the inputs, each later
/// layer is fully connected to the one before. `options.frame` is ignored.
pub fn render_network(layers: &[Vec<NetworkNode>], options: &DotOptions) -> String {
    let mut dot = header(options.rankdir);
    let mut line = |text: String| {
        dot.push_str(&text);
        dot.push('\n');
    };
    for (layer_index, layer) in layers.iter().enumerate() {
        line(format!("  subgraph layer{layer_index} {{ rank=same;"));
        for (index, node) in layer.iter().enumerate() {
            let label = record(
                &node.label,
                node.data,
                options.show_grad.then_some(node.grad),
            );
            line(format!("    l{layer_index}n{index} [label=\"{label}\"];"));
        }
        line("  }".into());
        if layer_index == 0 {
            continue;
        }
        for index in 0..layer.len() {
            for input in 0..layers[layer_index - 1].len() {
                line(format!(
                    "  l{}n{input} -> l{layer_index}n{index};",
                    layer_index - 1
                ));
            }
        }
    }
    line("}".into());
    dot
}

/// The opening lines every graph shares.
fn header(rankdir: RankDir) -> String {
    let rankdir = match rankdir {
        RankDir::LeftRight => "LR",
        RankDir::TopBottom => "TB",
    };
    format!(
        "digraph micrograd {{\n  rankdir={rankdir};\n  node [shape=record, fontname=\"Helvetica\"];\n"
    )
}

/// A value's record label: `{ label | data 2.0000 | grad 0.5000 }`.
fn record(label: &str, data: f64, grad: Option<f64>) -> String {
    let mut record = format!("{{ {} | data {data:.4}", escape_record(label));
    if let Some(grad) = grad {
        let _ = write!(record, " | grad {grad:.4}");
    }
    record.push_str(" }");
    record
}

/// Escapes text for a record label inside a quoted DOT string: the record's
/// own syntax (`{ } | < >`), quotes and backslashes get a backslash.
fn escape_record(text: &str) -> String {
    escape(text, &['{', '}', '|', '<', '>', '"', '\\'])
}

/// Escapes text for a plain quoted DOT string.
fn escape_quoted(text: &str) -> String {
    escape(text, &['"', '\\'])
}

/// A backslash before each of `specials`; line breaks and other control
/// characters become spaces.
fn escape(text: &str, specials: &[char]) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if specials.contains(&c) {
            escaped.push('\\');
            escaped.push(c);
        } else if c.is_control() {
            escaped.push(' ');
        } else {
            escaped.push(c);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_labels_escape_their_syntax() {
        assert_eq!(escape_record(r#"a{b}|c<d>"e\"#), r#"a\{b\}\|c\<d\>\"e\\"#);
        assert_eq!(escape_record("two\nlines"), "two lines");
        assert_eq!(escape_quoted(r#"**"2"#), r#"**\"2"#);
    }
}
