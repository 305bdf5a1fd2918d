//! `micrograd val --visualize`: backward one node at a time. Each frame shows
//! the whole graph, layer by layer, with the node being processed in yellow
//! (`[*]`), the nodes done in green (`[✓]`) and the rest plain (`[ ]`); how
//! each node was made; the grads this step wrote (`★`, `old → new`); and the
//! chain-rule updates of the step, with their numbers.
//!
//! Frame 0 seeds the output's grad with 1, frame K is backward's step K, and
//! the last frame has every node done. A frame is rendered to fit a given
//! width and height (`View`), so that on a terminal no row wraps and the
//! title, the active row and the chain-rule lines are always on screen.

use anstyle::{AnsiColor, Style};
use micrograd::show::layout;
use micrograd::show::story::Story;
use micrograd::show::text::{fit_end, fit_middle, fit_unique, four_places, wrap};
use micrograd::show::trace::State;

use super::expression::Expression;

/// The most rows a frame printed off a terminal has.
pub const OFF_TERMINAL_ROWS: usize = 60;

/// One line of a frame, drawn in one style.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub text: String,
    pub style: Style,
}

impl Line {
    fn plain(text: impl Into<String>) -> Line {
        Line {
            text: text.into(),
            style: Style::new(),
        }
    }
}

/// The space a frame is drawn in, and what goes around the graph.
#[derive(Clone, Copy, Debug)]
pub struct View {
    /// Columns and rows; `None` for as many as the frame needs.
    pub cols: Option<usize>,
    pub rows: Option<usize>,
    /// The key line at the bottom, for the interactive player.
    pub footer: bool,
    /// The keys and colours explained, in place of the graph.
    pub help: bool,
    /// Rows the reader scrolled the graph by, down when positive.
    pub scroll: isize,
}

impl View {
    pub fn fitting(cols: usize, rows: usize, footer: bool) -> View {
        View {
            cols: Some(cols),
            rows: Some(rows),
            footer,
            help: false,
            scroll: 0,
        }
    }

    /// Off a terminal: as wide as a frame needs, and at most `OFF_TERMINAL_ROWS`
    /// rows, so that a big graph's frames show a window around the active
    /// node (and count the rest) rather than the whole graph every frame,
    /// which grew with the square of its size.
    pub fn off_terminal() -> View {
        View {
            cols: None,
            rows: Some(OFF_TERMINAL_ROWS),
            footer: false,
            help: false,
            scroll: 0,
        }
    }
}

/// Every frame of an expression's backward, ready to render: the story's
/// words laid out in rows, the output's layer at the top.
pub struct Frames<'a> {
    story: Story<'a>,
    /// Each node's column on the pages: 0 for the first leaves; a node sits
    /// just before its first use.
    layers: Vec<usize>,
    /// Node indices in the order a frame lists them: the output's layer at
    /// the top, leaves at the bottom, newest first within a layer.
    order: Vec<usize>,
    /// Each node's row in that order.
    row: Vec<usize>,
    /// The widest texts of any frame, for columns that stay put.
    widest: Widest,
}

/// The widest of each text column over every frame: measured once.
struct Widest {
    label: usize,
    made: usize,
    data: usize,
    /// A grad's number, and whether a grad ever adds to one it had (then a
    /// row may show `old → new`).
    grad: usize,
    adds_up: bool,
}

impl Widest {
    fn of(story: &Story) -> Widest {
        let trace = story.trace;
        let widest = |texts: &[String]| texts.iter().map(|text| text.chars().count()).max();
        let numbers = |values: &mut dyn Iterator<Item = f64>| {
            values.map(|x| number(x).len()).max().unwrap_or(6)
        };
        let updates = || trace.steps.iter().flat_map(|step| &step.updates);
        Widest {
            label: widest(&story.names).unwrap_or(0).max(4),
            made: widest(&story.made).unwrap_or(0),
            data: numbers(&mut trace.nodes.iter().map(|node| node.data())),
            grad: numbers(&mut updates().map(|update| update.input_grad_after).chain([1.0])),
            adds_up: updates()
                .any(|update| update.input_grad_after != update.local * update.node_grad),
        }
    }
}

