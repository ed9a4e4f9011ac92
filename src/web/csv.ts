/**
 * CSV that opens in a spreadsheet as it was meant: RFC 4180 quoting, CRLF line ends, a UTF-8 BOM (Excel reads
 * Cyrillic right only with it), and a cell that starts like a formula (=, +, -, @, tab, CR) prefixed with an apostrophe
 * so that an account number or a note typed by someone else is never run as one.
 */
export function toCsv(rows: readonly (readonly unknown[])[]): string {
  return `\uFEFF${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  // A negative amount stays a number: only text that is not a plain decimal is guarded.
  if (/^[=+\-@\t\r]/.test(text) && !/^-\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
