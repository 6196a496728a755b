// Writes Jest's own counts to .ci/results.json and prints them as one plain line, which
// .ci/run repeats last: "N passed, N failed" (", N skipped" when some were skipped).
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A suite that failed to run has no failed tests of its own; count it as a failure.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    mkdirSync(join(this.rootDir, '.ci'), { recursive: true });
    writeFileSync(join(this.rootDir, '.ci', 'results.json'), JSON.stringify({ passed: results.numPassedTests, failed, skipped, line }) + '\n');
    process.stdout.write(`\n${line}\n`);
  }
}

module.exports = SummaryReporter;
