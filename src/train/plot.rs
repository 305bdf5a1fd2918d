//! Pictures of training, as PNG bytes: the loss curve, and a classifier's
//! decision regions with its data on top. Drawn with plotters into a pixel
//! buffer, with a font built into the binary (no system fonts needed); the
//! caller writes the bytes.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::nn::MLP;
use crate::train::model::Standardization;
use crate::train::{History, Prediction, Problem, Target, evaluate, outputs};

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

fn draw_error(err: impl std::fmt::Display) -> PlotError {
    PlotError::Failed(format!("drawing failed: {err}"))
}

/// Why a picture was not made.
#[derive(Debug, Clone, PartialEq)]
pub enum PlotError {
    /// The stop flag was set while it was being drawn.
    Interrupted,
    /// It cannot be drawn, and why: data too wide to draw, or the drawing
    /// or encoding library failed.
    Failed(String),
}

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlotError::Interrupted => write!(f, "interrupted"),
            PlotError::Failed(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for PlotError {}

/// Encodes an RGB buffer as PNG.
fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|err| PlotError::Failed(format!("PNG encoding failed: {err}")))?;
    writer
        .write_image_data(rgb)
        .map_err(|err| PlotError::Failed(format!("PNG encoding failed: {err}")))?;
    writer
        .finish()
        .map_err(|err| PlotError::Failed(format!("PNG encoding failed: {err}")))?;
    Ok(bytes)
}

/// Training loss per step with the validation loss per epoch on top, and below
/// it the accuracy (or R²) the same way. Steps count from 0, as the step log
/// does: the training point at step k is the batch's loss before update k,
/// the validation point after an epoch sits at the number of updates done.
pub fn loss_png(
    history: &History,
    metric_name: &str,
    log_scale: bool,
    title: &str,
) -> Result<Vec<u8>, PlotError> {
    let (rgb, _) = render_loss(history, metric_name, log_scale, title, true)?;
    encode_png(&rgb, LOSS_SIZE)
}

/// Where a chart's training data lies in the picture: the pixel rows of its
/// largest and smallest value, and the chart's plotting area.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(test), allow(dead_code))] // read by the plot test
struct DataBand {
    rows: (i32, i32),
    area_rows: (i32, i32),
    columns: (i32, i32),
}

const TRAIN_RAW: RGBColor = RGBColor(150, 180, 235);

/// `loss_png`'s picture as RGB, and where each chart's training data lies.
fn render_loss(
    history: &History,
    metric_name: &str,
    log_scale: bool,
    title: &str,
    legends: bool,
) -> Result<(Vec<u8>, [DataBand; 2]), PlotError> {
    register_fonts();
    let mut rgb = vec![0u8; (LOSS_SIZE.0 * LOSS_SIZE.1 * 3) as usize];
    let bands;
    {
        let root = BitMapBackend::with_buffer(&mut rgb, LOSS_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let root = root
            .titled(title, ("sans-serif", 24).into_font().style(FontStyle::Bold))
            .map_err(draw_error)?;
        let (top, bottom) = root.split_vertically(LOSS_SIZE.1 * 3 / 5);
        // a resumed run's steps go on from where the last one stopped
        let x_start = history.steps.first().map_or(0, |r| r.step) as f64;
        let x_end = history.steps.last().map_or(1, |r| r.step + 1) as f64;
        // several steps in an epoch: mini-batches, whose losses are noisy
        let mini_batches = history.steps.windows(2).any(|w| w[0].epoch == w[1].epoch);
        let with_penalty = history.steps.iter().any(|r| r.penalty != 0.0);
        let names = Names {
            train: if with_penalty {
                "training loss: data + regularisation (per step)"
            } else {
                "training loss (per step)"
            },
            validation: "validation data loss (per epoch)",
            mini_batches,
            legends,
        };
        let top_band = loss_chart(&top, history, x_start..x_end, log_scale, &names)?;
        let names = Names {
            train: "training batch (per step)",
            validation: "validation (per epoch)",
            ..names
        };
        let bottom_band = metric_chart(&bottom, history, x_start..x_end, metric_name, &names)?;
        bands = [top_band, bottom_band];
        root.present().map_err(draw_error)?;
    }
    Ok((rgb, bands))
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// The lowest and highest of `points`' values; (0, 0) for none.
fn train_band(points: &[(f64, f64)]) -> (f64, f64) {
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) }
}

