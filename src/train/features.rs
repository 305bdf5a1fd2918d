//! Features made from a CSV's columns, as TensorFlow Playground offers them:
//! `x1^2`, `x1*x2`, `sin(x1)`, `cos(x1)`. A config or a model file names them
//! among its features, so that `train`, `eval` and `predict` read the same raw
//! CSV and make the same numbers from it. A column whose name is spelled that
//! way is read as itself: a name is a column's first.

/// One feature, over column numbers of the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// The column itself.
    Column(usize),
    /// `x^2`: the column times itself.
    Square(usize),
    /// `a*b`: one column times another (or itself).
    Product(usize, usize),
    /// `sin(x)`, in radians.
    Sin(usize),
    /// `cos(x)`, in radians.
    Cos(usize),
}

/// How a made feature is spelled, for messages.
pub const SPELLINGS: &str = "`x^2`, `a*b`, `sin(x)` or `cos(x)` of columns";

impl Feature {
    /// `name` read against the header's columns: a column's name, else a
    /// feature made from columns; `None` when it is neither.
    pub fn parse(name: &str, header: &[String]) -> Option<Feature> {
        let column = |name: &str| header.iter().position(|column| column == name.trim());
        if let Some(index) = column(name) {
            return Some(Feature::Column(index));
        }
        let name = name.trim();
        if let Some(base) = name.strip_suffix("^2") {
            return column(base).map(Feature::Square);
        }
        let inside = |function: &str| {
            name.strip_prefix(function)
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix('('))
                .and_then(|rest| rest.strip_suffix(')'))
        };
        if let Some(argument) = inside("sin") {
            return column(argument).map(Feature::Sin);
        }
        if let Some(argument) = inside("cos") {
            return column(argument).map(Feature::Cos);
        }
        let (left, right) = name.split_once('*')?;
        Some(Feature::Product(column(left)?, column(right)?))
    }

    /// The columns the feature reads.
    pub fn columns(self) -> Vec<usize> {
        match self {
            Feature::Column(i) | Feature::Square(i) | Feature::Sin(i) | Feature::Cos(i) => vec![i],
            Feature::Product(a, b) => vec![a, b],
        }
    }

    /// Whether it is a column as it stands.
    pub fn is_column(self) -> bool {
        matches!(self, Feature::Column(_))
    }

    /// The feature's value, given each column's: `value(column)`.
    pub fn eval(self, value: impl Fn(usize) -> f64) -> f64 {
        match self {
            Feature::Column(i) => value(i),
            Feature::Square(i) => value(i) * value(i),
            Feature::Product(a, b) => value(a) * value(b),
            Feature::Sin(i) => value(i).sin(),
            Feature::Cos(i) => value(i).cos(),
        }
    }

    /// The same feature over other column numbers: `renumber(column)`.
    pub fn renumbered(self, renumber: impl Fn(usize) -> usize) -> Feature {
        match self {
            Feature::Column(i) => Feature::Column(renumber(i)),
            Feature::Square(i) => Feature::Square(renumber(i)),
            Feature::Product(a, b) => Feature::Product(renumber(a), renumber(b)),
            Feature::Sin(i) => Feature::Sin(renumber(i)),
            Feature::Cos(i) => Feature::Cos(renumber(i)),
        }
    }
}

/// Features made from columns, and the columns' own values: what a picture
/// of the plane needs when the network's inputs are not its two columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Made {
    /// The columns read, in the order the features first name them.
    pub columns: Vec<String>,
    /// The features, over numbers into `columns`.
    pub features: Vec<Feature>,
    /// Each row's values of `columns`.
    pub rows: Vec<Vec<f64>>,
}

impl Made {
    /// The features of a point given by its columns' values.
    pub fn apply(&self, columns: &[f64]) -> Vec<f64> {
        self.features
            .iter()
            .map(|feature| feature.eval(|i| columns[i]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        ["x1", "x2", "x1^2", "y"].map(String::from).to_vec()
    }

    #[test]
    fn names_are_columns_first_then_made_features() {
        let header = header();
        let parse = |name| Feature::parse(name, &header);
        assert_eq!(parse("x2"), Some(Feature::Column(1)));
        // a column spelled as a made feature is the column
        assert_eq!(parse("x1^2"), Some(Feature::Column(2)));
        assert_eq!(parse("x2^2"), Some(Feature::Square(1)));
        assert_eq!(parse("x1*x2"), Some(Feature::Product(0, 1)));
        assert_eq!(parse("x1 * x2"), Some(Feature::Product(0, 1)));
        assert_eq!(parse("sin(x1)"), Some(Feature::Sin(0)));
        assert_eq!(parse("cos( x2 )"), Some(Feature::Cos(1)));
        for unknown in [
            "x3", "x3^2", "sin(x3)", "x1*x3", "sin x1", "x1^3", "tan(x1)", "",
        ] {
            assert_eq!(parse(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn features_compute_what_they_say() {
        let row = [3.0, -2.0];
        let value = |i: usize| row[i];
        assert_eq!(Feature::Square(1).eval(value), 4.0);
        assert_eq!(Feature::Product(0, 1).eval(value), -6.0);
        assert_eq!(Feature::Sin(0).eval(value), 3f64.sin());
        assert_eq!(Feature::Cos(1).eval(value), (-2f64).cos());
        let made = Made {
            columns: vec!["a".into(), "b".into()],
            features: vec![Feature::Column(0), Feature::Product(0, 1)],
            rows: Vec::new(),
        };
        assert_eq!(made.apply(&row), [3.0, -6.0]);
    }
}
