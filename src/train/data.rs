//! CSV datasets: a header row, numeric features, and a target that is a number
//! or a class name. Reading gives errors that name the line and the column.

use std::fmt;

use crate::train::features::{Feature, Made, SPELLINGS};

/// Which columns a model reads: features by name, and the target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Columns {
    /// Feature columns; `None` means every column but the target.
    pub features: Option<Vec<String>>,
    /// The target column; `None` means the last one.
    pub target: Option<String>,
}

/// What the target column holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Numbers, one per row.
    Numbers(Vec<f64>),
    /// Class names, in order of first appearance, and each row's class index.
    Classes {
        names: Vec<String>,
        labels: Vec<usize>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub feature_names: Vec<String>,
    pub target_name: String,
    /// One row of features per sample.
    pub features: Vec<Vec<f64>>,
    pub targets: Targets,
    /// The CSV line each sample came from, for messages.
    pub lines: Vec<u64>,
    /// When some feature is made from columns (`x1^2`): the columns it is
    /// made from, and their values.
    pub made: Option<Made>,
}

/// A problem with a dataset, located as precisely as it can be.
#[derive(Clone, Debug, PartialEq)]
pub struct DataError {
    pub line: Option<u64>,
    /// The 1-based column number and its name.
    pub column: Option<(usize, String)>,
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some((number, name)) = &self.column {
                write!(f, ", column {number} (`{name}`)")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for DataError {}

fn error(
    line: Option<u64>,
    column: Option<(usize, &str)>,
    message: impl Into<String>,
) -> DataError {
    DataError {
        line,
        column: column.map(|(number, name)| (number, name.to_string())),
        message: message.into(),
    }
}

impl Dataset {
    /// Parses CSV text. Blank lines are skipped; every other row must have as
    /// many fields as the header, finite numbers for features, and a target.
    pub fn from_csv(text: &str, columns: &Columns) -> Result<Dataset, DataError> {
        Dataset::read(text, columns, true)
    }

    /// The `features` columns of a CSV that may have no target (new data to
    /// predict): a dataset whose `targets` are empty and `target_name` is "".
    pub fn from_unlabelled_csv(text: &str, features: &[String]) -> Result<Dataset, DataError> {
        let columns = Columns {
            features: Some(features.to_vec()),
            target: None,
        };
        Dataset::read(text, &columns, false)
    }

    fn read(text: &str, columns: &Columns, labelled: bool) -> Result<Dataset, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = read_header(&mut reader)?;
        let (features, target) = choose_columns(&header, columns, labelled)?;
        let feature_names: Vec<String> = match &columns.features {
            Some(names) => names.iter().map(|name| name.trim().to_string()).collect(),
            None => features
                .iter()
                .map(|f| header[f.columns()[0]].clone())
                .collect(),
        };
        // the columns read, in the order the features first name them
        let mut read: Vec<usize> = Vec::new();
        for column in features.iter().flat_map(|feature| feature.columns()) {
            if !read.contains(&column) {
                read.push(column);
            }
        }
        let (rows, raw_targets, lines) = read_rows(&mut reader, text, &header, &read, target)?;
        if rows.is_empty() {
            return Err(error(None, None, "no data rows after the header"));
        }
        let plain = (features.iter())
            .zip(&read)
            .all(|(&feature, &column)| feature == Feature::Column(column));
        let (features, made) = if plain && features.len() == read.len() {
            (rows, None)
        } else {
            let made = Made {
                columns: read.iter().map(|&column| header[column].clone()).collect(),
                features: (features.iter())
                    .map(|feature| {
                        feature.renumbered(|column| {
                            read.iter().position(|&c| c == column).expect("read")
                        })
                    })
                    .collect(),
                rows,
            };
            (made_rows(&made, &feature_names, &lines)?, Some(made))
        };
        let Some(target) = target else {
            return Ok(Dataset {
                feature_names,
                target_name: String::new(),
                features,
                targets: Targets::Numbers(Vec::new()),
                lines,
                made,
            });
        };
        let targets = parse_targets(&raw_targets, (target + 1, &header[target]))?;
        Ok(Dataset {
            feature_names,
            target_name: header[target].clone(),
            features,
            targets,
            lines,
            made,
        })
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }
}

/// The header's column names, trimmed; an error when the file is empty, a
/// name runs over lines, or two columns have one name.
fn read_header(reader: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, DataError> {
    let header: Vec<String> = reader
        .headers()
        .map_err(|err| error(Some(1), None, format!("cannot read the header: {err}")))?
        .iter()
        .map(|name| name.trim().to_string())
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(error(
            None,
            None,
            "the file is empty: it needs a header row and data rows",
        ));
    }
    if let Some(column) = header.iter().position(|name| name.contains(['\n', '\r'])) {
        return Err(error(
            Some(1),
            None,
            format!(
                "column {}'s name runs over several lines: is a closing `\"` missing?",
                column + 1
            ),
        ));
    }
    // Columns are found by name, so every name must pick out one column.
    for (index, name) in header.iter().enumerate() {
        if let Some(first) = header[..index].iter().position(|earlier| earlier == name) {
            return Err(error(
                Some(1),
                Some((index + 1, name)),
                format!(
                    "column {} has the same name; name each column once",
                    first + 1
                ),
            ));
        }
    }
    Ok(header)
}

/// The feature columns and the target column (none for unlabelled data),
/// by the names `columns` gives, or every column but the last and the last.
fn choose_columns(
    header: &[String],
    columns: &Columns,
    labelled: bool,
) -> Result<(Vec<Feature>, Option<usize>), DataError> {
    let find = |name: &str| -> Result<usize, DataError> {
        header
            .iter()
            .position(|column| column == name)
            .ok_or_else(|| {
                error(
                    Some(1),
                    None,
                    format!("no column `{name}` in the header ({})", header.join(", ")),
                )
            })
    };
    let target = match &columns.target {
        _ if !labelled => None,
        Some(name) => Some(find(name)?),
        None if header.len() < 2 => {
            return Err(error(
                Some(1),
                None,
                "need at least two columns: features, then the target",
            ));
        }
        None => Some(header.len() - 1),
    };
    let features: Vec<Feature> = match &columns.features {
        Some(names) => names
            .iter()
            .map(|name| {
                Feature::parse(name, header).ok_or_else(|| {
                    let mut err = find(name).expect_err("not a column");
                    err.message += &format!(", nor is it {SPELLINGS}");
                    err
                })
            })
            .collect::<Result<_, _>>()?,
        None => (0..header.len())
            .filter(|&column| Some(column) != target)
            .map(Feature::Column)
            .collect(),
    };
    if features.is_empty() {
        return Err(error(Some(1), None, "no feature columns"));
    }
    let name = |index: usize| match &columns.features {
        Some(names) => names[index].trim().to_string(),
        None => header[features[index].columns()[0]].clone(),
    };
    for (index, feature) in features.iter().enumerate() {
        if features[..index].contains(feature) {
            return Err(error(
                Some(1),
                None,
                format!("the feature `{}` is named twice", name(index)),
            ));
        }
        if let Some(target) = target.filter(|target| feature.columns().contains(target)) {
            let message = if feature.is_column() {
                format!("`{}` is both a feature and the target", header[target])
            } else {
                format!(
                    "`{}` is made from the target `{}`",
                    name(index),
                    header[target]
                )
            };
            return Err(error(Some(1), None, message));
        }
    }
    Ok((features, target))
}

/// The made features of every row, each a finite number.
fn made_rows(made: &Made, names: &[String], lines: &[u64]) -> Result<Vec<Vec<f64>>, DataError> {
    let mut rows = Vec::with_capacity(made.rows.len());
    for (columns, &line) in made.rows.iter().zip(lines) {
        let row = made.apply(columns);
        if let Some(index) = row.iter().position(|value| !value.is_finite()) {
            return Err(error(
                Some(line),
                None,
                format!("`{}` is {}, not a finite number", names[index], row[index]),
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Rows read so far: each row's features, each target's text with its line,
/// and each row's line.
type Rows = (Vec<Vec<f64>>, Vec<(String, u64)>, Vec<u64>);

/// The data rows: blank lines skipped, every other row checked field by field.
fn read_rows(
    reader: &mut csv::Reader<&[u8]>,
    text: &str,
    header: &[String],
    features: &[usize],
    target: Option<usize>,
) -> Result<Rows, DataError> {
    let mut rows = Vec::new();
    let mut raw_targets = Vec::new();
    let mut lines = Vec::new();
    // The csv crate's line numbers skip blank lines; count them from byte offsets.
    let mut counted = (0usize, 1u64);
    let mut line_at = |byte: u64| {
        // a record's position can be the blank lines before it
        let mut byte = byte as usize;
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        counted.1 += text.as_bytes()[counted.0..byte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted.0 = byte;
        counted.1
    };
    for record in reader.records() {
        let record = record.map_err(|err| {
            let line = err.position().map(|position| line_at(position.byte()));
            error(line, None, format!("cannot read the row: {err}"))
        })?;
        let line = record
            .position()
            .map_or(0, |position| line_at(position.byte()));
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        // A number or a class name never holds a line break: a quote that
        // opens a field and never closes takes in the lines after it.
        if let Some(column) = record.iter().position(|field| field.contains(['\n', '\r'])) {
            return Err(error(
                Some(line),
                header.get(column).map(|name| (column + 1, name.as_str())),
                "a quoted field runs over several lines: is a closing `\"` missing?",
            ));
        }
        if record.len() != header.len() {
            return Err(error(
                Some(line),
                None,
                format!(
                    "{} fields, but the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        let row = features_of(&record, line, header, features)?;
        lines.push(line);
        let Some(target) = target else {
            rows.push(row);
            continue;
        };
        let target_field = record[target].trim();
        if target_field.is_empty() {
            return Err(error(
                Some(line),
                Some((target + 1, &header[target])),
                "the target is empty",
            ));
        }
        rows.push(row);
        raw_targets.push((target_field.to_string(), line));
    }
    Ok((rows, raw_targets, lines))
}

/// A record's features, each a finite number.
fn features_of(
    record: &csv::StringRecord,
    line: u64,
    header: &[String],
    features: &[usize],
) -> Result<Vec<f64>, DataError> {
    let mut row = Vec::with_capacity(features.len());
    for &column in features {
        let field = record[column].trim();
        let located = Some((column + 1, header[column].as_str()));
        let number: f64 = field
            .parse()
            .map_err(|_| error(Some(line), located, format!("`{field}` is not a number")))?;
        if !number.is_finite() {
            return Err(error(
                Some(line),
                located,
                format!("`{field}` is not a finite number"),
            ));
        }
        row.push(number);
    }
    Ok(row)
}

/// Numbers if every target is a number, else class names.
fn parse_targets(raw: &[(String, u64)], column: (usize, &str)) -> Result<Targets, DataError> {
    let numbers: Option<Vec<f64>> = raw
        .iter()
        .map(|(field, _)| field.parse::<f64>().ok())
        .collect();
    if let Some(numbers) = numbers {
        if let Some(((field, line), _)) = raw
            .iter()
            .zip(&numbers)
            .find(|(_, number)| !number.is_finite())
        {
            return Err(error(
                Some(*line),
                Some(column),
                format!("`{field}` is not a finite number"),
            ));
        }
        return Ok(Targets::Numbers(numbers));
    }
    let mut names: Vec<String> = Vec::new();
    let labels = raw
        .iter()
        .map(
            |(field, _)| match names.iter().position(|name| name == field) {
                Some(index) => index,
                None => {
                    names.push(field.clone());
                    names.len() - 1
                }
            },
        )
        .collect();
    Ok(Targets::Classes { names, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Dataset, DataError> {
        Dataset::from_csv(text, &Columns::default())
    }

    #[test]
    fn numbers_and_class_names() {
        let data = load("a,b,y\n1,2,-1\n\n3,4.5,1\n").expect("loads");
        assert_eq!(data.feature_names, ["a", "b"]);
        assert_eq!(data.features, vec![vec![1.0, 2.0], vec![3.0, 4.5]]);
        assert_eq!(data.targets, Targets::Numbers(vec![-1.0, 1.0]));
        assert_eq!(data.lines, [2, 4]);

        let data = load("x,species\n1,setosa\n2,virginica\n3,setosa\n").expect("loads");
        let names = vec!["setosa".to_string(), "virginica".to_string()];
        assert_eq!(
            data.targets,
            Targets::Classes {
                names,
                labels: vec![0, 1, 0]
            }
        );
    }

    #[test]
    fn chosen_columns() {
        let columns = Columns {
            features: Some(vec!["c".into(), "a".into()]),
            target: Some("b".into()),
        };
        let data = Dataset::from_csv("a,b,c\n1,2,3\n", &columns).expect("loads");
        assert_eq!(
            (data.features[0].clone(), data.target_name.as_str()),
            (vec![3.0, 1.0], "b")
        );
        let columns = Columns {
            features: None,
            target: Some("z".into()),
        };
        let err = Dataset::from_csv("a,b\n1,2\n", &columns).expect_err("no z");
        assert_eq!(
            err.to_string(),
            "line 1: no column `z` in the header (a, b)"
        );
    }

    /// Features made from columns are computed from the raw CSV, which
    /// `made` keeps for pictures of the plane.
    #[test]
    fn made_features() {
        let columns = Columns {
            features: Some(
                ["x2^2", "x1*x2", "sin(x1)", "x1"]
                    .map(String::from)
                    .to_vec(),
            ),
            target: None,
        };
        let data = Dataset::from_csv("x1,x2,y\n3,-2,a\n0.5,1,b\n", &columns).expect("loads");
        assert_eq!(data.feature_names, ["x2^2", "x1*x2", "sin(x1)", "x1"]);
        assert_eq!(data.features[0], [4.0, -6.0, 3f64.sin(), 3.0]);
        let made = data.made.expect("made features");
        assert_eq!(made.columns, ["x2", "x1"]);
        assert_eq!(made.rows, [[-2.0, 3.0], [1.0, 0.5]]);
        // plain columns, in any order, make nothing
        let columns = Columns {
            features: Some(vec!["x2".into(), "x1".into()]),
            target: None,
        };
        let data = Dataset::from_csv("x1,x2,y\n3,-2,a\n", &columns).expect("loads");
        assert_eq!(
            (data.features[0].clone(), data.made),
            (vec![-2.0, 3.0], None)
        );

        let cases = [
            (
                vec!["x3^2"],
                "line 1: no column `x3^2` in the header (x1, x2, y), nor is it `x^2`, `a*b`, `sin(x)` or `cos(x)` of columns",
            ),
            (vec!["x1*y"], "line 1: `x1*y` is made from the target `y`"),
            (
                vec!["x1*x2", "x1 * x2"],
                "line 1: the feature `x1 * x2` is named twice",
            ),
            (vec!["x1^2"], "line 3: `x1^2` is inf, not a finite number"),
        ];
        for (features, message) in cases {
            let columns = Columns {
                features: Some(features.iter().map(|name| name.to_string()).collect()),
                target: None,
            };
            let err =
                Dataset::from_csv("x1,x2,y\n1,2,a\n1e200,1,b\n", &columns).expect_err(message);
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let cases = [
            ("a,y\n1,2\n3\n", "line 3: 1 fields, but the header has 2"),
            (
                "a,y\n1,\"x\n2,y\n",
                "line 2, column 2 (`y`): a quoted field runs over several lines: is a closing `\"` missing?",
            ),
            (
                "a,b,y\n1,2,3\n4,x,5\n",
                "line 3, column 2 (`b`): `x` is not a number",
            ),
            (
                "a,y\n1,2\nNaN,1\n",
                "line 3, column 1 (`a`): `NaN` is not a finite number",
            ),
            (
                "a,y\ninf,1\n",
                "line 2, column 1 (`a`): `inf` is not a finite number",
            ),
            ("a,y\n1,\n", "line 2, column 2 (`y`): the target is empty"),
            (
                "a,y\n1,2\n2,nan\n",
                "line 3, column 2 (`y`): `nan` is not a finite number",
            ),
            ("", "the file is empty: it needs a header row and data rows"),
            ("a,y\n", "no data rows after the header"),
            (
                "y\n1\n",
                "line 1: need at least two columns: features, then the target",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(load(text).expect_err(text).to_string(), message, "{text:?}");
        }
    }
}
