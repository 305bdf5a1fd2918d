//! `micrograd val`: builds an expression, runs backward, and prints every node
//! with its data and grad; `--visualize` steps through backward instead.

use std::io::{IsTerminal, Write};

use micrograd::show::page;
use micrograd::show::text::fit_end;
use serde::Serialize;

use super::expression::{ColorWhen, Expression, ExpressionArgs};
use super::{tui, visualize};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub expression: ExpressionArgs,

    /// Print the nodes as JSON: {"output", "nodes": [{"id", "label", "op", "inputs", "data", "grad"}]}
    #[arg(long, conflicts_with = "visualize")]
    pub json: bool,

    /// Step through backward one node at a time, showing the whole graph each
    /// step: yellow [*] is the node processed now, green [✓] done, plain [ ]
    /// not yet, and ★ marks the grads the step wrote. Keys on a terminal:
    /// → n Space Enter next, ← b back, Home End, ? help, q Esc quit
    #[arg(long)]
    pub visualize: bool,

    /// Write a self-contained HTML page that plays the forward and backward
    /// passes, step by step, in any browser (`-` for standard output)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["json", "visualize"])]
    pub html: Option<std::path::PathBuf>,

    /// With --visualize: print every frame without waiting for a key
    #[arg(long, requires = "visualize")]
    pub no_wait: bool,

    /// With --visualize: replay the frames with MS milliseconds between them
    #[arg(long, value_name = "MS", requires = "visualize")]
    pub delay: Option<u64>,

    /// When to use colour
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    pub color: ColorWhen,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let expression = args.expression.build()?;
    if let Some(path) = &args.html {
        let title = match (&args.expression.expr, &args.expression.expr_file) {
            (Some(expr), _) => format!(
                "backprop through {}",
                micrograd::show::text::fit_middle(expr, 80)
            ),
            (None, Some(file)) => format!("backprop through {}", file.display()),
            (None, None) => "backprop through the lecture's neuron".to_string(),
        };
        let nodes = expression.trace.nodes.len();
        if nodes > page::MAX_PAGE_NODES {
            anyhow::bail!(
                "--html: the graph has {nodes} nodes, and a page draws at most {}; \
                 `micrograd graph` writes it as DOT, or `--visualize` steps through it",
                page::MAX_PAGE_NODES
            );
        }
        let page = page::expression_page(&expression.trace, &expression.names, &title);
        let inputs: Vec<&std::path::Path> =
            args.expression.expr_file.as_deref().into_iter().collect();
        return super::output::write_page(path, &page, "--html", &inputs);
    }
    if args.visualize {
        let frames = visualize::Frames::new(&expression);
        let on_terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
        if on_terminal && !args.no_wait && args.delay.is_none() {
            let colour = match args.color {
                ColorWhen::Always => true,
                ColorWhen::Never => false,
                ColorWhen::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            };
            return tui::run(&frames, colour);
        }
        return tui::replay(&frames, args.delay, args.color);
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &json(&expression))?;
        writeln!(out)?;
        return Ok(());
    }
    write!(out, "{}", table(&expression))?;
    Ok(())
}

/// Every node in topological order (inputs first): index, name, op, data, grad, inputs.
fn table(expression: &Expression) -> String {
    let trace = &expression.trace;
    let name_width = expression
        .names
        .iter()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 24);
    let mut table = format!(
        "{:>3}  {:<name_width$}  {:<8} {:>12} {:>12}  inputs\n",
        "#", "node", "op", "data", "grad"
    );
    for (index, node) in trace.nodes.iter().enumerate() {
        let name = fit_end(&expression.names[index], name_width);
        let inputs: Vec<String> = trace.inputs[index].iter().map(usize::to_string).collect();
        let row = format!(
            "{index:>3}  {name:<name_width$}  {:<8} {:>12.4} {:>12.4}  {}",
            node.op(),
            node.data(),
            node.grad(),
            inputs.join(" ")
        );
        table.push_str(row.trim_end());
        table.push('\n');
    }
    table
}

#[derive(Serialize)]
struct JsonGraph {
    output: usize,
    nodes: Vec<JsonNode>,
}

#[derive(Serialize)]
struct JsonNode {
    id: usize,
    label: String,
    op: String,
    inputs: Vec<usize>,
    data: f64,
    grad: f64,
}

fn json(expression: &Expression) -> JsonGraph {
    let trace = &expression.trace;
    let nodes = trace
        .nodes
        .iter()
        .enumerate()
        .map(|(id, node)| JsonNode {
            id,
            label: expression.names[id].clone(),
            op: node.op(),
            inputs: trace.inputs[id].clone(),
            data: node.data(),
            grad: node.grad(),
        })
        .collect();
    JsonGraph {
        output: trace.nodes.len() - 1,
        nodes,
    }
}
