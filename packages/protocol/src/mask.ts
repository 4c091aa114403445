/** Same length, whitespace kept: replayed text keeps its layout but none of its content. */
export function maskText(text: string): string {
  return text.replace(/\S/g, '*');
}