impl<'a> Frames<'a> {
    pub fn new(expression: &'a Expression) -> Frames<'a> {
        let story = Story::new(&expression.trace, &expression.names);
        // the pages' columns: each node as late as its uses allow, so that a
        // leaf is listed beside the node it feeds
        let trace = &expression.trace;
        let graph = layout::Graph {
            ranks: trace.layers(),
            edges: (0..trace.nodes.len())
                .flat_map(|node| trace.inputs[node].iter().map(move |&input| (input, node)))
                .collect(),
            ..layout::Graph::default()
        };
        let layers = layout::as_late_as_possible(&graph);
        let mut order: Vec<usize> = (0..layers.len()).collect();
        order.sort_by_key(|&node| (std::cmp::Reverse(layers[node]), std::cmp::Reverse(node)));
        let mut row = vec![0; order.len()];
        for (place, &node) in order.iter().enumerate() {
            row[node] = place;
        }
        let widest = Widest::of(&story);
        Frames {
            story,
            layers,
            order,
            row,
            widest,
        }
    }

    /// How many frames there are: the seed, one per step, and the end.
    pub fn count(&self) -> usize {
        self.story.trace.frame_count()
    }

    /// Frame `frame`, fit to `view`.
    pub fn render(&self, frame: usize, view: &View) -> Vec<Line> {
        let trace = self.story.trace;
        let root = trace.nodes.len() - 1;
        // no width: as wide as the frame needs (arithmetic on usize::MAX would overflow)
        let cols = view.cols.unwrap_or(100_000);
        let step = trace.step_at(frame);
        let top = vec![
            Line {
                text: fit_title(&self.story.title(frame), cols),
                style: Style::new().bold(),
            },
            Line::plain(fit_end(
                if cols >= 56 {
                    "[*] this step  [✓] done  [ ] not yet  ★ grad written now"
                } else {
                    "[*] now [✓] done [ ] not yet ★ written"
                },
                cols,
            )),
            Line::plain(""),
        ];
        let before = if frame == 0 {
            vec![0.0; trace.nodes.len()]
        } else {
            trace.grads_after(frame - 1)
        };
        let grads = trace.grads_after(frame);
        let written = self.story.written(frame);
        let mut bottom = Vec::new();
        if view.footer {
            let keys = "→ n space: next  ← b: back  ↑↓ scroll  ? help  q: quit";
            let short = "→ next ← back ↑↓ ? q quit";
            let keys = if keys.chars().count() <= cols {
                keys
            } else {
                short
            };
            bottom.push(Line::plain(fit_end(keys, cols)));
        }
        let explanation = self.story.explain(frame, &grads);
        let fixed = top.len() + 1 + bottom.len();
        let rows = view.rows.unwrap_or(usize::MAX);
        // the graph gets what is left, one row at least, after the chain-rule lines
        let wrapped: Vec<String> = explanation
            .iter()
            .flat_map(|line| wrap(line, cols))
            .collect();
        let room_for_explanation = rows.saturating_sub(fixed + 1);
        let explanation = if wrapped.len() > room_for_explanation {
            let keep = room_for_explanation.saturating_sub(1);
            let mut kept: Vec<String> = wrapped[..keep].to_vec();
            kept.push(format!("… {} more lines", wrapped.len() - keep));
            kept
        } else {
            wrapped
        };
        let graph_rows = rows.saturating_sub(fixed + explanation.len()).max(1);

        let mut lines = top;
        if view.help {
            lines.extend(help_lines(cols).into_iter().take(graph_rows));
        } else {
            let active = step.map(|step| step.node).unwrap_or(root);
            let focus = Focus {
                active,
                written: &written,
                scroll: view.scroll,
            };
            lines.extend(self.graph_lines(frame, &focus, &before, &grads, cols, graph_rows));
        }
        lines.push(Line::plain(""));
        lines.extend(explanation.into_iter().map(Line::plain));
        lines.extend(bottom);
        lines
    }

    /// The node rows, as many as `room` holds: when they do not all fit, a
    /// window that holds the active row and every ★ row if it can (moved by
    /// the reader's scrolling), with a line for what is above and below.
    fn graph_lines(
        &self,
        frame: usize,
        focus: &Focus,
        before: &[f64],
        grads: &[f64],
        cols: usize,
        room: usize,
    ) -> Vec<Line> {
        let n = self.order.len();
        let written = focus.written;
        let mut rows = vec![self.row[focus.active]];
        rows.extend(
            (0..n)
                .filter(|&node| written[node])
                .map(|node| self.row[node]),
        );
        let (start, end) = window(n, &rows, room, focus.scroll);
        let widths = self.widths(cols);
        let bar = if widths.compact.is_some() {
            "  │"
        } else {
            "   │"
        };

        let mut lines = Vec::new();
        // too little room for the marker lines: the rows alone
        let markers = room >= 3;
        if start > 0 && markers {
            lines.push(self.hidden(&format!("{bar} ↑"), 0..start, written, cols));
        }
        // the labels cut to fit, never two alike
        let label_width = widths.compact.map_or(widths.label, |(label, ..)| label);
        let named: Vec<(usize, &str)> = self.order[start..end]
            .iter()
            .map(|&node| (node, self.story.names[node].as_str()))
            .collect();
        let labels = fit_unique(&named, label_width);
        let mut previous_layer = None;
        for (&node, label) in self.order[start..end].iter().zip(&labels) {
            let (marker, style) = marker(self.story.trace.state(frame, node));
            let layer = self.layers[node];
            let layer_label = if previous_layer == Some(layer) {
                String::new()
            } else {
                layer.to_string()
            };
            previous_layer = Some(layer);
            let text = self.row(
                node,
                label,
                &widths,
                &layer_label,
                marker,
                &grad_text(node, before, grads, written),
                grads[node],
                written[node],
            );
            lines.push(Line {
                text: fit_end(text.trim_end(), cols),
                style,
            });
        }
        if end < n && markers {
            lines.push(self.hidden(&format!("{bar} ↓"), end..n, written, cols));
        }
        lines
    }

    /// The line for the rows `range` a window leaves out: how many, and of
    /// them how many the step wrote (★), after `arrow`.
    fn hidden(
        &self,
        arrow: &str,
        range: std::ops::Range<usize>,
        written: &[bool],
        cols: usize,
    ) -> Line {
        let stars = self.order[range.clone()]
            .iter()
            .filter(|&&node| written[node])
            .count();
        let count = more_nodes(range.len());
        let text = match stars {
            0 => format!("{arrow} {count}"),
            stars => format!("{arrow} {count}, {stars} ★ (↑↓ scroll)"),
        };
        Line::plain(fit_end(&text, cols))
    }

    /// The label's and the "made" column's widths in `cols` columns,
    /// numbers first, then the label and how it was made; the same for
    /// every frame, so that no column moves from step to step. Too narrow
    /// for the words and old grads, rows are compact: the numbers, never
    /// cut ("LL│[*] " + label + " " + data + " ★" + grad).
    fn widths(&self, cols: usize) -> Widths {
        let Widest {
            label: label_want,
            made: made_want,
            data: data_width,
            grad: grad_chars,
            adds_up,
        } = self.widest;
        // the widest grad text any frame shows: `★   -1.2345 → 0.5000` where
        // a node is used twice and grads add up
        let grad_width = if adds_up { 10 + 3 + grad_chars } else { 10 };
        // "LL │ [*] " + label + "  " + made + "  data " + 9 + "  grad " + grad
        let fixed = 9 + 2 + 7 + 9 + 7 + grad_width;
        let room_for_text = cols.saturating_sub(fixed);
        let label_width = label_want
            .min(room_for_text.max(4) * 2 / 5)
            .max(4)
            .min(label_want);
        let label_width = if made_want == 0 || room_for_text < label_width + 2 + 6 {
            label_want.min(room_for_text).max(3)
        } else {
            label_width
        };
        let made_width = room_for_text.saturating_sub(label_width + 2).min(made_want);
        let compact_label = cols.saturating_sub(7 + 1 + data_width + 2 + grad_chars);
        let compact = (fixed + 4 > cols && compact_label >= 3).then_some((
            compact_label,
            data_width,
            grad_chars,
        ));
        Widths {
            label: label_width,
            made: made_width,
            show_made: made_width >= 6 || (made_want > 0 && made_width == made_want),
            compact,
        }
    }

    /// Node `node`'s row, without its colour.
    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        node: usize,
        label: &str,
        widths: &Widths,
        layer_label: &str,
        marker: &str,
        grad_text: &str,
        grad: f64,
        written: bool,
    ) -> String {
        let data = number(self.story.trace.nodes[node].data());
        if let Some((label_width, data_width, grad_width)) = widths.compact {
            let star = if written { "★" } else { " " };
            let grad = number(grad);
            return format!(
                "{layer_label:>2}│{marker} {label:<label_width$} {data:>data_width$} {star}{grad:>grad_width$}"
            );
        }
        let made = if widths.show_made {
            format!(
                "  {:<w$}",
                fit_middle(&self.story.made[node], widths.made),
                w = widths.made
            )
        } else {
            String::new()
        };
        format!(
            "{layer_label:>2} │ {marker} {label:<w$}{made}  data {data:>9}  grad {grad_text}",
            w = widths.label
        )
    }
}