/// The loss chart: training per step, validation per epoch, on a linear or
/// log axis; where its training line lies.
fn loss_chart(
    area: &Area,
    history: &History,
    x_range: std::ops::Range<f64>,
    log_scale: bool,
    names: &Names,
) -> Result<DataBand, PlotError> {
    let train_loss: Vec<(f64, f64)> = history
        .steps
        .iter()
        .map(|r| (r.step as f64, r.loss))
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
    let mut chart = ChartBuilder::on(area);
    chart.margin(15).x_label_area_size(40).y_label_area_size(70);
    if !log_scale {
        let pad = ((high - low) * 0.05).max(1e-9);
        let mut chart = chart
            .build_cartesian_2d(x_range, (low - pad).min(0.0)..high + pad)
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_desc("loss")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(draw_error)?;
        draw_series(&mut chart, &train_loss, &validation_loss, names)?;
        return Ok(band_of(&chart, train_band(&train_loss)));
    }
    let floor = train_loss
        .iter()
        .map(|p| p.1)
        .filter(|&l| l > 0.0)
        .fold(f64::INFINITY, f64::min);
    let floor = if floor.is_finite() { floor / 2.0 } else { 1e-6 };
    let mut chart = chart
        .build_cartesian_2d(x_range, (floor..high.max(floor * 10.0) * 1.1).log_scale())
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc("step")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("loss (log scale)")
        // 1, 2 and 5 of each decade, not the decades alone
        .y_labels(50)
        .y_max_light_lines(0)
        .y_label_formatter(&log_label)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(draw_error)?;
    let clamp = |points: &[(f64, f64)]| {
        points
            .iter()
            .map(|&(x, y)| (x, y.max(floor)))
            .collect::<Vec<_>>()
    };
    let train = clamp(&train_loss);
    draw_series(&mut chart, &train, &clamp(&validation_loss), names)?;
    Ok(band_of(&chart, train_band(&train)))
}

/// The metric chart: accuracy in percent, or R² as it is; where its
/// training line lies.
fn metric_chart(
    area: &Area,
    history: &History,
    x_range: std::ops::Range<f64>,
    metric_name: &str,
    names: &Names,
) -> Result<DataBand, PlotError> {
    let scale = if metric_name == "accuracy" {
        100.0
    } else {
        1.0
    };
    let train_metric: Vec<(f64, f64)> = history
        .steps
        .iter()
        .map(|r| (r.step as f64, r.metric * scale))
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
    let mut chart = ChartBuilder::on(area)
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range, low..1.05 * scale)
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
    draw_series(&mut chart, &train_metric, &validation_metric, names)?;
    Ok(band_of(&chart, train_band(&train_metric)))
}

/// A log axis's label: 1, 2 and 5 times a power of ten, and nothing between.
fn log_label(y: &f64) -> String {
    let exponent = y.log10().floor();
    let mantissa = y / 10f64.powf(exponent);
    if ![1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-6) {
        return String::new();
    }
    match exponent as i32 {
        // 0.05, 20: as many decimals as the power of ten needs
        -4..=4 => format!("{y:.*}", (-exponent).max(0.0) as usize),
        _ => format!("{y:.0e}"),
    }
}

/// Where the values `low..=high` lie in `chart`'s picture.
fn band_of<X, Y>(
    chart: &ChartContext<'_, BitMapBackend<'_>, Cartesian2d<X, Y>>,
    (low, high): (f64, f64),
) -> DataBand
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let (columns, rows) = chart.plotting_area().get_pixel_range();
    let (_, top) = chart.backend_coord(&(0.0, high));
    let (_, bottom) = chart.backend_coord(&(0.0, low));
    DataBand {
        rows: (top, bottom),
        area_rows: (rows.start, rows.end),
        columns: (columns.start, columns.end),
    }
}

/// The series' legend names, and how to draw them.
#[derive(Clone, Copy)]
struct Names {
    train: &'static str,
    validation: &'static str,
    /// Noisy per-step values: draw them thin, with a moving average over them.
    mini_batches: bool,
    legends: bool,
}

