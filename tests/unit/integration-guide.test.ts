import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DocFenceError,
  extractDocFiles,
  formatDocDiagnostics,
  typeCheckDocs,
  type DocDiagnostic,
} from '../support/doc-code';

const GUIDE = 'docs/integration.md';
const guide = readFileSync(path.resolve(import.meta.dirname, '../..', GUIDE), 'utf8');

/** A document whose second block breaks the file its first block began, on its line 11. */
const BROKEN = [
  '# A guide with a mistake', //                                           1
  '',
  '```tsx file=panel.tsx',
  "import { getCachedJobList } from '@/lib/veo/cache';",
  '```',
  '',
  'Then the list (this line is prose):',
  '',
  '```tsx file=panel.tsx',
  'export async function count(): Promise<number> {',
  '  const jobs: string = await getCachedJobList();', //                   11
  '  return jobs.length;',
  '}',
  '```',
  '',
  '```ts',
  "import { notExported } from '@/lib/veo/cache';", //                    17
  'export const x = notExported;',
  '```',
  '',
].join('\n');

describe('docs/integration.md', () => {
  let diagnostics: Map<string, DocDiagnostic[]>;
  beforeAll(() => {
    // One program for the guide and the broken document: the library is checked once.
    diagnostics = typeCheckDocs([
      { id: 'guide', markdown: guide },
      { id: 'broken', markdown: BROKEN },
    ]);
  });

  it('holds code for the VEO app’s page and history panel, and for the service worker', () => {
    const names = extractDocFiles(guide).map((file) => file.name);
    expect(names).toEqual(
      expect.arrayContaining(['veo-page.tsx', 'history-panel.tsx', 'status.tsx', 'sign-in.ts']),
    );
  });

  it('compiles every ts and tsx block against the library’s types', () => {
    const found = diagnostics.get('guide') ?? [];
    expect(found, formatDocDiagnostics(GUIDE, found)).toEqual([]);
  });

  it('fails on a type error, naming the markdown line, in a block that continues another', () => {
    const found = diagnostics.get('broken') ?? [];
    expect(found.map(({ file, line, code }) => ({ file, line, code }))).toEqual([
      { file: 'panel.tsx', line: 11, code: 2322 },
      { file: 'block-16.ts', line: 17, code: 2305 },
    ]);
    expect(formatDocDiagnostics('broken.md', found)).toMatch(
      /^broken\.md:11:9 \(panel\.tsx\) TS2322: Type 'JobListItem\[\]' is not assignable to type 'string'/,
    );
  });

  it('refuses a fence it would otherwise skip: an unknown attribute, a file of another language, no end', () => {
    expect(() => extractDocFiles('```tsx fiel=a.tsx\nconst a = 1;\n```\n')).toThrow(DocFenceError);
    expect(() => extractDocFiles('```ts file=a.tsx\nconst a = 1;\n```\n')).toThrow(DocFenceError);
    expect(() => extractDocFiles('```ts\nconst a = 1;\n')).toThrow(DocFenceError);
  });

  it('takes a block indented in a list item without its indent, and leaves other languages alone', () => {
    const [file, ...others] = extractDocFiles(
      '- a step:\n\n  ```ts\n  const a = 1;\n  ```\n\n```sh\nnpm test\n```\n',
    );
    expect(others).toEqual([]);
    expect(file).toMatchObject({ name: 'block-3.ts', lines: [4, 4, 4], indents: [2, 0, 0] });
    expect(file?.text.split('\n')[0]).toBe('const a = 1;');
  });
});