/// What a frame's rows follow: the active node, the nodes whose grads the
/// step wrote, and the reader's scrolling.
struct Focus<'a> {
    active: usize,
    written: &'a [bool],
    scroll: isize,
}

/// The widths of a frame's text columns.
struct Widths {
    label: usize,
    made: usize,
    show_made: bool,
    /// Compact rows: the label's, the data's and the grad's widths.
    compact: Option<(usize, usize, usize)>,
}

/// A frame's title in `cols` columns, keeping the step count: it gives up
/// `backward, ` first, then the middle of the node's name.
fn fit_title(title: &str, cols: usize) -> String {
    if title.chars().count() <= cols {
        return title.to_string();
    }
    let short = title.strip_prefix("backward, ").unwrap_or(title);
    match short.split_once(": ") {
        Some((head, rest)) if head.chars().count() + 3 < cols => {
            let room = cols - head.chars().count() - 2;
            format!("{head}: {}", fit_middle(rest, room))
        }
        _ => fit_end(short, cols),
    }
}

/// A node's grad as its row shows it: `★   -0.5000 → 1.0000` when the
/// step added to it, `★    1.0000` when the step wrote it, `    1.0000`.
fn grad_text(node: usize, before: &[f64], grads: &[f64], written: &[bool]) -> String {
    match (written[node], before[node] != 0.0) {
        (true, true) => format!("★{:>9} → {}", number(before[node]), number(grads[node])),
        (true, false) => format!("★{:>9}", number(grads[node])),
        (false, _) => format!(" {:>9}", number(grads[node])),
    }
}

