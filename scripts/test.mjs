// Type-checks every package, runs every vitest project, and ends with one plain line:
// `tests: N passed, M failed`. Exits non-zero on a type error or any failed test.
// TESTS_ALSO_PASSED and TESTS_ALSO_FAILED (whole numbers, default 0) add the counts of another
// step run before this one (.ci/run: the conformance suite) to that line; any such failure makes
// the exit code non-zero too.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const run = (command, args) => spawnSync(command, args, { stdio: "inherit" }).status ?? 1

const extra = (name) => {
  const value = process.env[name] ?? "0"
  if (!/^\d+$/.test(value)) {
    console.log(`${name} is not a whole number: ${value}`)
    return { value: 0, invalid: true }
  }
  return { value: Number(value), invalid: false }
}
const alsoPassed = extra("TESTS_ALSO_PASSED")
const alsoFailed = extra("TESTS_ALSO_FAILED")
const alsoBad = alsoPassed.invalid || alsoFailed.invalid
const summary = (passed, failed) =>
  console.log(`tests: ${passed + alsoPassed.value} passed, ${failed + alsoFailed.value + (alsoBad ? 1 : 0)} failed`)

if (run("tsc", ["-b", "tsconfig.json"]) !== 0) {
  console.log("type check failed")
  summary(0, 0)
  process.exit(1)
}

const dir = mkdtempSync(join(tmpdir(), "effect-mcp-vitest-"))
const report = join(dir, "report.json")
const status = run("vitest", ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)])
let passed = 0
let failed = 0
try {
  const json = JSON.parse(readFileSync(report, "utf8"))
  passed = json.numPassedTests
  failed = json.numFailedTests + (json.numFailedTestSuites ?? 0)
} catch {
  console.log("vitest wrote no report")
  failed = 1
}
rmSync(dir, { recursive: true, force: true })
summary(passed, failed)
process.exit(status !== 0 || failed > 0 || alsoFailed.value > 0 || alsoBad ? 1 : 0)
