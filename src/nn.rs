//! Neuron, Layer and MLP on top of the engine, with micrograd's semantics by
//! default: weights from uniform(-1, 1), bias 0, ReLU on hidden layers and a
//! linear last layer.

use crate::engine::{LayerRefs, RowsLoss, Value};
use crate::rng::{Init, Scheme, WeightRng};

pub use crate::engine::Activation;

pub struct Neuron {
    /// The weights, read through [`Neuron::w`]: they cannot be swapped for
    /// others, so whether they lie in a run on the tape is known once.
    w: Vec<Value>,
    pub b: Value,
    pub activation: Activation,
    /// The weights are consecutive nodes: `forward` can be one neuron node.
    weights_in_a_run: bool,
}

impl Drop for Neuron {
    /// The weights go in one visit to the tape, not one each.
    fn drop(&mut self) {
        Value::drop_all(std::mem::take(&mut self.w));
    }
}

impl Neuron {
    /// Weights drawn from uniform(-1, 1) in order, bias 0: micrograd's `Neuron(nin)`.
    pub fn new(nin: usize, activation: Activation, rng: &mut WeightRng) -> Neuron {
        Neuron::drawn(nin, activation, Scheme::Micrograd.bounds(nin, 1), rng)
    }

    /// Weights from uniform(-w, w) in order, then the bias from uniform(-b, b),
    /// or 0 when `b` is 0, for `(w, b)` = `bounds`.
    fn drawn(
        nin: usize,
        activation: Activation,
        bounds: (f64, f64),
        rng: &mut WeightRng,
    ) -> Neuron {
        let (weight_bound, bias_bound) = bounds;
        let w: Vec<f64> = (0..nin).map(|_| rng.uniform_within(weight_bound)).collect();
        let b = if bias_bound > 0.0 {
            rng.uniform_within(bias_bound)
        } else {
            0.0
        };
        Neuron::from_values(Value::leaves(&w), Value::leaf(b), activation)
    }

    /// A neuron with these weights and bias. Weights made together with
    /// [`Value::leaves`] make the fastest neurons.
    pub fn from_values(w: Vec<Value>, b: Value, activation: Activation) -> Neuron {
        let weights_in_a_run = Value::is_run(&w);
        Neuron {
            w,
            b,
            activation,
            weights_in_a_run,
        }
    }

    /// Whether this neuron can be one of a layer's neuron nodes on `nin`
    /// inputs, the layer's activation being `activation`: its weights a run
    /// of that length, its activation the layer's.
    fn fits(&self, nin: usize, activation: Activation) -> bool {
        // `&`, not `&&`: no branch, for the loop over a layer's neurons
        self.weights_in_a_run & (self.activation == activation) & (self.w.len() == nin)
    }

    /// The weights, one per input.
    pub fn w(&self) -> &[Value] {
        &self.w
    }

    /// `activation(((b + w0*x0) + w1*x1) + ...)`, summed in micrograd's order,
    /// as one node when it can be (see [`Value::neuron`]).
    pub fn forward(&self, x: &[Value]) -> Value {
        assert_eq!(
            x.len(),
            self.w.len(),
            "a neuron with {} weights got {} inputs",
            self.w.len(),
            x.len()
        );
        Value::neuron(&self.b, &self.w, x, self.activation)
    }

    /// The same sum built from the operators, a `*` and a `+` node per
    /// weight, for showing every scalar; same data, same grads.
    pub fn forward_scalar(&self, x: &[Value]) -> Value {
        assert_eq!(x.len(), self.w.len(), "one input per weight");
        let sum = self
            .w
            .iter()
            .zip(x)
            .fold(self.b.clone(), |sum, (w, x)| sum + w * x);
        self.activation.apply(&sum)
    }

    /// The weights, then the bias.
    pub fn parameters(&self) -> Vec<Value> {
        let mut parameters = self.w.clone();
        parameters.push(self.b.clone());
        parameters
    }
}

pub struct Layer {
    pub neurons: Vec<Neuron>,
}

