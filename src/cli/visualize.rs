//! `micrograd val --visualize`: backward one node at a time. Each frame shows
//! the whole graph, layer by layer, with the node being processed in yellow
//! (`[*]`), the nodes done in green (`[✓]`) and the rest plain (`[ ]`), and
//! the chain-rule updates the step makes, with their numbers.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use micrograd::trace::{State, Step, Trace};

use super::expression::Expression;
use super::val::Args;

const NAME_WIDTH: usize = 16;
/// Up to this many nodes a frame lists them all (one line each, so it fits a terminal).
const FULL_GRAPH_NODES: usize = 30;
/// In a bigger graph, how many lines above and below the active node a frame lists.
const CONTEXT_LINES: usize = 6;
/// Clears the terminal and moves the cursor home, between frames on a terminal.
const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";

pub fn run(expression: &Expression, args: &Args) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let on_terminal = stdout.is_terminal();
    let mut out = anstream::AutoStream::new(stdout.lock(), args.color.choice());
    let layout = Layout::new(&expression.trace);
    let n_frames = expression.trace.steps.len();
    let interactive =
        !args.no_wait && args.delay.is_none() && on_terminal && std::io::stdin().is_terminal();
    if !interactive {
        let mut grads = expression.trace.initial_grads();
        for frame in 0..n_frames {
            if let Some(delay) = args.delay {
                if frame > 0 {
                    std::thread::sleep(Duration::from_millis(delay));
                }
                if on_terminal {
                    write!(out, "{CLEAR_SCREEN}")?;
                }
            } else if frame > 0 {
                writeln!(out)?;
            }
            expression.trace.apply(frame, &mut grads);
            write!(out, "{}", render(expression, &layout, frame, &grads))?;
        }
        return Ok(());
    }
    let mut frame = 0;
    let mut stdin = std::io::stdin().lock();
    loop {
        let grads = expression.trace.grads_after(frame);
        write!(
            out,
            "{CLEAR_SCREEN}{}",
            render(expression, &layout, frame, &grads)
        )?;
        write!(out, "\n[Enter/n] next  [b] back  [q] quit > ")?;
        out.flush()?;
        let mut answer = String::new();
        if stdin.read_line(&mut answer)? == 0 {
            writeln!(out)?;
            return Ok(());
        }
        match answer.trim() {
            "q" => return Ok(()),
            "b" => frame = frame.saturating_sub(1),
            "" | "n" if frame + 1 == n_frames => return Ok(()),
            "" | "n" => frame += 1,
            _ => {}
        }
    }
}

/// Where each node goes in a frame: the output's layer at the top, leaves at
/// the bottom, newest first within a layer.
struct Layout {
    layers: Vec<usize>,
    /// Node indices in the order the frame lists them.
    order: Vec<usize>,
    /// `position[node]`: where `node` is in `order`.
    position: Vec<usize>,
}

impl Layout {
    fn new(trace: &Trace) -> Layout {
        let layers = trace.layers();
        let mut order: Vec<usize> = (0..trace.nodes.len()).collect();
        order.sort_by_key(|&node| (std::cmp::Reverse(layers[node]), std::cmp::Reverse(node)));
        let mut position = vec![0; order.len()];
        for (index, &node) in order.iter().enumerate() {
            position[node] = index;
        }
        Layout {
            layers,
            order,
            position,
        }
    }
}

