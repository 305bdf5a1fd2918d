//! Graphviz DOT for a traced graph, in the style of micrograd's `draw_dot`:
//! a record per value (`{ label | data | grad }`), a small node per op, edges
//! from inputs through the op to its output. Returns text; the caller writes it.

use std::fmt::Write;

use crate::show::story::Story;
use crate::show::text::four_places;
use crate::show::trace::{State, Trace};

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
    /// Network graphs: label each edge with its weight, as thick as its
    /// size and coloured by its sign (blue positive, red negative).
    pub edge_weights: bool,
    /// A line of text above the graph.
    pub title: Option<String>,
}

/// The DOT text for `trace`, with `names[i]` the label of `trace.nodes[i]`.
/// With a frame, it says what the players say of it: the step's title and
/// chain-rule lines above the graph (the story's, `show/story.rs`), and a
/// `★` on each grad the step wrote.
pub fn render(trace: &Trace, names: &[String], options: &DotOptions) -> String {
    let grads = trace.grads_after(options.frame.unwrap_or(trace.frame_count() - 1));
    let story = Story::new(trace, names);
    let written = options.frame.map(|frame| story.written(frame));
    let mut lines: Vec<String> = options.title.iter().cloned().collect();
    if let Some(frame) = options.frame {
        lines.push(story.title(frame));
        lines.extend(story.explain(frame, &grads));
    }
    let mut dot = header(options.rankdir, &lines);
    let mut line = |text: String| {
        dot.push_str(&text);
        dot.push('\n');
    };
    for (node, value) in trace.nodes.iter().enumerate() {
        let star = written.as_ref().is_some_and(|written| written[node]);
        let label = record(
            &names[node],
            value.data(),
            options.show_grad.then_some((grads[node], star)),
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
    /// The weight on each node of the layer before; none for an input.
    pub weights: Vec<f64>,
}

/// A network at the level of neurons: `layers[0]` are the inputs, each later
/// layer is fully connected to the one before. `options.frame` is ignored.
pub fn render_network(layers: &[Vec<NetworkNode>], options: &DotOptions) -> String {
    let title: Vec<String> = options.title.iter().cloned().collect();
    let mut dot = header(options.rankdir, &title);
    dot.push_str("  ordering=out;\n");
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
                options.show_grad.then_some((node.grad, false)),
            );
            line(format!("    l{layer_index}n{index} [label=\"{label}\"];"));
        }
        line("  }".into());
        if layer_index == 0 {
            continue;
        }
        // each node's edges in the order of their heads: with `ordering=out`,
        // that keeps a layer's neurons in order, the first on top
        let largest = layer
            .iter()
            .flat_map(|node| &node.weights)
            .fold(0.0f64, |largest, w| largest.max(w.abs()));
        for input in 0..layers[layer_index - 1].len() {
            for (index, node) in layer.iter().enumerate() {
                let weight = node.weights.get(input).copied().unwrap_or(0.0);
                let attributes = if options.edge_weights {
                    let width = 0.5 + 3.0 * weight.abs() / largest.max(f64::MIN_POSITIVE);
                    let colour = if weight < 0.0 {
                        "firebrick"
                    } else {
                        "royalblue"
                    };
                    format!(" [label=\"{weight:.2}\", penwidth={width:.2}, color={colour}]")
                } else {
                    String::new()
                };
                line(format!(
                    "  l{}n{input} -> l{layer_index}n{index}{attributes};",
                    layer_index - 1
                ));
            }
        }
    }
    line("}".into());
    dot
}

/// The opening lines every graph shares, and the lines of text above the
/// graph when there are any (left-aligned, one to a line).
fn header(rankdir: RankDir, lines: &[String]) -> String {
    let rankdir = match rankdir {
        RankDir::LeftRight => "LR",
        RankDir::TopBottom => "TB",
    };
    let mut header = format!(
        "digraph micrograd {{\n  rankdir={rankdir};\n  node [shape=record, fontname=\"Helvetica\"];\n"
    );
    if !lines.is_empty() {
        let text: String = lines
            .iter()
            .map(|line| format!("{}\\l", escape_quoted(line)))
            .collect();
        let _ = writeln!(
            header,
            "  labelloc=t;\n  labeljust=l;\n  label=\"{text}\";\n  fontname=\"Helvetica\";"
        );
    }
    header
}

/// A value's record label: `{ label | data 2.0000 | grad 0.5000 }`, the
/// grad marked `★` when the frame wrote it.
fn record(label: &str, data: f64, grad: Option<(f64, bool)>) -> String {
    let mut record = format!("{{ {} | data {}", escape_record(label), four_places(data));
    if let Some((grad, written)) = grad {
        let star = if written { "★ " } else { "" };
        let _ = write!(record, " | grad {star}{}", four_places(grad));
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
