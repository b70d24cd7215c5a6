// `npx tsx scripts/code-stats.ts [--top N]`: lines of TypeScript per top-level folder and the longest
// functions (declarations, methods, arrow functions and function expressions), from the git-tracked files.
// The layout issue reports these figures before and after a change.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 10;

const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.endsWith('.d.ts'));

const perFolder = new Map<string, { files: number; lines: number }>();
const functions: { name: string; file: string; line: number; lines: number }[] = [];

for (const file of files) {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const folder = file.includes('/') ? file.split('/')[0]! : '.';
  const entry = perFolder.get(folder) ?? { files: 0, lines: 0 };
  entry.files += 1;
  entry.lines += text.split('\n').length;
  perFolder.set(folder, entry);

  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      functions.push({ name: nameOf(node), file, line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

function nameOf(node: ts.Node): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name && ts.isIdentifier(named.name)) return named.name.text;
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isCallExpression(parent))
    return `(callback of ${parent.expression.getText().slice(0, 40)})`;
  return '(anonymous)';
}

console.log('| folder | files | lines |\n| --- | ---: | ---: |');
for (const [folder, { files: n, lines }] of [...perFolder].sort((a, b) => b[1].lines - a[1].lines)) {
  console.log(`| ${folder} | ${n} | ${lines} |`);
}
console.log(`\n| function | where | lines |\n| --- | --- | ---: |`);
for (const f of functions.sort((a, b) => b.lines - a.lines).slice(0, top)) {
  console.log(`| ${f.name} | ${f.file}:${f.line} | ${f.lines} |`);
}
