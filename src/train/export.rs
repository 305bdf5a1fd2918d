//! A model file in the formats other runtimes read, as bytes: ONNX (the
//! whole prediction: the feature scaling, each layer as a `Gemm` and its
//! activation, and for a multiclass model the class probabilities) and
//! safetensors (the weights as PyTorch's `nn.Sequential` of `Linear` layers
//! names them, the rest in its metadata). A regression's target scaling is
//! already folded into a model file's last layer. No I/O here.

use std::collections::HashMap;

use prost::Message;

use crate::train::config::{ActivationName, Task};
use crate::train::model::SavedModel;
use crate::train::onnx_proto::*;

/// The element type written: float64, as the model computes, or float32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F64,
    F32,
}

impl Precision {
    fn bytes(self, values: &[f64]) -> Vec<u8> {
        match self {
            Precision::F64 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            Precision::F32 => values
                .iter()
                .flat_map(|v| (*v as f32).to_le_bytes())
                .collect(),
        }
    }

    fn onnx_type(self) -> i32 {
        match self {
            Precision::F64 => DOUBLE,
            Precision::F32 => FLOAT,
        }
    }
}

/// The ONNX operator set the graph is written for (Softmax over one axis).
pub const OPSET: i64 = 13;
/// The ONNX IR version of that operator set's release.
pub const IR_VERSION: i64 = 7;

/// What a model file says of itself, for a file's metadata: its features,
/// target, task, classes and layers, as JSON strings.
fn metadata(model: &SavedModel) -> Vec<(String, String)> {
    let json = |value: serde_json::Value| value.to_string();
    let layers: Vec<serde_json::Value> = (model.layers.iter())
        .map(|layer| {
            serde_json::json!({
                "in": layer.weights.first().map_or(0, Vec::len),
                "out": layer.weights.len(),
                "activation": layer.activation,
            })
        })
        .collect();
    let mut entries = vec![
        ("format".to_string(), "micrograd-rs".to_string()),
        ("task".to_string(), json(serde_json::json!(model.task))),
        (
            "features".to_string(),
            json(serde_json::json!(model.features)),
        ),
        ("target".to_string(), model.target.clone()),
        ("layers".to_string(), json(serde_json::json!(layers))),
    ];
    if let Some(classes) = &model.classes {
        entries.push(("classes".to_string(), json(serde_json::json!(classes))));
    }
    if let Some(scaling) = &model.standardization {
        entries.push((
            "standardization".to_string(),
            json(serde_json::json!({"mean": scaling.mean, "std": scaling.std})),
        ));
    }
    entries
}

/// The safetensors file: `{k}.weight` ([out, in]) and `{k}.bias` for each
/// layer, `k` its place in an `nn.Sequential` of `Linear` layers each
/// followed by its activation module (none for a linear layer).
pub fn safetensors(model: &SavedModel, precision: Precision) -> Vec<u8> {
    let dtype = match precision {
        Precision::F64 => safetensors::Dtype::F64,
        Precision::F32 => safetensors::Dtype::F32,
    };
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut index = 0;
    for layer in &model.layers {
        let (outputs, inputs) = (
            layer.weights.len(),
            layer.weights.first().map_or(0, Vec::len),
        );
        let weights: Vec<f64> = layer.weights.iter().flatten().copied().collect();
        tensors.push((
            format!("{index}.weight"),
            vec![outputs, inputs],
            precision.bytes(&weights),
        ));
        tensors.push((
            format!("{index}.bias"),
            vec![outputs],
            precision.bytes(&layer.biases),
        ));
        index += if layer.activation == ActivationName::Linear {
            1
        } else {
            2
        };
    }
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = (tensors.iter())
        .map(|(name, shape, data)| {
            let view = safetensors::tensor::TensorView::new(dtype, shape.clone(), data)
                .expect("the shape fits the data");
            (name.clone(), view)
        })
        .collect();
    let metadata: HashMap<String, String> = metadata(model).into_iter().collect();
    safetensors::tensor::serialize(views, Some(metadata)).expect("tensors in memory serialise")
}

/// A graph under construction: its nodes and constants.
struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    precision: Precision,
}

impl Graph {
    fn constant(&mut self, name: &str, dims: Vec<i64>, values: &[f64]) -> String {
        self.initializers.push(TensorProto {
            dims,
            data_type: Some(self.precision.onnx_type()),
            name: Some(name.to_string()),
            raw_data: Some(self.precision.bytes(values)),
        });
        name.to_string()
    }

