/**
 * yargs' failure messages in the house style. yargs reports a bad choice over several lines
 * (`Invalid values:` then `  Argument: dispatch, Given: "threads", Choices: "inline", "pool"`), and a
 * CLI that prints one line would print only `Invalid values:`; this names the flag, what it takes and
 * what it got, as the option tables' own checks do (`--dispatch must be one of inline, pool, got "threads"`).
 */

const CHOICE = /^\s*Argument: (.+?), Given: (.+?), Choices: (.+)$/;

/**
 * One line per yargs failure: bad choices rewritten as above (one clause per flag, joined by `; `),
 * any other message with its lines joined by a space.
 * @param message yargs' `fail()` message
 */
export function yargsFailMessage(message: string): string {
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  if (lines[0]?.trim() === 'Invalid values:' && lines.length > 1) {
    const clauses = lines.slice(1).map((line) => {
      const m = CHOICE.exec(line);
      if (!m) return line.trim();
      const choices = (m[3] ?? '').split(', ').map(unquote).join(', ');
      return `--${m[1]} must be one of ${choices}, got ${m[2]}`;
    });
    return clauses.join('; ');
  }
  return lines.map((l) => l.trim()).join(' ');
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}
