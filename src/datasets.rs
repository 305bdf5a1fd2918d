//! Datasets built into the library, so that the demo runs from any directory.

/// The 100 points micrograd's demo.ipynb trains on (`make_moons(100, noise=0.1)`
/// after `np.random.seed(1337)`, labels -1/+1), as `x1,x2,y` with a header.
pub const DEMO_MOONS_CSV: &str = include_str!("../data/micrograd_demo_moons.csv");

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
