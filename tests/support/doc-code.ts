/**
 * The TypeScript in our markdown, compiled against the real code: every ```ts and ```tsx block
 * of a document becomes a file of its own, or part of one (```tsx file=panel.tsx: blocks with the
 * same name are one file, in their order), and all of them are type-checked in one program with
 * the repository's compiler options and `@/` paths. Each diagnostic names the markdown line.
 */
import path from 'node:path';
import ts from 'typescript';

/** Fence languages that are compiled. */
const CHECKED_LANGUAGES = new Map([
  ['ts', 'ts'],
  ['typescript', 'ts'],
  ['tsx', 'tsx'],
]);

export interface DocFile {
  /** `file=` of its blocks, or `block-<line>.<ext>` for a block that stands alone. */
  readonly name: string;
  readonly text: string;
  /** The markdown line (1-based) of each line of `text`. */
  readonly lines: readonly number[];
  /** How many characters of each line's indent in the markdown were removed (a list item's). */
  readonly indents: readonly number[];
}

export interface DocDiagnostic {
  readonly file: string;
  /** 1-based, in the markdown. */
  readonly line: number;
  readonly column: number;
  readonly code: number;
  readonly message: string;
}

/** A fence the extractor does not understand: a typo there would leave code unchecked. */
export class DocFenceError extends Error {
  override readonly name = 'DocFenceError';
}

/**
 * The TypeScript files a markdown document holds. Throws {@link DocFenceError} on an unclosed
 * fence, an attribute other than `file=`, or a `file=` whose extension is not the block's language.
 */
export function extractDocFiles(markdown: string): DocFile[] {
  const source = markdown.split(/\r?\n/);
  const files = new Map<string, { text: string[]; lines: number[]; indents: number[] }>();
  for (let i = 0; i < source.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(source[i]!);
    if (!open) continue;
    const [, indent = '', fence = '', language = '', rest = ''] = open;
    const start = i + 1;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const body: number[] = [];
    for (i++; ; i++) {
      if (i >= source.length) throw new DocFenceError(`line ${start}: the fence is never closed`);
      if (close.test(source[i]!)) break;
      body.push(i);
    }
    const ext = CHECKED_LANGUAGES.get(language.toLowerCase());
    if (!ext) continue;
    let name = `block-${start}.${ext}`;
    for (const attribute of rest.trim().split(/\s+/).filter(Boolean)) {
      const file = /^file=([\w.-]+)$/.exec(attribute);
      if (!file?.[1]) throw new DocFenceError(`line ${start}: unknown attribute "${attribute}"`);
      if (path.extname(file[1]) !== `.${ext}`) {
        throw new DocFenceError(`line ${start}: a ${language} block cannot be part of ${file[1]}`);
      }
      name = file[1];
    }
    const entry = files.get(name) ?? { text: [], lines: [], indents: [] };
    files.set(name, entry);
    for (const line of body) {
      // Inside a list item the block is indented: its code is not.
      const text = source[line]!;
      const code = text.startsWith(indent) ? text.slice(indent.length) : text.trimStart();
      entry.text.push(code);
      entry.lines.push(line + 1);
      entry.indents.push(text.length - code.length);
    }
  }
  return [...files].map(([name, { text, lines, indents }]) => {
    // Every file is a module, whatever its blocks hold: blocks never share globals.
    const last = lines.at(-1) ?? 1;
    return {
      name,
      text: [...text, 'export {};', ''].join('\n'),
      lines: [...lines, last, last],
      indents: [...indents, 0, 0],
    };
  });
}

const ROOT = path.resolve(import.meta.dirname, '../..');

function compilerOptions(): { options: ts.CompilerOptions; declarations: string[] } {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath);
  // The project's own declarations (types/*.d.ts, next-env.d.ts) are what its code compiles with.
  const declarations = parsed.fileNames.filter(
    (file) => file.endsWith('.d.ts') && !file.split(path.sep).includes('.next'),
  );
  return { options: { ...parsed.options, noEmit: true, incremental: false }, declarations };
}

/**
 * Type-checks the TypeScript of several markdown documents in one program. Returns each
 * document's diagnostics (an empty list when its code compiles), keyed by the `id` given.
 */
export function typeCheckDocs(
  docs: readonly { readonly id: string; readonly markdown: string }[],
): Map<string, DocDiagnostic[]> {
  const virtual = new Map<string, { doc: string; file: DocFile }>();
  docs.forEach((doc, index) => {
    for (const file of extractDocFiles(doc.markdown)) {
      virtual.set(path.join(ROOT, '.doc-code', String(index), file.name), { doc: doc.id, file });
    }
  });
  const { options, declarations } = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const entry = virtual.get(path.resolve(fileName));
    return entry
      ? ts.createSourceFile(fileName, entry.file.text, languageVersion, true)
      : getSourceFile(fileName, languageVersion, ...rest);
  };
  host.fileExists = (fileName) => virtual.has(path.resolve(fileName)) || fileExists(fileName);
  host.readFile = (fileName) =>
    virtual.get(path.resolve(fileName))?.file.text ?? readFile(fileName);

  const program = ts.createProgram({
    rootNames: [...virtual.keys(), ...declarations],
    options,
    host,
  });
  const result = new Map<string, DocDiagnostic[]>(docs.map((doc) => [doc.id, []]));
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length > 0) {
    throw new Error(ts.formatDiagnostics(global, host));
  }
  for (const [fileName, { doc, file }] of virtual) {
    const sourceFile = program.getSourceFile(fileName);
    if (!sourceFile) throw new Error(`${file.name} was not compiled`);
    const found = [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile),
    ];
    for (const diagnostic of found) {
      const at = sourceFile.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      result.get(doc)!.push({
        file: file.name,
        line: file.lines[at.line] ?? 0,
        column: at.character + 1 + (file.indents[at.line] ?? 0),
        code: diagnostic.code,
        message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
      });
    }
  }
  return result;
}

/** `docs/x.md:12:5 (panel.tsx) TS2322: …`, one diagnostic a line. */
export function formatDocDiagnostics(docPath: string, diagnostics: readonly DocDiagnostic[]) {
  return diagnostics
    .map((d) => `${docPath}:${d.line}:${d.column} (${d.file}) TS${d.code}: ${d.message}`)
    .join('\n');
}
