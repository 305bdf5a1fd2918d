// node random_expression.mjs K: a random expression of K assignments over
// a and b, the same every time. Each `vK` is made from the one before by a
// random op with a random constant, sometimes through tanh, and now and then
// uses it twice (`(v3 + 0.4) * (v3 * -0.7)`), so that its grad sums two.
// Reuse stays between neighbours: a step whose inputs lie many columns apart
// cannot be seen at once on a 390-px phone with 12-px text (the page says so
// when that happens), and the check wants every step's nodes in view.
const k = +(process.argv[2] || 24);
let state = 7;
const next = () => { state = (state * 1103515245 + 12345) % 2147483648; return state >> 8; };
const constant = () => ((next() % 199) - 99) / 100;
const op = () => ["+", "*", "-"][next() % 3];
const lines = ["v0 = a*b + 0.5"];
for (let i = 1; i < k; i++) {
  const v = `v${i - 1}`;
  const form = next() % 4;
  let made;
  if (form === 0) made = `(${v} ${op()} ${constant()}) * (${v} ${op()} ${constant()})`;
  else if (form === 1) made = `tanh(${v} ${op()} ${constant()})`;
  else made = `${v} ${op()} ${constant()}`;
  lines.push(`v${i} = ${made}`);
}
console.log(lines.join("; "));
