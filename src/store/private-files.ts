/**
 * The config folder and its files are trusted only as far as they are checked: ours (same owner), private (0700
 * and 0600) and of the right kind (a regular file, never a FIFO or device that would hang a read).
 */
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';
import { ConfigError } from '../errors.js';

const currentUid = (): number | undefined => process.getuid?.();

function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function checkOwner(path: string, what: string, info: Stats): void {
  const uid = currentUid();
  if (uid === undefined || info.uid === uid) return;
  throw new ConfigError(`The ${what} ${path} belongs to another user (uid ${info.uid}), so wise will not use it.`, {
    hint: 'Use a folder of your own: set WISE_CONFIG_DIR, or fix the owner of that path.',
  });
}

/**
 * Checks the config folder if it exists (through any symlink to it): it must belong to this user, and is made 0700
 * when others could read or write it, saying so on stderr.
 */
export function checkPrivateDir(dir: string, warn: (line: string) => void, repair = true): void {
  if (currentUid() === undefined) return; // Windows: ACLs, not modes
  let info: Stats;
  try {
    info = statSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ConfigError(`Cannot use the config folder ${dir}: ${(error as NodeJS.ErrnoException).code}.`);
  }
  if (!info.isDirectory()) throw new ConfigError(`The config folder ${dir} is not a folder.`);
  checkOwner(dir, 'config folder', info);
  if (repair && info.mode & 0o077) {
    chmodSync(dir, 0o700);
    warn(`warning: the config folder ${dir} was open to other users (${modeText(info.mode)}); wise made it 0700.`);
  }
}

/**
 * Reads a small file of ours: never blocks on a FIFO or device (opened non-blocking, then checked to be a regular
 * file), refuses one owned by another user, and makes one readable by others 0600, saying so. Undefined if absent.
 */
export function readPrivateFileSync(
  path: string,
  what: string,
  warn: (line: string) => void,
  repair = true,
): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read the ${what} ${path}: ${code ?? String(error)}.`, {
      hint: 'Check the file and folder permissions.',
    });
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new ConfigError(`The ${what} ${path} is not a regular file; it was left untouched.`);
    if (currentUid() !== undefined) {
      checkOwner(path, what, info);
      if (repair && info.mode & 0o077) {
        chmodSync(path, 0o600);
        warn(`warning: the ${what} ${path} was open to other users (${modeText(info.mode)}); wise made it 0600.`);
      }
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** What `wise doctor` reports of a path of ours, without changing anything. */
export interface PathReport {
  path: string;
  exists: boolean;
  kind?: 'folder' | 'file' | 'other';
  /** e.g. 0700 */
  mode?: string;
  /** Others (group or world) can read or write it. */
  open?: boolean;
  /** Owned by another user than the one running wise. */
  foreign?: boolean;
  /** Where a symlink leads. */
  linksTo?: string;
}

export function inspectPath(path: string): PathReport {
  let info: Stats;
  try {
    info = statSync(path);
  } catch {
    return { path, exists: false };
  }
  const uid = currentUid();
  let linksTo: string | undefined;
  try {
    if (lstatSync(path).isSymbolicLink()) linksTo = realpathSync(path);
  } catch {
    // Gone meanwhile: reported as found by stat.
  }
  return {
    path,
    exists: true,
    kind: info.isDirectory() ? 'folder' : info.isFile() ? 'file' : 'other',
    mode: modeText(info.mode),
    open: uid !== undefined && (info.mode & 0o077) !== 0,
    foreign: uid !== undefined && info.uid !== uid,
    ...(linksTo ? { linksTo } : {}),
  };
}

/**
 * Reads a lock file without following a symlink and without blocking on a FIFO; anything that is not a regular
 * file comes back as null (not a lock of ours), an absent file as undefined.
 */
export async function readLockFile(path: string): Promise<string | null | undefined> {
  const { open } = await import('node:fs/promises');
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return null; // ELOOP (a symlink), EACCES, ...
  }
  try {
    if (!(await handle.stat()).isFile()) return null;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Reads a small regular file named by the user (e.g. WISE_REFRESH_TOKEN_FILE): opened non-blocking so that a FIFO
 * or device cannot hang the tool, refused when it is not a regular file or larger than `maxBytes`.
 */
export async function readSmallRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const { open } = await import('node:fs/promises');
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    if (info.size > maxBytes) throw Object.assign(new Error('too large'), { code: `larger than ${maxBytes} bytes` });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Opens a state file of the user's for reading and appending (made 0600 when absent), never through a symlink.
 * Returns its descriptor and text, or why it is refused: a symlink, not a regular file, another user's, or open to
 * others. What such a file says decides what is sent, so one someone else could have written is not used.
 */
export function openOwnStateFile(path: string): { fd: number; text: string } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { problem: 'is a symbolic link' };
    return { problem: `cannot be opened (${code ?? (error as Error).message})` };
  }
  const info = fstatSync(fd);
  const uid = currentUid();
  const problem = !info.isFile()
    ? 'is not a regular file'
    : uid !== undefined && info.uid !== uid
      ? 'belongs to another user'
      : (info.mode & 0o077) !== 0
        ? `can be read or written by others (mode ${(info.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) {
    closeSync(fd);
    return { problem };
  }
  return { fd, text: readFileSync(fd, 'utf8') };
}
