/** Small readers of the acquirers' environment variables (issue 9 item 3 will fold them into one validated schema). */

export function envList(env: NodeJS.ProcessEnv, name: string, fallback: string[]): string[] {
  const text = env[name];
  return text ? text.split(',').map((s) => s.trim()).filter(Boolean) : fallback;
}

export function envRequired(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is required when the acquirer is configured`);
  return value;
}
