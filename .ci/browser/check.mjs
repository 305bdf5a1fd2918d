// The HTML player, checked in a real headless Chromium (Debian's package)
// driven by playwright-core:
//
//     node .ci/browser/check.mjs DIR
//
// DIR holds the pages `.ci/run` made: neuron.html (the lecture's neuron),
// two.html (a two-neuron expression), random.html (a random expression of
// about 100 nodes) and network.html (a 2-16-16-1 network). Screenshots go to
// DIR too. For every step of every page, forward and backward, at 1280x800
// and 390x844: the active node and every node whose grad the step wrote (★)
// lie inside the graph's stage and the window; the smallest text drawn is
// 12 px or more; no sideways scrolling; no console errors. And the lecture's
// page keeps what it did before: accessible names, the arrow keys, the
// inspector's brackets, #step=11 all done. Exits non-zero, saying why, when a
// check fails.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const dir = path.resolve(process.argv[2] || "target/browser");
const executablePath = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => fs.existsSync(p));
if (!executablePath) fail("chromium is not installed");
const SIZES = [[1280, 800], [390, 844]];
// notebook.html: a Value's `_repr_html_` from the Python package, when its tests wrote it
const PAGES = ["neuron", "two", "random", "network", "notebook"].filter((name) => fs.existsSync(path.join(dir, name + ".html")));

function fail(message) {
  console.error(`browser check failed: ${message}`);
  process.exit(1);
}
function check(condition, message) {
  if (!condition) fail(message);
  console.log(`browser check: ${message}: ok`);
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const errors = [];
async function open(name, [width, height], hash = "", motion = "reduce") {
  const page = await browser.newPage({ viewport: { width, height }, reducedMotion: motion });
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${name}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`${name}: ${e.message}`));
  await page.goto("file://" + path.join(dir, name + ".html") + hash);
  return page;
}

// What the page shows now: the frame's focus nodes that are not wholly in
// view, and the smallest text drawn, in CSS pixels.
const MEASURE = () => {
  const stage = document.getElementById("stage").getBoundingClientRect();
  const left = Math.max(stage.left, 0), top = Math.max(stage.top, 0);
  const right = Math.min(stage.right, window.innerWidth), bottom = Math.min(stage.bottom, window.innerHeight);
  const svg = [...document.querySelectorAll(".graph")].find((s) => !s.hasAttribute("hidden"));
  const focus = svg.querySelectorAll('.node[data-state="active"], .node.star');
  const out = [];
  for (const g of focus) {
    const r = g.querySelector("rect").getBoundingClientRect();
    if (r.left < left - 0.5 || r.top < top - 0.5 || r.right > right + 0.5 || r.bottom > bottom + 0.5)
      out.push(g.getAttribute("aria-label").split(",")[0]);
  }
  const text = svg.querySelector("text");
  let smallest = text.getScreenCTM().a * parseFloat(getComputedStyle(text).fontSize);
  for (const el of document.querySelectorAll("body *:not(svg):not(svg *)")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && el.offsetParent !== null) smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
  }
  return { out, focus: focus.length, smallest, scrollWidth: document.documentElement.scrollWidth,
    stageBottom: stage.bottom };
};

async function everyStep(name, size) {
  const page = await open(name, size);
  const last = await page.evaluate(() => LAST);
  let worstFont = Infinity, frames = 0;
  for (const mode of ["backward", "forward"]) {
    await page.evaluate((m) => { mode = m; go(0); }, mode);
    for (let k = 0; k <= last[mode]; k++) {
      await page.evaluate((k) => go(k), k);
      const seen = await page.evaluate(MEASURE);
      if (seen.out.length) fail(`${name} at ${size.join("x")}, ${mode} step ${k}: out of view: ${seen.out.join(", ")}`);
      if (seen.scrollWidth > size[0]) fail(`${name} at ${size.join("x")}: ${seen.scrollWidth} px wide`);
      if (seen.stageBottom > size[1]) fail(`${name} at ${size.join("x")}: the graph runs below the window (${seen.stageBottom} px)`);
      worstFont = Math.min(worstFont, seen.smallest);
      frames++;
    }
  }
  check(worstFont >= 12 - 1e-6, `${name} at ${size.join("x")}: ${frames} frames, each step's nodes in view, smallest text ${worstFont.toFixed(1)} px`);
  await page.close();
}

