/**
 * cr-shim's layers, highest first, as folders of src/ (a file directly in src/
 * counts as a folder of its own name). A folder may import from its own layer
 * and any layer below, never from one above: a type a lower folder needs moves
 * down with it. The oracle and the docs generator are development tools at the
 * commands' level, so nothing the shim runs on can import them.
 */
export const LAYERS: readonly { name: string; folders: readonly string[] }[] = [
  { name: 'command line', folders: ['cli'] },
  { name: "commands' services and development tools", folders: ['restore', 'serve', 'bench', 'mechanisms', 'docs', 'oracle'] },
  { name: 'supervision, injection, CRIU', folders: ['supervisor', 'inject', 'criu'] },
  { name: 'plan, BPF, handlers', folders: ['plan', 'bpf', 'handlers'] },
  { name: 'tables, personas, host facts', folders: ['tables', 'persona', 'host'] },
  { name: 'system boundary', folders: ['native'] },
  { name: 'errors, ABI constants, printable text, the phase trace', folders: ['errors', 'arch', 'printable', 'fnv1a', 'phase-trace'] },
];

/** The layer index of a folder of src/ (0 is the top); undefined for a folder no layer names. */
export function layerOf(folder: string): number | undefined {
  const i = LAYERS.findIndex((l) => l.folders.includes(folder));
  return i < 0 ? undefined : i;
}
