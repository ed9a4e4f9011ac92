/**
 * /cabinet/registries: the agent's registries of its business days — its uploads (newest first, the one that counts
 * marked) and a form to upload the CSV of a day (multipart: the CSRF field and the day come before the file, so the
 * session and the form are checked before a byte of the file is read). The file goes to the engine as a stream; the
 * page answers the stored figures, or the line the file was refused at and why.
 */
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AGENT_REGISTRY_LIMITS, type AgentRegistry } from '../engine/agent-registries.ts';
import { ServiceError } from '../engine/errors.ts';
import { cabinetPage, text } from './page.ts';
import type { CabinetDeps, CabinetSigned } from './routes.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function registerRegistryPages(app: FastifyInstance, deps: CabinetDeps): Promise<void> {
  app.get('/registries', async (request, reply) => {
    const signed = await deps.page(request, reply, 'agent_registries.read', 'registries');
    return signed ? registriesPage(deps, reply, signed, 200, {}) : reply;
  });
  // Multipart only for this route (its own context): every other cabinet form stays urlencoded, 64 KiB.
  await app.register(async (upload) => {
    await upload.register(multipart, {
      // One byte past the engine's limit: the engine refuses the file in its own words before busboy cuts it.
      limits: { fileSize: AGENT_REGISTRY_LIMITS.maxBytes + 1, files: 1, fields: 4, fieldSize: 2_000, parts: 5, headerPairs: 50 },
    });
    // A request without a cabinet session cookie at all is sent to the login before a byte of its file is read, and
    // its connection closed: an anonymous client cannot make the hub read 256 MB for nothing (a signed-in one whose
    // file is refused has the rest read and dropped, so that the browser shows the answer).
    upload.addHook('onRequest', async (request, reply) => {
      if (request.cookies?.['tolem_cabinet']) return;
      await reply.code(303).header('location', '/cabinet/login').header('connection', 'close').send();
    });
    upload.post('/registries', (request, reply) => uploadRegistry(deps, request, reply));
  });
}

async function uploadRegistry(deps: CabinetDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const part = request.isMultipart() ? await request.file() : undefined;
  // The guard reads the CSRF field from the body: the fields that came before the file are the form's.
  (request as { body: unknown }).body = part ? fieldsOf(part) : {};
  try {
    const signed = await deps.act(request, reply, 'agent_registries.upload');
    if (!signed) return reply;
    signed.view.current = 'registries';
    const day = signed.form['day'] ?? '';
    if (!part || !part.filename) return await registriesPage(deps, reply, signed, 400, { error: text(signed.view.lang, 'err_registry_no_file'), day });
    if (!DAY.test(day)) return await registriesPage(deps, reply, signed, 400, { error: text(signed.view.lang, 'err_bad_day'), day });
    try {
      const stored = await deps.services.uploadRegistry(signed.actor, signed.agentId, day, part.file.iterator({ destroyOnReturn: false }));
      return await registriesPage(deps, reply, signed, 201, { stored });
    } catch (error) {
      if (error instanceof ServiceError && error.kind === 'invalid') {
        const message = error.code === 'bad_day' ? text(signed.view.lang, 'err_bad_day') : error.message;
        return await registriesPage(deps, reply, signed, 400, { error: `${text(signed.view.lang, 'registry_refused')}: ${message}`, day });
      }
      throw error;
    }
  } finally {
    // What the engine did not read (a refused file, a refused form) is read and dropped: the answer reaches the browser.
    if (part && !part.file.readableEnded) part.file.resume();
  }
}

function fieldsOf(part: MultipartFile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, field] of Object.entries(part.fields)) {
    const first = Array.isArray(field) ? field[0] : field;
    if (first && first.type === 'field' && typeof first.value === 'string') out[name] = first.value;
  }
  return out;
}

async function registriesPage(deps: CabinetDeps, reply: FastifyReply, signed: CabinetSigned, code: number, outcome: { stored?: AgentRegistry; error?: string; day?: string }): Promise<FastifyReply> {
  const registries = await deps.services.registries(signed.agentId);
  // Newest first: the first upload of each day listed is the one that counts.
  const seen = new Set<string>();
  const rows = registries.map((registry) => {
    const current = !seen.has(registry.day);
    seen.add(registry.day);
    return { ...registry, current };
  });
  if (outcome.error) signed.view.flash = { kind: 'error', text: outcome.error };
  const data = { rows, stored: outcome.stored, day: outcome.day ?? outcome.stored?.day ?? '', mayUpload: deps.services.can(signed.actor.principal, 'agent_registries.upload', signed.agentId) };
  return deps.send(reply, code, cabinetPage(signed.view, 'registries', text(signed.view.lang, 'registries_title'), data));
}
