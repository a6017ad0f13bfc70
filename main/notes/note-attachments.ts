// What a file must be before a note carries it: valid base64, at most the size limit, and
// bytes that really are the type claimed (a PNG, JPEG or PDF by its first bytes), so the UI
// never hands a viewer something else under an image or PDF type. Its attachment id is the
// file name made safe for every file system and URL the UI may put it in.
import {
  fail,
  noteAttachmentMaxBytes,
  ok,
  type DeskResult,
  type NoteAttachmentType,
} from '../../shared/index.js';

/** The first bytes each type always starts with. */
const magicBytes: Record<NoteAttachmentType, readonly number[]> = {
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
};

/** File name extensions per type; the first is added to a name that has none of them. */
const extensions: Record<NoteAttachmentType, readonly [string, ...string[]]> = {
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg'],
  'application/pdf': ['pdf'],
};

/**
 * Standard base64 (RFC 4648 section 4) with padding, as FileReader and Buffer write it, when
 * its length is also a multiple of 4. (A pattern of 4-character groups says the same in one
 * expression, but V8 runs out of stack on it for a file of a few megabytes.)
 */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The decoded size of well-formed base64 text, worked out before decoding it. */
function decodedSize(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/**
 * The file's bytes, once they pass every check. The size is checked on the text first, so
 * a file over the limit is refused without decoding it.
 */
export function readAttachment(base64: string, mimeType: NoteAttachmentType): DeskResult<Buffer> {
  if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) {
    return fail('attachment_unreadable', 'The file did not arrive whole. Try attaching it again.');
  }
  if (decodedSize(base64) > noteAttachmentMaxBytes) {
    return fail('attachment_too_large', 'The file is larger than 5 MB. Attach a smaller file.');
  }
  const bytes = Buffer.from(base64, 'base64');
  const magic = magicBytes[mimeType];
  if (bytes.length < magic.length || magic.some((byte, index) => bytes[index] !== byte)) {
    return fail(
      'attachment_type_mismatch',
      'The file is not the kind its name says. Attach PNG or JPEG images and PDF files only.',
    );
  }
  return ok(bytes);
}

const MAX_STEM = 80;

/**
 * The attachment id for a file name: its last path segment, accents dropped, anything but
 * letters, digits, `.`, `_` and `-` turned into `-`, no leading dot (no hidden files, no
 * `..`), ending in an extension of its type; numbered (`-2`, `-3`...) past the ids in
 * `taken`, so an attachment is never replaced by another of the same name.
 */
export function attachmentIdFor(
  fileName: string,
  mimeType: NoteAttachmentType,
  taken: ReadonlySet<string>,
): string {
  const lastSegment = fileName.split(/[/\\]/).pop() ?? '';
  const safe = lastSegment
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-');
  const dot = safe.lastIndexOf('.');
  const typed = extensions[mimeType];
  const ownExtension = dot > 0 ? safe.slice(dot + 1).toLowerCase() : '';
  const extension = typed.includes(ownExtension) ? ownExtension : typed[0];
  const stem =
    (typed.includes(ownExtension) ? safe.slice(0, dot) : safe)
      .replace(/^[.-]+|[.-]+$/g, '')
      .slice(0, MAX_STEM)
      .replace(/[.-]+$/, '') || 'attachment';
  let id = `${stem}.${extension}`;
  for (let n = 2; taken.has(id); n += 1) id = `${stem}-${n}.${extension}`;
  return id;
}
