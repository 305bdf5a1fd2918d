//! Where each node of a graph goes on a page: a layered layout, inputs on the
//! left and outputs on the right, as `dot -Grankdir=LR` draws one, so that
//! pages need no Graphviz. Nothing here draws; it returns coordinates, and
//! each edge's route.
//!
//! Nodes come with a rank (a column; every edge goes to a higher rank) and a
//! size. As Graphviz and dagre do it:
//! 1. a node with no inputs moves right, next to the first node it feeds
//!    (so a leaf sits beside its use, not in the first column);
//! 2. an edge that spans columns gets a virtual node in each column it
//!    crosses, which holds its place there like a node, so that no edge runs
//!    under a node that is not its end;
//! 3. within each column the nodes (virtual ones too) are ordered to cross
//!    fewer edges: each node goes to the mean place of its neighbours in the
//!    column before, then the column after, a few sweeps each way;
//! 4. the columns are stacked and set side by side, and each edge's route
//!    runs through its virtual nodes' places.

/// A graph to lay out. Edges run `(from, to)` with `rank[from] < rank[to]`.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub ranks: Vec<usize>,
    /// Each node's width and height.
    pub sizes: Vec<(f64, f64)>,
    pub edges: Vec<(usize, usize)>,
}

/// Where the nodes went: each one's centre, each edge's route, and the whole
/// drawing's size.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub centres: Vec<(f64, f64)>,
    /// For each edge, in `Graph::edges`' order: where it leaves its start
    /// (the start's right side), where it crosses each column between (in at
    /// the column's left, out at its right, at its virtual node's height),
    /// and where it meets its end (the end's left side).
    pub routes: Vec<Vec<(f64, f64)>>,
    pub width: f64,
    pub height: f64,
}

/// Space between columns, and between nodes in a column.
const COLUMN_GAP: f64 = 36.0;
const ROW_GAP: f64 = 14.0;
/// Space around the drawing.
const MARGIN: f64 = 10.0;
/// Sweeps of the crossing reduction, each way.
const SWEEPS: usize = 8;
/// The height a virtual node holds in its column: an edge's width and room.
const VIRTUAL_HEIGHT: f64 = 4.0;
/// At most this many virtual nodes per node of the graph (and a thousand).
const VIRTUAL_BUDGET: usize = 4;

/// Lays `graph` out; see the module's text.
pub fn layout(graph: &Graph) -> Placed {
    let n = graph.ranks.len();
    let ranks = pulled_sources(graph);
    // the graph with virtual nodes: sizes and ranks of real nodes first, and
    // each edge as a chain of short edges through its virtual nodes
    let mut sizes = graph.sizes.clone();
    let mut all_ranks = ranks.clone();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(graph.edges.len());
    let longest = longest_split(graph, &ranks);
    for &(from, to) in &graph.edges {
        let mut chain = vec![from];
        let span = ranks[to] - ranks[from] - 1;
        for rank in (ranks[from] + 1..ranks[to]).filter(|_| span <= longest) {
            chain.push(sizes.len());
            sizes.push((0.0, VIRTUAL_HEIGHT));
            all_ranks.push(rank);
        }
        chain.push(to);
        chains.push(chain);
    }
    let total = sizes.len();
    let n_ranks = all_ranks.iter().max().map_or(0, |top| top + 1);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); n_ranks];
    for (node, &rank) in all_ranks.iter().enumerate() {
        columns[rank].push(node);
    }
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); total];
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); total];
    for chain in &chains {
        for pair in chain.windows(2) {
            after[pair[0]].push(pair[1]);
            before[pair[1]].push(pair[0]);
        }
    }
    // each node's place in its column, as the sweeps move it; a column's
    // order changes only the places of its own nodes
    let mut place = vec![0.0; total];
    let number = |column: &[usize], place: &mut [f64]| {
        for (index, &node) in column.iter().enumerate() {
            place[node] = index as f64;
        }
    };
    for column in &columns {
        number(column, &mut place);
    }
    for _ in 0..SWEEPS {
        for column in columns.iter_mut().skip(1) {
            order_by_neighbours(column, &before, &place);
            number(column, &mut place);
        }
        for column in columns.iter_mut().rev().skip(1) {
            order_by_neighbours(column, &after, &place);
            number(column, &mut place);
        }
    }
    let (centres, xs, width, height) = stack(&columns, &sizes);
    let routes = chains
        .iter()
        .map(|chain| {
            let (from, to) = (chain[0], chain[chain.len() - 1]);
            let mut route = vec![(centres[from].0 + sizes[from].0 / 2.0, centres[from].1)];
            for &virtual_node in &chain[1..chain.len() - 1] {
                let (left, right) = xs[all_ranks[virtual_node]];
                let y = centres[virtual_node].1;
                route.extend([(left, y), (right, y)]);
            }
            route.push((centres[to].0 - sizes[to].0 / 2.0, centres[to].1));
            route
        })
        .collect();
    Placed {
        centres: centres[..n].to_vec(),
        routes,
        width,
        height,
    }
}

