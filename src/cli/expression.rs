//! The `--expr` and `--set` arguments that `val` and `graph` share, and the
//! graph they build.

use anyhow::Context;
use micrograd::show::expr;
use micrograd::show::trace::Trace;

/// The lecture's neuron, the default expression, with its numbers.
const LECTURE_EXPR: &str = "n = x1*w1 + x2*w2 + b; o = tanh(n)";
const LECTURE_VALUES: [(&str, f64); 5] = [
    ("x1", 2.0),
    ("x2", 0.0),
    ("w1", -3.0),
    ("w2", 1.0),
    ("b", 6.881_373_587_019_543),
];

#[derive(clap::Args, Debug)]
pub struct ExpressionArgs {
    /// The expression: `+ - * / **`, parentheses, numbers, tanh relu exp log sigmoid,
    /// and `;`-separated assignments that name nodes [default: the lecture's neuron,
    /// "n = x1*w1 + x2*w2 + b; o = tanh(n)"]
    #[arg(long, short, value_name = "EXPR", allow_hyphen_values = true)]
    pub expr: Option<String>,

    /// Read the expression from FILE (`-` for standard input): for expressions
    /// too long for one argument
    #[arg(long, value_name = "FILE", conflicts_with = "expr")]
    pub expr_file: Option<std::path::PathBuf>,

    /// Give a variable its value; repeat it, or separate with commas: --set x1=2,w1=-3
    #[arg(long = "set", value_name = "NAME=NUMBER", value_delimiter = ',', value_parser = parse_assignment)]
    pub set: Vec<(String, f64)>,
}

/// A built expression, traced: every node the output depends on and its name.
pub struct Expression {
    pub trace: Trace,
    /// `names[i]` names `trace.nodes[i]`.
    pub names: Vec<String>,
}

impl ExpressionArgs {
    /// Parses and builds the expression, runs backward, and traces it.
    pub fn build(&self) -> anyhow::Result<Expression> {
        for (index, (name, value)) in self.set.iter().enumerate() {
            if let Some((_, first)) = self.set[..index].iter().find(|(known, _)| known == name) {
                anyhow::bail!("--set {name}: given twice ({name}={first}, then {name}={value})");
            }
        }
        let from_file = match &self.expr_file {
            Some(path) if path.as_os_str() == "-" => {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    .context("--expr-file -: cannot read standard input")?;
                Some(text)
            }
            Some(path) => Some(
                super::input::read_text(path)
                    .with_context(|| format!("{}: cannot read", path.display()))?,
            ),
            None => None,
        };
        let (source, values) = match from_file.as_deref().or(self.expr.as_deref()) {
            Some(source) => (source, self.set.clone()),
            None => {
                // the lecture's numbers, unless --set changes them
                let mut values: Vec<(String, f64)> = LECTURE_VALUES
                    .iter()
                    .map(|(name, value)| (name.to_string(), *value))
                    .collect();
                for (name, value) in &self.set {
                    let Some(slot) = values.iter_mut().find(|(known, _)| known == name) else {
                        anyhow::bail!(
                            "--set {name}: the default expression has no `{name}` (it has x1, x2, w1, w2, b)"
                        );
                    };
                    slot.1 = *value;
                }
                (LECTURE_EXPR, values)
            }
        };
        let program = expr::parse(source).context("--expr")?;
        let built = program
            .build(&values)
            .map_err(|mut err| {
                if let Some(name) = &err.unbound {
                    err.message += &format!(": give it one with --set {name}=NUMBER");
                }
                err
            })
            .context("--expr")?;
        let (trace, names) = built.backward_and_trace();
        Ok(Expression { trace, names })
    }
}

/// `NAME=NUMBER`, as `--set` takes it.
pub fn parse_assignment(text: &str) -> Result<(String, f64), String> {
    let Some((name, number)) = text.split_once('=') else {
        return Err(format!("expected NAME=NUMBER, got `{text}`"));
    };
    let name = name.trim();
    let is_name = name.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !is_name {
        return Err(format!("`{name}` is not a variable name"));
    }
    let number: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a number", number.trim()))?;
    if !number.is_finite() {
        return Err(format!("{name} must be a finite number"));
    }
    Ok((name.to_string(), number))
}

/// `--color`: whether to colour the output.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
pub enum ColorWhen {
    /// When writing to a terminal and NO_COLOR is not set
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    pub fn choice(self) -> anstream::ColorChoice {
        match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_assignment;
    use proptest::prelude::*;

    #[test]
    fn assignments_parse_or_say_why() {
        assert_eq!(parse_assignment("x1 = -2.5"), Ok(("x1".into(), -2.5)));
        assert!(parse_assignment("x=inf").is_err());
        assert!(parse_assignment("=1").is_err());
    }

    /// Any text: a value or a message, never a panic. 256 cases, or
    /// `MICROGRAD_FUZZ_CASES`, as the other parsers' fuzzing in `tests/it/fuzz.rs`.
    #[test]
    fn fuzz_assignments() {
        let cases = std::env::var("MICROGRAD_FUZZ_CASES").map_or(256, |cases| {
            cases
                .parse()
                .expect("MICROGRAD_FUZZ_CASES is a number of cases")
        });
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        runner
            .run(&".{0,40}", |text| {
                let _ = parse_assignment(&text);
                Ok(())
            })
            .expect("no panic");
    }

    proptest! {
        #[test]
        fn near_misses_are_an_assignment_or_an_error(
            name in "[a-z_0-9 .=-]{0,6}",
            number in "[0-9eE.+-]{0,8}|nan|inf|-?[0-9]{1,400}",
        ) {
            let _ = parse_assignment(&format!("{name}={number}"));
        }
    }
}