impl Layer {
    /// A layer with the given weights (one row per neuron) and biases.
    pub fn from_weights(weights: &[Vec<f64>], biases: &[f64], activation: Activation) -> Layer {
        assert_eq!(weights.len(), biases.len(), "one bias per neuron");
        let neurons = weights
            .iter()
            .zip(biases)
            .map(|(row, &bias)| {
                Neuron::from_values(Value::leaves(row), Value::leaf(bias), activation)
            })
            .collect();
        Layer { neurons }
    }

    /// micrograd's `Layer(nin, nout)`: each neuron as [`Neuron::new`] draws it.
    pub fn new(nin: usize, nout: usize, activation: Activation, rng: &mut WeightRng) -> Layer {
        Layer::drawn(nin, nout, activation, Scheme::Micrograd, rng)
    }

    /// A layer with weights spread by `scheme`, drawn from `rng` neuron by neuron.
    pub fn drawn(
        nin: usize,
        nout: usize,
        activation: Activation,
        scheme: Scheme,
        rng: &mut WeightRng,
    ) -> Layer {
        let bounds = scheme.bounds(nin, nout);
        Layer {
            neurons: (0..nout)
                .map(|_| Neuron::drawn(nin, activation, bounds, rng))
                .collect(),
        }
    }

    /// Each neuron on `x`, as [`Neuron::forward`] gives it; when the neurons
    /// share one activation and their weights are runs, built in one go.
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        self.forward_with(x, true)
    }

    /// `forward`; without `input_grads`, backward passes `x` no grads.
    fn forward_with(&self, x: &[Value], input_grads: bool) -> Vec<Value> {
        let (neurons, activation) = self.neuron_refs(x.len());
        let outputs = Value::neurons_on_weight_runs(neurons, x, activation, input_grads);
        outputs.unwrap_or_else(|| {
            self.neurons
                .iter()
                .map(|neuron| neuron.forward(x))
                .collect()
        })
    }

    /// Each neuron's bias and first weight (its bias when it has none), and
    /// whether it [fits](Neuron::fits) a layer of neuron nodes on `nin`
    /// inputs with the first neuron's activation; and that activation.
    fn neuron_refs(
        &self,
        nin: usize,
    ) -> (impl Iterator<Item = (&Value, &Value, bool)>, Activation) {
        let activation = (self.neurons.first()).map_or(Activation::Linear, |n| n.activation);
        let neurons = self.neurons.iter().map(move |neuron| {
            let first_weight = neuron.w.first().unwrap_or(&neuron.b);
            (&neuron.b, first_weight, neuron.fits(nin, activation))
        });
        (neurons, activation)
    }

    /// [`Layer::forward`] with every `*` and `+` a node of its own.
    pub fn forward_scalar(&self, x: &[Value]) -> Vec<Value> {
        self.neurons
            .iter()
            .map(|neuron| neuron.forward_scalar(x))
            .collect()
    }

    /// Neuron by neuron, each one's weights then bias.
    pub fn parameters(&self) -> Vec<Value> {
        self.neurons.iter().flat_map(Neuron::parameters).collect()
    }
}

/// A multi-layer perceptron.
///
/// ```
/// use micrograd::nn::MLP;
///
/// let mut model = MLP::new(2, &[4, 1]);
/// let out = model.forward(&[1.0, -2.0]);
/// let loss = (&out[0] - 1.0).pow(2.0);
/// model.zero_grad();
/// loss.backward();
/// model.update_weights(0.1);
/// ```
#[allow(clippy::upper_case_acronyms)]
pub struct MLP {
    pub layers: Vec<Layer>,
}

impl MLP {
    /// `nin` inputs, then a layer of each size in `sizes`, as micrograd's
    /// `MLP(nin, nouts)`: ReLU hidden layers, a linear output layer, and weights
    /// from the default [`Init`].
    pub fn new(nin: usize, sizes: &[usize]) -> MLP {
        MLP::with_init(
            nin,
            sizes,
            &Activation::micrograd_default(sizes.len()),
            Init::default(),
        )
    }

