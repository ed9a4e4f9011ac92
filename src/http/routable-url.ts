/**
 * A request target the router can always read. A path with a malformed percent escape (`/pay/return/x/%`, `%zz`,
 * `%E0%A4` cut short) makes the router give up before any plugin sees the request, and Fastify then answers in its own
 * words and format (`FST_ERR_BAD_URL`, JSON) — on the Elsom gateway, whose every answer must be windows-1251 XML, and
 * on the agent API alike. Such a path is taken literally instead (its `%` escaped as `%25`), so it reaches the plugin
 * of its prefix, which answers it in its protocol (an unknown path, usually). A well-formed target is left as it is.
 */
export function routableUrl(url: string): string {
  const target = url.startsWith('/') || /^https?:\/\//i.test(url) ? url : `/${url}`;
  const cut = target.indexOf('?');
  const path = cut === -1 ? target : target.slice(0, cut);
  if (!path.includes('%') || decodes(path)) return target;
  return path.replace(/%/g, '%25') + (cut === -1 ? '' : target.slice(cut));
}

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
