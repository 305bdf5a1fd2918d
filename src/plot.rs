//! Pictures of training, as PNG bytes: the loss curve, and a classifier's
//! decision regions with its data on top. Drawn with plotters into a pixel
//! buffer, with a font built into the binary (no system fonts needed); the
//! caller writes the bytes.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::model::Standardization;
use crate::nn::MLP;
use crate::train::{History, Prediction, Problem, outputs};

pub const LOSS_SIZE: (u32, u32) = (900, 700);
pub const BOUNDARY_SIZE: (u32, u32) = (700, 700);
/// Grid cells along each side of the decision-boundary picture.
const BOUNDARY_GRID: usize = 120;

/// Lets plotters find "sans-serif" without asking the system for fonts.
fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        let registered = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        )
        .and_then(|()| {
            plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold())
        });
        registered
            .unwrap_or_else(|_| panic!("the built-in DejaVu Sans font is a valid TrueType font"));
    });
}

fn draw_error(err: impl std::fmt::Display) -> String {
    format!("drawing failed: {err}")
}

/// Encodes an RGB buffer as PNG.
fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|err| format!("PNG encoding failed: {err}"))?;
    writer
        .write_image_data(rgb)
        .map_err(|err| format!("PNG encoding failed: {err}"))?;
    writer
        .finish()
        .map_err(|err| format!("PNG encoding failed: {err}"))?;
    Ok(bytes)
}

/// Training loss per step with the validation loss per epoch on top, and below
/// it the accuracy (or R²) the same way.
pub fn loss_png(
    history: &History,
    metric_name: &str,
    log_scale: bool,
    title: &str,
) -> Result<Vec<u8>, String> {
    register_fonts();
    let mut rgb = vec![0u8; (LOSS_SIZE.0 * LOSS_SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, LOSS_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let root = root
            .titled(title, ("sans-serif", 24).into_font().style(FontStyle::Bold))
            .map_err(draw_error)?;
        let (top, bottom) = root.split_vertically(LOSS_SIZE.1 * 3 / 5);
        let n_steps = history.steps.len().max(2) as f64;
        let train_loss: Vec<(f64, f64)> = history
            .steps
            .iter()
            .map(|r| ((r.step + 1) as f64, r.loss))
            .collect();
        let validation_loss: Vec<(f64, f64)> = history
            .validation
            .iter()
            .map(|r| (r.steps as f64, r.loss))
            .collect();
        let losses = train_loss
            .iter()
            .chain(&validation_loss)
            .map(|&(_, loss)| loss);
        let (low, high) = losses.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        let (low, high) = if low.is_finite() {
            (low, high)
        } else {
            (0.0, 1.0)
        };

        let mut chart = ChartBuilder::on(&top);
        chart.margin(15).x_label_area_size(40).y_label_area_size(70);
        if log_scale {
            let floor = train_loss
                .iter()
                .map(|p| p.1)
                .filter(|&l| l > 0.0)
                .fold(f64::INFINITY, f64::min);
            let floor = if floor.is_finite() { floor / 2.0 } else { 1e-6 };
            let mut chart = chart
                .build_cartesian_2d(
                    1.0..n_steps,
                    (floor..high.max(floor * 10.0) * 1.1).log_scale(),
                )
                .map_err(draw_error)?;
            chart
                .configure_mesh()
                .x_desc("step")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_desc("loss (log scale)")
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(draw_error)?;
            let clamp = |points: &[(f64, f64)]| {
                points
                    .iter()
                    .map(|&(x, y)| (x, y.max(floor)))
                    .collect::<Vec<_>>()
            };
            draw_series(&mut chart, &clamp(&train_loss), &clamp(&validation_loss))?;
        } else {
            let pad = ((high - low) * 0.05).max(1e-9);
            let mut chart = chart
                .build_cartesian_2d(1.0..n_steps, (low - pad).min(0.0)..high + pad)
                .map_err(draw_error)?;
            chart
                .configure_mesh()
                .x_desc("step")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_desc("loss")
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(draw_error)?;
            draw_series(&mut chart, &train_loss, &validation_loss)?;
        }

        // accuracy in percent; R² as it is
        let scale = if metric_name == "accuracy" {
            100.0
        } else {
            1.0
        };
        let train_metric: Vec<(f64, f64)> = history
            .steps
            .iter()
            .map(|r| ((r.step + 1) as f64, r.metric * scale))
            .collect();
        let validation_metric: Vec<(f64, f64)> = history
            .validation
            .iter()
            .map(|r| (r.steps as f64, r.metric * scale))
            .collect();
        let metrics = train_metric
            .iter()
            .chain(&validation_metric)
            .map(|&(_, m)| m);
        let low = metrics.fold(0.0f64, f64::min);
        let mut chart = ChartBuilder::on(&bottom)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(1.0..n_steps, low..1.05 * scale)
            .map_err(draw_error)?;
        let y_desc = if scale == 100.0 {
            "accuracy (%)".to_string()
        } else {
            metric_name.to_string()
        };
        chart
            .configure_mesh()
            .x_desc("step")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_desc(y_desc)
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(draw_error)?;
        draw_series(&mut chart, &train_metric, &validation_metric)?;
        root.present().map_err(draw_error)?;
    }
    encode_png(&rgb, LOSS_SIZE)
}

/// A training line and, when there is one, a validation line with dots, plus their legend.
fn draw_series<'a, X, Y>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>,
    train: &[(f64, f64)],
    validation: &[(f64, f64)],
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(LineSeries::new(train.iter().copied(), BLUE.stroke_width(2)))
        .map_err(draw_error)?
        .label("training (per step)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    if !validation.is_empty() {
        let orange = RGBColor(230, 120, 0);
        chart
            .draw_series(LineSeries::new(
                validation.iter().copied(),
                orange.stroke_width(2),
            ))
            .map_err(draw_error)?
            .label("validation (per epoch)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], orange.stroke_width(2)));
        // dots mark the epochs, while there are few enough to tell apart
        if validation.len() <= 100 {
            let dots = validation
                .iter()
                .map(|&point| Circle::new(point, 3, orange.filled()));
            chart.draw_series(dots).map_err(draw_error)?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(draw_error)
}

/// The colour of class `class`: light for regions, full for points.
fn class_colour(class: usize, light: bool) -> RGBColor {
    const PALETTE: [(u8, u8, u8); 6] = [
        (31, 119, 180),
        (214, 39, 40),
        (44, 160, 44),
        (148, 103, 189),
        (255, 127, 14),
        (23, 190, 207),
    ];
    let (r, g, b) = PALETTE[class % PALETTE.len()];
    if !light {
        return RGBColor(r, g, b);
    }
    let lighten = |c: u8| (c as u16 + (255 - c as u16) * 7 / 10) as u8;
    RGBColor(lighten(r), lighten(g), lighten(b))
}

/// For two features: the class the model predicts over the plane, with the
/// data points (raw feature values, true classes) drawn over it.
/// What `boundary_png` says when it was asked to stop.
pub const INTERRUPTED: &str = "interrupted";

/// The span of feature `j` the decision-boundary plot draws: the data's, and
/// a tenth more on each side. An error when that is too wide for numbers to
/// hold (features near ±1e308), which would leave nothing to draw.
pub fn boundary_range(rows: &[&[f64]], j: usize) -> Result<(f64, f64), String> {
    let (lo, hi) = rows
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x[j]), hi.max(x[j]))
        });
    let pad = ((hi - lo) * 0.1).max(0.5);
    let (drawn_lo, drawn_hi) = (lo - pad, hi + pad);
    if !(drawn_hi - drawn_lo).is_finite() {
        return Err(format!(
            "spans from {lo:e} to {hi:e}, too wide to draw a decision boundary: \
             rescale it, or set `outputs.boundary_plot` to null"
        ));
    }
    Ok((drawn_lo, drawn_hi))
}

