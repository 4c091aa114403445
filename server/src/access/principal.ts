import { CollectorError } from '../errors.js';
import { ALL_PROJECTS, type ApiTokenIdentity, type Operation, type UserIdentity } from './access-store.js';

/** Who is asking: a logged-in user (cookie) or an API token (bearer). */
export type Principal =
  | { kind: 'user'; user: UserIdentity; csrfToken: string }
  | { kind: 'token'; token: ApiTokenIdentity };

/** `admin` covers managing tokens and reading the audit log of a project. */
export type Permission = Operation | 'admin';

export function principalId(principal: Principal): { type: 'user' | 'token'; id: string; name: string } {
  return principal.kind === 'user'
    ? { type: 'user', id: String(principal.user.id), name: principal.user.username }
    : { type: 'token', id: principal.token.id, name: principal.token.name };
}

export function can(principal: Principal, permission: Permission, project: string): boolean {
  if (principal.kind === 'token') {
    return permission !== 'admin' && principal.token.project === project && principal.token.operations.has(permission);
  }
  const role = principal.user.roles.get(project) ?? principal.user.roles.get(ALL_PROJECTS);
  if (!role) return false;
  return role === 'admin' || permission === 'read';
}

/** Projects where the principal holds `permission`; `all` for a `*` role that grants it. */
export function projectsWith(principal: Principal, permission: Permission): string[] | 'all' {
  if (principal.kind === 'token') return can(principal, permission, principal.token.project) ? [principal.token.project] : [];
  const wildcard = principal.user.roles.get(ALL_PROJECTS);
  if (wildcard && (wildcard === 'admin' || permission === 'read')) return 'all';
  return [...principal.user.roles.keys()].filter((project) => can(principal, permission, project));
}

/** 403 naming only what the caller asked for, so it says nothing about other projects. */
export function assertCan(principal: Principal, permission: Permission, project: string): void {
  if (!can(principal, permission, project)) {
    throw new CollectorError('forbidden', 403, `you have no ${permission} access to project "${project.slice(0, 128)}".`);
  }
}

/**
 * Narrow requested projects to the allowed ones. Asking explicitly for a project you cannot
 * access is a 403; asking for none means every project you can access.
 */
export function resolveProjects(principal: Principal, permission: Permission, requested: string[]): string[] | 'all' {
  if (requested.length === 0) return projectsWith(principal, permission);
  for (const project of requested) assertCan(principal, permission, project);
  return requested;
}
