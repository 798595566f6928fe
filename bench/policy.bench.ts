// Policy benchmark: classify every path of a generated 100 000-file tree with a few hundred nested .gitignore
// and .vsls.json files; compare with `git check-ignore --stdin` on the same tree and with the `ignore`
// package on the gitignore-only variant, in the same run. Each figure is the best of three runs.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { Policy } from '../src/policy/index.js';
import { Random } from '../test/helpers/random.js';
import { tmpdir } from '../test/helpers/tmp.js';
import { checkIgnore, HERMETIC_GIT_ENV, gitInit, randomPattern, writeTree, type Tree } from '../test/helpers/trees.js';

const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const DIR_NAMES = ['src', 'lib', 'test', 'docs', 'build', 'dist', 'node_modules', 'vendor', 'assets', 'utils', 'core', 'api', 'ui', 'cache', 'tmp', 'gen', 'pkg', 'internal', 'cmd', 'scripts'];
const STEMS = ['index', 'main', 'util', 'app', 'server', 'client', 'config', 'types', 'model', 'view', 'README', 'notes', 'secret', 'debug', 'bundle'];
const EXTS = ['.ts', '.js', '.json', '.md', '.log', '.key', '.min.js', '.map', '.tmp', '.py', '.c', ''];
const REAL_PATTERNS = ['node_modules/', '*.log', '!keep.log', 'build/', '/dist', '*.tmp', '**/cache/**', '*.min.js', '*.map', 'coverage/', '.env*', '!.env.example', 'gen/*.ts', '/scripts/*.sh', 'tmp/', '*.py[cod]', '[Dd]ebug*', 'vendor/**/test/'];

/** A tree shaped like a monorepo: ~5 000 folders, `files` files, .gitignore in ~300 folders, .vsls.json in ~100. */
export function monorepo(rng: Random, files: number): { tree: Tree; vsls: Map<string, string> } {
  const dirs: string[] = [];
  const queue = [''];
  while (queue.length > 0 && dirs.length < files / 20) {
    const dir = queue.shift()!;
    for (let i = 0, n = 2 + rng.int(5); i < n; i++) {
      const child = `${dir === '' ? '' : `${dir}/`}${rng.pick(DIR_NAMES)}${rng.chance(0.5) ? rng.int(30) : ''}`;
      if (!dirs.includes(child)) {
        dirs.push(child);
        queue.push(child);
      }
    }
  }
  const all = new Set<string>();
  while (all.size < files) {
    const dir = rng.chance(0.02) ? '' : rng.pick(dirs);
    all.add(`${dir === '' ? '' : `${dir}/`}${rng.pick(STEMS)}${rng.int(200)}${rng.pick(EXTS)}`);
  }
  const lines = (n: number): string[] => Array.from({ length: n }, () => (rng.chance(0.6) ? rng.pick(REAL_PATTERNS) : randomPattern(rng)));
  const ignores = new Map<string, string>([['', `${lines(12).join('\n')}\n`]]);
  for (let i = 0; i < 300; i++) ignores.set(rng.pick(dirs), `${lines(3 + rng.int(12)).join('\n')}\n`);
  const vsls = new Map<string, string>();
  for (let i = 0; i < 100; i++) {
    vsls.set(rng.pick(dirs), JSON.stringify({ excludeFiles: lines(1 + rng.int(5)), hideFiles: lines(rng.int(4)), ...(rng.chance(0.3) ? { gitignore: rng.pick(['hide', 'exclude', 'none']) } : {}) }));
  }
  return { tree: { dirs, files: [...all], ignores }, vsls };
}

/** Best of `RUNS` runs (the first also pays for JIT warm-up and cold caches; each run starts from nothing). */
const RUNS = 3;

function time<T>(run: () => T): { ms: number; result: T } {
  let best = { ms: Infinity, result: undefined as T };
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const result = run();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms < best.ms) best = { ms, result };
  }
  return best;
}

