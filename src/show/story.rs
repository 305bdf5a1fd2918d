//! What each frame of backward says, computed once from a [`Trace`] for
//! every view: the terminal player, the HTML pages and DOT frames only lay
//! it out. A node's name and how it was made; a frame's title, the grads it
//! writes, and its chain-rule lines with their numbers:
//! `w1.grad += x1.data * n.grad = 2.0000 * 0.5000 = 1.0000`.

use std::collections::HashMap;

use crate::engine::OpKind;
use crate::show::text::four_places;
use crate::show::trace::{Step, Trace};

/// The words of a trace's frames.
pub struct Story<'a> {
    pub trace: &'a Trace,
    /// `names[i]` names node `i`: its label, with `#i` when another node has it too.
    pub names: Vec<String>,
    /// How each node was made from its inputs: `x1*w1 + x2*w2`, `tanh(n)`;
    /// `constant` for a number, empty for an input.
    pub made: Vec<String>,
    /// Each node's place in the trace, by its value's id.
    index: HashMap<usize, usize>,
}

impl<'a> Story<'a> {
    /// The story of `trace`, whose node `i` is called `names[i]`.
    pub fn new(trace: &'a Trace, names: &[String]) -> Story<'a> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for name in names {
            *counts.entry(name).or_default() += 1;
        }
        let unique: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(node, name)| {
                let shared = counts[name.as_str()] > 1;
                if shared {
                    format!("{name} #{node}")
                } else {
                    name.clone()
                }
            })
            .collect();
        let made = (0..trace.nodes.len())
            .map(|node| made_of(trace, names, node))
            .collect();
        let index = trace
            .nodes
            .iter()
            .enumerate()
            .map(|(node, value)| (value.id(), node))
            .collect();
        Story {
            trace,
            names: unique,
            made,
            index,
        }
    }

    /// The frame's title: `backward, step 3 of 11: x1*w1`.
    pub fn title(&self, frame: usize) -> String {
        let last = self.trace.frame_count() - 1;
        let root = self.trace.nodes.len() - 1;
        match self.trace.step_at(frame) {
            None if frame == 0 => format!(
                "backward, step 0 of {last}: {}.grad = 1 to start",
                self.names[root]
            ),
            None => format!("backward, step {last} of {last}: done"),
            Some(step) => format!(
                "backward, step {frame} of {last}: {}",
                self.names[step.node]
            ),
        }
    }

    /// Which nodes' grads the frame writes: the output's in the seed, a
    /// step's inputs', none at the end.
    pub fn written(&self, frame: usize) -> Vec<bool> {
        let mut written = vec![false; self.trace.nodes.len()];
        match self.trace.step_at(frame) {
            None if frame == 0 => written[self.trace.nodes.len() - 1] = true,
            None => {}
            Some(step) => {
                for update in &step.updates {
                    written[update.input] = true;
                }
            }
        }
        written
    }

    /// Node `node`'s name as it stands in a formula: `x1`, or `(x1*w1 + b)`.
    pub fn operand(&self, node: usize) -> String {
        operand(&self.names[node])
    }

    /// How each of a step's local derivatives is computed, by the names of
    /// the step's node and inputs: `x1.data * (1 - o.data**2)`, one per
    /// update. An input the trace leaves out (a weight, in a network seen
    /// neuron by neuron) is called by its label.
    pub fn formulas(&self, step: &Step) -> Vec<String> {
        let inputs = self.trace.nodes[step.node].inputs();
        let names: Vec<String> = inputs
            .iter()
            .map(|input| match self.index.get(&input.id()) {
                Some(&node) => data_of(&self.names[node]),
                None => data_of(&input.label().unwrap_or_else(|| "?".into())),
            })
            .collect();
        let out = data_of(&self.names[step.node]);
        step.updates
            .iter()
            .map(|update| update.formula.render(&|k| names[k].clone(), &out))
            .collect()
    }

    /// What the frame does, in words and numbers: the seed, a step's chain
    /// rule, or what the grads mean at the end. `grads` are every node's
    /// grads as the frame leaves them.
    pub fn explain(&self, frame: usize, grads: &[f64]) -> Vec<String> {
        let trace = self.trace;
        let root = trace.nodes.len() - 1;
        let out = operand(&self.names[root]);
        let Some(step) = trace.step_at(frame) else {
            if frame == 0 {
                return vec![format!(
                    "backward starts at the output: {out}.grad = d{out}/d{out} = 1"
                )];
            }
            return self.done(grads);
        };
        let node_name = operand(&self.names[step.node]);
        if step.updates.is_empty() {
            return vec![format!(
                "{node_name} is a leaf: it has no inputs to pass its grad to; {} is final",
                four_places(grads[step.node])
            )];
        }
        let formulas = self.formulas(step);
        step.updates
            .iter()
            .zip(formulas)
            .map(|(update, formula)| {
                let input_name = operand(&self.names[update.input]);
                let increment = update.local * update.node_grad;
                let total = if update.input_grad_after == increment {
                    String::new()
                } else {
                    format!(" (now {})", four_places(update.input_grad_after))
                };
                if update.formula.is_one() {
                    format!(
                        "{input_name}.grad += {node_name}.grad = {}{total}",
                        four_places(increment)
                    )
                } else {
                    format!(
                        "{input_name}.grad += {formula} * {node_name}.grad = {} * {} = {}{total}",
                        four_places(update.local),
                        four_places(update.node_grad),
                        four_places(increment)
                    )
                }
            })
            .collect()
    }

    /// The last frame's words: what a grad means, with an example from a
    /// named leaf if there is one.
    fn done(&self, grads: &[f64]) -> Vec<String> {
        let root = self.trace.nodes.len() - 1;
        let out = operand(&self.names[root]);
        let mut lines = vec![format!(
            "backward is done: each grad is d{out}/d(node), how much {out} moves per unit the node moves"
        )];
        let leaf = (0..root).find(|&node| {
            self.trace.inputs[node].is_empty()
                && self.names[node].parse::<f64>().is_err()
                && grads[node] != 0.0
        });
        if let Some(leaf) = leaf {
            let name = &self.names[leaf];
            lines.push(format!(
                "{name}.grad = {}: {name} + 0.001 moves {out} by about {}",
                four_places(grads[leaf]),
                signed(0.001 * grads[leaf])
            ));
        }
        lines
    }
}

