//! Reading the files a run is given: text that is not UTF-8 is an error that
//! says where, and what the file seems to be instead; a saved model, checked;
//! a dataset with a model's columns. Shared by the subcommands.

use std::path::Path;

use anyhow::Context;
use micrograd::train::data::{Columns, Dataset};
use micrograd::train::model::SavedModel;

/// The file's text. Not UTF-8: an error naming the line and column of the
/// first byte that is not, or saying that the file is UTF-16.
pub fn read_text(path: &Path) -> Result<String, std::io::Error> {
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|err| {
        let bytes = err.as_bytes();
        let message = if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            "the file is UTF-16 text; save it as UTF-8".to_string()
        } else {
            let valid = &bytes[..err.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&valid[line_start..])
                .chars()
                .count()
                + 1;
            format!(
                "line {line}, column {column}: byte 0x{:02x} is not UTF-8 text \
                 (Latin-1 or another encoding?); save the file as UTF-8",
                bytes[valid.len()]
            )
        };
        std::io::Error::new(std::io::ErrorKind::InvalidData, message)
    })
}

/// A saved model, checked.
pub fn read_model(path: &Path) -> anyhow::Result<SavedModel> {
    let text = read_text(path).with_context(|| format!("{}: cannot read", path.display()))?;
    SavedModel::from_json(&text).with_context(|| path.display().to_string())
}

/// The model's columns from the CSV; a missing one is an error naming it.
pub fn read_dataset(path: &Path, saved: &SavedModel) -> anyhow::Result<Dataset> {
    let text = read_text(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let columns = Columns {
        features: Some(saved.features.clone()),
        target: Some(saved.target.clone()),
    };
    Dataset::from_csv(&text, &columns).map_err(|err| {
        anyhow::anyhow!(
            "{}: {err} (the model reads {} and predicts {})",
            path.display(),
            saved.features.join(", "),
            saved.target
        )
    })
}
