/**
 * `tributary keys`: a new random key; for a source, shown once together with
 * the line TRIBUTARY_API_KEYS_FILE keeps for it (the key's SHA-256, so the
 * key itself is stored nowhere). And the conversion of a keys file of
 * key=source lines into those lines.
 */
import { apiKeyEntry, apiKeyFileLine, digestKey, token } from '../config/parsers';
import { newKey } from '../serve/dev-keys';

/** What `tributary keys` prints: a new key alone, or for `source` the key and its line for the keys file. */
export function newKeyText(source: string | undefined): string {
  const key = newKey('trib');
  if (source === undefined) return key;
  try {
    token(source);
  } catch (error) {
    throw new Error(`--source ${(error as Error).message}`);
  }
  return [
    `API key of source "${source}" (shown this once: give it to the client, and keep it nowhere else):`,
    `  ${key}`,
    'Its line for TRIBUTARY_API_KEYS_FILE:',
    `  ${apiKeyFileLine({ digest: digestKey(key), source })}`,
  ].join('\n');
}

/**
 * The text of a keys file with every entry as the file keeps it,
 * sha256:<hex>=source: key=source lines are converted, comments and blank
 * lines kept. Throws naming each line that is not an entry.
 */
export function hashKeysFile(text: string): string {
  const problems: string[] = [];
  const lines = text.split('\n').map((line, i) => {
    const comment = line.indexOf('#');
    const item = (comment < 0 ? line : line.slice(0, comment)).trim();
    if (item === '') return line;
    try {
      return `${apiKeyFileLine(apiKeyEntry(item))}${comment < 0 ? '' : ` ${line.slice(comment)}`}`;
    } catch (error) {
      problems.push(`line ${i + 1} ${(error as Error).message}`);
      return line;
    }
  });
  if (problems.length > 0) throw new Error(`the keys file is not valid:\n  - ${problems.join('\n  - ')}`);
  return lines.join('\n');
}
