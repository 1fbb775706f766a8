import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readlinkSync,
  readSync,
  realpathSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import path from "node:path";

// The runner reads and writes files of a run's workspace as itself (the artifacts it uploads, the
// rule files of the prompt, the `ambit` harness's file tools), while the run's processes — in a
// container, or as another user — can change that workspace at the same moment: swap a file for a
// link to /proc/self/environ, or a directory for a link to /root. A path checked first and opened
// afterwards is a race. So a file is opened without following a last link (O_NOFOLLOW), and what
// was actually opened (/proc/self/fd/<fd>) must lie inside the workspace; otherwise it is closed
// unread. FIFOs and devices are refused (O_NONBLOCK keeps a FIFO from hanging the runner).

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

export class OutsideError extends Error {}

const inside = (root: string, p: string) => p === root || p.startsWith(root + path.sep);

/** The real path of an open file: where it is, whatever path led to it. */
function openedPath(fd: number, fallback: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return realpathSync(fallback); // no /proc (macOS): checked by path, a narrower race than before
  }
}

/** Opens `file` (resolved through links inside `root`) and checks what was opened lies inside `root`. */
function openInside(
  root: string,
  file: string,
  flags: number,
): { fd: number; real: string; created: boolean } {
  const realRoot = realpathSync(root);
  let real: string;
  try {
    real = realpathSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT" || !(flags & O_CREAT)) throw err;
    real = path.join(realpathSync(path.dirname(file)), path.basename(file));
  }
  if (!inside(realRoot, real)) throw new OutsideError(`${file} is outside ${root}`);
  let fd: number;
  let created = false;
  try {
    fd = openSync(real, (flags & ~O_CREAT) | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT" || !(flags & O_CREAT)) throw err;
    fd = openSync(real, flags | O_EXCL | O_NOFOLLOW | O_NONBLOCK, 0o644);
    created = true;
  }
  const opened = openedPath(fd, real);
  if (!inside(realRoot, opened) || !fstatSync(fd).isFile()) {
    closeSync(fd);
    if (created) unlinkSync(opened);
    throw new OutsideError(`${file} is not a regular file inside ${root}`);
  }
  return { fd, real, created };
}

/**
 * The bytes of `file`, a regular file inside `root` (links inside it are followed); null when it
 * is bigger than `maxBytes` (its size is then in `size`). Throws OutsideError for anything else.
 */
export function readInside(
  root: string,
  file: string,
  maxBytes = Infinity,
): { bytes: Buffer | null; size: number } {
  const { fd } = openInside(root, file, O_RDONLY);
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) return { bytes: null, size };
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(buf.subarray(0, n));
    }
    const bytes = Buffer.concat(chunks);
    return { bytes, size: bytes.length };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `content` to `file` inside `root` (created 0644 when missing, replaced otherwise), never
 * through a link out of it. A new file is given to `owner` (the uid:gid of the run's processes,
 * when they are not the runner's), so the agent can go on changing it.
 */
export function writeInside(
  root: string,
  file: string,
  content: string | Buffer,
  owner?: { uid: number; gid: number },
): void {
  const { fd, created } = openInside(root, file, O_WRONLY | O_CREAT);
  try {
    ftruncateSync(fd, 0);
    const buf = typeof content === "string" ? Buffer.from(content) : content;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    if (created && owner) fchownSync(fd, owner.uid, owner.gid);
  } finally {
    closeSync(fd);
  }
}
