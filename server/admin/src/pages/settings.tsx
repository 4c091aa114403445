import { api, type ApiTokenInfo, type ProjectSettings } from '../api.js';
import { CopyButton } from '../components/copy-button.js';
import { PageHeader } from '../components/page-header.js';
import { Empty, RequestView } from '../components/states.js';
import { formatDateTime, formatRelative } from '../format.js';
import { useRequest } from '../use-request.js';

/**
 * Project settings as the collector runs them. They come from the collector's configuration
 * (REPRISE_PROJECTS / its config file), so this page shows them and says where to change them.
 */
export function SettingsPage() {
  const request = useRequest('projects', async (signal) => {
    const [projects, tokens] = await Promise.all([api.projects(signal), api.tokens(signal)]);
    return { projects, tokens };
  });
  return (
    <div className="page">
      <PageHeader title="Project settings">
        <p className="muted">
          Ingest keys, allowed origins and retention of each project. They are read from the collector's configuration (
          <code>REPRISE_PROJECTS</code>); change them there and restart the collector.
        </p>
      </PageHeader>
      <RequestView request={request} errorTitle="Could not load the project settings" loadingLabel="Loading projects…">
        {({ projects, tokens }) =>
          projects.length === 0 ? (
            <Empty title="No project you administer" />
          ) : (
            <div className="cards">
              {projects.map((project) => (
                <ProjectCard
                  key={project.id}
                  project={project}
                  tokens={tokens.filter((token) => token.project === project.id)}
                />
              ))}
            </div>
          )
        }
      </RequestView>
    </div>
  );
}

function ProjectCard({ project, tokens }: { project: ProjectSettings; tokens: ApiTokenInfo[] }) {
  return (
    <section className="card" aria-labelledby={`project-${project.id}`}>
      <h2 id={`project-${project.id}`}>{project.id}</h2>
      <h3>Ingest keys</h3>
      <p className="muted small">Public and write-only: they let pages send recordings, never read them.</p>
      <ul className="key-list">
        {project.keys.map((key) => (
          <li key={key}>
            <code>{key}</code>
            <CopyButton label="Copy" className="button button-small" text={() => key} />
          </li>
        ))}
      </ul>
      <h3>Allowed origins</h3>
      {project.origins.length === 0 ? (
        <p className="muted small">
          No origin allowed: browsers cannot send recordings
          {project.requireOrigin ? '.' : ' (servers without an Origin header can).'}
        </p>
      ) : (
        <ul className="tag-list">
          {project.origins.map((origin) => (
            <li key={origin}>
              <code>{origin}</code>
            </li>
          ))}
        </ul>
      )}
      <dl className="meta-list">
        <dt>Requests without Origin</dt>
        <dd>{project.requireOrigin ? 'Refused' : 'Accepted'}</dd>
        <dt>Retention</dt>
        <dd>{project.retentionDays ? `${project.retentionDays} days, then deleted` : 'Kept until deleted'}</dd>
        {project.archiveAfterDays ? (
          <>
            <dt>Archive</dt>
            <dd>after {project.archiveAfterDays} days</dd>
          </>
        ) : null}
        <dt>Rate limit</dt>
        <dd>
          {project.rateLimit
            ? `${project.rateLimit.perSecond}/s, bursts of ${project.rateLimit.burst}`
            : 'Collector default'}
        </dd>
      </dl>
      <h3>API tokens</h3>
      <p className="muted small">
        For scripts and tools: read or delete this project's sessions with <code>Authorization: Bearer …</code>. Create
        and revoke them with <code>POST /v1/tokens</code> and <code>DELETE /v1/tokens/:id</code>.
      </p>
      {tokens.length === 0 ? (
        <p className="muted small">No API token.</p>
      ) : (
        <ul className="token-list">
          {tokens.map((token) => (
            <li key={token.id} data-token={token.name} className={token.revokedAt ? 'token-revoked' : undefined}>
              <div>
                <strong>{token.name}</strong> <span className="muted small">{token.operations.join(', ')}</span>
              </div>
              <div className="muted small">
                {token.revokedAt
                  ? `Revoked ${formatRelative(token.revokedAt)}`
                  : `Created ${formatDateTime(token.createdAt)} · ${token.lastUsedAt ? `last used ${formatRelative(token.lastUsedAt)}` : 'never used'}`}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