    /// Like [`MLP::new`], with an activation per layer and a chosen initialisation
    /// (`Init::micrograd(stream)` for micrograd's). Weights are drawn layer by
    /// layer, neuron by neuron, as micrograd draws them.
    pub fn with_init(nin: usize, sizes: &[usize], activations: &[Activation], init: Init) -> MLP {
        assert_eq!(activations.len(), sizes.len(), "one activation per layer");
        let mut rng = WeightRng::new(init.stream);
        let mut layers = Vec::with_capacity(sizes.len());
        let mut layer_nin = nin;
        for (&nout, &activation) in sizes.iter().zip(activations) {
            layers.push(Layer::drawn(
                layer_nin,
                nout,
                activation,
                init.scheme,
                &mut rng,
            ));
            layer_nin = nout;
        }
        MLP { layers }
    }

    /// A network of the given shape holding `parameters`, in the order
    /// [`MLP::parameters`] lists them. All of them are made in one run of
    /// leaves, so every neuron's weights are consecutive nodes.
    pub fn from_parameters(
        nin: usize,
        sizes: &[usize],
        activations: &[Activation],
        parameters: &[f64],
    ) -> MLP {
        assert_eq!(activations.len(), sizes.len(), "one activation per layer");
        let mut values = Value::leaves(parameters).into_iter();
        let mut layers = Vec::with_capacity(sizes.len());
        let mut layer_nin = nin;
        for (&nout, &activation) in sizes.iter().zip(activations) {
            let neurons = (0..nout)
                .map(|_| {
                    let w = values.by_ref().take(layer_nin).collect();
                    let b = values.next().expect("one number per parameter");
                    Neuron::from_values(w, b, activation)
                })
                .collect();
            layers.push(Layer { neurons });
            layer_nin = nout;
        }
        assert!(values.next().is_none(), "one number per parameter");
        MLP { layers }
    }

    /// Runs the network on one sample. Takes numbers (`&[1.0, 2.0]`) or values.
    pub fn forward<X: Clone + Into<Value>>(&self, x: &[X]) -> Vec<Value> {
        let inputs = x.iter().map(|xi| xi.clone().into()).collect();
        self.forward_layers(inputs, true)
    }

    /// [`MLP::forward`] on a row of data: the inputs are constants, so
    /// backward passes them no grads (their `grad()` stays 0), as PyTorch
    /// does for a tensor without `requires_grad`. The outputs, and every
    /// weight's grad, are the same to the bit; the first layer's backward is
    /// about twice as fast.
    pub fn forward_data(&self, x: &[f64]) -> Vec<Value> {
        self.forward_layers(Value::leaves(x), false)
    }

    /// [`MLP::forward_data`] on each row, the way to run a batch: the same
    /// outputs, and the same grads in every weight, to the bit. Faster,
    /// because several rows are computed side by side and the hidden layers'
    /// values get no handles (they live as long as the outputs).
    pub fn forward_rows(&self, rows: &[&[f64]]) -> Vec<Vec<Value>> {
        let mut outputs = self.forward_rows_flat(rows).into_iter();
        let nout = self.nout();
        (0..rows.len())
            .map(|_| outputs.by_ref().take(nout).collect())
            .collect()
    }

    /// [`MLP::forward_rows`]'s outputs one row after another, in one vector
    /// (`nout` a row): training's way, which makes no vector per row.
    pub(crate) fn forward_rows_flat(&self, rows: &[&[f64]]) -> Vec<Value> {
        match self.layers_for_rows(rows) {
            Some(layers) => Value::network_on_rows(&layers, rows),
            None => rows.iter().flat_map(|row| self.forward_data(row)).collect(),
        }
    }

    /// `forward_rows_flat` and `loss` on its outputs in one visit to the
    /// tape: the same nodes and bits, but the outputs get no handles; their
    /// data, row after row, go to `scores`. `None`, and nothing built, when
    /// the layers are not all neuron nodes: the caller takes the plain way.
    pub(crate) fn loss_on_rows(
        &self,
        rows: &[&[f64]],
        loss: RowsLoss,
        scores: &mut Vec<f64>,
    ) -> Option<Value> {
        let layers = self.layers_for_rows(rows)?;
        Some(Value::network_loss_on_rows(&layers, rows, loss, scores))
    }