/// `x` to four places with its sign, `+0.0000` for what rounds to zero.
fn signed(x: f64) -> String {
    let text = four_places(x);
    if text.starts_with('-') {
        text
    } else {
        format!("+{text}")
    }
}

/// How node `node` was made from its inputs, by their names: `x1*w1 +
/// x2*w2`, `tanh(n)`, `x**2`; `constant` for a number, empty for an input.
fn made_of(trace: &Trace, names: &[String], node: usize) -> String {
    let inputs = &trace.inputs[node];
    let operands: Vec<String> = inputs.iter().map(|&input| operand(&names[input])).collect();
    let value = &trace.nodes[node];
    if let OpKind::Neuron { activation, .. } = value.op_kind() {
        return format!("{}(b + Σ w·x)", activation.name());
    }
    let symbol = value.op();
    match operands.as_slice() {
        [] if names[node].parse::<f64>().is_ok() => "constant".into(),
        [] => String::new(),
        [a, b] if ["+", "*", "**"].contains(&symbol.as_str()) => format!("{a} {symbol} {b}"),
        [a] if symbol.starts_with("**") => format!("{a}{symbol}"),
        // a function's parentheses are its argument's
        _ => {
            let arguments: Vec<&str> = inputs.iter().map(|&input| names[input].as_str()).collect();
            format!("{symbol}({})", arguments.join(", "))
        }
    }
}

/// How a formula reads a node's data: `x1.data`, or just `2` for a constant.
fn data_of(name: &str) -> String {
    if name.parse::<f64>().is_ok() {
        return name.to_string();
    }
    format!("{}.data", operand(name))
}

/// A name fit to stand in a formula: `x1*w1 + b` becomes `(x1*w1 + b)`;
/// one already in parentheses stays as it is.
fn operand(name: &str) -> String {
    let simple = name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '#' || c == '.');
    // `(e - 1)` or `tanh(n)`: parentheses that close at the end already
    let called = name.find('(').is_some_and(|open| {
        name[..open].chars().all(char::is_alphanumeric)
            && name.ends_with(')')
            && balanced(&name[open + 1..name.len() - 1])
    });
    if simple || called {
        return name.to_string();
    }
    format!("({name})")
}

/// Whether every parenthesis in `text` closes, in order.
fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn a_step_says_its_chain_rule_with_its_numbers() {
        let x = Value::with_label(2.0, "x");
        let w = Value::with_label(-3.0, "w");
        let n = &x * &w;
        let o = n.tanh();
        let trace = Trace::new(&o);
        let names: Vec<String> = ["x", "w", "n", "o"].map(String::from).to_vec();
        let story = Story::new(&trace, &names);
        assert_eq!(story.made, ["", "", "x * w", "tanh(n)"]);
        assert_eq!(story.title(1), "backward, step 1 of 5: o");
        let grads = trace.grads_after(1);
        let tanh = 1.0 - o.data() * o.data();
        assert_eq!(
            story.explain(1, &grads),
            [format!(
                "n.grad += (1 - o.data**2) * o.grad = {tanh:.4} * 1.0000 = {tanh:.4}"
            )]
        );
        let grads = trace.grads_after(2);
        let lines = story.explain(2, &grads);
        assert!(lines[0].starts_with("x.grad += w.data * n.grad = -3.0000 * "));
        assert_eq!(story.written(2), [true, true, false, false]);
        assert_eq!(story.written(0), [false, false, false, true]);
    }

    #[test]
    fn operands_are_parenthesised_only_when_needed() {
        assert_eq!(operand("x1"), "x1");
        assert_eq!(operand("tanh(n)"), "tanh(n)");
        assert_eq!(operand("a + b"), "(a + b)");
        assert_eq!(operand("(a) + (b)"), "((a) + (b))");
        assert_eq!(operand("(e - 1)"), "(e - 1)");
        assert_eq!(operand("relu(x) + exp(-x)"), "(relu(x) + exp(-x))");
        assert_eq!(data_of("2.5"), "2.5");
    }
}