    fn node(&mut self, op: &str, inputs: &[&str], output: &str, attributes: &[(&str, i64)]) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: Some(output.to_string()),
            op_type: Some(op.to_string()),
            attribute: (attributes.iter())
                .map(|(name, value)| AttributeProto {
                    name: Some(name.to_string()),
                    i: Some(*value),
                    r#type: Some(ATTRIBUTE_INT),
                })
                .collect(),
        });
    }
}

/// A tensor's type: `precision`, shape `[rows, width]`.
fn value_info(name: &str, precision: Precision, width: usize, doc: String) -> ValueInfoProto {
    let dim = vec![
        Dimension {
            dim_value: None,
            dim_param: Some("rows".to_string()),
        },
        Dimension {
            dim_value: Some(width as i64),
            dim_param: None,
        },
    ];
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorType {
                elem_type: Some(precision.onnx_type()),
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
        doc_string: Some(doc),
    }
}

/// The ONNX model of the whole prediction: input `features` ([rows, F], the
/// model file's feature columns in order), the scaling, the layers, and the
/// output `scores` (a classification; plus `probabilities` for multiclass)
/// or `prediction` (a regression), each [rows, outputs].
pub fn onnx(model: &SavedModel, precision: Precision) -> Vec<u8> {
    let mut graph = Graph {
        nodes: Vec::new(),
        initializers: Vec::new(),
        precision,
    };
    let width = model.features.len();
    let mut input = "features".to_string();
    if let Some(scaling) = &model.standardization {
        let mean = graph.constant("scaling.mean", vec![width as i64], &scaling.mean);
        let std = graph.constant("scaling.std", vec![width as i64], &scaling.std);
        graph.node("Sub", &[&input, &mean], "centred", &[]);
        graph.node("Div", &["centred", &std], "scaled", &[]);
        input = "scaled".to_string();
    }
    let output = if model.task == Task::Regression {
        "prediction"
    } else {
        "scores"
    };
    graph.layers(model, input, output);
    if model.task == Task::Multiclass {
        graph.node("Softmax", &[output], "probabilities", &[("axis", 1)]);
    }
    let features_doc = format!("one row per sample: {}", model.features.join(", "));
    let onnx = ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        producer_name: Some("micrograd-rs".to_string()),
        producer_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        doc_string: Some(format!(
            "an MLP trained by micrograd-rs to predict `{}` from {}",
            model.target,
            model.features.join(", ")
        )),
        graph: Some(GraphProto {
            node: graph.nodes,
            name: Some("micrograd".to_string()),
            initializer: graph.initializers,
            doc_string: None,
            input: vec![value_info("features", precision, width, features_doc)],
            output: outputs(model, precision, output),
        }),
        metadata_props: (metadata(model).into_iter())
            .map(|(key, value)| StringStringEntryProto {
                key: Some(key),
                value: Some(value),
            })
            .collect(),
    };
    onnx.encode_to_vec()
}

impl Graph {
    /// Each layer from `input`: a `Gemm` (weights [out, in], as `Linear`'s)
    /// and its activation; the last layer's result is named `output`.
    fn layers(&mut self, model: &SavedModel, input: String, output: &str) {
        let mut current = input;
        let last = model.layers.len().saturating_sub(1);
        for (index, layer) in model.layers.iter().enumerate() {
            let (outputs, inputs) = (
                layer.weights.len(),
                layer.weights.first().map_or(0, Vec::len),
            );
            let weights: Vec<f64> = layer.weights.iter().flatten().copied().collect();
            let dims = vec![outputs as i64, inputs as i64];
            let w = self.constant(&format!("layer{index}.weight"), dims, &weights);
            let b = self.constant(
                &format!("layer{index}.bias"),
                vec![outputs as i64],
                &layer.biases,
            );
            let activation = match layer.activation {
                ActivationName::Relu => Some("Relu"),
                ActivationName::Tanh => Some("Tanh"),
                ActivationName::Sigmoid => Some("Sigmoid"),
                ActivationName::Linear => None,
            };
            let named = |stage: &str| match index == last {
                true => output.to_string(),
                false => format!("layer{index}.{stage}"),
            };
            let sum = match activation {
                None => named("out"),
                Some(_) => format!("layer{index}.sum"),
            };
            self.node("Gemm", &[&current, &w, &b], &sum, &[("transB", 1)]);
            current = sum;
            if let Some(op) = activation {
                let out = named("out");
                self.node(op, &[&current], &out, &[]);
                current = out;
            }
        }
    }
}

