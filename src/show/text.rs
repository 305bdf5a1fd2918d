//! Fitting text into a width: the one set of helpers every view uses.

/// `x` to four places, as every view shows a number: `0.5000`, and `0.0000`
/// rather than `-0.0000` for a value that rounds to zero (rounding noise is
/// not a sign).
pub fn four_places(x: f64) -> String {
    let text = format!("{x:.4}");
    match text.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => text,
    }
}

/// `text` cut to `width` characters, ending in `…` when cut.
pub fn fit_end(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` in at most `width` characters, the middle given up for `…`.
pub fn fit_middle(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    if width <= 1 {
        return "…".chars().take(width).collect();
    }
    let head = (width - 1).div_ceil(2);
    let tail = width - 1 - head;
    let mut fitted: String = chars[..head].iter().collect();
    fitted.push('…');
    fitted.extend(&chars[chars.len() - tail..]);
    fitted
}

/// Each of `texts` (with its number) fit to `width` characters as
/// `fit_middle` does, and never two alike that differ: where two cut texts
/// would read the same, each cut one gives up its last characters for its
/// number (`x1*…#12`), so that it cannot be taken for another.
pub fn fit_unique(texts: &[(usize, &str)], width: usize) -> Vec<String> {
    let mut fitted: Vec<String> = texts
        .iter()
        .map(|(_, text)| fit_middle(text, width))
        .collect();
    let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut clash = std::collections::HashSet::new();
    for ((_, text), short) in texts.iter().zip(&fitted) {
        match seen.get(short.as_str()) {
            Some(other) if other != text => {
                clash.insert(short.clone());
            }
            _ => {
                seen.insert(short, text);
            }
        }
    }
    for ((number, text), short) in texts.iter().zip(fitted.iter_mut()) {
        if clash.contains(short.as_str()) && text.chars().count() > width {
            let tag = format!("#{number}");
            let kept = fit_end(text, width.saturating_sub(tag.chars().count()).max(1));
            *short = format!("{kept}{tag}");
        }
    }
    fitted
}

/// `text` cut into lines of at most `width` characters, at spaces where it can be.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let (line_len, word_len) = (line.chars().count(), word.chars().count());
        if line_len > 0 && line_len + 1 + word_len > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        // a word longer than a line is cut
        while line.chars().count() > width && width > 0 {
            let head: String = line.chars().take(width).collect();
            let rest: String = line.chars().skip(width).collect();
            lines.push(head);
            line = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_has_no_sign() {
        assert_eq!(four_places(-0.00001), "0.0000");
        assert_eq!(four_places(-0.0), "0.0000");
        assert_eq!(four_places(-0.00005001), "-0.0001");
        assert_eq!(four_places(0.5), "0.5000");
        assert_eq!(four_places(-1.25), "-1.2500");
    }

    /// Regression: at 40 columns `x…2` stood for two different nodes.
    #[test]
    fn cut_labels_never_read_alike() {
        let names = [
            (0, "x1*w1 + x2*w2"),
            (1, "x1*a2"),
            (2, "x1*w2"),
            (3, "x1*b1 + x2*w2"),
        ];
        let short = fit_unique(&names, 5);
        let mut distinct = short.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), names.len(), "{short:?}");
        assert!(short.iter().all(|s| s.chars().count() <= 5), "{short:?}");
        assert_eq!(short[2], "x1*w2", "a label that fits is never cut");
        // no clash: plain fit_middle
        assert_eq!(fit_unique(&[(0, "abcdefgh")], 5), ["ab…gh"]);
    }

    #[test]
    fn text_fits_its_width() {
        assert_eq!(fit_end("abcdef", 4), "abc…");
        assert_eq!(fit_end("abc", 4), "abc");
        assert_eq!(fit_middle("abcdefgh", 5), "ab…gh");
        assert_eq!(fit_middle("abc", 1), "…");
        assert_eq!(fit_middle("relu(x) + exp(-x)", 9), "relu…(-x)");
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }
}
