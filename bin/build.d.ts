// Types of bin/build.js for the TypeScript that imports it (bench/run.ts).
export function upToDate(outDir?: string): boolean;
export function compiled(path: string): string | undefined;
export function build(outDir?: string): Promise<number>;
