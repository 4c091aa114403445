import { Block, Mask } from '@reprise/react';

export function Settings() {
  return (
    <section>
      <h1>Settings</h1>
      <p>Your plan: Team, billed monthly.</p>
      <Mask>
        <div className="panel" id="masked-panel">
          <h2>API credentials</h2>
          <p>Live key: rk_live_5up3r53cr3tK3y</p>
          <p>Recovery phrase: velvet orbit lantern</p>
        </div>
      </Mask>
      <Block>
        <div className="panel" id="blocked-panel">
          Internal notes the recording never shows.
        </div>
      </Block>
    </section>
  );
}
