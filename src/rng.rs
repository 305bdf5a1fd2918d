//! Seeded random numbers for weight initialisation, in two independent
//! choices: the **stream** the numbers come from ([`Stream`]) and the
//! **scheme** that spreads them over a layer ([`Scheme`]).
//!
//! Two streams: rand's portable `ChaCha8Rng`, and a Mersenne Twister that
//! draws exactly what CPython's `random.seed(s)` then `random.uniform(a, b)`
//! would, so that micrograd's own runs can be reproduced bit for bit.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Where the random numbers come from, and their seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// rand's `ChaCha8Rng::seed_from_u64(seed)`: the same numbers on every platform.
    Portable { seed: u64 },
    /// CPython's `random.seed(seed)`: the numbers micrograd itself would draw.
    Python { seed: u64 },
}

/// How a layer's weights and biases are spread, given its fan-in (inputs per
/// neuron) and fan-out (neurons). Every scheme draws from a uniform range,
/// one neuron after another, its weights and then its bias.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheme {
    /// micrograd's: weights from uniform(-1, 1), whatever the layer's width; bias 0.
    #[default]
    Micrograd,
    /// PyTorch's default for `nn.Linear`: weights and bias from
    /// uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Pytorch,
    /// He (Kaiming) uniform, for ReLU: weights from uniform(-b, b) with
    /// b = sqrt(6 / fan_in); bias 0.
    He,
    /// Glorot (Xavier) uniform, for tanh and sigmoid: weights from
    /// uniform(-b, b) with b = sqrt(6 / (fan_in + fan_out)); bias 0.
    Glorot,
}

impl Scheme {
    /// The bounds `(weights, bias)` of the uniform ranges for a layer: weights
    /// come from uniform(-w, w), biases from uniform(-b, b), or are 0 when b is 0.
    pub fn bounds(self, fan_in: usize, fan_out: usize) -> (f64, f64) {
        let (fan_in, fan_out) = (fan_in.max(1) as f64, fan_out as f64);
        match self {
            Scheme::Micrograd => (1.0, 0.0),
            Scheme::Pytorch => (1.0 / fan_in.sqrt(), 1.0 / fan_in.sqrt()),
            Scheme::He => ((6.0 / fan_in).sqrt(), 0.0),
            Scheme::Glorot => ((6.0 / (fan_in + fan_out)).sqrt(), 0.0),
        }
    }
}

/// Where initial weights come from: a scheme, and the stream it draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Init {
    pub scheme: Scheme,
    pub stream: Stream,
}

impl Init {
    /// micrograd's scheme, uniform(-1, 1) and bias 0, drawn from `stream`.
    pub fn micrograd(stream: Stream) -> Init {
        Init {
            scheme: Scheme::Micrograd,
            stream,
        }
    }
}

impl Default for Init {
    /// micrograd's scheme from the portable stream, seed 0.
    fn default() -> Init {
        Init::micrograd(Stream::Portable { seed: 0 })
    }
}

/// A generator of uniform draws, made from a [`Stream`].
#[derive(Debug)]
pub enum WeightRng {
    Portable(Box<ChaCha8Rng>),
    Python(Box<PythonRandom>),
}

impl WeightRng {
    pub fn new(stream: Stream) -> WeightRng {
        match stream {
            Stream::Portable { seed } => {
                WeightRng::Portable(Box::new(ChaCha8Rng::seed_from_u64(seed)))
            }
            Stream::Python { seed } => WeightRng::Python(Box::new(PythonRandom::new(seed))),
        }
    }

    /// A draw from uniform(-1, 1).
    pub fn uniform(&mut self) -> f64 {
        self.uniform_within(1.0)
    }

    /// A draw from uniform(-bound, bound); `bound` must be positive.
    pub fn uniform_within(&mut self, bound: f64) -> f64 {
        match self {
            WeightRng::Portable(rng) => rng.random_range(-bound..bound),
            WeightRng::Python(rng) => rng.uniform(-bound, bound),
        }
    }
}

const N: usize = 624;
const M: usize = 397;

/// CPython's `random.Random`: MT19937 seeded by `init_by_array`, with `random()`
/// built from two 32-bit outputs into a 53-bit float.
#[derive(Clone, Debug)]
pub struct PythonRandom {
    state: [u32; N],
    index: usize,
}

impl PythonRandom {
    /// As `random.seed(seed)` for a non-negative int: the seed's 32-bit words,
    /// least significant first, go to `init_by_array`.
    pub fn new(seed: u64) -> PythonRandom {
        let low = seed as u32;
        let high = (seed >> 32) as u32;
        let key: &[u32] = if high == 0 { &[low] } else { &[low, high] };
        PythonRandom::from_key(key)
    }

    /// MT19937's `init_genrand(19650218)` followed by `init_by_array(key)`.
    fn from_key(key: &[u32]) -> PythonRandom {
        let mut mt = [0u32; N];
        mt[0] = 19_650_218;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        PythonRandom {
            state: mt,
            index: N,
        }
    }

    /// The next 32-bit output of MT19937.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn twist(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for k in 0..N {
            let y = (self.state[k] & UPPER) | (self.state[(k + 1) % N] & LOWER);
            let mag = if y & 1 == 0 { 0 } else { MATRIX_A };
            self.state[k] = self.state[(k + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }

    /// `random.random()`: a float in [0, 1) with 53 random bits.
    pub fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `random.uniform(lo, hi)`: `lo + (hi - lo) * random()`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference draws shipped in data/, made by CPython itself.
    #[test]
    fn python_uniform_matches_cpython_seed_1337() {
        let reference = include_str!("../data/python_random_seed1337_uniform.txt");
        let expected: Vec<f64> = reference
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| line.trim().parse().expect("reference file holds floats"))
            .collect();
        assert_eq!(expected.len(), 10);
        let mut rng = PythonRandom::new(1337);
        for want in expected {
            assert_eq!(rng.uniform(-1.0, 1.0).to_bits(), want.to_bits());
        }
    }

    #[test]
    fn portable_init_is_seeded() {
        let draws = |seed| {
            let mut rng = WeightRng::new(Stream::Portable { seed });
            (0..5).map(|_| rng.uniform()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        assert!(draws(7).iter().all(|w| (-1.0..1.0).contains(w)));
    }

    #[test]
    fn scaled_schemes_shrink_with_the_fan_in() {
        assert_eq!(Scheme::Micrograd.bounds(64, 32), (1.0, 0.0));
        assert_eq!(Scheme::Pytorch.bounds(64, 32), (0.125, 0.125));
        assert_eq!(Scheme::He.bounds(6, 3), (1.0, 0.0));
        assert_eq!(Scheme::Glorot.bounds(4, 2), (1.0, 0.0));
        let mut rng = WeightRng::new(Stream::Python { seed: 1 });
        assert!((0..100).all(|_| rng.uniform_within(0.125).abs() <= 0.125));
    }
}
