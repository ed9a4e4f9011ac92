/**
 * Printed invoices of the Alseco simulator: a real (small) PDF of several pages for GetPrintedInvoicePDF and a real GIF
 * for GetPrintedInvoice, written by hand so that no dependency is needed. The PDF's text is ASCII (the standard
 * Helvetica font has no Cyrillic glyphs); the data is the invoice's own.
 */

/** A PDF 1.4 with one page per text block; xref offsets are computed, so any reader opens it. */
export function renderPdf(pages: readonly (readonly string[])[]): Uint8Array {
  const objects: string[] = [];
  const pageIds = pages.map((_, index) => 4 + index * 2);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  pages.forEach((lines, index) => {
    const pageId = pageIds[index]!;
    const text = lines.map((line, n) => `BT /F1 ${n === 0 ? 16 : 11} Tf 50 ${780 - n * 22} Td (${pdfText(line)}) Tj ET`).join('\n');
    objects[pageId] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageId + 1} 0 R >>`;
    objects[pageId + 1] = `<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}\nendstream`;
  });
  let body = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id += 1) {
    offsets[id] = Buffer.byteLength(body, 'latin1');
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id += 1) body += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(body, 'latin1'));
}

/** PDF string literal: ASCII only, with ( ) \ escaped. */
function pdfText(text: string): string {
  return text.replace(/[^\x20-\x7E]/g, '?').replace(/([()\\])/g, '\\$1');
}

/**
 * A GIF89a image: a width×height canvas in two colours with a dark band per row of `bars` (a stylised invoice),
 * LZW-encoded with a code size of 2 and a clear code before every 2 pixels, which keeps the code width at 3 bits.
 */
export function renderGif(width: number, height: number, bars: (y: number) => boolean): Uint8Array {
  const header = Buffer.from([
    ...Buffer.from('GIF89a', 'ascii'),
    width & 0xff, width >> 8, height & 0xff, height >> 8,
    0x80, 0x00, 0x00, // global colour table of 2 entries
    0xff, 0xff, 0xff, 0x20, 0x30, 0x60, // white, dark blue
    0x2c, 0, 0, 0, 0, width & 0xff, width >> 8, height & 0xff, height >> 8, 0x00, // image descriptor
    0x02, // LZW minimum code size
  ]);
  const codes: number[] = [];
  let count = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if (count % 2 === 0) codes.push(4); // clear every 2 pixels: the table never needs 4-bit codes
      codes.push(bars(y) && x > 4 && x < width - 4 ? 1 : 0);
      count += 1;
    }
  }
  codes.push(5); // end of information
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const code of codes) {
    buffer |= code << bits;
    bits += 3;
    while (bits >= 8) {
      bytes.push(buffer & 0xff);
      buffer >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) bytes.push(buffer & 0xff);
  const blocks: number[] = [];
  for (let i = 0; i < bytes.length; i += 255) {
    const chunk = bytes.slice(i, i + 255);
    blocks.push(chunk.length, ...chunk);
  }
  return new Uint8Array(Buffer.concat([header, Buffer.from(blocks), Buffer.from([0x00, 0x3b])]));
}
