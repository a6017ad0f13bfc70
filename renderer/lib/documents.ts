// Printed documents (labels, manifests, slips) come from the desk as base64; the page turns
// them into a blob URL to open (and print from the viewer) or to save.
import type { DeskDocument, ZipDocument } from '../../shared/api/index.js';

/** A file from the desk: a printed document or a .zip. */
type DeskFile = Pick<DeskDocument | ZipDocument, 'base64' | 'mimeType' | 'fileName'>;

function blobOf(doc: Pick<DeskFile, 'base64' | 'mimeType'>): Blob {
  const binary = atob(doc.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: doc.mimeType });
}

/** Blob URLs are freed once the viewer or the download had time to read them. */
function revokeLater(url: string): void {
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Saves the document as a file (the browser's download, or the desk app's save dialog). */
export function saveDocument(doc: DeskFile): void {
  const url = URL.createObjectURL(blobOf(doc));
  const link = document.createElement('a');
  link.href = url;
  link.download = doc.fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  revokeLater(url);
}

/**
 * Opens the document in a new tab to print it. Where new windows are not allowed (the desk
 * app denies them), it is saved instead.
 */
export function openDocument(doc: Pick<DeskDocument, 'base64' | 'mimeType' | 'fileName'>): void {
  const url = URL.createObjectURL(blobOf(doc));
  const opened = window.open(url, '_blank', 'noopener');
  revokeLater(url);
  if (!opened) saveDocument(doc);
}
