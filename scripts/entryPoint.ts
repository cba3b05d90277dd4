import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * True when the module at `moduleUrl` is the file node was asked to run. Node loads the main module by its real path,
 * so the argument is resolved the same way: a hand-built `file://` string breaks on spaces (percent-encoded in the URL)
 * and on symlinked checkouts, and then the script silently does nothing.
 */
export function isEntryPoint(moduleUrl: string, argv1: string | undefined = process.argv[1]): boolean {
  if (argv1 === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(argv1)).href;
  } catch {
    return false;
  }
}
