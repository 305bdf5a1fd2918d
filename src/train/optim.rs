//! Optimizers: how parameters move given their gradients.

use serde::{Deserialize, Serialize};

use crate::train::config::{OptimizerConfig, OptimizerKind};

/// What an optimizer has learnt so far, as a model file saves it for
/// `train --resume`: its running averages, per parameter.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum OptimizerState {
    Sgd,
    Momentum { velocity: Vec<f64> },
    Adam { m: Vec<f64>, v: Vec<f64>, t: i32 },
}

impl OptimizerState {
    /// The optimizer that keeps this state.
    pub fn kind(&self) -> OptimizerKind {
        match self {
            OptimizerState::Sgd => OptimizerKind::Sgd,
            OptimizerState::Momentum { .. } => OptimizerKind::Momentum,
            OptimizerState::Adam { .. } => OptimizerKind::Adam,
        }
    }

    /// Whether the state is one `steps` steps of training can have left: its
    /// numbers finite, Adam's second moments not negative and its step count
    /// between 0 and `steps`. The error names the field.
    pub fn check(&self, steps: usize) -> anyhow::Result<()> {
        let finite = |values: &[f64]| values.iter().all(|x| x.is_finite());
        match self {
            OptimizerState::Sgd => {}
            OptimizerState::Momentum { velocity } => {
                if !finite(velocity) {
                    anyhow::bail!("at `training.optimizer.velocity`: not all are finite numbers");
                }
            }
            OptimizerState::Adam { m, v, t } => {
                if !finite(m) {
                    anyhow::bail!("at `training.optimizer.m`: not all are finite numbers");
                }
                if !v.iter().all(|x| x.is_finite() && *x >= 0.0) {
                    anyhow::bail!(
                        "at `training.optimizer.v`: a running average of squares must be a \
                         finite number, 0 or more"
                    );
                }
                if usize::try_from(*t).map_or(true, |t| t > steps) {
                    anyhow::bail!(
                        "at `training.optimizer.t`: {t} steps, but the model has had {steps}"
                    );
                }
            }
        }
        Ok(())
    }

    /// The lengths of its per-parameter vectors, which must all be the parameters'.
    pub fn lengths(&self) -> Vec<usize> {
        match self {
            OptimizerState::Sgd => vec![],
            OptimizerState::Momentum { velocity } => vec![velocity.len()],
            OptimizerState::Adam { m, v, .. } => vec![m.len(), v.len()],
        }
    }
}

/// An optimizer and the state it keeps per parameter.
pub enum Optimizer {
    /// `p -= lr * grad`
    Sgd,
    /// `v = momentum * v + grad; p -= lr * v`
    Momentum { momentum: f64, velocity: Vec<f64> },
    /// Adam, with bias-corrected first and second moments.
    Adam {
        beta1: f64,
        beta2: f64,
        eps: f64,
        m: Vec<f64>,
        v: Vec<f64>,
        t: i32,
    },
}

impl Optimizer {
    pub fn new(config: &OptimizerConfig, n_parameters: usize) -> Optimizer {
        match config.kind {
            OptimizerKind::Sgd => Optimizer::Sgd,
            OptimizerKind::Momentum => Optimizer::Momentum {
                momentum: config.momentum,
                velocity: vec![0.0; n_parameters],
            },
            OptimizerKind::Adam => Optimizer::Adam {
                beta1: config.beta1,
                beta2: config.beta2,
                eps: config.eps,
                m: vec![0.0; n_parameters],
                v: vec![0.0; n_parameters],
                t: 0,
            },
        }
    }

    /// The optimizer `config` asks for, going on from `state`; `None` when
    /// `state` is another kind's or holds another number of parameters.
    pub fn resumed(
        config: &OptimizerConfig,
        n_parameters: usize,
        state: &OptimizerState,
    ) -> Option<Optimizer> {
        if state.lengths().iter().any(|&n| n != n_parameters) {
            return None;
        }
        let optimizer = match (Optimizer::new(config, n_parameters), state.clone()) {
            (Optimizer::Sgd, OptimizerState::Sgd) => Optimizer::Sgd,
            (Optimizer::Momentum { momentum, .. }, OptimizerState::Momentum { velocity }) => {
                Optimizer::Momentum { momentum, velocity }
            }
            (
                Optimizer::Adam {
                    beta1, beta2, eps, ..
                },
                OptimizerState::Adam { m, v, t },
            ) => Optimizer::Adam {
                beta1,
                beta2,
                eps,
                m,
                v,
                t,
            },
            _ => return None,
        };
        Some(optimizer)
    }

    pub fn state(&self) -> OptimizerState {
        match self {
            Optimizer::Sgd => OptimizerState::Sgd,
            Optimizer::Momentum { velocity, .. } => OptimizerState::Momentum {
                velocity: velocity.clone(),
            },
            Optimizer::Adam { m, v, t, .. } => OptimizerState::Adam {
                m: m.clone(),
                v: v.clone(),
                t: *t,
            },
        }
    }

    /// Moves every parameter by its grad, at learning rate `lr`.
    pub fn step(&mut self, parameters: &mut [f64], grads: &[f64], lr: f64) {
        assert_eq!(parameters.len(), grads.len(), "one grad per parameter");
        match self {
            Optimizer::Sgd => {
                for (p, grad) in parameters.iter_mut().zip(grads) {
                    *p -= lr * grad;
                }
            }
            Optimizer::Momentum { momentum, velocity } => {
                for ((p, v), grad) in parameters.iter_mut().zip(velocity).zip(grads) {
                    *v = *momentum * *v + grad;
                    *p -= lr * *v;
                }
            }
            Optimizer::Adam {
                beta1,
                beta2,
                eps,
                m,
                v,
                t,
            } => {
                *t += 1;
                let correction1 = 1.0 - beta1.powi(*t);
                let correction2 = 1.0 - beta2.powi(*t);
                for (((p, m), v), &grad) in parameters.iter_mut().zip(m).zip(v).zip(grads) {
                    *m = *beta1 * *m + (1.0 - *beta1) * grad;
                    *v = *beta2 * *v + (1.0 - *beta2) * grad * grad;
                    let step = lr * (*m / correction1) / ((*v / correction2).sqrt() + *eps);
                    *p -= step;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each optimizer walks x toward the minimum of (x - 3)^2.
    #[test]
    fn optimizers_minimise_a_parabola() {
        for kind in [
            OptimizerKind::Sgd,
            OptimizerKind::Momentum,
            OptimizerKind::Adam,
        ] {
            let config = OptimizerConfig {
                kind,
                lr: Some(0.05),
                ..OptimizerConfig::default()
            };
            let mut x = [0.0];
            let mut optimizer = Optimizer::new(&config, 1);
            for _ in 0..1000 {
                // d/dx (x - 3)^2 = 2 (x - 3)
                let grad = [2.0 * (x[0] - 3.0)];
                optimizer.step(&mut x, &grad, config.lr());
            }
            assert!((x[0] - 3.0).abs() < 1e-3, "{kind:?} ended at {}", x[0]);
        }
    }
}
