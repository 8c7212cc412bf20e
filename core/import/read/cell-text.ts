// How a number or date cell reads as text: as Excel itself shows the stored value, so what the
// clerk sees in the grid is what the office typed (minus what Excel already lost).

/**
 * A number in plain decimal, never in exponent form. Excel keeps 15 significant digits, so a
 * number is shown with at most 15: an ID number typed as a number reads `110101199003071000`
 * (Excel's own display with a "0" format), not `1.10101199003071E+17` and not the binary
 * double's spurious digits (`110101199003070992`), which would look like a plausible ID.
 * Integers below 10^15 are exact.
 */
export function plainNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n === 0 ? 0 : n);
  const p = n.toPrecision(15);
  const sign = p.startsWith('-') ? '-' : '';
  const body = sign ? p.slice(1) : p;
  let int: string;
  let frac: string;
  const exp = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(body);
  if (exp) {
    const digits = exp[1]! + (exp[2] ?? '');
    const point = 1 + Number(exp[3]);
    if (point >= digits.length) {
      int = digits + '0'.repeat(point - digits.length);
      frac = '';
    } else if (point <= 0) {
      int = '0';
      frac = '0'.repeat(-point) + digits;
    } else {
      int = digits.slice(0, point);
      frac = digits.slice(point);
    }
  } else {
    [int = '0', frac = ''] = body.split('.');
  }
  frac = frac.replace(/0+$/, '');
  return sign + int + (frac ? `.${frac}` : '');
}

/**
 * A number as its cell shows it where that matters for codes: a format of zeros only
 * (`000000` for a postcode) pads the integer as Excel does. Other formats (thousands separators,
 * percent, currency) are display sugar and give the plain number.
 */
export function numberText(n: number, numFmt?: string): string {
  const text = plainNumber(n);
  if (numFmt && /^0+$/.test(numFmt) && Number.isInteger(n) && n >= 0)
    return text.padStart(numFmt.length, '0');
  return text;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A date cell: `date` is the ISO day; `text` the day, with the time when it has one. A time-only
 * cell (Excel serial below 1, which exceljs dates in 1899) has no day: its text is the time.
 * exceljs builds dates in UTC from the serial, so UTC fields are the cell's own.
 */
export function dateText(d: Date): { text: string; date?: string } {
  if (Number.isNaN(d.getTime())) return { text: '' };
  const time =
    d.getUTCSeconds() !== 0
      ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
      : `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (d.getUTCFullYear() < 1900) return { text: time };
  const day = d.toISOString().slice(0, 10);
  const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0;
  return { text: midnight ? day : `${day} ${time}`, date: day };
}
