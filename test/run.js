// Runs every uvu suite (test/**/*.test.ts) in one process under tsx, streams its report and ends with one
// plain closing line, "tests: N passed, N failed, N skipped", that CI reads.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const uvu = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url));
const pattern = process.argv[2] ?? '\\.test\\.ts$';
const child = spawn(process.execPath, ['--import', 'tsx', uvu, 'test', pattern, '-c', 'false'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { LSPAIR_LOG: 'error', ...process.env },
});
let out = '';
child.stdout.on('data', (chunk) => { out += chunk; process.stdout.write(chunk); });
child.on('close', (code, signal) => {
  const count = (label) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(out)?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped');
  const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1);
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (signal) console.error(`test process ended by ${signal}`);
  process.exitCode = code === 0 && failed === 0 ? 0 : 1;
});