/// The longest span (in columns crossed) of an edge that gets virtual nodes:
/// all of them, unless that would make more than `VIRTUAL_BUDGET` times the
/// graph's nodes (a value used all along a chain of a thousand sums); then
/// the longest edges are drawn straight, as before.
fn longest_split(graph: &Graph, ranks: &[usize]) -> usize {
    let budget = VIRTUAL_BUDGET * graph.ranks.len() + 1000;
    let mut spans: Vec<usize> = graph
        .edges
        .iter()
        .map(|&(from, to)| ranks[to] - ranks[from] - 1)
        .collect();
    spans.sort_unstable();
    let mut total = 0;
    for span in spans {
        total += span;
        if total > budget {
            return span.saturating_sub(1);
        }
    }
    usize::MAX
}

/// The ranks with each node that has no inputs moved right, to the column
/// before the first node it feeds.
fn pulled_sources(graph: &Graph) -> Vec<usize> {
    let mut ranks = graph.ranks.clone();
    let mut has_input = vec![false; ranks.len()];
    let mut first_use = vec![usize::MAX; ranks.len()];
    for &(from, to) in &graph.edges {
        has_input[to] = true;
        first_use[from] = first_use[from].min(graph.ranks[to]);
    }
    for node in 0..ranks.len() {
        if !has_input[node] && first_use[node] != usize::MAX {
            ranks[node] = first_use[node] - 1;
        }
    }
    ranks
}

/// The columns stacked, each as wide as its widest node and centred on the
/// tallest, side by side: every node's centre, each column's left and right,
/// and the drawing's width and height.
#[allow(clippy::type_complexity)]
fn stack(
    columns: &[Vec<usize>],
    sizes: &[(f64, f64)],
) -> (Vec<(f64, f64)>, Vec<(f64, f64)>, f64, f64) {
    let widths: Vec<f64> = columns
        .iter()
        .map(|column| column.iter().map(|&node| sizes[node].0).fold(0.0, f64::max))
        .collect();
    let heights: Vec<f64> = columns
        .iter()
        .map(|column| {
            let nodes: f64 = column.iter().map(|&node| sizes[node].1).sum();
            nodes + ROW_GAP * column.len().saturating_sub(1) as f64
        })
        .collect();
    let height = heights.iter().copied().fold(0.0, f64::max);
    let mut centres = vec![(0.0, 0.0); sizes.len()];
    let mut xs = Vec::with_capacity(columns.len());
    let mut x = MARGIN;
    for (rank, column) in columns.iter().enumerate() {
        // a shorter column sits in the middle of the tallest
        let mut y = MARGIN + (height - heights[rank]) / 2.0;
        for &node in column {
            let (_, node_height) = sizes[node];
            centres[node] = (x + widths[rank] / 2.0, y + node_height / 2.0);
            y += node_height + ROW_GAP;
        }
        xs.push((x, x + widths[rank]));
        x += widths[rank] + COLUMN_GAP;
    }
    let width = (x - COLUMN_GAP + MARGIN).max(2.0 * MARGIN);
    (centres, xs, width, height + 2.0 * MARGIN)
}

