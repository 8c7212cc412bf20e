import { readFileSync } from 'node:fs';

/**
 * The fields of a /proc `stat` file after the command (which may hold spaces, in parentheses):
 * index 0 is field 3 (state), so field N of proc(5) is index N - 3. Undefined when the process or
 * thread has ended meanwhile.
 */
export function statFields(file: string): string[] | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
