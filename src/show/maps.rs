//! Every neuron's output over a square of the plane: the playground's heat
//! maps and decision regions. A picture, not training: plain numbers, the
//! weights read once, the grid's points in rows.

use crate::engine::Activation;
use crate::nn::MLP;
use crate::train::features::Made;
use crate::train::model::Standardization;

/// A square grid over the plane of two features: `size` points a side,
/// from `x.0` to `x.1` and `y.0` to `y.1`, in the data's units; the first
/// row is the top (the highest `y`), as an image is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub size: usize,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Grid {
    /// The point of cell `(row, column)`.
    pub fn point(&self, row: usize, column: usize) -> (f64, f64) {
        let last = (self.size.max(2) - 1) as f64;
        let x = self.x.0 + (self.x.1 - self.x.0) * column as f64 / last;
        let y = self.y.1 - (self.y.1 - self.y.0) * row as f64 / last;
        (x, y)
    }
}

/// A network's weights as plain numbers, read once.
pub struct Weights {
    layers: Vec<LayerWeights>,
}

/// A layer's weights (a row per neuron), biases and activations.
type LayerWeights = (Vec<Vec<f64>>, Vec<f64>, Vec<Activation>);

impl Weights {
    pub fn of(model: &MLP) -> Weights {
        let layers = model
            .layers
            .iter()
            .map(|layer| {
                let w = layer
                    .neurons
                    .iter()
                    .map(|neuron| neuron.w().iter().map(|w| w.data()).collect())
                    .collect();
                let b = layer.neurons.iter().map(|neuron| neuron.b.data()).collect();
                let act = layer
                    .neurons
                    .iter()
                    .map(|neuron| neuron.activation)
                    .collect();
                (w, b, act)
            })
            .collect();
        Weights { layers }
    }
}

/// The network's inputs at a point of the plane of two columns, written
/// into `inputs`: the features made from them, if any, then the scaling it
/// was trained with.
pub fn plane_inputs(
    made: Option<&Made>,
    standardization: Option<&Standardization>,
) -> impl Fn(f64, f64, &mut Vec<f64>) {
    move |x, y, inputs| {
        inputs.clear();
        match made {
            Some(made) => inputs.extend(made.features.iter().map(|f| f.eval(|i| [x, y][i]))),
            None => inputs.extend([x, y]),
        }
        if let Some(scaling) = standardization {
            for ((input, mean), std) in inputs.iter_mut().zip(&scaling.mean).zip(&scaling.std) {
                *input = (*input - mean) / std;
            }
        }
    }
}

/// Every neuron's output at every cell of `grid`, whose points `inputs`
/// makes into the network's inputs (see [`plane_inputs`]):
/// `maps[layer][neuron][cell]`, cells row by row from the top.
pub fn neuron_maps(
    weights: &Weights,
    inputs: impl Fn(f64, f64, &mut Vec<f64>),
    grid: &Grid,
) -> Vec<Vec<Vec<f32>>> {
    let cells = grid.size * grid.size;
    let mut maps: Vec<Vec<Vec<f32>>> = weights
        .layers
        .iter()
        .map(|(w, ..)| vec![vec![0.0; cells]; w.len()])
        .collect();
    let mut input = Vec::new();
    let mut output = Vec::new();
    #[allow(clippy::needless_range_loop)] // a cell's number is its place on the plane
    for cell in 0..cells {
        let (x, y) = grid.point(cell / grid.size, cell % grid.size);
        inputs(x, y, &mut input);
        for (layer, (w, b, act)) in weights.layers.iter().enumerate() {
            output.clear();
            for (neuron, (row, &bias)) in w.iter().zip(b).enumerate() {
                let sum = row.iter().zip(&input).fold(bias, |sum, (w, x)| sum + w * x);
                let value = act[neuron].eval(sum);
                maps[layer][neuron][cell] = value as f32;
                output.push(value);
            }
            std::mem::swap(&mut input, &mut output);
        }
    }
    maps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;
    use crate::rng::{Init, Stream};
    use crate::train::features::Feature;

    /// The maps are the network's own outputs at the grid's points, made
    /// into its features and scaled.
    #[test]
    fn maps_are_the_networks_outputs() {
        let model = MLP::with_init(
            3,
            &[3, 2, 1],
            &[Activation::Tanh, Activation::Relu, Activation::Linear],
            Init::micrograd(Stream::Portable { seed: 4 }),
        );
        let grid = Grid {
            size: 5,
            x: (-1.0, 2.0),
            y: (-0.5, 0.5),
        };
        let made = Made {
            columns: vec!["x1".into(), "x2".into()],
            features: vec![Feature::Column(0), Feature::Product(0, 1), Feature::Sin(1)],
            rows: Vec::new(),
        };
        let scaling = Standardization {
            mean: vec![0.5, 0.1, 0.0],
            std: vec![2.0, 0.5, 0.3],
        };
        let inputs = plane_inputs(Some(&made), Some(&scaling));
        let maps = neuron_maps(&Weights::of(&model), &inputs, &grid);
        assert_eq!(maps.len(), 3);
        assert_eq!((maps[0].len(), maps[1].len(), maps[2].len()), (3, 2, 1));
        assert_eq!(grid.point(0, 0), (-1.0, 0.5), "top left");
        assert_eq!(grid.point(4, 4), (2.0, -0.5), "bottom right");
        for cell in [0, 7, 24] {
            let (x, y) = grid.point(cell / 5, cell % 5);
            let features = [x, x * y, y.sin()];
            let input: Vec<Value> = (0..3)
                .map(|j| Value::leaf((features[j] - scaling.mean[j]) / scaling.std[j]))
                .collect();
            let out = model.forward(&input);
            assert_eq!(maps[2][0][cell], out[0].data() as f32, "cell {cell}");
        }
    }
}
