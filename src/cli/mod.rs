//! One module per subcommand, each with its clap `Args` and a `run`, and
//! the pieces they share.

pub mod data;
pub mod eval;
pub mod expression;
pub mod graph;
pub mod html;
pub mod input;
pub mod output;
pub mod predict;
pub mod train;
pub mod tui;
pub mod val;
pub mod visualize;

/// `text` cut to `width` characters, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
