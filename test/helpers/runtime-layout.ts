// There is no container engine here, so tests check what the image would contain: the Dockerfile's
// runtime stage is read and its COPY and RUN steps are carried out into a folder (sources from the checkout,
// `--from=build /app/...` from the checkout after `npm run build`, which the build stage also runs there).
// Whatever the Dockerfile says is what gets tested: an edit to it changes this layout too.
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export type Step =
  { kind: 'copy'; fromBuild: boolean; sources: string[]; dest: string } | { kind: 'run'; command: string };

export interface RuntimeStage {
  workdir: string;
  /** COPY and RUN, in the file's order. */
  steps: Step[];
  user?: string;
  cmd: string[];
  env: Record<string, string>;
}

/** The steps of the stage named `runtime` (joined continuation lines, comments dropped). */
export function parseRuntimeStage(dockerfile: string): RuntimeStage {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const start = lines.findIndex((l) => /^FROM\s+\S+\s+AS\s+runtime$/i.test(l));
  if (start < 0) throw new Error('Dockerfile: no stage named runtime');
  const stage: RuntimeStage = { workdir: '/', steps: [], cmd: [], env: {} };
  for (const line of lines.slice(start + 1)) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    switch (instruction!.toUpperCase()) {
      case 'FROM':
        return stage; // a later stage
      case 'WORKDIR':
        stage.workdir = args;
        break;
      case 'ENV': {
        const [k, v] = args.split('=');
        stage.env[k!] = v ?? '';
        break;
      }
      case 'COPY': {
        const fromBuild = rest[0] === '--from=build';
        const parts = fromBuild ? rest.slice(1) : rest;
        stage.steps.push({
          kind: 'copy',
          fromBuild,
          sources: parts.slice(0, -1),
          dest: parts[parts.length - 1]!,
        });
        break;
      }
      case 'RUN':
        // Build-time cache mounts do not change what lands in the image.
        stage.steps.push({ kind: 'run', command: args.replace(/--mount=\S+\s+/g, '') });
        break;
      case 'USER':
        stage.user = args;
        break;
      case 'CMD':
        stage.cmd = JSON.parse(args) as string[];
        break;
      default:
        throw new Error(`Dockerfile: runtime stage uses ${instruction}, which this test does not model`);
    }
  }
  return stage;
}

/**
 * Lays the runtime stage out in `target` (the image's WORKDIR), in the Dockerfile's order. Expects
 * `npm run build` to have run in the checkout. Returns the stage for its CMD and USER.
 */
export function buildRuntimeLayout(target: string): RuntimeStage {
  const stage = parseRuntimeStage(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const inImage = (p: string) =>
    path.join(target, path.relative(stage.workdir, path.resolve(stage.workdir, p)));
  mkdirSync(target, { recursive: true });
  for (const step of stage.steps) {
    if (step.kind === 'run') {
      const r = spawnSync('sh', ['-c', step.command], { cwd: target, encoding: 'utf8', timeout: 300_000 });
      if (r.status !== 0) throw new Error(`RUN ${step.command} failed:\n${r.stdout}\n${r.stderr}`);
      continue;
    }
    const dest = inImage(step.dest);
    for (const source of step.sources) {
      const from = step.fromBuild ? path.join(ROOT, path.relative('/app', source)) : path.join(ROOT, source);
      cpSync(from, step.dest.endsWith('/') ? path.join(dest, path.basename(from)) : dest, {
        recursive: true,
      });
    }
  }
  return stage;
}

/** Runs `npm run build` in the checkout (the build stage's last step). */
export function buildDist(): void {
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}