/// An exponential moving average, as TensorBoard smooths a curve: each point
/// is a weighted mean of the points so far, so it stays within their range.
fn smoothed(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let weight = 0.9;
    let mut average = None;
    points
        .iter()
        .map(|&(x, y)| {
            let next = match average {
                None => y,
                Some(previous) => weight * previous + (1.0 - weight) * y,
            };
            average = Some(next);
            (x, next)
        })
        .collect()
}

/// A thick line drawn one segment at a time: plotters joins a thick line's
/// segments with spikes that reach past the data where it turns sharply.
fn thick_line(points: &[(f64, f64)], colour: RGBColor) -> Vec<PathElement<(f64, f64)>> {
    points
        .windows(2)
        .map(|pair| PathElement::new(pair.to_vec(), colour.stroke_width(2)))
        .collect()
}

/// A training line and, when there is one, a validation line with dots, plus
/// their legend. Noisy training values are drawn thin, under their moving average.
fn draw_series<'a, X, Y>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>,
    train: &[(f64, f64)],
    validation: &[(f64, f64)],
    names: &Names,
) -> Result<(), PlotError>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    if names.mini_batches {
        chart
            .draw_series(LineSeries::new(train.iter().copied(), TRAIN_RAW))
            .map_err(draw_error)?
            .label(names.train)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], TRAIN_RAW));
        chart
            .draw_series(thick_line(&smoothed(train), BLUE))
            .map_err(draw_error)?
            .label("its moving average")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    } else {
        chart
            .draw_series(thick_line(train, BLUE))
            .map_err(draw_error)?
            .label(names.train)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    }
    if !validation.is_empty() {
        let orange = RGBColor(230, 120, 0);
        chart
            .draw_series(thick_line(validation, orange))
            .map_err(draw_error)?
            .label(names.validation)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], orange.stroke_width(2)));
        // dots mark the epochs, while there are few enough to tell apart
        if validation.len() <= 100 {
            let dots = validation
                .iter()
                .map(|&point| Circle::new(point, 3, orange.filled()));
            chart.draw_series(dots).map_err(draw_error)?;
        }
    }
    if !names.legends {
        return Ok(());
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
/// The span of feature `j` the decision-boundary plot draws: the data's, and
/// a tenth more on each side. An error when that is too wide for numbers to
/// hold (features near ±1e308), which would leave nothing to draw.
pub fn boundary_range(rows: &[&[f64]], j: usize) -> Result<(f64, f64), PlotError> {
    let (lo, hi) = rows
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x[j]), hi.max(x[j]))
        });
    let pad = ((hi - lo) * 0.1).max(0.5);
    let (drawn_lo, drawn_hi) = (lo - pad, hi + pad);
    if !(drawn_hi - drawn_lo).is_finite() {
        return Err(PlotError::Failed(format!(
            "spans from {lo:e} to {hi:e}, too wide to draw a decision boundary: rescale it"
        )));
    }
    Ok((drawn_lo, drawn_hi))
}

/// A frame of the training animation: the boundary on the left, the loss
/// so far on the right.
pub const ANIMATION_SIZE: (u32, u32) = (800, 400);
/// The animation's grid of predictions is coarser than the still picture's.
const ANIMATION_GRID: usize = 80;
/// The most points an animation frame's loss and accuracy are taken on.
const SCORED_POINTS: usize = 5000;

/// Decision-boundary pictures of a 2-feature classification: the class a
/// model predicts over the plane, with the data points (raw feature values,
/// true classes) drawn over it.
pub struct Boundary<'a> {
    pub problem: &'a Problem,
    /// The model's feature scaling, applied to the plane's points.
    pub standardization: Option<&'a Standardization>,
    pub points: &'a [(Vec<f64>, usize)],
    pub axis_names: (&'a str, &'a str),
}

