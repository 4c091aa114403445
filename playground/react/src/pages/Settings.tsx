import { Block, Mask } from '@reprise/react';
import { SETTINGS_SECRETS } from '../../../shared/app.js';

export function Settings() {
  return (
    <section>
      <h1>Settings</h1>
      <p>Your plan: Team, billed monthly.</p>
      <Mask>
        <div className="panel" id="masked-panel">
          <h2>API credentials</h2>
          {SETTINGS_SECRETS.credentials.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </div>
      </Mask>
      <Block>
        <div className="panel" id="blocked-panel">
          {SETTINGS_SECRETS.blockedNote}
        </div>
      </Block>
    </section>
  );
}