/// `1 more node`, `3 more nodes`.
fn more_nodes(count: usize) -> String {
    match count {
        1 => "1 more node".into(),
        count => format!("{count} more nodes"),
    }
}

/// A number in at most 9 characters: `-1.2345`, or `1.23e8`.
fn number(x: f64) -> String {
    let text = four_places(x);
    if text.len() > 9 {
        format!("{x:.2e}")
    } else {
        text
    }
}

/// A node's marker and colour: yellow `[*]` now, green `[✓]` done, plain `[ ]`.
fn marker(state: State) -> (&'static str, Style) {
    match state {
        State::Active => (
            "[*]",
            Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
        ),
        State::Done => ("[✓]", Style::new().fg_color(Some(AnsiColor::Green.into()))),
        State::Waiting => ("[ ]", Style::new()),
    }
}

/// What the interactive player does with a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Next,
    Back,
    First,
    Last,
    Help,
    /// Scroll the graph's rows down, or up.
    Down,
    Up,
    Quit,
    /// The terminal changed size: draw again.
    Redraw,
    Other,
}

/// The player's state: the frame on screen, whether help is, and how far
/// the reader scrolled the graph's rows (back to none on another frame).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Player {
    pub frame: usize,
    pub help: bool,
    pub scroll: isize,
}

