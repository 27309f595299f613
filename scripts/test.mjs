// Type-checks every package, runs every vitest project, and ends with one plain line:
// `tests: N passed, M failed`. Exits non-zero on a type error or any failed test.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const run = (command, args) => spawnSync(command, args, { stdio: "inherit" }).status ?? 1

const summary = (passed, failed) => console.log(`tests: ${passed} passed, ${failed} failed`)

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
process.exit(status !== 0 || failed > 0 ? 1 : 0)