/// Sorts `column` by the mean place of each node's neighbours; a node with
/// none keeps its place. The sort is stable, so ties keep their order.
fn order_by_neighbours(column: &mut [usize], neighbours: &[Vec<usize>], place: &[f64]) {
    let key = |node: usize| {
        let around = &neighbours[node];
        if around.is_empty() {
            place[node]
        } else {
            around.iter().map(|&other| place[other]).sum::<f64>() / around.len() as f64
        }
    };
    let mut keyed: Vec<(f64, usize)> = column.iter().map(|&node| (key(node), node)).collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (slot, (_, node)) in column.iter_mut().zip(keyed) {
        *slot = node;
    }
}

/// How many pairs of edges between neighbouring columns cross.
pub fn crossings(graph: &Graph, placed: &Placed) -> usize {
    let mut count = 0;
    for (i, &(a, b)) in graph.edges.iter().enumerate() {
        for &(c, d) in &graph.edges[i + 1..] {
            let same_columns = graph.ranks[a] == graph.ranks[c] && graph.ranks[b] == graph.ranks[d];
            let (ya, yb) = (placed.centres[a].1, placed.centres[b].1);
            let (yc, yd) = (placed.centres[c].1, placed.centres[d].1);
            if same_columns && (ya - yc) * (yb - yd) < 0.0 {
                count += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Boxes `a` and `b` of `placed` share some area.
    fn overlap(graph: &Graph, placed: &Placed, a: usize, b: usize) -> bool {
        let ((xa, ya), (wa, ha)) = (placed.centres[a], graph.sizes[a]);
        let ((xb, yb), (wb, hb)) = (placed.centres[b], graph.sizes[b]);
        (xa - xb).abs() < (wa + wb) / 2.0 && (ya - yb).abs() < (ha + hb) / 2.0
    }

    /// A graph like a network's: `widths` nodes per rank, each joined to
    /// every node of the next rank, in a scrambled order.
    fn layered(widths: &[usize]) -> Graph {
        let mut graph = Graph::default();
        let mut previous: Vec<usize> = Vec::new();
        for (rank, &width) in widths.iter().enumerate() {
            let start = graph.ranks.len();
            for i in 0..width {
                graph.ranks.push(rank);
                graph
                    .sizes
                    .push((40.0 + (i * 37 % 90) as f64, 20.0 + (i % 3) as f64 * 8.0));
            }
            let nodes: Vec<usize> = (start..start + width).collect();
            for (k, &from) in previous.iter().enumerate() {
                for (j, &to) in nodes.iter().enumerate() {
                    if (k + 2 * j) % 3 != 0 {
                        graph.edges.push((from, to));
                    }
                }
            }
            previous = nodes;
        }
        graph
    }

    #[test]
    fn no_two_nodes_overlap_and_edges_go_left_to_right() {
        for widths in [&[1][..], &[2, 1], &[5, 3, 8, 1], &[20, 12, 30, 7, 2]] {
            let graph = layered(widths);
            let placed = layout(&graph);
            let n = graph.ranks.len();
            for a in 0..n {
                for b in a + 1..n {
                    assert!(!overlap(&graph, &placed, a, b), "{widths:?}: {a} and {b}");
                }
                let (x, y) = placed.centres[a];
                let (w, h) = graph.sizes[a];
                assert!(x - w / 2.0 >= 0.0 && x + w / 2.0 <= placed.width, "inside");
                assert!(y - h / 2.0 >= 0.0 && y + h / 2.0 <= placed.height, "inside");
            }
            for &(from, to) in &graph.edges {
                let right_of_from = placed.centres[from].0 + graph.sizes[from].0 / 2.0;
                let left_of_to = placed.centres[to].0 - graph.sizes[to].0 / 2.0;
                assert!(
                    right_of_from < left_of_to,
                    "{widths:?}: edge {from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn ordering_removes_the_crossings_of_a_crossed_ladder() {
        // two columns of five, joined in reverse: 0-9, 1-8, ..., no crossing needed
        let mut graph = Graph::default();
        for node in 0..10 {
            graph.ranks.push(node / 5);
            graph.sizes.push((30.0, 20.0));
        }
        graph.edges = (0..5).map(|i| (i, 9 - i)).collect();
        let unordered = Placed {
            centres: (0..10).map(|node| (0.0, (node % 5) as f64)).collect(),
            routes: Vec::new(),
            width: 0.0,
            height: 0.0,
        };
        assert_eq!(crossings(&graph, &unordered), 10);
        assert_eq!(crossings(&graph, &layout(&graph)), 0);
    }
}
