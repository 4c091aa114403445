import { CollectorError } from '../errors.js';
import type { Role } from '../index-db/schema.js';
import { ALL_PROJECTS, type ApiTokenIdentity, type Operation, type UserIdentity } from './access-store.js';

/** Who is asking: a logged-in user (cookie) or an API token (bearer). */
export type Principal =
  { kind: 'user'; user: UserIdentity; csrfToken: string } | { kind: 'token'; token: ApiTokenIdentity };

/** `admin` covers managing tokens and reading the audit log of a project. */
export type Permission = Operation | 'admin';

export function principalId(principal: Principal): { type: 'user' | 'token'; id: string; name: string } {
  return principal.kind === 'user'
    ? { type: 'user', id: String(principal.user.id), name: principal.user.username }
    : { type: 'token', id: principal.token.id, name: principal.token.name };
}

const ROLE_RANK: Record<Role, number> = { viewer: 1, admin: 2 };

/**
 * The one rule for a user's role on a project: the higher of the role on that project and the
 * role on `*`. Roles only add: an explicit `viewer` on one project never takes away what an
 * all-projects `admin` role gives there (and an all-projects `viewer` still reads a project
 * where the user is nothing else). Every permission check goes through here.
 */
export function effectiveRole(user: Pick<UserIdentity, 'roles'>, project: string): Role | undefined {
  const own = user.roles.get(project);
  const everywhere = user.roles.get(ALL_PROJECTS);
  if (!own || !everywhere) return own ?? everywhere;
  return ROLE_RANK[own] >= ROLE_RANK[everywhere] ? own : everywhere;
}

const roleGrants = (role: Role | undefined, permission: Permission) =>
  role === 'admin' || (role === 'viewer' && permission === 'read');

export function can(principal: Principal, permission: Permission, project: string): boolean {
  if (principal.kind === 'token') {
    return permission !== 'admin' && principal.token.project === project && principal.token.operations.has(permission);
  }
  return roleGrants(effectiveRole(principal.user, project), permission);
}

/**
 * Whether a project is one of the principal's projects at all: any role, or a token scoped to
 * it whatever its operations. Sessions outside these projects answer 404 exactly like sessions
 * that do not exist; inside them a missing operation is a 403 (see `locateSession`).
 */
export function hasAnyAccess(principal: Principal, project: string): boolean {
  if (principal.kind === 'token') return principal.token.project === project;
  return effectiveRole(principal.user, project) !== undefined;
}

/** Projects where the principal holds `permission`; `all` for a `*` role that grants it. */
export function projectsWith(principal: Principal, permission: Permission): string[] | 'all' {
  if (principal.kind === 'token')
    return can(principal, permission, principal.token.project) ? [principal.token.project] : [];
  if (roleGrants(principal.user.roles.get(ALL_PROJECTS), permission)) return 'all';
  return [...principal.user.roles.keys()].filter(
    (project) => project !== ALL_PROJECTS && can(principal, permission, project),
  );
}

/** 403 naming only what the caller asked for, so it says nothing about other projects. */
export function assertCan(principal: Principal, permission: Permission, project: string): void {
  if (!can(principal, permission, project)) {
    throw new CollectorError(
      'forbidden',
      403,
      `you have no ${permission} access to project "${project.slice(0, 128)}".`,
    );
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

/**
 * How much say a user has over the roles of `project`: 3 for an all-projects admin, 2 for an
 * admin of the project, 1 for a viewer, 0 for none.
 */
function authorityOver(user: Pick<UserIdentity, 'roles'>, project: string): number {
  if (user.roles.get(ALL_PROJECTS) === 'admin') return 3;
  const role = effectiveRole(user, project);
  return role ? ROLE_RANK[role] : 0;
}

/**
 * Setting or removing `target`'s role on `project`: the caller must administer the project and
 * must not have less authority there than the target. So a project admin manages viewers and
 * fellow admins of that project, while an all-projects admin's roles (on any project) are
 * changed only by an all-projects admin.
 */
export function assertMayChangeRole(
  principal: Principal,
  target: Pick<UserIdentity, 'roles' | 'username'>,
  project: string,
): void {
  assertCan(principal, 'admin', project);
  if (principal.kind !== 'user') return; // unreachable: tokens never hold `admin`
  if (authorityOver(target, project) > authorityOver(principal.user, project)) {
    throw new CollectorError(
      'forbidden',
      403,
      `"${target.username.slice(0, 64)}" is an admin of every project; only an admin of every project ("*") can change their roles.`,
    );
  }
}
