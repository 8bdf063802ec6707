// Preloaded into a benchmarked node process (NODE_OPTIONS=--require): at exit it writes its own
// peak resident set size (getrusage RUSAGE_SELF, so children such as workerd are not counted)
// to $PROMOTE_BENCH_RSS_DIR/<pid>.json.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.PROMOTE_BENCH_RSS_DIR;
if (dir) {
  process.on('exit', () => {
    try {
      writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ script: process.argv[1] ?? '', maxRSSKiB: process.resourceUsage().maxRSS }));
    } catch {
      // a benchmark figure, never a reason to fail the process
    }
  });
}
