// Builds the desk page (renderer/) for the browser version of the desk, with the same renderer
// configuration electron.vite.config.ts gives the desk app, so both run one page. A build is
// made only when the output is missing or older than any source it is built from, and only one
// process builds at a time (tests start several desks at once): the others wait for its lock.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

/** The project root: main/web/ is two folders down. */
export const projectRoot = resolve(import.meta.dirname, '..', '..');
export const defaultRendererDir = join(projectRoot, 'out', 'renderer');

/** Sources the page is built from: a change in any of them makes the build stale. */
const sourceRoots = ['renderer', 'shared', 'electron.vite.config.ts', 'package.json'];
/** A lock older than this was left by a build that died; it is taken over. */
const staleLockMs = 5 * 60_000;

function newestMtime(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** True when `outDir` has no page or one older than its sources. */
export function rendererIsStale(outDir: string = defaultRendererDir): boolean {
  const built = statSync(join(outDir, 'index.html'), { throwIfNoEntry: false });
  if (!built) return true;
  const newestSource = Math.max(...sourceRoots.map((root) => newestMtime(join(projectRoot, root))));
  return newestSource > built.mtimeMs;
}

async function withLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const lock = statSync(lockDir, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > staleLockMs) rmdirSync(lockDir);
      await new Promise((wait) => setTimeout(wait, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmdirSync(lockDir);
  }
}

/**
 * Builds the page into `outDir` if it is missing or stale; answers whether it built. The
 * configuration is electron-vite's resolution of the renderer part of electron.vite.config.ts
 * (its plugins, the content security policy among them), with only the output folder changed.
 */
export async function ensureRendererBuilt(
  outDir: string = defaultRendererDir,
  log: (line: string) => void = () => undefined,
): Promise<boolean> {
  if (!rendererIsStale(outDir)) return false;
  mkdirSync(resolve(outDir, '..'), { recursive: true });
  return withLock(`${outDir}.building`, async () => {
    // Another process may have built it while this one waited for the lock.
    if (!rendererIsStale(outDir)) return false;
    log(`carrel: building the desk page into ${outDir}`);
    // Loaded only when a build is needed: neither is needed to serve a built page.
    const { resolveConfig } = await import('electron-vite');
    const { build } = await import('vite');
    process.env['NODE_ENV_ELECTRON_VITE'] = 'production';
    const resolved = await resolveConfig(
      {
        configFile: join(projectRoot, 'electron.vite.config.ts'),
        root: projectRoot,
        logLevel: 'warn',
      },
      'build',
      'production',
    );
    const renderer = resolved.config?.renderer;
    if (!renderer) throw new Error('electron.vite.config.ts has no renderer part.');
    // Built beside the served folder and swapped in at the end, so a page being served from
    // it (another desk of a test run) never finds its files half-replaced.
    const next = `${outDir}.next`;
    const old = `${outDir}.old`;
    await build({
      ...renderer,
      configFile: false,
      logLevel: 'warn',
      build: { ...renderer.build, outDir: next, emptyOutDir: true },
    });
    rmSync(old, { recursive: true, force: true });
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(next, outDir);
    rmSync(old, { recursive: true, force: true });
    return true;
  });
}
