import { useRef, useState, type FormEvent } from 'react';
import { api, type ApiTokenInfo, type CreatedToken, type Role, type UserInfo } from '../api.js';
import { useAuth } from '../auth.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { CopyButton } from '../components/copy-button.js';
import { FormMessages, ProjectSelect, useFormAction } from '../components/form-action.js';
import { Field, NEW_PASSWORD_INPUT, NEW_PASSWORD_RULE, Options } from '../components/field.js';
import { PageHeader } from '../components/page-header.js';
import { ErrorNotice, Loading } from '../components/states.js';
import { formatDateTime, formatRelative } from '../format.js';
import { useRequest } from '../use-request.js';
import { TableHead } from '../components/table-head.js';

const ROLE_CHOICES: { value: Role | ''; label: string }[] = [
  { value: '', label: 'No access' },
  { value: 'viewer', label: 'Viewer' },
  { value: 'admin', label: 'Admin' },
];

/**
 * Users and their roles, and API tokens, of the projects the viewer administers. Every change
 * goes through the same API a script would use, and reloads the lists.
 */
export function AccessPage() {
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);
  const request = useRequest(`access-${version}`, async (signal) => {
    const [users, tokens, projects] = await Promise.all([api.users(signal), api.tokens(signal), api.projects(signal)]);
    return { users, tokens, projects: projects.map((p) => p.id) };
  });
  // A reload after a change keeps showing the last lists (and the forms' messages, such as a new
  // token's secret) instead of unmounting everything behind a spinner.
  const last = useRef<typeof request.data>(undefined);
  if (request.status === 'ok') last.current = request.data;
  if (request.status === 'error')
    return <ErrorNotice title="Could not load users and tokens" message={request.error.message} />;
  if (!last.current) return <Loading label="Loading users and tokens…" />;
  const { users, tokens, projects } = last.current;
  return (
    <div className="page">
      <PageHeader title="Users and API tokens">
        <p className="muted">
          People who can see or delete recordings of the projects you administer, and tokens for scripts.
        </p>
      </PageHeader>
      <UsersSection users={users} projects={projects} onChange={reload} />
      <TokensSection tokens={tokens} projects={projects} onChange={reload} />
    </div>
  );
}

function UsersSection({ users, projects, onChange }: { users: UserInfo[]; projects: string[]; onChange: () => void }) {
  const { me } = useAuth();
  const { error, run } = useFormAction();
  const act = (action: () => Promise<void>) =>
    run(async () => {
      await action();
      onChange();
    });
  return (
    <section className="section" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <FormMessages error={error} />
      <div className="table-wrap">
        <table className="table" aria-label="Users">
          <thead>
            <tr>
              <th scope="col">Username</th>
              {projects.map((project) => (
                <th scope="col" key={project}>
                  {project}
                </th>
              ))}
              <th scope="col">All projects</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id} data-user={user.username}>
                <td className="row-title">{user.username}</td>
                {projects.map((project) => (
                  <td key={project}>
                    <select
                      aria-label={`Role of ${user.username} on ${project}`}
                      value={user.roles[project] ?? ''}
                      onChange={(event) =>
                        void act(() => api.setRole(user.username, project, (event.target.value || null) as Role | null))
                      }
                    >
                      <Options choices={ROLE_CHOICES} />
                    </select>
                  </td>
                ))}
                <td>
                  {user.roles['*'] ? (
                    <span className="badge">{user.roles['*']}</span>
                  ) : (
                    <span className="muted">–</span>
                  )}
                </td>
                <td>
                  {user.username === me?.username ? (
                    <span className="muted small">you</span>
                  ) : (
                    <ConfirmButton
                      label="Delete"
                      confirmLabel={`Delete ${user.username}`}
                      onConfirm={() => act(() => api.deleteUser(user.username))}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <NewUserForm projects={projects} onCreated={onChange} />
    </section>
  );
}

function NewUserForm({ projects, onCreated }: { projects: string[]; onCreated: () => void }) {
  const { error, done, run } = useFormAction();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const username = String(data.get('username'));
    return run(async () => {
      await api.createUser(username, String(data.get('password')), {
        [String(data.get('project'))]: String(data.get('role')) as Role,
      });
      form.reset();
      onCreated();
      return `${username} can log in now.`;
    });
  };
  return (
    <form className="inline-form" aria-label="Add a user" onSubmit={(event) => void submit(event)}>
      <Field label="Username" name="username" required maxLength={64} autoComplete="off" />
      <Field label={`Password (${NEW_PASSWORD_RULE})`} name="password" {...NEW_PASSWORD_INPUT} />
      <ProjectSelect projects={projects} />
      <label className="field">
        Role
        <select name="role" defaultValue="viewer">
          <option value="viewer">Viewer</option>
          <option value="admin">Admin</option>
        </select>
      </label>
      <button type="submit" className="button button-primary">
        Add user
      </button>
      <FormMessages error={error} done={done} />
    </form>
  );
}