function gitRun(root: string, paths: string[]): number {
  const input = Buffer.from(paths.map((p) => `${p}\0`).join(''));
  return time(() => {
    const r = spawnSync('git', checkIgnore(), { cwd: root, input, env: { ...process.env, ...HERMETIC_GIT_ENV }, maxBuffer: 1 << 30 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`git check-ignore failed: ${r.stderr}`);
  }).ms;
}

/** The `ignore` package with one instance per .gitignore and git's precedence (deepest file first). */
function ignorePackage(root: string, tree: Tree, paths: string[]): { ms: number; ignored: number } {
  const { ms, result } = time(() => {
    const per = new Map<string, Ignore>();
    for (const dir of tree.ignores.keys()) per.set(dir, ignore({ allowRelativePaths: true }).add(readFileSync(path.join(root, dir, '.gitignore'), 'utf8')));
    const dirSet = new Set(tree.dirs);
    let ignored = 0;
    for (const p of paths) {
      const parts = p.split('/');
      let verdict = false;
      for (let depth = parts.length - 1; depth >= 0; depth--) {
        const dir = parts.slice(0, depth).join('/');
        const ig = per.get(dir);
        if (!ig) continue;
        const rel = parts.slice(depth).join('/');
        const r = ig.test(dirSet.has(p) ? `${rel}/` : rel);
        if (r.ignored || r.unignored) {
          verdict = r.ignored;
          break;
        }
      }
      if (verdict) ignored++;
    }
    return ignored;
  });
  return { ms, ignored: result };
}

function ours(root: string, paths: string[]): { ms: number; excluded: number } {
  const { ms, result } = time(() => {
    const policy = new Policy(root);
    let excluded = 0;
    for (const d of policy.checkAll(paths)) if (d.state === 'excluded') excluded++;
    return excluded;
  });
  return { ms, excluded: result };
}

function rate(count: number, ms: number): string {
  return `${Math.round(count / (ms / 1000)).toLocaleString('en')} paths/s`;
}

export function runPolicyBench(): string[] {
  const rng = new Random(424242);
  const { tree, vsls } = monorepo(rng, FILES);
  const out: string[] = [];
  const gitignoreOnly = tmpdir('lspair-bench-');
  gitInit(gitignoreOnly);
  writeTree(gitignoreOnly, tree);
  writeFileSync(path.join(gitignoreOnly, '.vsls.json'), '{"gitignore": "exclude"}');
  const paths = tree.files;
  const files = `${paths.length.toLocaleString('en')} files, ${tree.dirs.length} folders, ${tree.ignores.size} .gitignore`;

  const a = ours(gitignoreOnly, paths);
  const g = gitRun(gitignoreOnly, paths);
  const ig = ignorePackage(gitignoreOnly, tree, paths);
  out.push(`policy, gitignore-only tree (${files}):`);
  out.push(`  lspair policy   ${rate(paths.length, a.ms)} (${a.ms.toFixed(0)} ms, ${a.excluded} excluded)`);
  out.push(`  git check-ignore ${rate(paths.length, g)} (${g.toFixed(0)} ms)   lspair/git speed ratio ${(g / a.ms).toFixed(2)}x`);
  out.push(`  ignore package  ${rate(paths.length, ig.ms)} (${ig.ms.toFixed(0)} ms, ${ig.ignored} ignored)   lspair/ignore speed ratio ${(ig.ms / a.ms).toFixed(2)}x`);

  const full = tmpdir('lspair-bench-');
  gitInit(full);
  writeTree(full, tree);
  for (const [dir, text] of vsls) writeFileSync(path.join(full, dir, '.vsls.json'), text);
  const b = ours(full, paths);
  const g2 = gitRun(full, paths);
  const walk = time(() => [...new Policy(full).entries({ hidden: true })].length);
  out.push(`policy, with ${vsls.size} nested .vsls.json too:`);
  out.push(`  lspair policy   ${rate(paths.length, b.ms)} (${b.ms.toFixed(0)} ms)   git check-ignore ${g2.toFixed(0)} ms   lspair/git speed ratio ${(g2 / b.ms).toFixed(2)}x`);
  out.push(`  lspair policy ls (walk, ${walk.result} entries listed) ${walk.ms.toFixed(0)} ms`);
  return out;
}
