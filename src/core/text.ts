/** A value quoted in an error message or a table: control characters shown escaped, length capped. */
export function printable(value: string, max = 60): string {
  // eslint-disable-next-line no-control-regex
  const escaped = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return escaped.length > max ? `${escaped.slice(0, max)}...` : escaped;
}
