// The test zoo of tests/zoo/coverage.py in build/zoo-coverage: built (about a minute) when
// missing or older than the script. Returns its folder and manifest (model file, inputs, covers).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './load-qplay.mjs';

export function ensureZoo() {
  const zoo = path.join(repoRoot, 'build/zoo-coverage');
  const script = path.join(repoRoot, 'tests/zoo/coverage.py');
  const manifestFile = path.join(zoo, 'manifest.json');
  if (!fs.existsSync(manifestFile) || fs.statSync(manifestFile).mtimeMs < fs.statSync(script).mtimeMs)
    execFileSync('/usr/bin/python3', [script, zoo], { stdio: 'inherit' });
  return { zoo, manifest: JSON.parse(fs.readFileSync(manifestFile, 'utf8')) };
}
