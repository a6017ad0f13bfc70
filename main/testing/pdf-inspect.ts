// Test support, not used by the app: reads back what a generated PDF shows, through poppler's
// pdftotext (an independent PDF reader, Debian package poppler-utils) and pdf-lib's object
// model, so tests assert on the document a printer would get rather than on our own drawing
// calls.
import { execFileSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream } from 'pdf-lib';

function pdftotext(bytes: Uint8Array, mode: '-layout' | '-bbox-layout'): string {
  return execFileSync('pdftotext', [mode, '-enc', 'UTF-8', '-', '-'], {
    input: bytes,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The text of each page, laid out as on the page (pdftotext -layout). */
export function pdfPageTexts(bytes: Uint8Array): string[] {
  const pages = pdftotext(bytes, '-layout').split('\f');
  pages.pop(); // pdftotext ends every page, the last too, with a form feed
  return pages;
}

export interface PdfWord {
  /** 0-based page index. */
  page: number;
  text: string;
  /** Points from the page's left and top edges. */
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export interface PdfLayout {
  pages: { width: number; height: number }[];
  words: PdfWord[];
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Every word with its box, as pdftotext -bbox-layout sees it. */
export function pdfWords(bytes: Uint8Array): PdfLayout {
  const xhtml = pdftotext(bytes, '-bbox-layout');
  const layout: PdfLayout = { pages: [], words: [] };
  const tags =
    /<page width="([\d.]+)" height="([\d.]+)">|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (const match of xhtml.matchAll(tags)) {
    if (match[1] !== undefined) {
      layout.pages.push({ width: Number(match[1]), height: Number(match[2]) });
    } else {
      layout.words.push({
        page: layout.pages.length - 1,
        xMin: Number(match[3]),
        yMin: Number(match[4]),
        xMax: Number(match[5]),
        yMax: Number(match[6]),
        text: (match[7] ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => {
          return entities[name] ?? '';
        }),
      });
    }
  }
  return layout;
}

export interface EmbeddedImage {
  /** 0-based page index. */
  page: number;
  width: number;
  height: number;
  /** 8-bit RGB, row by row from the top. */
  rgb: Uint8Array;
}

/** The images in each page's resources, decoded (8-bit DeviceRGB, Flate, as pdf-lib embeds). */
export async function embeddedImages(bytes: Uint8Array): Promise<EmbeddedImage[]> {
  const doc = await PDFDocument.load(bytes);
  const images: EmbeddedImage[] = [];
  doc.getPages().forEach((page, index) => {
    const xObjects = page.node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
    for (const ref of xObjects?.values() ?? []) {
      const stream = doc.context.lookup(ref);
      if (!(stream instanceof PDFRawStream)) continue;
      const { dict } = stream;
      if (dict.get(PDFName.of('Subtype')) !== PDFName.of('Image')) continue;
      if (
        dict.get(PDFName.of('ColorSpace')) !== PDFName.of('DeviceRGB') ||
        dict.get(PDFName.of('Filter')) !== PDFName.of('FlateDecode') ||
        dict.lookup(PDFName.of('BitsPerComponent'), PDFNumber).asNumber() !== 8
      ) {
        throw new Error('Only 8-bit Flate DeviceRGB images are read here.');
      }
      images.push({
        page: index,
        width: dict.lookup(PDFName.of('Width'), PDFNumber).asNumber(),
        height: dict.lookup(PDFName.of('Height'), PDFNumber).asNumber(),
        rgb: new Uint8Array(inflateSync(stream.contents)),
      });
    }
  });
  return images;
}

/** One row of an image as dark (true) and light pixels. */
export function darkPixels(image: EmbeddedImage, row: number): boolean[] {
  const pixels: boolean[] = [];
  for (let x = 0; x < image.width; x += 1) {
    const at = (row * image.width + x) * 3;
    const luma = ((image.rgb[at] ?? 0) + (image.rgb[at + 1] ?? 0) + (image.rgb[at + 2] ?? 0)) / 3;
    pixels.push(luma < 128);
  }
  return pixels;
}