impl Player {
    /// The state after `key`, or `None` to quit. Any key closes the help.
    pub fn on(self, key: Key, frames: usize) -> Option<Player> {
        let last = frames - 1;
        if self.help && key != Key::Quit && key != Key::Redraw {
            return Some(Player {
                help: false,
                ..self
            });
        }
        let frame = match key {
            Key::Quit => return None,
            Key::Help => return Some(Player { help: true, ..self }),
            Key::Down | Key::Up => {
                // a graph has fewer nodes than frames: no need to go further
                let by = if key == Key::Down { 1 } else { -1 };
                let most = frames as isize;
                return Some(Player {
                    scroll: (self.scroll + by).clamp(-most, most),
                    ..self
                });
            }
            Key::Next => (self.frame + 1).min(last),
            Key::Back => self.frame.saturating_sub(1),
            Key::First => 0,
            Key::Last => last,
            Key::Redraw | Key::Other => self.frame,
        };
        let scroll = if frame == self.frame { self.scroll } else { 0 };
        Some(Player {
            frame,
            scroll,
            ..self
        })
    }
}

/// The rows `start..end` of `n` that a window of `room` rows shows: all of
/// `focus` (rows; the first is the active one) when they fit, else a window
/// around the first, then moved by `scroll` rows as far as the rows go;
/// leaving a row for "more above" and one for "more below" when there are
/// such, and `room` is 3 or more (less has room for rows only).
fn window(n: usize, focus: &[usize], room: usize, scroll: isize) -> (usize, usize) {
    let room = room.max(1);
    if n <= room {
        return (0, n);
    }
    let at = focus[0];
    let (low, high) = focus
        .iter()
        .fold((at, at), |(low, high), &row| (low.min(row), high.max(row)));
    let mut len = room;
    loop {
        let start = if high - low < len {
            // the focus's middle in the middle, all of it in
            (low + high)
                .div_ceil(2)
                .saturating_sub(len / 2)
                .clamp((high + 1).saturating_sub(len), low)
        } else {
            at.saturating_sub(len / 2)
        };
        let start = start.saturating_add_signed(scroll).min(n - len);
        let end = start + len;
        let markers = usize::from(start > 0) + usize::from(end < n);
        if len + markers <= room || room < 3 && len <= room || len == 1 {
            return (start, end);
        }
        len -= 1;
    }
}

