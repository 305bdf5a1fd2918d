//! Datasets built into the library, so that the demo runs from any directory.

/// The 100 points micrograd's demo.ipynb trains on (`make_moons(100, noise=0.1)`
/// after `np.random.seed(1337)`, labels -1/+1), as `x1,x2,y` with a header.
pub const DEMO_MOONS_CSV: &str = include_str!("../../data/micrograd_demo_moons.csv");

/// The demo moons as (features, label) pairs.
pub fn demo_moons() -> Vec<([f64; 2], f64)> {
    DEMO_MOONS_CSV
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<f64> = line
                .split(',')
                .map(|field| field.parse().expect("the shipped moons CSV holds numbers"))
                .collect();
            ([fields[0], fields[1]], fields[2])
        })
        .collect()
}

/// The synthetic 2-D sets `micrograd data` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Synthetic {
    /// Two interleaved half circles (scikit-learn's make_moons), classes 0 and 1.
    Moons,
    /// A circle inside a circle of twice its radius, classes 0 (outer) and 1.
    Circles,
    /// Points in [-1, 1]²; class 1 where x1*x2 > 0.
    Xor,
    /// Three spiral arms, classes `a`, `b` and `c`.
    Spiral,
    /// Two Gaussian clusters about (-1, -1) and (1, 1), classes 0 and 1,
    /// each of spread 0.4 before the noise.
    Gauss,
    /// A regression: points in [-1, 1]², the target `(x1 + x2) / 2` at the
    /// point before the noise moves it.
    Plane,
}

/// `n` points of a synthetic set as CSV (`x1,x2,label`), seeded; the label
/// is a class but for `Plane`, whose label is a number.
pub fn generate(kind: Synthetic, n: usize, noise: f64, seed: u64) -> String {
    let mut csv = Vec::new();
    write(kind, n, noise, seed, &mut csv).expect("writing to memory cannot fail");
    String::from_utf8(csv).expect("the CSV is ASCII")
}

/// [`generate`], written row by row to `out` as it is made, so that any
/// number of rows streams in constant memory.
pub fn write(
    kind: Synthetic,
    n: usize,
    noise: f64,
    seed: u64,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};
    use std::f64::consts::PI;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Box-Muller: a standard normal draw from two uniform ones.
    let gaussian = |rng: &mut ChaCha8Rng| {
        let u: f64 = 1.0 - rng.random::<f64>();
        let v: f64 = rng.random();
        (-2.0 * u.ln()).sqrt() * (2.0 * PI * v).cos()
    };
    writeln!(out, "x1,x2,label")?;
    for i in 0..n {
        let (x, y, label) = match kind {
            Synthetic::Moons => {
                let half = n.div_ceil(2);
                let (class, j, count) = if i < half {
                    (0, i, half)
                } else {
                    (1, i - half, n - half)
                };
                let t = PI * j as f64 / (count.max(2) - 1) as f64;
                let (x, y) = if class == 0 {
                    (t.cos(), t.sin())
                } else {
                    (1.0 - t.cos(), 0.5 - t.sin())
                };
                (x, y, class.to_string())
            }
            Synthetic::Circles => {
                let class = i % 2;
                let t = 2.0 * PI * rng.random::<f64>();
                let radius = if class == 0 { 1.0 } else { 0.5 };
                (radius * t.cos(), radius * t.sin(), class.to_string())
            }
            Synthetic::Xor => {
                let x: f64 = rng.random_range(-1.0..1.0);
                let y: f64 = rng.random_range(-1.0..1.0);
                (x, y, usize::from(x * y > 0.0).to_string())
            }
            Synthetic::Spiral => {
                let arms = 3;
                let (class, j) = (i % arms, i / arms);
                let per_arm = n.div_ceil(arms).max(2);
                let r = j as f64 / (per_arm - 1) as f64;
                let t = class as f64 * 4.0 + 4.0 * r;
                (r * t.sin(), r * t.cos(), ["a", "b", "c"][class].to_string())
            }
            Synthetic::Gauss => {
                let class = i % 2;
                let centre = if class == 0 { -1.0 } else { 1.0 };
                let x = centre + 0.4 * gaussian(&mut rng);
                let y = centre + 0.4 * gaussian(&mut rng);
                (x, y, class.to_string())
            }
            Synthetic::Plane => {
                let x: f64 = rng.random_range(-1.0..1.0);
                let y: f64 = rng.random_range(-1.0..1.0);
                (x, y, ((x + y) / 2.0).to_string())
            }
        };
        let (x, y) = (
            x + noise * gaussian(&mut rng),
            y + noise * gaussian(&mut rng),
        );
        writeln!(out, "{x},{y},{label}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sets_are_seeded_and_shaped() {
        for kind in [
            Synthetic::Moons,
            Synthetic::Circles,
            Synthetic::Xor,
            Synthetic::Spiral,
            Synthetic::Gauss,
            Synthetic::Plane,
        ] {
            let csv = generate(kind, 60, 0.1, 7);
            assert_eq!(csv, generate(kind, 60, 0.1, 7), "{kind:?} is seeded");
            assert_ne!(
                csv,
                generate(kind, 60, 0.1, 8),
                "{kind:?} depends on the seed"
            );
            assert_eq!(csv.lines().count(), 61);
        }
        assert_eq!(demo_moons().len(), 100);
    }
}