function TokensSection({
  tokens,
  projects,
  onChange,
}: {
  tokens: ApiTokenInfo[];
  projects: string[];
  onChange: () => void;
}) {
  const [created, setCreated] = useState<CreatedToken & { name: string }>();
  const { error, run } = useFormAction();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    return run(async () => {
      const name = String(data.get('name'));
      const token = await api.createToken({
        name,
        project: String(data.get('project')),
        operations: data.getAll('operations').map(String),
        expiresInDays: Number(data.get('expiresInDays')),
      });
      setCreated({ ...token, name });
      form.reset();
      onChange();
    });
  };
  const revoke = (id: string) =>
    run(async () => {
      await api.revokeToken(id);
      onChange();
    });
  const now = Date.now();
  return (
    <section className="section" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted small">
        For scripts: <code>Authorization: Bearer …</code> reads or deletes one project's sessions. Every token expires.
      </p>
      {tokens.length === 0 ? (
        <p className="muted small">No API token.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label="API tokens">
            <TableHead columns={['Name', 'Project', 'Can', 'Expires', 'Last used', '']} />
            <tbody>
              {tokens.map((token) => {
                const expired = token.expiresAt !== null && token.expiresAt <= now;
                return (
                  <tr
                    key={token.id}
                    data-token={token.name}
                    className={token.revokedAt || expired ? 'token-revoked' : undefined}
                  >
                    <td className="row-title">{token.name}</td>
                    <td>{token.project}</td>
                    <td>{token.operations.join(', ')}</td>
                    <td data-cell="expires">
                      {token.expiresAt === null
                        ? 'never'
                        : `${expired ? 'expired' : ''} ${formatDateTime(token.expiresAt)}`.trim()}
                    </td>
                    <td>{token.lastUsedAt ? formatRelative(token.lastUsedAt) : 'never'}</td>
                    <td>
                      {token.revokedAt ? (
                        <span className="muted small">revoked {formatRelative(token.revokedAt)}</span>
                      ) : (
                        <ConfirmButton
                          label="Revoke"
                          confirmLabel={`Revoke ${token.name}`}
                          onConfirm={() => revoke(token.id)}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <form className="inline-form" aria-label="Create an API token" onSubmit={(event) => void submit(event)}>
        <label className="field">
          Name
          <input name="name" required maxLength={200} placeholder="e.g. nightly export" />
        </label>
        <ProjectSelect projects={projects} />
        <fieldset className="field">
          <legend>Can</legend>
          <label>
            <input type="checkbox" name="operations" value="read" defaultChecked /> read
          </label>
          <label>
            <input type="checkbox" name="operations" value="delete" /> delete
          </label>
        </fieldset>
        <label className="field field-narrow">
          Expires in (days)
          <input name="expiresInDays" type="number" min={1} required defaultValue={90} />
        </label>
        <button type="submit" className="button button-primary">
          Create token
        </button>
      </form>
      <FormMessages error={error} />
      {created ? (
        <div className="secret" role="status" data-testid="new-token">
          <p>
            <strong>{created.name}</strong>: copy it now, it is not shown again. It expires{' '}
            {formatDateTime(created.expiresAt)}.
          </p>
          <code className="break">{created.token}</code>{' '}
          <CopyButton label="Copy token" className="button button-small" text={() => created.token} />
        </div>
      ) : null}
    </section>
  );
}
