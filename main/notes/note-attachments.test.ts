import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noteAttachmentMaxBytes, type NoteAttachmentType } from '../../shared/index.js';
import { attachmentIdFor, readAttachment } from './note-attachments.js';

const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const jpeg = [0xff, 0xd8, 0xff, 0xdb];
const pdf = [...Buffer.from('%PDF-1.4')];
const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
const code = (result: ReturnType<typeof readAttachment>) => (result.ok ? 'ok' : result.error.code);

describe('readAttachment', () => {
  it.each<[string, string, NoteAttachmentType, string]>([
    ['a PNG', b64([...png, 1, 2]), 'image/png', 'ok'],
    ['a JPEG', b64([...jpeg, 0]), 'image/jpeg', 'ok'],
    ['a PDF', b64([...pdf, 10]), 'application/pdf', 'ok'],
    ['a PNG claimed as PDF', b64([...png, 1]), 'application/pdf', 'attachment_type_mismatch'],
    ['a PDF claimed as JPEG', b64(pdf), 'image/jpeg', 'attachment_type_mismatch'],
    ['half a PNG signature', b64(png.slice(0, 4)), 'image/png', 'attachment_type_mismatch'],
    [
      'an SVG claimed as PNG',
      b64([...Buffer.from('<svg/>')]),
      'image/png',
      'attachment_type_mismatch',
    ],
    ['nothing', '', 'image/png', 'attachment_unreadable'],
    [
      'URL-safe base64',
      b64([...png, 0xfb, 0xff])
        .replace(/\+/g, '-')
        .replace(/\//g, '_'),
      'image/png',
      'attachment_unreadable',
    ],
    ['a data URL', `data:image/png;base64,${b64(png)}`, 'image/png', 'attachment_unreadable'],
    [
      'base64 with a line break',
      `${b64(png).slice(0, 4)}\n${b64(png).slice(4)}`,
      'image/png',
      'attachment_unreadable',
    ],
    [
      'base64 without its padding',
      b64([...png, 1, 2]).replace(/=+$/, ''),
      'image/png',
      'attachment_unreadable',
    ],
  ])('%s: %s', (_label, base64, mimeType, expected) => {
    expect(code(readAttachment(base64, mimeType))).toBe(expected);
  });

  it('takes exactly 5 MiB and refuses a byte more without decoding it', () => {
    const fits = Buffer.alloc(noteAttachmentMaxBytes);
    fits.set(pdf);
    expect(code(readAttachment(fits.toString('base64'), 'application/pdf'))).toBe('ok');
    const over = Buffer.alloc(noteAttachmentMaxBytes + 1);
    over.set(pdf);
    expect(code(readAttachment(over.toString('base64'), 'application/pdf'))).toBe(
      'attachment_too_large',
    );
  });

  it('answers the bytes it was sent', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (rest) => {
        const bytes = Buffer.from([...png, ...rest]);
        const read = readAttachment(bytes.toString('base64'), 'image/png');
        expect(read.ok && read.value.equals(bytes)).toBe(true);
      }),
    );
  });
});

describe('attachmentIdFor', () => {
  const none = new Set<string>();
  const extensions: Record<NoteAttachmentType, string[]> = {
    'image/png': ['png'],
    'image/jpeg': ['jpg', 'jpeg'],
    'application/pdf': ['pdf'],
  };
  it.each<[string, NoteAttachmentType, string]>([
    ['crate-label.png', 'image/png', 'crate-label.png'],
    ['Crate Label.PNG', 'image/png', 'Crate-Label.png'],
    ['photo.JPEG', 'image/jpeg', 'photo.jpeg'],
    ['photo', 'image/jpeg', 'photo.jpg'],
    ['photo.png', 'image/jpeg', 'photo.png.jpg'],
    ['C:\\fakepath\\manual v2.pdf', 'application/pdf', 'manual-v2.pdf'],
    ['../../../etc/passwd', 'application/pdf', 'passwd.pdf'],
    ['..', 'application/pdf', 'attachment.pdf'],
    ['.hidden.pdf', 'application/pdf', 'hidden.pdf'],
    ['Überblick – Kurierdienst.pdf', 'application/pdf', 'Uberblick-Kurierdienst.pdf'],
    ['報告.pdf', 'application/pdf', 'attachment.pdf'],
    ['a<b>c:"d"|e?*.png', 'image/png', 'a-b-c-d-e.png'],
    [`${'x'.repeat(150)}.pdf`, 'application/pdf', `${'x'.repeat(80)}.pdf`],
  ])('%j as %s is %j', (fileName, mimeType, id) => {
    expect(attachmentIdFor(fileName, mimeType, none)).toBe(id);
  });

  it('numbers a name the note has already', () => {
    const taken = new Set(['label.png', 'label-2.png']);
    expect(attachmentIdFor('label.png', 'image/png', taken)).toBe('label-3.png');
    expect(attachmentIdFor('label.pdf', 'application/pdf', taken)).toBe('label.pdf');
  });

  it('always makes a short, safe id with the right extension', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom<NoteAttachmentType>('image/png', 'image/jpeg', 'application/pdf'),
        (fileName, mimeType) => {
          const id = attachmentIdFor(fileName, mimeType, none);
          expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,79}\.[a-z]+$/);
          expect(extensions[mimeType]).toContain(id.slice(id.lastIndexOf('.') + 1));
        },
      ),
    );
  });
});