try {
  for (const name of PAGES) for (const size of SIZES) await everyStep(name, size);

  // the steps' moves are animated, and end with the step's nodes in view
  {
    const page = await open("two", [390, 844], "", "no-preference");
    for (let k = 0; k < 8; k++) await page.keyboard.press("ArrowRight");
    await page.waitForTimeout(600);
    const seen = await page.evaluate(MEASURE);
    check(seen.out.length === 0 && seen.focus > 0, `animated, step 8's nodes end in view on a phone (${seen.out})`);
    await page.close();
  }

  const page = await open("neuron", [1280, 800]);
  const problems = await page.evaluate(() => {
    const found = [];
    if (!document.documentElement.lang) found.push("no lang on <html>");
    for (const el of document.querySelectorAll("button, input, select, [role=button], [role=img]")) {
      const name = (el.getAttribute("aria-label") || el.textContent || "").trim();
      if (!name) found.push("a " + el.tagName + " without a name");
    }
    const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
    if (new Set(ids).size !== ids.length) found.push("duplicate ids");
    for (const g of document.querySelectorAll(".graph:not([hidden]) .node")) {
      const label = g.querySelector(".label").textContent;
      if (!["[ ]", "[*]", "[✓]"].some((mark) => label.startsWith(mark))) found.push("a node without a marker");
      if (g.tabIndex < 0) found.push("a node that cannot be focused");
    }
    return found;
  });
  check(problems.length === 0, `a basic accessibility check ${problems}`);
  for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
  const active = await page.evaluate(() => [...document.querySelectorAll(".graph:not([hidden]) .node")]
    .filter((g) => g.querySelector("rect").getAttribute("fill") === "#ffe24a")
    .map((g) => g.getAttribute("aria-label").split(",")[0]));
  check(active.join() === "x2*w2", `after five presses of → the yellow node is x2*w2 (${active})`);
  check(await page.evaluate(() => location.hash) === "#step=5", "the URL says #step=5");
  const queue = await page.evaluate(() => document.getElementById("queue").textContent);
  check(queue.startsWith("w2"), `the queue lists the nodes still to do, next first (${queue})`);
  await page.screenshot({ path: path.join(dir, "player-1280x800.png") });
  const inspector = await page.evaluate(() => {
    document.querySelector(".graph:not([hidden]) [data-node='6']").dispatchEvent(new Event("click"));
    return document.getElementById("inspector").textContent;
  });
  check(inspector.includes("d(x1*w1 + x2*w2)/d(x1*w1) = 1"), `the inspector brackets a sum in a derivative (${inspector.slice(0, 160)})`);
  // forward mode: the inspector does not know a value forward has not reached
  const early = await page.evaluate(() => {
    mode = "forward"; go(3); inspect(ROOT);
    return document.getElementById("inspector").textContent;
  });
  check(early.includes("data: ? (forward has not reached it)"), "forward step 3: the inspector keeps o's value for later");
  await page.close();

  const done = await open("neuron", [1280, 800], "#step=11");
  const states = await done.evaluate(() => [...document.querySelectorAll(".graph:not([hidden]) .node")].map((g) => g.dataset.state));
  check(states.length === 10 && states.every((s) => s === "done"), `#step=11 opens with every node done (${states})`);
  await done.close();

  const phone = await open("neuron", [390, 844], "#step=5");
  await phone.screenshot({ path: path.join(dir, "player-390x844.png") });
  await phone.close();

  // the network's page: the active neuron's edges strong, the rest faded,
  // its weights named and their grads shown
  const network = await open("network", [1280, 800], "#step=3");
  const edges = await network.evaluate(() => {
    const all = [...document.querySelectorAll(".graph:not([hidden]) .edge")];
    return { all: all.length, faded: all.filter((e) => e.classList.contains("faded")).length,
      titled: all.filter((e) => /^L\d+\.N\d+\.w\d+ = /.test(e.textContent)).length };
  });
  check(edges.faded > 0 && edges.faded < edges.all && edges.titled === edges.all,
    `network step 3: ${edges.all - edges.faded} edges strong, ${edges.faded} faded, every weight named`);
  const weights = await network.evaluate(() => {
    go(2); inspect(D.steps[1].node);
    return document.getElementById("inspector").textContent + "\n" + document.getElementById("lines").textContent;
  });
  check(/weights: L2\.N\d+\.w1 = -?\d\.\d{4}, grad -?\d/.test(weights) && /L2\.N\d+\.w1\.grad \+= /.test(weights),
    "the network's inspector and lines give each weight's grad");
  await network.close();
  const shot = await open("network", [1280, 800], "#step=5");
  await shot.screenshot({ path: path.join(dir, "network-1280x800.png") });
  await shot.close();

  // a notebook's output cell: the Python package's `_repr_html_`, the
  // player in an iframe, stepped with the keys inside it
  if (fs.existsSync(path.join(dir, "notebook-cell.html"))) {
    const cell = await open("notebook-cell", [1000, 700]);
    const frame = cell.frameLocator("iframe");
    await frame.locator("#status").waitFor();
    await frame.locator("#next").click();
    await frame.locator("#status", { hasText: /^backward, step 1 of/ }).waitFor({ timeout: 5000 }).catch(() => {});
    const status = await frame.locator("#status").textContent();
    check(/^backward, step 1 of \d+/.test(status), `a notebook cell shows the player, and its next-step button steps it (${status})`);
    await cell.close();
  }

  check(errors.length === 0, `no console errors (${errors.join("; ")})`);
} finally {
  await browser.close();
}
