import { Block, Mask } from '@reprise/react';
import { SETTINGS_PAGE } from '../../../shared/app.js';

export function Settings() {
  return (
    <section>
      <h1>{SETTINGS_PAGE.heading}</h1>
      <p>{SETTINGS_PAGE.plan}</p>
      <Mask>
        <div className="panel" id="masked-panel">
          <h2>{SETTINGS_PAGE.credentialsHeading}</h2>
          {SETTINGS_PAGE.credentials.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </div>
      </Mask>
      <Block>
        <div className="panel" id="blocked-panel">
          {SETTINGS_PAGE.blockedNote}
        </div>
      </Block>
    </section>
  );
}