pub fn boundary_png(
    model: &MLP,
    problem: &Problem,
    standardization: Option<&Standardization>,
    points: &[(Vec<f64>, usize)],
    axis_names: (&str, &str),
    title: &str,
    stop: &AtomicBool,
) -> Result<Vec<u8>, String> {
    register_fonts();
    let features: Vec<&[f64]> = points.iter().map(|(x, _)| x.as_slice()).collect();
    let range = |j: usize| {
        let name = if j == 0 { axis_names.0 } else { axis_names.1 };
        boundary_range(&features, j).map_err(|err| format!("`{name}` {err}"))
    };
    let ((x_lo, x_hi), (y_lo, y_hi)) = (range(0)?, range(1)?);
    let step = (
        (x_hi - x_lo) / BOUNDARY_GRID as f64,
        (y_hi - y_lo) / BOUNDARY_GRID as f64,
    );
    let cells: Vec<(f64, f64)> = (0..BOUNDARY_GRID * BOUNDARY_GRID)
        .map(|k| {
            (
                x_lo + (k % BOUNDARY_GRID) as f64 * step.0,
                y_lo + (k / BOUNDARY_GRID) as f64 * step.1,
            )
        })
        .collect();
    let rows: Vec<Vec<f64>> = cells
        .iter()
        .map(|&(x, y)| match standardization {
            Some(standardization) => standardization.apply(&[x, y]),
            None => vec![x, y],
        })
        .collect();
    // A wide network takes a while: Ctrl-C is heard between pieces of the grid.
    let mut predicted: Vec<usize> = Vec::with_capacity(rows.len());
    for piece in rows.chunks(BOUNDARY_GRID) {
        if stop.load(Ordering::Relaxed) {
            return Err(INTERRUPTED.into());
        }
        predicted.extend(outputs(model, piece).iter().map(
            |scores| match problem.predict(scores) {
                Prediction::Class(class) => class,
                Prediction::Number(_) => 0,
            },
        ));
    }

    let mut rgb = vec![0u8; (BOUNDARY_SIZE.0 * BOUNDARY_SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, BOUNDARY_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22).into_font().style(FontStyle::Bold))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(draw_error)?;
        chart
            .draw_series(cells.iter().zip(&predicted).map(|(&(x, y), &class)| {
                Rectangle::new(
                    [(x, y), (x + step.0, y + step.1)],
                    class_colour(class, true).filled(),
                )
            }))
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(axis_names.0)
            .y_desc(axis_names.1)
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(draw_error)?;
        chart
            .draw_series(points.iter().map(|(x, class)| {
                EmptyElement::at((x[0], x[1]))
                    + Circle::new((0, 0), 5, class_colour(*class, false).filled())
                    + Circle::new((0, 0), 5, BLACK.stroke_width(1))
            }))
            .map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    encode_png(&rgb, BOUNDARY_SIZE)
}
