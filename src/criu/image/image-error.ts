import { ShimError } from '../../errors.js';

/**
 * A CRIU image directory or file that cannot be used: missing, not an image, corrupt, or from
 * another architecture. `code` is 'ENOENT', 'EIMAGE' (corrupt or not an image) or 'EARCH'.
 */
export class ImageError extends ShimError {}

/** The fix for an image that is damaged or incomplete: nothing can repair it in place. */
export const DUMP_AGAIN = 'dump the process again with cr-shim dump PID IMG';
