/**
 * The kernel a supervised program sees. `release` is what the user asked for
 * (uname -r); `mainline` names the tables that describe its syscall surface.
 */
export interface Persona {
  /** uname(2) release, e.g. "2.6.32" or "5.4.0-150-generic". */
  release: string;
  /** The mainline release whose tables apply (nearest lower known), e.g. "5.4". */
  mainline: string;
  /** False when `release` was not itself a known mainline release and `mainline` was chosen as the nearest lower one. */
  exact: boolean;
  /** uname(2) version, e.g. "#1 SMP Thu Dec 3 12:00:00 UTC 2009". */
  version: string;
  /** uname(2) sysname and kernel.ostype. */
  sysname: string;
  /** Contents of /proc/version, newline-terminated. */
  procVersion: string;
  /** Where the identity came from: a persona file or synthesized from tables/releases.json. */
  origin: string;
  /**
   * Set for a captured persona (tables/personas/<release>.json): table names that the real
   * build answers with ENOSYS although its mainline table has them (distribution Kconfig,
   * boot parameters). A plan should treat them as absent.
   */
  absent?: readonly string[];
}
