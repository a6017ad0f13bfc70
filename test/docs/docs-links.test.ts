// The guides under docs/ link each other, the code and the screenshots. A renamed file must
// fail here, not leave a reader at a dead link. Screenshots are made by the end-to-end run and
// copied by scripts/copy-screenshots.mjs, so an image must be on that script's list (it may
// not exist in a fresh checkout).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

function markdownFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** Relative link targets of a markdown file, without #anchors; images flagged. */
function links(file: string): { target: string; image: boolean }[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].flatMap((match) => {
    const target = (match[2] ?? '').split('#')[0] ?? '';
    if (target === '' || /^[a-z]+:/i.test(target)) return [];
    return [{ target, image: match[1] === '!' }];
  });
}

const copied = new Set(
  [
    ...readFileSync(join(root, 'scripts', 'copy-screenshots.mjs'), 'utf8').matchAll(
      /'([a-z0-9-]+\.png)'/g,
    ),
  ].map((match) => match[1]),
);

describe('docs/', () => {
  const files = markdownFiles(join(root, 'docs'));

  it('has the three guides', () => {
    for (const guide of ['desk', 'admin', 'dev']) {
      expect(existsSync(join(root, 'docs', guide, 'README.md'))).toBe(true);
    }
  });

  it.each(files.map((file) => [relative(root, file), file]))(
    '%s links only to files that exist',
    (_name, file) => {
      for (const { target, image } of links(file)) {
        const path = resolve(dirname(file), target);
        if (image) {
          expect(relative(join(root, 'docs', 'images'), path)).not.toMatch(/^\.\./);
          expect(copied, `${target} is not copied by scripts/copy-screenshots.mjs`).toContain(
            relative(join(root, 'docs', 'images'), path),
          );
        } else {
          expect(existsSync(path), `${target} (from ${relative(root, file)})`).toBe(true);
        }
      }
    },
  );
});