impl Boundary<'_> {
    /// The regions `model` draws, as a PNG.
    pub fn png(&self, model: &MLP, title: &str, stop: &AtomicBool) -> Result<Vec<u8>, PlotError> {
        register_fonts();
        let mut rgb = vec![0u8; (BOUNDARY_SIZE.0 * BOUNDARY_SIZE.1 * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, BOUNDARY_SIZE).into_drawing_area();
            root.fill(&WHITE).map_err(draw_error)?;
            self.draw(&root, model, title, BOUNDARY_GRID, 22, stop)?;
            root.present().map_err(draw_error)?;
        }
        encode_png(&rgb, BOUNDARY_SIZE)
    }

    /// How `model` does on the points drawn (at most `SCORED_POINTS` of
    /// them, evenly spread): its data loss, and its accuracy in percent.
    pub fn score(&self, model: &MLP) -> (f64, f64) {
        let every = self.points.len().div_ceil(SCORED_POINTS).max(1);
        let points: Vec<&(Vec<f64>, usize)> = self.points.iter().step_by(every).collect();
        let rows: Vec<Vec<f64>> = points
            .iter()
            .map(|(x, _)| match self.standardization {
                Some(standardization) => standardization.apply(x),
                None => x.clone(),
            })
            .collect();
        let target = match self.problem.target {
            Target::Signs(_) => Target::Signs(
                points
                    .iter()
                    .map(|&&(_, class)| if class == 1 { 1.0 } else { -1.0 })
                    .collect(),
            ),
            _ => Target::Classes(points.iter().map(|&&(_, class)| class).collect()),
        };
        let metrics = evaluate(model, self.problem, &rows, &target);
        (metrics.loss, 100.0 * metrics.accuracy.unwrap_or(f64::NAN))
    }

    /// The regions forming as training goes, as an animated GIF: a frame per
    /// snapshot `(steps done, model)`, titled with the steps and the model's
    /// data loss and accuracy then (on the points drawn), beside the
    /// training loss curve up to there. The last frame holds; the animation
    /// loops.
    pub fn gif(
        &self,
        snapshots: &[(usize, MLP)],
        history: &History,
        stop: &AtomicBool,
    ) -> Result<Vec<u8>, PlotError> {
        register_fonts();
        let (width, height) = ANIMATION_SIZE;
        let gif_error =
            |err: gif::EncodingError| PlotError::Failed(format!("GIF encoding failed: {err}"));
        let mut bytes = Vec::new();
        {
            let mut encoder = gif::Encoder::new(&mut bytes, width as u16, height as u16, &[])
                .map_err(gif_error)?;
            encoder
                .set_repeat(gif::Repeat::Infinite)
                .map_err(gif_error)?;
            let losses: Vec<(f64, f64)> = history
                .steps
                .iter()
                .map(|r| (r.step as f64, r.loss))
                .collect();
            let x_range = history.steps.first().map_or(0.0, |r| r.step as f64)
                ..history.steps.last().map_or(1.0, |r| r.step as f64 + 1.0);
            let y_high = losses.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.05;
            for (index, (step, model)) in snapshots.iter().enumerate() {
                let shown: Vec<(f64, f64)> = losses
                    .iter()
                    .copied()
                    .take_while(|&(x, _)| x <= *step as f64)
                    .collect();
                let (loss, accuracy) = self.score(model);
                let title = format!("after {step} steps: loss {loss:.4}, accuracy {accuracy:.1}%");
                let mut rgb = vec![0u8; (width * height * 3) as usize];
                {
                    let root =
                        BitMapBackend::with_buffer(&mut rgb, ANIMATION_SIZE).into_drawing_area();
                    root.fill(&WHITE).map_err(draw_error)?;
                    let (left, right) = root.split_horizontally(height);
                    self.draw(&left, model, &title, ANIMATION_GRID, 18, stop)?;
                    let mut chart = ChartBuilder::on(&right)
                        .caption("training loss (data + L2)", ("sans-serif", 18))
                        .margin(15)
                        .x_label_area_size(35)
                        .y_label_area_size(55)
                        .build_cartesian_2d(x_range.clone(), 0.0..y_high)
                        .map_err(draw_error)?;
                    chart
                        .configure_mesh()
                        .x_desc("step")
                        .x_label_formatter(&|x| format!("{x:.0}"))
                        .label_style(("sans-serif", 13))
                        .draw()
                        .map_err(draw_error)?;
                    chart
                        .draw_series(LineSeries::new(shown, BLUE))
                        .map_err(draw_error)?;
                    root.present().map_err(draw_error)?;
                }
                let mut frame = gif::Frame::from_rgb_speed(width as u16, height as u16, &rgb, 30);
                // hundredths of a second; the end is held
                frame.delay = if index + 1 == snapshots.len() {
                    200
                } else {
                    12
                };
                encoder.write_frame(&frame).map_err(gif_error)?;
            }
        }
        Ok(bytes)
    }

    /// The class the model predicts at each of `cells` (raw feature
    /// values), `grid` at a time, stopping when `stop` is set.
    fn classes_at(
        &self,
        model: &MLP,
        cells: &[(f64, f64)],
        grid: usize,
        stop: &AtomicBool,
    ) -> Result<Vec<usize>, PlotError> {
        let rows: Vec<Vec<f64>> = cells
            .iter()
            .map(|&(x, y)| match self.standardization {
                Some(standardization) => standardization.apply(&[x, y]),
                None => vec![x, y],
            })
            .collect();
        // A wide network takes a while: Ctrl-C is heard between pieces of the grid.
        let mut predicted: Vec<usize> = Vec::with_capacity(rows.len());
        for piece in rows.chunks(grid) {
            if stop.load(Ordering::Relaxed) {
                return Err(PlotError::Interrupted);
            }
            predicted.extend(outputs(model, piece).iter().map(|scores| {
                match self.problem.predict(scores) {
                    Prediction::Class(class) => class,
                    Prediction::Number(_) => 0,
                }
            }));
        }
        Ok(predicted)
    }

    /// The picture on `area`, from a grid of `grid` predictions a side.
    fn draw(
        &self,
        area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
        model: &MLP,
        title: &str,
        grid: usize,
        title_size: u32,
        stop: &AtomicBool,
    ) -> Result<(), PlotError> {
        let (points, axis_names) = (self.points, self.axis_names);
        let features: Vec<&[f64]> = points.iter().map(|(x, _)| x.as_slice()).collect();
        let range = |j: usize| {
            let name = if j == 0 { axis_names.0 } else { axis_names.1 };
            boundary_range(&features, j).map_err(|err| match err {
                PlotError::Failed(why) => PlotError::Failed(format!("`{name}` {why}")),
                interrupted => interrupted,
            })
        };
        let ((x_lo, x_hi), (y_lo, y_hi)) = (range(0)?, range(1)?);
        let step = ((x_hi - x_lo) / grid as f64, (y_hi - y_lo) / grid as f64);
        let cells: Vec<(f64, f64)> = (0..grid * grid)
            .map(|k| {
                (
                    x_lo + (k % grid) as f64 * step.0,
                    y_lo + (k / grid) as f64 * step.1,
                )
            })
            .collect();
        let predicted = self.classes_at(model, &cells, grid, stop)?;
        let mut chart = ChartBuilder::on(area)
            .caption(
                title,
                ("sans-serif", title_size)
                    .into_font()
                    .style(FontStyle::Bold),
            )
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::StepRecord;

    /// Noisy losses: no pixel of a training line lies above the largest
    /// value or below the smallest (give or take the line's width), on
    /// either chart, on either scale, for full and mini-batches.
    #[test]
    fn training_lines_stay_within_their_data() {
        for steps_per_epoch in [1, 10] {
            lines_stay_within_their_data(steps_per_epoch);
        }
    }

    fn lines_stay_within_their_data(steps_per_epoch: usize) {
        let mut history = History::default();
        let mut state = 12345u64;
        for step in 0..400 {
            // a cheap generator: noise that jumps up and down every step
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = (state >> 11) as f64 / (1u64 << 53) as f64;
            history.steps.push(StepRecord {
                step,
                epoch: step / steps_per_epoch,
                lr: 0.1,
                loss: 0.002 + noise * noise * 0.5,
                penalty: 0.001,
                metric: if noise > 0.4 { 1.0 } else { 0.9 + noise / 10.0 },
            });
        }
        for log_scale in [false, true] {
            let (rgb, bands) =
                render_loss(&history, "accuracy", log_scale, "noise", false).expect("drawn");
            for band in bands {
                let (top, bottom) = band.rows;
                for y in band.area_rows.0..band.area_rows.1 {
                    for x in band.columns.0..band.columns.1 {
                        let at = ((y * LOSS_SIZE.0 as i32 + x) * 3) as usize;
                        let pixel = RGBColor(rgb[at], rgb[at + 1], rgb[at + 2]);
                        if pixel == BLUE || pixel == TRAIN_RAW {
                            assert!(
                                (top - 2..=bottom + 2).contains(&y),
                                "log {log_scale}: a training pixel at row {y}, \
                                 outside the data's rows {top}..={bottom}"
                            );
                        }
                    }
                }
            }
        }
    }
}
