/**
 * Positions in JSON source text: where a syntax error is (line/column), and where the value at a
 * JSON pointer starts, so that plugin issues can say "第 12 行第 5 列" as well as the pointer.
 * A small strict (RFC 8259) scanner; values themselves still come from JSON.parse.
 */

export interface SourcePosition {
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 code units (as editors count). */
  column: number;
}

export type JsonParseOutcome =
  { ok: true; value: unknown } | { ok: false; message: string; offset: number; position: SourcePosition };

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describeChar(text: string, offset: number): string {
  if (offset >= text.length) return '文件结尾';
  return `“${text[offset]}”`;
}

/**
 * Walks the text, calling `onValue(pointer, offset)` for the start of every value. Throws
 * JsonSyntaxError at the first syntax error.
 */
function scan(text: string, onValue?: (pointer: string, offset: number) => void): void {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (expected: string): never => {
    throw new JsonSyntaxError(`此处应为${expected}，实际为${describeChar(text, i)}`, i);
  };
  const string = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      }
      if (c === '\\') {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            throw new JsonSyntaxError('无效的 \\u 转义', i);
          }
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
          i += 2;
        } else {
          throw new JsonSyntaxError('无效的转义字符', i);
        }
        continue;
      }
      if (c.charCodeAt(0) < 0x20)
        throw new JsonSyntaxError('字符串中不能有换行或控制字符（缺少右引号？）', i);
      i++;
    }
    throw new JsonSyntaxError('字符串缺少右引号', start);
  };
  const value = (pointer: string): void => {
    ws();
    onValue?.(pointer, i);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('带双引号的属性名');
        const key = string();
        ws();
        if (text[i] !== ':') fail('“:”');
        i++;
        value(`${pointer}/${escapePointerToken(key)}`);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') throw new JsonSyntaxError('“}”前多了一个逗号', i);
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('“,”或“}”');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        value(`${pointer}/${index}`);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') throw new JsonSyntaxError('“]”前多了一个逗号', i);
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('“,”或“]”');
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const rest = text.slice(i);
    const literal = /^(?:true|false|null)/.exec(rest);
    if (literal) {
      i += literal[0].length;
      return;
    }
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(rest);
    if (number) {
      i += number[0].length;
      return;
    }
    fail('一个值（对象、数组、字符串、数字、true、false 或 null）');
  };
  value('');
  ws();
  if (i < text.length) throw new JsonSyntaxError(`值已结束，后面多出了${describeChar(text, i)}`, i);
}

/** Parses JSON; on failure reports where (line/column) and why, in Chinese. */
export function parseJsonText(text: string): JsonParseOutcome {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(source) as unknown };
  } catch (error) {
    try {
      scan(source);
    } catch (syntax) {
      if (syntax instanceof JsonSyntaxError) {
        return {
          ok: false,
          message: syntax.message,
          offset: syntax.offset,
          position: positionAt(source, syntax.offset),
        };
      }
    }
    // The scanner accepted what JSON.parse rejected: report JSON.parse's own words.
    return { ok: false, message: (error as Error).message, offset: 0, position: { line: 1, column: 1 } };
  }
}

/** Start position of every value in a valid JSON text, keyed by JSON pointer ('' = root). */
export function valuePositions(text: string): Map<string, SourcePosition> {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const offsets = new Map<string, number>();
  try {
    scan(source, (pointer, offset) => offsets.set(pointer, offset));
  } catch {
    return new Map();
  }
  // One pass over the text to turn offsets into line/column.
  const sorted = [...offsets.entries()].sort((a, b) => a[1] - b[1]);
  const result = new Map<string, SourcePosition>();
  let line = 1;
  let lineStart = 0;
  let cursor = 0;
  for (const [pointer, offset] of sorted) {
    for (; cursor < offset; cursor++) {
      if (source.charCodeAt(cursor) === 10) {
        line++;
        lineStart = cursor + 1;
      }
    }
    result.set(pointer, { line, column: offset - lineStart + 1 });
  }
  return result;
}
