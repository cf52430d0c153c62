/**
 * Aligned text columns for people: a header row, then one row per item, two spaces between
 * columns. The last column is never padded, so a long note there does not widen the others.
 */

export interface Column {
  title: string;
  /** Numbers read best right-aligned. Default 'left'. */
  align?: 'left' | 'right';
}

/** Lay out rows under their column titles; each line starts with `indent`. */
export function columns(cols: readonly Column[], rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = cols.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => {
    const parts = cols.map((c, i) => {
      const v = cells[i] ?? '';
      if (i === cols.length - 1) return c.align === 'right' ? v.padStart(widths[i] ?? 0) : v;
      return c.align === 'right' ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0);
    });
    return (indent + parts.join('  ')).trimEnd();
  };
  return [line(cols.map((c) => c.title)), ...rows.map(line)];
}