/// The graph's outputs, each with a doc string that says what it holds.
fn outputs(model: &SavedModel, precision: Precision, output: &str) -> Vec<ValueInfoProto> {
    let width = model.layers.last().map_or(0, |layer| layer.weights.len());
    let doc = match (&model.classes, model.task) {
        (_, Task::Regression) => format!("the predicted `{}`", model.target),
        (Some(classes), Task::Binary) => format!(
            "the score: `{}` when above 0, else `{}`",
            classes.get(1).map_or("", String::as_str),
            classes.first().map_or("", String::as_str)
        ),
        (Some(classes), _) => format!("a score per class: {}", classes.join(", ")),
        (None, _) => "the scores".to_string(),
    };
    let mut outputs = vec![value_info(output, precision, width, doc)];
    if model.task == Task::Multiclass {
        let doc = "each class's probability, the softmax of the scores".to_string();
        outputs.push(value_info("probabilities", precision, width, doc));
    }
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::model::{SavedLayer, Standardization};

    /// A 3-feature, 3-class model with scaling: tanh, then linear scores.
    fn model() -> SavedModel {
        let text = r#"{"format": "micrograd-rs model", "version": 1, "task": "multiclass",
 "loss": "cross_entropy", "features": ["a", "b", "c"], "target": "y", "classes": ["p", "q", "r"],
 "standardization": null, "layers": [], "seed": 0, "init": "pytorch",
 "metrics": {"steps": 1, "train": {"samples": 1, "loss": 1.0}, "validation": null}}"#;
        let mut model: SavedModel = serde_json::from_str(text).expect("a model");
        model.standardization = Some(Standardization {
            mean: vec![1.0, 2.0, 3.0],
            std: vec![0.5, 1.0, 2.0],
        });
        model.layers = vec![
            SavedLayer {
                activation: ActivationName::Tanh,
                weights: vec![vec![0.1, 0.2, 0.3], vec![-0.4, 0.5, -0.6]],
                biases: vec![0.01, -0.02],
            },
            SavedLayer {
                activation: ActivationName::Linear,
                weights: vec![vec![1.0, -1.0], vec![0.5, 0.25], vec![-2.0, 3.0]],
                biases: vec![0.0, 0.1, -0.1],
            },
        ];
        model
    }

    #[test]
    fn the_onnx_graph_is_the_whole_prediction() {
        for (precision, element) in [(Precision::F64, DOUBLE), (Precision::F32, FLOAT)] {
            let bytes = onnx(&model(), precision);
            let decoded = ModelProto::decode(bytes.as_slice()).expect("ONNX decodes");
            let graph = decoded.graph.expect("a graph");
            let ops: Vec<&str> = graph
                .node
                .iter()
                .filter_map(|n| n.op_type.as_deref())
                .collect();
            assert_eq!(ops, ["Sub", "Div", "Gemm", "Tanh", "Gemm", "Softmax"]);
            let outputs: Vec<&str> = graph
                .output
                .iter()
                .filter_map(|o| o.name.as_deref())
                .collect();
            assert_eq!(outputs, ["scores", "probabilities"]);
            assert!(
                graph
                    .initializer
                    .iter()
                    .all(|t| t.data_type == Some(element))
            );
            let weight = &graph.initializer[2];
            assert_eq!(
                (weight.name.as_deref(), weight.dims.as_slice()),
                (Some("layer0.weight"), &[2, 3][..])
            );
            let keys: Vec<&str> = decoded
                .metadata_props
                .iter()
                .filter_map(|p| p.key.as_deref())
                .collect();
            assert!(keys.contains(&"classes") && keys.contains(&"features"));
        }
    }

    #[test]
    fn safetensors_names_the_layers_as_nn_sequential() {
        let bytes = safetensors(&model(), Precision::F64);
        let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors reads it");
        let mut names: Vec<String> = file.names().into_iter().map(str::to_string).collect();
        names.sort();
        // Linear, Tanh, Linear: the second Linear is module 2
        assert_eq!(names, ["0.bias", "0.weight", "2.bias", "2.weight"]);
        let weight = file.tensor("2.weight").expect("a tensor");
        assert_eq!(weight.shape(), [3, 2]);
        assert_eq!(&weight.data()[16..24], (0.5f64).to_le_bytes());
    }
}