    /// Each layer's neurons' `(bias, first weight)` and activation, for
    /// rows of data side by side; `None` when a layer is not neuron nodes or
    /// there is no input. Every row must be as long as the inputs.
    fn layers_for_rows(&self, rows: &[&[f64]]) -> Option<Vec<LayerRefs<'_>>> {
        let nin = self.nin();
        for row in rows {
            assert_eq!(
                row.len(),
                nin,
                "a network with {nin} inputs got a row of {}",
                row.len()
            );
        }
        if nin == 0 || !self.layers_are_neuron_nodes() {
            return None;
        }
        let layers = self.neuron_refs(nin).map(|(refs, activation)| {
            (
                refs.map(|(bias, weight, _)| (bias, weight)).collect(),
                activation,
            )
        });
        Some(layers.collect())
    }

    /// The number of outputs: the last layer's size (the inputs' with no layer).
    pub fn nout(&self) -> usize {
        self.layers
            .last()
            .map_or(self.nin(), |layer| layer.neurons.len())
    }

    /// Whether every layer can be neuron nodes: it has neurons, and each
    /// [fits](Neuron::fits) the layer.
    fn layers_are_neuron_nodes(&self) -> bool {
        let mut layers = self.layers.iter().zip(self.neuron_refs(self.nin()));
        layers.all(|(layer, (mut neurons, _))| {
            !layer.neurons.is_empty() && neurons.all(|(_, _, fits)| fits)
        })
    }

    /// Each layer's [`Layer::neuron_refs`], the first on `nin` inputs.
    fn neuron_refs(
        &self,
        nin: usize,
    ) -> impl Iterator<Item = (impl Iterator<Item = (&Value, &Value, bool)>, Activation)> {
        let nins = std::iter::once(nin).chain(self.layers.iter().map(|layer| layer.neurons.len()));
        self.layers
            .iter()
            .zip(nins)
            .map(|(layer, nin)| layer.neuron_refs(nin))
    }

    /// Each layer on the one before; `input_grads` as `Layer::forward_with`,
    /// for the first layer (the later ones always pass grads on). In one
    /// visit to the tape when every layer is neuron nodes.
    fn forward_layers(&self, inputs: Vec<Value>, input_grads: bool) -> Vec<Value> {
        if !inputs.is_empty() && !self.layers.is_empty() {
            let layers = self.neuron_refs(inputs.len());
            let outputs = Value::layers_on_run(layers, &inputs, input_grads);
            if let Some(outputs) = outputs {
                Value::drop_all(inputs);
                return outputs;
            }
        }
        let mut activations = inputs;
        for (layer_index, layer) in self.layers.iter().enumerate() {
            let outputs = layer.forward_with(&activations, input_grads || layer_index > 0);
            Value::drop_all(std::mem::replace(&mut activations, outputs));
        }
        activations
    }

    /// Every weight and bias, in micrograd's order: layer by layer, neuron by
    /// neuron, each neuron's weights then its bias.
    pub fn parameters(&self) -> Vec<Value> {
        Value::clone_all(self.parameter_refs())
    }

    /// The parameters in the same order, without new handles.
    fn parameter_refs(&self) -> impl Iterator<Item = &Value> {
        self.layers
            .iter()
            .flat_map(|layer| &layer.neurons)
            .flat_map(|neuron| neuron.w.iter().chain([&neuron.b]))
    }

    pub fn zero_grad(&mut self) {
        match self.parameter_runs() {
            Some(runs) => Value::zero_grad_runs(runs),
            None => Value::zero_grads(self.parameter_refs()),
        }
    }

    /// The parameters in `parameters`' order as runs of consecutive nodes
    /// (each neuron's weights, then its bias), each by its first value and
    /// length; `None` when a neuron's weights are not a run.
    fn parameter_runs(&self) -> Option<impl Iterator<Item = (&Value, usize)>> {
        let mut neurons = self.layers.iter().flat_map(|layer| &layer.neurons);
        let runs = neurons.all(|neuron| neuron.weights_in_a_run && !neuron.w.is_empty());
        let neurons = self.layers.iter().flat_map(|layer| &layer.neurons);
        runs.then(|| neurons.flat_map(|neuron| [(&neuron.w[0], neuron.w.len()), (&neuron.b, 1)]))
    }

    /// Every parameter's grad, in `parameters`' order, into `out`, whose old
    /// contents go.
    pub(crate) fn grads_into(&self, out: &mut Vec<f64>) {
        match self.parameter_runs() {
            Some(runs) => Value::grad_runs_into(runs, out),
            None => Value::grads_into(&self.parameters(), out),
        }
    }

    /// Sets every parameter's data to `data`'s numbers, in `parameters`' order.
    pub(crate) fn set_parameter_data(&self, data: &[f64]) {
        match self.parameter_runs() {
            Some(runs) => Value::set_data_runs(runs, data),
            None => Value::set_data_of(&self.parameters(), data),
        }
    }

    /// One step of gradient descent: `p.data -= lr * p.grad` for every parameter.
    pub fn update_weights(&mut self, lr: f64) {
        Value::descend_all(self.parameter_refs(), lr);
    }

    /// The number of inputs the first layer takes.
    pub fn nin(&self) -> usize {
        self.layers
            .first()
            .and_then(|layer| layer.neurons.first())
            .map_or(0, |neuron| neuron.w.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameters read and written a run at a time are the parameters
    /// read and written one by one, a bias swapped for another value too.
    #[test]
    fn parameter_runs_are_the_parameters() {
        let mut model = MLP::new(3, &[4, 2]);
        model.layers[1].neurons[0].b = Value::leaf(0.25);
        let numbers: Vec<f64> = (0..model.parameters().len())
            .map(|i| i as f64 / 7.0)
            .collect();
        model.set_parameter_data(&numbers);
        let data: Vec<f64> = model.parameters().iter().map(Value::data).collect();
        assert_eq!(data, numbers);
        let out = model.forward(&[1.0, -2.0, 0.5]);
        (&out[0] * &out[1]).backward();
        let mut grads = Vec::new();
        model.grads_into(&mut grads);
        let one_by_one: Vec<f64> = model.parameters().iter().map(Value::grad).collect();
        assert_eq!(grads, one_by_one);
        assert!(grads.iter().filter(|&&g| g != 0.0).count() > 10);
        model.zero_grad();
        assert!(model.parameters().iter().all(|p| p.grad() == 0.0));
    }

    /// A layer that cannot be neuron nodes (here a neuron with an activation
    /// of its own) is built neuron by neuron, and what the one-visit path
    /// had built of the layers below it is gone: the tape holds only the
    /// nodes the fallback makes.
    #[test]
    fn a_layer_that_does_not_fit_leaves_no_nodes_behind() {
        use crate::engine::tape_len;
        let mut model = MLP::new(3, &[4, 2]);
        model.layers[1].neurons[1].activation = Activation::Tanh;
        let x = [0.5, -1.0, 2.0];
        let before = tape_len();
        let out = model.forward(&x);
        // 3 inputs, the first layer one node a neuron, the second neuron by neuron
        assert_eq!(tape_len() - before, 3 + 4 + 2);
        let inputs: Vec<Value> = x.iter().map(|&xi| Value::leaf(xi)).collect();
        let hidden = model.layers[0].forward(&inputs);
        let expected: Vec<f64> = (model.layers[1].neurons.iter())
            .map(|neuron| neuron.forward(&hidden).data())
            .collect();
        assert_eq!(out.iter().map(Value::data).collect::<Vec<_>>(), expected);
        assert!(
            out[1].data().abs() < 1.0,
            "the second output went through tanh"
        );
    }

    /// A row of the wrong length is refused as a neuron refuses it, on the
    /// one-visit path too (it once summed past the row's end).
    #[test]
    #[should_panic(expected = "a neuron with 2 weights got 3 inputs")]
    fn forward_refuses_a_row_of_the_wrong_length() {
        MLP::new(2, &[4, 1]).forward(&[1.0, 2.0, 3.0]);
    }

    #[test]
    #[should_panic(expected = "a neuron with 3 weights got 2 inputs")]
    fn a_layer_refuses_inputs_of_the_wrong_length() {
        let inputs = Value::leaves(&[1.0, 2.0]);
        let mut rng = WeightRng::new(crate::rng::Stream::Portable { seed: 1 });
        Layer::new(3, 4, Activation::Relu, &mut rng).forward(&inputs);
    }
}
