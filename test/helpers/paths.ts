import { fileURLToPath } from 'node:url';

/** Absolute path of a file or folder in the repository. */
export const repoPath = (relative: string): string => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
