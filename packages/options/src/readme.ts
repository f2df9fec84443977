/**
 * The README check: every CLI flag of the tables appears in a README options table with the same
 * alias, unit and default, and every flag such a README table lists is in the tables (or `also`).
 * A README options table is any Markdown table whose header has `flag`, `unit` and `default` columns;
 * a row names its flag as `` `--flag` `` (aliases as `` `-p` `` or `` `-4` ``) in the flag column.
 */
import { defaultLabel } from './help.js';
import type { OptionRow, RowList } from './row.js';

/** One flag row read from a README table. */
interface DocRow {
  flag: string;
  aliases: string[];
  unit: string;
  default: string;
  line: number;
}

/** Splits a Markdown table line into trimmed cells (`\|` inside a cell is not a separator). */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

/** Every flag row of every options table in `readme`. */
function docRows(readme: string): DocRow[] {
  const lines = readme.split('\n');
  const out: DocRow[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trimStart().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1]!)) continue;
    const header = cells(lines[i]!).map((c) => c.toLowerCase());
    const [flagCol, unitCol, defaultCol] = ['flag', 'unit', 'default'].map((name) => header.indexOf(name));
    if (flagCol === -1 || unitCol === -1 || defaultCol === -1) continue;
    for (i += 2; i < lines.length && lines[i]!.trimStart().startsWith('|'); i++) {
      const row = cells(lines[i]!);
      const flagCell = row[flagCol!] ?? '';
      const flag = /`--([a-z0-9-]+)`/.exec(flagCell)?.[1];
      if (flag === undefined) continue;
      const aliases = [...flagCell.matchAll(/`-([a-zA-Z0-9])`/g)].map((m) => m[1]!);
      out.push({ flag, aliases, unit: row[unitCol!] ?? '', default: row[defaultCol!] ?? '', line: i + 1 });
    }
  }
  return out;
}

/** What the README's unit column must say for a row ('' = anything: a type such as `address` may stand there). */
function docUnit(row: OptionRow): string {
  return row.type === 'duration' ? 'duration' : (row.unit ?? '');
}

/** What the README's default cell must contain, or undefined when an unset option may be worded freely. */
function docDefaults(row: OptionRow): string[] | undefined {
  if (row.defaultText !== undefined) return [row.defaultText];
  if (row.default === false) return ['`false`', 'off'];
  if (row.default !== undefined) return [`\`${String(row.default)}\``];
  return row.required ? [defaultLabel(row)] : undefined;
}

/**
 * Compares the README's options tables with the option tables.
 * @param also flags the README may list that no table holds (e.g. `help`)
 * @returns one line per mismatch (empty when they agree), each naming the flag
 */
export function readmeMismatches(readme: string, tables: readonly RowList[], also: readonly string[] = []): string[] {
  const docs = docRows(readme);
  const problems: string[] = [];
  const known = new Set(also);
  for (const table of tables) {
    for (const row of table.rows) {
      if (row.cli === false) continue;
      known.add(row.flag);
      const doc = docs.find((d) => d.flag === row.flag);
      if (!doc) {
        problems.push(`--${row.flag}: in the option table, missing from the README`);
        continue;
      }
      const aliases = row.alias === undefined ? [] : [row.alias];
      if (doc.aliases.join() !== aliases.join()) {
        problems.push(`--${row.flag}: README line ${doc.line} gives alias(es) [${doc.aliases.join(', ')}], the table [${aliases.join(', ')}]`);
      }
      const unit = docUnit(row);
      if (unit !== '' && doc.unit !== unit) problems.push(`--${row.flag}: README line ${doc.line} gives unit "${doc.unit}", the table "${unit}"`);
      const defaults = docDefaults(row);
      if (defaults && !defaults.some((d) => doc.default.includes(d))) {
        problems.push(`--${row.flag}: README line ${doc.line} gives default "${doc.default}", the table ${defaults.join(' or ')}`);
      }
    }
  }
  for (const doc of docs) {
    if (!known.has(doc.flag)) problems.push(`--${doc.flag}: README line ${doc.line} lists it, no option table has it`);
  }
  return problems;
}