/// One frame as text with ANSI colours (the caller's stream strips them when it
/// must); `grads` are every node's grad once this frame's step is done.
fn render(expression: &Expression, layout: &Layout, frame: usize, grads: &[f64]) -> String {
    let trace = &expression.trace;
    let step = &trace.steps[frame];
    let names = &expression.names;
    let mut text = format!(
        "backward, step {} of {}: {}\n\n",
        frame + 1,
        trace.steps.len(),
        names[step.node]
    );
    // A big graph shows the nodes around the one being processed, and counts the rest.
    let active_position = layout.position[step.node];
    let shown = |node: usize| {
        layout.order.len() <= FULL_GRAPH_NODES
            || layout.position[node].abs_diff(active_position) <= CONTEXT_LINES
            || trace.inputs[step.node].contains(&node)
    };
    let mut previous_layer = None;
    let mut skipped = (0, 0);
    for &node in &layout.order {
        let state = trace.state(frame, node);
        if !shown(node) {
            match state {
                State::Done => skipped.0 += 1,
                _ => skipped.1 += 1,
            }
            continue;
        }
        if skipped != (0, 0) {
            text.push_str(&skipped_line(skipped));
            skipped = (0, 0);
        }
        let layer = layout.layers[node];
        let layer_label = if previous_layer == Some(layer) {
            String::new()
        } else {
            layer.to_string()
        };
        previous_layer = Some(layer);
        let (marker, style) = match state {
            State::Active => (
                "[*]",
                Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
            ),
            State::Done => ("[✓]", Style::new().fg_color(Some(AnsiColor::Green.into()))),
            State::Waiting => ("[ ]", Style::new().fg_color(Some(AnsiColor::White.into()))),
        };
        let value = &trace.nodes[node];
        let line = format!(
            "{marker} {:<NAME_WIDTH$} {:<7} data {:>9.4}  grad {:>9.4}",
            super::fit(&names[node], NAME_WIDTH),
            value.op(),
            value.data(),
            grads[node]
        );
        text.push_str(&format!("{layer_label:>3} │ {style}{line}{style:#}\n"));
    }
    if skipped != (0, 0) {
        text.push_str(&skipped_line(skipped));
    }
    text.push('\n');
    text.push_str(&chain_rule(trace, names, step, grads));
    text
}

/// The line that stands for nodes a big graph's frame leaves out.
fn skipped_line((done, waiting): (usize, usize)) -> String {
    format!(
        "    │ … {} nodes: {done} done, {waiting} waiting\n",
        done + waiting
    )
}

/// What the step does, one line per input: `w1.grad += x1.data * n.grad = 2.0000 * 0.5000 = 1.0000`.
fn chain_rule(trace: &Trace, names: &[String], step: &Step, grads: &[f64]) -> String {
    let node_name = operand(&names[step.node]);
    if step.updates.is_empty() {
        return format!(
            "{node_name} is a leaf: its grad, {:.4}, is final\n",
            grads[step.node]
        );
    }
    let inputs = &trace.inputs[step.node];
    let mut text = String::new();
    for update in &step.updates {
        let input_name = operand(&names[update.input]);
        let formula = update
            .formula
            .replace("{a}", &data_of(&names[inputs[0]]))
            .replace(
                "{b}",
                &data_of(&names[*inputs.last().expect("a non-leaf has inputs")]),
            )
            .replace("{out}", &data_of(&names[step.node]));
        let increment = update.local * update.node_grad;
        let total = if update.input_grad_after == increment {
            String::new()
        } else {
            format!(" (now {:.4})", update.input_grad_after)
        };
        if update.formula == "1" {
            text.push_str(&format!(
                "{input_name}.grad += {node_name}.grad = {increment:.4}{total}\n"
            ));
        } else {
            text.push_str(&format!(
                "{input_name}.grad += {formula} * {node_name}.grad = {:.4} * {:.4} = {increment:.4}{total}\n",
                update.local, update.node_grad
            ));
        }
    }
    text
}

/// How a formula reads a node's data: `x1.data`, or just `2` for a constant.
fn data_of(name: &str) -> String {
    if name.parse::<f64>().is_ok() {
        return name.to_string();
    }
    format!("{}.data", operand(name))
}

/// A name fit to stand in a formula: `x1*w1 + b` becomes `(x1*w1 + b)`.
fn operand(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '#' || c == '.')
    {
        return name.to_string();
    }
    format!("({name})")
}
