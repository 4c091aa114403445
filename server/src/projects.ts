import { z } from 'zod';
import { CollectorError } from './errors.js';

export const projectSchema = z.object({
  /** Project id: first element of every object key. */
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a project id may hold only letters, digits, "_" and "-" (1-64)')
    // The data-key store files the ingest log's keys under this project (src/log/cipher.ts).
    .refine((id) => id !== '_reprise-log', '"_reprise-log" is reserved for the ingest log\'s keys; choose another id'),
  /** Public, write-only ingest keys (the recorder's `project` option). Several allow key rollover. */
  keys: z
    .array(
      z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'an ingest key may hold only letters, digits, "_" and "-" (1-128)'),
    )
    .min(1),
  /** Allowed page origins: exact (`https://shop.example`), `https://*.shop.example`, `http://localhost:*`, or `*`. */
  origins: z.array(z.string().min(1)).default([]),
  /** Refuse requests without an Origin header (non-browser senders). @default false */
  requireOrigin: z.boolean().optional(),
  retentionDays: z.number().int().positive().optional(),
  archiveAfterDays: z.number().int().positive().optional(),
  rateLimit: z.object({ perSecond: z.number().positive(), burst: z.number().positive() }).optional(),
});
export type ProjectConfig = z.infer<typeof projectSchema>;
/** What a caller may write: `origins` and `requireOrigin` have defaults. */
export type ProjectInput = z.input<typeof projectSchema>;
export const projectsSchema = z.array(projectSchema).min(1, 'at least one project');

/** The project every zero-config start gets: key `dev`, pages served from this machine. */
export const DEV_PROJECT: ProjectConfig = {
  id: 'dev',
  keys: ['dev'],
  origins: ['http://127.0.0.1:*', 'http://localhost:*'],
  requireOrigin: false,
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compile an origin pattern: `*` alone matches anything; `*.` is one or more host labels; `:*` is any port. */
export function originMatcher(pattern: string): (origin: string) => boolean {
  if (pattern === '*') return () => true;
  let source = escapeRegExp(pattern.toLowerCase().replace(/\/+$/, ''));
  source = source.replace(/\\\*\\\./g, '(?:[a-z0-9-]+\\.)+').replace(/:\\\*$/, ':\\d{1,5}');
  const regex = new RegExp(`^${source}$`);
  return (origin) => regex.test(origin.toLowerCase());
}

interface ResolvedProject extends ProjectConfig {
  matches: Array<(origin: string) => boolean>;
}

export class ProjectRegistry {
  private readonly byKey = new Map<string, ResolvedProject>();
  private readonly byId = new Map<string, ResolvedProject>();

  constructor(projects: readonly ProjectConfig[]) {
    for (const project of projects) {
      if (this.byId.has(project.id))
        throw new CollectorError('bad_config', 500, `Project id "${project.id}" appears twice.`);
      const resolved: ResolvedProject = { ...project, matches: project.origins.map(originMatcher) };
      this.byId.set(project.id, resolved);
      for (const key of project.keys) {
        if (this.byKey.has(key))
          throw new CollectorError('bad_config', 500, `Ingest key "${key}" is used by two projects.`);
        this.byKey.set(key, resolved);
      }
    }
  }

  list(): ProjectConfig[] {
    return [...this.byId.values()];
  }

  byIngestKey(key: string): ProjectConfig | undefined {
    return this.byKey.get(key);
  }

  byProjectId(id: string): ProjectConfig | undefined {
    return this.byId.get(id);
  }

  originAllowed(project: ProjectConfig, origin: string | undefined): boolean {
    if (origin === undefined) return project.requireOrigin !== true;
    return (this.byId.get(project.id)?.matches ?? []).some((match) => match(origin));
  }

  /** For a preflight, which carries no body and so no key: is the origin allowed by any project? */
  originAllowedByAny(origin: string): boolean {
    for (const project of this.byId.values()) if (project.matches.some((match) => match(origin))) return true;
    return false;
  }
}
