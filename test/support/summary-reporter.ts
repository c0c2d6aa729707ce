import Mocha from 'mocha';

/**
 * Mocha's spec output, closed by the plain line `tests: N passed, N failed[, N skipped]` that CI
 * reads to know how many tests ran (docs/testing.md); mocha's own "N passing" is not read there.
 */
class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      const skipped = pending > 0 ? `, ${pending} skipped` : '';
      process.stdout.write(`\ntests: ${passes} passed, ${failures} failed${skipped}\n`);
    });
  }
}

export default SummaryReporter;
