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
#[derive(Clone, Debug)]
pub struct Graph {
    pub ranks: Vec<usize>,
    /// Each node's width and height.
    pub sizes: Vec<(f64, f64)>,
    pub edges: Vec<(usize, usize)>,
    /// Space between nodes in a column, and between columns.
    pub row_gap: f64,
    pub column_gap: f64,
}

impl Default for Graph {
    fn default() -> Graph {
        Graph {
            ranks: Vec::new(),
            sizes: Vec::new(),
            edges: Vec::new(),
            row_gap: ROW_GAP,
            column_gap: COLUMN_GAP,
        }
    }
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

/// Space between columns, and between nodes in a column unless the graph
/// says otherwise.
const COLUMN_GAP: f64 = 36.0;
const ROW_GAP: f64 = 14.0;
/// Space around the drawing.
const MARGIN: f64 = 10.0;
/// Sweeps of the crossing reduction, each way, and of neighbours' swaps.
const SWEEPS: usize = 8;
/// The most edges (virtual ones included) for which the layout counts
/// crossings to keep the best order and swap neighbours.
const CAREFUL_EDGES: usize = 2000;
/// Shuffled orders the careful ordering starts from, besides two others.
const SHUFFLED_STARTS: usize = 6;
/// The height a virtual node holds in its column: an edge's width and room.
const VIRTUAL_HEIGHT: f64 = 4.0;
/// At most this many virtual nodes per node of the graph (and a thousand).
const VIRTUAL_BUDGET: usize = 4;

/// Lays `graph` out; see the module's text.
pub fn layout(graph: &Graph) -> Placed {
    let n = graph.ranks.len();
    let ranks = as_late_as_possible(graph);
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
    order_columns(&mut columns, &before, &after);
    let (centres, xs, width, height) = stack(&columns, &sizes, (graph.row_gap, graph.column_gap));
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

/// Orders each column to cross fewer edges, as Graphviz's `dot` does: each
/// node goes to the mean place of its neighbours in the column before, then
/// the column after, a few sweeps each way, keeping the best order seen;
/// then two neighbours in a column swap places while that crosses fewer
/// edges. This from several starts, keeping the best: the given order, the
/// order a search from the outputs meets the nodes, and a few shuffles.
/// (The counting is quadratic in a column's edges, so a graph of more than
/// `CAREFUL_EDGES` edges gets the sweeps alone, from the given order.)
fn order_columns(columns: &mut [Vec<usize>], before: &[Vec<usize>], after: &[Vec<usize>]) {
    if after.iter().map(Vec::len).sum::<usize>() > CAREFUL_EDGES {
        let mut place = numbered(columns, before.len());
        for round in 0..SWEEPS {
            sweep(columns, (before, after), &mut place, round % 2 == 1);
        }
        return;
    }
    let mut searched = columns.to_vec();
    let met = met_from_outputs(columns, before);
    for column in &mut searched {
        column.sort_by_key(|&node| met[node]);
    }
    let mut starts = vec![columns.to_vec(), searched];
    // a small graph gets a few shuffled starts as well, the same each time
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..SHUFFLED_STARTS {
        let mut start = columns.to_vec();
        for column in &mut start {
            for i in (1..column.len()).rev() {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                column.swap(i, (state >> 33) as usize % (i + 1));
            }
        }
        starts.push(start);
    }
    let mut best: Option<(usize, Vec<Vec<usize>>)> = None;
    for mut start in starts {
        let crossed = order_from(&mut start, before, after);
        if best.as_ref().is_none_or(|(fewest, _)| crossed < *fewest) {
            best = Some((crossed, start));
        }
    }
    let (_, order) = best.expect("two starts");
    columns.clone_from_slice(&order);
}

/// Each node's place in its column.
fn numbered(columns: &[Vec<usize>], total: usize) -> Vec<f64> {
    let mut place = vec![0.0; total];
    for column in columns {
        for (index, &node) in column.iter().enumerate() {
            place[node] = index as f64;
        }
    }
    place
}

/// One sweep each way: each column sorted by its neighbours' mean place in
/// the column before, then in the column after.
fn sweep(
    columns: &mut [Vec<usize>],
    (before, after): (&[Vec<usize>], &[Vec<usize>]),
    place: &mut [f64],
    flip_ties: bool,
) {
    let number = |column: &[usize], place: &mut [f64]| {
        for (index, &node) in column.iter().enumerate() {
            place[node] = index as f64;
        }
    };
    for column in columns.iter_mut().skip(1) {
        order_by_neighbours(column, before, place, flip_ties);
        number(column, place);
    }
    for column in columns.iter_mut().rev().skip(1) {
        order_by_neighbours(column, after, place, flip_ties);
        number(column, place);
    }
}

/// `order_columns` from one start: the sweeps, keeping the best order, then
/// the swaps of neighbours. Returns how many pairs of edges cross.
fn order_from(columns: &mut [Vec<usize>], before: &[Vec<usize>], after: &[Vec<usize>]) -> usize {
    let count = |columns: &[Vec<usize>], place: &[f64]| {
        columns
            .iter()
            .map(|column| crossings_after(column, after, place))
            .sum::<usize>()
    };
    let mut place = numbered(columns, before.len());
    let (mut fewest, mut order) = (count(columns, &place), columns.to_vec());
    for round in 0..2 * SWEEPS {
        sweep(columns, (before, after), &mut place, round % 2 == 1);
        let now = count(columns, &place);
        if now < fewest {
            (fewest, order) = (now, columns.to_vec());
        }
    }
    columns.clone_from_slice(&order);
    let mut place = numbered(columns, before.len());
    for _ in 0..SWEEPS {
        let mut swapped = false;
        for column in columns.iter_mut() {
            for i in 1..column.len() {
                let (upper, lower) = (column[i - 1], column[i]);
                let now = pair_crossings(upper, lower, before, after, &place);
                if pair_crossings(lower, upper, before, after, &place) < now {
                    column.swap(i - 1, i);
                    (place[upper], place[lower]) = (place[lower], place[upper]);
                    swapped = true;
                }
            }
        }
        if !swapped {
            break;
        }
    }
    count(columns, &place)
}

/// The order a depth-first search from the last column's nodes, through
/// each node's inputs in turn, meets every node (with a stack of its own,
/// so that a deep graph cannot overflow the thread's).
fn met_from_outputs(columns: &[Vec<usize>], before: &[Vec<usize>]) -> Vec<usize> {
    let mut met = vec![usize::MAX; before.len()];
    let mut next = 0;
    for column in columns.iter().rev() {
        for &root in column {
            let mut stack = vec![root];
            while let Some(node) = stack.pop() {
                if met[node] != usize::MAX {
                    continue;
                }
                met[node] = next;
                next += 1;
                stack.extend(
                    before[node]
                        .iter()
                        .rev()
                        .filter(|&&input| met[input] == usize::MAX),
                );
            }
        }
    }
    met
}

/// How many pairs of the edges from `column` to the next one cross.
fn crossings_after(column: &[usize], after: &[Vec<usize>], place: &[f64]) -> usize {
    let edges: Vec<(f64, f64)> = column
        .iter()
        .flat_map(|&from| after[from].iter().map(move |&to| (place[from], place[to])))
        .collect();
    let mut count = 0;
    for (i, a) in edges.iter().enumerate() {
        for b in &edges[i + 1..] {
            count += ((a.0 - b.0) * (a.1 - b.1) < 0.0) as usize;
        }
    }
    count
}

/// How many of `upper`'s edges cross `lower`'s, on both sides, with
/// `upper` just above `lower` in their column.
fn pair_crossings(
    upper: usize,
    lower: usize,
    before: &[Vec<usize>],
    after: &[Vec<usize>],
    place: &[f64],
) -> usize {
    let mut count = 0;
    for side in [before, after] {
        for &a in &side[upper] {
            for &b in &side[lower] {
                count += (place[a] > place[b]) as usize;
            }
        }
    }
    count
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

/// The ranks with each node moved right, as late as its uses allow: to the
/// column before the first node it feeds. A leaf sits beside its use, and
/// so does a node made only of constants (`-0.84`) or of leaves used
/// nowhere else, instead of in the first columns. The nodes that feed
/// nothing keep their ranks.
pub fn as_late_as_possible(graph: &Graph) -> Vec<usize> {
    let mut ranks = graph.ranks.clone();
    let mut uses: Vec<Vec<usize>> = vec![Vec::new(); ranks.len()];
    for &(from, to) in &graph.edges {
        uses[from].push(to);
    }
    // each node's uses are placed before it: they have higher ranks
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_by_key(|&node| std::cmp::Reverse(graph.ranks[node]));
    for node in order {
        if let Some(first) = uses[node].iter().map(|&to| ranks[to]).min() {
            ranks[node] = first - 1;
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
    (row_gap, column_gap): (f64, f64),
) -> (Vec<(f64, f64)>, Vec<(f64, f64)>, f64, f64) {
    let widths: Vec<f64> = columns
        .iter()
        .map(|column| column.iter().map(|&node| sizes[node].0).fold(0.0, f64::max))
        .collect();
    let heights: Vec<f64> = columns
        .iter()
        .map(|column| {
            let nodes: f64 = column.iter().map(|&node| sizes[node].1).sum();
            nodes + row_gap * column.len().saturating_sub(1) as f64
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
            y += node_height + row_gap;
        }
        xs.push((x, x + widths[rank]));
        x += widths[rank] + column_gap;
    }
    let width = (x - column_gap + MARGIN).max(2.0 * MARGIN);
    (centres, xs, width, height + 2.0 * MARGIN)
}

/// Sorts `column` by the mean place of each node's neighbours; a node with
/// none keeps its place. Ties keep their order, or swap it when
/// `flip_ties` (as `dot` does every other sweep, to get out of a rut).
fn order_by_neighbours(
    column: &mut [usize],
    neighbours: &[Vec<usize>],
    place: &[f64],
    flip_ties: bool,
) {
    let key = |node: usize| {
        let around = &neighbours[node];
        if around.is_empty() {
            place[node]
        } else {
            around.iter().map(|&other| place[other]).sum::<f64>() / around.len() as f64
        }
    };
    let mut keyed: Vec<(f64, usize)> = column.iter().map(|&node| (key(node), node)).collect();
    if flip_ties {
        keyed.reverse();
    }
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

    /// Regression: two neurons on the same two inputs (`x1*a1 + x2*a2` and
    /// `x1*b1 + x2*b2`) crossed three times, since the mean-place sweeps
    /// alone stay in the order they start from; one crossing is the fewest.
    #[test]
    fn two_neurons_on_shared_inputs_cross_once() {
        // leaves a1 x1 a2 x2 b1 b2; products x1a1 x2a2 x1b1 x2b2; two sums
        let mut graph = Graph::default();
        for rank in [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2] {
            graph.ranks.push(rank);
            graph.sizes.push((10.0, 10.0));
        }
        graph.edges = vec![
            (0, 6),
            (1, 6),
            (2, 7),
            (3, 7),
            (1, 8),
            (4, 8),
            (3, 9),
            (5, 9),
            (6, 10),
            (7, 10),
            (8, 11),
            (9, 11),
        ];
        assert_eq!(crossings(&graph, &layout(&graph)), 1);
    }
}
