// `micrograd play` in headless Chromium, as a learner uses it:
//
//     node .ci/browser/play.mjs MICROGRAD_BINARY DIR
//
// Starts `micrograd play --port 0 --no-open`, opens the page at 1280x800:
// types an expression and sees its graph and output; trains a spiral
// (two hidden layers of 8, tanh) until the test loss is under 0.6 (within
// 20 s) and the regions have changed, redrawn 30 times a second or more;
// clicks a point and sees its backprop
// open at step 0; downloads the model, config and data and has `micrograd
// train` make the same model file, byte for byte; uploads 100 MB and sees
// it refused; trains the circle on x1² and x2² alone and the regression
// plane; closes the page and sees the server stop working; on a 390 px
// phone, sees nothing run off the side. Writes screenshots to
// DIR/playground*.png. Exits non-zero, saying why, on a failure.
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const [binary, dir] = [path.resolve(process.argv[2]), path.resolve(process.argv[3] || "target/browser")];
const executablePath = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => fs.existsSync(p));
function fail(message) { console.error(`play check failed: ${message}`); process.exit(1); }
function check(condition, message) { if (!condition) fail(message); console.log(`play check: ${message}: ok`); }

const server = spawn(binary, ["play", "--port", "0", "--no-open"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve, reject) => {
  let seen = "";
  server.stdout.on("data", (chunk) => {
    seen += chunk;
    const found = /http:\/\/\S+\//.exec(seen);
    if (found) resolve(found[0]);
  });
  server.on("exit", (code) => reject(new Error(`the server exited (${code}): ${seen}`)));
});
const cpu = () => {
  const fields = fs.readFileSync(`/proc/${server.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return +fields[11] + +fields[12];
};
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  // the browser logs each refused request (400, 413) itself: those are expected here
  page.on("console", (m) => { if (m.type() === "error" && !/status of 4(00|13)/.test(m.text())) errors.push(m.text()); });
  await page.goto(url);

  // the expression: the player's page, with the output's value
  await page.click("#tab-expression");
  await page.fill("#expr", "y = relu(x*w + b)");
  await page.fill("#set", "x=2,w=-1,b=3");
  await page.click("#run-expr");
  await page.waitForFunction(() => document.getElementById("expr-out").textContent !== "");
  const out = await page.textContent("#expr-out");
  check(out === "output = 1", `the expression's output (${out})`);
  const frame = page.frameLocator("#expr-frame");
  const records = await frame.locator(".graph:not([hidden]) .node").count();
  check(records === 6, `its graph in the player: ${records} records`);
  await page.fill("#expr", "y = (x*");
  await page.click("#run-expr");
  await page.waitForFunction(() => document.getElementById("expr-error").textContent !== "");
  const error = await page.textContent("#expr-error");
  check(error.includes("column 8") && error.includes("^"), "an error shows with its caret");

  // the network: the spiral, 8 and 8, tanh, as fast as it goes
  await page.click("#tab-network");
  await page.selectOption("#data", "spiral");
  // the layers start at 4 and 2 neurons, as TensorFlow Playground's do
  for (const [layer, more] of [[1, 4], [2, 6]])
    for (let k = 0; k < more; k++) await page.click(`[aria-label="layer ${layer}: one neuron more"]`);
  const shown = await page.evaluate(() => widths.join("-"));
  check(shown === "8-8", `two hidden layers of 8 (${shown})`);
  await page.selectOption("#activation", "tanh");
  await page.selectOption("#rate", "0");
  const before = await page.evaluate(() => document.getElementById("regions").toDataURL());
  await page.click("#play");
  await page.waitForFunction(() => {
    const loss = parseFloat(document.getElementById("test-loss").textContent);
    return loss < 0.6;
  }, null, { timeout: 20000 });
  const loss = await page.textContent("#test-loss");
  // the redraws a second while it plays: frames shown in two seconds
  const rate = await page.evaluate(() => new Promise((done) => {
    let shown = 0;
    const seen = new MutationObserver(() => shown++);
    seen.observe(document.body, { attributes: true, attributeFilter: ["data-steps"] });
    setTimeout(() => { seen.disconnect(); done(shown / 2); }, 2000);
  }));
  check(rate >= 30, `the page redraws ${rate} times a second while training`);
  const after = await page.evaluate(() => document.getElementById("regions").toDataURL());
  check(after !== before, `within 20 s the test loss is ${loss} (under 0.6) and the regions have changed`);
  await page.click("#play"); // pause
  await page.waitForTimeout(300);
  // 100 training points in batches of 10: an epoch every 10 steps
  const [steps, epochs] = await page.evaluate(() => ["steps", "epochs"].map((id) => +document.getElementById(id).textContent.replace(/,/g, "")));
  check(epochs === Math.floor(steps / 10), `the epoch counter (${epochs} after ${steps} steps)`);
  await page.screenshot({ path: path.join(dir, "playground.png") });

  // a point's backprop: the network page, at backward step 0
  const [x, y] = await page.evaluate(() => run.points[5]);
  const box = await page.locator("#regions").boundingBox();
  const at = await page.evaluate(([x, y]) => toPixel(x, y, 1), [x, y]);
  await page.mouse.click(box.x + at[0] * box.width, box.y + at[1] * box.height);
  await page.waitForSelector("#player-box:not([hidden])");
  const player = page.frameLocator("#player-frame");
  await player.locator("#status").waitFor();
  const status = await player.locator("#status").textContent();
  check(/^backward, step 0 of \d+/.test(status), `a click on a point opens its backprop (${status})`);
  await page.click("#close-player");

  // download: model, config and data; train makes the same model
  const downloads = [];
  page.on("download", (d) => downloads.push(d));
  await page.click("#download");
  const deadline = Date.now() + 15000;
  while (downloads.length < 3 && Date.now() < deadline) await page.waitForTimeout(100);
  check(downloads.length === 3, "download gives three files");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "play-"));
  for (const d of downloads) await d.saveAs(path.join(work, d.suggestedFilename()));
  execFileSync(binary, ["train", "--quiet", "--config", path.join(work, "playground-config.json"), "--out", path.join(work, "out")]);
  const theirs = fs.readFileSync(path.join(work, "out", "playground-model.json"));
  const ours = fs.readFileSync(path.join(work, "playground-model.json"));
  check(theirs.equals(ours), `micrograd train on the config makes the same model file (${ours.length} bytes)`);

  // features made from x1 and x2: the circle is a line in x1² and x2², so
  // a network with no hidden layer learns it from those two alone
  await page.selectOption("#data", "circles");
  await page.click('[aria-label="one hidden layer less"]');
  await page.click('[aria-label="one hidden layer less"]');
  await page.check('#feature-boxes input[value="x1^2"]');
  await page.check('#feature-boxes input[value="x2^2"]');
  await page.uncheck('#feature-boxes input[value="x1"]');
  await page.uncheck('#feature-boxes input[value="x2"]');
  await page.selectOption("#l1", "0.001");
  await page.selectOption("#lr", "0.1");
  await page.click("#play");
  await page.waitForFunction(() => /100\.0% right/.test(document.getElementById("test-acc").textContent), null, { timeout: 20000 });
  const inputs = await page.evaluate(() => [...document.querySelectorAll("#layers .layer:first-child canvas")].map((c) => c.title + ":" + c.width));
  check(inputs.join(" ") === "x1^2:64 x2^2:64", `x1² and x2² alone, no hidden layer, L1: 100% of the test set right; the inputs drawn (${inputs.join(" ")})`);
  await page.click("#play");

  // the regression plane: regions shaded by the prediction
  await page.selectOption("#data", "plane");
  const kept = await page.evaluate(() => chosenFeatures().join(" "));
  check(kept === "x1^2 x2^2", `the features stay chosen from one set to the next (${kept})`);
  await page.check('#feature-boxes input[value="x1"]');
  await page.check('#feature-boxes input[value="x2"]');
  await page.uncheck('#feature-boxes input[value="x1^2"]');
  await page.uncheck('#feature-boxes input[value="x2^2"]');
  await page.click('[aria-label="one hidden layer more"]');
  const plain = await page.evaluate(() => document.getElementById("regions").toDataURL());
  await page.click("#play");
  await page.waitForFunction(() => parseFloat(document.getElementById("test-loss").textContent) < 0.01, null, { timeout: 20000 });
  const shaded = await page.evaluate(() => document.getElementById("regions").toDataURL());
  const plane = await page.evaluate(() => [run.values !== null, document.getElementById("test-acc").textContent]);
  check(plane[0] && plane[1] === "" && shaded !== plain, "the plane trains to a test loss under 0.01, shaded, with no accuracy");
  await page.click("#play");
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(dir, "playground-plane.png") });

  // 100 MB refused, with a message in the page
  const big = path.join(work, "big.csv");
  fs.writeFileSync(big, Buffer.alloc(100 * 1024 * 1024, 49));
  await page.setInputFiles("#file", big);
  await page.waitForFunction(() => /more than the 10 MB/.test(document.getElementById("file-note").textContent), null, { timeout: 30000 });
  check(true, "a 100 MB upload is refused with a message");

  // the page goes: the run stops
  await page.click("#play");
  await page.waitForTimeout(1000);
  const playing = cpu();
  await page.waitForTimeout(1000);
  const busy = cpu() - playing;
  await page.close();
  await new Promise((r) => setTimeout(r, 1500));
  const gone = cpu();
  await new Promise((r) => setTimeout(r, 1000));
  const idle = cpu() - gone;
  check(busy > 20 && idle < 10, `closing the page stops the training (${busy} ticks a second playing, ${idle} after)`);

  // a phone: one column, nothing wider than the screen, the regions whole
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  small.on("pageerror", (e) => errors.push(e.message));
  await small.goto(url);
  await small.click("#step");
  await small.waitForFunction(() => document.body.dataset.steps === "1");
  const fit = await small.evaluate(() => {
    const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest(".layers"));
    const regions = document.getElementById("regions").getBoundingClientRect();
    return [document.documentElement.scrollWidth, wide.map((e) => e.id || e.tagName).join(","), regions.width];
  });
  check(fit[0] <= 390 && fit[1] === "" && fit[2] >= 300, `on a 390 px phone nothing runs off the side (${fit[0]} px wide${fit[1] ? ": " + fit[1] : ""}), regions ${fit[2]} px`);
  await small.screenshot({ path: path.join(dir, "playground-phone.png"), fullPage: true });
  await phone.close();
  check(errors.length === 0, `no errors in the page (${errors.join("; ")})`);
} finally {
  await browser.close();
  server.kill("SIGINT");
}