/// The keys and colours, for `?`.
fn help_lines(cols: usize) -> Vec<Line> {
    [
        "keys: → n l space Enter: next step   ← b h p Backspace: back",
        "      Home g: the first step   End G: the last   q Esc: quit",
        "      ↓ j PageDown, ↑ k PageUp: scroll the nodes",
        "",
        "yellow [*]: the node whose grad is passed to its inputs now",
        "green [✓]: done; its grad is final",
        "plain [ ]: not reached yet",
        "★: a grad this step wrote; old → new where it adds to one",
        "",
        "any key closes this help",
    ]
    .into_iter()
    .map(|text| Line::plain(fit_end(text, cols)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::expression::ExpressionArgs;

    fn expression(expr: Option<&str>) -> Expression {
        ExpressionArgs {
            expr: expr.map(String::from),
            expr_file: None,
            set: Vec::new(),
        }
        .build()
        .expect("a valid expression")
    }

    /// 40 nodes: sums and products over four inputs (no `-` or `/`, which
    /// build two nodes each, as in micrograd).
    const FORTY: &str = "a = 2; b = -1; c = 0.5; d = 3; \
        e = a*b + c; f = e*d + a; g = tanh(f) + b*c; h = g*g + e; i = h*a + b; \
        j = i*c + f; k = relu(j) + g; l = k*b + h; m = l*b + i; p = m*m + j; \
        q = exp(p*b) + k; r = q*c + l; s = r*d + p; t = s*c + m; u = t*t + q; \
        v = u*c; o = tanh(v + b)";

    fn text(lines: &[Line]) -> String {
        lines
            .iter()
            .map(|line| format!("{}\n", line.text))
            .collect()
    }

    /// Every frame at every size fits: no row wider than the terminal, no
    /// more rows than it has, the title first and the active row shown.
    #[test]
    fn frames_fit_the_terminal() {
        for expr in [None, Some(FORTY)] {
            let expression = expression(expr);
            let frames = Frames::new(&expression);
            if expr.is_some() {
                assert_eq!(expression.trace.nodes.len(), 40);
            }
            for (cols, rows) in [(80, 24), (160, 50), (60, 15)] {
                for help in [false, true] {
                    let view = View {
                        help,
                        ..View::fitting(cols, rows, true)
                    };
                    for frame in 0..frames.count() {
                        let lines = frames.render(frame, &view);
                        let shown = text(&lines);
                        assert!(lines.len() <= rows, "{cols}x{rows} frame {frame}:\n{shown}");
                        for line in &lines {
                            assert!(
                                line.text.chars().count() <= cols,
                                "{cols}x{rows}: {}",
                                line.text
                            );
                        }
                        assert!(lines[0].text.starts_with("backward, step"), "{shown}");
                        if !help && expression.trace.step_at(frame).is_some() {
                            assert!(
                                shown.contains("[*]"),
                                "{cols}x{rows} frame {frame}:\n{shown}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_lecture_neuron_frame_by_frame() {
        let expression = expression(None);
        let frames = Frames::new(&expression);
        let last = frames.count() - 1;
        for (cols, rows) in [(80, 24), (60, 15)] {
            for frame in [0, 1, 5, last] {
                let view = View::fitting(cols, rows, true);
                insta::assert_snapshot!(
                    format!("neuron_{cols}x{rows}_step{frame}"),
                    text(&frames.render(frame, &view))
                );
            }
        }
    }

    #[test]
    fn a_big_graph_shows_a_window_around_the_active_node() {
        let expression = expression(Some(FORTY));
        let frames = Frames::new(&expression);
        for (cols, rows) in [(80, 24), (160, 50), (60, 15)] {
            let view = View::fitting(cols, rows, true);
            insta::assert_snapshot!(
                format!("forty_{cols}x{rows}_step20"),
                text(&frames.render(20, &view))
            );
        }
    }

    /// Regression: at 40 columns every row ended `grad …`, the title lost
    /// the step count and the key line lost `q: quit`. Narrow, a row keeps
    /// its numbers (the label gives up its middle), the title its count,
    /// and the keys `q`.
    #[test]
    fn narrow_terminals_keep_the_numbers() {
        for expr in [None, Some(FORTY)] {
            let expression = expression(expr);
            let frames = Frames::new(&expression);
            let last = frames.count() - 1;
            for (cols, rows) in [(40, 12), (44, 15), (60, 15)] {
                let view = View::fitting(cols, rows, true);
                for frame in 0..frames.count() {
                    let lines = frames.render(frame, &view);
                    let shown = text(&lines);
                    assert!(
                        lines[0].text.contains(&format!("step {frame} of {last}")),
                        "{cols}x{rows}: {}",
                        lines[0].text
                    );
                    assert!(
                        lines.last().expect("a footer").text.contains('q'),
                        "{shown}"
                    );
                    let grads = expression.trace.grads_after(frame);
                    let node_rows = lines
                        .iter()
                        .filter(|line| line.text.contains('│') && !line.text.contains("more node"));
                    for line in node_rows {
                        assert!(!line.text.ends_with('…'), "{cols}x{rows}: {}", line.text);
                        let shows_a_grad =
                            grads.iter().any(|&grad| line.text.contains(&number(grad)));
                        assert!(shows_a_grad, "{cols}x{rows} frame {frame}: {}", line.text);
                    }
                }
            }
        }
    }

    /// Regression: the label column moved when a step showed `old → new`.
    /// Every row of every frame has its `data` at the same column.
    #[test]
    fn columns_stay_put_from_step_to_step() {
        let expression = expression(Some(FORTY));
        let frames = Frames::new(&expression);
        for (cols, rows) in [(100, 30), (80, 24)] {
            let view = View::fitting(cols, rows, true);
            let mut columns = std::collections::BTreeSet::new();
            for frame in 0..frames.count() {
                for line in frames.render(frame, &view) {
                    if let Some(at) = line.text.find("  data ") {
                        columns.insert(line.text[..at].chars().count());
                    }
                }
            }
            assert_eq!(columns.len(), 1, "{cols}x{rows}: data at {columns:?}");
        }
    }

    #[test]
    fn counts_are_in_good_grammar() {
        assert_eq!(more_nodes(1), "1 more node");
        assert_eq!(more_nodes(2), "2 more nodes");
        // the help names every key the player takes
        let help: String = help_lines(200)
            .iter()
            .map(|line| line.text.clone())
            .collect();
        for key in [" n ", " l ", " h ", " g:", " G:", " q "] {
            assert!(help.contains(key), "{key} in {help}");
        }
    }

    #[test]
    fn keys_move_through_the_frames() {
        let frames = 12;
        let start = Player::default();
        let keys = [
            Key::Next,
            Key::Next,
            Key::Back,
            Key::Last,
            Key::Next,
            Key::Help,
            Key::Next,
            Key::First,
            Key::Back,
            Key::Redraw,
            Key::Other,
        ];
        let mut player = start;
        let mut visited = Vec::new();
        for key in keys {
            player = player.on(key, frames).expect("not quit");
            visited.push((player.frame, player.help));
        }
        assert_eq!(
            visited,
            [
                (1, false),
                (2, false),
                (1, false),
                (11, false),
                (11, false),
                (11, true),
                (11, false), // a key closes the help and does nothing else
                (0, false),
                (0, false),
                (0, false),
                (0, false),
            ]
        );
        assert_eq!(player.on(Key::Quit, frames), None);
        // scrolling moves the rows, not the frame; another frame starts unscrolled
        let scrolled = start
            .on(Key::Down, frames)
            .and_then(|p| p.on(Key::Down, frames));
        assert_eq!(scrolled.map(|p| (p.frame, p.scroll)), Some((0, 2)));
        let next = scrolled.and_then(|p| p.on(Key::Next, frames));
        assert_eq!(next.map(|p| (p.frame, p.scroll)), Some((1, 0)));
        let up = start.on(Key::Up, frames).map(|p| p.scroll);
        assert_eq!(up, Some(-1));
    }

    #[test]
    fn windows_keep_the_active_row_and_fit() {
        for n in 1..30 {
            for room in 1..32 {
                for at in 0..n {
                    let (start, end) = window(n, &[at], room, 0);
                    let markers = if room >= 3 {
                        usize::from(start > 0) + usize::from(end < n)
                    } else {
                        0
                    };
                    assert!((start..end).contains(&at), "n {n} room {room} at {at}");
                    assert!(
                        end - start + markers <= room,
                        "n {n} room {room} at {at}: {start}..{end}"
                    );
                    // with a ★ row as well: both in, when the window can hold them
                    for star in 0..n {
                        let (start, end) = window(n, &[at, star], room, 0);
                        let holds = end - start;
                        if at.abs_diff(star) < holds {
                            assert!(
                                (start..end).contains(&at) && (start..end).contains(&star),
                                "n {n} room {room} at {at} ★ {star}: {start}..{end}"
                            );
                        }
                        assert!((start..end).contains(&at), "the active row stays");
                    }
                }
            }
        }
        // scrolling moves the window, as far as the rows go
        assert_eq!(window(30, &[0], 10, 0), (0, 9));
        assert_eq!(window(30, &[0], 10, 5), (5, 13));
        assert_eq!(window(30, &[0], 10, 100), (21, 30));
    }

    /// Regression: at 100x30 the rows of the nodes a step wrote (★) hid
    /// behind "↓ 3 more nodes". The window holds them when it can, and the
    /// line for what is hidden says how many ★ it hides.
    #[test]
    fn the_rows_a_step_wrote_are_in_view() {
        let expression = expression(Some(FORTY));
        let frames = Frames::new(&expression);
        for (cols, rows) in [(100, 30), (80, 24), (60, 15)] {
            let view = View::fitting(cols, rows, true);
            for frame in 1..frames.count() - 1 {
                let shown = text(&frames.render(frame, &view));
                let stars = frames.story.written(frame).iter().filter(|&&w| w).count();
                let shown_stars = shown
                    .lines()
                    .filter(|line| line.contains('│') && line.contains('★'))
                    .filter(|line| !line.contains("more node"))
                    .count();
                let told = shown.contains("★ (↑↓ scroll)");
                assert!(
                    shown_stars == stars || told,
                    "{cols}x{rows} frame {frame}: {shown_stars} of {stars} ★ rows:\n{shown}"
                );
            }
        }
    }
}
